#ifndef itkSparseTemporalDeconvolutionFilter_hxx
#define itkSparseTemporalDeconvolutionFilter_hxx

#include "itkFilterInputChecks.h"
#include "itkTraceNoiseLevel.h"
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>

namespace itk
{
template <typename TImage>
SparseTemporalDeconvolutionFilter<TImage>::SparseTemporalDeconvolutionFilter()
{
  this->SetNumberOfRequiredInputs(1);
  this->SetNumberOfRequiredOutputs(2);
  this->SetNumberOfIndexedOutputs(2);
  this->SetNthOutput(1, this->MakeOutput(1));
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::SetInitialResponses(const std::vector<ResponseType> & responses)
{
  if (!responses.empty())
  {
    PursuitType::New()->SetResponses(responses); // the same checks as the pursuit's
  }
  m_InitialResponses = responses;
  this->Modified();
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  auto * input = const_cast<TImage *>(this->GetInput());
  if (input)
  {
    input->SetRequestedRegionToLargestPossibleRegion();
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::CheckParameters(SizeValueType frames) const
{
  const unsigned int L = m_InitialResponses.empty() ? m_NumberOfResponses : unsigned(m_InitialResponses.size());
  const unsigned int F = m_InitialResponses.empty() ? m_ResponseLength : unsigned(m_InitialResponses[0].size());
  if (L == 0 || F == 0)
  {
    itkExceptionMacro("needs at least one impulse response of at least one frame (NumberOfResponses "
                      << L << ", ResponseLength " << F << ")");
  }
  if (!m_InitialResponses.empty() &&
      (m_InitialResponses.size() != m_NumberOfResponses || m_InitialResponses[0].size() != m_ResponseLength))
  {
    itkExceptionMacro("the given responses (" << m_InitialResponses.size() << " of " << m_InitialResponses[0].size()
                                              << " frames) do not match NumberOfResponses " << m_NumberOfResponses
                                              << " and ResponseLength " << m_ResponseLength);
  }
  if (frames < F)
  {
    itkExceptionMacro("the sequence has " << frames << " frames, fewer than the response length " << F);
  }
  if (!(m_PenaltyInNoiseVariances >= 0.0) || !std::isfinite(m_PenaltyInNoiseVariances))
  {
    itkExceptionMacro("PenaltyInNoiseVariances must be finite and >= 0, got " << m_PenaltyInNoiseVariances);
  }
  if (!(m_InitialDecay >= 0.0) || !std::isfinite(m_InitialDecay) || !(m_SpikeUnit >= 0.0) ||
      !std::isfinite(m_SpikeUnit))
  {
    itkExceptionMacro("InitialDecay and SpikeUnit must be finite and >= 0 (got " << m_InitialDecay << ", "
                                                                                 << m_SpikeUnit << ")");
  }
}

template <typename TImage>
auto
SparseTemporalDeconvolutionFilter<TImage>::InitialResponses() const -> std::vector<ResponseType>
{
  // Unit l2 norm, given or not: the amplitudes then read in noise deviations (times sigma).
  auto normalized = [](std::vector<ResponseType> responses) {
    for (auto & f : responses)
    {
      const double norm = std::sqrt(std::inner_product(f.begin(), f.end(), f.begin(), 0.0));
      for (double & v : f)
      {
        v /= norm;
      }
    }
    return responses;
  };
  if (!m_InitialResponses.empty())
  {
    return normalized(m_InitialResponses);
  }
  std::vector<ResponseType> responses(m_NumberOfResponses, ResponseType(m_ResponseLength, 0.0));
  std::mt19937              generator(m_Seed);
  std::normal_distribution  noise(0.0, 1.0);
  const double              decay = m_InitialDecay > 0.0 ? m_InitialDecay : m_EstimatedDecay;
  for (unsigned int l = 0; l < m_NumberOfResponses; ++l)
  {
    bool any = false;
    while (!any)
    {
      for (unsigned int k = 0; k < m_ResponseLength; ++k)
      {
        responses[l][k] =
          m_RandomInitialization ? std::max(0.0, noise(generator)) : std::exp(-double(k) / (decay * (l + 1)));
        any = any || responses[l][k] > 0.0;
      }
    }
  }
  return normalized(responses);
}

template <typename TImage>
double
SparseTemporalDeconvolutionFilter<TImage>::EstimateDecay(const PixelType * data) const
{
  // A spike train through an exponential is an AR(1) process: its autocovariance at lags k >= 1
  // is C g^k, white noise adds to lag 0 only, so g = acov(2) / acov(1), pooled over traces.
  double lag1 = 0.0, lag2 = 0.0;
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    double mean = 0.0;
    for (SizeValueType t = 0; t < m_NumberOfFrames; ++t)
    {
      mean += double(data[p + t * m_NumberOfTraces]);
    }
    mean /= double(m_NumberOfFrames);
    auto value = [&](SizeValueType t) { return double(data[p + t * m_NumberOfTraces]) - mean; };
    for (SizeValueType t = 2; t < m_NumberOfFrames; ++t)
    {
      lag1 += value(t) * value(t - 1);
      lag2 += value(t) * value(t - 2);
    }
  }
  const double g = lag1 > 0.0 ? lag2 / lag1 : 0.0;
  const double fallback = std::max(1.0, m_ResponseLength / 5.0);
  return g > 0.0 && g < 1.0 ? std::min(double(m_ResponseLength), std::max(1.0, -1.0 / std::log(g))) : fallback;
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::GenerateData()
{
  const TImage * input = this->GetInput();
  const auto     size = input->GetLargestPossibleRegion().GetSize();
  m_NumberOfFrames = size[ImageDimension - 1];
  m_NumberOfTraces =
    input->GetLargestPossibleRegion().GetNumberOfPixels() / std::max<SizeValueType>(1, m_NumberOfFrames);
  this->CheckParameters(m_NumberOfFrames);
  const std::vector<PixelType> data = ReadFiniteImage<PixelType>(input);

  if (m_InitialResponses.empty() && m_InitialDecay <= 0.0 && !m_RandomInitialization)
  {
    m_EstimatedDecay = this->EstimateDecay(data.data());
  }
  m_Responses = this->InitialResponses();
  m_Objective.clear();
  auto pursuit = PursuitType::New();
  pursuit->SetEstimateBaseline(m_EstimateBaseline);
  pursuit->SetMaximumShift(m_MaximumShift);
  std::vector<ResultType> results(m_NumberOfTraces);
  std::vector<double>     lambdas(m_NumberOfTraces), quanta(m_NumberOfTraces, 0.0);
  const unsigned int      refinements = m_SpikeUnit > 0.0 && !m_LearnResponses ? 0 : m_NumberOfUnitRefinements;
  const unsigned int      passes = m_NumberOfIterations + 2 + refinements;
  unsigned int            done = 0;
  auto                    pass = [&]() {
    pursuit->SetResponses(m_Responses);
    const bool finished = this->DeconvolveAll(*pursuit, data.data(), lambdas, quanta, results);
    this->InvokeEvent(IterationEvent());
    this->UpdateProgress(static_cast<float>(++done) / passes);
    return finished && !this->GetAbortGenerateData();
  };
  auto penalties = [&](bool counting) {
    for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
    {
      lambdas[p] = m_NoiseLevels[p] * m_NoiseLevels[p] *
                   (counting ? this->CountPenalty(results[p].Spikes.size()) : m_PenaltyInNoiseVariances);
    }
  };
  this->UpdateProgress(0.0f);

  // Stage 1, free amplitudes: spikes, then noise levels and responses, alternately.
  this->EstimateNoiseLevels(data.data(), nullptr);
  bool running = true;
  for (unsigned int iteration = 0; running && iteration <= m_NumberOfIterations; ++iteration)
  {
    penalties(false);
    running = pass();
    if (running && iteration < m_NumberOfIterations)
    {
      this->EstimateNoiseLevels(data.data(), &results);
      if (m_LearnResponses)
      {
        this->UpdateResponses(data.data(), results, false);
      }
    }
  }
  // Stage 2, counting: spikes, then units, noise levels and responses, alternately.
  if (running)
  {
    this->EstimateSpikeUnits(results);
    penalties(true);
  }
  for (unsigned int refinement = 0; running && refinement <= refinements; ++refinement)
  {
    if (refinement > 0)
    {
      if (m_SpikeUnit <= 0.0)
      {
        this->RefineSpikeUnits(data.data(), results);
      }
      this->EstimateNoiseLevels(data.data(), &results);
      penalties(true);
      if (m_LearnResponses)
      {
        this->UpdateResponses(data.data(), results, true);
      }
    }
    quanta = m_SpikeUnits;
    running = pass();
  }
  if (!running)
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("SparseTemporalDeconvolution aborted by the user");
    throw exception;
  }
  this->CountSpikes(results);
  this->WriteOutputs(results);
  this->UpdateProgress(1.0f);
}

template <typename TImage>
bool
SparseTemporalDeconvolutionFilter<TImage>::DeconvolveAll(const PursuitType & pursuit, const PixelType * data,
                                                         const std::vector<double> & lambdas,
                                                         const std::vector<double> & quanta,
                                                         std::vector<ResultType> &   results)
{
  const SizeValueType units = std::max<SizeValueType>(1, this->GetNumberOfWorkUnits());
  const SizeValueType chunks = std::min<SizeValueType>(m_NumberOfTraces, 8 * units);
  std::atomic<bool>   aborted{ false };
  std::vector<double> objective(chunks, 0.0);
  this->GetMultiThreader()->ParallelizeArray(
    0,
    chunks,
    [&](SizeValueType chunk) {
      typename PursuitType::Workspace work;
      for (SizeValueType p = chunk * m_NumberOfTraces / chunks; p < (chunk + 1) * m_NumberOfTraces / chunks; ++p)
      {
        if (aborted || this->GetAbortGenerateData())
        {
          aborted = true;
          return;
        }
        pursuit.Deconvolve(data + p, m_NumberOfFrames, m_NumberOfTraces, lambdas[p], quanta[p], work, results[p]);
        objective[chunk] += results[p].Objective;
      }
    },
    nullptr);
  m_Objective.push_back(std::accumulate(objective.begin(), objective.end(), 0.0));
  return !aborted;
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::UpdateResponses(const PixelType *               data,
                                                           const std::vector<ResultType> & results, bool counted)
{
  // Counted spikes enter as whole spikes of their trace's unit height, so that the responses are
  // those of one spike, whatever their scale was.
  std::vector<std::vector<typename PursuitType::Spike>> spikes(m_NumberOfTraces);
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    for (auto spike : results[p].Spikes)
    {
      if (counted)
      {
        spike.Amplitude = std::round(this->PeakHeight(spike) / m_SpikeUnits[p]) * m_SpikeUnits[p];
      }
      else if (spike.Amplitude < ResponseSignificance * m_NoiseLevels[p])
      {
        continue; // free amplitudes: events within the noise say little about the response's shape
      }
      spikes[p].push_back(spike);
    }
  }
  // Maximum likelihood: each trace weighted by its inverse noise variance, floored so that a
  // noise-free trace counts (heavily) instead of not at all.
  double largest = 0.0;
  for (double sigma : m_NoiseLevels)
  {
    largest = std::max(largest, sigma);
  }
  const double floor = largest > 0.0 ? 1e-6 * largest * largest : 1.0;
  using EstimatorType = ImpulseResponseEstimator<PixelType>;
  const SizeValueType        units = std::max<SizeValueType>(1, this->GetNumberOfWorkUnits());
  const SizeValueType        chunks = std::min<SizeValueType>(m_NumberOfTraces, units);
  std::vector<EstimatorType> estimators(chunks, EstimatorType(m_NumberOfResponses, m_ResponseLength));
  this->GetMultiThreader()->ParallelizeArray(
    0,
    chunks,
    [&](SizeValueType chunk) {
      for (SizeValueType p = chunk * m_NumberOfTraces / chunks; p < (chunk + 1) * m_NumberOfTraces / chunks; ++p)
      {
        const double sigma = m_NoiseLevels[p];
        estimators[chunk].Accumulate(data + p,
                                     m_NumberOfFrames,
                                     m_NumberOfTraces,
                                     results[p].Baseline,
                                     spikes[p],
                                     1.0 / std::max(sigma * sigma, floor));
      }
    },
    nullptr);
  for (SizeValueType chunk = 1; chunk < chunks; ++chunk)
  {
    estimators[0].Merge(estimators[chunk]);
  }
  const std::vector<double> scales = estimators[0].Solve(m_Responses);
  if (counted)
  {
    // The units are heights of one spike at its response's peak: one spike of unit q was fitted
    // as q times the least-squares response, whose peak is q scale_l max(f_l), with f_l now of
    // unit norm. Each trace's unit follows, weighted over its spikes' response types.
    std::vector<double> factors(m_NumberOfResponses, 1.0);
    for (unsigned int l = 0; l < m_NumberOfResponses; ++l)
    {
      if (scales[l] > 0.0)
      {
        factors[l] = scales[l] * *std::max_element(m_Responses[l].begin(), m_Responses[l].end());
      }
    }
    for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
    {
      double weighted = 0.0, total = 0.0;
      for (const auto & spike : spikes[p])
      {
        weighted += spike.Amplitude * factors[spike.Response];
        total += spike.Amplitude;
      }
      if (total > 0.0)
      {
        m_SpikeUnits[p] *= weighted / total;
      }
    }
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::EstimateNoiseLevels(const PixelType *               data,
                                                               const std::vector<ResultType> * results)
{
  if (!results)
  {
    m_NoiseLevels = TraceNoiseLevels(data, m_NumberOfTraces, m_NumberOfFrames, this->GetMultiThreader());
    return;
  }
  this->GetMultiThreader()->ParallelizeArray(
    0,
    m_NumberOfTraces,
    [&](SizeValueType p) {
      // The residual's root mean square: a robust spread would ignore the misfit that the
      // spikes cannot explain, and the counting stage's penalty would then find spikes in it.
      double energy = 0.0;
      for (double r : (*results)[p].Residual)
      {
        energy += r * r;
      }
      m_NoiseLevels[p] = std::sqrt(energy / double(m_NumberOfFrames));
    },
    nullptr);
}

template <typename TImage>
double
SparseTemporalDeconvolutionFilter<TImage>::PeakHeight(const typename PursuitType::Spike & spike) const
{
  const auto & f = m_Responses[spike.Response];
  return spike.Amplitude * *std::max_element(f.begin(), f.end());
}

template <typename TImage>
double
SparseTemporalDeconvolutionFilter<TImage>::CountPenalty(SizeValueType events) const
{
  // A spike in a frame with prior probability p costs log((1 - p) / p) nats; p from the events of
  // the free-amplitude pass, kept within [1/T, 1/2].
  const double p = std::min(0.5, std::max(1.0, double(events)) / double(m_NumberOfFrames));
  return std::log((1.0 - p) / p);
}

template <typename TImage>
auto
SparseTemporalDeconvolutionFilter<TImage>::EventHeights(const ResultType & result, SizeValueType trace,
                                                        bool significantOnly) const -> std::vector<EventHeight>
{
  // Significant: well above the noise (a unit-norm response's amplitude is the event's
  // matched-filter response in noise deviations times sigma).
  std::vector<EventHeight> events;
  const double             sigma = m_NoiseLevels[trace];
  for (const auto & spike : result.Spikes)
  {
    if (!significantOnly || spike.Amplitude >= UnitSignificance * sigma)
    {
      events.push_back({ this->PeakHeight(spike), this->PeakHeight({ 0, spike.Response, sigma }) });
    }
  }
  return events;
}

template <typename TImage>
double
SparseTemporalDeconvolutionFilter<TImage>::QuantumOfEventsAbove(const std::vector<EventHeight> & events, double floor)
{
  std::vector<double> heights, deviations;
  for (const auto & event : events)
  {
    if (event.Height >= floor)
    {
      heights.push_back(event.Height);
      deviations.push_back(event.Deviation);
    }
  }
  if (heights.empty())
  {
    return 0.0;
  }
  std::vector<double> sorted(heights);
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  return QuantalUnitEstimate(heights, deviations, sorted[sorted.size() / 2]);
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::EstimateSpikeUnits(const std::vector<ResultType> & results)
{
  // The recording's single-spike height, the quantum of every trace's events, starts every trace;
  // the refinements then fit each trace's own. (A trace's own events start badly: at high rates
  // most are merged spikes, at low rates few and noise.)
  std::vector<EventHeight> pooled;
  auto                     pool = [&](bool significantOnly) {
    for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
    {
      const auto events = this->EventHeights(results[p], p, significantOnly);
      pooled.insert(pooled.end(), events.begin(), events.end());
    }
  };
  pool(true);
  if (pooled.empty())
  {
    pool(false); // no significant event anywhere: all of them
  }
  double unit = m_SpikeUnit;
  if (!(unit > 0.0) && !pooled.empty())
  {
    // Events under half the median are no single spikes wherever merged spikes raise the median;
    // a response still too short leaves many of them in its tails, and they would pull the
    // quantum down to a fraction of a spike (0.5 on the dev traces from a 10-frame start).
    auto middle = pooled.begin() + pooled.size() / 2;
    std::nth_element(pooled.begin(), middle, pooled.end(), [](const EventHeight & a, const EventHeight & b) {
      return a.Height < b.Height;
    });
    unit = QuantumOfEventsAbove(pooled, 0.5 * middle->Height);
  }
  m_SpikeUnits.assign(m_NumberOfTraces, unit);
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    // Traces of unrelated scales (cells of a movie): each its own events' quantum, when it has
    // enough, above 0.3 times its typical largest (the median of its top tenth): at a high
    // signal-to-noise ratio many small events fit the response's mismatch or round-off.
    auto own =
      m_UnitPerTrace && !(m_SpikeUnit > 0.0) ? this->EventHeights(results[p], p, true) : std::vector<EventHeight>{};
    if (own.size() >= MinimumOwnEvents)
    {
      std::sort(
        own.begin(), own.end(), [](const EventHeight & a, const EventHeight & b) { return a.Height < b.Height; });
      const size_t tenth = std::max<size_t>(1, own.size() / 10);
      m_SpikeUnits[p] = QuantumOfEventsAbove(own, 0.3 * own[own.size() - 1 - tenth / 2].Height);
    }
    if (!(m_SpikeUnits[p] > 0.0))
    {
      m_SpikeUnits[p] = std::max(m_NoiseLevels[p], 1e-300); // no spike anywhere: any positive unit
    }
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::RefineSpikeUnits(const PixelType *               data,
                                                            const std::vector<ResultType> & results)
{
  // With the counts fixed, the unit that fits best: q <- q <m, y - b> / <m, m>, m the spikes' part
  // of the fit (y - residual - b).
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    double cross = 0.0, energy = 0.0;
    for (SizeValueType t = 0; t < m_NumberOfFrames; ++t)
    {
      const double y = double(data[p + t * m_NumberOfTraces]) - results[p].Baseline;
      const double model = y - results[p].Residual[t];
      cross += model * y;
      energy += model * model;
    }
    if (energy > 0.0 && cross > 0.0)
    {
      m_SpikeUnits[p] *= cross / energy;
    }
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::CountSpikes(const std::vector<ResultType> & results)
{
  m_Baselines.assign(m_NumberOfTraces, 0.0);
  m_Spikes.clear();
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    m_Baselines[p] = results[p].Baseline;
    for (const auto & spike : results[p].Spikes)
    {
      const double height = this->PeakHeight(spike);
      const auto   count = std::lround(height / m_SpikeUnits[p]);
      if (count > 0)
      {
        m_Spikes.push_back({ p, spike.Frame, spike.Response, height, unsigned(count) });
      }
    }
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::WriteOutputs(const std::vector<ResultType> & results)
{
  TImage * counts = this->GetOutput(0);
  TImage * fit = this->GetOutput(1);
  for (TImage * image : { counts, fit })
  {
    image->SetBufferedRegion(image->GetLargestPossibleRegion());
    image->Allocate();
    image->FillBuffer(0);
  }
  PixelType * c = counts->GetBufferPointer();
  for (const auto & spike : m_Spikes)
  {
    c[spike.Trace + spike.Frame * m_NumberOfTraces] = static_cast<PixelType>(spike.Count);
  }
  const PixelType * y = this->GetInput()->GetBufferPointer();
  PixelType *       f = fit->GetBufferPointer();
  for (SizeValueType p = 0; p < m_NumberOfTraces; ++p)
  {
    for (SizeValueType t = 0; t < m_NumberOfFrames; ++t)
    {
      const SizeValueType i = p + t * m_NumberOfTraces;
      f[i] = static_cast<PixelType>(double(y[i]) - results[p].Residual[t]);
    }
  }
}

template <typename TImage>
void
SparseTemporalDeconvolutionFilter<TImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ResponseLength: " << m_ResponseLength << "\n";
  os << indent << "NumberOfResponses: " << m_NumberOfResponses << "\n";
  os << indent << "LearnResponses: " << m_LearnResponses << "\n";
  os << indent << "NumberOfIterations: " << m_NumberOfIterations << "\n";
  os << indent << "PenaltyInNoiseVariances: " << m_PenaltyInNoiseVariances << "\n";
  os << indent << "InitialDecay: " << m_InitialDecay << "\n";
  os << indent << "RandomInitialization: " << m_RandomInitialization << " (Seed " << m_Seed << ")\n";
  os << indent << "SpikeUnit: " << m_SpikeUnit << " (NumberOfUnitRefinements " << m_NumberOfUnitRefinements << ")\n";
  os << indent << "EstimateBaseline: " << m_EstimateBaseline << "\n";
  os << indent << "UnitPerTrace: " << m_UnitPerTrace << std::endl;
  os << indent << "MaximumShift: " << m_MaximumShift << "\n";
}
} // namespace itk

#endif
