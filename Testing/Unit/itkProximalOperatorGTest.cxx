#include "itkAlignedBuffer.h"
#include "itkCSCTestHelpers.h"
#include "itkL0ProximalOperator.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeGroupL2ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include "itkTotalVariationProximalOperator.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <functional>
#include <limits>

namespace
{
using Objective = std::function<double(const std::vector<double> &)>;

/** Brute-force minimum of a function of a few variables: a grid search refined around the
 * best point, five times, each time ten times finer. */
std::vector<double>
BruteForceMinimum(const Objective & f, std::vector<double> centre, double halfWidth)
{
  const size_t dims = centre.size();
  const int    steps = dims == 1 ? 2000 : (dims == 2 ? 60 : 16);
  for (int level = 0; level < 5; ++level)
  {
    std::vector<double> best = centre;
    double              bestValue = f(centre);
    std::vector<int>    index(dims, 0);
    for (;;)
    {
      std::vector<double> point(dims);
      for (size_t d = 0; d < dims; ++d)
      {
        point[d] = centre[d] - halfWidth + 2 * halfWidth * index[d] / steps;
      }
      const double value = f(point);
      if (value < bestValue)
      {
        bestValue = value;
        best = point;
      }
      size_t d = 0;
      for (; d < dims; ++d)
      {
        if (++index[d] <= steps)
        {
          break;
        }
        index[d] = 0;
      }
      if (d == dims)
      {
        break;
      }
    }
    centre = best;
    halfWidth *= dims == 1 ? 0.01 : 0.1;
  }
  return centre;
}

double
HalfSquaredDistance(const std::vector<double> & x, const std::vector<double> & v)
{
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i)
  {
    sum += 0.5 * (x[i] - v[i]) * (x[i] - v[i]);
  }
  return sum;
}

/** prox_{t g}(v) of a separable operator against the brute-force minimiser, coefficient by coefficient. */
void
ExpectSeparableProxIsMinimiser(const itk::ProximalOperator<double> & prox, const std::function<double(double)> & g,
                               double threshold)
{
  const auto          v = csctest::RandomVector<double>(40, 21);
  std::vector<double> x(v.size());
  for (size_t i = 0; i < v.size(); ++i)
  {
    x[i] = 2 * v[i];
  }
  prox.Apply(x.data(), x.size(), 1, 0, x.size(), threshold);
  for (size_t i = 0; i < v.size(); ++i)
  {
    const double vi = 2 * v[i];
    double       xi = 2 * v[i];
    prox.Apply(&xi, 1, 1, 0, 1, threshold);
    const Objective f = [&](const std::vector<double> & p) {
      return 0.5 * (p[0] - vi) * (p[0] - vi) + threshold * g(p[0]);
    };
    auto expected = BruteForceMinimum(f, { vi }, 3.0);
    if (f({ 0.0 }) < f(expected))
    {
      expected = { 0.0 }; // a grid never lands exactly on 0, where l0 has its jump
    }
    // The block call on 40 values agrees with the call on one value.
    EXPECT_DOUBLE_EQ(x[i], xi);
    EXPECT_LE(f({ xi }), f(expected) + 1e-9) << "v = " << vi;
    EXPECT_NEAR(xi, expected[0], 1e-4) << "v = " << vi;
  }
}

constexpr double Infinity = std::numeric_limits<double>::infinity();

TEST(ProximalOperators, L1IsSoftThresholdMinimiser)
{
  auto prox = itk::L1ProximalOperator<double>::New();
  ExpectSeparableProxIsMinimiser(
    *prox, [](double x) { return std::abs(x); }, 0.4);
  const double v[3] = { -2.0, 0.0, 3.0 };
  EXPECT_DOUBLE_EQ(prox->Evaluate(v, 3, 1, 0, 3), 5.0);
}

TEST(ProximalOperators, NonNegativeL1IsOneSidedMinimiser)
{
  auto prox = itk::NonNegativeL1ProximalOperator<double>::New();
  ExpectSeparableProxIsMinimiser(
    *prox, [](double x) { return x < 0 ? Infinity : x; }, 0.4);
}

TEST(ProximalOperators, L0IsHardThresholdMinimiser)
{
  auto prox = itk::L0ProximalOperator<double>::New();
  ExpectSeparableProxIsMinimiser(
    *prox, [](double x) { return x != 0 ? 1.0 : 0.0; }, 0.3);
  const double v[4] = { -2.0, 0.0, 3.0, 0.0 };
  EXPECT_DOUBLE_EQ(prox->Evaluate(v, 4, 1, 0, 4), 2.0);
}

TEST(ProximalOperators, NonNegativeGroupL2IsMinimiserOfItsProblem)
{
  // Channels {0,1} and {2} are groups, channel 3 is unpenalised (non-negative only).
  auto prox = itk::NonNegativeGroupL2ProximalOperator<double>::New();
  prox->SetGroups({ { 0, 1 }, { 2 } });
  prox->Validate(4);
  const double threshold = 0.5;
  auto         g = [](const std::vector<double> & x) {
    for (double value : x)
    {
      if (value < 0)
      {
        return Infinity;
      }
    }
    return std::sqrt(x[0] * x[0] + x[1] * x[1]) + x[2];
  };
  const auto random = csctest::RandomVector<double>(4 * 30, 31);
  for (size_t pixel = 0; pixel < 30; ++pixel)
  {
    std::vector<double> v(4);
    for (size_t c = 0; c < 4; ++c)
    {
      v[c] = 1.5 * random[4 * pixel + c];
    }
    // Planar layout, one pixel, stride 1 between channels.
    std::vector<double> x = v;
    prox->Apply(x.data(), 1, 4, 0, 1, threshold);
    const Objective f = [&](const std::vector<double> & p) { return HalfSquaredDistance(p, v) + threshold * g(p); };
    // The problem splits into {0,1}, {2}, {3}: brute-force each part.
    const auto pair = BruteForceMinimum(
      [&](const std::vector<double> & p) {
        return f({ p[0], p[1], x[2], x[3] });
      },
      { std::max(v[0], 0.0), std::max(v[1], 0.0) },
      1.6);
    const auto single = BruteForceMinimum(
      [&](const std::vector<double> & p) {
        return f({ x[0], x[1], p[0], x[3] });
      },
      { std::max(v[2], 0.0) },
      1.6);
    const auto free = BruteForceMinimum(
      [&](const std::vector<double> & p) {
        return f({ x[0], x[1], x[2], p[0] });
      },
      { std::max(v[3], 0.0) },
      1.6);
    EXPECT_NEAR(x[0], pair[0], 1e-4);
    EXPECT_NEAR(x[1], pair[1], 1e-4);
    EXPECT_NEAR(x[2], single[0], 1e-4);
    EXPECT_NEAR(x[3], free[0], 1e-4);
    EXPECT_LE(f(x), f({ pair[0], pair[1], single[0], free[0] }) + 1e-9);
  }
}

// The fused prox-and-penalty the y-steps call equals Apply() then Evaluate(), for the fused
// l1 operators and for the default of an operator that couples channels.
TEST(ProximalOperators, ApplyAndEvaluateEqualsApplyThenEvaluate)
{
  auto group = itk::NonNegativeGroupL2ProximalOperator<float>::New();
  group->SetGroups({ { 0, 1 }, { 2 } });
  group->Validate(3);
  const std::vector<itk::ProximalOperator<float>::Pointer> operators = {
    itk::L1ProximalOperator<float>::New().GetPointer(),
    itk::NonNegativeL1ProximalOperator<float>::New().GetPointer(),
    group.GetPointer()
  };
  const auto v = csctest::RandomVector<float>(3 * 1000, 43);
  for (const auto & prox : operators)
  {
    auto         fused = v, separate = v;
    const double penalty = prox->ApplyAndEvaluate(fused.data(), 1000, 3, 0, 1000, 0.4f);
    prox->Apply(separate.data(), 1000, 3, 0, 1000, 0.4f);
    EXPECT_NEAR(penalty, prox->Evaluate(separate.data(), 1000, 3, 0, 1000), 1e-4 * (1 + penalty));
    EXPECT_GT(penalty, 0);
    for (size_t i = 0; i < v.size(); ++i)
    {
      ASSERT_EQ(fused[i], separate[i]) << prox->GetNameOfClass() << " at " << i;
    }
    if (prox->IsSeparable())
    {
      auto channel = v;
      EXPECT_NEAR(prox->ApplyAndEvaluateChannel(2, channel.data() + 2000, 0, 1000, 0.4f),
                  prox->EvaluateChannel(2, separate.data() + 2000, 0, 1000),
                  1e-4 * (1 + penalty));
    }
  }
}

// Large buffers are mapped with huge pages: still zero, 64-byte aligned, writable to the end,
// and re-allocatable; small ones come from the heap with the same guarantees.
TEST(AlignedBuffer, LargeAndSmallBuffersAreZeroAlignedAndWritable)
{
  for (const size_t size : { size_t(1000), itk::AlignedBuffer<float>::HugePageThreshold / sizeof(float) + 3 })
  {
    itk::AlignedBuffer<float> buffer(size);
    ASSERT_EQ(buffer.size(), size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer.data()) % 64, 0u);
    EXPECT_EQ(*std::max_element(buffer.data(), buffer.data() + size), 0.0f);
    buffer.Fill(2.0f);
    buffer[size - 1] = 3.0f;
    EXPECT_EQ(buffer[size - 1] + buffer[0], 5.0f);
    buffer.Allocate(size / 2);
    EXPECT_EQ(buffer.size(), size / 2);
    EXPECT_EQ(*std::max_element(buffer.data(), buffer.data() + size / 2), 0.0f);
  }
}

TEST(ProximalOperators, GroupsOfOneChannelReduceToNonNegativeL1)
{
  auto group = itk::NonNegativeGroupL2ProximalOperator<double>::New();
  group->SetGroups({ { 0 }, { 1 }, { 2 } });
  group->Validate(3);
  auto       l1 = itk::NonNegativeL1ProximalOperator<double>::New();
  const auto v = csctest::RandomVector<double>(3 * 50, 41);
  auto       a = v, b = v;
  group->Apply(a.data(), 50, 3, 0, 50, 0.3);
  l1->Apply(b.data(), 50, 3, 0, 50, 0.3);
  for (size_t i = 0; i < v.size(); ++i)
  {
    EXPECT_DOUBLE_EQ(a[i], b[i]);
  }
  EXPECT_NEAR(group->Evaluate(a.data(), 50, 3, 0, 50), l1->Evaluate(b.data(), 50, 3, 0, 50), 1e-12);
}

TEST(ProximalOperators, SingletonGroupsAreSeparableChannelByChannel)
{
  // Channel 1 is in no group (a background channel: non-negative, unpenalised).
  auto group = itk::NonNegativeGroupL2ProximalOperator<double>::New();
  group->SetGroups({ { 0 }, { 2 } });
  group->Validate(3);
  EXPECT_TRUE(group->IsSeparable());
  const auto v = csctest::RandomVector<double>(3 * 50, 43);
  auto       whole = v, byChannel = v;
  group->Apply(whole.data(), 50, 3, 0, 50, 0.3);
  double penalty = 0;
  for (unsigned int k = 0; k < 3; ++k)
  {
    group->ApplyToChannel(k, byChannel.data() + k * 50, 0, 50, 0.3);
    penalty += group->EvaluateChannel(k, byChannel.data() + k * 50, 0, 50);
  }
  for (size_t i = 0; i < v.size(); ++i)
  {
    EXPECT_DOUBLE_EQ(whole[i], byChannel[i]);
  }
  EXPECT_NEAR(penalty, group->Evaluate(whole.data(), 50, 3, 0, 50), 1e-12);
  group->SetGroups({ { 0, 2 } });
  group->Validate(3);
  EXPECT_FALSE(group->IsSeparable());
}

TEST(ProximalOperators, GroupValidationNamesTheProblem)
{
  auto prox = itk::NonNegativeGroupL2ProximalOperator<float>::New();
  prox->SetGroups({ { 0, 1 }, { 1, 2 } });
  EXPECT_THROW(prox->Validate(3), itk::ExceptionObject);
  prox->SetGroups({ { 0, 5 } });
  EXPECT_THROW(prox->Validate(3), itk::ExceptionObject);
  prox->SetGroups({ { 0 }, {} });
  EXPECT_THROW(prox->Validate(3), itk::ExceptionObject);
  prox->SetGroups({ { 0 }, { 2 } });
  EXPECT_NO_THROW(prox->Validate(3));
  float v[4] = { 1, 2, 3, 4 };
  EXPECT_THROW(prox->Apply(v, 1, 4, 0, 1, 0.1f), itk::ExceptionObject);
}
} // namespace

namespace
{
using TVProx = itk::TotalVariationProximalOperator<double>;

/** 1/2 ||x - b||^2 + lambda TV(x). */
double
TVObjective(const TVProx & tv, const std::vector<double> & x, const std::vector<double> & b, double lambda)
{
  double fidelity = 0;
  for (size_t i = 0; i < x.size(); ++i)
  {
    fidelity += 0.5 * (x[i] - b[i]) * (x[i] - b[i]);
  }
  return fidelity + lambda * tv.Evaluate(x.data());
}
} // namespace

TEST(TotalVariationProx, DualityGapCertifiesTheOptimumIn2DAnd3D)
{
  for (const auto & size : std::vector<std::vector<itk::SizeValueType>>{ { 20, 17 }, { 6, 5, 4 }, { 31 } })
  {
    auto tv = TVProx::New();
    tv->SetImageSize(size);
    tv->SetMaximumNumberOfIterations(20000);
    tv->SetRelativeGapTolerance(1e-9);
    const auto          b = csctest::RandomVector<double>(csctest::Product(size), 5);
    std::vector<double> x(b.size());
    tv->Apply(b.data(), x.data(), 0.3);
    const double objective = TVObjective(*tv, x, b, 0.3);
    EXPECT_LE(tv->GetLastDualityGap(), 1e-9 * objective) << size.size() << "-D";
    EXPECT_LT(tv->Evaluate(x.data()), 0.5 * tv->Evaluate(b.data())) << "TV must fall";
    // Convex: no direction lowers the objective.
    for (unsigned int seed = 0; seed < 20; ++seed)
    {
      const auto direction = csctest::RandomVector<double>(x.size(), 100 + seed);
      auto       moved = x;
      for (size_t i = 0; i < x.size(); ++i)
      {
        moved[i] += 1e-3 * direction[i];
      }
      EXPECT_GE(TVObjective(*tv, moved, b, 0.3), objective - 1e-9 * objective);
    }
  }
}

TEST(TotalVariationProx, EqualsABruteForceSolveOnATinyImage)
{
  // Brute force: accelerated gradient descent on the primal with TV smoothed to
  // sum sqrt(|grad x|^2 + eps^2), 5,000,000 steps on a 3 x 3 image.
  const std::vector<itk::SizeValueType> size{ 3, 3 };
  const std::vector<double>             b{ 0.9, -0.2, 0.4, 0.1, 1.3, -0.7, 0.5, 0.0, 0.8 };
  const double                          lambda = 0.25, eps = 1e-6;
  auto                                  tv = TVProx::New();
  tv->SetImageSize(size);
  tv->SetMaximumNumberOfIterations(50000);
  tv->SetRelativeGapTolerance(1e-12);
  std::vector<double> x(9);
  tv->Apply(b.data(), x.data(), lambda);

  auto smoothedGradient = [&](const std::vector<double> & v, std::vector<double> & gradient) {
    for (int i = 0; i < 9; ++i)
    {
      gradient[i] = v[i] - b[i];
    }
    for (int y = 0; y < 3; ++y)
    {
      for (int xi = 0; xi < 3; ++xi)
      {
        const int    i = y * 3 + xi;
        const double gx = xi < 2 ? v[i + 1] - v[i] : 0, gy = y < 2 ? v[i + 3] - v[i] : 0;
        const double norm = std::sqrt(gx * gx + gy * gy + eps * eps);
        if (xi < 2)
        {
          gradient[i + 1] += lambda * gx / norm;
          gradient[i] -= lambda * gx / norm;
        }
        if (y < 2)
        {
          gradient[i + 3] += lambda * gy / norm;
          gradient[i] -= lambda * gy / norm;
        }
      }
    }
  };
  std::vector<double> v = b, previous = b, point = b, gradient(9);
  const double        step = 1.0 / (1.0 + 8.0 * lambda / eps);
  for (int k = 1; k <= 5000000; ++k)
  {
    smoothedGradient(point, gradient);
    previous = v;
    for (int i = 0; i < 9; ++i)
    {
      v[i] = point[i] - step * gradient[i];
    }
    for (int i = 0; i < 9; ++i)
    {
      point[i] = v[i] + (k - 1.0) / (k + 2.0) * (v[i] - previous[i]);
    }
  }
  EXPECT_LE(TVObjective(*tv, x, b, lambda), TVObjective(*tv, v, b, lambda) + 1e-9);
  for (int i = 0; i < 9; ++i)
  {
    EXPECT_NEAR(x[i], v[i], 1e-3) << "pixel " << i;
  }
}

TEST(TotalVariationProx, ZeroWeightIsTheIdentityAndALargeOneTheMean)
{
  auto tv = TVProx::New();
  tv->SetImageSize({ 12, 9 });
  const auto          b = csctest::RandomVector<double>(108, 9);
  std::vector<double> x(108);
  tv->Apply(b.data(), x.data(), 0.0);
  EXPECT_EQ(x, b);
  tv->SetMaximumNumberOfIterations(100000);
  tv->Apply(b.data(), x.data(), 1e3);
  double mean = 0;
  for (double v : b)
  {
    mean += v / 108;
  }
  for (double v : x)
  {
    EXPECT_NEAR(v, mean, 1e-4);
  }
  // In place.
  std::vector<double> inPlace = b;
  tv->Apply(inPlace.data(), inPlace.data(), 1e3);
  EXPECT_NEAR(inPlace[17], mean, 1e-4);
  EXPECT_THROW(tv->Apply(b.data(), x.data(), -1.0), itk::ExceptionObject);
  EXPECT_THROW(tv->SetImageSize({ 4, 0 }), itk::ExceptionObject);
  EXPECT_THROW(TVProx::New()->Apply(b.data(), x.data(), 1.0), itk::ExceptionObject);
}
