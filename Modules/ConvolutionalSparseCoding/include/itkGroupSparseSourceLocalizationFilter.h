#ifndef itkGroupSparseSourceLocalizationFilter_h
#define itkGroupSparseSourceLocalizationFilter_h

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkSourceLocalizationEnums.h"
#include "itkContinuousIndex.h"
#include "itkNonNegativeGroupL2ProximalOperator.h"
#include "itkPointSet.h"
#include "itkRobustStandardDeviation.h"
#include "itkSourceFittingStage.h"
#include "itkSourceMapDetector.h"
#include "itkSourceModelFitter.h"
#include "itkVector.h"
#include <array>
#include <ostream>
#include <vector>

namespace itk
{
/** \class GroupSparseSourceLocalizationFilter
 * \brief Finds point-like sources (stars, spots, cells) by convolutional group-sparse coding.
 *
 * Solves the CGSC problem
 * \f[ \min_{x \ge 0} \tfrac12 \| w \odot (\textstyle\sum_k h_k \circledast x_k - s) \|_2^2
 *     + \lambda \sum_i \sum_p \| x_{\aleph_p}[i] \|_2 \f]
 * (del Aguila Pla and Jalden, "Convolutional group-sparse coding and source localization",
 * IEEE ICASSP 2018; the CGSC paper), where the foreground groups \f$\aleph_1..\aleph_P\f$ (SetGroups) partition some of
 * the kernel indices: a source at pixel i is explained by one group of kernels (e.g. several sizes of one shape).
 * Kernels in no group are background kernels (e.g. a broad Gaussian): non-negative and not penalised, so a smooth
 * background is absorbed and not reported.
 *
 * Kernel scaling (SetKernelNormalization): by default every kernel is divided by its l1 norm
 * before solving (the paper's equal-l1 normalisation): with unit-l1 non-negative kernels a
 * coefficient is the flux it puts into the image. Unit l2 norm is the alternative (measured
 * better on the shared evaluation data, BENCHMARKS.md). Either way the maps and brightnesses
 * below are reported in flux units (coefficients times their kernel's l1 norm), so the
 * source map's sum over a source is its brightness in image units.
 *
 * Outputs, besides the base's coefficient maps (0) and reconstruction (1): 2, the source map
 * y = sum of the foreground coefficient maps (the paper's "geographical map of sources");
 * 3, the P per-group maps (an (N+1)-D image like output 0, group index along the last axis);
 * 4, the foreground reconstruction; 5, the background reconstruction.
 *
 * Detected sources (GetSources(), GetSourcePointSet(), WriteSourcesCSV()) are the local maxima
 * of y within a (2r+1)^N box (r = NeighborhoodRadius), each with: the sub-pixel position (the
 * y-weighted centroid of the box) as index and physical point; its brightness (debiased, see
 * SetDebiasBrightness; otherwise the sum of y over the box); the winning group (largest group coefficient sum over the
 * box); an effective size, sum_k alpha_k size_k with alpha_k the share of kernel k in the winning group's sum and
 * size_k the kernel's RMS radius per axis (sigma for a Gaussian); and its signal-to-noise ratio, brightness times sum_k
 * alpha_k ||h_k||_2 over the noise level, which is estimated robustly as 1.4826 times the median absolute deviation of
 * the residual s - reconstruction. A maximum is reported when its brightness (ThresholdMode Absolute) or its
 * signal-to-noise ratio (SignalToNoise, the default) reaches DetectionThreshold.
 *
 * Source fitting (SetSourceFitting, off by default): the maxima above CandidateThreshold
 * (a low coefficient signal-to-noise ratio) seed a SourceModelFitter, which fits every source
 * at a continuous position with an unshrunk amplitude, together with a background of the
 * background kernels, under a Poisson-plus-read noise model, and keeps a source when the drop
 * in chi-square it brings is at least DetectionThreshold squared. The reported sources then
 * have the fitted positions, fluxes (Brightness), kernels (Group, EffectiveSize) and
 * likelihood-ratio signal-to-noise ratios, merging and the contrast test are replaced by the
 * fitter's merge test, and outputs 4 and 5 hold the fitted foreground and background (the
 * coefficient, source and group maps stay the coding solution's). Measured on the shared star
 * fields it finds more stars with fewer false ones (BENCHMARKS.md); on textured backgrounds
 * that the background kernels cannot follow (the spot images) it does worse: there the maxima
 * of the source map are the better detector. GetSourceFitter() gives access to its settings.
 *
 * Defaults differ from the base: ZeroPadded boundary (sources near the border are not
 * wrapped around) with CoefficientsBeyondBorder on (sources and background just outside the
 * image explain what reaches into it, so the border does not light up), and 300 iterations.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TInputImage, typename TRealType = float>
class ITK_TEMPLATE_EXPORT GroupSparseSourceLocalizationFilter
  : public ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(GroupSparseSourceLocalizationFilter);

  using Self = GroupSparseSourceLocalizationFilter;
  using Superclass = ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(GroupSparseSourceLocalizationFilter, ConvolutionalSparseCodingFilterBase);

  static constexpr unsigned int ImageDimension = Superclass::ImageDimension;
  using typename Superclass::InputImageType;
  using typename Superclass::RealType;
  using typename Superclass::RealImageType;
  using typename Superclass::CoefficientImageType;
  using typename Superclass::ProximalOperatorType;
  using typename Superclass::DataObjectPointerArraySizeType;
  using ThresholdEnum = SourceLocalizationEnums::SourceThreshold;
  using NormalizationEnum = SourceLocalizationEnums::KernelNormalization;
  using GroupType = std::vector<unsigned int>;
  using GroupListType = std::vector<GroupType>;
  using PointType = typename InputImageType::PointType;
  using ContinuousIndexType = ContinuousIndex<double, ImageDimension>;

  /** One detected source. */
  struct Source
  {
    PointType           Point;
    ContinuousIndexType Index;
    double              Brightness{ 0 };
    unsigned int        Group{ 0 };
    double              EffectiveSize{ 0 };
    double              SignalToNoise{ 0 };
  };
  using SourceListType = std::vector<Source>;
  /** Point data: brightness, group, effective size, signal-to-noise ratio. */
  using SourcePointSetType = PointSet<Vector<double, 4>, ImageDimension>;

  /** Foreground groups of kernel indices: non-empty, disjoint, in range. Kernels in no group
   * are background kernels. Empty (default): every kernel is its own group. */
  void
  SetGroups(const GroupListType & groups)
  {
    m_Groups = groups;
    this->Modified();
  }
  const GroupListType &
  GetGroups() const
  {
    return m_Groups;
  }

  /** How kernels are scaled before solving (see KernelNormalization). Default L1, the paper's.
   * Whatever the choice, the source map, group maps and brightnesses are in flux units:
   * each coefficient map is multiplied by its kernel's l1 norm. */
  itkSetEnumMacro(KernelNormalization, NormalizationEnum);
  itkGetConstMacro(KernelNormalization, NormalizationEnum);

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

  /** Fit the sources (see the class description). Default off. */
  itkSetMacro(SourceFitting, bool);
  itkGetConstMacro(SourceFitting, bool);
  itkBooleanMacro(SourceFitting);
  /** With SourceFitting: the coefficient signal-to-noise ratio from which maxima become
   * candidates for the fitter. Default 1. */
  itkSetMacro(CandidateThreshold, double);
  itkGetConstMacro(CandidateThreshold, double);
  using SourceFitterType = SourceModelFitter<RealType, ImageDimension>;
  /** The fitter used with SourceFitting, for its settings (thresholds, rounds, noise model). */
  SourceFitterType *
  GetSourceFitter()
  {
    return m_SourceFitter.GetPointer();
  }

  /** Deblending contrast (as SExtractor's DEBLEND_MINCONT): a source fainter than this fraction
   * of a brighter source within ContrastRadiusFactor times their larger effective size is
   * dropped as that source's artefact (the ring of an Airy-like kernel, the misfit of a bright
   * core). Brightness is compared after merging. 0 (default) keeps every source. */
  itkSetMacro(MinimumContrast, double);
  itkGetConstMacro(MinimumContrast, double);
  /** Default 4. */
  itkSetMacro(ContrastRadiusFactor, double);
  itkGetConstMacro(ContrastRadiusFactor, double);

  RealImageType *
  GetSourceMap()
  {
    return dynamic_cast<RealImageType *>(this->ProcessObject::GetOutput(2));
  }
  CoefficientImageType *
  GetGroupMaps()
  {
    return dynamic_cast<CoefficientImageType *>(this->ProcessObject::GetOutput(3));
  }
  RealImageType *
  GetForeground()
  {
    return dynamic_cast<RealImageType *>(this->ProcessObject::GetOutput(4));
  }
  RealImageType *
  GetBackground()
  {
    return dynamic_cast<RealImageType *>(this->ProcessObject::GetOutput(5));
  }

  /** Sources of the last update, brightest first. */
  const SourceListType &
  GetSources() const
  {
    return m_Sources;
  }
  /** The sources as a point set (physical points) with their data. */
  typename SourcePointSetType::Pointer
  GetSourcePointSet() const;
  /** The robust noise level of the last update. */
  double
  GetNoiseSigma() const
  {
    return m_NoiseSigma;
  }
  /** Per kernel: l2 norm when scaled to unit l1 norm, and RMS radius. */
  const std::vector<double> &
  GetKernelL2Norms() const
  {
    return m_KernelSet.L2Norms;
  }
  /** Per kernel: the l1 norm of the kernel as solved (the coefficient-to-flux factor). */
  const std::vector<double> &
  GetKernelFluxFactors() const
  {
    return m_KernelSet.FluxFactors;
  }
  const std::vector<double> &
  GetKernelSizes() const
  {
    return m_KernelSet.Sizes;
  }

  /** CSV with a header: x, y[, z...] (index coordinates), physical coordinates, amplitude
   * (brightness), group, size, snr. */
  static void
  WriteSourcesCSV(std::ostream & os, const SourceListType & sources);

  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

protected:
  GroupSparseSourceLocalizationFilter();
  ~GroupSparseSourceLocalizationFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  typename ProximalOperatorType::Pointer
  CreateProximalOperator() const override;
  void
  VerifyPreconditions() ITKv5_CONST override;
  void
  GenerateOutputInformation() override;
  /** Validates the groups and scales the kernels (KernelNormalization); keeps the kernel set. */
  std::vector<RealType>
  PrepareKernels(const std::vector<RealType> & kernels, unsigned int numberOfKernels) override;
  void
  GenerateAdditionalOutputs(const MultiChannelFourierConvolution<RealType> & op,
                            const std::vector<RealType> &                    signal) override;

private:
  using KernelSetType = SourceKernelSet<RealType, ImageDimension>;
  using DetectorType = SourceMapDetector<RealType, ImageDimension>;

  /** The groups in use: the given ones, or one per kernel. */
  GroupListType
  EffectiveGroups(unsigned int numberOfKernels) const;
  /** The source map's sources (SourceMapDetector), fitted with SourceFitting, into m_Sources
   * with physical points. */
  void
  DetectSources(const GroupListType & groups, const std::vector<RealType> & signal, RealType * residual,
                const typename DetectorType::Settings & settings);
  /** The fitting stage (FitSourcesFromCoding) from the candidates: the fitted sources that pass
   * the detection threshold; outputs 4 and 5 become the fitted foreground and background. */
  typename DetectorType::DetectionListType
  FitSources(const GroupListType & groups, const std::vector<RealType> & signal,
             const typename DetectorType::DetectionListType & candidates);
  double
  GetSolverProgressShare() const override
  {
    return m_SourceFitting ? 0.6 : 1.0;
  }
  GroupListType                      m_Groups;
  NormalizationEnum                  m_KernelNormalization{ NormalizationEnum::L1 };
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
  SourceListType                     m_Sources;
  double                             m_NoiseSigma{ 0 };
  KernelSetType                      m_KernelSet;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkGroupSparseSourceLocalizationFilter.hxx"
#endif

#endif
