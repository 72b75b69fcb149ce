#ifndef itkGroupSparseSourceLocalizationFilter_hxx
#define itkGroupSparseSourceLocalizationFilter_hxx

#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkKernelGeometry.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>

namespace itk
{
template <typename TInputImage, typename TRealType>
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GroupSparseSourceLocalizationFilter()
{
  this->SetNumberOfRequiredOutputs(6);
  for (DataObjectPointerArraySizeType index = 2; index < 6; ++index)
  {
    this->SetNthOutput(index, this->MakeOutput(index));
  }
  this->SetBoundaryCondition(ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  this->SetCoefficientsBeyondBorder(true);
  this->SetMaximumNumberOfIterations(300);
  m_SourceFitter = SourceFitterType::New();
}

template <typename TInputImage, typename TRealType>
DataObject::Pointer
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::MakeOutput(DataObjectPointerArraySizeType index)
{
  if (index == 3)
  {
    return CoefficientImageType::New().GetPointer();
  }
  if (index == 2 || index == 4 || index == 5)
  {
    return RealImageType::New().GetPointer();
  }
  return Superclass::MakeOutput(index);
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::EffectiveGroups(unsigned int numberOfKernels) const
  -> GroupListType
{
  if (!m_Groups.empty())
  {
    return m_Groups;
  }
  GroupListType groups(numberOfKernels);
  for (unsigned int k = 0; k < numberOfKernels; ++k)
  {
    groups[k] = { k };
  }
  return groups;
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::CreateProximalOperator() const ->
  typename ProximalOperatorType::Pointer
{
  auto         prox = NonNegativeGroupL2ProximalOperator<RealType>::New();
  const auto * dictionary = this->GetDictionary();
  prox->SetGroups(
    this->EffectiveGroups(static_cast<unsigned int>(dictionary->GetLargestPossibleRegion().GetSize()[ImageDimension])));
  return prox.GetPointer();
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (!std::isfinite(m_DetectionThreshold))
  {
    itkExceptionMacro("DetectionThreshold must be finite, got " << m_DetectionThreshold);
  }
  if (!(m_MergeRadiusFactor >= 0) || !std::isfinite(m_MergeRadiusFactor))
  {
    itkExceptionMacro("MergeRadiusFactor must be finite and non-negative, got " << m_MergeRadiusFactor);
  }
  if (!std::isfinite(m_CandidateThreshold))
  {
    itkExceptionMacro("CandidateThreshold must be finite, got " << m_CandidateThreshold);
  }
  if (m_SourceFitting && m_ThresholdMode == ThresholdEnum::SignalToNoise && !(m_DetectionThreshold > 0))
  {
    itkExceptionMacro("With SourceFitting the DetectionThreshold (a signal-to-noise ratio) must be positive, got "
                      << m_DetectionThreshold);
  }
  if (!(m_MinimumContrast >= 0 && m_MinimumContrast < 1))
  {
    itkExceptionMacro("MinimumContrast must lie in [0, 1), got " << m_MinimumContrast);
  }
  if (!(m_ContrastRadiusFactor > 0) || !std::isfinite(m_ContrastRadiusFactor))
  {
    itkExceptionMacro("ContrastRadiusFactor must be finite and positive, got " << m_ContrastRadiusFactor);
  }
  for (size_t p = 0; p < m_Groups.size(); ++p)
  {
    if (m_Groups[p].empty())
    {
      itkExceptionMacro("Group " << p << " is empty: every group needs at least one kernel");
    }
  }
  // A neighbourhood wider than the image only costs memory (the neighbour grid's cells).
  const auto size = this->GetInput()->GetLargestPossibleRegion().GetSize();
  if (m_NeighborhoodRadius > *std::max_element(size.begin(), size.end()))
  {
    itkExceptionMacro("NeighborhoodRadius (" << m_NeighborhoodRadius << ") exceeds the image's largest side (" << size
                                             << ")");
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const InputImageType * input = this->GetInput();
  for (RealImageType * image : { this->GetSourceMap(), this->GetForeground(), this->GetBackground() })
  {
    image->CopyInformation(input);
    image->SetLargestPossibleRegion(input->GetLargestPossibleRegion());
  }
  const SizeValueType          K = this->GetDictionary()->GetLargestPossibleRegion().GetSize()[ImageDimension];
  const CoefficientImageType * coefficients = this->GetOutput(0);
  CoefficientImageType *       groupMaps = this->GetGroupMaps();
  groupMaps->CopyInformation(coefficients);
  auto region = coefficients->GetLargestPossibleRegion();
  region.SetSize(ImageDimension, this->EffectiveGroups(static_cast<unsigned int>(K)).size());
  groupMaps->SetLargestPossibleRegion(region);
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::PrepareKernels(const std::vector<RealType> & kernels,
                                                                            unsigned int numberOfKernels)
  -> std::vector<RealType>
{
  // Group errors name the groups, before any work is done.
  auto prox = NonNegativeGroupL2ProximalOperator<RealType>::New();
  prox->SetGroups(this->EffectiveGroups(numberOfKernels));
  prox->Validate(numberOfKernels);
  const auto                            dictionarySize = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
  typename KernelSetType::SizeArrayType size;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    size[d] = dictionarySize[d];
  }
  m_KernelSet = KernelSetType::Prepare(kernels, size, numberOfKernels, m_KernelNormalization);
  return m_KernelSet.Values;
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateAdditionalOutputs(
  const MultiChannelFourierConvolution<RealType> & op, const std::vector<RealType> & signal)
{
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType n = signal.size();
  const GroupListType groups = this->EffectiveGroups(K);
  std::vector<bool>   foreground(K, false);
  for (const auto & group : groups)
  {
    for (const unsigned int k : group)
    {
      foreground[k] = true;
    }
  }
  const RealType * x = this->GetOutput(0)->GetBufferPointer();

  auto allocate = [](auto * image) {
    image->SetBufferedRegion(image->GetLargestPossibleRegion());
    image->Allocate();
    return image->GetBufferPointer();
  };
  RealType * sourceMap = allocate(this->GetSourceMap());
  RealType * groupMaps = allocate(this->GetGroupMaps());
  std::fill_n(sourceMap, n, RealType(0));
  std::fill_n(groupMaps, n * groups.size(), RealType(0));
  for (size_t p = 0; p < groups.size(); ++p)
  {
    for (const unsigned int k : groups[p])
    {
      const RealType flux = static_cast<RealType>(m_KernelSet.FluxFactors[k]);
      for (SizeValueType i = 0; i < n; ++i)
      {
        groupMaps[p * n + i] += flux * x[k * n + i];
        sourceMap[i] += flux * x[k * n + i];
      }
    }
  }

  // Foreground by one forward transform of the foreground maps; background by linearity.
  RealType *       fg = allocate(this->GetForeground());
  RealType *       bg = allocate(this->GetBackground());
  const RealType * reconstruction = this->GetReconstruction()->GetBufferPointer();
  {
    std::vector<RealType> masked(x, x + K * n);
    for (unsigned int k = 0; k < K; ++k)
    {
      if (!foreground[k])
      {
        std::fill_n(masked.begin() + k * n, n, RealType(0));
      }
    }
    op.ApplyForward(masked.data(), fg);
  }
  for (SizeValueType i = 0; i < n; ++i)
  {
    bg[i] = reconstruction[i] - fg[i];
  }

  // Robust noise level of the residual over the pixels the data term counts.
  std::vector<double> residual;
  residual.reserve(n);
  const RealImageType * weights = this->GetWeights();
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (weights == nullptr || weights->GetBufferPointer()[i] > 0)
    {
      residual.push_back(double(signal[i]) - reconstruction[i]);
    }
  }
  m_NoiseSigma = RobustStandardDeviation(residual);
  // The residual, to which DebiasedBrightness adds each source's own model in turn.
  std::vector<RealType> residualData(n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    residualData[i] = signal[i] - reconstruction[i];
  }
  typename DetectorType::Settings settings;
  settings.NeighborhoodRadius = m_NeighborhoodRadius;
  settings.ContrastRadiusFactor = m_ContrastRadiusFactor;
  if (m_SourceFitting)
  {
    // Candidates for the fitter: every maximum above a low coefficient SNR, not merged.
    settings.Threshold = m_CandidateThreshold;
    settings.MergeRadiusFactor = 0;
    settings.DebiasBrightness = false;
  }
  else
  {
    settings.Threshold = m_DetectionThreshold;
    settings.Mode = m_ThresholdMode;
    settings.MergeRadiusFactor = m_MergeRadiusFactor;
    settings.MinimumContrast = m_MinimumContrast;
    settings.DebiasBrightness = m_DebiasBrightness;
  }
  this->DetectSources(groups, signal, residualData.data(), settings);
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::DetectSources(
  const GroupListType & groups, const std::vector<RealType> & signal, RealType * residual,
  const typename DetectorType::Settings & settings)
{
  const InputImageType *               input = this->GetInput();
  const auto                           region = input->GetLargestPossibleRegion();
  typename DetectorType::SizeArrayType size;
  typename DetectorType::PositionType  origin;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    size[d] = region.GetSize(d);
    origin[d] = static_cast<double>(region.GetIndex(d));
  }
  const DetectorType detector(m_KernelSet,
                              groups,
                              this->GetOutput(0)->GetBufferPointer(),
                              this->GetSourceMap()->GetBufferPointer(),
                              size,
                              origin,
                              m_NoiseSigma);
  m_Sources.clear();
  auto detections = detector.Detect(settings, residual);
  if (m_SourceFitting)
  {
    detections = this->FitSources(groups, signal, detections);
  }
  for (const auto & detection : detections)
  {
    Source source;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      source.Index[d] = detection.Index[d];
    }
    source.Brightness = detection.Brightness;
    source.Group = detection.Group;
    source.EffectiveSize = detection.EffectiveSize;
    source.SignalToNoise = detection.SignalToNoise;
    input->TransformContinuousIndexToPhysicalPoint(source.Index, source.Point);
    m_Sources.push_back(source);
  }
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::FitSources(
  const GroupListType & groups, const std::vector<RealType> & signal,
  const typename DetectorType::DetectionListType & candidates) -> typename DetectorType::DetectionListType
{
  const auto                                     region = this->GetInput()->GetLargestPossibleRegion();
  SourceCodingSolution<RealType, ImageDimension> solution;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    solution.Size[d] = region.GetSize(d);
    solution.Origin[d] = static_cast<double>(region.GetIndex(d));
  }
  solution.Signal = signal.data();
  solution.Weights = this->GetWeights() ? this->GetWeights()->GetBufferPointer() : nullptr;
  solution.Boundary = this->GetBoundaryCondition();
  solution.CoefficientsBeyondImage = this->GetCoefficientsBeyondBorder();
  solution.Foreground = this->GetForeground()->GetBufferPointer();
  solution.Background = this->GetBackground()->GetBufferPointer();
  const double share = this->GetSolverProgressShare();
  m_SourceFitter->SetProgressCallback([this, share](double fraction) {
    this->UpdateProgress(static_cast<float>(share + (1 - share) * fraction));
    return !this->GetAbortGenerateData();
  });
  auto fitted = FitSourcesFromCoding(*m_SourceFitter, m_KernelSet, groups, solution, candidates);
  m_SourceFitter->SetProgressCallback(nullptr);
  if (m_SourceFitter->GetAborted())
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("GroupSparseSourceLocalizationFilter aborted by the user");
    throw exception;
  }
  // Reported from the detection threshold on the fitted statistic; brightest first as fitted.
  typename DetectorType::DetectionListType kept;
  for (const auto & source : fitted)
  {
    const double statistic = m_ThresholdMode == ThresholdEnum::Absolute ? source.Brightness : source.SignalToNoise;
    if (statistic >= m_DetectionThreshold)
    {
      kept.push_back(source);
    }
  }
  return kept;
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GetSourcePointSet() const ->
  typename SourcePointSetType::Pointer
{
  auto pointSet = SourcePointSetType::New();
  for (size_t i = 0; i < m_Sources.size(); ++i)
  {
    const Source &                         source = m_Sources[i];
    typename SourcePointSetType::PointType point;
    typename SourcePointSetType::PixelType data;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      point[d] = source.Point[d];
    }
    data[0] = source.Brightness;
    data[1] = source.Group;
    data[2] = source.EffectiveSize;
    data[3] = source.SignalToNoise;
    pointSet->SetPoint(i, point);
    pointSet->SetPointData(i, data);
  }
  return pointSet;
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::WriteSourcesCSV(std::ostream &         os,
                                                                             const SourceListType & sources)
{
  const char * axes[] = { "x", "y", "z", "t" };
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    os << (d < 4 ? axes[d] : "axis") << (d >= 4 ? std::to_string(d) : std::string()) << ",";
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    os << "physical_" << (d < 4 ? axes[d] : "axis") << ",";
  }
  os << "amplitude,group,size,snr\n";
  os << std::setprecision(10);
  for (const Source & source : sources)
  {
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      os << source.Index[d] << ",";
    }
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      os << source.Point[d] << ",";
    }
    os << source.Brightness << "," << source.Group << "," << source.EffectiveSize << "," << source.SignalToNoise
       << "\n";
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Groups: " << m_Groups.size() << (m_Groups.empty() ? " (one per kernel)" : "") << std::endl;
  os << indent << "KernelNormalization: " << m_KernelNormalization << std::endl;
  os << indent << "DetectionThreshold: " << m_DetectionThreshold << std::endl;
  os << indent << "ThresholdMode: " << m_ThresholdMode << std::endl;
  os << indent << "NeighborhoodRadius: " << m_NeighborhoodRadius << std::endl;
  os << indent << "MergeRadiusFactor: " << m_MergeRadiusFactor << std::endl;
  os << indent << "MinimumContrast: " << m_MinimumContrast << std::endl;
  os << indent << "ContrastRadiusFactor: " << m_ContrastRadiusFactor << std::endl;
  os << indent << "DebiasBrightness: " << m_DebiasBrightness << std::endl;
  os << indent << "SourceFitting: " << m_SourceFitting << std::endl;
  os << indent << "CandidateThreshold: " << m_CandidateThreshold << std::endl;
  os << indent << "SourceFitter: " << m_SourceFitter.GetPointer() << std::endl;
  os << indent << "Sources: " << m_Sources.size() << std::endl;
  os << indent << "NoiseSigma: " << m_NoiseSigma << std::endl;
}
} // namespace itk

#endif
