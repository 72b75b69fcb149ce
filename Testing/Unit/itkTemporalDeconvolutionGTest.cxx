// Sparse temporal deconvolution: the spike-train pursuit, the response estimator, the noise
// level and the filter, on planted traces.
#include "itkCommand.h"
#include "itkImage.h"
#include "itkImpulseResponseEstimator.h"
#include "itkQuantalUnitEstimate.h"
#include "itkSparseTemporalDeconvolutionFilter.h"
#include "itkSpikeTrainPursuit.h"
#include "itkTraceNoiseLevel.h"
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

namespace
{
using PursuitType = itk::SpikeTrainPursuit<double>;
using SpikeType = PursuitType::Spike;
using TraceImageType = itk::Image<float, 2>;
using FilterType = itk::SparseTemporalDeconvolutionFilter<TraceImageType>;

std::vector<double>
Exponential(size_t taps, double decayFrames)
{
  std::vector<double> f(taps);
  for (size_t k = 0; k < taps; ++k)
  {
    f[k] = std::exp(-double(k) / decayFrames);
  }
  return f;
}

std::vector<double>
Synthesize(const std::vector<double> & counts, const std::vector<double> & f, double baseline)
{
  std::vector<double> y(counts.size(), baseline);
  for (size_t t = 0; t < counts.size(); ++t)
  {
    for (size_t k = 0; k < f.size() && t + k < y.size(); ++k)
    {
      y[t + k] += counts[t] * f[k];
    }
  }
  return y;
}

/** Traces of the data README's protocol: Poisson spikes at rateHz (30 fps) through an exponential
 * of decayFrames, amplitude 1, Gaussian noise sigma; trace p's sample t at p + t * traces. */
struct PlantedTraces
{
  size_t              Traces, Frames;
  std::vector<double> Counts, Values;
};

PlantedTraces
MakePlanted(size_t traces, size_t frames, double rateHz, double decayFrames, double sigma, unsigned int seed)
{
  std::mt19937                     generator(seed);
  std::poisson_distribution<int>   spikes(rateHz / 30.0);
  std::normal_distribution<double> noise(0.0, sigma);
  PlantedTraces planted{ traces, frames, std::vector<double>(traces * frames), std::vector<double>(traces * frames) };
  const auto    f = Exponential(frames, decayFrames);
  for (size_t p = 0; p < traces; ++p)
  {
    std::vector<double> counts(frames);
    for (auto & c : counts)
    {
      c = spikes(generator);
    }
    const auto y = Synthesize(counts, f, 0.0);
    for (size_t t = 0; t < frames; ++t)
    {
      planted.Counts[p + t * traces] = counts[t];
      planted.Values[p + t * traces] = y[t] + noise(generator);
    }
  }
  return planted;
}

TraceImageType::Pointer
ToImage(const PlantedTraces & planted)
{
  auto image = TraceImageType::New();
  image->SetRegions(TraceImageType::SizeType{ { planted.Traces, planted.Frames } });
  image->Allocate();
  for (size_t i = 0; i < planted.Values.size(); ++i)
  {
    image->GetBufferPointer()[i] = static_cast<float>(planted.Values[i]);
  }
  return image;
}

/** The planted traces' model, fixed: the true response and spike height, no baseline. */
template <typename TFilter>
void
GiveTheTrueModel(TFilter * filter)
{
  filter->SetResponseLength(60);
  filter->SetInitialResponses({ Exponential(60, 15.0) });
  filter->SetLearnResponses(false);
  filter->SetSpikeUnit(1.0);
  filter->SetEstimateBaseline(false);
}

/** The scorer's accuracy TP / (TP + FP + FN), spikes matched one-to-one within +-2 frames by the
 * greedy sweep of ../shared/tools/score_ca.py (optimal for equal-width intervals). */
double
SpikeAccuracy(const PlantedTraces & planted, const std::vector<FilterType::SpikeEvent> & events)
{
  std::vector<std::vector<long>> estimated(planted.Traces), truth(planted.Traces);
  for (const auto & e : events)
  {
    estimated[e.Trace].insert(estimated[e.Trace].end(), e.Count, long(e.Frame));
  }
  size_t tp = 0, nTrue = 0, nEstimated = 0;
  for (size_t p = 0; p < planted.Traces; ++p)
  {
    for (size_t t = 0; t < planted.Frames; ++t)
    {
      truth[p].insert(truth[p].end(), size_t(planted.Counts[p + t * planted.Traces]), long(t));
    }
    std::sort(estimated[p].begin(), estimated[p].end());
    size_t i = 0, j = 0;
    while (i < truth[p].size() && j < estimated[p].size())
    {
      if (estimated[p][j] < truth[p][i] - 2)
      {
        ++j;
      }
      else if (estimated[p][j] > truth[p][i] + 2)
      {
        ++i;
      }
      else
      {
        ++tp, ++i, ++j;
      }
    }
    nTrue += truth[p].size();
    nEstimated += estimated[p].size();
  }
  return double(tp) / double(nTrue + nEstimated - tp);
}
} // namespace

// No single-frame change (add a spike with its best amplitude, re-fit or remove one) and no
// baseline change lowers the objective at the pursuit's result: the l0 problem's local
// optimality, checked by brute force against the objective evaluated from scratch.
TEST(SpikeTrainPursuit, ResultIsLocallyOptimalAndItsObjectiveIsExact)
{
  const auto          f = Exponential(20, 6.0);
  std::vector<double> counts(120, 0.0);
  for (size_t t : { 5, 6, 30, 52, 70, 71, 72, 100, 117 })
  {
    counts[t] += 1.0;
  }
  auto                             y = Synthesize(counts, f, 0.3);
  std::mt19937                     generator(3);
  std::normal_distribution<double> noise(0.0, 0.15);
  for (auto & v : y)
  {
    v += noise(generator);
  }
  auto pursuit = PursuitType::New();
  pursuit->SetResponses({ f });
  const double           lambda = 0.1;
  PursuitType::Workspace work;
  PursuitType::Result    result;
  pursuit->Deconvolve(y.data(), y.size(), 1, lambda, 0.0, work, result);
  const double objective = pursuit->EvaluateObjective(y.data(), y.size(), 1, lambda, result.Spikes, result.Baseline);
  EXPECT_NEAR(result.Objective, objective, 1e-9 * objective);
  ASSERT_GE(result.Spikes.size(), 6u);

  // The residual and each atom's best change, from scratch.
  std::vector<double> model = Synthesize(std::vector<double>(y.size(), 0.0), f, result.Baseline);
  for (const auto & s : result.Spikes)
  {
    for (size_t k = 0; k < f.size() && s.Frame + k < y.size(); ++k)
    {
      model[s.Frame + k] += s.Amplitude * f[k];
    }
  }
  const double slack = 0.05 * lambda + 1e-9; // the pursuit stops at gains below 5 % of lambda
  for (size_t t = 0; t < y.size(); ++t)
  {
    double correlation = 0.0, energy = 0.0, current = 0.0;
    for (size_t k = 0; k < f.size() && t + k < y.size(); ++k)
    {
      correlation += f[k] * (y[t + k] - model[t + k]);
      energy += f[k] * f[k];
    }
    for (const auto & s : result.Spikes)
    {
      current = s.Frame == t ? s.Amplitude : current;
    }
    const double best = std::max(0.0, current + correlation / energy), delta = best - current;
    const double change = -delta * correlation + 0.5 * delta * delta * energy + lambda * ((best > 0) - (current > 0));
    const double removal = current > 0 ? current * correlation + 0.5 * current * current * energy - lambda : 0.0;
    EXPECT_GE(change, -slack) << "frame " << t;
    EXPECT_GE(removal, -slack) << "frame " << t;
  }
  double residualSum = 0.0;
  for (size_t t = 0; t < y.size(); ++t)
  {
    residualSum += y[t] - model[t];
  }
  EXPECT_LE(0.5 * residualSum * residualSum / double(y.size()), slack); // the baseline's best change
}

// Counting with the true response and unit recovers a noise-free train exactly, doubles included.
TEST(SpikeTrainPursuit, CountingRecoversANoiseFreeTrainExactly)
{
  const auto          f = Exponential(60, 15.0);
  std::vector<double> counts(400, 0.0);
  for (size_t t : { 10, 40, 41, 90, 90, 150, 152, 153, 260, 300, 399 })
  {
    counts[t] += 1.0;
  }
  const auto y = Synthesize(counts, f, 0.0);
  auto       pursuit = PursuitType::New();
  pursuit->SetResponses({ f });
  pursuit->SetEstimateBaseline(false);
  PursuitType::Workspace work;
  PursuitType::Result    result;
  pursuit->Deconvolve(y.data(), y.size(), 1, 0.01, 1.0, work, result);
  EXPECT_NEAR(result.Objective, pursuit->EvaluateObjective(y.data(), y.size(), 1, 0.01, result.Spikes, 0.0, 1.0), 1e-9);
  EXPECT_NEAR(result.Objective, 0.01 * 11, 1e-9); // no residual, 11 spikes (two at frame 90)
  std::vector<double> found(counts.size(), 0.0);
  for (const auto & s : result.Spikes)
  {
    found[s.Frame] = s.Amplitude;
  }
  for (size_t t = 0; t < counts.size(); ++t)
  {
    EXPECT_NEAR(found[t], counts[t], 1e-9) << "frame " << t;
  }
}

TEST(SpikeTrainPursuit, RejectsBadResponsesAndParameters)
{
  auto pursuit = PursuitType::New();
  EXPECT_THROW(pursuit->SetResponses({}), itk::ExceptionObject);
  EXPECT_THROW(pursuit->SetResponses({ { 0.0, 0.0 } }), itk::ExceptionObject);
  EXPECT_THROW(pursuit->SetResponses({ { 1.0, NAN } }), itk::ExceptionObject);
  EXPECT_THROW(pursuit->SetResponses({ { 1.0, 0.5 }, { 1.0 } }), itk::ExceptionObject);
  std::vector<double>    y(10, 1.0);
  PursuitType::Workspace work;
  PursuitType::Result    result;
  EXPECT_THROW(pursuit->Deconvolve(y.data(), y.size(), 1, 0.1, 0.0, work, result), itk::ExceptionObject);
  pursuit->SetResponses({ { 1.0, 0.5 } });
  EXPECT_THROW(pursuit->Deconvolve(y.data(), y.size(), 1, -1.0, 0.0, work, result), itk::ExceptionObject);
  EXPECT_THROW(pursuit->Deconvolve(y.data(), 0, 1, 0.1, 0.0, work, result), itk::ExceptionObject);
  pursuit->SetResponses({ { -1.0, -0.5 } });
  EXPECT_THROW(pursuit->Deconvolve(y.data(), y.size(), 1, 0.1, 1.0, work, result), itk::ExceptionObject);
}

// Noise-free traces and their spikes give back the responses exactly; a response with a
// negative tap gives the non-negative least-squares one, whose gradient is >= 0 where it is 0.
TEST(ImpulseResponseEstimator, RecoversResponsesFromKnownSpikes)
{
  const std::vector<double>   f0 = Exponential(12, 4.0), f1 = { 0.0, 0.5, 1.0, 0.7, 0.4, 0.2, 0.1, 0.05, 0, 0, 0, 0 };
  std::mt19937                generator(5);
  std::bernoulli_distribution fires(0.08), second(0.5);
  itk::ImpulseResponseEstimator<double> estimator(2, 12);
  for (int trace = 0; trace < 20; ++trace)
  {
    std::vector<double>    y(200, 0.25);
    std::vector<SpikeType> spikes;
    for (size_t t = 0; t < y.size(); ++t)
    {
      if (fires(generator))
      {
        const unsigned int type = second(generator) ? 1 : 0;
        const double       amplitude = 1.0 + 0.1 * (t % 7);
        spikes.push_back({ t, type, amplitude });
        const auto & f = type ? f1 : f0;
        for (size_t k = 0; k < f.size() && t + k < y.size(); ++k)
        {
          y[t + k] += amplitude * f[k];
        }
      }
    }
    estimator.Accumulate(y.data(), y.size(), 1, 0.25, spikes, 1.0 + trace % 3);
  }
  std::vector<std::vector<double>> responses(2, std::vector<double>(12, 1.0));
  const double                     before = estimator.EvaluateQuadratic(responses);
  const auto                       scale = estimator.Solve(responses);
  auto                             unscaled = responses;
  for (size_t l = 0; l < 2; ++l)
  {
    for (double & v : unscaled[l])
    {
      v *= scale[l];
    }
  }
  EXPECT_LT(estimator.EvaluateQuadratic(unscaled), before); // the block step lowers the data term
  for (size_t l = 0; l < 2; ++l)
  {
    const auto & truth = l ? f1 : f0;
    double       norm = 0.0;
    for (double v : truth)
    {
      norm += v * v;
    }
    norm = std::sqrt(norm);
    EXPECT_NEAR(scale[l], norm, 1e-6 * norm);
    for (size_t k = 0; k < 12; ++k)
    {
      EXPECT_NEAR(responses[l][k], truth[k] / norm, 1e-6) << "response " << l << " tap " << k;
    }
  }
}

TEST(TraceNoiseLevels, EstimatesWhiteNoiseUnderASlowSignal)
{
  const size_t                     traces = 200, frames = 1000;
  std::vector<float>               data(traces * frames);
  std::mt19937                     generator(9);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (size_t p = 0; p < traces; ++p)
  {
    const double sigma = 0.1 + 0.5 * double(p) / traces;
    for (size_t t = 0; t < frames; ++t)
    {
      data[p + t * traces] = float(2.0 * std::sin(2.0 * M_PI * t / 300.0) + sigma * noise(generator));
    }
  }
  auto       threader = itk::MultiThreaderBase::New();
  const auto sigma = itk::TraceNoiseLevels(data.data(), traces, frames, threader.GetPointer());
  double     worst = 0.0, mean = 0.0;
  for (size_t p = 0; p < traces; ++p)
  {
    const double ratio = sigma[p] / (0.1 + 0.5 * double(p) / traces);
    worst = std::max(worst, std::abs(ratio - 1.0));
    mean += ratio / traces;
  }
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_LT(worst, 0.15);
}

// STD on noise-free traces with the true response and unit gives every spike at its frame.
TEST(QuantalUnitEstimate, FindsTheQuantumWhereTheMedianOverEstimatesIt)
{
  // Events of 1, 2, 3 spikes (Poisson-like weights) of height 0.8, noise deviations 0.05-0.2,
  // and a tenth of junk uniform over [0, 3].
  std::mt19937                           rng(5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double>       gauss(0.0, 1.0);
  const double                           quantum = 0.8;
  std::vector<double>                    heights, deviations;
  for (int i = 0; i < 4000; ++i)
  {
    const double deviation = 0.05 + 0.15 * uniform(rng);
    const double u = uniform(rng);
    const int    count = u < 0.65 ? 1 : u < 0.85 ? 2 : 3;
    heights.push_back(uniform(rng) < 0.1 ? 3.0 * uniform(rng) : count * quantum + deviation * gauss(rng));
    deviations.push_back(deviation);
  }
  std::vector<double> sorted(heights);
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  EXPECT_GT(median, 1.05 * quantum); // the bias the mixture removes
  EXPECT_NEAR(itk::QuantalUnitEstimate(heights, deviations, median), quantum, 0.01 * quantum);
  EXPECT_NEAR(itk::QuantalUnitEstimate(heights, deviations, 0.7 * quantum), quantum, 0.01 * quantum);

  // From half the quantum the comb would hold the events on its even teeth: twice that is taken.
  std::vector<double> evenOnly, evenDeviations;
  for (size_t i = 0; i < heights.size(); ++i)
  {
    if (heights[i] > 0.5 * quantum)
    {
      evenOnly.push_back(heights[i]);
      evenDeviations.push_back(deviations[i]);
    }
  }
  EXPECT_NEAR(itk::QuantalUnitEstimate(evenOnly, evenDeviations, 0.52 * quantum), quantum, 0.01 * quantum);
  // Nothing to fit: the start comes back.
  EXPECT_EQ(itk::QuantalUnitEstimate({}, {}, 0.3), 0.3);
  EXPECT_EQ(itk::QuantalUnitEstimate({ 1.0 }, { 0.1, 0.2 }, 0.3), 0.3);
}

TEST(SparseTemporalDeconvolutionFilter, NoiseFreeTracesWithTheTrueResponseAreExact)
{
  const auto planted = MakePlanted(8, 300, 4.0, 15.0, 0.0, 21);
  auto       filter = FilterType::New();
  filter->SetInput(ToImage(planted));
  GiveTheTrueModel(filter.GetPointer());
  filter->Update();
  const float * counts = filter->GetOutput()->GetBufferPointer();
  size_t        spikes = 0;
  for (size_t i = 0; i < planted.Counts.size(); ++i)
  {
    EXPECT_EQ(counts[i], float(planted.Counts[i])) << "trace " << i % 8 << " frame " << i / 8;
    spikes += size_t(planted.Counts[i]);
  }
  EXPECT_GT(spikes, 50u);
}

// Learning the response from noisy planted traces: accuracy >= 0.9 (issue 14), the learned
// response close to the true one, the fit close to the noise-free traces.
TEST(SparseTemporalDeconvolutionFilter, LearnsTheResponseFromNoisyTraces)
{
  const auto planted = MakePlanted(60, 600, 4.0, 15.0, 0.25, 8);
  auto       filter = FilterType::New();
  filter->SetInput(ToImage(planted));
  filter->SetResponseLength(60);
  filter->Update();
  EXPECT_EQ(filter->GetObjective().size(), filter->GetNumberOfIterations() + 2 + 2); // passes
  const double accuracy = SpikeAccuracy(planted, filter->GetSpikes());
  EXPECT_GE(accuracy, 0.9);
  auto   truth = Exponential(60, 15.0);
  double norm = 0.0, dot = 0.0;
  for (double v : truth)
  {
    norm += v * v;
  }
  for (size_t k = 0; k < 60; ++k)
  {
    dot += truth[k] * filter->GetResponses()[0][k];
  }
  EXPECT_GT(dot / std::sqrt(norm), 0.995);
  // Noise levels (root mean square residual, misfit included) and spike units near the truth.
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  EXPECT_NEAR(median(filter->GetNoiseLevels()), 0.25, 0.025);
  EXPECT_NEAR(median(filter->GetSpikeUnits()), 1.0, 0.03);
}

TEST(SparseTemporalDeconvolutionFilter, RejectsBadInputsAndAborts)
{
  const auto planted = MakePlanted(4, 50, 4.0, 15.0, 0.1, 2);
  auto       image = ToImage(planted);
  auto       run = [&](const std::function<void(FilterType *)> & set) {
    auto filter = FilterType::New();
    filter->SetInput(image);
    filter->SetResponseLength(20);
    set(filter);
    filter->Update();
  };
  EXPECT_THROW(run([](FilterType * f) { f->SetResponseLength(60); }), itk::ExceptionObject); // longer than the sequence
  EXPECT_THROW(run([](FilterType * f) { f->SetNumberOfResponses(0); }), itk::ExceptionObject);
  EXPECT_THROW(run([](FilterType * f) { f->SetPenaltyInNoiseVariances(-1.0); }), itk::ExceptionObject);
  EXPECT_THROW(run([](FilterType * f) { f->SetInitialResponses({ std::vector<double>(30, 1.0) }); }),
               itk::ExceptionObject); // 30 taps, ResponseLength 20
  EXPECT_THROW(run([](FilterType * f) { f->SetInitialResponses({ std::vector<double>(20, 0.0) }); }),
               itk::ExceptionObject); // all zero
  image->GetBufferPointer()[7] = NAN;
  EXPECT_THROW(run([](FilterType *) {}), itk::ExceptionObject);
  image->GetBufferPointer()[7] = 0.0f;
  EXPECT_NO_THROW(run([](FilterType *) {}));

  auto filter = FilterType::New();
  filter->SetInput(image);
  filter->SetResponseLength(20);
  auto abort = itk::CStyleCommand::New();
  abort->SetClientData(filter.GetPointer());
  abort->SetCallback([](itk::Object *, const itk::EventObject &, void * data) {
    static_cast<FilterType *>(data)->AbortGenerateDataOn();
  });
  filter->AddObserver(itk::IterationEvent(), abort);
  EXPECT_THROW(filter->Update(), itk::ProcessAborted);
}

// A movie (2-D + time) is one trace per pixel: the same spikes as the traces laid out in 2-D.
TEST(SparseTemporalDeconvolutionFilter, MovieIsOneTracePerPixel)
{
  using MovieType = itk::Image<float, 3>;
  const auto planted = MakePlanted(12, 300, 4.0, 15.0, 0.0, 4);
  auto       movie = MovieType::New();
  movie->SetRegions(MovieType::SizeType{ { 4, 3, 300 } });
  movie->Allocate();
  std::copy(planted.Values.begin(), planted.Values.end(), movie->GetBufferPointer());
  auto filter = itk::SparseTemporalDeconvolutionFilter<MovieType>::New();
  filter->SetInput(movie);
  GiveTheTrueModel(filter.GetPointer());
  filter->Update();
  const float * counts = filter->GetOutput()->GetBufferPointer();
  for (size_t i = 0; i < planted.Counts.size(); ++i)
  {
    ASSERT_EQ(counts[i], float(planted.Counts[i])) << "pixel " << i % 12 << " frame " << i / 12;
  }
  EXPECT_EQ(filter->GetNoiseLevels().size(), 12u);
  EXPECT_EQ(filter->GetFit()->GetLargestPossibleRegion(), movie->GetLargestPossibleRegion());
}
