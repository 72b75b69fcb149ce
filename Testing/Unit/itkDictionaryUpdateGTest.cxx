#include "itkCSCTestHelpers.h"
#include "itkConvolutionalDictionaryUpdate.h"
#include "itkDictionaryProjection.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cmath>
#include <thread>
#include <numeric>
#include <random>

// The dictionary step of learning: the constraint projections and ConvolutionalDictionaryUpdate.
namespace
{
using Enums = itk::ConvolutionalSparseCodingEnums;
using Norm = Enums::KernelNormConstraint;
struct ProjectionCase
{
  Norm norm;
  bool zeroMean;
  bool nonNegative;
};

std::ostream &
operator<<(std::ostream & os, const ProjectionCase & c)
{
  return os << c.norm << (c.zeroMean ? " zero-mean" : "") << (c.nonNegative ? " non-negative" : "");
}

/** A random point of the constraint set, drawn independently of the projection. */
std::vector<double>
RandomFeasible(const ProjectionCase & c, size_t n, std::mt19937 & generator)
{
  std::normal_distribution<double>       normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<double>                    q(n);
  for (auto & v : q)
  {
    v = c.nonNegative ? std::abs(normal(generator)) : normal(generator);
  }
  if (c.zeroMean)
  {
    const double mean = std::accumulate(q.begin(), q.end(), 0.0) / n;
    for (auto & v : q)
    {
      v -= mean;
    }
  }
  double l2 = 0, l1 = 0;
  for (const double v : q)
  {
    l2 += v * v;
    l1 += std::abs(v);
  }
  const double radius = c.norm == Norm::L2Ball ? std::pow(uniform(generator), 1.0 / n) : 1.0;
  const double scale = c.norm == Norm::UnitL1 ? 1.0 / l1 : radius / std::sqrt(l2);
  for (auto & v : q)
  {
    v *= scale;
  }
  return q;
}

double
Distance2(const std::vector<double> & a, const std::vector<double> & b)
{
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
  {
    sum += (a[i] - b[i]) * (a[i] - b[i]);
  }
  return sum;
}

class DictionaryProjectionCases : public ::testing::TestWithParam<ProjectionCase>
{};

TEST_P(DictionaryProjectionCases, IsTheNearestFeasiblePoint)
{
  const ProjectionCase              c = GetParam();
  itk::DictionaryProjection<double> projection;
  projection.SetNorm(c.norm);
  projection.SetZeroMean(c.zeroMean);
  projection.SetNonNegative(c.nonNegative);
  ASSERT_NO_THROW(projection.Validate());
  std::mt19937 generator(5);
  const size_t n = 6;
  for (int trial = 0; trial < 20; ++trial)
  {
    // Points inside and outside the unit balls.
    auto v = csctest::RandomVector<double>(n, 100 + trial);
    for (auto & x : v)
    {
      x *= (trial % 2 ? 2.0 : 0.2);
    }
    auto p = v;
    projection.Project(p.data(), n);
    // Feasible.
    double l2 = 0, l1 = 0, sum = 0;
    for (const double x : p)
    {
      l2 += x * x;
      l1 += std::abs(x);
      sum += x;
      if (c.nonNegative)
      {
        EXPECT_GE(x, 0.0);
      }
    }
    if (c.zeroMean)
    {
      EXPECT_NEAR(sum, 0.0, 1e-12);
    }
    if (c.norm == Norm::L2Ball)
    {
      EXPECT_LE(l2, 1.0 + 1e-12);
    }
    else if (c.norm == Norm::UnitL2)
    {
      EXPECT_NEAR(l2, 1.0, 1e-12);
    }
    else
    {
      EXPECT_NEAR(l1, 1.0, 1e-12);
    }
    // Brute force: no feasible point among many is nearer.
    const double best = Distance2(v, p);
    for (int s = 0; s < 20000; ++s)
    {
      const auto q = RandomFeasible(c, n, generator);
      ASSERT_LE(best, Distance2(v, q) + 1e-12) << c << " trial " << trial;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
  Constraints, DictionaryProjectionCases,
  ::testing::Values(ProjectionCase{ Norm::L2Ball, false, false }, ProjectionCase{ Norm::L2Ball, true, false },
                    ProjectionCase{ Norm::L2Ball, false, true }, ProjectionCase{ Norm::UnitL2, false, false },
                    ProjectionCase{ Norm::UnitL2, true, false }, ProjectionCase{ Norm::UnitL1, false, false },
                    ProjectionCase{ Norm::UnitL1, false, true }));

TEST(DictionaryProjection, RejectsContradictoryConstraints)
{
  itk::DictionaryProjection<float> projection;
  projection.SetZeroMean(true);
  projection.SetNonNegative(true);
  EXPECT_THROW(projection.Validate(), itk::ExceptionObject);
  projection.SetNonNegative(false);
  projection.SetNorm(Norm::UnitL1);
  EXPECT_THROW(projection.Validate(), itk::ExceptionObject);
}

/** A small periodic dictionary-update problem: I images, random sparse maps, a random
 * dictionary made the signal plus noise. */
struct UpdateProblem
{
  itk::MultiChannelFourierConvolution<double>::Pointer op;
  itk::ConvolutionalDictionaryUpdate<double>::Pointer  update;
  std::vector<double>                                  start;
};

/** \c images of the problem's images (all when empty) are also accumulated (forgetting 1) for
 * RunAccumulatedADMM(). The operator runs in one thread (as the threads of the two-process tests
 * need). */
UpdateProblem
MakeUpdateProblem(unsigned int images, const std::vector<unsigned int> & accumulated = {})
{
  const std::vector<itk::SizeValueType> imageSize{ 15, 12 }, kernelSize{ 4, 3 };
  const unsigned int                    K = 3;
  const size_t                          pixels = 15 * 12, taps = 12;
  UpdateProblem                         problem;
  const auto                            kernels = csctest::RandomVector<double>(K * taps, 7);
  problem.op = itk::MultiChannelFourierConvolution<double>::Create(
    imageSize, kernels.data(), kernelSize, K, Enums::Boundary::Periodic, FFTW_ESTIMATE, {}, 1);
  problem.update = itk::ConvolutionalDictionaryUpdate<double>::New();
  problem.update->SetOperator(problem.op);
  itk::DictionaryProjection<double> projection; // ||d||_2 <= 1
  problem.update->SetProjection(projection);
  std::mt19937                           generator(9);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (unsigned int i = 0; i < images; ++i)
  {
    std::vector<double> maps(K * pixels, 0.0);
    for (auto & v : maps)
    {
      v = uniform(generator) < 0.1 ? 2 * uniform(generator) - 1 : 0.0;
    }
    auto signal = csctest::RandomVector<double>(pixels, 200 + i);
    auto domain = problem.op->AllocateSpatial(K);
    problem.op->PadToDomain(maps.data(), domain.data(), K);
    if (accumulated.empty())
    {
      problem.update->AddSample(signal.data(), domain.data());
    }
    if (accumulated.empty() || std::count(accumulated.begin(), accumulated.end(), i) > 0)
    {
      problem.update->AccumulateSample(signal.data(), domain.data(), 1.0);
    }
  }
  problem.start = csctest::RandomVector<double>(K * taps, 77);
  problem.update->ProjectKernels(problem.start);
  return problem;
}

TEST(ConvolutionalDictionaryUpdate, GradientStepsDecreaseTheObjectiveMonotonically)
{
  auto   problem = MakeUpdateProblem(3);
  auto   d = problem.start;
  double previous = problem.update->Evaluate(d);
  for (int step = 0; step < 30; ++step)
  {
    problem.update->Run(d, 1, false);
    const double current = problem.update->Evaluate(d);
    EXPECT_LE(current, previous + 1e-12) << "step " << step;
    previous = current;
  }
}

TEST(ConvolutionalDictionaryUpdate, FISTAAndExactADMMReachTheSameKKTPoint)
{
  for (unsigned int images : { 1u, 3u })
  {
    auto problem = MakeUpdateProblem(images);
    auto fista = problem.start, admm = problem.start;
    problem.update->Run(fista, 3000);
    ASSERT_TRUE(problem.update->CanSolveExactly());
    problem.update->RunADMM(admm, 3000);
    const double f = problem.update->Evaluate(fista), a = problem.update->Evaluate(admm);
    EXPECT_NEAR(f, a, 1e-7 * std::max(1.0, f)) << images << " images";
    // KKT for a convex constraint set: d is a fixed point of the projected gradient step, so
    // <-grad f(d), q - d> <= 0 for every feasible q.
    std::vector<double> gradient;
    problem.update->EvaluateWithGradient(fista, gradient);
    const double        L = problem.update->GetLipschitzConstant();
    std::vector<double> moved(fista.size());
    for (size_t j = 0; j < fista.size(); ++j)
    {
      moved[j] = fista[j] - gradient[j] / L;
    }
    problem.update->ProjectKernels(moved);
    double change = 0;
    for (size_t j = 0; j < fista.size(); ++j)
    {
      change = std::max(change, std::abs(moved[j] - fista[j]));
      EXPECT_NEAR(fista[j], admm[j], 1e-4);
    }
    EXPECT_LT(change, 1e-8) << images << " images";
  }
}

TEST(ConvolutionalDictionaryUpdate, LipschitzConstantBoundsTheCurvature)
{
  // L = ||A||^2 for A: d -> (X_i d)_i: |A v|^2 <= L |v|^2 for random v, with near-equality for some.
  auto         problem = MakeUpdateProblem(3);
  const double L = problem.update->GetLipschitzConstant();
  ASSERT_GT(L, 0);
  std::vector<double> zero(problem.start.size(), 0.0);
  const double        offset = problem.update->Evaluate(zero);
  for (int trial = 0; trial < 50; ++trial)
  {
    auto v = csctest::RandomVector<double>(problem.start.size(), 300 + trial);
    // f(v) + f(-v) - 2 f(0) = |A v|^2.
    std::vector<double> minus(v.size());
    std::transform(v.begin(), v.end(), minus.begin(), [](double x) { return -x; });
    const double curvature = problem.update->Evaluate(v) + problem.update->Evaluate(minus) - 2 * offset;
    EXPECT_LE(curvature, L * csctest::Dot(v, v) * (1 + 1e-9));
  }
}

TEST(ConvolutionalDictionaryUpdate, AccumulatedADMMTakesTheStepsOfExactADMM)
{
  // The same per-frequency system, solved through Woodbury (I x I) or from the summed
  // statistics (K x K): the same iterates, step by step.
  for (unsigned int images : { 1u, 3u })
  {
    auto problem = MakeUpdateProblem(images);
    for (unsigned int steps : { 1u, 5u, 20u })
    {
      auto exact = problem.start, accumulated = problem.start;
      problem.update->RunADMM(exact, steps);
      problem.update->ResetDual();
      problem.update->RunAccumulatedADMM(accumulated, steps);
      problem.update->ResetDual();
      for (size_t j = 0; j < exact.size(); ++j)
      {
        ASSERT_NEAR(exact[j], accumulated[j], 1e-11) << images << " images, " << steps << " steps, tap " << j;
      }
    }
  }
}

TEST(ConvolutionalDictionaryUpdate, ProcessesSharingTheImagesTakeTheStepsOfOne)
{
  // Two processes (threads here; MPI ranks in the tool) each hold some of the three images: after
  // SumAccumulation() and RunAccumulatedADMM() both hold the kernels one update on all three
  // reaches, and each has handed over the bytes the documented formula counts.
  auto whole = MakeUpdateProblem(3);
  auto expected = whole.start;
  whole.update->RunADMM(expected, 7);

  csctest::ThreadCommunicator::Shared shared(2);
  std::vector<UpdateProblem>          parts{ MakeUpdateProblem(3, { 0, 2 }), MakeUpdateProblem(3, { 1 }) };
  std::vector<std::vector<double>>    kernels(2);
  std::vector<csctest::ThreadCommunicator::Pointer> communicators;
  std::vector<std::thread>                          threads;
  for (unsigned int p = 0; p < 2; ++p)
  {
    communicators.push_back(csctest::ThreadCommunicator::Make(&shared, p));
    parts[p].update->SetCommunicator(communicators[p]);
    kernels[p] = parts[p].start;
  }
  for (unsigned int p = 0; p < 2; ++p)
  {
    threads.emplace_back([&, p] {
      parts[p].update->SumAccumulation();
      parts[p].update->RunAccumulatedADMM(kernels[p], 7);
    });
  }
  for (auto & thread : threads)
  {
    thread.join();
  }
  const size_t K = 3, F = whole.op->GetNumberOfFrequencies();
  for (unsigned int p = 0; p < 2; ++p)
  {
    for (size_t j = 0; j < expected.size(); ++j)
    {
      EXPECT_NEAR(kernels[p][j], expected[j], 1e-11) << "process " << p << ", tap " << j;
    }
    // F (K(K+1)/2 + K) complex statistics, then K F complex spectra per step.
    EXPECT_EQ(communicators[p]->GetBytesCommunicated(), 16 * F * (K * (K + 1) / 2 + K) + 7 * 16 * K * F);
  }
}
} // namespace
