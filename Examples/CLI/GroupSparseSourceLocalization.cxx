// GroupSparseSourceLocalization: finds stars, spots or cells in a 2-D or 3-D image by
// convolutional group-sparse coding, and writes the source list, maps and an overlay picture.
#include "CSCTiles.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkImageFileReader.h"
#include "itkRGBPixel.h"
#include "itkSourceKernelBank.h"
#include <chrono>
#include <fstream>

namespace
{
using csc::Kind;
using csc::Parameter;

/** The sparsity weight and how maxima become sources: the "Detection" options. */
csc::ParameterGroup
DetectionGroup()
{
  return {
    "Detection",
    "The sparsity weight and how maxima become sources.",
    { Parameter(Kind::Float, "lambda", "Lambda", "group-sparsity weight (required)").Range(0).Hint("L"),
      Parameter(Kind::Float, "threshold", "Detection threshold", "detection threshold").Default("5").Hint("T"),
      Parameter(Kind::Enumeration, "threshold-mode", "Threshold mode", "T is a signal-to-noise ratio or a brightness")
        .Choices({ "snr", "absolute" })
        .Default("snr"),
      Parameter(
        Kind::Integer, "neighborhood-radius", "Neighbourhood radius", "half-width of the non-maximum suppression box")
        .Default("1")
        .Range(0)
        .Hint("R"),
      Parameter(Kind::Enumeration,
                "brightness",
                "Brightness",
                "brightness as the least-squares fit of the source's kernel or as the sum of its coefficients "
                "(l1-shrunk)")
        .Choices({ "debiased", "coefficients" })
        .Default("debiased"),
      Parameter(Kind::Float, "merge-radius", "Merge radius", "merge maxima closer than F times their size (0 = off)")
        .Default("1")
        .Range(0)
        .Hint("F"),
      Parameter(Kind::Float,
                "min-contrast",
                "Minimum contrast",
                "drop sources fainter than C times a brighter source within --contrast-radius times their "
                "size (artefacts; 0 = off)")
        .Default("0")
        .Range(0, 1)
        .Hint("C"),
      Parameter(Kind::Float, "contrast-radius", "Contrast radius", "see --min-contrast").Default("4").Hint("F"),
      Parameter(Kind::Boolean,
                "fit-sources",
                "Fit sources",
                "fit every source at a continuous position with its own kernel, a background and a "
                "Poisson-plus-read noise model (SourceModelFitter), starting from the maxima; --threshold is "
                "then the fitted SNR (sqrt of the chi-square drop); merging and contrast are the fitter's"),
      Parameter(Kind::Float,
                "candidate-threshold",
                "Candidate threshold",
                "with --fit-sources: coefficient SNR from which maxima seed the fit")
        .Default("1")
        .Hint("T"),
      Parameter(Kind::Float,
                "model-threshold",
                "Model threshold",
                "with --fit-sources: SNR below which a source leaves the model")
        .Default("3")
        .Hint("T") }
  };
}

csc::ToolDescription
Description()
{
  return {
    "GroupSparseSourceLocalization",
    "Group-Sparse Source Localization",
    "Usage: GroupSparseSourceLocalization --input image (--kernels \"DESCRIPTION\" | --dictionary d.mha)\n"
    "         [--groups \"0;1;2,3,4\"] --lambda L --output-sources sources.csv [options]",
    "Solves min_{x>=0} 1/2 || w (sum_k h_k * x_k - s) ||^2 + lambda sum_i sum_p || x_{group p}[i] ||_2 with "
    "every kernel scaled to unit l1 norm (a coefficient is a flux), then reports the local maxima of the source "
    "map y = sum of the foreground maps as sources (stars, spots, cells).",
    { { "Input and output",
        "The image, the kernels and the source list.",
        { Parameter(Kind::Image, "input", "Input image", "2-D or 3-D image (any format ITK reads)").Positional(0),
          Parameter(Kind::File,
                    "output-sources",
                    "Sources (CSV)",
                    "x,y[,z] (index), physical coordinates, amplitude, group, size, snr (required)")
            .Output(".csv")
            .Positional(1),
          Parameter(Kind::String,
                    "kernels",
                    "Kernel bank",
                    "kernel bank, terms separated by ';' (each term is one group): gauss:1,2,5 disk:3,5 ring:5,7 "
                    "exemplar:X,Y[,R] upsample:4/3 file:kernel.mha background:gauss:50 (background kernels, no group)")
            .Hint("DESCRIPTION"),
          Parameter(Kind::Image, "dictionary", "Dictionary", "or a dictionary, (N+1)-D, last axis = kernel index"),
          Parameter(Kind::String,
                    "groups",
                    "Groups",
                    "foreground groups of kernel indices, e.g. \"0;1;2,3,4\" (default: the description's groups, or "
                    "one group per kernel with --dictionary); kernels in no group are background")
            .Hint("\"0;1;2,3,4\""),
          Parameter(Kind::Image, "weights", "Weights", "pixel weights w >= 0"),
          Parameter(Kind::Image, "output-source-map", "Source map", "y, the sum of the foreground coefficient maps")
            .Output(),
          Parameter(Kind::Image, "output-group-maps", "Group maps", "one map per group, (N+1)-D").Output(),
          Parameter(Kind::Image, "output-foreground", "Foreground", "foreground reconstruction").Output(),
          Parameter(Kind::Image, "output-background", "Background", "background reconstruction").Output(),
          Parameter(Kind::Image, "output-dictionary", "Kernels used", "the kernels used (before unit-l1 scaling)")
            .Output(),
          Parameter(Kind::File,
                    "output-overlay",
                    "Overlay",
                    "input with a circle per source, sized by its size, coloured by group")
            .Output(".png"),
          csc::ReportParameter("parameters, statistics, noise level, counts, timing"),
          csc::CompressParameter() } },
      DetectionGroup(),
      { "Solver",
        "The coding problem's solver.",
        { Parameter(Kind::Enumeration,
                    "kernel-normalization",
                    "Kernel normalization",
                    "kernel scaling before solving (l1 is the paper's; maps and brightnesses are reported in flux "
                    "units either way)")
            .Choices({ "l1", "l2", "none" })
            .Default("l1"),
          Parameter(Kind::Enumeration, "solver", "Solver", "the coding solver")
            .Choices({ "admm", "fista" })
            .Default("admm"),
          Parameter(Kind::Enumeration, "boundary", "Boundary", "the convolution's boundary")
            .Choices({ "zeropadded", "periodic" })
            .Default("zeropadded"),
          Parameter(Kind::Integer, "max-iterations", "Maximum iterations", "iterations at most")
            .Default("300")
            .Range(1)
            .Hint("N"),
          Parameter(Kind::Float, "tolerance", "Tolerance", "relative change to stop at (0 = run all iterations)")
            .Default("1e-4")
            .Range(0)
            .Hint("T") },
        true },
      csc::TilingGroup() },
    { { Kind::Integer, "numberOfSources", "Sources found", "the number of sources reported" },
      { Kind::Float, "noiseSigma", "Noise sigma", "the robust noise level of the image" },
      { Kind::Integer, "iterations", "Iterations", "iterations the solver ran" } }
  };
}
/** --groups: kernel indices separated by commas, groups by semicolons ("0,1;2"). */
std::vector<std::vector<unsigned int>>
ParseGroups(const std::string & text)
{
  if (text.find_first_not_of(" \t") == std::string::npos)
  {
    throw csc::UsageError("--groups is empty; give e.g. \"0,1;2\" or leave it out to use the description's groups");
  }
  std::vector<std::vector<unsigned int>> groups;
  std::stringstream                      stream(text);
  std::string                            group;
  while (std::getline(stream, group, ';'))
  {
    groups.push_back(csc::ParseIntegerList(group, "--groups", 0, 1e6));
  }
  if (text.back() == ';')
  {
    throw csc::UsageError("--groups ends with ';' (an empty group)");
  }
  return groups;
}

using RGBPictureType = itk::Image<itk::RGBPixel<unsigned char>, 2>;

/** The input (middle slice in 3-D) contrast-stretched, with a circle per source near it. */
template <typename TImage, typename TSources>
RGBPictureType::Pointer
Overlay(const TImage * image, const TSources & sources)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  const auto             size = image->GetLargestPossibleRegion().GetSize();
  const size_t           width = size[0], height = size[1];
  const size_t           slice = Dimension == 3 ? size[Dimension - 1] / 2 : 0;
  const float *          first = image->GetBufferPointer() + slice * width * height;
  const auto             gray = csc::ContrastStretch(std::vector<float>(first, first + width * height));
  auto                   picture = RGBPictureType::New();
  picture->SetRegions(RGBPictureType::SizeType{ { width, height } });
  picture->Allocate();
  itk::RGBPixel<unsigned char> * out = picture->GetBufferPointer();
  for (size_t i = 0; i < width * height; ++i)
  {
    out[i].Fill(gray[i]);
  }
  const unsigned char palette[][3] = { { 255, 64, 64 }, { 64, 255, 64 }, { 64, 160, 255 }, { 255, 220, 0 },
                                       { 255, 0, 255 }, { 0, 255, 255 }, { 255, 140, 0 },  { 180, 120, 255 } };
  for (const auto & source : sources)
  {
    if (Dimension == 3 && std::abs(source.Index[Dimension - 1] - static_cast<double>(slice)) > 1.5)
    {
      continue;
    }
    const double          cx = source.Index[0], cy = source.Index[1];
    const double          radius = std::max(2.5, 2.0 * source.EffectiveSize);
    const unsigned char * colour = palette[source.Group % 8];
    const int             steps = static_cast<int>(std::ceil(2 * 3.14159265 * radius * 2));
    for (int s = 0; s < steps; ++s)
    {
      const double angle = 2 * 3.14159265358979 * s / steps;
      const long   x = std::lround(cx + radius * std::cos(angle));
      const long   y = std::lround(cy + radius * std::sin(angle));
      if (x >= 0 && y >= 0 && x < static_cast<long>(width) && y < static_cast<long>(height))
      {
        out[y * width + x].Set(colour[0], colour[1], colour[2]);
      }
    }
  }
  return picture;
}

/** The detection settings of the command line; returns the threshold mode's name. */
template <typename TFilter>
std::string
ConfigureDetection(const csc::Arguments & args, TFilter * filter)
{
  auto * detector = filter->GetSourceDetector();
  detector->SetDetectionThreshold(args.Number("--threshold"));
  const std::string mode = csc::Choice(args, "--threshold-mode");
  detector->SetThresholdMode(mode == "snr" ? itk::SourceLocalizationEnums::SourceThreshold::SignalToNoise
                                           : itk::SourceLocalizationEnums::SourceThreshold::Absolute);
  detector->SetNeighborhoodRadius(csc::Integer(args, "--neighborhood-radius"));
  detector->SetDebiasBrightness(csc::Choice(args, "--brightness") == "debiased");
  const double merge = args.Number("--merge-radius");
  if (merge < 0)
  {
    throw csc::UsageError("--merge-radius must be non-negative");
  }
  detector->SetMergeRadiusFactor(merge);
  const double contrast = args.Number("--min-contrast");
  if (!(contrast >= 0 && contrast < 1))
  {
    throw csc::UsageError("--min-contrast must lie in [0, 1)");
  }
  detector->SetMinimumContrast(contrast);
  const double contrastRadius = args.Number("--contrast-radius");
  if (!(contrastRadius > 0))
  {
    throw csc::UsageError("--contrast-radius must be positive");
  }
  detector->SetContrastRadiusFactor(contrastRadius);
  detector->SetSourceFitting(args.Has("--fit-sources"));
  detector->SetCandidateThreshold(args.Number("--candidate-threshold"));
  const double modelThreshold = args.Number("--model-threshold");
  if (!(modelThreshold > 0))
  {
    throw csc::UsageError("--model-threshold must be positive");
  }
  detector->GetSourceFitter()->SetModelThreshold(modelThreshold);
  if (!args.Has("--fit-sources") && (args.Has("--candidate-threshold") || args.Has("--model-threshold")))
  {
    throw csc::UsageError("--candidate-threshold and --model-threshold need --fit-sources");
  }
  const std::string normalization = csc::Choice(args, "--kernel-normalization");
  filter->SetKernelNormalization(normalization == "l1"   ? itk::SourceLocalizationEnums::KernelNormalization::L1
                                 : normalization == "l2" ? itk::SourceLocalizationEnums::KernelNormalization::L2
                                                         : itk::SourceLocalizationEnums::KernelNormalization::None);
  return mode;
}

/** The JSON report: parameters, solver statistics, noise, sources, timings, memory. */
template <typename TFilter, typename TSolverFlags>
void
WriteReport(const csc::Arguments & args, TFilter * filter, const typename TFilter::SourceListType & sources,
            double noiseSigma, const std::string & mode, const TSolverFlags & solverFlags, double seconds,
            double solveSeconds)
{
  const auto & stats = filter->GetStatistics();
  const auto * detector = filter->GetSourceDetector();
  csc::Json    report{ { "tool", "GroupSparseSourceLocalization" } };
  report["parameters"] = { { "input", args.Get("--input") },
                           { "kernels", args.Get("--kernels", args.Get("--dictionary")) },
                           { "groups", filter->GetGroups().size() },
                           { "lambda", filter->GetLambda() },
                           { "threshold", detector->GetDetectionThreshold() },
                           { "threshold_mode", mode },
                           { "solver", solverFlags.Solver },
                           { "boundary", solverFlags.Boundary },
                           { "max_iterations", filter->GetMaximumNumberOfIterations() },
                           { "fit_sources", detector->GetSourceFitting() } };
  report["iterations"] = stats.Iteration;
  report["objective"] = stats.Objective;
  report["noise_sigma"] = noiseSigma;
  if (args.Has("--tile-size") || args.Has("--memory-budget") || args.Has("--mpi"))
  {
    report["tiling"] = csc::TilingReport(args, filter->GetHaloRadii());
  }
  if (detector->GetSourceFitting())
  {
    report["fitted_noise_variance"] = { { "offset", detector->GetSourceFitter()->GetNoiseVarianceOffset() },
                                        { "slope", detector->GetSourceFitter()->GetNoiseVarianceSlope() } };
  }
  report["sources"] = sources.size();
  report["filter_seconds"] = seconds;
  report["solve_seconds"] = solveSeconds;
  report["transform"] = csc::TransformJson(filter->GetSolverObject());
  report["iteration_timing"] = csc::IterationTimingJson(filter->GetHistory());
  report["detection_seconds"] = seconds - solveSeconds;
  report["peak_memory_mb"] = csc::PeakResidentMegabytes();
  csc::WriteJsonOutput(args.Get("--report"), report);
  std::cout << "report: " << args.Get("--report") << "\n";
}

/** The dictionary and its groups, from --dictionary or a --kernels description (whose
 * exemplar terms read pixels from \c pixels, the image when it is in memory). */
template <unsigned int VDimension>
struct DictionaryAndGroups
{
  typename itk::Image<float, VDimension + 1>::Pointer Dictionary;
  std::vector<std::vector<unsigned int>>              Groups;
};
template <unsigned int VDimension>
DictionaryAndGroups<VDimension>
ReadDictionary(const csc::Arguments & args, const itk::Image<float, VDimension> * pixels,
               const itk::Image<float, VDimension> * image)
{
  DictionaryAndGroups<VDimension> result;
  if (args.Has("--kernels") == args.Has("--dictionary"))
  {
    throw csc::UsageError("give exactly one of --kernels DESCRIPTION and --dictionary FILE");
  }
  if (args.Has("--dictionary"))
  {
    result.Dictionary = csc::ReadDictionaryInput<VDimension>(args.Get("--dictionary"));
  }
  else
  {
    if (pixels == nullptr && args.Get("--kernels").find("exemplar:") != std::string::npos)
    {
      throw csc::UsageError("exemplar kernels are cut from the image in memory, which --tile-size avoids: cut the "
                            "exemplar into a kernel file once (--output-dictionary) and give it as file:kernel.mha");
    }
    auto bank = itk::SourceKernelBank<float, VDimension>::New();
    bank->AddFromDescription(args.Get("--kernels"), pixels != nullptr ? pixels : image);
    result.Dictionary = bank->GetDictionary();
    result.Groups = bank->GetGroups();
  }
  if (args.Has("--groups"))
  {
    result.Groups = ParseGroups(args.Get("--groups"));
  }
  return result;
}

/** The source list, noise level and seconds of a run: whole, or gathered tile by tile. */
template <typename TFilter>
struct Localized
{
  typename TFilter::SourceListType Sources;
  double                           NoiseSigma{ 0 };
  double                           Seconds{ 0 };
  double                           SolveSeconds{ 0 };
};

/** --mpi: every rank's sources and tile noise levels, on rank 0 (a source as 2N + 4 numbers). */
template <unsigned int Dimension>
void
GatherSources(std::vector<itk::LocalizedSource<Dimension>> & sources, std::vector<double> & noise)
{
  const auto & mpi = csc::MpiSession::Instance();
  if (!mpi.Active())
  {
    return;
  }
  std::vector<double> packed;
  for (const auto & source : sources)
  {
    packed.insert(packed.end(), source.Index.Begin(), source.Index.End());
    packed.insert(packed.end(), source.Point.Begin(), source.Point.End());
    packed.insert(packed.end(),
                  { source.Brightness, double(source.Group), source.EffectiveSize, source.SignalToNoise });
  }
  const auto all = mpi.Gather(packed);
  noise = mpi.Gather(noise);
  sources.clear();
  for (size_t i = 0; i + 2 * Dimension + 4 <= all.size(); i += 2 * Dimension + 4)
  {
    itk::LocalizedSource<Dimension> source;
    std::copy_n(all.begin() + i, Dimension, source.Index.Begin());
    std::copy_n(all.begin() + i + Dimension, Dimension, source.Point.Begin());
    source.Brightness = all[i + 2 * Dimension];
    source.Group = static_cast<unsigned int>(all[i + 2 * Dimension + 1]);
    source.EffectiveSize = all[i + 2 * Dimension + 2];
    source.SignalToNoise = all[i + 2 * Dimension + 3];
    sources.push_back(source);
  }
}

/** --tile-size: every tile's core solved and detected in turn, its maps pasted into the outputs,
 * its sources (those its core owns) gathered; the noise level is the tiles' median. */
template <typename TFilter>
Localized<TFilter>
LocalizeTileByTile(const csc::Arguments & args, TFilter * filter)
{
  const auto tiles = csc::SplitFilterIntoTiles(args, filter);
  filter->UpdateOutputInformation();
  csc::TiledImageOutputs outputs;
  outputs.Add(args, "--output-source-map", filter->GetSourceMap());
  outputs.Add(args, "--output-foreground", filter->GetForeground());
  outputs.Add(args, "--output-background", filter->GetBackground());
  outputs.Add(args, "--output-group-maps", filter->GetGroupMaps());
  Localized<TFilter>  result;
  std::vector<double> noise;
  result.Seconds = csc::UpdateTilesWithProgress(
    filter, filter->GetSourceMap(), tiles, "GroupSparseSourceLocalization", [&](const auto &) {
      outputs.WriteTile();
      result.Sources.insert(result.Sources.end(), filter->GetSources().begin(), filter->GetSources().end());
      noise.push_back(filter->GetNoiseSigma());
    });
  csc::TiledImageOutputs::Finish();
  GatherSources(result.Sources, noise);
  std::stable_sort(result.Sources.begin(), result.Sources.end(), [](const auto & a, const auto & b) {
    return a.Brightness > b.Brightness;
  });
  if (!noise.empty()) // rank 0's, or the only process's
  {
    std::nth_element(noise.begin(), noise.begin() + noise.size() / 2, noise.end());
    result.NoiseSigma = noise[noise.size() / 2];
  }
  result.SolveSeconds = result.Seconds;
  csc::ReportTiles(tiles.size(), filter->GetHaloRadii());
  return result;
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args)
{
  using ImageType = itk::Image<float, VDimension>;
  using FilterType = itk::GroupSparseSourceLocalizationFilter<ImageType, float>;
  using DictionaryType = typename FilterType::DictionaryImageType;
  using BankType = itk::SourceKernelBank<float, VDimension>;

  const bool        tiled = csc::StartTiling(args);
  const std::string sourcesPath = args.Required("--output-sources");
  csc::DeclareTextOutput(args, "--output-sources");
  if (tiled)
  {
    csc::TiledImageOutputs::Declare<ImageType>(args, "--output-source-map");
    csc::TiledImageOutputs::Declare<ImageType>(args, "--output-foreground");
    csc::TiledImageOutputs::Declare<ImageType>(args, "--output-background");
    csc::TiledImageOutputs::Declare<DictionaryType>(args, "--output-group-maps");
  }
  else
  {
    csc::DeclareImageOutput<ImageType>(args, "--output-source-map");
    csc::DeclareImageOutput<ImageType>(args, "--output-foreground");
    csc::DeclareImageOutput<ImageType>(args, "--output-background");
    csc::DeclareImageOutput<DictionaryType>(args, "--output-group-maps");
  }
  csc::DeclareImageOutput<DictionaryType>(args, "--output-dictionary");
  csc::DeclareImageOutput<RGBPictureType>(args, "--output-overlay");
  csc::DeclareTextOutput(args, "--report");
  if (!args.Has("--lambda"))
  {
    throw csc::UsageError("--lambda is required (see --help)");
  }
  auto filter = FilterType::New();
  filter->SetLambda(args.Number("--lambda", 0.0));
  const std::string mode = ConfigureDetection(args, filter.GetPointer());
  const auto        solverFlags = csc::ApplySolverFlags(args, filter.GetPointer());
  csc::ConfigureTiling(args, filter.GetPointer(), tiled, solverFlags);

  // Tiled: the input stays in its file, read a tile at a time.
  typename itk::ImageFileReader<ImageType>::Pointer reader;
  typename ImageType::Pointer                       image;
  if (tiled)
  {
    reader = csc::StreamedImageInput<ImageType>(args.Required("--input"), "input");
    image = reader->GetOutput();
  }
  else
  {
    image = csc::ReadImageInput<ImageType>(args.Required("--input"), "input");
  }
  filter->SetInput(image);
  const auto dictionary = ReadDictionary<VDimension>(args, tiled ? nullptr : image.GetPointer(), image.GetPointer());
  filter->SetDictionary(dictionary.Dictionary);
  filter->SetGroups(dictionary.Groups);
  typename itk::ImageFileReader<typename FilterType::RealImageType>::Pointer weightsReader;
  if (args.Has("--weights") && tiled)
  {
    weightsReader = csc::StreamedImageInput<typename FilterType::RealImageType>(args.Get("--weights"), "weights");
    filter->SetWeights(weightsReader->GetOutput());
  }
  else if (args.Has("--weights"))
  {
    filter->SetWeights(csc::ReadImageInput<typename FilterType::RealImageType>(args.Get("--weights"), "weights"));
  }

  Localized<FilterType> result;
  if (tiled)
  {
    result = LocalizeTileByTile(args, filter.GetPointer());
    if (!csc::MpiSession::Instance().IsRoot())
    {
      return 0; // rank 0 writes the sources and the report; every rank has pasted its tiles
    }
  }
  else
  {
    result.Seconds =
      csc::UpdateWithProgress(filter.GetPointer(), "GroupSparseSourceLocalization", &result.SolveSeconds);
    result.Sources = filter->GetSources();
    result.NoiseSigma = filter->GetNoiseSigma();
    csc::WriteImageIfRequested(args, "--output-source-map", filter->GetSourceMap());
    csc::WriteImageIfRequested(args, "--output-foreground", filter->GetForeground());
    csc::WriteImageIfRequested(args, "--output-background", filter->GetBackground());
    csc::WriteImageIfRequested(args, "--output-group-maps", filter->GetGroupMaps());
  }
  const auto & sources = result.Sources;
  csc::WriteTextOutput(sourcesPath, [&](std::ostream & out) { FilterType::WriteSourcesCSV(out, sources); });
  std::cout << "sources (" << sources.size() << "): " << sourcesPath << "\n";
  csc::WriteImageIfRequested(args, "--output-dictionary", dictionary.Dictionary.GetPointer());
  if (args.Has("--output-overlay"))
  {
    // The picture needs the whole image: a tiled run reads it now (leave the overlay out when it does not fit).
    const auto whole = tiled ? csc::ReadImageInput<ImageType>(args.Get("--input"), "input") : image;
    const auto picture = Overlay(whole.GetPointer(), sources);
    csc::WriteImageOutput(picture.GetPointer(), args.Get("--output-overlay"));
    std::cout << "overlay: " << args.Get("--output-overlay") << "\n";
  }
  const auto & stats = filter->GetStatistics();
  if (args.Has("--report"))
  {
    WriteReport(
      args, filter.GetPointer(), sources, result.NoiseSigma, mode, solverFlags, result.Seconds, result.SolveSeconds);
  }
  csc::SlicerReport::Instance().Set("numberOfSources", double(sources.size()));
  csc::SlicerReport::Instance().Set("noiseSigma", result.NoiseSigma);
  csc::SlicerReport::Instance().Set("iterations", stats.Iteration);
  std::cout << "iterations " << stats.Iteration << ", noise sigma " << result.NoiseSigma << ", " << sources.size()
            << " sources, " << result.Seconds << " s\n";
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  return csc::Main(
    Description(),
    argc,
    argv,
    [](const csc::Arguments & args) { return Run<2>(args); },
    [](const csc::Arguments & args) { return Run<3>(args); });
}
