#ifndef itkSourceMapDetector_h
#define itkSourceMapDetector_h

#include "itkKernelGeometry.h"
#include "itkSourceLocalizationEnums.h"
#include "itkSourceNeighbourhood.h"
#include <array>
#include <vector>

namespace itk
{
/** \class SourceKernelSet
 * \brief The kernels of source localization as solved, with what detection needs of each:
 * the l1 norm (coefficient-to-flux factor), the l2 norm at unit l1 norm, the RMS radius and
 * the centroid offset from the centre tap. Prepare() scales the kernels as asked and returns
 * the set; the filter solves with its Values.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
struct SourceKernelSet
{
  using SizeArrayType = std::array<SizeValueType, VDimension>;
  using NormalizationEnum = SourceLocalizationEnums::KernelNormalization;

  std::vector<TReal>                          Values;
  SizeValueType                               Taps{ 0 };
  SizeArrayType                               Size{};
  std::vector<double>                         FluxFactors;
  std::vector<double>                         L2Norms;
  std::vector<double>                         Sizes;
  std::vector<std::array<double, VDimension>> Offsets;

  /** \c count kernels of \c size taps (one after another, x fastest), scaled to unit l1 or l2
   * norm or kept as given. */
  static SourceKernelSet
  Prepare(const std::vector<TReal> & kernels, const SizeArrayType & size, unsigned int count,
          NormalizationEnum normalization);

  /** From K coefficient maps \c x of \c n pixels each (one after another), in flux units: the
   * source map (the sum over the groups' kernels), the P group maps (one after another), and the
   * foreground maps (\c x with the background kernels' maps zero). */
  void
  ComposeMaps(const std::vector<std::vector<unsigned int>> & groups, const TReal * x, SizeValueType n,
              TReal * sourceMap, TReal * groupMaps, TReal * foregroundMaps) const;

  unsigned int
  GetNumberOfKernels() const
  {
    return static_cast<unsigned int>(FluxFactors.size());
  }
  /** visit(imageOffset, tapValue) for every tap of kernel k placed at pixel \c anchor that lands
   * in an image of \c imageSize pixels. */
  template <typename TVisit>
  void
  ForEachTap(unsigned int k, const std::array<long, VDimension> & anchor, const SizeArrayType & imageSize,
             TVisit && visit) const
  {
    const TReal * h = Values.data() + k * Taps;
    ForEachKernelTapInImage<VDimension>(
      anchor, Size, imageSize, [&](SizeValueType offset, SizeValueType t) { visit(offset, h[t]); });
  }
};

/** \class SourceMapDetector
 * \brief Detects sources in the solution of the group-sparse coding problem: the local maxima
 * of the source map y (the sum of the foreground maps in flux units), each measured, merged,
 * thresholded and cleared of deblending artefacts.
 *
 * Each maximum of y over a (2r+1)^N box is measured on that box: the position is the centroid
 * of the light its coefficients put into the image (each coefficient at its pixel plus its
 * kernel's centroid offset); the brightness the sum of y (or, debiased, the least-squares flux
 * of the group's dominant kernel on the residual plus the source's own model); the group the
 * one with the largest coefficient sum; the effective size sum_k alpha_k size_k and the
 * signal-to-noise ratio brightness sum_k alpha_k ||h_k||_2 / sigma, alpha_k the share of kernel
 * k in the group's sum. Maxima closer to a brighter one than MergeRadiusFactor times their
 * larger size join it; sources below the threshold leave; with MinimumContrast, a source fainter
 * than that fraction of a brighter one within ContrastRadiusFactor times their larger size is
 * dropped (SExtractor's DEBLEND_MINCONT: Bertin and Arnouts, "SExtractor: Software for source
 * extraction", Astron. Astrophys. Suppl. Ser. 117, 1996).
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
class SourceMapDetector
{
public:
  using KernelSetType = SourceKernelSet<TReal, VDimension>;
  using SizeArrayType = std::array<SizeValueType, VDimension>;
  using PositionType = std::array<double, VDimension>;
  using GroupListType = std::vector<std::vector<unsigned int>>;
  using ThresholdEnum = SourceLocalizationEnums::SourceThreshold;

  /** A detected source; Index in the image's index space (the region's index added). */
  struct Detection
  {
    PositionType Index{};
    double       Brightness{ 0 };
    unsigned int Group{ 0 };
    double       EffectiveSize{ 0 };
    double       SignalToNoise{ 0 };
  };
  using DetectionListType = std::vector<Detection>;

  struct Settings
  {
    double        Threshold{ 5.0 };
    ThresholdEnum Mode{ ThresholdEnum::SignalToNoise };
    unsigned int  NeighborhoodRadius{ 1 };
    double        MergeRadiusFactor{ 1.0 };
    double        MinimumContrast{ 0.0 };
    double        ContrastRadiusFactor{ 4.0 };
    bool          DebiasBrightness{ true };
  };

  /** The coding solution: K coefficient maps (image-sized, one after another), the source map,
   * the image grid and the index of its first pixel, and the robust noise level. Arrays must
   * outlive the detector. */
  SourceMapDetector(const KernelSetType & kernels, const GroupListType & groups, const TReal * coefficients,
                    const TReal * sourceMap, const SizeArrayType & size, const PositionType & origin,
                    double noiseSigma);

  /** Sources brightest first. \c residual (the image minus the reconstruction) is used for
   * debiasing and left as it was. */
  DetectionListType
  Detect(const Settings & settings, TReal * residual) const;

private:
  /** The maxima, measured, brightest first. */
  DetectionListType
  FindMaxima(const Settings & settings, TReal * residual) const;
  Detection
  Measure(const std::vector<SizeValueType> & box, const Settings & settings, TReal * residual) const;
  /** Sum over the box of kernel k's coefficients in flux units. */
  double
  FluxInBox(unsigned int k, const std::vector<SizeValueType> & box) const;
  double
  DebiasedBrightness(const std::vector<unsigned int> & group, const std::vector<SizeValueType> & box,
                     const PositionType & position, TReal * residual) const;
  static DetectionListType
  Merge(const DetectionListType & maxima, const SizeArrayType & size, const Settings & settings);
  static DetectionListType
  RemoveContrastArtefacts(const DetectionListType & sources, const SizeArrayType & size, double minimumContrast,
                          double radiusFactor);
  /** visit(index) for every source of \c added (indexed by \c grid) within radiusFactor times the
   * larger size of \c source. */
  template <typename TVisit>
  static void
  ForEachInReach(const SourcePointGrid<VDimension> & grid, double cell, const Detection & source,
                 const DetectionListType & added, double radiusFactor, TVisit && visit);
  static double
  GridCellFor(const DetectionListType & sources, double radiusFactor);

  const KernelSetType & m_Kernels;
  const GroupListType & m_Groups;
  const TReal *         m_Coefficients;
  const TReal *         m_SourceMap;
  SizeArrayType         m_Size;
  SizeValueType         m_NumberOfPixels{ 1 };
  PositionType          m_Origin;
  double                m_NoiseSigma;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSourceMapDetector.hxx"
#endif

#endif
