#include "itkCSCTestHelpers.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkSourceKernelBank.h"
#include "itkGaussianDerivativeDictionary.h"
#include "itkMemoryEstimate.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <tuple>

namespace
{
using Enums = itk::ConvolutionalSparseCodingEnums;

template <unsigned int VDimension>
struct Planted
{
  using ImageType = itk::Image<float, VDimension>;
  using BankType = itk::SourceKernelBank<float, VDimension>;
  typename ImageType::Pointer                 image;
  typename BankType::Pointer                  bank;
  std::vector<std::array<double, VDimension>> positions;
  std::vector<double>                         fluxes;
};

/** Point sources (pixel-integrated Gaussians at integer positions) on a smooth background
 * with Gaussian noise of sigma 1. */
template <unsigned int VDimension>
Planted<VDimension>
MakePlanted(const std::array<itk::SizeValueType, VDimension> & size, double sigma, unsigned int count,
            double background, const std::string & backgroundKernel = "gauss:6")
{
  Planted<VDimension> planted;
  planted.bank = Planted<VDimension>::BankType::New();
  planted.bank->AddFromDescription("gauss:" + std::to_string(sigma) + ";background:" + backgroundKernel, nullptr);
  const auto & kernel = planted.bank->GetKernels()[0];
  planted.image = Planted<VDimension>::ImageType::New();
  typename Planted<VDimension>::ImageType::RegionType region;
  itk::SizeValueType                                  n = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    region.SetSize(d, size[d]);
    n *= size[d];
  }
  planted.image->SetRegions(region);
  planted.image->Allocate(true);
  float *                          s = planted.image->GetBufferPointer();
  std::mt19937                     generator(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (itk::SizeValueType i = 0; i < n; ++i)
  {
    itk::SizeValueType rest = i;
    double             smooth = background;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      smooth *= 1.0 + 0.3 * std::sin(6.28318 * static_cast<double>(rest % size[d]) / size[d]);
      rest /= size[d];
    }
    s[i] = static_cast<float>(smooth + noise(generator));
  }
  // Sources on a grid well inside the image, brightness 150 to 400.
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const itk::SizeValueType               margin = kernel.Size[0] / 2 + 2;
  for (unsigned int j = 0; j < count; ++j)
  {
    std::array<double, VDimension> p;
    itk::SizeValueType             cell = j;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const itk::SizeValueType cells = (d == 0) ? 4 : (count + 3) / 4;
      const itk::SizeValueType along = (d == 0) ? cell % 4 : cell / 4;
      const double spacing = static_cast<double>(size[d] - 2 * margin) / std::max<itk::SizeValueType>(cells, 1);
      p[d] = std::round(margin + spacing * (along + 0.5));
    }
    const double flux = 150.0 + 250.0 * uniform(generator);
    planted.positions.push_back(p);
    planted.fluxes.push_back(flux);
    double kernelSum = 0;
    for (const float v : kernel.Values)
    {
      kernelSum += v;
    }
    for (itk::SizeValueType t = 0; t < kernel.Values.size(); ++t)
    {
      itk::SizeValueType rest = t, offset = 0, stride = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        offset += static_cast<itk::SizeValueType>(p[d] + static_cast<double>(rest % kernel.Size[d]) -
                                                  static_cast<double>(kernel.Size[d] / 2)) *
                  stride;
        rest /= kernel.Size[d];
        stride *= size[d];
      }
      s[offset] += static_cast<float>(flux * kernel.Values[t] / kernelSum);
    }
  }
  return planted;
}

template <unsigned int VDimension>
void
ExpectPlantedRecovered(const Planted<VDimension> & planted, double threshold,
                       Enums::Solver solver = Enums::Solver::ADMM)
{
  using FilterType = itk::GroupSparseSourceLocalizationFilter<typename Planted<VDimension>::ImageType>;
  auto filter = FilterType::New();
  filter->SetInput(planted.image);
  filter->SetDictionary(planted.bank->GetDictionary());
  filter->SetGroups(planted.bank->GetGroups());
  filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
  filter->SetSolver(solver);
  // A small lambda: the l1 shrinkage of a brightness is about lambda ||h||_1 / ||h||_2^2.
  filter->SetLambda(1.0);
  filter->GetSourceDetector()->SetDetectionThreshold(threshold);
  filter->GetSourceDetector()->SetNeighborhoodRadius(2); // the brightness sum covers the source's coefficient spread
  // FISTA needs more, and finer, iterations than ADMM to settle the unpenalised background.
  filter->SetMaximumNumberOfIterations(solver == Enums::Solver::FISTA ? 2000 : 400);
  filter->SetRelativeTolerance(solver == Enums::Solver::FISTA ? 1e-6 : 1e-4);
  filter->Update();
  const auto & sources = filter->GetSources();
  // Every planted source found within 1 px with its brightness within 10 %; nothing else.
  ASSERT_EQ(sources.size(), planted.positions.size()) << "noise sigma " << filter->GetNoiseSigma();
  for (size_t j = 0; j < planted.positions.size(); ++j)
  {
    const auto match = std::min_element(sources.begin(), sources.end(), [&](const auto & a, const auto & b) {
      double da = 0, db = 0;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        da += std::pow(a.Index[d] - planted.positions[j][d], 2);
        db += std::pow(b.Index[d] - planted.positions[j][d], 2);
      }
      return da < db;
    });
    double     distance = 0;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      distance += std::pow(match->Index[d] - planted.positions[j][d], 2);
    }
    EXPECT_LT(std::sqrt(distance), 1.0) << "source " << j;
    EXPECT_NEAR(match->Brightness, planted.fluxes[j], 0.1 * planted.fluxes[j]) << "source " << j;
    EXPECT_EQ(match->Group, 0u);
  }
  // The point set carries the same sources: physical points and brightness, group, size, SNR.
  const auto pointSet = filter->GetSourcePointSet();
  ASSERT_EQ(pointSet->GetNumberOfPoints(), sources.size());
  for (size_t i = 0; i < sources.size(); ++i)
  {
    typename FilterType::SourcePointSetType::PixelType data;
    ASSERT_TRUE(pointSet->GetPointData(i, &data));
    EXPECT_NEAR(pointSet->GetPoint(i)[0], sources[i].Point[0], 1e-4); // the point set stores float coordinates
    EXPECT_EQ(data[0], sources[i].Brightness);
    EXPECT_EQ(data[1], sources[i].Group);
    EXPECT_EQ(data[3], sources[i].SignalToNoise);
  }
  // The table (Python's form) carries them too, in its columns' order.
  const auto table = filter->GetSourceTable();
  const auto columns = FilterType::GetSourceTableColumns();
  ASSERT_EQ(columns.size(), 2 * VDimension + 4);
  EXPECT_EQ(columns[VDimension], "physical_x");
  EXPECT_EQ(columns[2 * VDimension], "amplitude");
  ASSERT_EQ(table.size(), sources.size());
  for (size_t i = 0; i < sources.size(); ++i)
  {
    ASSERT_EQ(table[i].size(), columns.size());
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      EXPECT_EQ(table[i][d], sources[i].Index[d]);
      EXPECT_EQ(table[i][VDimension + d], sources[i].Point[d]);
    }
    EXPECT_EQ(table[i][2 * VDimension], sources[i].Brightness);
    EXPECT_EQ(table[i][2 * VDimension + 1], sources[i].Group);
    EXPECT_EQ(table[i][2 * VDimension + 3], sources[i].SignalToNoise);
  }
  // The smooth background went to the background kernel: the background output carries it.
  const float * bg = filter->GetBackground()->GetBufferPointer();
  const float * s = planted.image->GetBufferPointer();
  double        mean = 0, meanBackground = 0;
  const auto    n = planted.image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (itk::SizeValueType i = 0; i < n; ++i)
  {
    mean += s[i];
    meanBackground += bg[i];
  }
  EXPECT_GT(meanBackground / mean, 0.8);
}
} // namespace

TEST(GroupSparseSourceLocalizationFilter, FindsPlantedSourcesOnABackground2D)
{
  ExpectPlantedRecovered<2>(MakePlanted<2>({ 64, 64 }, 1.5, 12, 20.0), 8.0);
}

TEST(GroupSparseSourceLocalizationFilter, FindsPlantedSourcesWithFISTA)
{
  ExpectPlantedRecovered<2>(MakePlanted<2>({ 64, 64 }, 1.5, 12, 20.0), 8.0, Enums::Solver::FISTA);
}

TEST(GroupSparseSourceLocalizationFilter, FindsPlantedPointSources3D)
{
  ExpectPlantedRecovered<3>(MakePlanted<3>({ 40, 36, 36 }, 1.2, 4, 10.0, "gauss:4"), 12.0);
}

TEST(GroupSparseSourceLocalizationFilter, SourcesBeyondTheBorderAreModelledFromOutside)
{
  // One source inside, one centred 2 px outside the left border with its wing reaching in.
  using Image = itk::Image<float, 2>;
  using Bank = itk::SourceKernelBank<float, 2>;
  const auto kernel = Bank::PixelIntegratedGaussian(2.0);
  auto       image = Image::New();
  image->SetRegions(Image::SizeType{ { 48, 48 } });
  image->Allocate(true);
  const int radius = static_cast<int>(kernel.Size[0] / 2);
  for (const auto & [cx, cy, flux] : { std::tuple<int, int, float>{ 30, 24, 400.0f }, { -2, 20, 400.0f } })
  {
    for (int ty = 0; ty < static_cast<int>(kernel.Size[1]); ++ty)
    {
      for (int tx = 0; tx < static_cast<int>(kernel.Size[0]); ++tx)
      {
        const int x = cx + tx - radius, y = cy + ty - radius;
        if (x >= 0 && x < 48 && y >= 0 && y < 48)
        {
          image->GetBufferPointer()[y * 48 + x] += flux * kernel.Values[ty * kernel.Size[0] + tx];
        }
      }
    }
  }
  std::mt19937                    generator(3);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  for (size_t i = 0; i < 48 * 48; ++i)
  {
    image->GetBufferPointer()[i] += noise(generator);
  }
  auto bank = Bank::New();
  bank->AddGroup({ kernel });
  for (const bool beyond : { true, false })
  {
    auto filter = itk::GroupSparseSourceLocalizationFilter<Image>::New();
    filter->SetInput(image);
    filter->SetDictionary(bank->GetDictionary());
    filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
    filter->SetLambda(2.0);
    filter->GetSourceDetector()->SetDetectionThreshold(10.0);
    filter->SetCoefficientsBeyondBorder(beyond);
    filter->Update();
    const auto & sources = filter->GetSources();
    ASSERT_FALSE(sources.empty());
    EXPECT_NEAR(sources[0].Index[0], 30.0, 0.5);
    EXPECT_NEAR(sources[0].Index[1], 24.0, 0.5);
    // What the border column carries of the outside source (flux 400): confined to the image, its
    // wing needs strong coefficients there; allowed beyond the border, only what the penalty
    // prefers to place where more of a kernel is visible (measured 48 against 158).
    double edge = 0;
    for (const auto & source : sources)
    {
      if (source.Index[0] < 1.5)
      {
        edge += source.Brightness;
      }
    }
    if (beyond)
    {
      EXPECT_LT(edge, 0.15 * 400);
    }
    else
    {
      EXPECT_GT(edge, 0.3 * 400);
    }
  }
}

TEST(GroupSparseSourceLocalizationFilter, SingletonGroupsReproduceNonNegativeSparseCoding)
{
  using Image = itk::Image<double, 2>;
  const auto planted = MakePlanted<2>({ 40, 40 }, 1.5, 4, 5.0);
  auto       image = Image::New();
  image->SetRegions(planted.image->GetLargestPossibleRegion());
  image->Allocate();
  std::copy_n(planted.image->GetBufferPointer(), 1600, image->GetBufferPointer());
  auto bank = itk::SourceKernelBank<double, 2>::New();
  bank->AddFromDescription("gauss:1;gauss:2;gauss:3", nullptr);
  auto group = itk::GroupSparseSourceLocalizationFilter<Image, double>::New();
  auto plain = itk::ConvolutionalSparseCodingImageFilter<Image, double>::New();
  group->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::None);
  group->SetGroups({ { 0 }, { 1 }, { 2 } });
  plain->SetNonNegative(true);
  for (auto * filter : std::initializer_list<itk::ConvolutionalSparseCodingFilterBase<Image, double> *>{ group, plain })
  {
    filter->SetInput(image);
    filter->SetDictionary(bank->GetDictionary());
    filter->SetLambda(2.0);
    filter->SetBoundaryCondition(Enums::Boundary::ZeroPadded);
    filter->SetMaximumNumberOfIterations(3000);
    filter->SetRelativeTolerance(1e-9);
    filter->Update();
  }
  EXPECT_NEAR(group->GetObjective(), plain->GetObjective(), 1e-7 * plain->GetObjective());
  const double * a = group->GetCoefficients()->GetBufferPointer();
  const double * b = plain->GetCoefficients()->GetBufferPointer();
  double         largest = 0, difference = 0;
  for (size_t i = 0; i < 3 * 1600; ++i)
  {
    largest = std::max(largest, std::abs(b[i]));
    difference = std::max(difference, std::abs(a[i] - b[i]));
  }
  EXPECT_LT(difference, 1e-4 * largest);
}

TEST(GroupSparseSourceLocalizationFilter, SolutionSatisfiesTheGroupKKTConditions)
{
  // Small periodic instance in double: two groups of two kernels and a background kernel.
  using Image = itk::Image<double, 2>;
  const auto planted = MakePlanted<2>({ 32, 32 }, 1.2, 4, 3.0);
  auto       image = Image::New();
  image->SetRegions(planted.image->GetLargestPossibleRegion());
  image->Allocate();
  std::copy_n(planted.image->GetBufferPointer(), 1024, image->GetBufferPointer());
  auto bank = itk::SourceKernelBank<double, 2>::New();
  bank->AddFromDescription("gauss:1,1.5;gauss:2,2.5;background:gauss:3", nullptr);
  auto filter = itk::GroupSparseSourceLocalizationFilter<Image, double>::New();
  filter->SetInput(image);
  filter->SetDictionary(bank->GetDictionary());
  filter->SetGroups(bank->GetGroups());
  filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::None);
  filter->SetBoundaryCondition(Enums::Boundary::Periodic);
  const double lambda = 1.5;
  filter->SetLambda(lambda);
  filter->SetMaximumNumberOfIterations(5000);
  filter->SetRelativeTolerance(1e-10);
  filter->Update();

  const auto          dictionary = bank->GetDictionary();
  const auto          kernelSize = dictionary->GetLargestPossibleRegion().GetSize();
  const double *      h = dictionary->GetBufferPointer();
  const unsigned int  K = 5;
  auto                op = csctest::MakeOperator<double>({ 32, 32 },
                                          { kernelSize[0], kernelSize[1] },
                                          std::vector<double>(h, h + K * kernelSize[0] * kernelSize[1]),
                                          K,
                                          Enums::Boundary::Periodic);
  const double *      x = filter->GetCoefficients()->GetBufferPointer();
  std::vector<double> ax(1024), gradient(K * 1024);
  op->ApplyForward(x, ax.data());
  for (size_t i = 0; i < 1024; ++i)
  {
    ax[i] -= image->GetBufferPointer()[i];
  }
  op->ApplyAdjoint(ax.data(), gradient.data());
  const double tolerance = 2e-3 * lambda;
  unsigned int active = 0;
  for (size_t i = 0; i < 1024; ++i)
  {
    for (const auto & group : bank->GetGroups())
    {
      double norm = 0;
      for (const unsigned int k : group)
      {
        norm += x[k * 1024 + i] * x[k * 1024 + i];
      }
      norm = std::sqrt(norm);
      if (norm > 0)
      {
        ++active;
        for (const unsigned int k : group)
        {
          const double xk = x[k * 1024 + i], g = gradient[k * 1024 + i];
          EXPECT_GE(xk, 0.0);
          if (xk > 0)
          {
            EXPECT_NEAR(g + lambda * xk / norm, 0.0, tolerance);
          }
          else
          {
            EXPECT_GE(g, -tolerance);
          }
        }
      }
      else
      {
        double outward = 0;
        for (const unsigned int k : group)
        {
          outward += std::pow(std::max(0.0, -gradient[k * 1024 + i]), 2);
        }
        EXPECT_LE(std::sqrt(outward), lambda + tolerance);
      }
    }
    // The background kernel is unpenalised and non-negative.
    const double xb = x[4 * 1024 + i], gb = gradient[4 * 1024 + i];
    EXPECT_GE(xb, 0.0);
    if (xb > 0)
    {
      EXPECT_NEAR(gb, 0.0, tolerance);
    }
    else
    {
      EXPECT_GE(gb, -tolerance);
    }
  }
  EXPECT_GT(active, 0u);
}

TEST(GroupSparseSourceLocalizationFilter, RejectsBadGroupsAndParameters)
{
  using Image = itk::Image<float, 2>;
  const auto planted = MakePlanted<2>({ 32, 32 }, 1.2, 4, 3.0);
  auto       bank = itk::SourceKernelBank<float, 2>::New();
  bank->AddFromDescription("gauss:1,2;background:gauss:4", nullptr);
  const std::vector<std::vector<std::vector<unsigned int>>> bad = {
    { { 0, 1 }, { 1 } }, // overlapping
    { { 0 }, { 3 } },    // out of range (3 kernels)
    { { 0 }, {} },       // empty
  };
  for (const auto & groups : bad)
  {
    auto filter = itk::GroupSparseSourceLocalizationFilter<Image>::New();
    filter->SetInput(planted.image);
    filter->SetDictionary(bank->GetDictionary());
    filter->SetGroups(groups);
    EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  }
  // Bad detection parameters are named before any work.
  auto filter = itk::GroupSparseSourceLocalizationFilter<Image>::New();
  filter->SetInput(planted.image);
  filter->SetDictionary(bank->GetDictionary());
  filter->SetGroups(bank->GetGroups());
  filter->GetSourceDetector()->SetDetectionThreshold(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  filter->GetSourceDetector()->SetDetectionThreshold(5.0);
  filter->GetSourceDetector()->SetMergeRadiusFactor(-1.0);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  filter->GetSourceDetector()->SetMergeRadiusFactor(1.0);
  filter->GetSourceDetector()->SetMinimumContrast(1.0);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  filter->GetSourceDetector()->SetMinimumContrast(0.0);
  filter->GetSourceDetector()->SetContrastRadiusFactor(0.0);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  filter->GetSourceDetector()->SetContrastRadiusFactor(4.0);
  filter->SetLambda(-1.0);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  // A neighbourhood wider than the image is refused before its grid is allocated.
  filter->SetLambda(1.0);
  filter->GetSourceDetector()->SetNeighborhoodRadius(1000000000);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
}

TEST(GroupSparseSourceLocalizationFilter, DeblendingContrastDropsFaintNeighboursOfBrightSources)
{
  // A bright source (flux 5000), a faint one (200) 5 px from it and another faint one (200)
  // far from both, on noise of sigma 1.
  using Image = itk::Image<float, 2>;
  auto bank = itk::SourceKernelBank<float, 2>::New();
  bank->AddFromDescription("gauss:1.5", nullptr);
  const auto & kernel = bank->GetKernels()[0];
  auto         image = Image::New();
  image->SetRegions(Image::RegionType({ { 0, 0 } }, { { 64, 64 } }));
  image->Allocate(true);
  std::mt19937                     generator(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  float *                          s = image->GetBufferPointer();
  for (itk::SizeValueType i = 0; i < 64 * 64; ++i)
  {
    s[i] = static_cast<float>(noise(generator));
  }
  double kernelSum = 0;
  for (const float v : kernel.Values)
  {
    kernelSum += v;
  }
  const std::vector<std::array<long, 2>> positions = { { 20, 20 }, { 25, 20 }, { 45, 44 } };
  const std::vector<double>              fluxes = { 5000, 200, 200 };
  for (size_t j = 0; j < positions.size(); ++j)
  {
    for (itk::SizeValueType t = 0; t < kernel.Values.size(); ++t)
    {
      const long x = positions[j][0] + static_cast<long>(t % kernel.Size[0]) - static_cast<long>(kernel.Size[0] / 2);
      const long y = positions[j][1] + static_cast<long>(t / kernel.Size[0]) - static_cast<long>(kernel.Size[1] / 2);
      s[y * 64 + x] += static_cast<float>(fluxes[j] * kernel.Values[t] / kernelSum);
    }
  }
  auto detect = [&](double contrast) {
    auto filter = itk::GroupSparseSourceLocalizationFilter<Image>::New();
    filter->SetInput(image);
    filter->SetDictionary(bank->GetDictionary());
    filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
    filter->SetLambda(1.0);
    filter->GetSourceDetector()->SetDetectionThreshold(8.0);
    filter->GetSourceDetector()->SetMinimumContrast(contrast);
    filter->Update();
    std::vector<std::array<double, 2>> found;
    for (const auto & source : filter->GetSources())
    {
      found.push_back({ source.Index[0], source.Index[1] });
    }
    return found;
  };
  auto near = [](const std::vector<std::array<double, 2>> & found, const std::array<long, 2> & p) {
    return std::any_of(
      found.begin(), found.end(), [&](const auto & q) { return std::hypot(q[0] - p[0], q[1] - p[1]) < 1.0; });
  };
  const auto all = detect(0.0);
  ASSERT_EQ(all.size(), 3u);
  for (const auto & p : positions)
  {
    EXPECT_TRUE(near(all, p));
  }
  // 200 < 0.1 * 5000 within 4 sizes of the bright source: dropped; the far one stays.
  const auto deblended = detect(0.1);
  ASSERT_EQ(deblended.size(), 2u);
  EXPECT_TRUE(near(deblended, positions[0]));
  EXPECT_FALSE(near(deblended, positions[1]));
  EXPECT_TRUE(near(deblended, positions[2]));
  // A contrast of 0.01 keeps it (200 > 50).
  EXPECT_EQ(detect(0.01).size(), 3u);
}

TEST(SourceKernelBank, BuildsKernelsAndRejectsBadDescriptions)
{
  using Bank = itk::SourceKernelBank<double, 2>;
  // A pixel-integrated Gaussian: separable erf differences, summing to 1 up to truncation.
  const auto gauss = Bank::PixelIntegratedGaussian(1.0);
  EXPECT_EQ(gauss.Size[0], 9u);
  double sum = 0;
  for (const double v : gauss.Values)
  {
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-4);
  const double centre1D = std::erf(0.5 / std::sqrt(2.0));
  EXPECT_NEAR(gauss.Values[4 * 9 + 4], centre1D * centre1D, 1e-12);
  // Disk: area pi r^2 up to the pixel integration.
  const auto disk = Bank::Disk(4.0);
  sum = 0;
  for (const double v : disk.Values)
  {
    sum += v;
  }
  EXPECT_NEAR(sum, 3.14159265 * 16, 0.5);
  // Up-sampling by 2 doubles the RMS radius of a Gaussian.
  const auto wide = Bank::Upsampled(Bank::PixelIntegratedGaussian(1.5), 2.0);
  double     moment = 0, total = 0;
  for (size_t t = 0; t < wide.Values.size(); ++t)
  {
    const double dx = double(t % wide.Size[0]) - double(wide.Size[0] / 2);
    moment += wide.Values[t] * dx * dx;
    total += wide.Values[t];
  }
  EXPECT_NEAR(std::sqrt(moment / total), 3.0, 0.15);

  auto bank = Bank::New();
  bank->AddFromDescription("gauss:1,2;disk:3;upsample:3/2;background:gauss:5", nullptr);
  ASSERT_EQ(bank->GetNumberOfKernels(), 5u);
  ASSERT_EQ(bank->GetGroups().size(), 2u);
  EXPECT_EQ(bank->GetGroups()[1], (std::vector<unsigned int>{ 2, 3 }));
  const auto dictionary = bank->GetDictionary();
  EXPECT_EQ(dictionary->GetLargestPossibleRegion().GetSize()[2], 5u);

  for (const char * description : { "gauss:",
                                    "blob:3",
                                    "gauss:x",
                                    "upsample:2",
                                    "gauss:-1",
                                    "file:/nonexistent.mha",
                                    "",
                                    "background:gauss:4",    // no source term
                                    "gauss:1;subpixel:1000", // 10^6 copies
                                    "gauss:1e9",             // wider than any kernel
                                    "gauss:1;upsample:1e6" })
  {
    EXPECT_THROW(Bank::New()->AddFromDescription(description, nullptr), itk::ExceptionObject) << description;
  }
  // With the image, a kernel wider than its smallest side is refused before it is built.
  const auto planted = MakePlanted<2>({ 32, 48 }, 1.2, 4, 3.0);
  using FloatBank = itk::SourceKernelBank<float, 2>;
  EXPECT_THROW(FloatBank::New()->AddFromDescription("gauss:9", planted.image), itk::ExceptionObject);
  EXPECT_NO_THROW(FloatBank::New()->AddFromDescription("gauss:3", planted.image));
}

TEST(MemoryEstimate, RefusesWhatCannotFitBeforeAllocating)
{
  EXPECT_GT(itk::AvailableMemoryBytes(), 0.0);
  EXPECT_NO_THROW(itk::CheckMemoryEstimate(1e6, "a small run"));
  EXPECT_THROW(itk::CheckMemoryEstimate(1e18, "a huge run"), itk::ExceptionObject);
  using Gaussians = itk::GaussianDerivativeDictionary<float, 2>;
  EXPECT_THROW(Gaussians::Create({ 1e9 }), itk::ExceptionObject);
}

TEST(GroupSparseSourceLocalizationFilter, ReportsIterationsAndProgressAndAborts)
{
  const auto planted = MakePlanted<2>({ 64, 64 }, 1.5, 12, 20.0);
  auto       filter = itk::GroupSparseSourceLocalizationFilter<itk::Image<float, 2>>::New();
  filter->SetInput(planted.image);
  filter->SetDictionary(planted.bank->GetDictionary());
  filter->SetGroups(planted.bank->GetGroups());
  filter->SetRelativeTolerance(0);
  filter->SetMaximumNumberOfIterations(50);
  unsigned int iterations = 0;
  float        progress = 0;
  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  filter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) { progress = filter->GetProgress(); });
  filter->Update();
  EXPECT_EQ(iterations, 50u);
  EXPECT_FLOAT_EQ(progress, 1.0f);

  filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (filter->GetIteration() == 5)
    {
      filter->AbortGenerateDataOn();
    }
  });
  filter->Modified();
  EXPECT_THROW(filter->Update(), itk::ProcessAborted);
  EXPECT_EQ(filter->GetIteration(), 5u);
}

TEST(SourceKernelBank, ExemplarIsThePatchAroundASourceAboveItsSurroundings)
{
  // A planted source (noise sigma 1, no background): the exemplar is its profile, border level removed.
  const auto planted = MakePlanted<2>({ 64, 64 }, 1.5, 12, 0.0);
  const auto p = planted.positions[5];
  auto       bank = itk::SourceKernelBank<float, 2>::New();
  bank->AddFromDescription("exemplar:" + std::to_string(p[0]) + "," + std::to_string(p[1]) + ",5;upsample:2",
                           planted.image);
  ASSERT_EQ(bank->GetNumberOfKernels(), 2u);
  ASSERT_EQ(bank->GetGroups().size(), 1u);
  EXPECT_EQ(bank->GetGroups()[0].size(), 2u); // the up-sampled copy joins the exemplar's group
  const auto & exemplar = bank->GetKernels()[0];
  EXPECT_EQ(exemplar.Size[0], 11u);
  const auto reference = itk::SourceKernelBank<float, 2>::PixelIntegratedGaussian(1.5);
  double     sum = 0;
  for (const float v : exemplar.Values)
  {
    sum += v;
  }
  // The exemplar's centre holds the source's peak share (noise sigma 1 on a flux of 150-400).
  const double peakShare = exemplar.Values[5 * 11 + 5] / sum;
  const double expected = reference.Values[(reference.Size[0] / 2) * reference.Size[0] + reference.Size[0] / 2];
  EXPECT_NEAR(peakShare, expected, 0.25 * expected);
  EXPECT_EQ(bank->GetKernels()[1].Size[0], 21u);
  EXPECT_THROW(bank->AddFromDescription("exemplar:1,1,5", planted.image), itk::ExceptionObject); // patch outside
}

TEST(SourceKernelBank, SubPixelShiftedCopiesMoveTheCentroidAndJoinTheGroup)
{
  using Bank = itk::SourceKernelBank<double, 2>;
  const auto gauss = Bank::PixelIntegratedGaussian(1.5);
  const auto moved = Bank::Shifted(gauss, { { 0.5, 0.25 } });
  // The light moves by the shift, and the shape stays: the shifted copy of a pixel-integrated
  // Gaussian is close to the pixel-integrated Gaussian centred at the shifted point.
  double     sum = 0, cx = 0, cy = 0, error = 0, peak = 0;
  const long w = static_cast<long>(gauss.Size[0]), c = w / 2;
  for (long y = 0; y < w; ++y)
  {
    for (long x = 0; x < w; ++x)
    {
      const double v = moved.Values[y * w + x];
      sum += v;
      cx += v * (x - c);
      cy += v * (y - c);
      auto cell = [](double offset) {
        return 0.5 *
               (std::erf((offset + 0.5) / (1.5 * std::sqrt(2.0))) - std::erf((offset - 0.5) / (1.5 * std::sqrt(2.0))));
      };
      const double exact = cell(x - c - 0.5) * cell(y - c - 0.25);
      error = std::max(error, std::abs(v - exact));
      peak = std::max(peak, exact);
    }
  }
  EXPECT_NEAR(cx / sum, 0.5, 0.02);
  EXPECT_NEAR(cy / sum, 0.25, 0.02);
  EXPECT_LT(error, 0.02 * peak);

  auto bank = Bank::New();
  bank->AddFromDescription("gauss:1;subpixel:2;gauss:2.5;background:gauss:6", nullptr);
  ASSERT_EQ(bank->GetNumberOfKernels(), 6u);
  ASSERT_EQ(bank->GetGroups().size(), 2u);
  EXPECT_EQ(bank->GetGroups()[0], (std::vector<unsigned int>{ 0, 1, 2, 3 }));
  EXPECT_THROW(Bank::New()->AddFromDescription("gauss:1;subpixel:1.5", nullptr), itk::ExceptionObject);
}

TEST(GroupSparseSourceLocalizationFilter, SubPixelGroupsLocateOffGridSources)
{
  // A source at (20.5, 24.25): a group of shifted copies puts it there, not on the pixel grid.
  using Image = itk::Image<float, 2>;
  using Bank = itk::SourceKernelBank<float, 2>;
  auto image = Image::New();
  image->SetRegions(Image::SizeType{ { 48, 48 } });
  image->Allocate(true);
  const auto source = Bank::Shifted(Bank::PixelIntegratedGaussian(1.2), { { 0.5, 0.25 } });
  const long w = static_cast<long>(source.Size[0]);
  for (long y = 0; y < w; ++y)
  {
    for (long x = 0; x < w; ++x)
    {
      image->GetBufferPointer()[(24 + y - w / 2) * 48 + 20 + x - w / 2] += 500.0f * source.Values[y * w + x];
    }
  }
  auto bank = Bank::New();
  bank->AddFromDescription("gauss:1.2;subpixel:4", nullptr);
  auto filter = itk::GroupSparseSourceLocalizationFilter<Image>::New();
  filter->SetInput(image);
  filter->SetDictionary(bank->GetDictionary());
  filter->SetGroups(bank->GetGroups());
  filter->SetKernelNormalization(itk::SourceLocalizationEnums::KernelNormalization::L2);
  filter->SetLambda(0.5);
  filter->GetSourceDetector()->SetDetectionThreshold(1.0);
  filter->GetSourceDetector()->SetThresholdMode(itk::SourceLocalizationEnums::SourceThreshold::Absolute);
  filter->Update();
  ASSERT_EQ(filter->GetSources().size(), 1u);
  EXPECT_NEAR(filter->GetSources()[0].Index[0], 20.5, 0.05);
  EXPECT_NEAR(filter->GetSources()[0].Index[1], 24.25, 0.05);
}
