// Strided dictionaries: coefficient maps on a coarse lattice, upsampled before the convolution.
#include "itkCSCTestHelpers.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkL1ProximalOperator.h"
#include "itkMatchingPursuitSparseCodingSolver.h"
#include "itkSparseCodingSolverFactory.h"
#include "gtest/gtest.h"
#include <cmath>

namespace
{
using Boundary = itk::ConvolutionalSparseCodingEnums::Boundary;
using SolverEnum = itk::ConvolutionalSparseCodingEnums::Solver;
using SizeVector = std::vector<itk::SizeValueType>;
using Operator = itk::MultiChannelFourierConvolution<double>;

Operator::Pointer
MakeStridedOperator(const SizeVector & imageSize, const SizeVector & kernelSize, const std::vector<double> & kernels,
                    unsigned int K, Boundary boundary, const SizeVector & stride)
{
  return Operator::Create(imageSize, kernels.data(), kernelSize, K, boundary, FFTW_ESTIMATE, stride);
}

struct StrideCase
{
  SizeVector imageSize;
  SizeVector kernelSize;
  SizeVector stride;
  Boundary   boundary;
};

std::ostream &
operator<<(std::ostream & os, const StrideCase & c)
{
  os << c.imageSize.size() << "-D kernel";
  for (auto m : c.kernelSize)
  {
    os << " " << m;
  }
  os << " stride";
  for (auto f : c.stride)
  {
    os << " " << f;
  }
  return os << " " << c.boundary;
}

class StridedOperator : public ::testing::TestWithParam<StrideCase>
{};

TEST_P(StridedOperator, AdjointDotProductIdentityHolds)
{
  const StrideCase   c = GetParam();
  const unsigned int K = 3;
  const auto         kernels = csctest::RandomVector<double>(K * csctest::Product(c.kernelSize), 7);
  auto               op = MakeStridedOperator(c.imageSize, c.kernelSize, kernels, K, c.boundary, c.stride);
  SizeVector         grid(c.imageSize.size());
  for (size_t a = 0; a < grid.size(); ++a)
  {
    grid[a] = (c.imageSize[a] + c.stride[a] - 1) / c.stride[a];
  }
  ASSERT_EQ(op->GetCoefficientGridSize(), grid) << c;
  ASSERT_EQ(op->GetNumberOfCoefficientPixels(), csctest::Product(grid)) << c;
  const size_t        n = op->GetNumberOfImagePixels(), m = op->GetNumberOfCoefficientPixels();
  const auto          x = csctest::RandomVector<double>(K * m, 11);
  const auto          u = csctest::RandomVector<double>(n, 12);
  std::vector<double> ax(n), atu(K * m);
  op->ApplyForward(x.data(), ax.data());
  op->ApplyAdjoint(u.data(), atu.data());
  const double left = csctest::Dot(ax, u), right = csctest::Dot(x, atu);
  EXPECT_NEAR(left, right, 1e-12 * std::sqrt(csctest::Dot(ax, ax) * csctest::Dot(u, u))) << c;
}

TEST_P(StridedOperator, EqualsThePlainOperatorOnUpsampledMaps)
{
  // Upsample-then-convolve, written out: the maps placed on the lattice of an image-sized grid,
  // then the stride-1 operator.
  const StrideCase    c = GetParam();
  const unsigned int  K = 2;
  const auto          kernels = csctest::RandomVector<double>(K * csctest::Product(c.kernelSize), 8);
  auto                strided = MakeStridedOperator(c.imageSize, c.kernelSize, kernels, K, c.boundary, c.stride);
  auto                plain = csctest::MakeOperator<double>(c.imageSize, c.kernelSize, kernels, K, c.boundary);
  const size_t        n = strided->GetNumberOfImagePixels(), m = strided->GetNumberOfCoefficientPixels();
  const auto          x = csctest::RandomVector<double>(K * m, 13);
  const auto &        grid = strided->GetCoefficientGridSize();
  std::vector<size_t> lattice(m); // image offset of each coarse pixel
  for (size_t j = 0; j < m; ++j)
  {
    size_t rest = j, pitch = 1;
    lattice[j] = 0;
    for (size_t a = 0; a < grid.size(); ++a)
    {
      lattice[j] += (rest % grid[a]) * c.stride[a] * pitch;
      rest /= grid[a];
      pitch *= c.imageSize[a];
    }
  }
  std::vector<double> upsampled(K * n, 0.0);
  for (unsigned int k = 0; k < K; ++k)
  {
    for (size_t j = 0; j < m; ++j)
    {
      upsampled[k * n + lattice[j]] = x[k * m + j];
    }
  }
  std::vector<double> expected(n), actual(n);
  plain->ApplyForward(upsampled.data(), expected.data());
  strided->ApplyForward(x.data(), actual.data());
  const double scale = std::sqrt(csctest::Dot(expected, expected) / n);
  for (size_t i = 0; i < n; ++i)
  {
    ASSERT_NEAR(actual[i], expected[i], 1e-12 * scale) << c << " pixel " << i;
  }
  // Convolve-then-downsample: the adjoint is the plain adjoint read on the lattice.
  const auto          u = csctest::RandomVector<double>(n, 14);
  std::vector<double> full(K * n), coarse(K * m);
  plain->ApplyAdjoint(u.data(), full.data());
  strided->ApplyAdjoint(u.data(), coarse.data());
  for (unsigned int k = 0; k < K; ++k)
  {
    for (size_t j = 0; j < m; ++j)
    {
      ASSERT_NEAR(coarse[k * m + j], full[k * n + lattice[j]], 1e-12 * scale) << c << " coarse pixel " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
  Cases, StridedOperator,
  ::testing::Values(StrideCase{ { 30, 21 }, { 5, 5 }, { 1, 1 }, Boundary::Periodic },
                    StrideCase{ { 30, 21 }, { 5, 4 }, { 2, 1 }, Boundary::Periodic },
                    StrideCase{ { 30, 21 }, { 6, 6 }, { 3, 4 }, Boundary::Periodic },
                    StrideCase{ { 32, 24 }, { 4, 5 }, { 4, 2 }, Boundary::Periodic },
                    StrideCase{ { 30, 21 }, { 5, 5 }, { 2, 2 }, Boundary::ZeroPadded },
                    StrideCase{ { 31, 22 }, { 6, 4 }, { 3, 4 }, Boundary::ZeroPadded },
                    StrideCase{ { 29, 23 }, { 7, 5 }, { 4, 1 }, Boundary::ZeroPadded },
                    StrideCase{ { 12, 10, 9 }, { 3, 3, 3 }, { 2, 3, 1 }, Boundary::Periodic },
                    StrideCase{ { 12, 10, 9 }, { 4, 2, 4 }, { 4, 1, 2 }, Boundary::Periodic },
                    StrideCase{ { 11, 10, 9 }, { 3, 4, 3 }, { 3, 2, 4 }, Boundary::ZeroPadded },
                    StrideCase{ { 11, 10, 9 }, { 4, 4, 2 }, { 1, 4, 3 }, Boundary::ZeroPadded }));

TEST(StridedOperator, StrideOneIsThePlainOperatorAndOvercompletenessIsReported)
{
  const unsigned int K = 4;
  const auto         kernels = csctest::RandomVector<double>(K * 25, 9);
  auto               plain = csctest::MakeOperator<double>({ 24, 20 }, { 5, 5 }, kernels, K, Boundary::ZeroPadded);
  auto               one = MakeStridedOperator({ 24, 20 }, { 5, 5 }, kernels, K, Boundary::ZeroPadded, { 1, 1 });
  EXPECT_FALSE(one->IsStrided());
  EXPECT_EQ(one->GetDomainSize(), plain->GetDomainSize());
  EXPECT_EQ(one->GetCoefficientSupportMask(false), one->GetImageMask().data());
  const auto          x = csctest::RandomVector<double>(K * 480, 10);
  std::vector<double> a(480), b(480);
  plain->ApplyForward(x.data(), a.data());
  one->ApplyForward(x.data(), b.data());
  EXPECT_EQ(a, b);
  EXPECT_DOUBLE_EQ(one->GetOvercompleteness(), 4.0);
  auto strided = MakeStridedOperator({ 24, 20 }, { 5, 5 }, kernels, K, Boundary::ZeroPadded, { 2, 4 });
  EXPECT_TRUE(strided->IsStrided());
  EXPECT_DOUBLE_EQ(strided->GetOvercompleteness(), 0.5);
  // The padded domain is a multiple of the stride, so that the lattice continues into the pad.
  EXPECT_EQ(strided->GetDomainSize()[0] % 2, 0u);
  EXPECT_EQ(strided->GetDomainSize()[1] % 4, 0u);
}

TEST(StridedOperator, CoefficientNormIsTheStridedOperatorsNorm)
{
  // Power iteration on (AU)^T (AU) over coefficient maps approaches ||AU||^2 from below; the
  // operator's alias-based value must lie between it and 1.02 times it, and below ||A||^2.
  const unsigned int K = 3;
  const auto         kernels = csctest::RandomVector<double>(K * 36, 21);
  for (const SizeVector & stride : { SizeVector{ 2, 2 }, SizeVector{ 4, 2 }, SizeVector{ 3, 1 } })
  {
    auto op = MakeStridedOperator({ 24, 20 }, { 6, 6 }, kernels, K, Boundary::Periodic, stride);
    ASSERT_TRUE(op->HasCoarseSpectra());
    const size_t        m = op->GetNumberOfCoefficientPixels(), n = op->GetNumberOfImagePixels();
    std::vector<double> av(n);
    const double        estimate = csctest::PowerIterationNormSquared(
      [&](const std::vector<double> & v, std::vector<double> & out) {
        op->ApplyForward(v.data(), av.data());
        op->ApplyAdjoint(av.data(), out.data());
      },
      K * m,
      2000);
    const double strided = op->GetCoefficientSpectralNormSquared();
    EXPECT_GE(strided, estimate * (1 - 1e-6)) << stride[0] << "," << stride[1];
    EXPECT_LE(strided, 1.02 * estimate * (1 + 1e-6)) << stride[0] << "," << stride[1];
    EXPECT_LT(strided, op->GetSpectralNormSquared()) << stride[0] << "," << stride[1];
  }
}

TEST(StridedOperator, RejectsBadStrides)
{
  const std::vector<double> h(9, 1.0);
  EXPECT_THROW(MakeStridedOperator({ 8, 8 }, { 3, 3 }, h, 1, Boundary::Periodic, { 0, 1 }), itk::ExceptionObject);
  EXPECT_THROW(MakeStridedOperator({ 8, 8 }, { 3, 3 }, h, 1, Boundary::Periodic, { 9, 1 }), itk::ExceptionObject);
  EXPECT_THROW(MakeStridedOperator({ 8, 8 }, { 3, 3 }, h, 1, Boundary::Periodic, { 2, 2, 2 }), itk::ExceptionObject);
  EXPECT_NO_THROW(MakeStridedOperator({ 8, 8 }, { 3, 3 }, h, 1, Boundary::Periodic, { 8, 1 }));
}

/** A strided problem: 36x30 image, 3 kernels 6x6 at stride (2, 3), a sparse planted code. */
struct StridedProblem
{
  static constexpr unsigned int K = 3;
  Operator::Pointer             op;
  std::vector<double>           signal;

  explicit StridedProblem(Boundary boundary)
  {
    const auto kernels = csctest::RandomVector<double>(K * 36, 31);
    op = MakeStridedOperator({ 36, 30 }, { 6, 6 }, kernels, K, boundary, { 2, 3 });
    const size_t        m = op->GetNumberOfCoefficientPixels(), n = op->GetNumberOfImagePixels();
    std::vector<double> x(K * m, 0.0);
    for (size_t j = 0; j < 12; ++j)
    {
      x[(j * 37 + 5) % (K * m)] = 1.0 + 0.2 * double(j % 3);
    }
    signal.resize(n);
    op->ApplyForward(x.data(), signal.data());
    const auto noise = csctest::RandomVector<double>(n, 32);
    for (size_t i = 0; i < n; ++i)
    {
      signal[i] += 0.05 * noise[i];
    }
  }

  itk::SparseCodingSolverBase<double>::Pointer
  Solve(SolverEnum kind, double lambda, unsigned int iterations, double tolerance) const
  {
    auto solver = itk::CreateSparseCodingSolver<double>(kind);
    solver->SetOperator(op);
    solver->SetProximalOperator(itk::L1ProximalOperator<double>::New());
    solver->SetLambda(lambda);
    solver->SetMaximumNumberOfIterations(iterations);
    solver->SetRelativeTolerance(tolerance);
    solver->SetSignal(signal.data());
    solver->Solve();
    return solver;
  }

  /** Largest violation of the l1 optimality conditions on the coarse grid, over lambda. */
  double
  KKTViolation(const std::vector<double> & x, double lambda) const
  {
    const size_t        n = op->GetNumberOfImagePixels();
    std::vector<double> residual(n), g(x.size());
    op->ApplyForward(x.data(), residual.data());
    for (size_t i = 0; i < n; ++i)
    {
      residual[i] = signal[i] - residual[i];
    }
    op->ApplyAdjoint(residual.data(), g.data());
    double worst = 0;
    for (size_t j = 0; j < x.size(); ++j)
    {
      const double violation =
        x[j] == 0 ? std::max(0.0, std::abs(g[j]) - lambda) : std::abs(g[j] - lambda * (x[j] > 0 ? 1 : -1));
      worst = std::max(worst, violation / lambda);
    }
    return worst;
  }
};

TEST(StridedSolvers, FISTALCAAndADMMReachTheSameStridedOptimum)
{
  for (Boundary boundary : { Boundary::Periodic, Boundary::ZeroPadded })
  {
    const StridedProblem problem(boundary);
    const double         lambda = 0.5;
    auto                 fista = problem.Solve(SolverEnum::FISTA, lambda, 3000, 1e-9);
    std::vector<double>  x(StridedProblem::K * problem.op->GetNumberOfCoefficientPixels());
    fista->GetCoefficients(x.data());
    EXPECT_LT(problem.KKTViolation(x, lambda), 1e-3) << boundary;
    size_t nonZeros = 0;
    for (double v : x)
    {
      nonZeros += v != 0;
    }
    EXPECT_GT(nonZeros, 6u) << boundary;
    EXPECT_LT(nonZeros, x.size() / 5) << boundary;
    const double optimum = fista->GetObjective();
    EXPECT_NEAR(fista->EvaluateObjective(x.data()), optimum, 1e-9 * optimum) << boundary;
    for (SolverEnum kind : { SolverEnum::LCA, SolverEnum::ADMM })
    {
      auto solver = problem.Solve(kind, lambda, 20000, 1e-8);
      EXPECT_NEAR(solver->GetObjective(), optimum, 1e-4 * optimum) << kind << " " << boundary;
    }
  }
}

TEST(StridedSolvers, ThresholdingIsTheThresholdedLatticeCorrelation)
{
  const StridedProblem problem(Boundary::ZeroPadded);
  const size_t         m = problem.op->GetNumberOfCoefficientPixels();
  std::vector<double>  correlation(StridedProblem::K * m), x(correlation.size());
  problem.op->ApplyAdjoint(problem.signal.data(), correlation.data());
  const double lambda = 0.5;
  auto         solver = problem.Solve(SolverEnum::Thresholding, lambda, 1, 0);
  solver->GetCoefficients(x.data());
  size_t nonZeros = 0;
  for (size_t j = 0; j < x.size(); ++j)
  {
    const double c = correlation[j];
    ASSERT_NEAR(x[j], c > lambda ? c - lambda : (c < -lambda ? c + lambda : 0.0), 1e-10) << j;
    nonZeros += x[j] != 0;
  }
  EXPECT_GT(nonZeros, 0u);
}

TEST(StridedSolvers, MatchingPursuitPicksOnlyLatticePoints)
{
  const StridedProblem problem(Boundary::Periodic);
  auto                 solver = problem.Solve(SolverEnum::MatchingPursuit, 0, 1, 0);
  auto *               pursuit = dynamic_cast<itk::MatchingPursuitSparseCodingSolver<double> *>(solver.GetPointer());
  ASSERT_NE(pursuit, nullptr);
  pursuit->SetMaximumNumberOfAtoms(12);
  pursuit->Solve();
  const auto & picks = pursuit->GetPicks();
  ASSERT_EQ(picks.size(), 12u);
  const auto & domain = problem.op->GetDomainSize();
  for (const auto & pick : picks)
  {
    EXPECT_EQ((pick.Pixel % domain[0]) % 2, 0u);
    EXPECT_EQ((pick.Pixel / domain[0]) % 3, 0u);
  }
}

TEST(StridedFilter, CodesOnTheCoarseGridAndReconstructsTheImage)
{
  using ImageType = itk::Image<float, 2>;
  using FilterType = itk::ConvolutionalSparseCodingImageFilter<ImageType>;
  const StridedProblem problem(Boundary::Periodic);
  auto                 image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 36, 30 } });
  image->Allocate();
  std::copy(problem.signal.begin(), problem.signal.end(), image->GetBufferPointer());
  ImageType::SpacingType spacing;
  spacing[0] = 0.5;
  spacing[1] = 2.0;
  image->SetSpacing(spacing);
  ImageType::PointType origin;
  origin[0] = 10.0;
  origin[1] = -3.0;
  image->SetOrigin(origin);
  auto       dictionary = FilterType::DictionaryImageType::New();
  const auto kernels = csctest::RandomVector<float>(StridedProblem::K * 36, 31);
  dictionary->SetRegions(FilterType::DictionaryImageType::SizeType{ { 6, 6, StridedProblem::K } });
  dictionary->Allocate();
  std::copy(kernels.begin(), kernels.end(), dictionary->GetBufferPointer());

  auto filter = FilterType::New();
  filter->SetInput(image);
  filter->SetDictionary(dictionary);
  filter->SetSolver(SolverEnum::FISTA);
  filter->SetLambda(0.1);
  filter->SetMaximumNumberOfIterations(400);
  FilterType::StrideType stride;
  stride[0] = 2;
  stride[1] = 3;
  filter->SetStride(stride);
  filter->Update();
  const auto * coefficients = filter->GetCoefficients();
  const auto   size = coefficients->GetLargestPossibleRegion().GetSize();
  EXPECT_EQ(size[0], 18u);
  EXPECT_EQ(size[1], 10u);
  EXPECT_EQ(size[2], StridedProblem::K);
  EXPECT_DOUBLE_EQ(coefficients->GetSpacing()[0], 1.0);
  EXPECT_DOUBLE_EQ(coefficients->GetSpacing()[1], 6.0);
  EXPECT_DOUBLE_EQ(coefficients->GetOrigin()[0], 10.0);
  EXPECT_DOUBLE_EQ(coefficients->GetOrigin()[1], -3.0);
  // The reconstruction is the strided operator applied to the coarse maps.
  auto op = itk::MultiChannelFourierConvolution<float>::Create(
    { 36, 30 }, kernels.data(), { 6, 6 }, StridedProblem::K, Boundary::Periodic, FFTW_ESTIMATE, { 2, 3 });
  std::vector<float> expected(36 * 30);
  op->ApplyForward(coefficients->GetBufferPointer(), expected.data());
  const float * reconstruction = filter->GetReconstruction()->GetBufferPointer();
  double        error = 0, energy = 0;
  for (size_t i = 0; i < expected.size(); ++i)
  {
    EXPECT_NEAR(reconstruction[i], expected[i], 1e-4);
    error += std::pow(double(reconstruction[i]) - problem.signal[i], 2);
    energy += problem.signal[i] * problem.signal[i];
  }
  EXPECT_LT(error, 0.05 * energy) << "the strided code should explain the planted image";

  stride[1] = 0;
  filter->SetStride(stride);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  stride[1] = 31;
  filter->SetStride(stride);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);

  using LocalizerType = itk::GroupSparseSourceLocalizationFilter<ImageType>;
  auto localizer = LocalizerType::New();
  stride[1] = 2;
  localizer->SetStride(stride);
  localizer->SetInput(image);
  localizer->SetDictionary(dictionary);
  EXPECT_THROW(localizer->Update(), itk::ExceptionObject);
}
} // namespace
