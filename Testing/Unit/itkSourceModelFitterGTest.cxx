#include "itkCSCTestHelpers.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkSourceKernelBank.h"
#include "itkSourceModelFitter.h"
#include "itkTestingMacros.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace
{
using Enums = itk::ConvolutionalSparseCodingEnums;

/** exp(-|x - centre|^2 / 2 sigma^2) sampled on the taps of a kernel of \c size taps per axis
 * (centre tap floor(M/2) plus \c shift). */
template <unsigned int VDimension>
std::vector<float>
SampledGaussian(const std::array<itk::SizeValueType, VDimension> & size, double sigma,
                const std::array<double, VDimension> & shift)
{
  itk::SizeValueType taps = 1;
  for (const auto s : size)
  {
    taps *= s;
  }
  std::vector<float> values(taps);
  for (itk::SizeValueType t = 0; t < taps; ++t)
  {
    itk::SizeValueType rest = t;
    double             r2 = 0;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const double x = static_cast<double>(rest % size[d]) - static_cast<double>(size[d] / 2) - shift[d];
      rest /= size[d];
      r2 += x * x;
    }
    values[t] = static_cast<float>(std::exp(-r2 / (2 * sigma * sigma)));
  }
  return values;
}

/** A synthetic field: Gaussian sources (sampled, sigma) at continuous positions on a smooth
 * background, noise of variance readVariance + gain * model, the background operator (one
 * broad Gaussian kernel), and a rough "coding solution" to start the fitter from. */
template <unsigned int VDimension>
struct Field
{
  using FitterType = itk::SourceModelFitter<float, VDimension>;
  using SizeArray = std::array<itk::SizeValueType, VDimension>;
  SizeArray                                                    size{};
  SizeArray                                                    kernelSize{};
  double                                                       sigma{ 1.3 };
  std::vector<std::array<double, VDimension>>                  positions;
  std::vector<double>                                          fluxes;
  std::vector<float>                                           image, model, foreground, background;
  std::vector<float>                                           kernel;
  typename itk::MultiChannelFourierConvolution<float>::Pointer backgroundOperator;
  double                                                       readVariance{ 25 }, gain{ 0.5 };
  double                                                       backgroundSwing{ 0.2 };

  itk::SizeValueType
  Pixels() const
  {
    itk::SizeValueType n = 1;
    for (const auto s : size)
    {
      n *= s;
    }
    return n;
  }
  /** Adds flux * (unit-sum Gaussian at p) to an image. */
  void
  AddSource(std::vector<float> & target, const std::array<double, VDimension> & p, double flux) const
  {
    std::array<double, VDimension> shift;
    std::array<long, VDimension>   anchor;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      anchor[d] = std::lround(p[d]);
      shift[d] = p[d] - static_cast<double>(anchor[d]);
    }
    const auto values = SampledGaussian<VDimension>(kernelSize, sigma, shift);
    double     sum = 0;
    for (const float v : SampledGaussian<VDimension>(kernelSize, sigma, {}))
    {
      sum += v;
    }
    itk::ForEachKernelTapInImage<VDimension>(anchor, kernelSize, size, [&](itk::SizeValueType o, itk::SizeValueType t) {
      target[o] += static_cast<float>(flux * values[t] / sum);
    });
  }
  void
  Render(unsigned int seed)
  {
    const itk::SizeValueType n = this->Pixels();
    background.assign(n, 0.0f);
    for (itk::SizeValueType i = 0; i < n; ++i)
    {
      itk::SizeValueType rest = i;
      double             value = 200;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        value *= 1.0 + backgroundSwing * std::sin(6.28318 * static_cast<double>(rest % size[d]) / (1.5 * size[d]));
        rest /= size[d];
      }
      background[i] = static_cast<float>(value);
    }
    model = background;
    for (size_t j = 0; j < positions.size(); ++j)
    {
      this->AddSource(model, positions[j], fluxes[j]);
    }
    std::mt19937                     generator(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    image.resize(n);
    for (itk::SizeValueType i = 0; i < n; ++i)
    {
      image[i] = static_cast<float>(model[i] + std::sqrt(readVariance + gain * model[i]) * noise(generator));
    }
    // A coding-like start: sources on the pixel grid, 10 % too faint; the background 5 too high.
    foreground.assign(n, 0.0f);
    for (size_t j = 0; j < positions.size(); ++j)
    {
      std::array<double, VDimension> rounded;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        rounded[d] = std::round(positions[j][d]);
      }
      this->AddSource(foreground, rounded, 0.9 * fluxes[j]);
    }
    std::vector<float> initialBackground(background);
    for (auto & v : initialBackground)
    {
      v += 5;
    }
    background.swap(initialBackground);
    kernel = SampledGaussian<VDimension>(kernelSize, sigma, {});

    std::vector<itk::SizeValueType>            imageSize(size.begin(), size.end()), broadSize(VDimension, 0);
    std::array<itk::SizeValueType, VDimension> broad;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      broad[d] = std::min<itk::SizeValueType>(size[d] - (size[d] + 1) % 2, 25);
      broadSize[d] = broad[d];
    }
    const auto broadKernel = SampledGaussian<VDimension>(broad, 6.0, {});
    backgroundOperator =
      csctest::MakeOperator<float>(imageSize, broadSize, broadKernel, 1, Enums::Boundary::ZeroPadded);
  }
  typename FitterType::Pointer
  MakeFitter() const
  {
    auto fitter = FitterType::New();
    fitter->SetImage(image.data(), size);
    fitter->SetSourceKernels(kernel.data(), kernelSize, 1);
    fitter->SetBackgroundOperator(backgroundOperator, true);
    fitter->SetInitialModel(foreground.data(), background.data());
    return fitter;
  }
  std::vector<typename FitterType::Candidate>
  Candidates() const
  {
    std::vector<typename FitterType::Candidate> candidates;
    std::vector<size_t>                         order(positions.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [this](size_t a, size_t b) { return fluxes[a] > fluxes[b]; });
    for (const size_t j : order)
    {
      typename FitterType::Candidate candidate;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        candidate.Position[d] = std::round(positions[j][d]);
      }
      candidates.push_back(candidate);
    }
    return candidates;
  }
};

template <unsigned int VDimension>
double
Distance(const std::array<double, VDimension> & a, const std::array<double, VDimension> & b)
{
  double sum = 0;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    sum += (a[d] - b[d]) * (a[d] - b[d]);
  }
  return std::sqrt(sum);
}

/** Sources at random continuous positions at least \c separation apart, away from the border. */
template <unsigned int VDimension>
void
PlaceSources(Field<VDimension> & field, unsigned int count, double separation, double minFlux, double maxFlux,
             unsigned int seed)
{
  std::mt19937                           generator(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  while (field.positions.size() < count)
  {
    std::array<double, VDimension> p;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      p[d] = 6 + (static_cast<double>(field.size[d]) - 13) * uniform(generator);
    }
    bool farEnough = true;
    for (const auto & q : field.positions)
    {
      farEnough = farEnough && Distance<VDimension>(p, q) >= separation;
    }
    if (farEnough)
    {
      field.positions.push_back(p);
      field.fluxes.push_back(minFlux * std::pow(maxFlux / minFlux, uniform(generator)));
    }
  }
}

/** Every planted source matched by one fitted source within \c radius, fluxes within
 * \c fluxTolerance (relative); no other fitted source reaches \c snr. */
template <unsigned int VDimension>
void
ExpectRecovered(const Field<VDimension> &                                                 field,
                const std::vector<typename Field<VDimension>::FitterType::FittedSource> & sources, double radius,
                double fluxTolerance, double snr)
{
  std::vector<bool> used(sources.size(), false);
  for (size_t j = 0; j < field.positions.size(); ++j)
  {
    size_t best = sources.size();
    for (size_t i = 0; i < sources.size(); ++i)
    {
      if (!used[i] && (best == sources.size() || Distance<VDimension>(sources[i].Position, field.positions[j]) <
                                                   Distance<VDimension>(sources[best].Position, field.positions[j])))
      {
        best = i;
      }
    }
    ASSERT_LT(best, sources.size()) << "source " << j << " not found";
    used[best] = true;
    EXPECT_LT(Distance<VDimension>(sources[best].Position, field.positions[j]), radius) << "source " << j;
    EXPECT_NEAR(sources[best].Flux, field.fluxes[j], fluxTolerance * field.fluxes[j]) << "source " << j;
  }
  for (size_t i = 0; i < sources.size(); ++i)
  {
    EXPECT_TRUE(used[i] || sources[i].SignalToNoise < snr)
      << "extra source at " << sources[i].Position[0] << "," << sources[i].Position[1] << " SNR "
      << sources[i].SignalToNoise;
  }
}
} // namespace

TEST(SourceModelFitter, ShiftedKernelAgreesWithTheShiftedGaussianAndItsDerivative)
{
  using FitterType = itk::SourceModelFitter<float, 2>;
  const std::array<itk::SizeValueType, 2> size{ { 17, 15 } };
  const double                            sigma = 1.6;
  // Embedded in a larger box of zeros, as a dictionary pads kernels: the fitter crops it.
  const std::array<itk::SizeValueType, 2> padded{ { 31, 31 } };
  const auto                              kernel = SampledGaussian<2>(padded, sigma, {});
  std::vector<float>                      cropped = kernel;
  for (itk::SizeValueType t = 0; t < cropped.size(); ++t)
  {
    const long x = static_cast<long>(t % 31) - 15, y = static_cast<long>(t / 31) - 15;
    if (std::abs(x) > 8 || std::abs(y) > 7)
    {
      cropped[t] = 0;
    }
  }
  auto fitter = FitterType::New();
  // ITK's testing macros return EXIT_FAILURE on failure, so they run inside a lambda.
  auto exercise = [&fitter]() -> int {
    ITK_EXERCISE_BASIC_OBJECT_METHODS(fitter, SourceModelFitter, Object);
    ITK_TEST_SET_GET_VALUE(3.0, fitter->GetModelThreshold());
    ITK_TEST_SET_GET_BOOLEAN(fitter, PoissonNoise, true);
    return EXIT_SUCCESS;
  };
  EXPECT_EQ(exercise(), EXIT_SUCCESS);
  fitter->SetSourceKernels(cropped.data(), padded, 1);
  EXPECT_EQ(fitter->GetCroppedKernelSize(0)[0], 17u);
  EXPECT_EQ(fitter->GetCroppedKernelSize(0)[1], 15u);
  EXPECT_NEAR(fitter->GetKernelSize(0), sigma, 0.05);
  double l2 = 0;
  for (const float v : SampledGaussian<2>(size, sigma, {}))
  {
    l2 += double(v) * v;
  }
  const double scale = 1.0 / std::sqrt(l2);

  for (const std::array<double, 2> shift :
       { std::array<double, 2>{ { 0.3, -0.2 } }, std::array<double, 2>{ { -0.5, 0.45 } } })
  {
    std::vector<float> values(17 * 15), derivatives(2 * 17 * 15);
    fitter->EvaluateShiftedKernel(0, shift, values.data(), derivatives.data());
    const auto expected = SampledGaussian<2>(size, sigma, shift);
    double     worst = 0;
    for (size_t t = 0; t < values.size(); ++t)
    {
      worst = std::max(worst, std::abs(values[t] - scale * expected[t]));
    }
    // Fourier interpolation of a well-sampled Gaussian: within 0.2 % of the peak.
    EXPECT_LT(worst, 2e-3 * scale) << "shift " << shift[0] << "," << shift[1];
    // Derivatives against central differences of the shift.
    const double epsilon = 1e-3;
    for (unsigned int axis = 0; axis < 2; ++axis)
    {
      auto plus = shift, minus = shift;
      plus[axis] += epsilon;
      minus[axis] -= epsilon;
      std::vector<float> up(values.size()), down(values.size());
      fitter->EvaluateShiftedKernel(0, plus, up.data(), nullptr);
      fitter->EvaluateShiftedKernel(0, minus, down.data(), nullptr);
      double error = 0, norm = 0;
      for (size_t t = 0; t < values.size(); ++t)
      {
        const double difference = (double(up[t]) - down[t]) / (2 * epsilon);
        error = std::max(error, std::abs(difference - derivatives[axis * values.size() + t]));
        norm = std::max(norm, std::abs(difference));
      }
      EXPECT_LT(error, 1e-2 * norm) << "axis " << axis;
    }
  }
}

TEST(SourceModelFitter, RecoversPlantedSourcesAtSubpixelPositionsAndTheNoiseModel)
{
  Field<2> field;
  field.size = { { 128, 112 } };
  field.kernelSize = { { 11, 11 } };
  field.backgroundSwing = 0.4; // a wide range of model values for the noise model
  PlaceSources<2>(field, 20, 9.0, 3000, 20000, 3);
  field.Render(11);
  auto fitter = field.MakeFitter();
  auto candidates = field.Candidates();
  // A candidate on empty sky must not become a source.
  typename Field<2>::FitterType::Candidate empty;
  empty.Position = { { 3, 3 } };
  candidates.push_back(empty);
  fitter->Fit(candidates);
  ExpectRecovered<2>(field, fitter->GetSources(), 0.15, 0.05, 5.0);
  // sigma^2 = 25 + 0.5 m, fitted on the residual.
  EXPECT_NEAR(fitter->GetNoiseVarianceSlope(), field.gain, 0.15 * field.gain);
  EXPECT_NEAR(fitter->GetNoiseVarianceOffset(), field.readVariance, 0.5 * field.readVariance + 10);
  // The fitted background follows the true one (the start was 5 too high).
  double error = 0;
  for (itk::SizeValueType i = 0; i < field.Pixels(); ++i)
  {
    error += std::pow(fitter->GetBackground()[i] - (field.background[i] - 5), 2);
  }
  // Within 0.3 noise standard deviations at the median background (sqrt(25 + 0.5 * 200)), from a
  // start 5 off everywhere.
  EXPECT_LT(std::sqrt(error / field.Pixels()), 0.3 * std::sqrt(125.0));
}

TEST(SourceModelFitter, FitSatisfiesTheStationarityConditions)
{
  Field<2> field;
  field.size = { { 72, 72 } };
  field.kernelSize = { { 11, 11 } };
  PlaceSources<2>(field, 10, 6.0, 2000, 10000, 5);
  field.Render(13);
  auto fitter = field.MakeFitter();
  fitter->Fit(field.Candidates());
  const itk::SizeValueType n = field.Pixels();
  std::vector<float>       foreground(n);
  fitter->GetForeground(foreground.data());
  std::vector<double> W(n), r(n);
  for (itk::SizeValueType i = 0; i < n; ++i)
  {
    const double m = foreground[i] + fitter->GetBackground()[i];
    W[i] = 1.0 / (fitter->GetNoiseVarianceOffset() + fitter->GetNoiseVarianceSlope() * std::max(0.0, m));
    r[i] = field.image[i] - m;
  }
  ASSERT_EQ(fitter->GetSources().size(), field.positions.size());
  for (const auto & source : fitter->GetSources())
  {
    // d chi^2 / d amplitude and d chi^2 / d position, in units of their standard errors.
    std::array<long, 2>   anchor;
    std::array<double, 2> shift;
    for (unsigned int d = 0; d < 2; ++d)
    {
      anchor[d] = static_cast<long>(std::floor(source.Position[d] + 0.5));
      shift[d] = source.Position[d] - anchor[d];
    }
    const auto &       size = fitter->GetCroppedKernelSize(source.Kernel);
    std::vector<float> h(size[0] * size[1]), dh(2 * h.size());
    fitter->EvaluateShiftedKernel(source.Kernel, shift, h.data(), dh.data());
    std::array<double, 3> gradient{}, curvature{};
    itk::ForEachKernelTapInImage<2>(anchor, size, field.size, [&](itk::SizeValueType o, itk::SizeValueType t) {
      const double columns[3] = { h[t], source.Amplitude * dh[t], source.Amplitude * dh[h.size() + t] };
      for (unsigned int j = 0; j < 3; ++j)
      {
        gradient[j] += W[o] * columns[j] * r[o];
        curvature[j] += W[o] * columns[j] * columns[j];
      }
    });
    for (unsigned int j = 0; j < 3; ++j)
    {
      EXPECT_LT(std::abs(gradient[j]) / std::sqrt(curvature[j]), 0.1)
        << "parameter " << j << " of the source at " << source.Position[0] << "," << source.Position[1];
    }
    // The reported SNR is the amplitude over its standard error.
    EXPECT_NEAR(source.SignalToNoise, source.Amplitude * std::sqrt(curvature[0]), 0.02 * source.SignalToNoise);
  }
}

TEST(SourceModelFitter, ResolvesAClosePairAndKeepsABrightSourceWhole)
{
  Field<2> field;
  field.size = { { 64, 64 } };
  field.kernelSize = { { 11, 11 } };
  field.sigma = 1.2;
  field.positions = { { { 20.3, 30.6 } }, { { 23.4, 30.2 } }, { { 44.2, 40.7 } } };
  field.fluxes = { 4000, 3000, 400000 };
  field.Render(17);
  auto fitter = field.MakeFitter();
  // One candidate for the pair (its brighter member), and spurious ones around the bright source.
  std::vector<typename Field<2>::FitterType::Candidate> candidates(4);
  candidates[0].Position = { { 44, 41 } };
  candidates[1].Position = { { 42, 39 } };
  candidates[2].Position = { { 46, 43 } };
  candidates[3].Position = { { 20, 31 } };
  fitter->Fit(candidates);
  ExpectRecovered<2>(field, fitter->GetSources(), 0.3, 0.1, 5.0);
}

TEST(SourceModelFitter, ChoosesEachSourcesKernel)
{
  // Two kernels (sigma 1 and 2.5): each planted source keeps its own.
  Field<2> narrow, wide;
  for (Field<2> * f : { &narrow, &wide })
  {
    f->size = { { 80, 64 } };
    f->kernelSize = { { 17, 17 } };
  }
  narrow.sigma = 1.0;
  wide.sigma = 2.5;
  narrow.positions = { { { 15.2, 20.7 } }, { { 60.6, 45.1 } } };
  narrow.fluxes = { 5000, 8000 };
  wide.positions = { { { 35.5, 40.2 } }, { { 55.3, 15.8 } } };
  wide.fluxes = { 9000, 12000 };
  narrow.Render(1);
  wide.Render(1);
  // One image holding both kinds.
  Field<2> both = narrow;
  for (size_t j = 0; j < wide.positions.size(); ++j)
  {
    both.positions.push_back(wide.positions[j]);
    both.fluxes.push_back(wide.fluxes[j]);
  }
  for (size_t i = 0; i < both.image.size(); ++i)
  {
    both.image[i] += wide.model[i] - wide.background[i] + 5; // wide's sources only
    both.foreground[i] += wide.foreground[i];
  }
  std::vector<float> kernels(narrow.kernel);
  kernels.insert(kernels.end(), wide.kernel.begin(), wide.kernel.end());
  auto fitter = both.MakeFitter();
  fitter->SetSourceKernels(kernels.data(), both.kernelSize, 2);
  fitter->Fit(both.Candidates());
  ExpectRecovered<2>(both, fitter->GetSources(), 0.2, 0.06, 5.0);
  for (const auto & source : fitter->GetSources())
  {
    if (source.SignalToNoise < 5)
    {
      continue; // faint sources only stay in the model
    }
    const bool nearNarrow =
      Distance<2>(source.Position, narrow.positions[0]) < 1 || Distance<2>(source.Position, narrow.positions[1]) < 1;
    EXPECT_EQ(source.Kernel, nearNarrow ? 0u : 1u) << source.Position[0] << "," << source.Position[1];
  }
}

TEST(SourceModelFitter, FindsPlantedSourcesIn3D)
{
  Field<3> field;
  field.size = { { 32, 30, 28 } };
  field.kernelSize = { { 9, 9, 9 } };
  field.sigma = 1.2;
  PlaceSources<3>(field, 6, 7.0, 4000, 12000, 8);
  field.Render(21);
  auto fitter = field.MakeFitter();
  fitter->Fit(field.Candidates());
  ExpectRecovered<3>(field, fitter->GetSources(), 0.2, 0.06, 5.0);
}

TEST(SourceModelFitter, RejectsBadInputWithClearErrors)
{
  using FitterType = itk::SourceModelFitter<float, 2>;
  auto                                    fitter = FitterType::New();
  const std::array<itk::SizeValueType, 2> kernelSize{ { 5, 5 } };
  std::vector<float>                      zeros(25, 0.0f), kernel = SampledGaussian<2>(kernelSize, 1.0, {});
  EXPECT_THROW(fitter->SetSourceKernels(zeros.data(), kernelSize, 1), itk::ExceptionObject);
  std::vector<float> nan(kernel);
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(fitter->SetSourceKernels(nan.data(), kernelSize, 1), itk::ExceptionObject);
  EXPECT_THROW(fitter->Fit({}), itk::ExceptionObject); // no image, no kernels

  Field<2> field;
  field.size = { { 40, 40 } };
  field.kernelSize = { { 9, 9 } };
  field.positions = { { { 20.2, 19.7 } } };
  field.fluxes = { 3000 };
  field.Render(2);
  auto good = field.MakeFitter();
  good->SetModelThreshold(0);
  EXPECT_THROW(good->Fit(field.Candidates()), itk::ExceptionObject);
  good->SetModelThreshold(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(good->Fit(field.Candidates()), itk::ExceptionObject);
  good->SetModelThreshold(3);
  good->SetInitialModel(nullptr, nullptr);
  EXPECT_THROW(good->Fit(field.Candidates()), itk::ExceptionObject);
  // A background operator on another grid.
  auto other = field.MakeFitter();
  auto wrong = csctest::MakeOperator<float>({ 30, 40 }, { 5, 5 }, kernel, 1, Enums::Boundary::ZeroPadded);
  other->SetBackgroundOperator(wrong, true);
  EXPECT_THROW(other->Fit(field.Candidates()), itk::ExceptionObject);
  // Kernels larger than the image.
  const std::array<itk::SizeValueType, 2> huge{ { 45, 45 } };
  const auto                              big = SampledGaussian<2>(huge, 8.0, {});
  auto                                    tooBig = field.MakeFitter();
  tooBig->SetSourceKernels(big.data(), huge, 1);
  EXPECT_THROW(tooBig->Fit(field.Candidates()), itk::ExceptionObject);
}

TEST(GroupSparseSourceLocalizationFilter, SourceFittingFindsSubpixelSourcesWithFluxesAndFittedModels)
{
  using ImageType = itk::Image<float, 2>;
  using FilterType = itk::GroupSparseSourceLocalizationFilter<ImageType>;
  Field<2> field;
  field.size = { { 96, 96 } };
  field.kernelSize = { { 11, 11 } };
  field.sigma = 1.5;
  PlaceSources<2>(field, 12, 10.0, 1500, 8000, 9);
  field.Render(5);
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { 96, 96 } });
  image->Allocate();
  std::copy(field.image.begin(), field.image.end(), image->GetBufferPointer());
  // Point-sampled Gaussian kernel (as planted) and a broad background Gaussian.
  auto dictionary = FilterType::DictionaryImageType::New();
  dictionary->SetRegions(FilterType::DictionaryImageType::SizeType{ { 25, 25, 2 } });
  dictionary->Allocate(true);
  const auto narrow = SampledGaussian<2>({ { 25, 25 } }, field.sigma, {});
  const auto broad = SampledGaussian<2>({ { 25, 25 } }, 6.0, {});
  std::copy(narrow.begin(), narrow.end(), dictionary->GetBufferPointer());
  std::copy(broad.begin(), broad.end(), dictionary->GetBufferPointer() + 625);

  auto filter = FilterType::New();
  filter->SetInput(image);
  filter->SetDictionary(dictionary);
  filter->SetGroups({ { 0 } });
  filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
  filter->SetLambda(20);
  filter->GetSourceDetector()->SetDetectionThreshold(5);
  auto * detector = filter->GetSourceDetector();
  auto   exercise = [detector]() -> int {
    ITK_TEST_SET_GET_VALUE(1.0, detector->GetCandidateThreshold());
    ITK_TEST_SET_GET_BOOLEAN(detector, SourceFitting, true);
    return EXIT_SUCCESS;
  };
  EXPECT_EQ(exercise(), EXIT_SUCCESS);
  filter->Update();
  const auto & sources = filter->GetSources();
  ASSERT_EQ(sources.size(), field.positions.size());
  for (size_t j = 0; j < field.positions.size(); ++j)
  {
    const auto match = std::min_element(sources.begin(), sources.end(), [&](const auto & a, const auto & b) {
      return std::hypot(a.Index[0] - field.positions[j][0], a.Index[1] - field.positions[j][1]) <
             std::hypot(b.Index[0] - field.positions[j][0], b.Index[1] - field.positions[j][1]);
    });
    EXPECT_LT(std::hypot(match->Index[0] - field.positions[j][0], match->Index[1] - field.positions[j][1]), 0.2);
    EXPECT_NEAR(match->Brightness, field.fluxes[j], 0.08 * field.fluxes[j]);
    EXPECT_NEAR(match->EffectiveSize, field.sigma, 0.1);
    EXPECT_GE(match->SignalToNoise, 5);
  }
  // Outputs 4 and 5 are the fitted models: the residual is down to the noise.
  double chi2 = 0;
  for (itk::SizeValueType i = 0; i < field.Pixels(); ++i)
  {
    const double m = filter->GetForeground()->GetBufferPointer()[i] + filter->GetBackground()->GetBufferPointer()[i];
    chi2 += std::pow(field.image[i] - m, 2) / (field.readVariance + field.gain * field.model[i]);
  }
  EXPECT_NEAR(chi2 / field.Pixels(), 1.0, 0.1);

  // Progress reaches the fitting stage and an abort there stops the update.
  float progress = 0;
  filter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    progress = filter->GetProgress();
    if (progress > 0.7f)
    {
      filter->AbortGenerateDataOn();
    }
  });
  filter->SetLambda(21); // modified: run again
  EXPECT_THROW(filter->Update(), itk::ProcessAborted);
  EXPECT_GT(progress, 0.7f);
}
