// Multi-layer convolutional sparse coding: kernel composition, ML-ISTA/ML-FISTA, layered
// thresholding and layered basis pursuit on planted two-layer models.
#include "itkCSCTestHelpers.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkL1ProximalOperator.h"
#include "itkMultiLayerConvolutionalPursuit.h"
#include "itkMultiLayerConvolutionalSparseCodingImageFilter.h"
#include "itkMultiLayerKernelComposition.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <random>

namespace
{
using BoundaryEnum = itk::ConvolutionalSparseCodingEnums::Boundary;
using PursuitEnum = itk::ConvolutionalSparseCodingEnums::MultiLayerPursuit;
using Kernels = itk::ConvolutionalLayerKernels<double>;
using Layer = itk::ConvolutionalLayerOperator<double>;
using Pursuit = itk::MultiLayerConvolutionalPursuit<double>;
using SizeType = Layer::SizeType;

Kernels
RandomKernels(std::vector<size_t> size, unsigned int maps, unsigned int channels, unsigned int seed)
{
  Kernels k;
  k.Size = size;
  k.Maps = maps;
  k.Channels = channels;
  k.Values = csctest::RandomVector<double>(size_t(maps) * channels * k.Taps(), seed);
  return k;
}

Layer::Pointer
MakeLayer(const SizeType & image, const Kernels & k, BoundaryEnum boundary = BoundaryEnum::Periodic)
{
  SizeType size(k.Size.begin(), k.Size.end());
  return Layer::Create(image, k.Values.data(), size, k.Maps, k.Channels, boundary, FFTW_ESTIMATE);
}

/** Each kernel (all its channels) scaled to unit l2 norm. */
void
Normalise(Kernels & k)
{
  const size_t block = size_t(k.Channels) * k.Taps();
  for (unsigned int m = 0; m < k.Maps; ++m)
  {
    double norm = 0;
    for (size_t t = 0; t < block; ++t)
    {
      norm += k.Values[m * block + t] * k.Values[m * block + t];
    }
    for (size_t t = 0; t < block; ++t)
    {
      k.Values[m * block + t] /= std::sqrt(norm);
    }
  }
}

/** Support of maps at a fraction of the largest magnitude. */
std::vector<bool>
Support(const std::vector<double> & maps, double relative)
{
  double peak = 0;
  for (double v : maps)
  {
    peak = std::max(peak, std::abs(v));
  }
  std::vector<bool> support(maps.size());
  for (size_t i = 0; i < maps.size(); ++i)
  {
    support[i] = std::abs(maps[i]) > relative * peak;
  }
  return support;
}

/** A planted two-layer model on a periodic 64 x 64 grid: s = D1 gamma1, gamma1 = D2 gamma2,
 * gamma2 with a few non-negative spikes far apart, D2's atoms with two non-negative taps in
 * distinct channels, far enough apart that D1's footprints do not overlap. */
struct TwoLayerModel
{
  SizeType            Image{ 64, 64 };
  Kernels             First, Second;
  Layer::Pointer      D1, D2;
  std::vector<double> Gamma1, Gamma2, Signal;

  TwoLayerModel(unsigned int seed, const std::vector<double> & amplitudes)
  {
    std::mt19937 random(seed);
    First = RandomKernels({ 7, 7 }, 4, 1, seed);
    Normalise(First);
    Second.Size = { 9, 9 };
    Second.Maps = 5;
    Second.Channels = 4;
    Second.Values.assign(size_t(5) * 4 * 81, 0.0);
    for (unsigned int m = 0; m < 5; ++m)
    {
      // Two taps 8 pixels apart (corners of the 9 x 9 atom) in two channels, a distinct pair
      // per atom: (0, 1), (1, 2), (2, 3), (3, 0), (0, 2).
      const size_t block = size_t(m) * 4 * 81;
      Second.Values[block + (m % 4) * 81 + 0] = 0.8;
      Second.Values[block + ((m + 1 + m / 4) % 4) * 81 + 80] = 0.6;
    }
    D1 = MakeLayer(Image, First);
    D2 = MakeLayer(Image, Second);
    const size_t n = 64 * 64;
    Gamma2.assign(5 * n, 0.0);
    // Spikes on a 21-pixel lattice: atoms' footprints (9 + 7 - 1 = 15 px) never meet, nor
    // reach the border.
    for (size_t a = 0; a < amplitudes.size(); ++a)
    {
      const size_t x = 8 + 21 * (a % 3), y = 8 + 21 * ((a / 3) % 3);
      Gamma2[(a % 5) * n + y * 64 + x] = amplitudes[a];
    }
    Gamma1.assign(4 * n, 0.0);
    D2->ApplyForward(Gamma2.data(), Gamma1.data());
    // The FFTs leave round-off off the support.
    std::for_each(Gamma1.begin(), Gamma1.end(), [](double & v) { v = std::abs(v) < 1e-9 ? 0.0 : v; });
    Signal.assign(n, 0.0);
    D1->ApplyForward(Gamma1.data(), Signal.data());
  }

  Pursuit::Pointer
  Run(PursuitEnum pursuit, std::vector<double> lambdas, unsigned int iterations = 2000) const
  {
    auto p = Pursuit::New();
    p->SetLayers({ D1.GetPointer(), D2.GetPointer() });
    p->SetLambdas(lambdas);
    p->SetPursuit(pursuit);
    p->SetProximalOperator(itk::NonNegativeL1ProximalOperator<double>::New());
    p->SetMaximumNumberOfIterations(iterations);
    p->SetRelativeTolerance(1e-8);
    p->SetSignal(Signal.data());
    p->Run();
    return p;
  }
};
} // namespace

TEST(MultiLayer, ComposedKernelsEqualTheChainedLayers)
{
  // Odd then even, and even then even (the composed centre rule).
  for (const auto & sizes : std::vector<std::pair<std::vector<size_t>, std::vector<size_t>>>{
         { { 5, 5 }, { 4, 4 } }, { { 4, 6 }, { 6, 4 } }, { { 3, 5 }, { 3, 3 } } })
  {
    const SizeType image{ 32, 30 };
    const Kernels  first = RandomKernels(sizes.first, 3, 1, 1), second = RandomKernels(sizes.second, 4, 3, 2);
    const Kernels  effective = itk::MultiLayerKernelComposition::Compose(first, second);
    ASSERT_EQ(effective.Maps, 4u);
    ASSERT_EQ(effective.Channels, 1u);
    const auto          gamma2 = csctest::RandomVector<double>(4 * 32 * 30, 3);
    std::vector<double> gamma1(3 * 32 * 30), chained(32 * 30), direct(32 * 30);
    MakeLayer(image, second)->ApplyForward(gamma2.data(), gamma1.data());
    MakeLayer(image, first)->ApplyForward(gamma1.data(), chained.data());
    MakeLayer(image, effective)->ApplyForward(gamma2.data(), direct.data());
    for (size_t i = 0; i < direct.size(); ++i)
    {
      ASSERT_NEAR(direct[i], chained[i], 1e-10)
        << "pixel " << i << ", sizes " << sizes.first[0] << "/" << sizes.second[0];
    }
  }
}

TEST(MultiLayer, EmbeddedKernelsKeepTheirCentre)
{
  const SizeType      image{ 24, 24 };
  const Kernels       kernels = RandomKernels({ 3, 4 }, 2, 2, 5);
  const Kernels       embedded = itk::MultiLayerKernelComposition::Embed(kernels, { 7, 8 });
  const auto          x = csctest::RandomVector<double>(2 * 24 * 24, 6);
  std::vector<double> a(2 * 24 * 24), b(2 * 24 * 24);
  MakeLayer(image, kernels)->ApplyForward(x.data(), a.data());
  MakeLayer(image, embedded)->ApplyForward(x.data(), b.data());
  for (size_t i = 0; i < a.size(); ++i)
  {
    ASSERT_NEAR(a[i], b[i], 1e-12);
  }
  EXPECT_THROW(itk::MultiLayerKernelComposition::Embed(kernels, { 2, 8 }), itk::ExceptionObject);
}

TEST(MultiLayer, OneLayerSolverIsFISTA)
{
  // One layer and a one-channel target: the multi-layer solver solves FISTA's problem.
  const SizeType image{ 32, 32 };
  const Kernels  k = RandomKernels({ 6, 6 }, 3, 1, 11);
  auto           layer = MakeLayer(image, k, BoundaryEnum::ZeroPadded);
  const auto     signal = csctest::RandomVector<double>(32 * 32, 12);

  auto fista = itk::FISTASparseCodingSolver<double>::New();
  fista->SetOperator(&layer->GetChannelOperator(0));
  fista->SetProximalOperator(itk::L1ProximalOperator<double>::New());
  fista->SetLambda(0.1);
  fista->SetMaximumNumberOfIterations(1500);
  fista->SetRelativeTolerance(1e-9);
  fista->SetSignal(signal.data());
  fista->Solve();

  auto ml = itk::MultiLayerFISTASolver<double>::New();
  ml->SetLayers({ layer.GetPointer() });
  ml->SetProximalOperator(itk::L1ProximalOperator<double>::New());
  ml->SetLayerLambdas({ 0.1 });
  ml->SetMaximumNumberOfIterations(1500);
  ml->SetRelativeTolerance(1e-9);
  ml->SetTarget(signal.data());
  ml->Solve();
  EXPECT_NEAR(ml->GetObjective(), fista->GetObjective(), 1e-6 * fista->GetObjective());
  std::vector<double> maps(3 * 32 * 32);
  ml->GetLayerCoefficients(1, maps.data());
  EXPECT_NEAR(ml->EvaluateLayeredObjective(maps.data()), ml->GetObjective(), 1e-9 * ml->GetObjective());
  EXPECT_NEAR(fista->EvaluateObjective(maps.data()), fista->GetObjective(), 1e-6 * fista->GetObjective());
}

TEST(MultiLayer, MLISTAAndMLFISTAReachTheSameObjective)
{
  const TwoLayerModel model(21, { 1.0, 1.5, 1.2, 0.9, 1.1 });
  auto                noisy = model.Signal;
  const auto          noise = csctest::RandomVector<double>(noisy.size(), 22);
  for (size_t i = 0; i < noisy.size(); ++i)
  {
    noisy[i] += 0.02 * noise[i];
  }
  double objectives[2];
  for (bool accelerated : { false, true })
  {
    auto solver = itk::MultiLayerFISTASolver<double>::New();
    solver->SetLayers({ model.D1.GetPointer(), model.D2.GetPointer() });
    solver->SetProximalOperator(itk::L1ProximalOperator<double>::New());
    solver->SetLayerLambdas({ 0.02, 0.05 });
    solver->SetAccelerated(accelerated);
    solver->SetMaximumNumberOfIterations(accelerated ? 1500 : 6000);
    solver->SetRelativeTolerance(1e-9);
    solver->SetTarget(noisy.data());
    solver->Solve();
    objectives[accelerated] = solver->GetObjective();
    // Far below the objective at zero (1/2 ||s||^2).
    EXPECT_LT(solver->GetObjective(), 0.25 * solver->GetHistory().front().Objective);
  }
  EXPECT_NEAR(objectives[1], objectives[0], 2e-3 * objectives[0]);
}

TEST(MultiLayer, PlantedTwoLayerSupportsAreRecovered)
{
  const TwoLayerModel model(31, { 1.0, 1.4, 0.8, 1.2, 1.0, 0.9 });
  const auto          truth1 = Support(model.Gamma1, 0.05), truth2 = Support(model.Gamma2, 0.05);
  for (PursuitEnum pursuit : { PursuitEnum::LayeredBasisPursuit, PursuitEnum::MLFISTA })
  {
    const auto p = model.Run(pursuit, { 1e-3, 1e-3 }, 3000);
    EXPECT_EQ(Support(p->GetLayerMaps(1), 0.05), truth1) << pursuit;
    EXPECT_EQ(Support(p->GetLayerMaps(2), 0.05), truth2) << pursuit;
  }
}

TEST(MultiLayer, LayeredThresholdingRecoversSupportsWhenItsConditionHolds)
{
  // Equal amplitudes and far-apart atoms: at each layer the smallest on-support correlation
  // exceeds the largest off-support one, and a threshold between them gives the support.
  const TwoLayerModel model(31, std::vector<double>(6, 1.0));
  double              lambdas[2] = { 0, 0 };
  const auto          run = [&]() { return model.Run(PursuitEnum::LayeredThresholding, { lambdas[0], lambdas[1] }); };
  const std::vector<double> * truth[2] = { &model.Gamma1, &model.Gamma2 };
  const Layer *               layers[2] = { model.D1.GetPointer(), model.D2.GetPointer() };
  for (unsigned int j = 0; j < 2; ++j)
  {
    // The correlations layer j thresholds: D_j^T of the layer above as thresholding found it.
    const std::vector<double> above = j == 0 ? model.Signal : run()->GetLayerMaps(1);
    std::vector<double>       correlation(truth[j]->size());
    layers[j]->ApplyAdjoint(above.data(), correlation.data());
    double onSupport = 1e300, offSupport = 0;
    for (size_t i = 0; i < correlation.size(); ++i)
    {
      if ((*truth[j])[i] != 0)
      {
        onSupport = std::min(onSupport, correlation[i]);
      }
      else
      {
        offSupport = std::max(offSupport, correlation[i]);
      }
    }
    ASSERT_GT(onSupport, offSupport) << "layer " << j + 1 << " should satisfy thresholding's condition";
    lambdas[j] = 0.5 * (onSupport + offSupport);
  }
  const auto p = run();
  EXPECT_EQ(Support(p->GetLayerMaps(1), 1e-12), Support(model.Gamma1, 1e-12));
  EXPECT_EQ(Support(p->GetLayerMaps(2), 1e-12), Support(model.Gamma2, 1e-12));
}

TEST(MultiLayer, ThresholdingFailsWhereLayeredBasisPursuitSucceeds)
{
  // High contrast: one deep atom 12 times stronger than another. The strong atom's correlations
  // off its support exceed the weak atom's own, so no threshold gives the layer-1 support,
  // while basis pursuit, which explains the strong atom away, still finds it.
  const TwoLayerModel model(41, { 6.0, 0.5, 6.0, 0.5, 6.0, 0.5 });
  std::vector<double> correlation(model.Gamma1.size());
  model.D1->ApplyAdjoint(model.Signal.data(), correlation.data());
  double onSupport = 1e300, offSupport = 0;
  for (size_t i = 0; i < correlation.size(); ++i)
  {
    if (model.Gamma1[i] != 0)
    {
      onSupport = std::min(onSupport, correlation[i]);
    }
    else
    {
      offSupport = std::max(offSupport, correlation[i]);
    }
  }
  EXPECT_GT(offSupport, onSupport) << "no threshold separates the supports";
  const auto truth1 = Support(model.Gamma1, 0.01);
  for (double fraction : { 0.1, 0.3, 0.5, 0.7, 0.9 })
  {
    const auto p =
      model.Run(PursuitEnum::LayeredThresholding, { fraction * offSupport + (1 - fraction) * onSupport, 0 });
    EXPECT_NE(Support(p->GetLayerMaps(1), 1e-12), truth1) << fraction;
  }
  const auto bp = model.Run(PursuitEnum::LayeredBasisPursuit, { 1e-3, 1e-3 }, 3000);
  EXPECT_EQ(Support(bp->GetLayerMaps(1), 0.01), truth1);
  EXPECT_EQ(Support(bp->GetLayerMaps(2), 0.01), Support(model.Gamma2, 0.01));
}

TEST(MultiLayer, BadLayersAndParametersRaise)
{
  const SizeType image{ 32, 32 };
  auto           d1 = MakeLayer(image, RandomKernels({ 5, 5 }, 4, 1, 1));
  auto           d2 = MakeLayer(image, RandomKernels({ 5, 5 }, 6, 3, 2)); // 3 channels, not 4
  auto           p = Pursuit::New();
  EXPECT_THROW(p->SetLayers({ d1.GetPointer(), d2.GetPointer() }), itk::ExceptionObject);
  EXPECT_THROW(p->SetLayers({}), itk::ExceptionObject);
  auto padded = MakeLayer(image, RandomKernels({ 5, 5 }, 6, 4, 3), BoundaryEnum::ZeroPadded);
  EXPECT_THROW(p->SetLayers({ d1.GetPointer(), padded.GetPointer() }), itk::ExceptionObject);
  EXPECT_THROW(p->SetLambdas({ 0.1, -1.0 }), itk::ExceptionObject);
  EXPECT_THROW(p->SetLambdas({ std::nan("") }), itk::ExceptionObject);
  EXPECT_THROW(p->Run(), itk::ExceptionObject); // no layers
  auto d2good = MakeLayer(image, RandomKernels({ 5, 5 }, 6, 4, 2));
  p->SetLayers({ d1.GetPointer(), d2good.GetPointer() });
  std::vector<double> signal(32 * 32, 1.0);
  p->SetSignal(signal.data());
  p->SetProximalOperator(itk::L1ProximalOperator<double>::New());
  p->SetLambdas({ 0.1 });
  EXPECT_THROW(p->Run(), itk::ExceptionObject); // one lambda for two layers
  p->SetLambdas({ 0.1, 0.1 });
  p->SetMaximumNumberOfIterations(0);
  EXPECT_THROW(p->Run(), itk::ExceptionObject);
  p->SetMaximumNumberOfIterations(5);
  EXPECT_NO_THROW(p->Run());
  EXPECT_THROW(p->GetLayerMaps(3), itk::ExceptionObject);
  signal[7] = std::nan("");
  EXPECT_THROW(p->SetSignal(signal.data()), itk::ExceptionObject);
}

namespace
{
using FilterType = itk::MultiLayerConvolutionalSparseCodingImageFilter<itk::Image<float, 2>, float>;

FilterType::DictionaryImageType::Pointer
DictionaryImage(const Kernels & k)
{
  auto                                        image = FilterType::DictionaryImageType::New();
  FilterType::DictionaryImageType::RegionType region;
  region.SetSize({ { k.Size[0], k.Size[1], k.Channels, k.Maps } });
  image->SetRegions(region);
  image->Allocate();
  std::copy(k.Values.begin(), k.Values.end(), image->GetBufferPointer());
  return image;
}

itk::Image<float, 2>::Pointer
SignalImage(const TwoLayerModel & model)
{
  auto image = itk::Image<float, 2>::New();
  image->SetRegions(itk::Size<2>{ { 64, 64 } });
  image->Allocate();
  std::copy(model.Signal.begin(), model.Signal.end(), image->GetBufferPointer());
  image->SetSpacing(itk::Vector<double, 2>(0.5));
  return image;
}

FilterType::Pointer
MakeFilter(const TwoLayerModel & model, PursuitEnum pursuit)
{
  auto filter = FilterType::New();
  filter->SetInput(SignalImage(model));
  filter->SetDictionary(0, DictionaryImage(model.First));
  filter->SetDictionary(1, DictionaryImage(model.Second));
  filter->SetLambdas({ 1e-3, 1e-3 });
  filter->SetPursuit(pursuit);
  filter->SetNonnegative(true);
  filter->SetMaximumNumberOfIterations(3000);
  filter->SetRelativeTolerance(1e-8);
  return filter;
}

std::vector<double>
Values(const itk::Image<float, 3> * image)
{
  return std::vector<double>(image->GetBufferPointer(),
                             image->GetBufferPointer() + image->GetLargestPossibleRegion().GetNumberOfPixels());
}
} // namespace

TEST(MultiLayerFilter, LayersAndEffectiveDictionariesExplainTheImage)
{
  const TwoLayerModel model(31, { 1.0, 1.4, 0.8, 1.2, 1.0, 0.9 });
  auto                filter = MakeFilter(model, PursuitEnum::LayeredBasisPursuit);
  unsigned int        iterations = 0;
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  filter->Update();
  EXPECT_GT(iterations, 2u);
  EXPECT_FLOAT_EQ(filter->GetProgress(), 1.0f);
  const auto * maps2 = filter->GetLayerCoefficients(1);
  EXPECT_EQ(maps2->GetLargestPossibleRegion().GetSize(), (itk::Size<3>{ { 64, 64, 5 } }));
  EXPECT_DOUBLE_EQ(maps2->GetSpacing()[0], 0.5);
  EXPECT_EQ(Support(Values(filter->GetLayerCoefficients(0)), 0.05), Support(model.Gamma1, 0.05));
  EXPECT_EQ(Support(Values(maps2), 0.05), Support(model.Gamma2, 0.05));

  // Layer 2's maps code the image through the effective dictionary D1 * D2 (7 + 9 - 1 taps).
  const auto * effective = filter->GetEffectiveDictionary(1);
  ASSERT_EQ(effective->GetLargestPossibleRegion().GetSize(), (itk::Size<3>{ { 15, 15, 5 } }));
  const std::vector<float> kernels(effective->GetBufferPointer(), effective->GetBufferPointer() + 15 * 15 * 5);
  auto               op = csctest::MakeOperator<float>({ 64, 64 }, { 15, 15 }, kernels, 5, BoundaryEnum::Periodic);
  std::vector<float> reconstruction(64 * 64);
  op->ApplyForward(maps2->GetBufferPointer(), reconstruction.data());
  double error = 0, energy = 0;
  for (size_t i = 0; i < reconstruction.size(); ++i)
  {
    error += std::pow(reconstruction[i] - model.Signal[i], 2);
    energy += model.Signal[i] * model.Signal[i];
  }
  EXPECT_LT(std::sqrt(error / energy), 0.02);
  // Layer 1's effective dictionary is D1 itself.
  const auto * first = filter->GetEffectiveDictionary(0);
  ASSERT_EQ(first->GetLargestPossibleRegion().GetSize(), (itk::Size<3>{ { 7, 7, 4 } }));
  EXPECT_FLOAT_EQ(first->GetBufferPointer()[10], static_cast<float>(model.First.Values[10]));
}

TEST(MultiLayerFilter, ZeroPaddedMLFISTAFitsTheImage)
{
  const TwoLayerModel model(51, { 1.0, 1.0, 1.0, 1.0 });
  auto                filter = MakeFilter(model, PursuitEnum::MLFISTA);
  filter->SetBoundaryCondition(BoundaryEnum::ZeroPadded);
  filter->SetMaximumNumberOfIterations(500);
  filter->Update();
  const auto & statistics = filter->GetPursuitObject()->GetSolveStatistics();
  ASSERT_EQ(statistics.size(), 1u);
  // The data term falls to a small fraction of 1/2 ||s||^2 (the zero pad truncates the atoms
  // at the border, which the padded model represents exactly).
  double energy = 0;
  for (double v : model.Signal)
  {
    energy += 0.5 * v * v;
  }
  EXPECT_LT(statistics[0].DataFidelity, 1e-3 * energy);
  EXPECT_EQ(Support(Values(filter->GetLayerCoefficients(1)), 0.05), Support(model.Gamma2, 0.05));
}

TEST(MultiLayerFilter, BadDictionariesAndParametersRaise)
{
  const TwoLayerModel model(61, { 1.0 });
  {
    auto filter = FilterType::New();
    filter->SetInput(SignalImage(model));
    EXPECT_THROW(filter->SetDictionary(1, DictionaryImage(model.Second)), itk::ExceptionObject); // a gap
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);                                        // no dictionary
  }
  {
    // Layer 2 with 3 channels after a layer of 4 kernels.
    auto filter = MakeFilter(model, PursuitEnum::MLFISTA);
    filter->SetDictionary(1, DictionaryImage(RandomKernels({ 5, 5 }, 2, 3, 7)));
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  {
    // Layer 1 with 2 channels for a one-channel image.
    auto filter = MakeFilter(model, PursuitEnum::MLFISTA);
    filter->SetDictionary(0, DictionaryImage(RandomKernels({ 5, 5 }, 4, 2, 7)));
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  {
    auto filter = MakeFilter(model, PursuitEnum::MLFISTA);
    filter->SetLambdas({ 0.1 });
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
    filter->SetLambdas({ 0.1, -0.1 });
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  {
    Kernels zero = model.Second;
    std::fill(zero.Values.begin(), zero.Values.begin() + 4 * 81, 0.0);
    auto filter = MakeFilter(model, PursuitEnum::MLFISTA);
    filter->SetDictionary(1, DictionaryImage(zero));
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  {
    auto filter = MakeFilter(model, PursuitEnum::MLFISTA);
    auto image = SignalImage(model);
    image->GetBufferPointer()[5] = std::nanf("");
    filter->SetInput(image);
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  {
    auto filter = MakeFilter(model, PursuitEnum::LayeredBasisPursuit);
    filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { filter->AbortGenerateDataOn(); });
    EXPECT_THROW(filter->Update(), itk::ProcessAborted);
  }
}

TEST(MultiLayerFilter, ThreeDimensionalLayersComposeLikeTheirEffectiveDictionary)
{
  // 3-D: ML-FISTA's layer-1 maps are D2 applied to its layer-2 maps, so the image D1 makes of
  // layer 1 equals the one the effective dictionary D1 * D2 makes of layer 2.
  using Filter3 = itk::MultiLayerConvolutionalSparseCodingImageFilter<itk::Image<float, 3>, float>;
  auto make = [](const Kernels & k) {
    auto                                   image = Filter3::DictionaryImageType::New();
    Filter3::DictionaryImageType::SizeType size{ { k.Size[0], k.Size[1], k.Size[2], k.Channels, k.Maps } };
    image->SetRegions(size);
    image->Allocate();
    std::copy(k.Values.begin(), k.Values.end(), image->GetBufferPointer());
    return image;
  };
  const Kernels first = RandomKernels({ 3, 3, 3 }, 2, 1, 71), second = RandomKernels({ 4, 3, 2 }, 3, 2, 72);
  auto          input = itk::Image<float, 3>::New();
  input->SetRegions(itk::Size<3>{ { 16, 14, 12 } });
  input->Allocate();
  const auto values = csctest::RandomVector<float>(16 * 14 * 12, 73);
  std::copy(values.begin(), values.end(), input->GetBufferPointer());
  auto filter = Filter3::New();
  filter->SetInput(input);
  filter->SetDictionary(0, make(first));
  filter->SetDictionary(1, make(second));
  filter->SetLambdas({ 0.05, 0.05 });
  filter->SetMaximumNumberOfIterations(30);
  filter->Update();
  EXPECT_EQ(filter->GetLayerCoefficients(0)->GetLargestPossibleRegion().GetSize(), (itk::Size<4>{ { 16, 14, 12, 2 } }));
  const auto * effective = filter->GetEffectiveDictionary(1);
  ASSERT_EQ(effective->GetLargestPossibleRegion().GetSize(), (itk::Size<4>{ { 6, 5, 4, 3 } }));
  const size_t       n = 16 * 14 * 12;
  std::vector<float> viaLayer1(n), viaEffective(n);
  csctest::MakeOperator<float>({ 16, 14, 12 },
                               { 3, 3, 3 },
                               std::vector<float>(first.Values.begin(), first.Values.end()),
                               2,
                               BoundaryEnum::Periodic)
    ->ApplyForward(filter->GetLayerCoefficients(0)->GetBufferPointer(), viaLayer1.data());
  const std::vector<float> kernels(effective->GetBufferPointer(), effective->GetBufferPointer() + 6 * 5 * 4 * 3);
  csctest::MakeOperator<float>({ 16, 14, 12 }, { 6, 5, 4 }, kernels, 3, BoundaryEnum::Periodic)
    ->ApplyForward(filter->GetLayerCoefficients(1)->GetBufferPointer(), viaEffective.data());
  double difference = 0, energy = 0;
  for (size_t i = 0; i < n; ++i)
  {
    difference += std::pow(double(viaLayer1[i]) - viaEffective[i], 2);
    energy += double(viaLayer1[i]) * viaLayer1[i];
  }
  ASSERT_GT(energy, 0);
  EXPECT_LT(std::sqrt(difference / energy), 1e-4);
}
