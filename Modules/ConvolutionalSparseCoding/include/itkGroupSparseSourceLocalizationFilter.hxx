#ifndef itkGroupSparseSourceLocalizationFilter_hxx
#define itkGroupSparseSourceLocalizationFilter_hxx

#include "itkGroupSparseSourceLocalizationFilter.h"
#include <algorithm>

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
  m_Detector = DetectorType::New();
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
  Superclass::VerifyPreconditions(); // the groups are checked by PrepareKernels
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (this->GetStride()[d] != 1)
    {
      itkExceptionMacro("Source localization codes on the full pixel grid: the stride must be 1, got "
                        << this->GetStride());
    }
  }
  const auto                           size = this->GetInput()->GetLargestPossibleRegion().GetSize();
  typename DetectorType::SizeArrayType imageSize;
  std::copy(size.begin(), size.end(), imageSize.begin());
  m_Detector->Validate(imageSize);
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
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateAdditionalOutputs(const RegionSolution & solution)
{
  const GroupListType groups = this->EffectiveGroups(solution.Operator->GetNumberOfKernels());
  const SizeValueType n = solution.Region.GetNumberOfPixels();
  // Whole image: the maps are computed in the outputs. A tile: on its grown region, whose
  // core the outputs then keep (detection needs the maps around the core's edge).
  const bool            whole = Superclass::SolvesCoreOnly(solution);
  std::vector<RealType> regionValues(whole ? 0 : n * (3 + groups.size()));
  auto                  place = [&](auto * image, SizeValueType offset) {
    if (!whole)
    {
      return regionValues.data() + offset;
    }
    image->SetBufferedRegion(image->GetRequestedRegion());
    image->Allocate();
    return image->GetBufferPointer();
  };
  const SizeValueType P = groups.size();
  const RegionMaps    maps{ place(this->GetSourceMap(), 0),
                         place(this->GetGroupMaps(), n),
                         place(this->GetForeground(), (1 + P) * n),
                         place(this->GetBackground(), (2 + P) * n) };
  this->ComposeMaps(solution, groups, maps);
  this->DetectSources(solution, groups, maps); // may replace the foreground and background by the fitted ones
  if (!whole)
  {
    this->AllocateAndCopyCore(this->GetSourceMap(), solution, maps.SourceMap);
    this->AllocateAndCopyCore(this->GetForeground(), solution, maps.Foreground);
    this->AllocateAndCopyCore(this->GetBackground(), solution, maps.Background);
    this->AllocateAndCopyCore(this->GetGroupMaps(), solution, maps.GroupMaps);
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::ComposeMaps(const RegionSolution & solution,
                                                                         const GroupListType &  groups,
                                                                         const RegionMaps &     maps)
{
  const auto &        op = *solution.Operator;
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType n = solution.Region.GetNumberOfPixels();
  // The foreground by one forward transform of the foreground maps; the background by linearity.
  std::vector<RealType> foregroundMaps(K * n);
  m_KernelSet.ComposeMaps(groups, solution.Coefficients, n, maps.SourceMap, maps.GroupMaps, foregroundMaps.data());
  op.ApplyForward(foregroundMaps.data(), maps.Foreground);
  for (SizeValueType i = 0; i < n; ++i)
  {
    maps.Background[i] = solution.Reconstruction[i] - maps.Foreground[i];
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::DetectSources(const RegionSolution & solution,
                                                                           const GroupListType &  groups,
                                                                           const RegionMaps &     maps)
{
  SourceCodingSolution<RealType, ImageDimension> coding;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    coding.Size[d] = solution.Region.GetSize(d);
    coding.Origin[d] = static_cast<double>(solution.Region.GetIndex(d));
  }
  coding.Signal = solution.Signal;
  coding.Weights = solution.Weights;
  coding.Boundary = this->GetBoundaryCondition();
  coding.CoefficientsBeyondImage = this->GetCoefficientsBeyondBorder();
  coding.Reconstruction = solution.Reconstruction;
  coding.Coefficients = solution.Coefficients;
  coding.SourceMap = maps.SourceMap;
  coding.Foreground = maps.Foreground;
  coding.Background = maps.Background;
  const double share = this->GetSolverProgressShare();
  const auto   detections = m_Detector->Detect(m_KernelSet, groups, coding, [this, share](double fraction) {
    this->UpdateProgress(static_cast<float>(share + (1 - share) * fraction));
    return !this->GetAbortGenerateData();
  });
  if (m_Detector->GetAborted())
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("GroupSparseSourceLocalizationFilter aborted by the user");
    throw exception;
  }
  const InputImageType * input = this->GetInput();
  m_Sources.clear();
  for (const auto & source : LocalizeDetections(*input, detections))
  {
    if (ImageTiling<ImageDimension>::Owns(solution.Core, input->GetLargestPossibleRegion(), source.Index))
    {
      m_Sources.push_back(source);
    }
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Groups: " << m_Groups.size() << (m_Groups.empty() ? " (one per kernel)" : "") << std::endl;
  os << indent << "KernelNormalization: " << m_KernelNormalization << std::endl;
  os << indent << "SourceDetector: " << m_Detector.GetPointer() << std::endl;
  os << indent << "Sources: " << m_Sources.size() << std::endl;
}
} // namespace itk

#endif
