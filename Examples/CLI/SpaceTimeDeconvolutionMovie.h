// SpaceTimeDeconvolution's movie mode: SpaceTimeDeconvolutionFilter on a 2-D+t or 3-D+t movie,
// its cells, spikes, traces, appearances, responses, background and pictures.
#ifndef SpaceTimeDeconvolutionMovie_h
#define SpaceTimeDeconvolutionMovie_h

#include "CSCCommandLine.h"
#include "itkRGBPixel.h"
#include "itkSpaceTimeDeconvolutionFilter.h"
#include <chrono>

namespace stdmovie
{
using ColourPicture = itk::Image<itk::RGBPixel<unsigned char>, 2>;

/** The temporal mean of the movie (first frame's plane for 3-D+t: its central slice) in grey,
 * every cell's footprint border coloured by its appearance. */
template <typename TFilter, typename TMovie>
ColourPicture::Pointer
OverlayPicture(const TMovie * movie, const TFilter * filter)
{
  const auto   size = movie->GetLargestPossibleRegion().GetSize();
  const auto * labels = filter->GetLabelImage();
  const size_t W = size[0], H = size[1], T = size[TMovie::ImageDimension - 1];
  size_t       plane = W * H, offset = 0, P = 1;
  for (unsigned int d = 0; d + 1 < TMovie::ImageDimension; ++d)
  {
    P *= size[d];
  }
  if (TMovie::ImageDimension == 4)
  {
    offset = plane * (size[2] / 2);
  }
  std::vector<float> mean(plane, 0.0f);
  const auto *       Y = movie->GetBufferPointer();
  for (size_t t = 0; t < T; ++t)
  {
    for (size_t i = 0; i < plane; ++i)
    {
      mean[i] += static_cast<float>(Y[offset + i + t * P]) / float(T);
    }
  }
  const auto grey = csc::ContrastStretch(mean);
  const int  zoom = W < 256 ? 4 : (W < 512 ? 2 : 1);
  auto       picture = ColourPicture::New();
  picture->SetRegions(ColourPicture::SizeType{ { W * zoom, H * zoom } });
  picture->Allocate();
  static const unsigned char palette[6][3] = { { 255, 60, 60 }, { 60, 220, 60 },  { 70, 140, 255 },
                                               { 255, 200, 0 }, { 230, 80, 230 }, { 0, 220, 220 } };
  const auto *               L = labels->GetBufferPointer() + offset;
  const auto &               cells = filter->GetCells();
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

template <unsigned int VDimension>
int
Run(const csc::Arguments & args, const std::vector<std::vector<double>> & givenResponses)
{
  using MovieType = itk::Image<float, VDimension>;
  using FilterType = itk::SpaceTimeDeconvolutionFilter<MovieType>;
  constexpr unsigned int N = VDimension - 1;
  const unsigned int     F = csc::Integer(args, "--response-length", 1);
  const double           frameRate = args.Number("--frame-rate");
  const std::string      spikesPath = args.Required("--output-spikes");
  csc::DeclareTextOutput(args, "--output-spikes");
  csc::DeclareTextOutput(args, "--output-cells");
  csc::DeclareTextOutput(args, "--output-traces");
  csc::DeclareTextOutput(args, "--output-responses");
  csc::DeclareTextOutput(args, "--report");
  csc::DeclareImageOutput<typename FilterType::LabelImageType>(args, "--output-labels");
  csc::DeclareImageOutput<MovieType>(args, "--output-fit");
  csc::DeclareImageOutput<typename FilterType::SpatialImageType>(args, "--output-background");
  csc::DeclareImageOutput<itk::Image<float, N + 1>>(args, "--output-appearances");
  csc::DeclareImageOutput<ColourPicture>(args, "--output-overlay");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-raster");

  const auto movie = csc::ReadImageInput<MovieType>(args.Get("--input"), "input movie");
  auto       filter = FilterType::New();
  filter->SetInput(movie);
  filter->SetNumberOfCells(csc::Integer(args, "--cells"));
  filter->SetNumberOfAppearances(csc::Integer(args, "--appearances"));
  filter->SetNumberOfResponses(csc::Integer(args, "--responses"));
  filter->SetAppearanceSize(csc::Integer(args, "--appearance-size"));
  filter->SetResponseLength(F);
  filter->SetFrameRate(frameRate);
  filter->SetSpikePenalty(args.Number("--penalty"));
  filter->SetNumberOfIterations(csc::Integer(args, "--iterations"));
  filter->SetMinimumSignificance(args.Number("--min-significance"));
  filter->SetLambdaTV(args.Has("--lambda-tv") ? args.Number("--lambda-tv") : -1.0);
  filter->SetRandomInitialization(args.Has("--random-init"));
  filter->SetSeed(csc::Integer(args, "--seed"));
  filter->SetLearnResponses(!args.Has("--fixed-responses"));
  if (!givenResponses.empty())
  {
    filter->SetInitialResponses(givenResponses);
  }
  const double seconds = UpdateWithProgressBar(filter.GetPointer(), "space-time deconvolution", [&]() {
    const auto & objective = filter->GetObjective();
    return objective.empty() ? std::string("first iteration")
                             : "iteration " + std::to_string(objective.size()) + ", " +
                                 std::to_string(filter->GetCells().size()) + " cells";
  });

  const auto & cells = filter->GetCells();
  const auto & spikes = filter->GetSpikes();
  const size_t K = cells.size(), T = movie->GetLargestPossibleRegion().GetSize()[N];
  csc::WriteTextOutput(spikesPath, [&](std::ostream & out) {
    out << "cell_id,frame,count,time_s,amplitude,response\n";
    for (const auto & spike : spikes)
    {
      out << spike.Trace + 1 << "," << spike.Frame << "," << spike.Count << "," << spike.Frame / frameRate << ","
          << spike.Amplitude << "," << spike.Response << "\n";
    }
  });
  if (args.Has("--output-cells"))
  {
    csc::WriteTextOutput(args.Get("--output-cells"), [&](std::ostream & out) {
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
      std::vector<size_t> counts(K, 0);
      for (const auto & spike : spikes)
      {
        counts[spike.Trace] += spike.Count;
      }
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
  if (args.Has("--output-traces"))
  {
    csc::WriteTextOutput(args.Get("--output-traces"), [&](std::ostream & out) {
      out << "cell_id,frame,time_s,dff,denoised_dff\n";
      for (size_t k = 0; k < K; ++k)
      {
        for (size_t t = 0; t < T; ++t)
        {
          out << k + 1 << "," << t << "," << t / frameRate << "," << filter->GetTraces()[k + t * K] << ","
              << filter->GetDenoisedTraces()[k + t * K] << "\n";
        }
      }
    });
  }
  if (args.Has("--output-responses"))
  {
    WriteResponses(args.Get("--output-responses"), filter->GetResponses(), F, frameRate);
  }
  csc::WriteImageIfRequested(args, "--output-labels", filter->GetLabelImage());
  csc::WriteImageIfRequested(args, "--output-fit", filter->GetOutput());
  csc::WriteImageIfRequested(args, "--output-background", filter->GetSpatialBackground());
  if (args.Has("--output-appearances"))
  {
    using StackType = itk::Image<float, N + 1>;
    auto                         stack = StackType::New();
    typename StackType::SizeType size;
    size.Fill(filter->GetAppearanceSize());
    size[N] = filter->GetNumberOfAppearances();
    stack->SetRegions(size);
    stack->Allocate();
    float * out = stack->GetBufferPointer();
    for (const auto & H : filter->GetAppearances())
    {
      out = std::transform(H.begin(), H.end(), out, [](double h) { return static_cast<float>(h); });
    }
    csc::WriteImageOutput(stack.GetPointer(), args.Get("--output-appearances"));
  }
  if (args.Has("--output-raster"))
  {
    csc::WriteImageOutput(
      RasterPicture(filter->GetTraces().data(), filter->GetDenoisedTraces().data(), K, T, spikes).GetPointer(),
      args.Get("--output-raster"));
  }
  if (args.Has("--output-overlay"))
  {
    csc::WriteImageOutput(OverlayPicture(movie.GetPointer(), filter.GetPointer()).GetPointer(),
                          args.Get("--output-overlay"));
  }
  size_t count = 0;
  for (const auto & spike : spikes)
  {
    count += spike.Count;
  }
  if (args.Has("--report"))
  {
    csc::Json report{ { "tool", "SpaceTimeDeconvolution" }, { "mode", "movie" } };
    report["parameters"] = { { "input", args.Get("--input") },
                             { "cells", filter->GetNumberOfCells() },
                             { "appearances", filter->GetNumberOfAppearances() },
                             { "responses", filter->GetNumberOfResponses() },
                             { "appearance_size", filter->GetAppearanceSize() },
                             { "response_length", F },
                             { "lambda_tv", filter->GetLambdaTV() },
                             { "iterations", filter->GetNumberOfIterations() },
                             { "min_significance", filter->GetMinimumSignificance() },
                             { "frame_rate", frameRate },
                             { "penalty", filter->GetSpikePenalty() } };
    report["objective_per_iteration"] = filter->GetObjective();
    report["objective_per_block_step"] = filter->GetBlockObjectives();
    report["rejected_block_steps"] = filter->GetNumberOfRejectedSteps();
    report["responses"] = filter->GetResponses();
    report["temporal_background"] = filter->GetTemporalBackground();
    report["cells"] = K;
    report["spikes"] = count;
    report["seconds"] = seconds;
    report["peak_memory_mb"] = csc::PeakResidentMegabytes();
    csc::WriteJsonOutput(args.Get("--report"), report);
  }
  csc::SlicerReport::Instance().Set("numberOfSpikes", double(count));
  csc::SlicerReport::Instance().Set("numberOfTraces", double(K));
  std::cout << K << " cells, " << count << " spikes; spikes: " << spikesPath << "\nseconds " << seconds
            << ", peak memory " << csc::PeakResidentMegabytes() << " MB\n";
  return 0;
}
} // namespace stdmovie

#endif
