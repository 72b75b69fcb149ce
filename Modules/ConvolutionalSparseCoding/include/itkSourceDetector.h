#ifndef itkSourceDetector_h
#define itkSourceDetector_h

#include "itkSourceFittingStage.h"
#include "itkSourceLocalizationEnums.h"
#include "itkSourceMapDetector.h"
#include "itkSourceModelFitter.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include <functional>
#include <vector>

namespace itk
{
/** \class SourceDetector
 * \brief The detection stage of GroupSparseSourceLocalizationFilter: its settings, and the
 * sources it reports from the coding solution.
 *
 * The noise level sigma is 1.4826 times the median absolute deviation of the residual
 * s - reconstruction over the pixels the data term counts. Without SourceFitting the sources are
 * the local maxima of the source map y within a (2r+1)^N box (r = NeighborhoodRadius), measured,
 * merged, thresholded and cleared of deblending artefacts by SourceMapDetector (see there): a
 * maximum is reported when its brightness (ThresholdMode Absolute) or its signal-to-noise ratio
 * (SignalToNoise, the default) reaches DetectionThreshold.
 *
 * With SourceFitting the maxima above CandidateThreshold (a low coefficient signal-to-noise
 * ratio, not merged) seed a SourceModelFitter (GetSourceFitter(), FitSourcesFromCoding), which
 * fits every source at a continuous position with an unshrunk amplitude together with a
 * background of the background kernels, under a Poisson-plus-read noise model (DAOPHOT's
 * ALLSTAR: Stetson, PASP 99, 1987); a fitted source is reported when its flux or its
 * likelihood-ratio signal-to-noise ratio reaches DetectionThreshold, and the fitted foreground
 * and background replace the coding ones. Measured on the shared star fields it finds more
 * stars with fewer false ones (BENCHMARKS.md); on textured backgrounds that the background
 * kernels cannot follow (the spot images) the maxima of the source map are the better detector.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
class ITK_TEMPLATE_EXPORT SourceDetector : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SourceDetector);

  using Self = SourceDetector;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SourceDetector, Object);

  using RealType = TReal;
  using ThresholdEnum = SourceLocalizationEnums::SourceThreshold;
  using MapDetectorType = SourceMapDetector<TReal, VDimension>;
  using DetectionListType = typename MapDetectorType::DetectionListType;
  using KernelSetType = SourceKernelSet<TReal, VDimension>;
  using GroupListType = std::vector<std::vector<unsigned int>>;
  using SolutionType = SourceCodingSolution<TReal, VDimension>;
  using SourceFitterType = SourceModelFitter<TReal, VDimension>;
  using SizeArrayType = std::array<SizeValueType, VDimension>;

  /** Default 5 (a signal-to-noise ratio). */
  itkSetMacro(DetectionThreshold, double);
  itkGetConstMacro(DetectionThreshold, double);
  /** Default SignalToNoise. */
  itkSetEnumMacro(ThresholdMode, ThresholdEnum);
  itkGetConstMacro(ThresholdMode, ThresholdEnum);
  /** Half-width r of the (2r+1)^N box of non-maximum suppression and of the brightness sum.
   * Default 1. */
  itkSetMacro(NeighborhoodRadius, unsigned int);
  itkGetConstMacro(NeighborhoodRadius, unsigned int);
  /** Report each source's brightness as the least-squares amplitude of its dominant kernel on
   * the residual plus the source's own model (free of the l1 shrinkage, which takes about
   * lambda ||h||_1 / ||h||_2^2 off every source), instead of the sum of its coefficients.
   * Detection (the signal-to-noise ratio) is unchanged. Default on. */
  itkSetMacro(DebiasBrightness, bool);
  itkGetConstMacro(DebiasBrightness, bool);
  itkBooleanMacro(DebiasBrightness);
  /** Maxima closer than this factor times their larger effective size are merged into the
   * brighter one, before thresholding. 0 disables. Default 1. */
  itkSetMacro(MergeRadiusFactor, double);
  itkGetConstMacro(MergeRadiusFactor, double);
  /** Deblending contrast (as SExtractor's DEBLEND_MINCONT): a source fainter than this fraction
   * of a brighter source within ContrastRadiusFactor times their larger effective size is
   * dropped as that source's artefact (the ring of an Airy-like kernel, the misfit of a bright
   * core). Brightness is compared after merging. 0 (default) keeps every source. */
  itkSetMacro(MinimumContrast, double);
  itkGetConstMacro(MinimumContrast, double);
  /** Default 4. */
  itkSetMacro(ContrastRadiusFactor, double);
  itkGetConstMacro(ContrastRadiusFactor, double);
  /** Fit the sources (see the class description). Default off. */
  itkSetMacro(SourceFitting, bool);
  itkGetConstMacro(SourceFitting, bool);
  itkBooleanMacro(SourceFitting);
  /** With SourceFitting: the coefficient signal-to-noise ratio from which maxima become
   * candidates for the fitter. Default 1. */
  itkSetMacro(CandidateThreshold, double);
  itkGetConstMacro(CandidateThreshold, double);
  /** The fitter used with SourceFitting, for its settings (thresholds, rounds, noise model). */
  SourceFitterType *
  GetSourceFitter()
  {
    return m_SourceFitter.GetPointer();
  }
  const SourceFitterType *
  GetSourceFitter() const
  {
    return m_SourceFitter.GetPointer();
  }

  /** Throws an ExceptionObject naming the first setting that is out of range; \c imageSize
   * bounds NeighborhoodRadius. */
  void
  Validate(const SizeArrayType & imageSize) const;

  /** The sources of a coding solution, brightest first (Index in the image's index space).
   * \c solution needs every array: Signal, Reconstruction, Coefficients, SourceMap, and the
   * Foreground and Background that fitting overwrites. \c progress (fraction of the fitting
   * done; false stops it) may be empty; a stopped fit returns no sources and GetAborted() is
   * true. */
  DetectionListType
  Detect(const KernelSetType & kernels, const GroupListType & groups, const SolutionType & solution,
         std::function<bool(double)> progress = {});

  /** The robust noise level of the last Detect(). */
  itkGetConstMacro(NoiseSigma, double);
  /** True when the progress callback stopped the last Detect(). */
  itkGetConstMacro(Aborted, bool);

protected:
  SourceDetector() { m_SourceFitter = SourceFitterType::New(); }
  ~SourceDetector() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  /** The SourceMapDetector settings for the final detection or for the fitter's candidates. */
  typename MapDetectorType::Settings
  MapSettings() const;

  double                             m_DetectionThreshold{ 5.0 };
  ThresholdEnum                      m_ThresholdMode{ ThresholdEnum::SignalToNoise };
  unsigned int                       m_NeighborhoodRadius{ 1 };
  double                             m_MergeRadiusFactor{ 1.0 };
  double                             m_MinimumContrast{ 0.0 };
  double                             m_ContrastRadiusFactor{ 4.0 };
  bool                               m_DebiasBrightness{ true };
  bool                               m_SourceFitting{ false };
  double                             m_CandidateThreshold{ 1.0 };
  typename SourceFitterType::Pointer m_SourceFitter;
  double                             m_NoiseSigma{ 0 };
  bool                               m_Aborted{ false };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSourceDetector.hxx"
#endif

#endif
