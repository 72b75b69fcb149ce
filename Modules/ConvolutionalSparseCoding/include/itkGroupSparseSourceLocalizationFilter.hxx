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
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateAdditionalOutputs(
  const MultiChannelFourierConvolution<RealType> & op, const std::vector<RealType> & signal)
{
  const GroupListType groups = this->EffectiveGroups(op.GetNumberOfKernels());
  this->ComposeMaps(op, groups);
  this->DetectSources(groups, signal);
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::ComposeMaps(
  const MultiChannelFourierConvolution<RealType> & op, const GroupListType & groups)
{
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType n = this->GetInput()->GetLargestPossibleRegion().GetNumberOfPixels();
  const RealType *    x = this->GetOutput(0)->GetBufferPointer();
  auto                allocate = [](auto * image) {
    image->SetBufferedRegion(image->GetLargestPossibleRegion());
    image->Allocate();
    return image->GetBufferPointer();
  };
  // The foreground by one forward transform of the foreground maps; the background by linearity.
  std::vector<RealType> foregroundMaps(K * n);
  m_KernelSet.ComposeMaps(
    groups, x, n, allocate(this->GetSourceMap()), allocate(this->GetGroupMaps()), foregroundMaps.data());
  RealType *       fg = allocate(this->GetForeground());
  RealType *       bg = allocate(this->GetBackground());
  const RealType * reconstruction = this->GetReconstruction()->GetBufferPointer();
  op.ApplyForward(foregroundMaps.data(), fg);
  for (SizeValueType i = 0; i < n; ++i)
  {
    bg[i] = reconstruction[i] - fg[i];
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::DetectSources(const GroupListType &         groups,
                                                                           const std::vector<RealType> & signal)
{
  const InputImageType *                         input = this->GetInput();
  const auto                                     region = input->GetLargestPossibleRegion();
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
  solution.Reconstruction = this->GetReconstruction()->GetBufferPointer();
  solution.Coefficients = this->GetOutput(0)->GetBufferPointer();
  solution.SourceMap = this->GetSourceMap()->GetBufferPointer();
  solution.Foreground = this->GetForeground()->GetBufferPointer();
  solution.Background = this->GetBackground()->GetBufferPointer();
  const double share = this->GetSolverProgressShare();
  const auto   detections = m_Detector->Detect(m_KernelSet, groups, solution, [this, share](double fraction) {
    this->UpdateProgress(static_cast<float>(share + (1 - share) * fraction));
    return !this->GetAbortGenerateData();
  });
  if (m_Detector->GetAborted())
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("GroupSparseSourceLocalizationFilter aborted by the user");
    throw exception;
  }
  m_Sources = LocalizeDetections(*input, detections);
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
