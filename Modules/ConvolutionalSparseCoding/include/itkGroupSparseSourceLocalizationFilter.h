#ifndef itkGroupSparseSourceLocalizationFilter_h
#define itkGroupSparseSourceLocalizationFilter_h

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkSourceLocalizationEnums.h"
#include "itkNonNegativeGroupL2ProximalOperator.h"
#include "itkSourceDetector.h"
#include "itkSourceList.h"
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
 * Detected sources (GetSources(), GetSourcePointSet(), WriteSourcesCSV()) come from the
 * detection stage, GetSourceDetector() (SourceDetector, which documents its settings):
 * the local maxima of y within a (2r+1)^N box, each with its sub-pixel position as index and
 * physical point, brightness, winning group, effective size (sum_k alpha_k size_k, alpha_k the
 * share of kernel k in the winning group's sum, size_k the kernel's RMS radius) and
 * signal-to-noise ratio against the robust noise level of the residual; or, with the
 * detector's SourceFitting, the sources a SourceModelFitter fits from those maxima (then outputs
 * 4 and 5 hold the fitted foreground and background; the coefficient, source and group maps
 * stay the coding solution's).
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
  using NormalizationEnum = SourceLocalizationEnums::KernelNormalization;
  using GroupType = std::vector<unsigned int>;
  using GroupListType = std::vector<GroupType>;

  using Source = LocalizedSource<ImageDimension>;
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

  using DetectorType = SourceDetector<RealType, ImageDimension>;
  /** The detection stage, for its settings (threshold, neighbourhood, merging, contrast,
   * debiasing, source fitting and the fitter's own). */
  DetectorType *
  GetSourceDetector()
  {
    return m_Detector.GetPointer();
  }

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

  /** Sources of the last update, brightest first; when streamed, those of the last requested
   * region (its core), which a tiled driver gathers tile by tile. */
  const SourceListType &
  GetSources() const
  {
    return m_Sources;
  }
  /** The sources as a point set (physical points) with their data. */
  typename SourcePointSetType::Pointer
  GetSourcePointSet() const
  {
    return MakeSourcePointSet<ImageDimension>(m_Sources);
  }
  /** The sources as rows of numbers (one per source, columns as GetSourceTableColumns()): the
   * form Python gets, numpy.array(filter.GetSourceTable()). */
  std::vector<std::vector<double>>
  GetSourceTable() const
  {
    return MakeSourceTable<ImageDimension>(m_Sources);
  }
  static std::vector<std::string>
  GetSourceTableColumns()
  {
    return SourceTableColumns<ImageDimension>();
  }
  /** The robust noise level of the last update. */
  double
  GetNoiseSigma() const
  {
    return m_Detector->GetNoiseSigma();
  }
  using KernelSetType = SourceKernelSet<RealType, ImageDimension>;
  /** The kernels as solved in the last update, with per kernel the l1 norm (the
   * coefficient-to-flux factor), the l2 norm at unit l1 norm and the RMS radius. */
  const KernelSetType &
  GetKernelSet() const
  {
    return m_KernelSet;
  }

  /** CSV with a header: x, y[, z...] (index coordinates), physical coordinates, amplitude
   * (brightness), group, size, snr. */
  static void
  WriteSourcesCSV(std::ostream & os, const SourceListType & sources)
  {
    WriteSourceListCSV<ImageDimension>(os, sources);
  }

  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

  /** The coding solve's estimate plus the maps, the detector and (when on) the fitter: about 16
   * and 50 values per pixel of the region, measured (BENCHMARKS.md, "Memory budget"). */
  double
  EstimateSolveBytes(const typename Superclass::ImageRegionType & region) const override
  {
    const double perPixel = m_Detector->GetSourceFitting() ? 50.0 : 16.0;
    return Superclass::EstimateSolveBytes(region) + sizeof(RealType) * perPixel * double(region.GetNumberOfPixels());
  }

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
  using typename Superclass::RegionSolution;
  void
  GenerateAdditionalOutputs(const RegionSolution & solution) override;

private:
  /** The groups in use: the given ones, or one per kernel. */
  GroupListType
  EffectiveGroups(unsigned int numberOfKernels) const;
  /** The maps on the solved region: the source map, the group maps, the foreground and the
   * background. */
  struct RegionMaps
  {
    RealType * SourceMap;
    RealType * GroupMaps;
    RealType * Foreground;
    RealType * Background;
  };
  /** The source and group maps from the coefficients; the foreground and background. */
  void
  ComposeMaps(const RegionSolution & solution, const GroupListType & groups, const RegionMaps & maps);
  /** The detector's sources on the solved region, with physical points, into m_Sources: those
   * the core owns (ImageTiling::Owns), so tiles' lists join without duplicates. */
  void
  DetectSources(const RegionSolution & solution, const GroupListType & groups, const RegionMaps & maps);
  double
  GetSolverProgressShare() const override
  {
    return m_Detector->GetSourceFitting() ? 0.6 : 1.0;
  }

  GroupListType                  m_Groups;
  NormalizationEnum              m_KernelNormalization{ NormalizationEnum::L1 };
  typename DetectorType::Pointer m_Detector;
  SourceListType                 m_Sources;
  KernelSetType                  m_KernelSet;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkGroupSparseSourceLocalizationFilter.hxx"
#endif

#endif
