#ifndef itkMultiLayerConvolutionalSparseCodingImageFilter_hxx
#define itkMultiLayerConvolutionalSparseCodingImageFilter_hxx

#include "itkMultiLayerConvolutionalSparseCodingImageFilter.h"
#include "itkScopedObserver.h"
#include "itkFilterInputChecks.h"
#include "itkL1ProximalOperator.h"
#include "itkMemoryEstimate.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <cmath>

namespace itk
{
template <typename TInputImage, typename TRealType>
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::MultiLayerConvolutionalSparseCodingImageFilter()
{
  this->SetNumberOfRequiredInputs(1);
  this->SetNumberOfRequiredOutputs(1);
  this->SetNthOutput(0, this->MakeOutput(0));
}

template <typename TInputImage, typename TRealType>
DataObject::Pointer
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::MakeOutput(DataObjectPointerArraySizeType)
{
  return CoefficientImageType::New().GetPointer();
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::SetDictionary(
  unsigned int layer, const DictionaryImageType * dictionary)
{
  if (layer > m_NumberOfLayers)
  {
    itkExceptionMacro("Dictionary " << layer << " given before dictionary " << m_NumberOfLayers
                                    << ": give the layers in order, from the first (0)");
  }
  if (dictionary == nullptr)
  {
    itkExceptionMacro("Dictionary " << layer << " is null");
  }
  this->ProcessObject::SetNthInput(layer + 1, const_cast<DictionaryImageType *>(dictionary));
  if (layer == m_NumberOfLayers)
  {
    ++m_NumberOfLayers;
    this->SetNumberOfRequiredInputs(m_NumberOfLayers + 1);
    this->SetNumberOfIndexedOutputs(2 * m_NumberOfLayers);
    this->SetNumberOfRequiredOutputs(2 * m_NumberOfLayers);
    for (unsigned int index = 0; index < 2 * m_NumberOfLayers; ++index)
    {
      if (this->ProcessObject::GetOutput(index) == nullptr)
      {
        this->SetNthOutput(index, this->MakeOutput(index));
      }
    }
  }
  this->Modified();
}

template <typename TInputImage, typename TRealType>
auto
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GetDictionary(unsigned int layer) const
  -> const DictionaryImageType *
{
  return dynamic_cast<const DictionaryImageType *>(this->ProcessObject::GetInput(layer + 1));
}

template <typename TInputImage, typename TRealType>
auto
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GetLayerCoefficients(unsigned int layer)
  -> CoefficientImageType *
{
  return dynamic_cast<CoefficientImageType *>(this->ProcessObject::GetOutput(layer));
}

template <typename TInputImage, typename TRealType>
auto
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GetEffectiveDictionary(unsigned int layer)
  -> CoefficientImageType *
{
  return dynamic_cast<CoefficientImageType *>(this->ProcessObject::GetOutput(m_NumberOfLayers + layer));
}

template <typename TInputImage, typename TRealType>
unsigned int
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GetIteration() const
{
  const auto * solver = m_PursuitObject ? m_PursuitObject->GetCurrentSolver() : nullptr;
  return solver ? solver->GetIteration() : 0;
}

template <typename TInputImage, typename TRealType>
double
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GetObjective() const
{
  const auto * solver = m_PursuitObject ? m_PursuitObject->GetCurrentSolver() : nullptr;
  return solver ? solver->GetObjective() : 0.0;
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (m_NumberOfLayers == 0)
  {
    itkExceptionMacro("No dictionary: give at least the first layer's (SetDictionary(0, d))");
  }
  if (m_Lambdas.size() != m_NumberOfLayers)
  {
    itkExceptionMacro("There are " << m_Lambdas.size() << " lambdas for " << m_NumberOfLayers
                                   << " layers: give one per layer");
  }
  for (size_t j = 0; j < m_Lambdas.size(); ++j)
  {
    if (!(m_Lambdas[j] >= 0) || !std::isfinite(m_Lambdas[j]))
    {
      itkExceptionMacro("The lambda of layer " << j + 1 << " must be finite and non-negative, got " << m_Lambdas[j]);
    }
  }
  if (m_MaximumNumberOfIterations == 0)
  {
    itkExceptionMacro("MaximumNumberOfIterations must be at least 1");
  }
  if (!(m_RelativeTolerance >= 0))
  {
    itkExceptionMacro("RelativeTolerance must be non-negative, got " << m_RelativeTolerance);
  }
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::VerifyInputInformation() ITKv5_CONST
{
  // The dictionaries live outside the image's physical space; their shapes must chain.
  const auto imageSize = this->GetInput()->GetLargestPossibleRegion().GetSize();
  for (unsigned int j = 0; j < m_NumberOfLayers; ++j)
  {
    const auto size = this->GetDictionary(j)->GetLargestPossibleRegion().GetSize();
    const auto channels = size[ImageDimension];
    const auto expected =
      j == 0 ? SizeValueType(1) : this->GetDictionary(j - 1)->GetLargestPossibleRegion().GetSize()[ImageDimension + 1];
    if (channels != expected)
    {
      itkExceptionMacro("The layers do not chain: dictionary "
                        << j + 1 << " (" << size << ") has " << channels << " channels, but "
                        << (j == 0
                              ? std::string("the image has 1")
                              : "dictionary " + std::to_string(j) + " has " + std::to_string(expected) + " kernels"));
    }
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      if (size[d] == 0 || size[d] > imageSize[d])
      {
        itkExceptionMacro("Dictionary " << j + 1 << "'s kernels (" << size[d] << " pixels along axis " << d
                                        << ") must be non-empty and no larger than the image (" << imageSize[d] << ")");
      }
    }
    if (size[ImageDimension + 1] == 0)
    {
      itkExceptionMacro("Dictionary " << j + 1 << " is empty: it needs at least one kernel");
    }
  }
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GenerateOutputInformation()
{
  const InputImageType * input = this->GetInput();
  const auto             inputRegion = input->GetLargestPossibleRegion();
  std::vector<size_t>    effective(ImageDimension, 1);
  for (unsigned int j = 0; j < m_NumberOfLayers; ++j)
  {
    const auto          size = this->GetDictionary(j)->GetLargestPossibleRegion().GetSize();
    const SizeValueType K = size[ImageDimension + 1];

    CoefficientImageType *                       maps = this->GetLayerCoefficients(j);
    typename CoefficientImageType::RegionType    region;
    typename CoefficientImageType::SpacingType   spacing;
    typename CoefficientImageType::PointType     origin;
    typename CoefficientImageType::DirectionType direction;
    direction.SetIdentity();
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      region.SetIndex(d, inputRegion.GetIndex(d));
      region.SetSize(d, inputRegion.GetSize(d));
      spacing[d] = input->GetSpacing()[d];
      origin[d] = input->GetOrigin()[d];
      for (unsigned int e = 0; e < ImageDimension; ++e)
      {
        direction(d, e) = input->GetDirection()(d, e);
      }
    }
    region.SetIndex(ImageDimension, 0);
    region.SetSize(ImageDimension, K);
    spacing[ImageDimension] = 1.0;
    origin[ImageDimension] = 0.0;
    maps->SetLargestPossibleRegion(region);
    maps->SetSpacing(spacing);
    maps->SetOrigin(origin);
    maps->SetDirection(direction);

    // The effective kernels' size: as MultiLayerKernelComposition::Compose() makes them.
    typename CoefficientImageType::RegionType kernelRegion;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      effective[d] = j == 0 ? size[d] : MultiLayerKernelComposition::ComposedSize(effective[d], size[d]);
      kernelRegion.SetSize(d, effective[d]);
    }
    kernelRegion.SetSize(ImageDimension, K);
    CoefficientImageType * dictionary = this->GetEffectiveDictionary(j);
    dictionary->SetLargestPossibleRegion(kernelRegion);
    dictionary->SetSpacing(typename CoefficientImageType::SpacingType(1.0));
    dictionary->SetOrigin(typename CoefficientImageType::PointType());
    dictionary->SetDirection(direction.GetIdentity());
  }
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GenerateInputRequestedRegion()
{
  for (DataObjectPointerArraySizeType i = 0; i < this->GetNumberOfIndexedInputs(); ++i)
  {
    if (DataObject * input = this->ProcessObject::GetInput(i))
    {
      input->SetRequestedRegionToLargestPossibleRegion();
    }
  }
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::EnlargeOutputRequestedRegion(
  DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TInputImage, typename TRealType>
auto
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::ReadLayerKernels(unsigned int layer) const
  -> LayerKernels
{
  const DictionaryImageType * dictionary = this->GetDictionary(layer);
  const auto                  size = dictionary->GetLargestPossibleRegion().GetSize();
  LayerKernels                kernels;
  kernels.Size.assign(size.begin(), size.begin() + ImageDimension);
  kernels.Channels = static_cast<unsigned int>(size[ImageDimension]);
  kernels.Maps = static_cast<unsigned int>(size[ImageDimension + 1]);
  const size_t block = kernels.Channels * kernels.Taps();
  kernels.Values.assign(dictionary->GetBufferPointer(), dictionary->GetBufferPointer() + kernels.Maps * block);
  CheckKernels(kernels.Values, kernels.Maps, block, "dictionary " + std::to_string(layer + 1));
  return kernels;
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::FillOutput(DataObjectPointerArraySizeType index,
                                                                                   const std::vector<RealType> & values)
{
  auto * output = dynamic_cast<CoefficientImageType *>(this->ProcessObject::GetOutput(index));
  output->SetBufferedRegion(output->GetLargestPossibleRegion());
  output->Allocate();
  std::copy(values.begin(), values.end(), output->GetBufferPointer());
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::GenerateData()
{
  const auto                imageRegion = this->GetInput()->GetLargestPossibleRegion();
  std::vector<LayerKernels> kernels, effective;
  double                    totalMaps = 0;
  for (unsigned int j = 0; j < m_NumberOfLayers; ++j)
  {
    kernels.push_back(this->ReadLayerKernels(j));
    effective.push_back(j == 0 ? kernels[0] : MultiLayerKernelComposition::Compose(effective.back(), kernels[j]));
    totalMaps += kernels[j].Maps + kernels[j].Channels;
  }
  // ZeroPadded: one domain for the whole chain, the deepest effective kernel's pad.
  const bool                                        padded = m_BoundaryCondition == BoundaryEnum::ZeroPadded;
  typename PursuitType::LayerOperatorType::SizeType imageSize(ImageDimension), kernelSize(ImageDimension);
  double                                            domain = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    imageSize[d] = imageRegion.GetSize(d);
    domain *= double(imageRegion.GetSize(d) + (padded ? effective.back().Size[d] : 0));
  }
  std::ostringstream what;
  what << "Multi-layer sparse coding with " << totalMaps << " maps and channels on a " << imageRegion.GetSize()
       << " image";
  // Per layer about five domain buffers per map or channel (iterate, extrapolation, work,
  // spectra), plus the outputs.
  CheckMemoryEstimate(sizeof(RealType) * (domain * 5.0 * totalMaps + totalMaps * imageRegion.GetNumberOfPixels()),
                      what.str());

  typename PursuitType::LayerList layers;
  for (unsigned int j = 0; j < m_NumberOfLayers; ++j)
  {
    const LayerKernels used =
      padded ? MultiLayerKernelComposition::Embed(kernels[j], effective.back().Size) : kernels[j];
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      kernelSize[d] = used.Size[d];
    }
    layers.push_back(PursuitType::LayerOperatorType::Create(
                       imageSize, used.Values.data(), kernelSize, used.Maps, used.Channels, m_BoundaryCondition)
                       .GetPointer());
  }

  m_PursuitObject = PursuitType::New();
  PursuitType & pursuit = *m_PursuitObject;
  pursuit.SetLayers(layers);
  pursuit.SetLambdas(m_Lambdas);
  pursuit.SetPursuit(m_Pursuit);
  if (m_Nonnegative)
  {
    pursuit.SetProximalOperator(NonNegativeL1ProximalOperator<RealType>::New());
  }
  else
  {
    pursuit.SetProximalOperator(L1ProximalOperator<RealType>::New());
  }
  pursuit.SetMaximumNumberOfIterations(m_MaximumNumberOfIterations);
  pursuit.SetRelativeTolerance(m_RelativeTolerance);
  pursuit.SetSignal(ReadFiniteImage<RealType>(this->GetInput()).data());
  bool aborted = false;
  // The observer captures this update's locals: it leaves with the update, however it ends.
  const ScopedObserver observer(pursuit, IterationEvent(), [&](const EventObject &) {
    this->InvokeEvent(IterationEvent());
    this->UpdateProgress(static_cast<float>(0.99 * pursuit.GetProgress()));
    if (this->GetAbortGenerateData())
    {
      aborted = true;
      pursuit.Stop();
    }
  });
  pursuit.Run();
  if (aborted)
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("MultiLayerConvolutionalSparseCoding aborted by the user");
    throw exception;
  }
  for (unsigned int j = 0; j < m_NumberOfLayers; ++j)
  {
    this->FillOutput(j, pursuit.GetLayerMaps(j + 1));
    this->FillOutput(m_NumberOfLayers + j, effective[j].Values);
  }
  this->UpdateProgress(1.0f);
}

template <typename TInputImage, typename TRealType>
void
MultiLayerConvolutionalSparseCodingImageFilter<TInputImage, TRealType>::PrintSelf(std::ostream & os,
                                                                                  Indent         indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfLayers: " << m_NumberOfLayers << std::endl;
  os << indent << "Lambdas:";
  for (double lambda : m_Lambdas)
  {
    os << " " << lambda;
  }
  os << std::endl;
  os << indent << "Pursuit: " << m_Pursuit << std::endl;
  os << indent << "Nonnegative: " << m_Nonnegative << std::endl;
  os << indent << "BoundaryCondition: " << m_BoundaryCondition << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
}
} // namespace itk

#endif
