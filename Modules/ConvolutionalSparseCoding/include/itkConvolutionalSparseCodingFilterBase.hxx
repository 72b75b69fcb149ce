#ifndef itkConvolutionalSparseCodingFilterBase_hxx
#define itkConvolutionalSparseCodingFilterBase_hxx

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkSparseCodingSolverFactory.h"
#include "itkFilterInputChecks.h"
#include "itkImageAlgorithm.h"
#include <cmath>

namespace itk
{
template <typename TInputImage, typename TRealType>
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::ConvolutionalSparseCodingFilterBase()
{
  this->SetNumberOfRequiredInputs(1);
  this->AddRequiredInputName("Dictionary");
  this->AddOptionalInputName("Weights");
  this->AddOptionalInputName("InitialCoefficients");
  this->SetNumberOfRequiredOutputs(2);
  this->SetNthOutput(0, this->MakeOutput(0));
  this->SetNthOutput(1, this->MakeOutput(1));
}

template <typename TInputImage, typename TRealType>
DataObject::Pointer
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::MakeOutput(DataObjectPointerArraySizeType index)
{
  if (index == 1)
  {
    return RealImageType::New().GetPointer();
  }
  return CoefficientImageType::New().GetPointer();
}

template <typename TInputImage, typename TRealType>
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GetReconstruction() -> RealImageType *
{
  return dynamic_cast<RealImageType *>(this->ProcessObject::GetOutput(1));
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  if (!(m_Lambda >= 0) || !std::isfinite(m_Lambda))
  {
    itkExceptionMacro("Lambda must be finite and non-negative, got " << m_Lambda);
  }
  if (m_MaximumNumberOfIterations == 0)
  {
    itkExceptionMacro("MaximumNumberOfIterations must be at least 1");
  }
  if (!(m_RelativeTolerance >= 0))
  {
    itkExceptionMacro("RelativeTolerance must be non-negative, got " << m_RelativeTolerance);
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (m_Stride[d] == 0)
    {
      itkExceptionMacro("The stride along axis " << d << " is 0: it must be at least 1");
    }
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::VerifyInputInformation() ITKv5_CONST
{
  const auto * input = this->GetInput();
  const auto * weights = this->GetWeights();
  if (weights != nullptr &&
      weights->GetLargestPossibleRegion().GetSize() != input->GetLargestPossibleRegion().GetSize())
  {
    itkExceptionMacro("The weight image (" << weights->GetLargestPossibleRegion().GetSize()
                                           << ") must have the size of the input image ("
                                           << input->GetLargestPossibleRegion().GetSize() << ")");
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (m_Stride[d] > input->GetLargestPossibleRegion().GetSize(d))
    {
      itkExceptionMacro("The stride along axis " << d << " (" << m_Stride[d] << ") is larger than the image ("
                                                 << input->GetLargestPossibleRegion().GetSize(d) << " pixels)");
    }
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateOutputInformation()
{
  const InputImageType * input = this->GetInput();
  const auto *           dictionary = this->GetDictionary();
  const auto             inputRegion = input->GetLargestPossibleRegion();
  const SizeValueType    K = dictionary->GetLargestPossibleRegion().GetSize()[ImageDimension];

  typename CoefficientImageType::RegionType    region;
  typename CoefficientImageType::SpacingType   spacing;
  typename CoefficientImageType::PointType     origin;
  typename CoefficientImageType::DirectionType direction;
  direction.SetIdentity();
  // With a stride, the coarse grid starts at index 0 at the image's first pixel.
  const bool strided = std::any_of(m_Stride.Begin(), m_Stride.End(), [](unsigned int f) { return f > 1; });
  typename InputImageType::PointType first;
  input->TransformIndexToPhysicalPoint(inputRegion.GetIndex(), first);
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    const SizeValueType stride = std::max(1u, m_Stride[d]);
    region.SetIndex(d, strided ? 0 : inputRegion.GetIndex(d));
    region.SetSize(d, (inputRegion.GetSize(d) + stride - 1) / stride);
    spacing[d] = input->GetSpacing()[d] * stride;
    origin[d] = strided ? first[d] : input->GetOrigin()[d];
    for (unsigned int e = 0; e < ImageDimension; ++e)
    {
      direction(d, e) = input->GetDirection()(d, e);
    }
  }
  region.SetIndex(ImageDimension, 0);
  region.SetSize(ImageDimension, K);
  spacing[ImageDimension] = 1.0;
  origin[ImageDimension] = 0.0;
  CoefficientImageType * coefficients = this->GetOutput(0);
  coefficients->SetLargestPossibleRegion(region);
  coefficients->SetSpacing(spacing);
  coefficients->SetOrigin(origin);
  coefficients->SetDirection(direction);

  RealImageType * reconstruction = this->GetReconstruction();
  reconstruction->CopyInformation(input);
  reconstruction->SetLargestPossibleRegion(inputRegion);
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateInputRequestedRegion()
{
  for (const auto & name : this->GetInputNames())
  {
    if (DataObject * input = this->ProcessObject::GetInput(name))
    {
      input->SetRequestedRegionToLargestPossibleRegion();
    }
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TInputImage, typename TRealType>
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::ReadKernels() const -> std::vector<RealType>
{
  const auto          inputRegion = this->GetInput()->GetLargestPossibleRegion();
  const auto *        dictionary = this->GetDictionary();
  const auto          dictionarySize = dictionary->GetLargestPossibleRegion().GetSize();
  const SizeValueType K = dictionarySize[ImageDimension];
  // The dictionary: non-empty, finite, no all-zero kernel.
  SizeValueType taps = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    taps *= dictionarySize[d];
  }
  if (K == 0 || taps == 0)
  {
    itkExceptionMacro("The dictionary is empty (size " << dictionarySize << "): it needs at least one kernel");
  }
  const RealType *      given = dictionary->GetBufferPointer();
  std::vector<RealType> kernels(given, given + K * taps);
  CheckKernels(kernels, K, taps, "the dictionary");
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (dictionarySize[d] > inputRegion.GetSize(d))
    {
      itkExceptionMacro("The kernels (" << dictionarySize[d] << " pixels along axis " << d
                                        << ") are larger than the image (" << inputRegion.GetSize(d) << " pixels)");
    }
  }
  // The solvers hold about 6 domain-sized buffers per kernel (coefficients, dual, spectra, the
  // kernels' spectra) plus the coefficient output: refuse before allocating what cannot fit.
  double domain = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    domain *= double(inputRegion.GetSize(d) + dictionarySize[d] - 1);
  }
  std::ostringstream what;
  what << "Sparse coding with " << K << " kernels of " << taps << " taps on a " << inputRegion.GetSize() << " image";
  CheckMemoryEstimate(sizeof(RealType) * (domain * (6.0 * K + 12) + double(K) * inputRegion.GetNumberOfPixels()),
                      what.str());

  return kernels;
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateData()
{
  const auto          inputRegion = this->GetInput()->GetLargestPossibleRegion();
  const auto          dictionarySize = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
  const SizeValueType K = dictionarySize[ImageDimension];

  typename MultiChannelFourierConvolution<RealType>::SizeType imageSize(ImageDimension), kernelSize(ImageDimension),
    stride(ImageDimension);
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    imageSize[d] = inputRegion.GetSize(d);
    kernelSize[d] = dictionarySize[d];
    stride[d] = m_Stride[d];
  }
  const std::vector<RealType> kernels = this->PrepareKernels(this->ReadKernels(), static_cast<unsigned int>(K));
  const std::vector<RealType> signal = ReadFiniteImage<RealType>(this->GetInput());
  const auto                  op =
    MultiChannelFourierConvolution<RealType>::Create(imageSize,
                                                     kernels.data(),
                                                     kernelSize,
                                                     static_cast<unsigned int>(K),
                                                     m_BoundaryCondition,
                                                     MultiChannelFourierConvolution<RealType>::AutomaticPlanRigor,
                                                     stride);

  m_SolverObject = m_GivenSolver.IsNotNull() ? m_GivenSolver : CreateSparseCodingSolver<RealType>(m_Solver);
  SolverType & solver = *m_SolverObject;
  solver.SetOperator(op);
  solver.SetProximalOperator(this->CreateProximalOperator());
  solver.SetLambda(m_Lambda);
  solver.SetCoefficientsBeyondImage(m_CoefficientsBeyondBorder);
  solver.SetMaximumNumberOfIterations(m_MaximumNumberOfIterations);
  solver.SetRelativeTolerance(m_RelativeTolerance);
  solver.SetSignal(signal.data());
  if (const RealImageType * weights = this->GetWeights())
  {
    solver.SetWeights(weights->GetBufferPointer());
  }
  if (const CoefficientImageType * initial = this->GetInitialCoefficients())
  {
    const auto size = initial->GetLargestPossibleRegion().GetSize();
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      if (size[d] != op->GetCoefficientGridSize()[d])
      {
        itkExceptionMacro("The initial coefficients (" << size << ") must have the coefficient grid ("
                                                       << op->GetCoefficientGridSize()[d] << " pixels) along axis "
                                                       << d);
      }
    }
    if (size[ImageDimension] != K)
    {
      itkExceptionMacro("The initial coefficients have " << size[ImageDimension] << " maps for " << K << " kernels");
    }
    solver.SetInitialCoefficients(initial->GetBufferPointer());
  }

  bool aborted = false;
  // The observer leaves with this update, however it ends: a given solver outlives it.
  struct ObserverGuard
  {
    SolverType &  Solver;
    unsigned long Tag;
    ~ObserverGuard() { Solver.RemoveObserver(Tag); }
  };
  const ObserverGuard guard{ solver, solver.AddObserver(IterationEvent(), [&](const EventObject &) {
                              m_Statistics = solver.GetStatistics();
                              this->InvokeEvent(IterationEvent());
                              this->UpdateProgress(static_cast<float>(
                                this->GetSolverProgressShare() *
                                std::min(1.0, double(solver.GetIteration()) / std::max(1u, solver.IterationLimit()))));
                              if (this->GetAbortGenerateData())
                              {
                                aborted = true;
                                solver.StopSolving();
                              }
                            }) };
  solver.Solve();
  m_Statistics = solver.GetStatistics();
  m_History = solver.GetHistory();
  if (aborted)
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("ConvolutionalSparseCoding aborted by the user");
    throw exception;
  }

  solver.ReleaseWorkBuffers();
  CoefficientImageType * coefficients = this->GetOutput(0);
  coefficients->SetBufferedRegion(coefficients->GetLargestPossibleRegion());
  coefficients->Allocate();
  AdviseHugePages(coefficients->GetBufferPointer(),
                  coefficients->GetPixelContainer()->Size() * sizeof(typename CoefficientImageType::PixelType));
  solver.GetCoefficients(coefficients->GetBufferPointer());
  RealImageType * reconstruction = this->GetReconstruction();
  reconstruction->SetBufferedRegion(reconstruction->GetLargestPossibleRegion());
  reconstruction->Allocate();
  solver.GetReconstruction(reconstruction->GetBufferPointer());
  this->GenerateAdditionalOutputs(*op, signal);
  this->UpdateProgress(1.0f);
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Lambda: " << m_Lambda << std::endl;
  if (m_GivenSolver.IsNotNull())
  {
    os << indent << "Solver: the given " << m_GivenSolver->GetNameOfClass() << std::endl;
  }
  else
  {
    os << indent << "Solver: " << m_Solver << std::endl;
  }
  os << indent << "BoundaryCondition: " << m_BoundaryCondition << std::endl;
  os << indent << "CoefficientsBeyondBorder: " << m_CoefficientsBeyondBorder << std::endl;
  os << indent << "Stride: " << m_Stride << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
  os << indent << "Iteration: " << m_Statistics.Iteration << std::endl;
  os << indent << "Objective: " << m_Statistics.Objective << std::endl;
}
} // namespace itk

#endif
