// SpaceTimeDeconvolution's movie mode: SpaceTimeDeconvolutionFilter on a 2-D+t or 3-D+t movie,
// its cells, spikes, traces, appearances, responses, background and pictures.
#ifndef SpaceTimeDeconvolutionMovie_h
#define SpaceTimeDeconvolutionMovie_h

#include "CSCCommandLine.h"
#include "CSCTiles.h"
#include "itkImageRegionConstIteratorWithIndex.h"
#include "itkImageRegionIterator.h"
#include "itkRGBPixel.h"
#include "itkSpaceTimeDeconvolutionFilter.h"
#include <chrono>

namespace stdmovie
{
using ColourPicture = itk::Image<itk::RGBPixel<unsigned char>, 2>;

/** The temporal mean image (for 3-D+t its central slice) in grey, every cell's footprint
 * border coloured by its appearance. */
template <typename TSpatial, typename TLabels, typename TCells>
ColourPicture::Pointer
OverlayPicture(const TSpatial * meanImage, const TLabels * labels, const TCells & cells)
{
  const auto   size = meanImage->GetLargestPossibleRegion().GetSize();
  const size_t W = size[0], H = size[1], plane = W * H;
  const size_t offset = TSpatial::ImageDimension == 3 ? plane * (size[TSpatial::ImageDimension - 1] / 2) : 0;
  const std::vector<float> mean(meanImage->GetBufferPointer() + offset, meanImage->GetBufferPointer() + offset + plane);
  const auto               grey = csc::ContrastStretch(mean);
  const int                zoom = W < 256 ? 4 : (W < 512 ? 2 : 1);
  auto                     picture = ColourPicture::New();
  picture->SetRegions(ColourPicture::SizeType{ { W * zoom, H * zoom } });
  picture->Allocate();
  static const unsigned char palette[6][3] = { { 255, 60, 60 }, { 60, 220, 60 },  { 70, 140, 255 },
                                               { 255, 200, 0 }, { 230, 80, 230 }, { 0, 220, 220 } };
  const auto *               L = labels->GetBufferPointer() + offset;
  for (size_t y = 0; y < H * zoom; ++y)
  {
    for (size_t x = 0; x < W * zoom; ++x)
    {
      const size_t                 i = (y / zoom) * W + x / zoom;
      itk::RGBPixel<unsigned char> pixel;
      pixel.Fill(grey[i]);
      const auto label = L[i];
      // A border pixel: its label differs from a neighbour's (in the magnified grid).
      const bool border = label != 0 && ((x % zoom == 0 && x / zoom > 0 && L[i - 1] != label) ||
                                         (x % zoom == zoom - 1 && x / zoom + 1 < W && L[i + 1] != label) ||
                                         (y % zoom == 0 && y / zoom > 0 && L[i - W] != label) ||
                                         (y % zoom == zoom - 1 && y / zoom + 1 < H && L[i + W] != label));
      if (border)
      {
        const auto * colour = palette[cells[label - 1].Appearance % 6];
        pixel.Set(colour[0], colour[1], colour[2]);
      }
      picture->SetPixel({ { itk::IndexValueType(x), itk::IndexValueType(y) } }, pixel);
    }
  }
  return picture;
}

/** filter->Update() with a progress bar whose detail is detail(); returns the seconds. */
template <typename TFilter, typename TDetail>
double
UpdateWithProgressBar(TFilter * filter, const std::string & label, TDetail && detail)
{
  csc::ProgressBar      progress(label);
  csc::ObservedProgress observed(filter, progress);
  observed.Observe(itk::ProgressEvent(),
                   [&](const itk::EventObject &) { progress.Update(filter->GetProgress(), detail()); });
  const auto start = std::chrono::steady_clock::now();
  filter->Update();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/** frame,time_s,response_0,... with F rows. */
inline void
WriteResponses(const std::string & path, const std::vector<std::vector<double>> & responses, size_t F, double frameRate)
{
  csc::WriteTextOutput(path, [&](std::ostream & out) {
    out << "frame,time_s";
    for (size_t l = 0; l < responses.size(); ++l)
    {
      out << ",response_" << l;
    }
    out << "\n";
    for (size_t k = 0; k < F; ++k)
    {
      out << k << "," << k / frameRate;
      for (const auto & response : responses)
      {
        out << "," << (k < response.size() ? response[k] : 0.0);
      }
      out << "\n";
    }
  });
}

/** Raster (one row per trace, a dark pixel per spike frame) above up to six example traces,
 * each drawn in grey with its fit in black and its spikes as ticks below. */
template <typename TSpikes>
csc::PictureType::Pointer
RasterPicture(const float * y, const float * f, size_t P, size_t T, const TSpikes & spikes)
{
  const size_t width = std::min<size_t>(std::max<size_t>(T, 200), 1200), rows = std::min<size_t>(P, 300);
  const size_t rowHeight = rows < 100 ? 3 : 1, examples = std::min<size_t>(P, 6), panel = 70;
  const size_t height = rows * rowHeight + 10 + examples * panel;
  auto         picture = csc::PictureType::New();
  picture->SetRegions(csc::PictureType::SizeType{ { width, height } });
  picture->Allocate();
  picture->FillBuffer(255);
  unsigned char * pixels = picture->GetBufferPointer();
  auto            set = [&](size_t x, size_t y, unsigned char v) {
    if (x < width && y < height)
    {
      pixels[y * width + x] = std::min(pixels[y * width + x], v);
    }
  };
  auto column = [&](size_t t) { return t * width / T; };
  for (const auto & spike : spikes)
  {
    if (spike.Trace < rows)
    {
      for (size_t dy = 0; dy < rowHeight; ++dy)
      {
        set(column(spike.Frame), spike.Trace * rowHeight + dy, 0);
      }
    }
  }
  for (size_t e = 0; e < examples; ++e)
  {
    const size_t p = e * P / examples, top = rows * rowHeight + 10 + e * panel;
    float        low = y[p], high = y[p];
    for (size_t t = 0; t < T; ++t)
    {
      low = std::min({ low, y[p + t * P], f[p + t * P] });
      high = std::max({ high, y[p + t * P], f[p + t * P] });
    }
    const double span = std::max(1e-12, double(high - low));
    auto         level = [&](float v) { return top + size_t((panel - 12) * (1.0 - (v - low) / span)); };
    // Each sample joined to the previous one by a vertical run: a line at any width.
    auto curve = [&](const float * v, unsigned char shade) {
      for (size_t t = 0; t < T; ++t)
      {
        const size_t a = level(v[p + t * P]), b = level(v[p + (t ? t - 1 : 0) * P]);
        for (size_t row = std::min(a, b); row <= std::max(a, b); ++row)
        {
          set(column(t), row, shade);
        }
      }
    };
    curve(y, 180);
    curve(f, 0);
    for (const auto & spike : spikes)
    {
      if (spike.Trace == p)
      {
        for (size_t dy = 0; dy < 2 + 2 * spike.Count; ++dy)
        {
          set(column(spike.Frame), top + panel - 2 - dy, 0);
        }
      }
    }
  }
  return picture;
}

/** A movie run's results gathered from the filter, tile by tile (one tile: the whole movie):
 * cells numbered across the tiles with their spikes and traces, each tile's appearances and
 * responses (a cell's appearance and a spike's response index them), and the frame-sized images
 * (labels, background, temporal mean) assembled. */
template <unsigned int VDimension>
struct MovieResults
{
  using MovieType = itk::Image<float, VDimension>;
  using FilterType = itk::SpaceTimeDeconvolutionFilter<MovieType>;
  using LabelImageType = typename FilterType::LabelImageType;
  using SpatialImageType = typename FilterType::SpatialImageType;
  using SpatialRegionType = typename FilterType::SpatialRegionType;

  std::vector<typename FilterType::CellRecord> cells;
  std::vector<typename FilterType::SpikeEvent> spikes;
  std::vector<std::vector<float>>              traces, denoised; // per cell, per frame
  std::vector<std::vector<double>>             appearances, responses;
  csc::Json                                    tiles = csc::Json::array();
  typename LabelImageType::Pointer             labels;
  typename SpatialImageType::Pointer           background, mean;  // mean: only withMean
  bool                                         withMean{ false }; // for --output-overlay

  /** Adds what the filter found for the tile whose core is \c core. */
  void
  Add(const FilterType * filter, const SpatialRegionType & core)
  {
    const auto * movie = filter->GetInput();
    const auto   frames = movie->GetLargestPossibleRegion().GetSize(VDimension - 1);
    if (!labels)
    {
      labels = Whole<LabelImageType>(filter->GetLabelImage());
      background = Whole<SpatialImageType>(filter->GetSpatialBackground());
      mean = withMean ? Whole<SpatialImageType>(filter->GetSpatialBackground()) : nullptr;
    }
    const size_t first = cells.size(), K = filter->GetCells().size();
    const auto   J = static_cast<unsigned int>(appearances.size());
    const auto   L = static_cast<unsigned int>(responses.size());
    for (auto cell : filter->GetCells())
    {
      cell.Appearance += J;
      cells.push_back(cell);
    }
    for (auto spike : filter->GetSpikes())
    {
      spike.Trace += first;
      spike.Response += L;
      spikes.push_back(spike);
    }
    for (size_t k = 0; k < K; ++k)
    {
      traces.emplace_back(frames);
      denoised.emplace_back(frames);
      for (size_t t = 0; t < frames; ++t)
      {
        traces.back()[t] = filter->GetTraces()[k + t * K];
        denoised.back()[t] = filter->GetDenoisedTraces()[k + t * K];
      }
    }
    appearances.insert(appearances.end(), filter->GetAppearances().begin(), filter->GetAppearances().end());
    responses.insert(responses.end(), filter->GetResponses().begin(), filter->GetResponses().end());
    // The tile's labels (its own cells' footprints, on the grown region) where none is yet.
    const auto * tileLabels = filter->GetLabelImage();
    for (itk::ImageRegionConstIteratorWithIndex<LabelImageType> it(tileLabels, tileLabels->GetBufferedRegion());
         !it.IsAtEnd();
         ++it)
    {
      if (it.Get() != 0 && labels->GetPixel(it.GetIndex()) == 0)
      {
        labels->SetPixel(it.GetIndex(), static_cast<typename LabelImageType::PixelType>(first + it.Get()));
      }
    }
    for (itk::ImageRegionConstIteratorWithIndex<SpatialImageType> it(filter->GetSpatialBackground(), core);
         !it.IsAtEnd();
         ++it)
    {
      background->SetPixel(it.GetIndex(), it.Get());
    }
    if (withMean) // the overlay's temporal mean of the core, read from the tile the filter was given
    {
      const itk::SizeValueType pixels = core.GetNumberOfPixels();
      std::vector<float>       sums(pixels, 0.0f);
      itk::SizeValueType       i = 0;
      // Frame after frame over the core: the spatial position repeats every `pixels` values.
      for (itk::ImageRegionConstIterator<MovieType> it(
             movie, FilterType::WithAllFrames(core, movie->GetLargestPossibleRegion()));
           !it.IsAtEnd();
           ++it, i = i + 1 == pixels ? 0 : i + 1)
      {
        sums[i] += it.Get() / static_cast<float>(frames); // as the whole-frame overlay always summed
      }
      i = 0;
      for (itk::ImageRegionIterator<SpatialImageType> it(mean, core); !it.IsAtEnd(); ++it, ++i)
      {
        it.Set(sums[i]);
      }
    }
    csc::Json tile{ { "core_index", std::vector<long>(core.GetIndex().begin(), core.GetIndex().end()) },
                    { "core_size", std::vector<size_t>(core.GetSize().begin(), core.GetSize().end()) },
                    { "cells", K },
                    { "objective_per_iteration", filter->GetObjective() },
                    { "objective_per_block_step", filter->GetBlockObjectives() },
                    { "rejected_block_steps", filter->GetNumberOfRejectedSteps() },
                    { "responses", filter->GetResponses() },
                    { "temporal_background", filter->GetTemporalBackground() } };
    tiles.push_back(tile);
  }

private:
  /** A zeroed image on the whole frame of \c like's grid. */
  template <typename TImage>
  static typename TImage::Pointer
  Whole(const itk::ImageBase<VDimension - 1> * like)
  {
    auto image = TImage::New();
    image->CopyInformation(like);
    image->SetRegions(like->GetLargestPossibleRegion());
    image->Allocate(true);
    return image;
  }
};

/** The filter configured from the command line. */
template <typename TFilter>
typename TFilter::Pointer
ConfiguredFilter(const csc::Arguments & args, const std::vector<std::vector<double>> & givenResponses)
{
  auto filter = TFilter::New();
  filter->SetNumberOfCells(csc::Integer(args, "--cells"));
  filter->SetNumberOfAppearances(csc::Integer(args, "--appearances"));
  filter->SetNumberOfResponses(csc::Integer(args, "--responses"));
  filter->SetAppearanceSize(csc::Integer(args, "--appearance-size"));
  filter->SetResponseLength(csc::Integer(args, "--response-length", 1));
  filter->SetFrameRate(args.Number("--frame-rate"));
  filter->SetSpikePenalty(args.Number("--penalty"));
  filter->SetNumberOfIterations(csc::Integer(args, "--iterations"));
  filter->SetMinimumSignificance(args.Number("--min-significance"));
  filter->SetLambdaTV(args.Has("--lambda-tv") ? args.Number("--lambda-tv") : -1.0);
  filter->SetRandomInitialization(args.Has("--random-init"));
  filter->SetSeed(csc::Integer(args, "--seed"));
  filter->SetLearnResponses(!args.Has("--fixed-responses"));
  filter->SetHaloRadii(args.Number("--halo"));
  if (!givenResponses.empty())
  {
    filter->SetInitialResponses(givenResponses);
  }
  return filter;
}

/** --tile-size N: cores of N pixels per axis over the frame, each solved on itself grown by the
 * halo, the movie read and the fit written piece by piece. Returns the seconds. */
template <unsigned int VDimension, typename TFilter>
double
SolveTiles(const csc::Arguments & args, TFilter * filter, MovieResults<VDimension> & results)
{
  constexpr unsigned int N = VDimension - 1;
  const auto reader = csc::StreamedImageInput<typename TFilter::InputImageType>(args.Get("--input"), "input movie");
  filter->SetInput(reader->GetOutput());
  const auto movie = reader->GetOutput()->GetLargestPossibleRegion();
  const auto whole = TFilter::SpatialPart(movie);
  const long edge = csc::Integer(args, "--tile-size", 1);
  for (unsigned int d = 0; d < N; ++d)
  {
    if (edge < long(filter->GetAppearanceSize()) && edge < long(whole.GetSize(d)))
    {
      throw csc::UsageError("--tile-size " + std::to_string(edge) + " is smaller than an appearance window (" +
                            std::to_string(filter->GetAppearanceSize()) + " pixels, --appearance-size)");
    }
  }
  const auto             tiles = itk::ImageTiling<N>::Split(whole,
                                                itk::Size<N>::Filled(itk::SizeValueType(edge)),
                                                itk::Size<N>{},
                                                typename itk::ImageTiling<N>::AlignmentType(1u));
  csc::TiledImageOutputs outputs;
  outputs.Add(args, "--output-fit", filter->GetOutput());
  csc::ProgressBar      progress("space-time deconvolution");
  csc::ObservedProgress observed(filter, progress);
  size_t                done = 0;
  observed.Observe(itk::ProgressEvent(), [&](const itk::EventObject &) {
    progress.Update((double(done) + filter->GetProgress()) / double(tiles.size()),
                    "tile " + std::to_string(done + 1) + "/" + std::to_string(tiles.size()) + ", " +
                      std::to_string(results.cells.size()) + " cells so far");
  });
  const auto start = std::chrono::steady_clock::now();
  for (const auto & tile : tiles)
  {
    filter->GetOutput()->SetRequestedRegion(TFilter::WithAllFrames(tile.Core, movie));
    filter->GetOutput()->Update();
    results.Add(filter, tile.Core);
    outputs.WriteTile();
    ++done;
  }
  csc::TiledImageOutputs::Finish();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/** The cells' table: centroids (index and physical), appearance, brightness, significance and
 * spike count of each. */
template <unsigned int N, typename TCell>
void
WriteCellTable(const std::string & path, const std::vector<TCell> & cells, const std::vector<size_t> & counts)
{
  const size_t K = cells.size();
  csc::WriteTextOutput(path, [&](std::ostream & out) {
    const char * axes[] = { "x", "y", "z" };
    out << "id";
    for (unsigned int d = 0; d < N; ++d)
    {
      out << "," << axes[d];
    }
    for (unsigned int d = 0; d < N; ++d)
    {
      out << ",physical_" << axes[d];
    }
    out << ",appearance,mean_dff,spike_dff,significance,spikes\n";
    for (size_t k = 0; k < K; ++k)
    {
      out << k + 1;
      for (unsigned int d = 0; d < N; ++d)
      {
        out << "," << cells[k].Centroid[d];
      }
      for (unsigned int d = 0; d < N; ++d)
      {
        out << "," << cells[k].PhysicalCentroid[d];
      }
      out << "," << cells[k].Appearance << "," << cells[k].MeanDeltaFOverF << "," << cells[k].SpikeUnit << ","
          << cells[k].Significance << "," << counts[k] << "\n";
    }
  });
}

/** The run's JSON report: parameters, the objective's course (per tile when tiled), counts,
 * time and memory. */
template <unsigned int VDimension, typename TFilter>
void
WriteMovieReport(const csc::Arguments & args, const TFilter * filter, const MovieResults<VDimension> & results,
                 size_t count, double seconds)
{
  const double frameRate = args.Number("--frame-rate");
  const size_t K = results.cells.size();
  csc::Json    report{ { "tool", "SpaceTimeDeconvolution" }, { "mode", "movie" } };
  report["parameters"] = { { "input", args.Get("--input") },
                           { "cells", filter->GetNumberOfCells() },
                           { "appearances", filter->GetNumberOfAppearances() },
                           { "responses", filter->GetNumberOfResponses() },
                           { "appearance_size", filter->GetAppearanceSize() },
                           { "response_length", filter->GetResponseLength() },
                           { "lambda_tv", filter->GetLambdaTV() },
                           { "iterations", filter->GetNumberOfIterations() },
                           { "min_significance", filter->GetMinimumSignificance() },
                           { "frame_rate", frameRate },
                           { "penalty", filter->GetSpikePenalty() },
                           { "tile_size",
                             args.Has("--tile-size") ? csc::Json(args.Number("--tile-size")) : csc::Json() },
                           { "halo", filter->GetHaloRadii() } };
  if (results.tiles.size() == 1) // the whole movie: its figures at the top
  {
    for (const char * key : { "objective_per_iteration",
                              "objective_per_block_step",
                              "rejected_block_steps",
                              "responses",
                              "temporal_background" })
    {
      report[key] = results.tiles[0][key];
    }
  }
  else // each tile learned its own responses and background: per tile
  {
    report["tiles"] = results.tiles;
  }
  report["cells"] = K;
  report["spikes"] = count;
  report["seconds"] = seconds;
  report["peak_memory_mb"] = csc::PeakResidentMegabytes();
  csc::WriteJsonOutput(args.Get("--report"), report);
}

/** Writes every requested output of a movie run from its gathered results. */
template <unsigned int VDimension, typename TFilter>
int
WriteMovieResults(const csc::Arguments & args, const TFilter * filter, const MovieResults<VDimension> & results,
                  double seconds)
{
  constexpr unsigned int N = VDimension - 1;
  const double           frameRate = args.Number("--frame-rate");
  const auto &           cells = results.cells;
  const auto &           spikes = results.spikes;
  const size_t           K = cells.size(), T = filter->GetInput()->GetLargestPossibleRegion().GetSize(N);
  std::vector<size_t>    counts(K, 0);
  for (const auto & spike : spikes)
  {
    counts[spike.Trace] += spike.Count;
  }
  const size_t count = std::accumulate(counts.begin(), counts.end(), size_t(0));
  csc::WriteTextOutput(args.Get("--output-spikes"), [&](std::ostream & out) {
    out << "cell_id,frame,count,time_s,amplitude,response\n";
    for (const auto & spike : spikes)
    {
      out << spike.Trace + 1 << "," << spike.Frame << "," << spike.Count << "," << spike.Frame / frameRate << ","
          << spike.Amplitude << "," << spike.Response << "\n";
    }
  });
  if (args.Has("--output-cells"))
  {
    WriteCellTable<N>(args.Get("--output-cells"), cells, counts);
  }
  if (args.Has("--output-traces"))
  {
    csc::WriteTextOutput(args.Get("--output-traces"), [&](std::ostream & out) {
      out << "cell_id,frame,time_s,dff,denoised_dff\n";
      for (size_t k = 0; k < K; ++k)
      {
        for (size_t t = 0; t < T; ++t)
        {
          out << k + 1 << "," << t << "," << t / frameRate << "," << results.traces[k][t] << ","
              << results.denoised[k][t] << "\n";
        }
      }
    });
  }
  if (args.Has("--output-responses"))
  {
    WriteResponses(args.Get("--output-responses"), results.responses, filter->GetResponseLength(), frameRate);
  }
  csc::WriteImageIfRequested(args, "--output-labels", results.labels.GetPointer());
  csc::WriteImageIfRequested(args, "--output-background", results.background.GetPointer());
  if (args.Has("--output-appearances"))
  {
    using StackType = itk::Image<float, N + 1>;
    auto                         stack = StackType::New();
    typename StackType::SizeType size;
    size.Fill(filter->GetAppearanceSize());
    size[N] = results.appearances.size();
    stack->SetRegions(size);
    stack->Allocate();
    float * out = stack->GetBufferPointer();
    for (const auto & H : results.appearances)
    {
      out = std::transform(H.begin(), H.end(), out, [](double h) { return static_cast<float>(h); });
    }
    csc::WriteImageOutput(stack.GetPointer(), args.Get("--output-appearances"));
  }
  if (args.Has("--output-raster"))
  {
    std::vector<float> y(K * T), fit(K * T);
    for (size_t k = 0; k < K; ++k)
    {
      for (size_t t = 0; t < T; ++t)
      {
        y[k + t * K] = results.traces[k][t];
        fit[k + t * K] = results.denoised[k][t];
      }
    }
    csc::WriteImageOutput(RasterPicture(y.data(), fit.data(), K, T, spikes).GetPointer(), args.Get("--output-raster"));
  }
  if (args.Has("--output-overlay"))
  {
    csc::WriteImageOutput(OverlayPicture(results.mean.GetPointer(), results.labels.GetPointer(), cells).GetPointer(),
                          args.Get("--output-overlay"));
  }
  if (args.Has("--report"))
  {
    WriteMovieReport(args, filter, results, count, seconds);
  }
  csc::SlicerReport::Instance().Set("numberOfSpikes", double(count));
  csc::SlicerReport::Instance().Set("numberOfTraces", double(K));
  std::cout << K << " cells, " << count << " spikes; spikes: " << args.Get("--output-spikes") << "\nseconds " << seconds
            << ", peak memory " << csc::PeakResidentMegabytes() << " MB\n";
  return 0;
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args, const std::vector<std::vector<double>> & givenResponses)
{
  using MovieType = itk::Image<float, VDimension>;
  using FilterType = itk::SpaceTimeDeconvolutionFilter<MovieType>;
  constexpr unsigned int N = VDimension - 1;
  const unsigned int     F = csc::Integer(args, "--response-length", 1);
  const double           frameRate = args.Number("--frame-rate");
  const bool             tiled = args.Has("--tile-size");
  const std::string      spikesPath = args.Required("--output-spikes");
  csc::DeclareTextOutput(args, "--output-spikes");
  csc::DeclareTextOutput(args, "--output-cells");
  csc::DeclareTextOutput(args, "--output-traces");
  csc::DeclareTextOutput(args, "--output-responses");
  csc::DeclareTextOutput(args, "--report");
  csc::DeclareImageOutput<typename FilterType::LabelImageType>(args, "--output-labels");
  if (tiled)
  {
    csc::TiledImageOutputs::Declare<MovieType>(args, "--output-fit");
  }
  else
  {
    csc::DeclareImageOutput<MovieType>(args, "--output-fit");
  }
  csc::DeclareImageOutput<typename FilterType::SpatialImageType>(args, "--output-background");
  csc::DeclareImageOutput<itk::Image<float, N + 1>>(args, "--output-appearances");
  csc::DeclareImageOutput<ColourPicture>(args, "--output-overlay");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-raster");

  auto                     filter = ConfiguredFilter<FilterType>(args, givenResponses);
  MovieResults<VDimension> results;
  results.withMean = args.Has("--output-overlay");
  double seconds = 0.0;
  if (tiled)
  {
    seconds = SolveTiles(args, filter.GetPointer(), results);
  }
  else
  {
    filter->SetInput(csc::ReadImageInput<MovieType>(args.Get("--input"), "input movie"));
    seconds = UpdateWithProgressBar(filter.GetPointer(), "space-time deconvolution", [&]() {
      const auto & objective = filter->GetObjective();
      return objective.empty() ? std::string("first iteration")
                               : "iteration " + std::to_string(objective.size()) + ", " +
                                   std::to_string(filter->GetCells().size()) + " cells";
    });
    results.Add(filter, FilterType::SpatialPart(filter->GetInput()->GetLargestPossibleRegion()));
    csc::WriteImageIfRequested(args, "--output-fit", filter->GetOutput());
  }
  return WriteMovieResults(args, filter.GetPointer(), results, seconds);
}
} // namespace stdmovie

#endif
