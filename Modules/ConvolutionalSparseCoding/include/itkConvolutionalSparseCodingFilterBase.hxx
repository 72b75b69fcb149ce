#ifndef itkConvolutionalSparseCodingFilterBase_hxx
#define itkConvolutionalSparseCodingFilterBase_hxx

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkScopedObserver.h"
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
  if (!(m_HaloRadii >= 0) || !std::isfinite(m_HaloRadii))
  {
    itkExceptionMacro("HaloRadii must be finite and non-negative, got " << m_HaloRadii);
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
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::CoarseRegion(const ImageRegionType & region) const
  -> ImageRegionType
{
  const auto      image = this->GetInput()->GetLargestPossibleRegion();
  const bool      strided = std::any_of(m_Stride.Begin(), m_Stride.End(), [](unsigned int f) { return f > 1; });
  ImageRegionType coarse;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    const OffsetValueType f = std::max(1u, m_Stride[d]);
    const OffsetValueType base = strided ? 0 : image.GetIndex(d);
    const OffsetValueType begin = region.GetIndex(d) - image.GetIndex(d);
    const OffsetValueType end = begin + static_cast<OffsetValueType>(region.GetSize(d));
    coarse.SetIndex(d, base + begin / f);
    coarse.SetSize(d, static_cast<SizeValueType>((end + f - 1) / f - begin / f));
  }
  return coarse;
}

template <typename TInputImage, typename TRealType>
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::FineRegion(const ImageRegionType & coarse) const
  -> ImageRegionType
{
  const auto      image = this->GetInput()->GetLargestPossibleRegion();
  const bool      strided = std::any_of(m_Stride.Begin(), m_Stride.End(), [](unsigned int f) { return f > 1; });
  ImageRegionType fine;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    const OffsetValueType f = std::max(1u, m_Stride[d]);
    const OffsetValueType base = strided ? 0 : image.GetIndex(d);
    const OffsetValueType begin = image.GetIndex(d) + (coarse.GetIndex(d) - base) * f;
    const OffsetValueType end = std::min(image.GetIndex(d) + static_cast<OffsetValueType>(image.GetSize(d)),
                                         begin + static_cast<OffsetValueType>(coarse.GetSize(d)) * f);
    fine.SetIndex(d, begin);
    fine.SetSize(d, static_cast<SizeValueType>(std::max(begin, end) - begin));
  }
  return fine;
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  const ImageRegionType image = this->GetInput()->GetLargestPossibleRegion();
  m_CoreRegion = image;
  if (m_BoundaryCondition != BoundaryEnum::ZeroPadded)
  {
    return; // a periodic problem wraps around: only the whole image is its solution
  }
  ImageRegionType asked;
  if (const auto * onImageGrid = dynamic_cast<const ImageBase<ImageDimension> *>(output))
  {
    asked = onImageGrid->GetRequestedRegion();
  }
  else if (const auto * maps = dynamic_cast<const ImageBase<CoefficientDimension> *>(output))
  {
    ImageRegionType coarse;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      coarse.SetIndex(d, maps->GetRequestedRegion().GetIndex(d));
      coarse.SetSize(d, maps->GetRequestedRegion().GetSize(d));
    }
    asked = this->FineRegion(coarse);
  }
  if (asked.GetNumberOfPixels() > 0 && asked.Crop(image))
  {
    // Aligned to the stride, so that the core is a piece of the coarse grid.
    m_CoreRegion = ImageTiling<ImageDimension>::Grow(asked, typename ImageRegionType::SizeType{}, image, m_Stride);
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateOutputRequestedRegion(DataObject *)
{
  const ImageRegionType coarse = this->CoarseRegion(m_CoreRegion);
  for (const auto & name : this->GetOutputNames())
  {
    DataObject * output = this->ProcessObject::GetOutput(name);
    if (auto * onImageGrid = dynamic_cast<ImageBase<ImageDimension> *>(output))
    {
      onImageGrid->SetRequestedRegion(m_CoreRegion);
    }
    else if (auto * maps = dynamic_cast<ImageBase<CoefficientDimension> *>(output))
    {
      maps->SetRequestedRegion(WithSpatialPart(maps->GetLargestPossibleRegion(), coarse));
    }
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateInputRequestedRegion()
{
  const ImageRegionType image = this->GetInput()->GetLargestPossibleRegion();
  m_SolveRegion = image;
  if (m_CoreRegion != image && m_CoreRegion.GetNumberOfPixels() > 0)
  {
    const auto                         dictionary = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
    typename ImageRegionType::SizeType kernelSize;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      kernelSize[d] = dictionary[d];
    }
    const auto halo = ImageTiling<ImageDimension>::HaloForKernel(kernelSize, m_HaloRadii);
    m_SolveRegion = ImageTiling<ImageDimension>::Grow(m_CoreRegion, halo, image, m_Stride);
  }
  const ImageRegionType coarse = this->CoarseRegion(m_SolveRegion);
  for (const auto & name : this->GetInputNames())
  {
    DataObject * input = this->ProcessObject::GetInput(name);
    if (auto * onImageGrid = dynamic_cast<ImageBase<ImageDimension> *>(input))
    {
      onImageGrid->SetRequestedRegion(m_SolveRegion);
    }
    else if (auto * maps = dynamic_cast<ImageBase<CoefficientDimension> *>(input);
             maps && name == "InitialCoefficients")
    {
      auto region = WithSpatialPart(maps->GetLargestPossibleRegion(), coarse);
      if (!maps->GetLargestPossibleRegion().IsInside(region))
      {
        region = maps->GetLargestPossibleRegion(); // wrong size: GenerateData names the problem
      }
      maps->SetRequestedRegion(region);
    }
    else if (input != nullptr)
    {
      input->SetRequestedRegionToLargestPossibleRegion();
    }
  }
}

template <typename TInputImage, typename TRealType>
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::ReadKernels() const -> std::vector<RealType>
{
  const ImageRegionType inputRegion = m_SolveRegion;
  const bool            tile = inputRegion != this->GetInput()->GetLargestPossibleRegion();
  const auto *          dictionary = this->GetDictionary();
  const auto            dictionarySize = dictionary->GetLargestPossibleRegion().GetSize();
  const SizeValueType   K = dictionarySize[ImageDimension];
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
      itkExceptionMacro("The kernels (" << dictionarySize[d] << " pixels along axis " << d << ") are larger than the "
                                        << (tile ? "tile grown by its halo (" : "image (") << inputRegion.GetSize(d)
                                        << " pixels)");
    }
  }
  // Refuse before allocating what cannot fit.
  std::ostringstream what;
  what << "Sparse coding with " << K << " kernels of " << taps << " taps on a " << inputRegion.GetSize() << " image";
  CheckMemoryEstimate(this->EstimateSolveBytes(inputRegion), what.str());

  return kernels;
}

template <typename TInputImage, typename TRealType>
double
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::EstimateSolveBytes(const ImageRegionType & region) const
{
  // About 6 domain-sized buffers per kernel (coefficients, dual, spectra, the kernels' spectra)
  // and a dozen single ones, plus the coefficient output.
  const auto dictionarySize = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
  double     domain = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    domain *=
      double(MultiChannelFourierConvolution<RealType>::FFTFriendlySize(region.GetSize(d) + dictionarySize[d] - 1));
  }
  const double K = double(dictionarySize[ImageDimension]);
  return sizeof(RealType) * (domain * (6.0 * K + 12) + K * double(region.GetNumberOfPixels()));
}

template <typename TInputImage, typename TRealType>
auto
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::ReadInitialCoefficients(
  const MultiChannelFourierConvolution<RealType> & op) const -> std::vector<RealType>
{
  const CoefficientImageType * initial = this->GetInitialCoefficients();
  if (initial == nullptr)
  {
    return {};
  }
  const auto            size = initial->GetLargestPossibleRegion().GetSize();
  const ImageRegionType grid = this->CoarseRegion(this->GetInput()->GetLargestPossibleRegion());
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (size[d] != grid.GetSize(d))
    {
      itkExceptionMacro("The initial coefficients (" << size << ") must have the coefficient grid (" << grid.GetSize(d)
                                                     << " pixels) along axis " << d);
    }
  }
  if (size[ImageDimension] != op.GetNumberOfKernels())
  {
    itkExceptionMacro("The initial coefficients have " << size[ImageDimension] << " maps for "
                                                       << op.GetNumberOfKernels() << " kernels");
  }
  const auto region = WithSpatialPart(initial->GetLargestPossibleRegion(), this->CoarseRegion(m_SolveRegion));
  std::vector<RealType> values(region.GetNumberOfPixels());
  CopyRegion(initial->GetBufferPointer(), initial->GetBufferedRegion(), values.data(), region);
  return values;
}

template <typename TInputImage, typename TRealType>
template <typename TOutputImage>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::AllocateAndCopyCore(TOutputImage *         image,
                                                                                 const RegionSolution & solution,
                                                                                 const RealType *       values) const
{
  image->SetBufferedRegion(image->GetRequestedRegion());
  image->Allocate();
  if constexpr (TOutputImage::ImageDimension == ImageDimension)
  {
    CopyRegion(values, solution.Region, image->GetBufferPointer(), image->GetBufferedRegion());
  }
  else
  {
    const auto from = WithSpatialPart(image->GetBufferedRegion(), this->CoarseRegion(solution.Region));
    CopyRegion(values, from, image->GetBufferPointer(), image->GetBufferedRegion());
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::SetSlabOfHaloExchange(SolverType &            solver,
                                                                                   const ImageRegionType & region) const
{
  auto * exchange = solver.GetHaloExchange();
  if (exchange == nullptr)
  {
    return;
  }
  // A slab of a problem split over processes: the requested region is its core.
  constexpr unsigned int                          last = ImageDimension - 1;
  const ImageRegionType                           image = this->GetInput()->GetLargestPossibleRegion();
  const ImageRegionType                           core = m_CoreRegion.GetNumberOfPixels() > 0 ? m_CoreRegion : image;
  typename SolverType::HaloExchangeType::SlabRows rows;
  rows.ImageBegin = image.GetIndex(last);
  rows.ImageEnd = image.GetIndex(last) + static_cast<IndexValueType>(image.GetSize(last));
  rows.SolveBegin = region.GetIndex(last);
  rows.SolveEnd = region.GetIndex(last) + static_cast<IndexValueType>(region.GetSize(last));
  rows.CoreBegin = core.GetIndex(last);
  rows.CoreEnd = core.GetIndex(last) + static_cast<IndexValueType>(core.GetSize(last));
  exchange->SetSlab(rows);
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::SolveWithEvents(SolverType & solver)
{
  bool aborted = false;
  // The observer leaves with this update, however it ends: a given solver outlives it.
  const ScopedObserver observer(solver, IterationEvent(), [&](const EventObject &) {
    m_Statistics = solver.GetStatistics();
    this->InvokeEvent(IterationEvent());
    this->UpdateProgress(
      static_cast<float>(this->GetSolverProgressShare() *
                         std::min(1.0, double(solver.GetIteration()) / std::max(1u, solver.IterationLimit()))));
    if (this->GetAbortGenerateData())
    {
      aborted = true;
      solver.StopSolving();
    }
  });
  solver.Solve();
  m_Statistics = solver.GetStatistics();
  m_History = solver.GetHistory();
  if (aborted)
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("ConvolutionalSparseCoding aborted by the user");
    throw exception;
  }
}

template <typename TInputImage, typename TRealType>
void
ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>::GenerateData()
{
  const ImageRegionType region = m_SolveRegion;
  const auto            dictionarySize = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
  const SizeValueType   K = dictionarySize[ImageDimension];

  typename MultiChannelFourierConvolution<RealType>::SizeType imageSize(ImageDimension), kernelSize(ImageDimension),
    stride(ImageDimension);
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    imageSize[d] = region.GetSize(d);
    kernelSize[d] = dictionarySize[d];
    stride[d] = m_Stride[d];
  }
  const std::vector<RealType> kernels = this->PrepareKernels(this->ReadKernels(), static_cast<unsigned int>(K));
  const std::vector<RealType> signal = ReadFiniteImage<RealType>(this->GetInput(), region);
  std::vector<RealType>       weights;
  if (const RealImageType * given = this->GetWeights())
  {
    weights.resize(region.GetNumberOfPixels()); // the solver checks them, naming the pixel
    CopyRegion(given->GetBufferPointer(), given->GetBufferedRegion(), weights.data(), region);
  }
  const auto op =
    MultiChannelFourierConvolution<RealType>::Create(imageSize,
                                                     kernels.data(),
                                                     kernelSize,
                                                     static_cast<unsigned int>(K),
                                                     m_BoundaryCondition,
                                                     MultiChannelFourierConvolution<RealType>::AutomaticPlanRigor,
                                                     stride,
                                                     this->GetNumberOfWorkUnits());
  const std::vector<RealType> initial = this->ReadInitialCoefficients(*op);

  m_SolverObject = m_GivenSolver.IsNotNull() ? m_GivenSolver : CreateSparseCodingSolver<RealType>(m_Solver);
  SolverType & solver = *m_SolverObject;
  solver.SetOperator(op);
  solver.SetProximalOperator(this->CreateProximalOperator());
  solver.SetLambda(m_Lambda);
  solver.SetCoefficientsBeyondImage(m_CoefficientsBeyondBorder);
  solver.SetMaximumNumberOfIterations(m_MaximumNumberOfIterations);
  solver.SetRelativeTolerance(m_RelativeTolerance);
  solver.SetSignal(signal.data());
  this->SetSlabOfHaloExchange(solver, region);
  if (!weights.empty())
  {
    solver.SetWeights(weights.data());
  }
  if (!initial.empty())
  {
    solver.SetInitialCoefficients(initial.data());
  }

  this->SolveWithEvents(solver);

  solver.ReleaseWorkBuffers();
  RegionSolution solution;
  solution.Region = region;
  solution.Core = m_CoreRegion;
  solution.Operator = op.GetPointer();
  solution.Signal = signal.data();
  solution.Weights = weights.empty() ? nullptr : weights.data();
  CoefficientImageType * coefficients = this->GetOutput(0);
  RealImageType *        reconstruction = this->GetReconstruction();
  std::vector<RealType>  regionCoefficients, regionReconstruction;
  if (SolvesCoreOnly(solution))
  {
    // The outputs are the solver's arrays: no second copy of the maps.
    coefficients->SetBufferedRegion(coefficients->GetRequestedRegion());
    coefficients->Allocate();
    AdviseHugePages(coefficients->GetBufferPointer(),
                    coefficients->GetPixelContainer()->Size() * sizeof(typename CoefficientImageType::PixelType));
    solver.GetCoefficients(coefficients->GetBufferPointer());
    reconstruction->SetBufferedRegion(reconstruction->GetRequestedRegion());
    reconstruction->Allocate();
    solver.GetReconstruction(reconstruction->GetBufferPointer());
    solution.Coefficients = coefficients->GetBufferPointer();
    solution.Reconstruction = reconstruction->GetBufferPointer();
  }
  else
  {
    regionCoefficients.resize(K * this->CoarseRegion(region).GetNumberOfPixels());
    regionReconstruction.resize(region.GetNumberOfPixels());
    solver.GetCoefficients(regionCoefficients.data());
    solver.GetReconstruction(regionReconstruction.data());
    this->AllocateAndCopyCore(coefficients, solution, regionCoefficients.data());
    this->AllocateAndCopyCore(reconstruction, solution, regionReconstruction.data());
    solution.Coefficients = regionCoefficients.data();
    solution.Reconstruction = regionReconstruction.data();
  }
  this->GenerateAdditionalOutputs(solution);
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
  os << indent << "HaloRadii: " << m_HaloRadii << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
  os << indent << "Iteration: " << m_Statistics.Iteration << std::endl;
  os << indent << "Objective: " << m_Statistics.Objective << std::endl;
}
} // namespace itk

#endif
