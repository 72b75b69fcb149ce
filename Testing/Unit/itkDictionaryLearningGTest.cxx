#include "itkCSCTestHelpers.h"
#include "itkDictionaryLearner.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace
{
using Enums = itk::ConvolutionalSparseCodingEnums;
using Norm = Enums::KernelNormConstraint;
using Image2 = itk::Image<float, 2>;


/** Periodic reconstruction sum_k d_k * x_k of every image's maps. */
std::vector<std::vector<float>>
Reconstruct(const std::vector<float> & kernels, const std::vector<itk::SizeValueType> & kernelSize, unsigned int K,
            const std::vector<std::vector<float>> & maps, const std::vector<itk::SizeValueType> & imageSize)
{
  auto op = itk::MultiChannelFourierConvolution<float>::New();
  op->SetImageSize(imageSize);
  op->SetDictionary(kernels.data(), kernelSize, K);
  op->SetBoundary(Enums::Boundary::Periodic);
  op->Initialize();
  std::vector<std::vector<float>> images;
  for (const auto & m : maps)
  {
    std::vector<float> image(csctest::Product(imageSize));
    op->ApplyForward(m.data(), image.data());
    images.push_back(image);
  }
  return images;
}

TEST(DictionaryLearner, CanonicalizationKeepsTheModelAndIsIdempotent)
{
  using Learner = itk::DictionaryLearner<Image2>;
  const std::vector<itk::SizeValueType> kernelSize{ 7, 7 }, imageSize{ 24, 20 };
  const unsigned int                    K = 4;
  const size_t                          taps = 49, pixels = 24 * 20;
  // Kernels off-centre (support in a corner), some with a negative largest tap.
  std::vector<float> kernels(K * taps, 0.0f);
  const auto         values = csctest::RandomVector<float>(K * taps, 3);
  for (unsigned int k = 0; k < K; ++k)
  {
    for (size_t y = 0; y < 3; ++y)
    {
      for (size_t x = 0; x < 3; ++x)
      {
        kernels[k * taps + (y + (k % 2) * 4) * 7 + x + (k / 2) * 4] = values[k * taps + y * 7 + x];
      }
    }
    kernels[k * taps + (1 + (k % 2) * 4) * 7 + 1 + (k / 2) * 4] = k % 2 ? -3.0f : 3.0f;
  }
  std::vector<std::vector<float>> maps;
  for (int i = 0; i < 2; ++i)
  {
    auto m = csctest::RandomVector<float>(K * pixels, 10 + i);
    for (unsigned int k = 0; k < K; ++k) // different usage per kernel
    {
      std::for_each(m.begin() + k * pixels, m.begin() + (k + 1) * pixels, [k](float & v) { v *= 0.5f + k; });
    }
    maps.push_back(m);
  }
  const auto before = Reconstruct(kernels, kernelSize, K, maps, imageSize);
  Learner::CanonicalizeDictionary(kernels, kernelSize, K, maps, imageSize, Enums::KernelCentre::CentreOfEnergy, true);
  const auto after = Reconstruct(kernels, kernelSize, K, maps, imageSize);
  for (size_t i = 0; i < before.size(); ++i)
  {
    for (size_t p = 0; p < pixels; ++p)
    {
      ASSERT_NEAR(before[i][p], after[i][p], 1e-4 * (1 + std::abs(before[i][p])));
    }
  }
  // Centred, positive, ordered by usage.
  double previousUsage = std::numeric_limits<double>::max();
  for (unsigned int k = 0; k < K; ++k)
  {
    const float * h = kernels.data() + k * taps;
    double        energy = 0, cx = 0, cy = 0;
    for (size_t t = 0; t < taps; ++t)
    {
      energy += h[t] * h[t];
      cx += h[t] * h[t] * (t % 7);
      cy += h[t] * h[t] * (t / 7);
    }
    EXPECT_LE(std::abs(cx / energy - 3), 0.5);
    EXPECT_LE(std::abs(cy / energy - 3), 0.5);
    EXPECT_GT(*std::max_element(h, h + taps, [](float a, float b) { return std::abs(a) < std::abs(b); }), 0.0f);
    double usage = 0;
    for (const auto & m : maps)
    {
      for (size_t p = 0; p < pixels; ++p)
      {
        usage += std::abs(m[k * pixels + p]);
      }
    }
    EXPECT_LE(usage, previousUsage);
    previousUsage = usage;
  }
  // Idempotent.
  auto kernelsAgain = kernels;
  auto mapsAgain = maps;
  Learner::CanonicalizeDictionary(
    kernelsAgain, kernelSize, K, mapsAgain, imageSize, Enums::KernelCentre::CentreOfEnergy, true);
  EXPECT_EQ(kernelsAgain, kernels);
  EXPECT_EQ(mapsAgain, maps);
}

// Canonicalisation shifts the maps circularly, which is exact only for periodic boundaries:
// with zero padding the learner refits them, and returns the refitted maps.
TEST(DictionaryLearner, ZeroPaddedCanonicalizationReturnsRefittedMaps)
{
  using Learner = itk::DictionaryLearner<Image2>;
  const unsigned int                    K = 4;
  const size_t                          W = 32, pixels = W * W;
  const std::vector<itk::SizeValueType> kernelSize{ 5, 5 }, imageSize{ W, W };
  std::vector<Image2::Pointer>          images;
  for (unsigned int i = 0; i < 2; ++i)
  {
    images.push_back(csctest::MakeImage<Image2>({ W, W }, csctest::RandomVector<float>(pixels, 50 + i)));
  }
  auto learn = [&](bool canonicalize) {
    auto learner = Learner::New();
    for (const auto & image : images)
    {
      learner->AddTrainingImage(image);
    }
    learner->SetNumberOfKernels(K);
    learner->SetKernelSize({ { 5, 5 } });
    learner->SetLambda(0.1);
    learner->SetNumberOfIterations(5);
    learner->SetCodingIterations(60);
    learner->SetBoundary(Enums::Boundary::ZeroPadded);
    learner->SetCanonicalize(canonicalize);
    learner->SetSeed(3);
    learner->Update();
    return learner;
  };
  const auto plain = learn(false);
  const auto canonical = learn(true);
  // The canonical form of the plain result, maps shifted circularly.
  std::vector<float> kernels(plain->GetOutput()->GetBufferPointer(), plain->GetOutput()->GetBufferPointer() + K * 25);
  std::vector<std::vector<float>> shifted;
  for (unsigned int i = 0; i < 2; ++i)
  {
    const auto maps = plain->GetCoefficientMaps(i); // held: the image owns the buffer
    shifted.emplace_back(maps->GetBufferPointer(), maps->GetBufferPointer() + K * pixels);
  }
  Learner::CanonicalizeDictionary(kernels, kernelSize, K, shifted, imageSize, canonical->GetCanonicalCentre(), true);
  const float * learned = canonical->GetOutput()->GetBufferPointer();
  for (size_t t = 0; t < kernels.size(); ++t)
  {
    ASSERT_NEAR(learned[t], kernels[t], 1e-4) << "the same dictionary, canonicalised, at tap " << t;
  }
  auto op = csctest::MakeOperator<float>(imageSize, kernelSize, kernels, K, Enums::Boundary::ZeroPadded);
  auto objective = [&](const float * x, const Image2 * image) {
    std::vector<float> model(pixels);
    op->ApplyForward(x, model.data());
    double data = 0, penalty = 0;
    for (size_t p = 0; p < pixels; ++p)
    {
      data += 0.5 * std::pow(double(model[p]) - image->GetBufferPointer()[p], 2);
    }
    for (size_t j = 0; j < K * pixels; ++j)
    {
      penalty += std::abs(x[j]);
    }
    return data + 0.1 * penalty;
  };
  for (unsigned int i = 0; i < 2; ++i)
  {
    const auto refitted = canonical->GetCoefficientMaps(i);
    EXPECT_LT(objective(refitted->GetBufferPointer(), images[i]), objective(shifted[i].data(), images[i]) - 1e-4)
      << "image " << i << ": the returned maps are the shifted ones, not the refit";
  }
}

TEST(DictionaryLearner, RejectsBadInput)
{
  using Learner = itk::DictionaryLearner<Image2>;
  const auto image = csctest::MakeImage<Image2>({ 32, 32 }, csctest::RandomVector<float>(32 * 32, 1));
  auto       learn = [&](auto configure) {
    auto learner = Learner::New();
    learner->AddTrainingImage(image);
    learner->SetNumberOfIterations(2);
    configure(learner.GetPointer());
    learner->Update();
  };
  EXPECT_NO_THROW(learn([](Learner *) {}));
  EXPECT_THROW(learn([](Learner * l) { l->SetNumberOfKernels(0); }), itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) { l->SetKernelSize({ { 40, 8 } }); }), itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) { l->SetLambda(-1); }), itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) { l->SetDictionaryPenaltyParameter(0); }), itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) { l->SetNumberOfIterations(0); }), itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) {
                 l->SetZeroMeanKernels(true);
                 l->SetKernelNorm(Norm::UnitL1);
               }),
               itk::ExceptionObject);
  EXPECT_THROW(learn([](Learner * l) { l->SetOnline(true); }), itk::ExceptionObject); // online needs files
  EXPECT_THROW(learn([](Learner * l) {
                 l->SetZeroMeanKernels(true);
                 l->SetNonNegativeKernels(true);
               }),
               itk::ExceptionObject);
  EXPECT_THROW(learn([&](Learner * l) {
                 l->AddTrainingImage(csctest::MakeImage<Image2>({ 20, 32 }, std::vector<float>(20 * 32, 0.f)));
               }),
               itk::ExceptionObject);
  auto withNaN = csctest::RandomVector<float>(32 * 32, 2);
  withNaN[77] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(learn([&](Learner * l) {
                 l->AddTrainingImage(csctest::MakeImage<Image2>({ 32, 32 }, withNaN));
               }),
               itk::ExceptionObject);
  EXPECT_THROW(Learner::New()->Update(), itk::ExceptionObject); // no training images
  // Distributed learning (SetCommunicator) refuses what has no per-frequency statistics to share.
  const auto shared = [](Learner * l) { l->SetCommunicator(itk::ProcessCommunicator::New()); };
  EXPECT_NO_THROW(learn(shared));
  csctest::ExpectExceptionContaining(
    [&] {
      learn([&](Learner * l) {
        shared(l);
        l->SetBoundary(Enums::Boundary::ZeroPadded);
      });
    },
    "periodic boundary");
  csctest::ExpectExceptionContaining(
    [&] {
      learn([&](Learner * l) {
        shared(l);
        l->SetOnline(true);
        l->SetTrainingFileNames({ "unused.mha" });
      });
    },
    "batch learning");
  csctest::ExpectExceptionContaining(
    [&] {
      learn([&](Learner * l) {
        shared(l);
        l->SetInitializeFromPatches(true);
      });
    },
    "patches");
}

TEST(DictionaryLearner, ReportsIterationsProgressAndAborts)
{
  using Learner = itk::DictionaryLearner<Image2>;
  auto learner = Learner::New();
  learner->AddTrainingImage(csctest::MakeImage<Image2>({ 32, 32 }, csctest::RandomVector<float>(32 * 32, 4)));
  learner->SetNumberOfKernels(3);
  learner->SetKernelSize({ { 5, 5 } });
  learner->SetNumberOfIterations(10);
  unsigned int iterations = 0;
  float        progress = 0;
  learner->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  learner->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) { progress = learner->GetProgress(); });
  learner->Update();
  EXPECT_EQ(iterations, 10u);
  EXPECT_FLOAT_EQ(progress, 1.0f);
  // The last batch's maps: the image grid times K, one set per training image.
  const auto maps = learner->GetCoefficientMaps(0);
  const auto size = maps->GetLargestPossibleRegion().GetSize();
  EXPECT_EQ(size[0], 32u);
  EXPECT_EQ(size[2], 3u);
  EXPECT_THROW(learner->GetCoefficientMaps(1), itk::ExceptionObject);

  auto aborting = Learner::New();
  aborting->AddTrainingImage(csctest::MakeImage<Image2>({ 32, 32 }, csctest::RandomVector<float>(32 * 32, 4)));
  aborting->SetNumberOfKernels(3);
  aborting->SetKernelSize({ { 5, 5 } });
  aborting->SetNumberOfIterations(50);
  aborting->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (aborting->GetIteration() == 3)
    {
      aborting->AbortGenerateDataOn();
    }
  });
  EXPECT_THROW(aborting->Update(), itk::ProcessAborted);
  EXPECT_EQ(aborting->GetIteration(), 3u);
}
} // namespace
