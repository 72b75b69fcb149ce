// SpaceTimeDeconvolution: calcium imaging to cells and spike trains. Movie mode (--input): sparse
// space-time deconvolution of a 2-D+t or 3-D+t movie (SpaceTimeDeconvolutionMovie.h); traces mode
// (--input-traces): sparse temporal deconvolution (STD) of fluorescence traces.
#include "CSCCommandLine.h"
#include "SpaceTimeDeconvolutionMovie.h"
#include "itkSparseTemporalDeconvolutionFilter.h"
#include <chrono>
#include <fstream>

namespace
{
using csc::Kind;
using csc::Parameter;

/** The traces or the movie, and every output: the "Input and output" options. */
csc::ParameterGroup
InputOutputGroup()
{
  return {
    "Input and output",
    "The traces and the spike trains.",
    { Parameter(Kind::File,
                "input-traces",
                "Traces",
                "a 2-D image, x = trace, y = time (last axis = time), or a CSV with one trace per row "
                "(comma-separated samples; '#' lines and a non-numeric header row are skipped)")
        .Extension(".mha,.nrrd,.nii,.csv"),
      Parameter(Kind::Image,
                "input",
                "Movie",
                "movie mode: a 2-D+t or 3-D+t image, last axis time (instead of --input-traces)"),
      Parameter(Kind::File,
                "output-spikes",
                "Spikes (CSV)",
                "traces: trace,frame,count,time_s,amplitude,response; movie: cell_id,frame,...")
        .Output(".csv")
        .Positional(0),
      Parameter(Kind::File, "output-responses", "Responses (CSV)", "frame,time_s,response_0,... (unit l2 norm)")
        .Output(".csv"),
      Parameter(Kind::Image,
                "output-fit",
                "Fit",
                "the denoised traces b + sum f * s, or the denoised movie B (1 + cells), laid out as the input")
        .Output(),
      Parameter(Kind::Image, "output-labels", "Cell labels", "movie: cell footprints, label k + 1 for cell k").Output(),
      Parameter(Kind::File,
                "output-cells",
                "Cells (CSV)",
                "movie: id,x,y[,z],physical_x,...,appearance,mean_dff,spike_dff,significance,spikes")
        .Output(".csv"),
      Parameter(Kind::File, "output-traces", "Traces (CSV)", "movie: cell_id,frame,time_s,dff,denoised_dff")
        .Output(".csv"),
      Parameter(Kind::Image,
                "output-appearances",
                "Appearances",
                "movie: the learned appearances, one per slice along the last axis")
        .Output(),
      Parameter(Kind::Image, "output-background", "Background", "movie: the spatial background B_s").Output(),
      Parameter(Kind::File,
                "output-overlay",
                "Overlay",
                "movie: cell contours, coloured by appearance, on the temporal mean image")
        .Output(".png"),
      Parameter(
        Kind::File, "output-raster", "Raster", "spike raster of the traces (or cells) above examples with their fit")
        .Output(".png"),
      csc::ReportParameter("parameters, responses, objective per pass, counts, seconds"),
      csc::CompressParameter() }
  };
}

/** Responses, penalty and spike unit: the "Model" options. */
csc::ParameterGroup
ModelGroup()
{
  return {
    "Model",
    "Responses, penalty and spike unit.",
    { Parameter(Kind::Integer, "response-length", "Response length", "response length in frames (required)")
        .Range(1)
        .Hint("F"),
      Parameter(Kind::Integer, "responses", "Responses", "number of response types").Default("1").Range(1).Hint("L"),
      Parameter(Kind::Float, "frame-rate", "Frame rate", "frames per second, for the times in the outputs")
        .Default("30")
        .Hint("HZ"),
      Parameter(Kind::Integer,
                "iterations",
                "Iterations",
                "traces: response updates of the free-amplitude stage; movie: outer iterations")
        .Default("2")
        .Range(0)
        .Hint("N"),
      Parameter(Kind::Float, "penalty", "Penalty", "l0 penalty of the free-amplitude passes, in noise variances")
        .Default("1")
        .Range(0)
        .Hint("KAPPA"),
      Parameter(Kind::Float,
                "spike-unit",
                "Spike unit",
                "height of one spike at the response's peak (default: the median spike height of all traces, "
                "then refitted per trace)")
        .Range(0)
        .Hint("U") }
  };
}

csc::ToolDescription
Description()
{
  return {
    "SpaceTimeDeconvolution",
    "Sparse Space-Time Deconvolution",
    "Usage: SpaceTimeDeconvolution --input movie.mha --response-length F --output-spikes spikes.csv\n"
    "         [--output-labels labels.mha --output-cells cells.csv ...] [options]\n"
    "       SpaceTimeDeconvolution --input-traces traces.mha|traces.csv --response-length F\n"
    "         --output-spikes spikes.csv [options]",
    "Sparse space-time deconvolution (Peter et al., NIPS 2014). Movie mode (--input, a 2-D+t or 3-D+t image, last "
    "axis time): up to K cells, each one of J learned appearances at one location with truly sparse spikes through "
    "one of L learned responses, over a background B_s(x) b_t whose B_s is smooth (total variation), fitted in "
    "Delta F / F; outputs cells, labels, spikes, traces, appearances, responses, background and an overlay. Traces "
    "mode (--input-traces), sparse temporal deconvolution: "
    "each fluorescence trace y becomes non-negative, truly sparse spikes s with min 1/2 || y - b - sum_l f_l * s_l "
    "||^2 + kappa sigma^2 ||s||_0, sigma the trace's noise level, the responses f_l (unit l2 norm, non-negative, "
    "F frames) learned from all traces or given; then a last stage counts whole spikes per frame, each of the "
    "trace's single-spike height, with the penalty of the trace's spike rate.",
    { InputOutputGroup(),
      { "Movie model",
        "Cells, appearances and background (movie mode).",
        { Parameter(Kind::Integer, "cells", "Cells", "the most cells").Default("50").Range(1).Hint("K"),
          Parameter(Kind::Integer, "appearances", "Appearances", "number of cell appearances (shapes)")
            .Default("2")
            .Range(1)
            .Hint("J"),
          Parameter(Kind::Integer, "appearance-size", "Appearance size", "appearance window in pixels per axis, odd")
            .Default("21")
            .Range(1)
            .Hint("H"),
          Parameter(Kind::Float,
                    "lambda-tv",
                    "Background TV",
                    "lambda of the background's total variation (default: a TV prox at twice the noise of the "
                    "temporal mean image)")
            .Range(0)
            .Hint("T"),
          Parameter(Kind::Float,
                    "min-significance",
                    "Minimum significance",
                    "significance a cell needs: the log of its temporal variance over the noise's, in standard "
                    "deviations under noise")
            .Default("7")
            .Hint("Z") } },
      ModelGroup(),
      { "Response initialisation",
        "Where the response learning starts.",
        { Parameter(Kind::Float,
                    "initial-decay",
                    "Initial decay",
                    "initial responses exp(-k / (TAU l)), in frames (default: the traces' decay time, from their "
                    "autocovariance)")
            .Range(0)
            .Hint("TAU"),
          Parameter(Kind::Boolean,
                    "random-init",
                    "Random initialisation",
                    "traces: initial responses, movie: initial appearances, truncated non-negative noise (--seed)"),
          Parameter(Kind::Integer, "seed", "Seed", "seed of --random-init").Default("0").Range(0).Hint("S"),
          Parameter(Kind::File,
                    "given-responses",
                    "Given responses",
                    "responses to start from (columns response_0 ... as written by --output-responses); with "
                    "--fixed-responses they are not learned")
            .Extension(".csv"),
          Parameter(Kind::Boolean, "fixed-responses", "Fixed responses", "do not learn the responses") },
        true },
      { "Tiling",
        "Movie mode: solve the frame tile by tile, reading the movie and writing the fit in pieces.",
        { Parameter(Kind::Integer,
                    "tile-size",
                    "Tile size",
                    "solve tile by tile: cores of N pixels per axis over the frame (all frames each), each grown by "
                    "--halo; a cell belongs to the tile whose core holds its position; the movie is read and "
                    "--output-fit written (uncompressed .mha/.mhd) in pieces. Each tile learns its own appearances "
                    "and responses (numbered tile by tile in the outputs). Default: the whole frame at once")
            .Range(1)
            .Hint("N"),
          Parameter(Kind::Float,
                    "halo",
                    "Halo",
                    "with --tile-size: the margin around each core, in appearance radii (floor(H/2) pixels)")
            .Default("2")
            .Range(0)
            .Hint("R") },
        true } },
    { { Kind::Integer, "numberOfSpikes", "Spikes", "spikes found in all traces" },
      { Kind::Integer, "numberOfTraces", "Traces", "traces deconvolved (cells, in movie mode)" } }
  };
}
using TraceImageType = itk::Image<float, 2>;
using FilterType = itk::SparseTemporalDeconvolutionFilter<TraceImageType>;

/** Numbers of a CSV row; false for a header or comment row. */
bool
ParseCsvRow(const std::string & line, std::vector<double> & values)
{
  values.clear();
  std::stringstream stream(line);
  for (std::string cell; std::getline(stream, cell, ',');)
  {
    char *       end = nullptr;
    const double value = std::strtod(cell.c_str(), &end);
    while (end && *end && std::isspace(static_cast<unsigned char>(*end)))
    {
      ++end;
    }
    if (cell.empty() || end == cell.c_str() || (end && *end))
    {
      return false;
    }
    values.push_back(value);
  }
  return !values.empty();
}

/** The numeric rows of a CSV file (a first non-numeric row is a header; '#' rows are comments). */
std::vector<std::vector<double>>
ReadCsvRows(const std::string & path, const std::string & what)
{
  std::ifstream file(path);
  if (!file)
  {
    throw std::runtime_error("cannot read the " + what + " '" + path + "'");
  }
  std::vector<std::vector<double>> rows;
  std::vector<double>              values;
  size_t                           number = 0;
  for (std::string line; std::getline(file, line);)
  {
    ++number;
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos)
    {
      continue;
    }
    if (!ParseCsvRow(line, values))
    {
      if (number == 1)
      {
        continue;
      }
      throw std::runtime_error("the " + what + " '" + path + "' has a non-numeric value on line " +
                               std::to_string(number));
    }
    if (!rows.empty() && values.size() != rows[0].size())
    {
      throw std::runtime_error("the " + what + " '" + path + "' has " + std::to_string(values.size()) +
                               " values on line " + std::to_string(number) + " but " + std::to_string(rows[0].size()) +
                               " on the first data line");
    }
    rows.push_back(values);
  }
  if (rows.empty())
  {
    throw std::runtime_error("the " + what + " '" + path + "' has no data row");
  }
  return rows;
}

TraceImageType::Pointer
ReadTraces(const std::string & path)
{
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  if (!csv)
  {
    if (csc::ImageDimensionOf(path, "input traces") != 2)
    {
      throw csc::UsageError("--input-traces '" + path + "' must be a 2-D image (x = trace, y = time)");
    }
    return csc::ReadImageInput<TraceImageType>(path, "input traces");
  }
  const auto rows = ReadCsvRows(path, "input traces");
  auto       image = TraceImageType::New();
  image->SetRegions(TraceImageType::SizeType{ { rows.size(), rows[0].size() } });
  image->Allocate();
  for (size_t p = 0; p < rows.size(); ++p)
  {
    for (size_t t = 0; t < rows[p].size(); ++t)
    {
      image->GetBufferPointer()[p + t * rows.size()] = static_cast<float>(rows[p][t]);
    }
  }
  return image;
}

/** Responses from a CSV written by --output-responses (columns after frame,time_s) or plain
 * columns, one per response. */
std::vector<FilterType::ResponseType>
ReadResponses(const std::string & path)
{
  std::ifstream file(path);
  std::string   header;
  const bool    written = file && std::getline(file, header) && header.rfind("frame,time_s", 0) == 0;
  const auto    rows = ReadCsvRows(path, "given responses");
  const size_t  first = written ? 2 : 0;
  if (rows[0].size() <= first)
  {
    throw std::runtime_error("the given responses '" + path + "' have no response column");
  }
  std::vector<FilterType::ResponseType> responses(rows[0].size() - first);
  for (const auto & row : rows)
  {
    for (size_t l = first; l < row.size(); ++l)
    {
      responses[l - first].push_back(row[l]);
    }
  }
  return responses;
}

void
WriteReport(const csc::Arguments & args, const FilterType * filter, double frameRate, double seconds)
{
  size_t count = 0;
  for (const auto & spike : filter->GetSpikes())
  {
    count += spike.Count;
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  csc::Json report{ { "tool", "SpaceTimeDeconvolution" }, { "mode", "traces" } };
  report["parameters"] = {
    { "input_traces", args.Get("--input-traces") },    { "response_length", filter->GetResponseLength() },
    { "responses", filter->GetNumberOfResponses() },   { "frame_rate", frameRate },
    { "iterations", filter->GetNumberOfIterations() }, { "penalty", filter->GetPenaltyInNoiseVariances() },
    { "learn_responses", filter->GetLearnResponses() }
  };
  report["objective_per_pass"] = filter->GetObjective();
  report["responses"] = filter->GetResponses();
  report["noise_level_median"] = median(filter->GetNoiseLevels());
  report["spike_unit_median"] = median(filter->GetSpikeUnits());
  report["baseline_median"] = median(filter->GetBaselines());
  report["traces"] = filter->GetNoiseLevels().size();
  report["spike_events"] = filter->GetSpikes().size();
  report["spikes"] = count;
  report["seconds"] = seconds;
  report["peak_memory_mb"] = csc::PeakResidentMegabytes();
  csc::WriteJsonOutput(args.Get("--report"), report);
}

int
RunTraces(const csc::Arguments & args)
{
  args.Required("--response-length");
  const unsigned int F = csc::Integer(args, "--response-length", 1);
  const double       frameRate = args.Number("--frame-rate");
  if (!(frameRate > 0.0))
  {
    throw csc::UsageError("--frame-rate must be positive, got " + args.Get("--frame-rate"));
  }
  const double penalty = args.Number("--penalty");
  const double unit = args.Number("--spike-unit", 0.0);
  const double decay = args.Number("--initial-decay", 0.0);
  if (!(penalty >= 0.0) || !(unit >= 0.0) || !(decay >= 0.0))
  {
    throw csc::UsageError("--penalty, --spike-unit and --initial-decay must be non-negative");
  }
  if (args.Has("--fixed-responses") && !args.Has("--given-responses"))
  {
    throw csc::UsageError("--fixed-responses needs --given-responses");
  }
  for (const char * flag : { "--output-labels",
                             "--output-cells",
                             "--output-traces",
                             "--output-appearances",
                             "--output-background",
                             "--output-overlay",
                             "--tile-size" })
  {
    if (args.Has(flag))
    {
      throw csc::UsageError(std::string(flag) + " is an option of the movie mode (--input), not of --input-traces");
    }
  }
  const std::string spikesPath = args.Required("--output-spikes");
  csc::DeclareTextOutput(args, "--output-spikes");
  csc::DeclareTextOutput(args, "--output-responses");
  csc::DeclareTextOutput(args, "--report");
  csc::DeclareImageOutput<TraceImageType>(args, "--output-fit");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-raster");

  const auto traces = ReadTraces(args.Get("--input-traces"));
  auto       filter = FilterType::New();
  filter->SetInput(traces);
  filter->SetResponseLength(F);
  filter->SetNumberOfResponses(csc::Integer(args, "--responses"));
  filter->SetNumberOfIterations(csc::Integer(args, "--iterations"));
  filter->SetPenaltyInNoiseVariances(penalty);
  filter->SetSpikeUnit(unit);
  filter->SetInitialDecay(decay);
  filter->SetRandomInitialization(args.Has("--random-init"));
  filter->SetSeed(csc::Integer(args, "--seed"));
  filter->SetLearnResponses(!args.Has("--fixed-responses"));
  if (args.Has("--given-responses"))
  {
    const auto given = ReadResponses(args.Get("--given-responses"));
    if (given.size() != filter->GetNumberOfResponses() || given[0].size() != F)
    {
      throw csc::UsageError("--given-responses has " + std::to_string(given.size()) + " responses of " +
                            std::to_string(given[0].size()) + " frames; --responses and --response-length say " +
                            std::to_string(filter->GetNumberOfResponses()) + " of " + std::to_string(F));
    }
    filter->SetInitialResponses(given);
  }

  const double seconds = stdmovie::UpdateWithProgressBar(filter.GetPointer(), "sparse temporal deconvolution", [&]() {
    const auto & objective = filter->GetObjective();
    return objective.empty()
             ? std::string("first pass")
             : "pass " + std::to_string(objective.size()) + " objective " + std::to_string(objective.back());
  });

  csc::WriteTextOutput(spikesPath, [&](std::ostream & out) {
    out << "trace,frame,count,time_s,amplitude,response\n";
    for (const auto & spike : filter->GetSpikes())
    {
      out << spike.Trace << "," << spike.Frame << "," << spike.Count << "," << spike.Frame / frameRate << ","
          << spike.Amplitude << "," << spike.Response << "\n";
    }
  });
  if (args.Has("--output-responses"))
  {
    stdmovie::WriteResponses(args.Get("--output-responses"), filter->GetResponses(), F, frameRate);
  }
  csc::WriteImageIfRequested(args, "--output-fit", filter->GetFit());
  if (args.Has("--output-raster"))
  {
    const auto size = traces->GetLargestPossibleRegion().GetSize();
    csc::WriteImageOutput(
      stdmovie::RasterPicture(
        traces->GetBufferPointer(), filter->GetFit()->GetBufferPointer(), size[0], size[1], filter->GetSpikes())
        .GetPointer(),
      args.Get("--output-raster"));
  }
  if (args.Has("--report"))
  {
    WriteReport(args, filter, frameRate, seconds);
  }
  size_t count = 0;
  for (const auto & spike : filter->GetSpikes())
  {
    count += spike.Count;
  }
  csc::SlicerReport::Instance().Set("numberOfSpikes", double(count));
  csc::SlicerReport::Instance().Set("numberOfTraces", double(filter->GetNoiseLevels().size()));
  std::cout << filter->GetNoiseLevels().size() << " traces, " << count << " spikes in " << filter->GetSpikes().size()
            << " frames; spikes: " << spikesPath << "\nseconds " << seconds << ", peak memory "
            << csc::PeakResidentMegabytes() << " MB\n";
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  return csc::Guarded(Description(), argc, argv, [](const csc::Arguments & args) {
    if (args.Has("--input") == args.Has("--input-traces"))
    {
      throw csc::UsageError("give either --input (a movie) or --input-traces (traces), not both or neither");
    }
    if (!args.Has("--input"))
    {
      return RunTraces(args);
    }
    args.Required("--response-length");
    if (!(args.Number("--frame-rate") > 0.0))
    {
      throw csc::UsageError("--frame-rate must be positive, got " + args.Get("--frame-rate"));
    }
    std::vector<FilterType::ResponseType> given;
    if (args.Has("--fixed-responses") && !args.Has("--given-responses"))
    {
      throw csc::UsageError("--fixed-responses needs --given-responses");
    }
    if (args.Has("--given-responses"))
    {
      given = ReadResponses(args.Get("--given-responses"));
    }
    const unsigned int dimension = csc::ImageDimensionOf(args.Get("--input"), "input movie");
    if (dimension == 3)
    {
      return stdmovie::Run<3>(args, given);
    }
    if (dimension == 4)
    {
      return stdmovie::Run<4>(args, given);
    }
    throw csc::UsageError("--input must be a 2-D+t or 3-D+t movie (a 3-D or 4-D image); '" + args.Get("--input") +
                          "' is " + std::to_string(dimension) + "-D");
  });
}
