#ifndef itkDictionaryLearner_hxx
#define itkDictionaryLearner_hxx

#include "itkDictionaryLearner.h"
#include "itkImageFileReader.h"
#include "itkImageRegionConstIterator.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace itk
{
template <typename TImage, typename TRealType>
DictionaryLearner<TImage, TRealType>::DictionaryLearner()
{
  m_KernelSize.Fill(8);
  this->SetNumberOfRequiredOutputs(1);
  this->SetNthOutput(0, this->MakeOutput(0));
  this->AddOptionalInputName("InitialDictionary");
}

template <typename TImage, typename TRealType>
ProcessObject::DataObjectPointer
DictionaryLearner<TImage, TRealType>::MakeOutput(DataObjectPointerArraySizeType)
{
  return DictionaryImageType::New().GetPointer();
}

template <typename TImage, typename TRealType>
auto
DictionaryLearner<TImage, TRealType>::GetOutput() -> DictionaryImageType *
{
  return dynamic_cast<DictionaryImageType *>(this->ProcessObject::GetOutput(0));
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::AddTrainingImage(const TrainingImageType * image)
{
  if (image == nullptr)
  {
    itkExceptionMacro("AddTrainingImage(nullptr)");
  }
  this->SetNthInput(this->GetNumberOfTrainingImages(), const_cast<TrainingImageType *>(image));
}

template <typename TImage, typename TRealType>
unsigned int
DictionaryLearner<TImage, TRealType>::GetNumberOfTrainingImages() const
{
  return static_cast<unsigned int>(this->GetNumberOfIndexedInputs());
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::GenerateOutputInformation()
{
  // The dictionary's grid is known before learning: kernel size times K.
  typename DictionaryImageType::SizeType size;
  if (const auto * initial = this->GetInitialDictionary())
  {
    size = initial->GetLargestPossibleRegion().GetSize();
  }
  else
  {
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      size[d] = m_KernelSize[d];
    }
    size[ImageDimension] = m_NumberOfKernels;
  }
  auto * output = this->GetOutput();
  output->SetLargestPossibleRegion(typename DictionaryImageType::RegionType(size));
  typename DictionaryImageType::SpacingType spacing;
  spacing.Fill(1.0);
  output->SetSpacing(spacing);
  typename DictionaryImageType::PointType origin;
  origin.Fill(0.0);
  output->SetOrigin(origin);
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::EnlargeOutputRequestedRegion(DataObject * output)
{
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::VerifySettings() const
{
  if (this->GetInitialDictionary() == nullptr && m_NumberOfKernels == 0)
  {
    itkExceptionMacro("NumberOfKernels must be at least 1, got 0");
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (this->GetInitialDictionary() == nullptr && m_KernelSize[d] == 0)
    {
      itkExceptionMacro("KernelSize must be at least 1 along every axis, got " << m_KernelSize);
    }
  }
  if (!(m_Lambda > 0) || !std::isfinite(m_Lambda))
  {
    itkExceptionMacro("Lambda must be positive and finite, got " << m_Lambda);
  }
  if (!(m_DictionaryPenaltyParameter > 0) || !std::isfinite(m_DictionaryPenaltyParameter))
  {
    itkExceptionMacro("DictionaryPenaltyParameter must be positive and finite, got " << m_DictionaryPenaltyParameter);
  }
  if (m_NumberOfIterations == 0 || m_CodingIterations == 0 || m_OnlineCodingIterations == 0 ||
      m_DictionaryIterations == 0)
  {
    itkExceptionMacro("NumberOfIterations, CodingIterations, OnlineCodingIterations and DictionaryIterations must "
                      "be at least 1");
  }
  if (!(m_RelativeTolerance >= 0))
  {
    itkExceptionMacro("RelativeTolerance must be non-negative, got " << m_RelativeTolerance);
  }
  if (!(m_HebbianLearningRate >= 0) || !std::isfinite(m_HebbianLearningRate))
  {
    itkExceptionMacro("HebbianLearningRate must be non-negative and finite, got " << m_HebbianLearningRate);
  }
  if (m_HebbianLearningRate > 0 && !m_Online)
  {
    itkExceptionMacro("HebbianLearningRate applies to online learning: turn Online on (and give training files)");
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (m_Stride[d] == 0)
    {
      itkExceptionMacro("The stride along axis " << d << " is 0: it must be at least 1");
    }
  }
  if (m_Online && m_TrainingFileNames.empty())
  {
    itkExceptionMacro("Online learning streams files: SetTrainingFileNames() is empty");
  }
  if (this->GetNumberOfTrainingImages() == 0 && m_TrainingFileNames.empty())
  {
    itkExceptionMacro("No training images: AddTrainingImage() or SetTrainingFileNames()");
  }
  if (m_Communicator.IsNotNull())
  {
    if (m_Online)
    {
      itkExceptionMacro("Distributed learning (SetCommunicator) is batch learning: online learning streams the "
                        "images through one process; turn Online off");
    }
    if (m_Boundary != BoundaryEnum::Periodic)
    {
      itkExceptionMacro("Distributed learning (SetCommunicator) needs the periodic boundary: only then is the "
                        "dictionary update's data term per frequency, so that its statistics can be summed");
    }
    if (m_InitializeFromPatches && this->GetInitialDictionary() == nullptr)
    {
      itkExceptionMacro("Distributed learning (SetCommunicator) cannot start from patches: each process would "
                        "take its own; start from noise or give an initial dictionary");
    }
  }
  this->MakeProjection();
}

template <typename TImage, typename TRealType>
DictionaryProjection<TRealType>
DictionaryLearner<TImage, TRealType>::MakeProjection() const
{
  DictionaryProjection<RealType> projection;
  projection.SetNorm(m_KernelNorm);
  projection.SetZeroMean(m_ZeroMeanKernels);
  projection.SetNonNegative(m_NonNegativeKernels);
  projection.Validate();
  return projection;
}

template <typename TImage, typename TRealType>
auto
DictionaryLearner<TImage, TRealType>::ReadSample(const TrainingImageType *    image,
                                                 std::vector<SizeValueType> & size) const -> Sample
{
  const auto region = image->GetLargestPossibleRegion();
  size.resize(ImageDimension);
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    size[d] = region.GetSize(d);
  }
  Sample sample;
  sample.Signal.reserve(region.GetNumberOfPixels());
  for (ImageRegionConstIterator<TrainingImageType> it(image, region); !it.IsAtEnd(); ++it)
  {
    const RealType value = static_cast<RealType>(it.Get());
    if (!std::isfinite(value))
    {
      itkExceptionMacro("A training image contains a non-finite value (NaN or Inf) at index " << it.GetIndex());
    }
    sample.Signal.push_back(value);
  }
  if (sample.Signal.empty())
  {
    itkExceptionMacro("A training image is empty");
  }
  return sample;
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::InitializeDictionary(const std::vector<SizeValueType> & imageSize,
                                                           const std::vector<Sample> &        samples)
{
  m_KernelSizeVector.assign(ImageDimension, 0);
  SizeValueType taps = 1;
  if (const auto * initial = this->GetInitialDictionary())
  {
    const auto size = initial->GetLargestPossibleRegion().GetSize();
    m_K = static_cast<unsigned int>(size[ImageDimension]);
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      m_KernelSizeVector[d] = size[d];
      taps *= size[d];
    }
    if (m_K == 0 || taps == 0)
    {
      itkExceptionMacro("The initial dictionary is empty (size " << size << ")");
    }
    m_Kernels.assign(initial->GetBufferPointer(), initial->GetBufferPointer() + m_K * taps);
    if (!std::all_of(m_Kernels.begin(), m_Kernels.end(), [](RealType v) { return std::isfinite(v); }))
    {
      itkExceptionMacro("The initial dictionary contains a non-finite value (NaN or Inf)");
    }
  }
  else
  {
    m_K = m_NumberOfKernels;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      m_KernelSizeVector[d] = m_KernelSize[d];
      taps *= m_KernelSize[d];
    }
    std::mt19937                       generator(m_Seed);
    std::normal_distribution<RealType> normal(0, 1);
    m_Kernels.resize(m_K * taps);
    std::generate(m_Kernels.begin(), m_Kernels.end(), [&] { return normal(generator); });
    if (m_InitializeFromPatches && !samples.empty())
    {
      // Patches of the training images at random places, plus a little of the noise above so
      // that no two kernels start equal.
      for (unsigned int k = 0; k < m_K; ++k)
      {
        const Sample &             sample = samples[generator() % samples.size()];
        std::vector<SizeValueType> corner(ImageDimension);
        for (unsigned int d = 0; d < ImageDimension; ++d)
        {
          corner[d] = generator() % (imageSize[d] - m_KernelSizeVector[d] + 1);
        }
        std::vector<SizeValueType> tap(ImageDimension, 0);
        double                     energy = 0;
        for (SizeValueType t = 0; t < taps; ++t)
        {
          SizeValueType offset = 0, stride = 1;
          for (unsigned int d = 0; d < ImageDimension; ++d)
          {
            offset += (corner[d] + tap[d]) * stride;
            stride *= imageSize[d];
          }
          const RealType value = sample.Signal[offset];
          energy += double(value) * value;
          m_Kernels[k * taps + t] = value + RealType(1e-3) * m_Kernels[k * taps + t];
          for (unsigned int d = 0; d < ImageDimension; ++d)
          {
            if (++tap[d] < m_KernelSizeVector[d])
            {
              break;
            }
            tap[d] = 0;
          }
        }
        (void)energy;
      }
    }
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    if (m_KernelSizeVector[d] > imageSize[d])
    {
      itkExceptionMacro("The kernels (" << m_KernelSizeVector[d] << " pixels along axis " << d
                                        << ") are larger than the training images (" << imageSize[d] << ")");
    }
  }
  // Per image in memory about 6 domain-sized buffers per kernel (maps, duals, spectra), and as
  // many again for the dictionary update: refuse before allocating what cannot fit.
  double domain = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    domain *= double(imageSize[d] + m_KernelSizeVector[d] - 1);
  }
  const double imagesInMemory = m_Online ? 1.0 : double(this->GetNumberOfTrainingImages() + m_TrainingFileNames.size());
  std::ostringstream what;
  what << "Dictionary learning of " << m_K << " kernels on " << imagesInMemory << " image(s) of " << domain
       << " padded pixels";
  CheckMemoryEstimate(sizeof(RealType) * domain * 6.0 * m_K * (imagesInMemory + 1), what.str());
  // Onto the constraint set; a kernel the projection zeroes (a constant one made zero-mean)
  // gets random values instead.
  const auto                               projection = this->MakeProjection();
  std::mt19937                             generator(m_Seed + 1);
  std::uniform_real_distribution<RealType> uniform(-1, 1);
  for (unsigned int k = 0; k < m_K; ++k)
  {
    RealType * h = m_Kernels.data() + k * taps;
    projection.Project(h, taps);
    for (unsigned int attempt = 0; attempt < 10 && std::all_of(h, h + taps, [](RealType v) { return v == 0; });
         ++attempt)
    {
      std::generate(h, h + taps, [&] { return uniform(generator); });
      projection.Project(h, taps);
    }
  }
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::PrepareOperator(const std::vector<SizeValueType> & imageSize)
{
  const std::vector<SizeValueType> stride(m_Stride.begin(), m_Stride.end());
  m_Operator = OperatorType::Create(
    imageSize, m_Kernels.data(), m_KernelSizeVector, m_K, m_Boundary, OperatorType::AutomaticPlanRigor, stride);
  m_Update = UpdateType::New();
  m_Update->SetOperator(m_Operator);
  m_Update->SetPenaltyParameter(m_DictionaryPenaltyParameter);
  m_Update->SetProjection(this->MakeProjection());
  m_Update->SetCommunicator(m_Communicator);
}

template <typename TImage, typename TRealType>
std::array<double, 2>
DictionaryLearner<TImage, TRealType>::Code(Sample & sample, unsigned int iterations, bool cold)
{
  // Batch ADMM coding keeps one solver per image, so that each outer iteration continues its
  // run (y, dual and rho) with the new dictionary; online coding starts afresh.
  typename SparseCodingSolverBase<RealType>::Pointer solver = sample.Solver;
  if (solver.IsNull() || cold)
  {
    solver = m_GivenCodingSolver.IsNotNull()
               ? dynamic_cast<SparseCodingSolverBase<RealType> *>(m_GivenCodingSolver->Clone().GetPointer())
               : CreateSparseCodingSolver<RealType>(m_CodingSolver).GetPointer();
    if (auto * admm = dynamic_cast<ADMMSparseCodingSolver<RealType> *>(solver.GetPointer()))
    {
      admm->SetResumePreviousState(!m_Online);
      // Automatic settings become those of SPORCO's dictionary learning: rho from 50 lambda + 1,
      // balanced every 10 iterations towards equal residuals (a few coding iterations per outer
      // iteration want a steadier rho than one long solve).
      if (admm->GetAutoRhoPeriod() == 0)
      {
        admm->SetAutoRhoPeriod(10);
      }
      if (admm->GetResidualTarget() == 0)
      {
        admm->SetResidualTarget(1.0);
      }
      if (admm->GetRho() == 0)
      {
        admm->SetRho(50.0 * m_Lambda + 1.0);
      }
    }
    sample.Solver = m_Online ? nullptr : solver;
  }
  solver->SetOperator(m_Operator);
  solver->SetProximalOperator(m_Proximal);
  solver->SetLambda(m_Lambda);
  solver->SetMaximumNumberOfIterations(iterations);
  solver->SetRelativeTolerance(0);
  solver->SetSignal(sample.Signal.data());
  // A resumed ADMM run starts from its own state: the maps need not travel through Coefficients.
  auto * const admm = dynamic_cast<ADMMSparseCodingSolver<RealType> *>(solver.GetPointer());
  const bool   resumes = !cold && admm != nullptr && admm->WillResume();
  if (!resumes && !cold)
  {
    this->SyncCoefficients(sample);
  }
  solver->SetInitialCoefficients(cold || resumes ? nullptr : sample.Coefficients.data());
  if (resumes && m_Forgetting < 0)
  {
    // The maps' spectra from the last round's AddSample(): D y without K transforms.
    admm->SetSpectraOfCoefficientsForResume(m_Update->GetClearedCoefficientSpectra(m_Update->GetNumberOfSamples()));
  }
  solver->Solve();
  double zeroObjective = 0;
  for (const RealType value : sample.Signal)
  {
    zeroObjective += 0.5 * double(value) * value;
  }
  // A continued run's scaled dual belongs to the last dictionary; after a large dictionary
  // step it can leave y worse than no coefficients at all (seen on the Hubble sample with 4
  // kernels). ADMM started afresh from zero maps is the remedy; only if that fails too is the
  // learning reported as diverged (RecordIteration).
  const double objective = solver->GetDataFidelity() + m_Lambda * solver->GetPenalty();
  if (resumes && !(objective <= zeroObjective))
  {
    ++m_NumberOfCodingRestarts;
    return this->Code(sample, iterations, true);
  }
  sample.MapsInSolver = sample.Solver.IsNotNull();
  if (!sample.MapsInSolver)
  {
    sample.Coefficients.resize(static_cast<size_t>(m_K) * m_Operator->GetNumberOfCoefficientPixels());
    solver->GetCoefficients(sample.Coefficients.data());
  }
  if (m_Forgetting >= 0)
  {
    m_Update->AccumulateSample(sample.Signal.data(), solver->GetDomainCoefficients(), m_Forgetting);
  }
  else
  {
    m_Update->AddSample(sample.Signal.data(), solver->GetDomainCoefficients());
  }
  m_ZeroCodingObjective += zeroObjective;
  return { solver->GetDataFidelity(), solver->GetPenalty() };
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::SyncCoefficients(Sample & sample) const
{
  if (sample.MapsInSolver && sample.Solver.IsNotNull())
  {
    sample.Coefficients.resize(static_cast<size_t>(m_K) * m_Operator->GetNumberOfCoefficientPixels());
    sample.Solver->GetCoefficients(sample.Coefficients.data());
  }
  sample.MapsInSolver = false;
}

template <typename TImage, typename TRealType>
bool
DictionaryLearner<TImage, TRealType>::RecordIteration(double data, double penalty)
{
  CurvePoint point;
  point.DataFidelity = data;
  point.Penalty = penalty;
  point.Objective = data + m_Lambda * penalty;
  point.Seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_Start).count();
  m_LearningCurve.push_back(point);
  // Never a result worse than all-zero coefficient maps: the coding solver diverged.
  const double zeroObjective = m_ZeroCodingObjective;
  m_ZeroCodingObjective = 0;
  if (!std::isfinite(point.Objective) || point.Objective > zeroObjective)
  {
    itkExceptionMacro("Dictionary learning diverged at outer iteration "
                      << m_LearningCurve.size() << ": objective " << point.Objective
                      << " above the all-zero coefficients' " << zeroObjective
                      << "; use the FISTA coding solver, a larger lambda or fewer kernels");
  }
  this->InvokeEvent(IterationEvent());
  this->UpdateProgress(static_cast<float>(m_LearningCurve.size()) / m_NumberOfIterations);
  return this->GetAbortGenerateData();
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::UpdateDictionary()
{
  if (m_Communicator.IsNotNull())
  {
    m_Update->SumAccumulation();
    m_Update->RunAccumulatedADMM(m_Kernels, m_DictionaryIterations);
  }
  else if (m_Update->CanSolveExactly())
  {
    m_Update->RunADMM(m_Kernels, m_DictionaryIterations);
  }
  else
  {
    m_Update->Run(m_Kernels, m_DictionaryIterations);
  }
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::CheckSameSizeEverywhere(const std::vector<SizeValueType> & imageSize)
{
  // Sums of s and s^2 per axis equal P s and P s^2 only when every process has the same s.
  std::vector<double> sums{ 1.0 };
  for (const SizeValueType s : imageSize)
  {
    sums.push_back(double(s));
    sums.push_back(double(s) * double(s));
  }
  m_Communicator->SumInPlace(sums.data(), sums.size());
  const double processes = sums[0];
  for (size_t d = 0; d < imageSize.size(); ++d)
  {
    const double s = double(imageSize[d]);
    if (sums[1 + 2 * d] != processes * s || sums[2 + 2 * d] != processes * s * s)
    {
      itkExceptionMacro("The training images differ in size between the processes of distributed learning (here "
                        << s << " pixels along axis " << d << ", on average " << sums[1 + 2 * d] / processes
                        << "); batch learning needs images of one size");
    }
  }
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::RunBatch(std::vector<Sample> & samples)
{
  // Distributed learning accumulates the samples' statistics (forgetting 1: a plain sum).
  const bool distributed = m_Communicator.IsNotNull();
  for (unsigned int iteration = 1; iteration <= m_NumberOfIterations; ++iteration)
  {
    m_Update->ClearSamples();
    m_Update->ClearAccumulation(true);
    m_Forgetting = distributed ? 1.0 : -1.0;
    double data = 0, penalty = 0;
    for (Sample & sample : samples)
    {
      const auto terms = this->Code(sample, m_CodingIterations, iteration == 1);
      data += terms[0];
      penalty += terms[1];
    }
    m_Forgetting = -1.0;
    if (distributed)
    {
      double terms[3] = { data, penalty, m_ZeroCodingObjective };
      m_Communicator->SumInPlace(terms, 3);
      data = terms[0];
      penalty = terms[1];
      m_ZeroCodingObjective = terms[2];
    }
    this->UpdateDictionary();
    const double previous = this->GetObjective();
    if (this->RecordIteration(data, penalty))
    {
      break;
    }
    if (iteration > 1 && std::abs(previous - this->GetObjective()) <= m_RelativeTolerance * this->GetObjective())
    {
      break;
    }
    if (m_RecentringInterval > 0 && !m_Operator->IsStrided() && iteration % m_RecentringInterval == 0 &&
        iteration + m_RecentringInterval <= m_NumberOfIterations)
    {
      this->RecentreKernels(samples);
    }
  }
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::RunOnline()
{
  std::vector<SizeValueType> operatorSize;
  SizeValueType              seen = 0;
  const SizeValueType        window = m_TrainingFileNames.size();
  for (unsigned int epoch = 1; epoch <= m_NumberOfIterations; ++epoch)
  {
    double data = 0, penalty = 0;
    for (const std::string & name : m_TrainingFileNames)
    {
      typename TrainingImageType::Pointer image;
      {
        auto reader = ImageFileReader<TrainingImageType>::New();
        reader->SetFileName(name);
        reader->Update();
        image = reader->GetOutput();
      }
      std::vector<SizeValueType> size;
      Sample                     sample = this->ReadSample(image, size);
      image = nullptr;
      if (m_Kernels.empty())
      {
        this->InitializeDictionary(size, std::vector<Sample>{ sample });
      }
      if (size != operatorSize)
      {
        for (unsigned int d = 0; d < ImageDimension; ++d)
        {
          if (m_KernelSizeVector[d] > size[d])
          {
            itkExceptionMacro("The kernels are larger than the training image " << name);
          }
        }
        this->PrepareOperator(size);
        operatorSize = size;
      }
      // One image at a time: code it, fold its statistics into the running surrogate (about the
      // last epoch's images count) and minimise that over the dictionary; with zero-padded
      // boundaries (no per-frequency surrogate), a projected gradient step on its data term.
      ++seen;
      const bool surrogate = m_Boundary == BoundaryEnum::Periodic && m_HebbianLearningRate == 0;
      m_Update->ClearSamples();
      m_Forgetting = surrogate ? 1.0 - 1.0 / static_cast<double>(std::min(seen, window)) : -1.0;
      const auto terms = this->Code(sample, m_OnlineCodingIterations, true);
      m_Forgetting = -1.0;
      data += terms[0];
      penalty += terms[1];
      if (surrogate)
      {
        m_Update->RunSurrogate(m_Kernels, m_DictionaryIterations);
      }
      else if (m_HebbianLearningRate > 0)
      {
        m_Update->HebbianStep(m_Kernels,
                              m_HebbianLearningRate / std::sqrt(static_cast<double>(epoch)) /
                                double(m_Operator->GetNumberOfCoefficientPixels()));
      }
      else
      {
        m_Update->Run(m_Kernels, 1, false, 1.0 / std::sqrt(static_cast<double>(epoch)));
      }
      m_LastMaps.assign(1, std::move(sample.Coefficients));
      m_LastMapSize = m_Operator->GetCoefficientGridSize();
    }
    if (this->RecordIteration(data, penalty))
    {
      break;
    }
  }
  m_Update->ClearSamples();
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::GenerateData()
{
  m_Start = std::chrono::steady_clock::now();
  m_LearningCurve.clear();
  m_LastMaps.clear();
  m_Kernels.clear();
  m_ZeroCodingObjective = 0;
  m_NumberOfCodingRestarts = 0;
  this->VerifySettings();
  if (m_NonNegativeCoefficients)
  {
    m_Proximal = NonNegativeL1ProximalOperator<RealType>::New().GetPointer();
  }
  else
  {
    m_Proximal = L1ProximalOperator<RealType>::New().GetPointer();
  }
  this->UpdateProgress(0.0f);

  std::vector<Sample> samples;
  if (m_Online)
  {
    this->RunOnline();
  }
  else
  {
    // Batch: every image in memory, all of one size.
    std::vector<SizeValueType> size, first;
    auto                       add = [&](const TrainingImageType * image, const std::string & what) {
      samples.push_back(this->ReadSample(image, size));
      if (first.empty())
      {
        first = size;
      }
      else if (size != first)
      {
        itkExceptionMacro("Training image " << what << " differs in size from the first one; batch learning "
                                            << "needs images of one size (use online learning for mixed sizes)");
      }
    };
    for (unsigned int i = 0; i < this->GetNumberOfTrainingImages(); ++i)
    {
      add(dynamic_cast<const TrainingImageType *>(this->GetInput(i)), std::to_string(i));
    }
    for (const std::string & name : m_TrainingFileNames)
    {
      auto reader = ImageFileReader<TrainingImageType>::New();
      reader->SetFileName(name);
      reader->Update();
      add(reader->GetOutput(), name);
    }
    if (m_Communicator.IsNotNull())
    {
      this->CheckSameSizeEverywhere(first);
    }
    this->InitializeDictionary(first, samples);
    this->PrepareOperator(first);
    m_LastMapSize = m_Operator->GetCoefficientGridSize();
    this->RunBatch(samples);
    m_LastMaps.clear();
    for (Sample & sample : samples)
    {
      this->SyncCoefficients(sample);
      m_LastMaps.push_back(sample.Coefficients);
    }
  }
  m_Update->ClearSamples();
  m_Update->ClearAccumulation();

  if (m_Canonicalize && !m_Operator->IsStrided())
  {
    CanonicalizeDictionary(m_Kernels,
                           m_KernelSizeVector,
                           m_K,
                           m_LastMaps,
                           m_LastMapSize,
                           m_CanonicalCentre,
                           !m_NonNegativeCoefficients,
                           m_Communicator.GetPointer());
    if (m_Boundary == BoundaryEnum::ZeroPadded && !samples.empty())
    {
      // Circular shifts of the maps are exact only for periodic boundaries: refit the maps.
      m_Operator->UpdateKernelValues(m_Kernels.data());
      for (size_t i = 0; i < samples.size(); ++i)
      {
        samples[i].Coefficients = m_LastMaps[i];
        samples[i].Solver = nullptr;
        this->Code(samples[i], m_CodingIterations, false);
        this->SyncCoefficients(samples[i]);
        m_LastMaps[i] = samples[i].Coefficients;
      }
      m_Update->ClearSamples();
    }
  }

  FillStack(this->GetOutput(), m_KernelSizeVector, m_K, m_Kernels);
  this->UpdateProgress(1.0f);
  if (this->GetAbortGenerateData())
  {
    ProcessAborted aborted(__FILE__, __LINE__);
    aborted.SetDescription("Dictionary learning aborted after iteration " + std::to_string(this->GetIteration()));
    throw aborted;
  }
}

template <typename TImage, typename TRealType>
auto
DictionaryLearner<TImage, TRealType>::GetCoefficientMaps(unsigned int i) const -> typename CoefficientImageType::Pointer
{
  if (i >= m_LastMaps.size())
  {
    itkExceptionMacro("No coefficient maps for training image " << i << " (" << m_LastMaps.size() << " kept)");
  }
  auto maps = CoefficientImageType::New();
  FillStack(maps.GetPointer(), m_LastMapSize, m_K, m_LastMaps[i]);
  return maps;
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::FillStack(DictionaryImageType * stack, const std::vector<SizeValueType> & size,
                                                unsigned int K, const std::vector<RealType> & values)
{
  typename DictionaryImageType::SizeType stackSize;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    stackSize[d] = size[d];
  }
  stackSize[ImageDimension] = K;
  stack->SetRegions(typename DictionaryImageType::RegionType(stackSize));
  stack->Allocate();
  std::copy(values.begin(), values.end(), stack->GetBufferPointer());
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfKernels: " << m_NumberOfKernels << std::endl;
  os << indent << "KernelSize: " << m_KernelSize << std::endl;
  os << indent << "Lambda: " << m_Lambda << std::endl;
  os << indent << "NonNegativeCoefficients: " << m_NonNegativeCoefficients << std::endl;
  os << indent << "NumberOfIterations: " << m_NumberOfIterations << std::endl;
  os << indent << "CodingIterations: " << m_CodingIterations << std::endl;
  os << indent << "OnlineCodingIterations: " << m_OnlineCodingIterations << std::endl;
  os << indent << "DictionaryIterations: " << m_DictionaryIterations << std::endl;
  os << indent << "DictionaryPenaltyParameter: " << m_DictionaryPenaltyParameter << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
  os << indent << "CodingSolver: " << m_CodingSolver
     << (m_GivenCodingSolver.IsNotNull() ? " (a given solver object)" : "") << std::endl;
  os << indent << "Boundary: " << m_Boundary << std::endl;
  os << indent << "KernelNorm: " << m_KernelNorm << std::endl;
  os << indent << "ZeroMeanKernels: " << m_ZeroMeanKernels << std::endl;
  os << indent << "NonNegativeKernels: " << m_NonNegativeKernels << std::endl;
  os << indent << "Online: " << m_Online << " (" << m_TrainingFileNames.size() << " files)" << std::endl;
  os << indent << "Stride: " << m_Stride << ", HebbianLearningRate: " << m_HebbianLearningRate << std::endl;
  os << indent << "Canonicalize: " << m_Canonicalize << " (" << m_CanonicalCentre << ")" << std::endl;
  os << indent << "Seed: " << m_Seed << ", InitializeFromPatches: " << m_InitializeFromPatches
     << ", RecentringInterval: " << m_RecentringInterval << std::endl;
  os << indent << "NumberOfCodingRestarts: " << m_NumberOfCodingRestarts << std::endl;
  os << indent << "Communicator: "
     << (m_Communicator.IsNull() ? std::string("none")
                                 : std::to_string(m_Communicator->GetNumberOfProcesses()) + " process(es)")
     << std::endl;
}
} // namespace itk

#include "itkDictionaryLearnerAlignment.hxx"

#endif
