#include "itkCSCTestHelpers.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkSlabHaloExchange.h"
#include "itkSparseCodingSolverFactory.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkImageRegionSplitterMultidimensional.h"
#include "itkImageTiling.h"
#include "itkSourceKernelBank.h"
#include "itkStreamingImageFilter.h"
#include "gtest/gtest.h"
#include <cmath>
#include <functional>
#include <random>
#include <thread>

namespace
{
using Enums = itk::ConvolutionalSparseCodingEnums;
using ImageType = itk::Image<float, 2>;
using CSCFilterType = itk::ConvolutionalSparseCodingImageFilter<ImageType>;
using Tiling = itk::ImageTiling<2>;
using csctest::MakeOperator;

template <unsigned int VDimension = 2>
itk::ImageRegion<VDimension>
Region(const std::array<long, VDimension> & index, const std::array<itk::SizeValueType, VDimension> & size)
{
  itk::ImageRegion<VDimension> region;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    region.SetIndex(d, index[d]);
    region.SetSize(d, size[d]);
  }
  return region;
}
Tiling::SizeType
Size2(itk::SizeValueType x, itk::SizeValueType y)
{
  Tiling::SizeType size;
  size[0] = x;
  size[1] = y;
  return size;
}
Tiling::AlignmentType
Align2(unsigned int x, unsigned int y)
{
  Tiling::AlignmentType alignment;
  alignment[0] = x;
  alignment[1] = y;
  return alignment;
}

/** A sparse code (about 1 % of the pixels, amplitudes 1 to 3) of a Gaussian and a
 * difference-of-Gaussians kernel, 9 x 9, plus noise of sigma 0.05: image and dictionary. */
struct PlantedCode
{
  ImageType::Pointer                          image;
  CSCFilterType::DictionaryImageType::Pointer dictionary;
  std::vector<float>                          kernels;
};

PlantedCode
MakePlantedCode(itk::SizeValueType size)
{
  PlantedCode        planted;
  const unsigned int M = 9, K = 2;
  planted.kernels.resize(K * M * M);
  for (unsigned int k = 0; k < K; ++k)
  {
    double norm = 0;
    for (unsigned int t = 0; t < M * M; ++t)
    {
      const double r2 = std::pow(double(t % M) - 4, 2) + std::pow(double(t / M) - 4, 2);
      const double v = k == 0 ? std::exp(-r2 / 4.0) : std::exp(-r2 / 2.0) - 0.5 * std::exp(-r2 / 8.0);
      planted.kernels[k * M * M + t] = static_cast<float>(v);
      norm += v * v;
    }
    for (unsigned int t = 0; t < M * M; ++t)
    {
      planted.kernels[k * M * M + t] /= static_cast<float>(std::sqrt(norm));
    }
  }
  planted.dictionary = CSCFilterType::DictionaryImageType::New();
  planted.dictionary->SetRegions(Region<3>({ 0, 0, 0 }, { M, M, K }));
  planted.dictionary->Allocate();
  std::copy(planted.kernels.begin(), planted.kernels.end(), planted.dictionary->GetBufferPointer());

  const itk::SizeValueType               n = size * size;
  std::vector<float>                     code(K * n, 0.0f), clean(n);
  std::mt19937                           generator(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (auto & c : code)
  {
    c = uniform(generator) < 0.01 ? static_cast<float>(1 + 2 * uniform(generator)) : 0.0f;
  }
  const auto op = MakeOperator<float>({ size, size }, { M, M }, planted.kernels, K, Enums::Boundary::ZeroPadded);
  op->ApplyForward(code.data(), clean.data());
  planted.image = ImageType::New();
  planted.image->SetRegions(Region({ 0, 0 }, { size, size }));
  planted.image->Allocate();
  std::normal_distribution<double> noise(0.0, 0.05);
  for (itk::SizeValueType i = 0; i < n; ++i)
  {
    planted.image->GetBufferPointer()[i] = static_cast<float>(clean[i] + noise(generator));
  }
  return planted;
}

CSCFilterType::Pointer
MakeCodingFilter(const PlantedCode & planted, double lambda)
{
  auto filter = CSCFilterType::New();
  filter->SetInput(planted.image);
  filter->SetDictionary(planted.dictionary);
  filter->SetLambda(lambda);
  filter->SetBoundaryCondition(Enums::Boundary::ZeroPadded);
  filter->SetSolver(Enums::Solver::FISTA);
  filter->SetMaximumNumberOfIterations(3000);
  filter->SetRelativeTolerance(1e-7);
  return filter;
}

/** 1/2 ||D x - s||^2 + lambda ||x||_1 on the whole image. */
double
Objective(const PlantedCode & planted, const std::vector<float> & x, double lambda)
{
  const itk::SizeValueType size = planted.image->GetLargestPossibleRegion().GetSize(0);
  const auto op = MakeOperator<float>({ size, size }, { 9, 9 }, planted.kernels, 2, Enums::Boundary::ZeroPadded);
  std::vector<float> model(size * size);
  op->ApplyForward(x.data(), model.data());
  double data = 0, penalty = 0;
  for (itk::SizeValueType i = 0; i < model.size(); ++i)
  {
    data += 0.5 * std::pow(double(model[i]) - planted.image->GetBufferPointer()[i], 2);
  }
  for (const float v : x)
  {
    penalty += std::abs(double(v));
  }
  return data + lambda * penalty;
}

/** The coefficient maps stitched from a tile-by-tile update with the given halo. */
std::vector<float>
StreamedCode(const PlantedCode & planted, double lambda, itk::SizeValueType tileSize, double haloRadii)
{
  auto filter = MakeCodingFilter(planted, lambda);
  filter->SetHaloRadii(haloRadii);
  const auto         image = planted.image->GetLargestPossibleRegion();
  std::vector<float> stitched(2 * image.GetNumberOfPixels(), std::nanf(""));
  const auto         tiles = Tiling::Split(image, Size2(tileSize, tileSize), Size2(0, 0), Align2(1, 1));
  itk::UpdateTileByTile<2>(filter->GetReconstruction(), tiles, [&](const Tiling::Tile & tile) {
    const auto * coefficients = filter->GetCoefficients();
    EXPECT_EQ(coefficients->GetBufferedRegion().GetSize(2), 2u);
    for (unsigned int d = 0; d < 2; ++d)
    {
      EXPECT_EQ(coefficients->GetBufferedRegion().GetIndex(d), tile.Core.GetIndex(d));
      EXPECT_EQ(coefficients->GetBufferedRegion().GetSize(d), tile.Core.GetSize(d));
    }
    const auto                whole = Region<3>({ 0, 0, 0 }, { image.GetSize(0), image.GetSize(1), 2 });
    const itk::ImageRegion<3> core = coefficients->GetBufferedRegion();
    // Paste the core into the whole grid (CopyRegion's inverse: row by row).
    for (itk::SizeValueType k = 0; k < 2; ++k)
      for (itk::SizeValueType y = 0; y < core.GetSize(1); ++y)
        for (itk::SizeValueType x = 0; x < core.GetSize(0); ++x)
        {
          const auto gx = x + core.GetIndex(0), gy = y + core.GetIndex(1);
          stitched[(k * whole.GetSize(1) + gy) * whole.GetSize(0) + gx] =
            coefficients->GetBufferPointer()[(k * core.GetSize(1) + y) * core.GetSize(0) + x];
        }
  });
  return stitched;
}
} // namespace

TEST(ImageTiling, CoresPartitionTheImageAndGrownRegionsHoldThem)
{
  const Tiling::RegionType image = Region({ 3, -2 }, { 100, 37 });
  const auto               tiles = Tiling::Split(image, Size2(32, 16), Size2(5, 7), Align2(4, 2));
  ASSERT_EQ(tiles.size(), 4u * 3u);
  std::vector<int> covered(image.GetNumberOfPixels(), 0);
  for (const auto & tile : tiles)
  {
    EXPECT_TRUE(tile.Grown.IsInside(tile.Core));
    EXPECT_TRUE(image.IsInside(tile.Grown));
    for (unsigned int d = 0; d < 2; ++d)
    {
      // Aligned to the stride from the image's first pixel; at least the halo where the image allows.
      EXPECT_EQ((tile.Grown.GetIndex(d) - image.GetIndex(d)) % (d == 0 ? 4 : 2), 0);
      EXPECT_EQ(tile.Grown.GetIndex(d), std::max(image.GetIndex(d), tile.Grown.GetIndex(d)));
      const auto halo = d == 0 ? 5 : 7;
      EXPECT_LE(tile.Grown.GetIndex(d), std::max(image.GetIndex(d), tile.Core.GetIndex(d) - halo));
    }
    for (itk::SizeValueType y = 0; y < tile.Core.GetSize(1); ++y)
      for (itk::SizeValueType x = 0; x < tile.Core.GetSize(0); ++x)
      {
        ++covered[(tile.Core.GetIndex(1) - image.GetIndex(1) + y) * 100 + tile.Core.GetIndex(0) - 3 + x];
      }
  }
  EXPECT_EQ(std::count(covered.begin(), covered.end(), 1), static_cast<long>(covered.size()));

  // Every point, inside the image or just beyond its edge, belongs to exactly one core.
  std::mt19937                           generator(3);
  std::uniform_real_distribution<double> ux(-2.0, 105.0), uy(-6.0, 38.0);
  for (int i = 0; i < 2000; ++i)
  {
    itk::ContinuousIndex<double, 2> point;
    point[0] = ux(generator);
    point[1] = uy(generator);
    const auto owners = std::count_if(
      tiles.begin(), tiles.end(), [&](const Tiling::Tile & tile) { return Tiling::Owns(tile.Core, image, point); });
    EXPECT_EQ(owners, 1) << point;
  }
  EXPECT_THROW(Tiling::Split(image, Size2(30, 16), Size2(0, 0), Align2(4, 1)),
               itk::ExceptionObject); // not a stride multiple
  EXPECT_THROW(Tiling::Split(image, Size2(0, 16), Size2(0, 0), Align2(1, 1)), itk::ExceptionObject);
  EXPECT_THROW(Tiling::HaloForKernel(Size2(9, 9), -1.0), itk::ExceptionObject);
  EXPECT_EQ(Tiling::HaloForKernel(Size2(9, 5), 2.5)[0], 10u);
  EXPECT_EQ(Tiling::HaloForKernel(Size2(9, 5), 2.5)[1], 5u);
}

TEST(ConvolutionalSparseCodingStreaming, TilesMatchTheWholeImageSolution)
{
  const PlantedCode planted = MakePlantedCode(96);
  const double      lambda = 0.05;
  auto              whole = MakeCodingFilter(planted, lambda);
  whole->Update();
  const float *      w = whole->GetCoefficients()->GetBufferPointer();
  std::vector<float> wholeCode(w, w + 2 * 96 * 96);
  const double       wholeObjective = Objective(planted, wholeCode, lambda);

  // 16 tiles; the difference falls as the halo grows, and at the default halo meets the bound.
  double previous = std::numeric_limits<double>::infinity();
  for (const double halo : { 1.0, 2.0, 4.0 })
  {
    const std::vector<float> streamed = StreamedCode(planted, lambda, 24, halo);
    double                   largest = 0;
    for (size_t i = 0; i < streamed.size(); ++i)
    {
      ASSERT_TRUE(std::isfinite(streamed[i])) << "coefficient " << i << " was not written by any tile";
      largest = std::max(largest, double(std::abs(streamed[i] - wholeCode[i])));
    }
    const double relative = std::abs(Objective(planted, streamed, lambda) - wholeObjective) / wholeObjective;
    std::cout << "halo " << halo << " radii: relative objective difference " << relative
              << ", largest coefficient difference " << largest << " (lambda " << lambda << ")" << std::endl;
    EXPECT_LE(largest, previous * 1.5 + 1e-6);
    previous = largest;
    if (halo == whole->GetHaloRadii())
    {
      EXPECT_LE(relative, 1e-4);         // the issue asks 1e-3
      EXPECT_LE(largest, 0.25 * lambda); // 0.1 lambda at 6 radii, then the solver's tolerance
    }
  }
}

TEST(ConvolutionalSparseCodingStreaming, AStreamingImageFilterGetsTheStitchedReconstruction)
{
  const PlantedCode planted = MakePlantedCode(64);
  auto              whole = MakeCodingFilter(planted, 0.05);
  whole->Update();
  auto streamed = MakeCodingFilter(planted, 0.05);
  using StreamerType = itk::StreamingImageFilter<ImageType, ImageType>;
  auto streamer = StreamerType::New();
  streamer->SetInput(streamed->GetReconstruction());
  streamer->SetNumberOfStreamDivisions(4);
  streamer->SetRegionSplitter(itk::ImageRegionSplitterMultidimensional::New());
  streamer->Update();
  ASSERT_EQ(streamer->GetOutput()->GetBufferedRegion(), planted.image->GetLargestPossibleRegion());
  // The filter ran on pieces: its last output is a quarter of the image.
  EXPECT_EQ(streamed->GetReconstruction()->GetBufferedRegion().GetNumberOfPixels(), 32u * 32u);
  double largest = 0, scale = 0;
  for (itk::SizeValueType i = 0; i < 64 * 64; ++i)
  {
    largest = std::max(largest,
                       double(std::abs(streamer->GetOutput()->GetBufferPointer()[i] -
                                       whole->GetReconstruction()->GetBufferPointer()[i])));
    scale = std::max(scale, double(std::abs(whole->GetReconstruction()->GetBufferPointer()[i])));
  }
  EXPECT_LT(largest, 0.02 * scale);
}

TEST(ConvolutionalSparseCodingStreaming, PeriodicBoundaryAndBadTilesAreHandled)
{
  const PlantedCode planted = MakePlantedCode(48);
  // A periodic problem wraps around: a requested piece is answered by the whole solution.
  auto periodic = MakeCodingFilter(planted, 0.05);
  periodic->SetBoundaryCondition(Enums::Boundary::Periodic);
  periodic->SetMaximumNumberOfIterations(20);
  periodic->GetReconstruction()->SetRequestedRegion(Region({ 0, 0 }, { 16, 16 }));
  periodic->GetReconstruction()->Update();
  EXPECT_EQ(periodic->GetReconstruction()->GetBufferedRegion(), planted.image->GetLargestPossibleRegion());

  // A tile that, grown by its halo, is still smaller than a kernel is refused by name.
  auto small = MakeCodingFilter(planted, 0.05);
  small->SetHaloRadii(0);
  small->GetReconstruction()->SetRequestedRegion(Region({ 20, 20 }, { 4, 4 }));
  try
  {
    small->GetReconstruction()->Update();
    FAIL() << "a 4 x 4 tile with 9 x 9 kernels was accepted";
  }
  catch (const itk::ExceptionObject & e)
  {
    EXPECT_NE(std::string(e.GetDescription()).find("tile"), std::string::npos) << e.GetDescription();
  }
  auto badHalo = MakeCodingFilter(planted, 0.05);
  badHalo->SetHaloRadii(std::nan(""));
  EXPECT_THROW(badHalo->Update(), itk::ExceptionObject);
}

TEST(GroupSparseSourceLocalizationStreaming, TilesGiveTheWholeImageSourceList)
{
  // Stars (pixel-integrated Gaussians, sigma 1.5, at sub-pixel positions, some on tile borders)
  // on a smooth background with noise of sigma 1.
  using FilterType = itk::GroupSparseSourceLocalizationFilter<ImageType>;
  const itk::SizeValueType size = 160;
  auto                     bank = itk::SourceKernelBank<float, 2>::New();
  bank->AddFromDescription("gauss:1.5;background:gauss:4", nullptr);
  auto image = ImageType::New();
  image->SetRegions(Region({ 0, 0 }, { size, size }));
  image->Allocate();
  std::mt19937                           generator(5);
  std::normal_distribution<double>       noise(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::array<double, 3>>     stars;
  for (int j = 0; j < 60; ++j)
  {
    // Every fourth star sits within a pixel of a tile border (multiples of 40).
    const double x = j % 4 == 0 ? 40.0 * (1 + j % 3) + uniform(generator) - 0.5 : 6 + (size - 12) * uniform(generator);
    stars.push_back({ x, 6 + (size - 12) * uniform(generator), 150 + 300 * uniform(generator) });
  }
  for (itk::SizeValueType y = 0; y < size; ++y)
    for (itk::SizeValueType x = 0; x < size; ++x)
    {
      double value = 20 + 5 * std::sin(6.28 * x / size) + noise(generator);
      for (const auto & star : stars)
      {
        const double r2 = std::pow(x - star[0], 2) + std::pow(y - star[1], 2);
        value += star[2] * std::exp(-r2 / (2 * 1.5 * 1.5)) / (2 * 3.14159265 * 1.5 * 1.5);
      }
      image->GetBufferPointer()[y * size + x] = static_cast<float>(value);
    }
  auto makeFilter = [&]() {
    auto filter = FilterType::New();
    filter->SetInput(image);
    filter->SetDictionary(bank->GetDictionary());
    filter->SetGroups(bank->GetGroups());
    filter->SetLambda(1.0);
    filter->SetMaximumNumberOfIterations(400);
    filter->GetSourceDetector()->SetDetectionThreshold(8.0);
    return filter;
  };
  auto whole = makeFilter();
  whole->Update();
  const auto & expected = whole->GetSources();
  ASSERT_GE(expected.size(), 40u);

  auto                       streamed = makeFilter();
  FilterType::SourceListType gathered;
  const auto tiles = Tiling::Split(image->GetLargestPossibleRegion(), Size2(40, 40), Size2(0, 0), Align2(1, 1));
  ASSERT_EQ(tiles.size(), 16u);
  itk::UpdateTileByTile<2>(streamed->GetSourceMap(), tiles, [&](const Tiling::Tile & tile) {
    EXPECT_EQ(streamed->GetSourceMap()->GetBufferedRegion(), tile.Core);
    EXPECT_EQ(streamed->GetBackground()->GetBufferedRegion(), tile.Core);
    gathered.insert(gathered.end(), streamed->GetSources().begin(), streamed->GetSources().end());
  });
  // The same sources: one match within 0.1 px for each, none extra, none missing.
  EXPECT_EQ(gathered.size(), expected.size());
  for (const auto & source : expected)
  {
    const auto matches = std::count_if(gathered.begin(), gathered.end(), [&](const auto & other) {
      return std::hypot(other.Index[0] - source.Index[0], other.Index[1] - source.Index[1]) <= 0.1;
    });
    EXPECT_EQ(matches, 1) << "source at " << source.Index << " brightness " << source.Brightness;
  }
}

namespace
{
/** Coefficients of a coding filter run with \c threads global threads (ITK's and FFTW's). */
template <typename TFilter>
std::vector<float>
CodeWithThreads(typename TFilter::Pointer filter, unsigned int threads)
{
  const auto previous = itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads();
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(threads);
  filter->SetNumberOfWorkUnits(threads);
  filter->Modified();
  filter->Update();
  itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(previous);
  const auto * x = filter->GetCoefficients();
  return std::vector<float>(x->GetBufferPointer(), x->GetBufferPointer() + x->GetBufferedRegion().GetNumberOfPixels());
}

double
LargestRelativeDifference(const std::vector<float> & a, const std::vector<float> & b)
{
  double largest = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i)
  {
    largest = std::max(largest, double(std::abs(a[i] - b[i])));
    scale = std::max(scale, double(std::abs(a[i])));
  }
  return largest / scale;
}
} // namespace

TEST(Threading, OneAndTwoThreadsGiveTheSameCode)
{
  // The same problem with 1 and 2 threads: the 1e-6. The channel groups of the spectral
  // sums follow the machine's cores, not the threads, so sums are taken in the same order (when
  // they followed the threads, FISTA's momentum carried the rounding to 7e-6).
  const PlantedCode planted = MakePlantedCode(64);
  for (const auto solver : { Enums::Solver::ADMM, Enums::Solver::FISTA })
  {
    auto one = MakeCodingFilter(planted, 0.05);
    one->SetSolver(solver);
    one->SetMaximumNumberOfIterations(200);
    auto two = MakeCodingFilter(planted, 0.05);
    two->SetSolver(solver);
    two->SetMaximumNumberOfIterations(200);
    const auto a = CodeWithThreads<CSCFilterType>(one, 1);
    const auto b = CodeWithThreads<CSCFilterType>(two, 2);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_LE(LargestRelativeDifference(a, b), 1e-6) << "solver " << solver;
    EXPECT_NEAR(one->GetObjective(), two->GetObjective(), 1e-6 * std::abs(one->GetObjective()));
    EXPECT_EQ(one->GetIteration(), two->GetIteration());
  }
}

namespace
{
using SolverBaseType = itk::SparseCodingSolverBase<float>;
using FISTAType = itk::FISTASparseCodingSolver<float>;

/** A coding problem split into slabs along y, one per thread, each solved by its own filter with
 * a solver exchanging its halo (SlabHaloExchange over a ThreadCommunicator): the stitched cores,
 * each process's history and error. */
struct SlabRun
{
  std::vector<float>                                             Code;
  std::vector<std::vector<itk::SparseCodingIterationStatistics>> Histories;
  std::vector<std::string>                                       Errors;
};

SlabRun
SolveInSlabs(const PlantedCode & planted, double lambda, unsigned int processes, double haloRadii,
             unsigned int iterations, double tolerance, const std::function<SolverBaseType::Pointer()> & makeSolver,
             Enums::Boundary boundary = Enums::Boundary::ZeroPadded, bool beyondBorder = false)
{
  const auto                          image = planted.image->GetLargestPossibleRegion();
  const itk::SizeValueType            width = image.GetSize(0), height = image.GetSize(1);
  SlabRun                             run{ std::vector<float>(2 * width * height, std::nanf("")),
               std::vector<std::vector<itk::SparseCodingIterationStatistics>>(processes),
               std::vector<std::string>(processes) };
  csctest::ThreadCommunicator::Shared shared(processes);
  std::vector<std::thread>            threads;
  for (unsigned int p = 0; p < processes; ++p)
  {
    threads.emplace_back([&, p]() {
      const itk::SizeValueType begin = height * p / processes, end = height * (p + 1) / processes;
      auto                     filter = MakeCodingFilter(planted, lambda);
      filter->SetBoundaryCondition(boundary);
      filter->SetCoefficientsBeyondBorder(beyondBorder);
      filter->SetHaloRadii(haloRadii);
      filter->SetMaximumNumberOfIterations(iterations);
      filter->SetRelativeTolerance(tolerance);
      auto solver = makeSolver();
      auto exchange = itk::SlabHaloExchange<float>::New();
      exchange->SetCommunicator(csctest::ThreadCommunicator::Make(&shared, p));
      solver->SetHaloExchange(exchange);
      filter->SetSolver(solver);
      filter->GetReconstruction()->SetRequestedRegion(Region({ 0, long(begin) }, { width, end - begin }));
      try
      {
        filter->GetReconstruction()->Update();
      }
      catch (const itk::ExceptionObject & e)
      {
        run.Errors[p] = e.GetDescription();
        return;
      }
      run.Histories[p] = solver->GetHistory();
      const float * core = filter->GetCoefficients()->GetBufferPointer();
      for (itk::SizeValueType k = 0; k < 2; ++k)
      {
        std::copy_n(
          core + k * width * (end - begin), width * (end - begin), run.Code.data() + (k * height + begin) * width);
      }
    });
  }
  for (auto & thread : threads)
  {
    thread.join();
  }
  return run;
}
} // namespace

TEST(SlabHaloExchange, SlabsFollowTheWholeImagesIterates)
{
  // The same step 1/L everywhere: three slabs exchanging halos of the kernel size less one (2
  // radii) take the whole image's FISTA iterates, iteration by iteration, up to float rounding;
  // with coefficients beyond the border too (the edge slabs own those across the image's edges).
  const PlantedCode planted = MakePlantedCode(96);
  const double      lambda = 0.05;
  for (const bool beyond : { false, true })
  {
    auto automatic = MakeCodingFilter(planted, lambda);
    automatic->SetCoefficientsBeyondBorder(beyond);
    automatic->SetMaximumNumberOfIterations(1);
    automatic->Update();
    const double L = dynamic_cast<const FISTAType &>(*automatic->GetSolverObject()).GetCurrentLipschitzConstant();
    auto         fixedStep = [L]() {
      auto solver = FISTAType::New();
      solver->SetLipschitzConstant(L);
      return SolverBaseType::Pointer(solver);
    };
    auto whole = MakeCodingFilter(planted, lambda);
    whole->SetCoefficientsBeyondBorder(beyond);
    whole->SetSolver(fixedStep());
    whole->SetMaximumNumberOfIterations(80);
    whole->SetRelativeTolerance(0);
    whole->Update();
    const float * w = whole->GetCoefficients()->GetBufferPointer();

    const SlabRun slabs = SolveInSlabs(planted, lambda, 3, 2.0, 80, 0, fixedStep, Enums::Boundary::ZeroPadded, beyond);
    double        largest = 0, scale = 0;
    for (size_t i = 0; i < slabs.Code.size(); ++i)
    {
      ASSERT_TRUE(std::isfinite(slabs.Code[i])) << "coefficient " << i << " was not written by any slab";
      largest = std::max(largest, double(std::abs(slabs.Code[i] - w[i])));
      scale = std::max(scale, double(std::abs(w[i])));
    }
    std::cout << "3 slabs vs the whole image after 80 iterations" << (beyond ? ", coefficients beyond the border" : "")
              << ": largest coefficient difference " << largest / scale << " of the largest coefficient" << std::endl;
    EXPECT_LE(largest, 1e-4 * scale);
    const auto & reference = whole->GetHistory();
    for (unsigned int p = 0; p < 3; ++p)
    {
      ASSERT_TRUE(slabs.Errors[p].empty()) << slabs.Errors[p];
      ASSERT_EQ(slabs.Histories[p].size(), reference.size());
      for (size_t i = 0; i < reference.size(); ++i)
      {
        EXPECT_NEAR(slabs.Histories[p][i].Objective, reference[i].Objective, 1e-5 * reference[i].Objective)
          << "process " << p << " iteration " << i << (beyond ? " beyond" : "");
        EXPECT_NEAR(
          slabs.Histories[p][i].PrimalResidual, reference[i].PrimalResidual, 1e-3 * reference[i].PrimalResidual);
      }
    }
  }
}

TEST(SlabHaloExchange, SlabsReachTheWholeImagesOptimum)
{
  // Each slab's own step estimate (their maximum is used), solved to convergence: the objective
  // the processes report is the whole image's, and it matches one process's to 1e-4 (the issue).
  const PlantedCode planted = MakePlantedCode(96);
  const double      lambda = 0.05;
  auto              whole = MakeCodingFilter(planted, lambda);
  whole->Update();
  const SlabRun slabs =
    SolveInSlabs(planted, lambda, 3, 4.0, 3000, 1e-7, []() { return SolverBaseType::Pointer(FISTAType::New()); });
  const double stitched = Objective(planted, slabs.Code, lambda);
  const double single = whole->GetObjective();
  std::cout << "3 slabs: objective " << stitched << ", one process " << single << " (relative difference "
            << std::abs(stitched - single) / single << ")" << std::endl;
  EXPECT_LE(std::abs(stitched - single), 1e-4 * single);
  for (unsigned int p = 0; p < 3; ++p)
  {
    ASSERT_TRUE(slabs.Errors[p].empty()) << slabs.Errors[p];
    EXPECT_NEAR(slabs.Histories[p].back().Objective, stitched, 1e-5 * stitched) << "process " << p;
    EXPECT_EQ(slabs.Histories[p].size(), slabs.Histories[0].size());
  }
}

TEST(SlabHaloExchange, BadSplitsAreRefusedOnEveryProcess)
{
  const PlantedCode planted = MakePlantedCode(48);
  auto              fista = []() { return SolverBaseType::Pointer(FISTAType::New()); };
  auto              expectAll = [](const SlabRun & run, const std::string & words) {
    for (const auto & error : run.Errors)
    {
      EXPECT_NE(error.find(words), std::string::npos) << "'" << error << "' lacks '" << words << "'";
    }
  };
  // One kernel radius is 4 rows, the kernels reach 8.
  expectAll(SolveInSlabs(planted, 0.05, 2, 1.0, 10, 0, fista), "must reach the kernel size less one (8 rows)");
  expectAll(SolveInSlabs(planted, 0.05, 2, 2.0, 10, 0, fista, Enums::Boundary::Periodic), "ZeroPadded");
  expectAll(SolveInSlabs(
              planted, 0.05, 2, 2.0, 10, 0, []() { return itk::CreateSparseCodingSolver<float>(Enums::Solver::ADMM); }),
            "cannot solve a slab of a problem split over processes");
  // Twenty rows of halo reach beyond the middle slab's 16-row core; 6 rows at the edges are too
  // few (coefficients beyond the image's edge would be the edge slab's to keep).
  expectAll(SolveInSlabs(planted, 0.05, 3, 5.0, 10, 0, fista), "reach beyond each other's cores");
  expectAll(SolveInSlabs(MakePlantedCode(12), 0.05, 2, 2.0, 10, 0, fista), "need at least as many rows");
  auto       alone = itk::ProcessCommunicator::New();
  float      value = 1;
  const auto message = itk::ProcessCommunicator::PeerMessage<float>{ 1, &value, 1, &value, 1 };
  csctest::ExpectExceptionContaining([&]() { alone->ExchangeWithPeers(std::vector{ message }); },
                                     "cannot exchange with process 1");
}
