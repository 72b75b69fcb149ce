// Sparse space-time deconvolution: the cell pursuit and the movie filter, on movies synthesised
// from the model.
#include "itkCellAppearancePursuit.h"
#include "itkCommand.h"
#include "itkImage.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkSpaceTimeDeconvolutionFilter.h"
#include "itkTotalVariationProximalOperator.h"
#include <gtest/gtest.h>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <numeric>
#include <random>

namespace
{
using MovieType = itk::Image<float, 3>;
using FilterType = itk::SpaceTimeDeconvolutionFilter<MovieType>;

/** A soft disk (ring when inner > 0) in a window x window square, peak 1. */
std::vector<double>
Shape(unsigned int window, double outer, double inner = 0.0)
{
  std::vector<double> H(window * window);
  const double        c = window / 2;
  for (unsigned int y = 0; y < window; ++y)
  {
    for (unsigned int x = 0; x < window; ++x)
    {
      const double rho = std::hypot(x - c, y - c);
      double       v = 0.5 * (1.0 - std::tanh((rho - outer) / 0.7));
      if (inner > 0.0)
      {
        v -= 0.8 * 0.5 * (1.0 - std::tanh((rho - inner) / 0.7));
      }
      H[y * window + x] = std::max(0.0, v);
    }
  }
  const double peak = *std::max_element(H.begin(), H.end());
  for (double & h : H)
  {
    h /= peak;
  }
  return H;
}

std::vector<double>
Decay(unsigned int taps, double frames)
{
  std::vector<double> f(taps);
  for (unsigned int k = 0; k < taps; ++k)
  {
    f[k] = std::exp(-double(k) / frames);
  }
  return f;
}

struct PlantedCell
{
  long                      x, y;
  unsigned int              shape;
  std::vector<unsigned int> frames; // one spike each
};

/** Y = B_s b_t (1 + sum_k H_k(x - p_k) (s_k * f)(t)) + noise, spikes of height 0.5 at the peak. */
MovieType::Pointer
Synthesize(const std::vector<PlantedCell> & cells, const std::vector<std::vector<double>> & shapes, unsigned int window,
           const std::vector<double> & f, unsigned int size, unsigned int T, double noise, unsigned int seed)
{
  auto movie = MovieType::New();
  movie->SetRegions(MovieType::SizeType{ { size, size, T } });
  movie->Allocate();
  std::mt19937                     random(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<double>              activity(size * size * T, 0.0);
  for (const auto & cell : cells)
  {
    std::vector<double> trace(T, 0.0);
    for (const unsigned int t0 : cell.frames)
    {
      for (unsigned int k = 0; k < f.size() && t0 + k < T; ++k)
      {
        trace[t0 + k] += 0.5 * f[k];
      }
    }
    for (unsigned int i = 0; i < window * window; ++i)
    {
      const long x = cell.x + long(i % window) - long(window / 2), y = cell.y + long(i / window) - long(window / 2);
      for (unsigned int t = 0; t < T; ++t)
      {
        activity[x + y * size + t * size * size] += shapes[cell.shape][i] * trace[t];
      }
    }
  }
  float * Y = movie->GetBufferPointer();
  for (unsigned int t = 0; t < T; ++t)
  {
    const double bt = 1.0 + 0.05 * std::sin(0.05 * t);
    for (unsigned int p = 0; p < size * size; ++p)
    {
      const double Bs = 10.0 + 0.05 * double(p % size) + 0.03 * double(p / size);
      Y[p + t * size * size] =
        float(Bs * bt * (1.0 + activity[p + t * size * size]) + (noise > 0 ? normal(random) : 0.0));
    }
  }
  return movie;
}

std::vector<PlantedCell>
ThreeCells()
{
  std::vector<PlantedCell> cells{ { 18, 20, 0, {} }, { 44, 42, 0, {} }, { 42, 16, 1, {} } };
  for (size_t k = 0; k < cells.size(); ++k)
  {
    for (unsigned int t = 7 + 9 * unsigned(k); t < 290; t += 23 + 5 * unsigned(k))
    {
      cells[k].frames.push_back(t);
    }
  }
  return cells;
}

double
Correlation(const std::vector<double> & a, const std::vector<double> & b)
{
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
  {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}
} // namespace

TEST(CellAppearancePursuit, FindsPlantedCellsAndNothingInNoise)
{
  const unsigned int                     window = 15, size = 64, T = 300;
  const std::vector<std::vector<double>> shapes{ Shape(window, 3.0), Shape(window, 6.0, 3.5) };
  const auto movie = Synthesize(ThreeCells(), shapes, window, Decay(40, 8.0), size, T, 0.5, 1);
  // Relative fluorescence with the true background.
  std::vector<float> R(size * size * T);
  const float *      Y = movie->GetBufferPointer();
  for (unsigned int t = 0; t < T; ++t)
  {
    for (unsigned int p = 0; p < size * size; ++p)
    {
      const double B = (10.0 + 0.05 * double(p % size) + 0.03 * double(p / size)) * (1.0 + 0.05 * std::sin(0.05 * t));
      R[p + t * size * size] = float(Y[p + t * size * size] / B - 1.0);
    }
  }
  auto pursuit = itk::CellAppearancePursuit<float>::New();
  pursuit->SetImageSize({ size, size });
  pursuit->SetAppearances(shapes, window);
  const auto         cells = pursuit->Detect(R.data(), T, itk::MultiThreaderBase::New());
  std::ostringstream found;
  for (const auto & cell : cells)
  {
    found << " (" << cell.Position[0] << "," << cell.Position[1] << " j" << cell.Appearance << " z" << cell.Significance
          << ")";
  }
  ASSERT_EQ(cells.size(), 3u) << found.str();
  for (const auto & planted : ThreeCells())
  {
    const auto match = std::find_if(cells.begin(), cells.end(), [&](const auto & cell) {
      return std::abs(cell.Position[0] - planted.x) <= 1 && std::abs(cell.Position[1] - planted.y) <= 1;
    });
    ASSERT_NE(match, cells.end()) << "no cell near " << planted.x << "," << planted.y << ":" << found.str();
    EXPECT_EQ(match->Appearance, planted.shape);
  }
  // The same pursuit on R computed as it is read, from Y and B (the filter's way of not storing
  // it): the same cells, in the same order, with the same significance.
  const auto computed = pursuit->DetectIn(
    [&](itk::SizeValueType p, itk::SizeValueType t) {
      const double B = (10.0 + 0.05 * double(p % size) + 0.03 * double(p / size)) * (1.0 + 0.05 * std::sin(0.05 * t));
      return float(Y[p + t * size * size] / B - 1.0);
    },
    T,
    itk::MultiThreaderBase::New());
  ASSERT_EQ(computed.size(), cells.size());
  for (size_t k = 0; k < cells.size(); ++k)
  {
    EXPECT_EQ(computed[k].Position, cells[k].Position);
    EXPECT_EQ(computed[k].Appearance, cells[k].Appearance);
    EXPECT_EQ(computed[k].Significance, cells[k].Significance);
  }
  // Noise alone: nothing passes the significance test.
  std::mt19937                    random(3);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (auto & r : R)
  {
    r = normal(random);
  }
  EXPECT_TRUE(pursuit->Detect(R.data(), T, itk::MultiThreaderBase::New()).empty());
}

TEST(SpaceTimeDeconvolutionFilter, RecoversAPlantedMovie)
{
  const unsigned int                     window = 15, size = 64, T = 300;
  const std::vector<std::vector<double>> shapes{ Shape(window, 3.0), Shape(window, 6.0, 3.5) };
  const auto                             f = Decay(40, 8.0);
  const auto                             planted = ThreeCells();
  auto                                   filter = FilterType::New();
  filter->SetInput(Synthesize(planted, shapes, window, f, size, T, 0.0, 1));
  filter->SetNumberOfCells(10);
  filter->SetNumberOfAppearances(2);
  filter->SetAppearanceSize(window);
  filter->SetResponseLength(40);
  filter->SetInitialResponses({ f });
  filter->SetLearnResponses(false);
  filter->Update();
  const auto &       cells = filter->GetCells();
  std::ostringstream listing;
  for (const auto & cell : cells)
  {
    listing << " (" << cell.Centroid[0] << "," << cell.Centroid[1] << " j" << cell.Appearance << " z"
            << cell.Significance << ")";
  }
  ASSERT_EQ(cells.size(), 3u) << listing.str();
  std::vector<size_t> cellOf(planted.size());
  for (size_t k = 0; k < planted.size(); ++k)
  {
    size_t best = 0;
    for (size_t c = 1; c < cells.size(); ++c)
    {
      if (std::hypot(cells[c].Centroid[0] - planted[k].x, cells[c].Centroid[1] - planted[k].y) <
          std::hypot(cells[best].Centroid[0] - planted[k].x, cells[best].Centroid[1] - planted[k].y))
      {
        best = c;
      }
    }
    cellOf[k] = best;
    EXPECT_LE(std::hypot(cells[best].Centroid[0] - planted[k].x, cells[best].Centroid[1] - planted[k].y), 1.0);
    // The appearance, aligned at the cell's position, matches the planted shape.
    const auto &        H = filter->GetAppearances()[cells[best].Appearance];
    std::vector<double> shifted(H.size(), 0.0);
    const long          dx = cells[best].Position[0] - planted[k].x, dy = cells[best].Position[1] - planted[k].y;
    for (long y = 0; y < long(window); ++y)
    {
      for (long x = 0; x < long(window); ++x)
      {
        const long u = x + dx, v = y + dy;
        if (u >= 0 && v >= 0 && u < long(window) && v < long(window))
        {
          shifted[v * window + u] = shapes[planted[k].shape][y * window + x];
        }
      }
    }
    EXPECT_GE(Correlation(H, shifted), 0.95) << "cell " << k;
  }
  // Spikes: exactly the planted frames, one spike each.
  for (size_t k = 0; k < planted.size(); ++k)
  {
    std::vector<unsigned int> frames;
    for (const auto & spike : filter->GetSpikes())
    {
      if (spike.Trace == cellOf[k])
      {
        for (unsigned int n = 0; n < spike.Count; ++n)
        {
          frames.push_back(static_cast<unsigned int>(spike.Frame));
        }
      }
    }
    std::ostringstream events;
    for (const auto & spike : filter->GetSpikes())
    {
      if (spike.Trace == cellOf[k])
      {
        events << " " << spike.Frame << "x" << spike.Count << "(" << spike.Amplitude << ")";
      }
    }
    EXPECT_EQ(frames, planted[k].frames) << "cell " << k << ":" << events.str();
  }
  // Labels: each planted centre carries its cell's label.
  for (size_t k = 0; k < planted.size(); ++k)
  {
    // (a ring's centre is its hole: the label is on the ring)
    const long x = planted[k].x + (planted[k].shape == 1 ? 5 : 0);
    EXPECT_EQ(filter->GetLabelImage()->GetPixel({ { x, planted[k].y } }), cellOf[k] + 1);
  }
}

TEST(SpaceTimeDeconvolutionFilter, BackgroundWithoutTVIsTheLeastSquaresFit)
{
  // No cells: with lambda 0, B_s(x) = sum_t b_t Y(x, t) / sum_t b_t^2 for the final b_t.
  const unsigned int size = 32, T = 200;
  const auto         movie = Synthesize({}, {}, 15, Decay(20, 5.0), size, T, 0.3, 2);
  auto               filter = FilterType::New();
  filter->SetInput(movie);
  filter->SetAppearanceSize(15);
  filter->SetResponseLength(20);
  filter->SetLambdaTV(0.0);
  filter->Update();
  EXPECT_TRUE(filter->GetCells().empty());
  const auto &  bt = filter->GetTemporalBackground();
  const float * Y = movie->GetBufferPointer();
  const float * Bs = filter->GetSpatialBackground()->GetBufferPointer();
  const double  energy = std::inner_product(bt.begin(), bt.end(), bt.begin(), 0.0);
  double        worst = 0.0;
  for (unsigned int p = 0; p < size * size; ++p)
  {
    double fit = 0.0;
    for (unsigned int t = 0; t < T; ++t)
    {
      fit += bt[t] * Y[p + t * size * size] / energy;
    }
    worst = std::max(worst, std::abs(fit - Bs[p]) / fit);
  }
  EXPECT_LT(worst, 1e-5);
  // b_t has mean 1 and follows the planted drift.
  EXPECT_NEAR(std::accumulate(bt.begin(), bt.end(), 0.0) / T, 1.0, 1e-9);
  std::vector<double> truth(T);
  for (unsigned int t = 0; t < T; ++t)
  {
    truth[t] = 0.05 * std::sin(0.05 * t);
  }
  std::vector<double> centred(bt);
  const double        mean = std::accumulate(truth.begin(), truth.end(), 0.0) / T;
  for (unsigned int t = 0; t < T; ++t)
  {
    centred[t] -= 1.0;
    truth[t] -= mean;
  }
  EXPECT_GT(Correlation(centred, truth), 0.99);
}

TEST(SpaceTimeDeconvolutionFilter, BlockStepsDoNotIncreaseTheObjective)
{
  // A noisy planted movie, everything learned: F after every block step never rises, the steps
  // remove most of what is above the noise, and the last F is the objective of the returned solution (recomputed here
  // from the denoised movie, the backgrounds and TV).
  const unsigned int window = 15, size = 64, T = 300, iterations = 4;
  const double       lambda = 0.5;
  const auto         movie =
    Synthesize(ThreeCells(), { Shape(window, 3.0), Shape(window, 6.0, 3.5) }, window, Decay(40, 8.0), size, T, 1.0, 5);
  auto filter = FilterType::New();
  filter->SetInput(movie);
  filter->SetNumberOfCells(10);
  filter->SetNumberOfAppearances(2);
  filter->SetAppearanceSize(window);
  filter->SetResponseLength(40);
  filter->SetLambdaTV(lambda);
  filter->SetNumberOfIterations(iterations);
  filter->Update();
  const auto & F = filter->GetBlockObjectives();
  // The initial background, then per iteration: background (from the second), cells and
  // traces, appearances (not after the last).
  ASSERT_EQ(F.size(), 1u + 2u + 3u * (iterations - 2) + 2u);
  for (size_t i = 1; i < F.size(); ++i)
  {
    EXPECT_LE(F[i], F[i - 1]) << "block step " << i;
  }
  // The noise's expected share of F, in the planted background's units: what no model removes.
  double floor = 0.0;
  for (unsigned int t = 0; t < T; ++t)
  {
    for (unsigned int p = 0; p < size * size; ++p)
    {
      const double B = (10.0 + 0.05 * double(p % size) + 0.03 * double(p / size)) * (1.0 + 0.05 * std::sin(0.05 * t));
      floor += 1.0 / (B * B);
    }
  }
  EXPECT_LT(F[1], F[0]) << "the first cells explain part of the movie";
  EXPECT_LT(F.back() - floor, 0.4 * (F[0] - floor)) << "F " << F.back() << " from " << F[0] << ", noise " << floor;
  EXPECT_EQ(filter->GetCells().size(), 3u);
  ASSERT_EQ(filter->GetObjective().size(), iterations);
  EXPECT_EQ(filter->GetObjective().back(), F.back());

  const float *      Y = movie->GetBufferPointer();
  const float *      denoised = filter->GetOutput()->GetBufferPointer();
  const float *      Bs = filter->GetSpatialBackground()->GetBufferPointer();
  const auto &       bt = filter->GetTemporalBackground();
  const unsigned int P = size * size;
  double             data = 0.0;
  for (unsigned int t = 0; t < T; ++t)
  {
    for (unsigned int p = 0; p < P; ++p)
    {
      const double B = double(Bs[p]) * bt[t], r = (double(Y[p + t * P]) - double(denoised[p + t * P])) / B;
      data += r * r;
    }
  }
  auto tv = itk::TotalVariationProximalOperator<double>::New();
  tv->SetImageSize({ size, size });
  const std::vector<double> background(Bs, Bs + P);
  EXPECT_NEAR(data + lambda * tv->Evaluate(background.data()), F.back(), 1e-4 * F.back());
}

TEST(SpaceTimeDeconvolutionFilter, TwoTilesGiveTheWholeMoviesCellsOnce)
{
  // Four planted cells on a 64 x 64 movie, one of them on the seam between two tiles (x 0-31,
  // 32-63): the tiles' owned cells are the whole movie's, each once, with the same spikes, and
  // the stitched denoised movie is the whole one's.
  const unsigned int                     window = 15, size = 64, T = 300;
  const std::vector<std::vector<double>> shapes{ Shape(window, 3.0), Shape(window, 6.0, 3.5) };
  const auto                             f = Decay(40, 8.0);
  auto                                   planted = ThreeCells();
  planted.push_back({ 32, 52, 0, {} });
  for (unsigned int t = 12; t < 290; t += 31)
  {
    planted.back().frames.push_back(t);
  }
  const auto movie = Synthesize(planted, shapes, window, f, size, T, 0.3, 1);
  auto       configured = [&]() {
    auto filter = FilterType::New();
    filter->SetInput(movie);
    filter->SetNumberOfCells(10);
    filter->SetAppearanceSize(window);
    filter->SetResponseLength(40);
    filter->SetInitialResponses({ f });
    filter->SetLearnResponses(false);
    return filter;
  };
  auto whole = configured();
  whole->Update();
  ASSERT_EQ(whole->GetCells().size(), planted.size());

  auto                                tiled = configured();
  std::vector<FilterType::CellRecord> cells;
  std::vector<std::vector<unsigned>>  frames; // per gathered cell, one entry per spike
  std::vector<float>                  stitched(size * size * T, 0.0f);
  const MovieType::RegionType         all = movie->GetLargestPossibleRegion();
  for (long begin : { 0L, 32L })
  {
    MovieType::RegionType core = all;
    core.SetIndex(0, begin);
    core.SetSize(0, 32);
    tiled->GetOutput()->SetRequestedRegion(core);
    tiled->Update();
    // Only the core grown by two appearance radii (14 pixels) was asked of the input.
    const auto asked = movie->GetRequestedRegion();
    EXPECT_EQ(asked.GetIndex(0), std::max(0L, begin - 14));
    EXPECT_EQ(asked.GetSize(0), 46u);
    EXPECT_EQ(asked.GetSize(2), T);
    ASSERT_EQ(tiled->GetOutput()->GetBufferedRegion(), core);
    for (const auto & cell : tiled->GetCells())
    {
      EXPECT_TRUE(cell.Position[0] >= begin && cell.Position[0] < begin + 32) << cell.Position[0];
      cells.push_back(cell);
      frames.emplace_back();
    }
    for (const auto & spike : tiled->GetSpikes())
    {
      for (unsigned int n = 0; n < spike.Count; ++n)
      {
        frames[cells.size() - tiled->GetCells().size() + spike.Trace].push_back(unsigned(spike.Frame));
      }
    }
    // Each owned cell's label sits on its position, on the grown region.
    for (size_t k = 0; k < tiled->GetCells().size(); ++k)
    {
      const auto & position = tiled->GetCells()[k].Position;
      if (tiled->GetCells()[k].Appearance == 0)
      {
        EXPECT_EQ(tiled->GetLabelImage()->GetPixel({ { position[0], position[1] } }), k + 1);
      }
    }
    for (itk::ImageRegionConstIteratorWithIndex<MovieType> it(tiled->GetOutput(), core); !it.IsAtEnd(); ++it)
    {
      const auto & i = it.GetIndex();
      stitched[i[0] + size * (i[1] + size * i[2])] = it.Get();
    }
  }
  ASSERT_EQ(cells.size(), planted.size());
  for (size_t k = 0; k < planted.size(); ++k)
  {
    size_t best = 0;
    auto   distance = [&](size_t c) {
      return std::hypot(cells[c].Centroid[0] - planted[k].x, cells[c].Centroid[1] - planted[k].y);
    };
    for (size_t c = 1; c < cells.size(); ++c)
    {
      best = distance(c) < distance(best) ? c : best;
    }
    EXPECT_LE(distance(best), 1.0) << "planted cell " << k;
    std::sort(frames[best].begin(), frames[best].end());
    EXPECT_EQ(frames[best], std::vector<unsigned>(planted[k].frames.begin(), planted[k].frames.end()))
      << "planted cell " << k;
  }
  // Each tile learns its appearances from its own cells, so the fits differ a little; far less
  // than the noise (0.3) in the mean, and nowhere by much more than it.
  const float * W = whole->GetOutput()->GetBufferPointer();
  double        largest = 0.0, squares = 0.0;
  for (size_t i = 0; i < stitched.size(); ++i)
  {
    const double difference = double(stitched[i]) - double(W[i]);
    largest = std::max(largest, std::abs(difference));
    squares += difference * difference;
  }
  EXPECT_LE(std::sqrt(squares / double(stitched.size())), 0.03) << "RMS difference, stitched against whole";
  EXPECT_LE(largest, 0.6) << "largest difference, stitched against whole";
}

TEST(SpaceTimeDeconvolutionFilter, ThreeDPlusTimeRunsOnATinyMovie)
{
  using Movie4 = itk::Image<float, 4>;
  const unsigned int S = 20, Z = 9, T = 120, W = 7;
  auto               movie = Movie4::New();
  movie->SetRegions(Movie4::SizeType{ { S, S, Z, T } });
  movie->Allocate();
  std::mt19937                     random(5);
  std::normal_distribution<double> normal(0.0, 0.05);
  const auto                       f = Decay(20, 5.0);
  std::vector<double>              trace(T, 0.0);
  for (unsigned int t0 = 5; t0 < T; t0 += 17)
  {
    for (unsigned int k = 0; k < f.size() && t0 + k < T; ++k)
    {
      trace[t0 + k] += f[k];
    }
  }
  float * Y = movie->GetBufferPointer();
  for (unsigned int t = 0; t < T; ++t)
  {
    for (unsigned int z = 0; z < Z; ++z)
    {
      for (unsigned int y = 0; y < S; ++y)
      {
        for (unsigned int x = 0; x < S; ++x)
        {
          const double r2 = double((x - 10.0) * (x - 10.0) + (y - 8.0) * (y - 8.0) + (z - 4.0) * (z - 4.0));
          Y[x + S * (y + S * (z + Z * t))] = float(5.0 * (1.0 + 0.5 * std::exp(-r2 / 4.0) * trace[t]) + normal(random));
        }
      }
    }
  }
  auto filter = itk::SpaceTimeDeconvolutionFilter<Movie4>::New();
  filter->SetInput(movie);
  filter->SetAppearanceSize(W);
  filter->SetNumberOfAppearances(1);
  filter->SetResponseLength(20);
  filter->SetNumberOfCells(4);
  filter->Update();
  ASSERT_EQ(filter->GetCells().size(), 1u)
    << filter->GetCells().back().Centroid[0] << "," << filter->GetCells().back().Centroid[1] << ","
    << filter->GetCells().back().Centroid[2] << " z" << filter->GetCells().back().Significance;
  EXPECT_NEAR(filter->GetCells()[0].Centroid[0], 10.0, 1.0);
  EXPECT_NEAR(filter->GetCells()[0].Centroid[1], 8.0, 1.0);
  EXPECT_NEAR(filter->GetCells()[0].Centroid[2], 4.0, 1.0);
  EXPECT_EQ(filter->GetOutput()->GetLargestPossibleRegion().GetSize(), movie->GetLargestPossibleRegion().GetSize());
}

TEST(SpaceTimeDeconvolutionFilter, RejectsBadInputsAndAborts)
{
  const unsigned int size = 32, T = 200;
  auto               movie = Synthesize({}, {}, 15, Decay(20, 5.0), size, T, 0.3, 2);
  auto               expectFailure = [&](const std::function<void(FilterType *)> & configure, const char * what) {
    auto filter = FilterType::New();
    filter->SetInput(movie);
    filter->SetAppearanceSize(15);
    filter->SetResponseLength(20);
    configure(filter);
    EXPECT_THROW(filter->Update(), itk::ExceptionObject) << what;
  };
  expectFailure([](FilterType * f) { f->SetResponseLength(T + 1); }, "sequence shorter than F");
  expectFailure([](FilterType * f) { f->SetNumberOfCells(0); }, "K = 0");
  expectFailure([](FilterType * f) { f->SetAppearanceSize(33); }, "H larger than a frame");
  expectFailure([](FilterType * f) { f->SetAppearanceSize(14); }, "even H");
  expectFailure([](FilterType * f) { f->SetFrameRate(0.0); }, "frame rate 0");
  expectFailure([](FilterType * f) { f->SetFrameRate(-30.0); }, "negative frame rate");
  expectFailure([](FilterType * f) { f->SetInitialAppearances({ std::vector<double>(15 * 15, 1.0) }); },
                "one appearance for J = 2");
  expectFailure([](FilterType * f) { f->SetSpikePenalty(-1.0); }, "negative penalty");
  expectFailure([](FilterType * f) { f->SetLambdaTV(std::nan("")); }, "NaN LambdaTV");
  expectFailure([](FilterType * f) { f->SetLambdaTV(std::numeric_limits<double>::infinity()); }, "infinite LambdaTV");
  expectFailure([](FilterType * f) { f->SetMinimumSignificance(std::nan("")); }, "NaN MinimumSignificance");
  expectFailure([](FilterType * f) { f->SetFootprintFraction(0.0); }, "FootprintFraction 0");
  expectFailure([](FilterType * f) { f->SetFootprintFraction(1.0); }, "FootprintFraction 1");
  expectFailure([](FilterType * f) { f->SetFootprintFraction(std::nan("")); }, "NaN FootprintFraction");
  auto nan = Synthesize({}, {}, 15, Decay(20, 5.0), size, T, 0.3, 2);
  nan->GetBufferPointer()[1234] = std::nanf("");
  auto filter = FilterType::New();
  filter->SetInput(nan);
  filter->SetAppearanceSize(15);
  filter->SetResponseLength(20);
  EXPECT_THROW(filter->Update(), itk::ExceptionObject);
  // Abort from the first iteration's event.
  auto aborting = FilterType::New();
  aborting->SetInput(
    Synthesize(ThreeCells(), { Shape(15, 3.0), Shape(15, 6.0, 3.5) }, 15, Decay(40, 8.0), 64, 300, 0.5, 1));
  aborting->SetAppearanceSize(15);
  aborting->SetResponseLength(40);
  aborting->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { aborting->AbortGenerateDataOn(); });
  EXPECT_THROW(aborting->Update(), itk::ProcessAborted);
}
