#include "itkCSCTestHelpers.h"
#include "itkConstantBoundaryCondition.h"
#include "itkConvolutionImageFilter.h"
#include "itkConvolutionalLayerOperator.h"
#include "itkFFTWGlobalConfiguration.h"
#include "itkImage.h"
#include "itkImportImageFilter.h"
#include "gtest/gtest.h"
#include <fftw3.h>
#include <mutex>

namespace
{
using Boundary = itk::ConvolutionalSparseCodingEnums::Boundary;
using SizeVector = std::vector<itk::SizeValueType>;

struct AdjointCase
{
  SizeVector imageSize;
  SizeVector kernelSize;
  Boundary   boundary;
};

std::ostream &
operator<<(std::ostream & os, const AdjointCase & c)
{
  os << c.imageSize.size() << "-D kernel " << c.kernelSize[0] << " " << c.boundary;
  return os;
}

class OperatorAdjoint : public ::testing::TestWithParam<AdjointCase>
{};

/** <A x, u> and <x, A^T u> for float operators; the adjoint may come from another operator. */
std::pair<double, double>
DotProducts(const itk::MultiChannelFourierConvolution<float> & forward,
            const itk::MultiChannelFourierConvolution<float> & adjoint, unsigned int K)
{
  const size_t       n = forward.GetNumberOfImagePixels();
  const auto         x = csctest::RandomVector<float>(K * n, 11);
  const auto         u = csctest::RandomVector<float>(n, 12);
  std::vector<float> ax(n), atu(K * n);
  forward.ApplyForward(x.data(), ax.data());
  adjoint.ApplyAdjoint(u.data(), atu.data());
  return { csctest::Dot(ax, u), csctest::Dot(x, atu) };
}

TEST_P(OperatorAdjoint, DotProductIdentityHoldsInFloat)
{
  const AdjointCase  c = GetParam();
  const unsigned int K = 3;
  const auto         kernels = csctest::RandomVector<float>(K * csctest::Product(c.kernelSize), 7);
  auto               op = csctest::MakeOperator<float>(c.imageSize, c.kernelSize, kernels, K, c.boundary);
  const auto [left, right] = DotProducts(*op, *op, K);
  EXPECT_NEAR(left, right, 1e-5 * std::abs(left)) << c;
}

TEST_P(OperatorAdjoint, DotProductIdentityFailsForAnUnflippedAdjoint)
{
  // The classic mistake: the "adjoint" convolves with h instead of its flip. Flipping the
  // kernels of a second operator makes its adjoint exactly that mistake.
  const AdjointCase  c = GetParam();
  const unsigned int K = 3;
  const size_t       taps = csctest::Product(c.kernelSize);
  const auto         kernels = csctest::RandomVector<float>(K * taps, 7);
  std::vector<float> flipped(kernels.size());
  for (unsigned int k = 0; k < K; ++k)
  {
    for (size_t t = 0; t < taps; ++t)
    {
      flipped[k * taps + t] = kernels[k * taps + taps - 1 - t];
    }
  }
  auto op = csctest::MakeOperator<float>(c.imageSize, c.kernelSize, kernels, K, c.boundary);
  auto wrong = csctest::MakeOperator<float>(c.imageSize, c.kernelSize, flipped, K, c.boundary);
  const auto [left, right] = DotProducts(*op, *wrong, K);
  EXPECT_GT(std::abs(left - right), 1e-2 * std::abs(left)) << c;
}

INSTANTIATE_TEST_SUITE_P(Cases, OperatorAdjoint,
                         ::testing::Values(AdjointCase{ { 32, 24 }, { 5, 5 }, Boundary::Periodic },
                                           AdjointCase{ { 32, 24 }, { 6, 4 }, Boundary::Periodic },
                                           AdjointCase{ { 32, 24 }, { 5, 5 }, Boundary::ZeroPadded },
                                           AdjointCase{ { 31, 24 }, { 6, 4 }, Boundary::ZeroPadded },
                                           AdjointCase{ { 12, 10, 9 }, { 3, 3, 3 }, Boundary::Periodic },
                                           AdjointCase{ { 12, 10, 9 }, { 4, 2, 4 }, Boundary::Periodic },
                                           AdjointCase{ { 12, 10, 9 }, { 3, 5, 3 }, Boundary::ZeroPadded },
                                           AdjointCase{ { 11, 10, 9 }, { 4, 4, 2 }, Boundary::ZeroPadded }));

template <unsigned int VDimension>
void
ExpectZeroPaddedEqualsITKConvolution(const SizeVector & imageSize, const SizeVector & kernelSize)
{
  using ImageType = itk::Image<float, VDimension>;
  auto makeImage = [](const SizeVector & size, const std::vector<float> & values) {
    auto                         image = ImageType::New();
    typename ImageType::SizeType itkSize;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      itkSize[d] = size[d];
    }
    image->SetRegions(itkSize);
    image->Allocate();
    std::copy(values.begin(), values.end(), image->GetBufferPointer());
    return image;
  };
  const auto x = csctest::RandomVector<float>(csctest::Product(imageSize), 3);
  const auto h = csctest::RandomVector<float>(csctest::Product(kernelSize), 4);

  using ConvolutionType = itk::ConvolutionImageFilter<ImageType>;
  auto                                      convolution = ConvolutionType::New();
  itk::ConstantBoundaryCondition<ImageType> zero;
  convolution->SetBoundaryCondition(&zero);
  convolution->SetInput(makeImage(imageSize, x));
  convolution->SetKernelImage(makeImage(kernelSize, h));
  convolution->Update();
  const float * expected = convolution->GetOutput()->GetBufferPointer();

  auto               op = csctest::MakeOperator<float>(imageSize, kernelSize, h, 1, Boundary::ZeroPadded);
  std::vector<float> y(x.size());
  op->ApplyForward(x.data(), y.data());
  double maxDifference = 0, maxValue = 0;
  for (size_t i = 0; i < y.size(); ++i)
  {
    maxDifference = std::max(maxDifference, double(std::abs(y[i] - expected[i])));
    maxValue = std::max(maxValue, double(std::abs(expected[i])));
  }
  EXPECT_LT(maxDifference, 1e-5 * maxValue);
}

TEST(MultiChannelFourierConvolution, ZeroPaddedEqualsITKConvolutionWithZeroBoundary)
{
  ExpectZeroPaddedEqualsITKConvolution<2>({ 23, 17 }, { 5, 7 });
  ExpectZeroPaddedEqualsITKConvolution<2>({ 23, 17 }, { 6, 4 });
  ExpectZeroPaddedEqualsITKConvolution<3>({ 9, 8, 7 }, { 3, 4, 5 });
}

TEST(MultiChannelFourierConvolution, PeriodicEqualsDirectCircularConvolution)
{
  const SizeVector    imageSize{ 9, 7 };
  const SizeVector    kernelSize{ 4, 3 };
  const auto          x = csctest::RandomVector<double>(63, 5);
  const auto          h = csctest::RandomVector<double>(12, 6);
  auto                op = csctest::MakeOperator<double>(imageSize, kernelSize, h, 1, Boundary::Periodic);
  std::vector<double> y(63);
  op->ApplyForward(x.data(), y.data());
  for (int i1 = 0; i1 < 7; ++i1)
  {
    for (int i0 = 0; i0 < 9; ++i0)
    {
      double expected = 0;
      for (int j1 = 0; j1 < 3; ++j1)
      {
        for (int j0 = 0; j0 < 4; ++j0)
        {
          const int s0 = ((i0 - j0 + 2) % 9 + 9) % 9; // centre tap floor(4/2) = 2
          const int s1 = ((i1 - j1 + 1) % 7 + 7) % 7; // centre tap floor(3/2) = 1
          expected += h[j1 * 4 + j0] * x[s1 * 9 + s0];
        }
      }
      EXPECT_NEAR(y[i1 * 9 + i0], expected, 1e-12);
    }
  }
}

TEST(MultiChannelFourierConvolution, AReusedWorkspaceGivesTheFreshResult)
{
  // One workspace through forward and adjoint calls of different inputs, in both boundary modes:
  // every result equals that of a call with fresh (zeroed) buffers, bit for bit.
  const std::vector<itk::SizeValueType> imageSize{ 23, 17 }, kernelSize{ 5, 4 };
  const unsigned int                    K = 3;
  const auto                            h = csctest::RandomVector<double>(K * csctest::Product(kernelSize), 7);
  for (auto boundary : { Boundary::ZeroPadded, Boundary::Periodic })
  {
    auto op = csctest::MakeOperator<double>(imageSize, kernelSize, h, K, boundary);
    typename itk::MultiChannelFourierConvolution<double>::Workspace work;
    const itk::SizeValueType                                        P = csctest::Product(imageSize);
    for (unsigned int seed = 0; seed < 3; ++seed)
    {
      const auto          x = csctest::RandomVector<double>(K * op->GetNumberOfCoefficientPixels(), 10 + seed);
      const auto          y = csctest::RandomVector<double>(P, 20 + seed);
      std::vector<double> fresh(P), reused(P), freshMaps(x.size()), reusedMaps(x.size());
      op->ApplyForward(x.data(), fresh.data());
      op->ApplyForward(x.data(), reused.data(), work);
      EXPECT_EQ(fresh, reused);
      op->ApplyAdjoint(y.data(), freshMaps.data());
      op->ApplyAdjoint(y.data(), reusedMaps.data(), work);
      EXPECT_EQ(freshMaps, reusedMaps);
    }
  }
}

TEST(MultiChannelFourierConvolution, UpdatedKernelsGiveAFreshOperatorsResult)
{
  // UpdateKernelValues() rewrites the spectra in place, embedding the kernels one after another
  // in one channel per thread that it clears tap by tap: a tap left over from another kernel, or
  // from the old kernels, would change the result. Reference: one single-kernel operator per
  // channel, summed.
  const std::vector<itk::SizeValueType> imageSize{ 23, 17 }, kernelSize{ 5, 4 };
  const unsigned int                    K = 5;
  const itk::SizeValueType              taps = csctest::Product(kernelSize);
  const itk::SizeValueType              P = csctest::Product(imageSize);
  const auto                            before = csctest::RandomVector<double>(K * taps, 7);
  auto                                  after = csctest::RandomVector<double>(K * taps, 8);
  for (itk::SizeValueType t = 0; t < after.size(); t += 3)
  {
    after[t] = 0; // taps of the new kernels that are zero, where the old ones were not
  }
  for (auto boundary : { Boundary::ZeroPadded, Boundary::Periodic })
  {
    auto updated = csctest::MakeOperator<double>(imageSize, kernelSize, before, K, boundary);
    auto fresh = csctest::MakeOperator<double>(imageSize, kernelSize, after, K, boundary);
    updated->UpdateKernelValues(after.data());
    const auto          x = csctest::RandomVector<double>(K * fresh->GetNumberOfCoefficientPixels(), 10);
    std::vector<double> expected(P, 0.0), channel(P), fromFresh(P), fromUpdated(P);
    for (unsigned int k = 0; k < K; ++k)
    {
      const std::vector<double> kernel(after.begin() + k * taps, after.begin() + (k + 1) * taps);
      auto                      single = csctest::MakeOperator<double>(imageSize, kernelSize, kernel, 1, boundary);
      single->ApplyForward(x.data() + k * fresh->GetNumberOfCoefficientPixels(), channel.data());
      for (itk::SizeValueType i = 0; i < P; ++i)
      {
        expected[i] += channel[i];
      }
    }
    fresh->ApplyForward(x.data(), fromFresh.data());
    updated->ApplyForward(x.data(), fromUpdated.data());
    for (itk::SizeValueType i = 0; i < P; ++i)
    {
      ASSERT_NEAR(fromFresh[i], expected[i], 1e-10) << i;
    }
    EXPECT_EQ(fromUpdated, fromFresh);
    EXPECT_EQ(updated->GetSpectralNormSquared(), fresh->GetSpectralNormSquared());
    for (itk::SizeValueType f = 0; f < fresh->GetNumberOfFrequencies(); ++f)
    {
      ASSERT_EQ(updated->GetKernelSpectralEnergy()[f], fresh->GetKernelSpectralEnergy()[f]) << f;
    }
  }
}

TEST(MultiChannelFourierConvolution, SpectralNormBoundsAndIsAttained)
{
  const unsigned int K = 4;
  const auto         h = csctest::RandomVector<double>(K * 25, 8);
  auto               op = csctest::MakeOperator<double>({ 16, 16 }, { 5, 5 }, h, K, Boundary::Periodic);
  // Power iteration on A^T A reaches the exact per-frequency bound.
  std::vector<double> av(256);
  const double        estimate = csctest::PowerIterationNormSquared(
    [&](const std::vector<double> & v, std::vector<double> & out) {
      op->ApplyForward(v.data(), av.data());
      op->ApplyAdjoint(av.data(), out.data());
    },
    K * 256,
    500);
  EXPECT_LE(estimate, op->GetSpectralNormSquared() * (1 + 1e-9));
  EXPECT_NEAR(estimate, op->GetSpectralNormSquared(), 1e-3 * estimate);
}

TEST(MultiChannelFourierConvolution, RejectsBadGeometry)
{
  const std::vector<float> h(25, 1.0f);
  EXPECT_THROW(csctest::MakeOperator<float>({ 4, 4 }, { 5, 5 }, h, 1, Boundary::Periodic), itk::ExceptionObject);
  EXPECT_THROW(csctest::MakeOperator<float>({ 8, 8, 8 }, { 5, 5 }, h, 1, Boundary::Periodic), itk::ExceptionObject);
  EXPECT_THROW(csctest::MakeOperator<float>({ 8, 8 }, { 5, 5 }, h, 0, Boundary::Periodic), itk::ExceptionObject);
}

TEST(MultiChannelFourierConvolution, FFTFriendlySizeHasSmallPrimeFactors)
{
  using Op = itk::MultiChannelFourierConvolution<float>;
  EXPECT_EQ(Op::FFTFriendlySize(256), 256u);
  EXPECT_EQ(Op::FFTFriendlySize(267), 270u);
  EXPECT_EQ(Op::FFTFriendlySize(11), 12u);
  EXPECT_EQ(Op::FFTFriendlySize(1), 1u);
}
} // namespace

TEST(MultiChannelFourierConvolution, AutomaticPlanRigorMeasuresSlowTransformsOnceAndKeepsTheWisdom)
{
  using Op = itk::MultiChannelFourierConvolution<float>;
  const unsigned int K = 3;
  const auto         h = csctest::RandomVector<float>(K * 25, 10);
  const auto         x = csctest::RandomVector<float>(K * 40 * 30, 11);
  std::vector<float> reference(40 * 30), measured(40 * 30), remembered(40 * 30);
  auto               make = [&](double threshold) {
    auto op = Op::New();
    op->SetImageSize({ 40, 30 });
    op->SetDictionary(h.data(), { 5, 5 }, K);
    op->SetAutomaticPlanningThreshold(threshold);
    op->Initialize();
    return op;
  };
  {
    // Start without wisdom: an earlier run on this machine may have saved plans for this size.
    const std::lock_guard<std::mutex> lock(itk::FFTWGlobalConfiguration::GetLockMutex());
    fftwf_forget_wisdom();
  }
  auto fast = make(1e9); // never slow enough: stays with FFTW_ESTIMATE
  EXPECT_EQ(fast->GetPlanRigor(), Op::AutomaticPlanRigor);
  EXPECT_EQ(fast->GetEffectivePlanRigor(), unsigned(FFTW_ESTIMATE));
  auto slow = make(0.0); // always slow enough: re-planned with FFTW_MEASURE
  EXPECT_EQ(slow->GetEffectivePlanRigor(), unsigned(FFTW_MEASURE));
  // The measured plans are wisdom now: the next operator of this size takes them, fast or not.
  auto again = make(1e9);
  EXPECT_EQ(again->GetEffectivePlanRigor(), unsigned(FFTW_MEASURE));
  // Re-planning after the kernel spectra changes no result.
  fast->ApplyForward(x.data(), reference.data());
  slow->ApplyForward(x.data(), measured.data());
  again->ApplyForward(x.data(), remembered.data());
  const double norm = std::sqrt(csctest::Dot(reference, reference));
  for (size_t i = 0; i < reference.size(); ++i)
  {
    EXPECT_NEAR(measured[i], reference[i], 1e-6 * norm);
    EXPECT_NEAR(remembered[i], reference[i], 1e-6 * norm);
  }
}

namespace
{
using Layer = itk::ConvolutionalLayerOperator<double>;

/** K maps to C channels: kernel k's channel c at (k C + c) taps. */
Layer::Pointer
MakeLayer(const SizeVector & imageSize, const SizeVector & kernelSize, unsigned int K, unsigned int C,
          Boundary boundary, std::vector<double> & kernels)
{
  kernels = csctest::RandomVector<double>(K * C * csctest::Product(kernelSize), 31);
  return Layer::Create(imageSize, kernels.data(), kernelSize, K, C, boundary, FFTW_ESTIMATE);
}
} // namespace

TEST(ConvolutionalLayerOperator, AdjointAndChannelsMatchSingleChannelOperators)
{
  struct Case
  {
    SizeVector image, kernel;
    Boundary   boundary;
  };
  for (const Case & c : { Case{ { 24, 20 }, { 5, 5 }, Boundary::Periodic },
                          Case{ { 23, 18 }, { 6, 3 }, Boundary::ZeroPadded },
                          Case{ { 10, 9, 8 }, { 3, 4, 3 }, Boundary::Periodic } })
  {
    const unsigned int  K = 3, C = 4;
    std::vector<double> kernels;
    auto                layer = MakeLayer(c.image, c.kernel, K, C, c.boundary, kernels);
    ASSERT_EQ(layer->GetNumberOfMaps(), K);
    ASSERT_EQ(layer->GetNumberOfChannels(), C);
    const size_t        n = csctest::Product(c.image), taps = csctest::Product(c.kernel);
    const auto          x = csctest::RandomVector<double>(K * n, 32);
    const auto          y = csctest::RandomVector<double>(C * n, 33);
    std::vector<double> dx(C * n), dty(K * n);
    layer->ApplyForward(x.data(), dx.data());
    layer->ApplyAdjoint(y.data(), dty.data());
    const double left = csctest::Dot(dx, y), right = csctest::Dot(x, dty);
    EXPECT_NEAR(left, right, 1e-12 * std::sqrt(csctest::Dot(dx, dx) * csctest::Dot(y, y)));
    // Channel c is the plain operator with kernels h_{c,k}.
    for (unsigned int channel = 0; channel < C; ++channel)
    {
      std::vector<double> single(K * taps);
      for (unsigned int k = 0; k < K; ++k)
      {
        std::copy_n(kernels.begin() + (k * C + channel) * taps, taps, single.begin() + k * taps);
      }
      auto                plain = csctest::MakeOperator<double>(c.image, c.kernel, single, K, c.boundary);
      std::vector<double> expected(n);
      plain->ApplyForward(x.data(), expected.data());
      const double scale = std::sqrt(csctest::Dot(expected, expected) / n);
      for (size_t i = 0; i < n; ++i)
      {
        ASSERT_NEAR(dx[channel * n + i], expected[i], 1e-12 * scale) << "channel " << channel << " pixel " << i;
      }
    }
  }
}

TEST(ConvolutionalLayerOperator, NormIsTheLargestSingularValueOverFrequencies)
{
  const unsigned int  K = 3, C = 2;
  std::vector<double> kernels;
  auto                layer = MakeLayer({ 16, 16 }, { 5, 5 }, K, C, Boundary::Periodic, kernels);
  std::vector<double> dv(C * 256);
  const double        estimate = csctest::PowerIterationNormSquared(
    [&](const std::vector<double> & v, std::vector<double> & out) {
      layer->ApplyForward(v.data(), dv.data());
      layer->ApplyAdjoint(dv.data(), out.data());
    },
    K * 256,
    1000);
  EXPECT_GE(layer->GetSpectralNormSquared(), estimate * (1 - 1e-6));
  EXPECT_LE(layer->GetSpectralNormSquared(), 1.02 * estimate * (1 + 1e-6));
}

TEST(ConvolutionalLayerOperator, RejectsEmptyLayersAndLargeKernels)
{
  const std::vector<double> h(9 * 4, 1.0);
  EXPECT_THROW(Layer::Create({ 8, 8 }, h.data(), { 3, 3 }, 0, 2, Boundary::Periodic), itk::ExceptionObject);
  EXPECT_THROW(Layer::Create({ 8, 8 }, h.data(), { 3, 3 }, 2, 0, Boundary::Periodic), itk::ExceptionObject);
  EXPECT_THROW(Layer::Create({ 2, 2 }, h.data(), { 3, 3 }, 2, 2, Boundary::Periodic), itk::ExceptionObject);
  EXPECT_NO_THROW(Layer::Create({ 8, 8 }, h.data(), { 3, 3 }, 2, 2, Boundary::Periodic));
}
