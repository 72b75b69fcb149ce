// GroupSparseSourceLocalization: finds stars, spots or cells in a 2-D or 3-D image by
// convolutional group-sparse coding, and writes the source list, maps and an overlay picture.
#include "CSCCommandLine.h"
#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkImageFileReader.h"
#include "itkRGBPixel.h"
#include "itkSourceKernelBank.h"
#include <chrono>
#include <fstream>

namespace
{
const char * const Usage =
  R"(Usage: GroupSparseSourceLocalization --input image (--kernels "DESCRIPTION" | --dictionary d.mha)
         [--groups "0;1;2,3,4"] --lambda L --output-sources sources.csv [options]

Solves  min_{x>=0} 1/2 || w (sum_k h_k * x_k - s) ||^2 + lambda sum_i sum_p || x_{group p}[i] ||_2
with every kernel scaled to unit l1 norm (a coefficient is a flux), then reports the local maxima
of the source map y = sum of the foreground maps as sources.

  --input FILE               2-D or 3-D image (any format ITK reads)
  --kernels DESCRIPTION      kernel bank, terms separated by ';' (each term is one group):
                               gauss:1,2,5   disk:3,5   ring:5,7   exemplar:X,Y[,R]   upsample:4/3
                               file:kernel.mha   background:gauss:50 (background kernels, no group)
  --dictionary FILE          or a dictionary, (N+1)-D, last axis = kernel index
  --groups "0;1;2,3,4"       foreground groups of kernel indices (default: the description's groups,
                             or one group per kernel with --dictionary); kernels in no group are background
  --lambda L                 group-sparsity weight (required)
  --weights FILE             pixel weights w >= 0
  --threshold T              detection threshold (default 5)
  --threshold-mode snr|absolute   T is a signal-to-noise ratio (default) or a brightness
  --neighborhood-radius R    half-width of the non-maximum suppression box (default 1)
  --brightness debiased|coefficients   brightness as the least-squares fit of the source's kernel
                             (default) or as the sum of its coefficients (l1-shrunk)
  --merge-radius F           merge maxima closer than F times their size (default 1; 0 = off)
  --min-contrast C           drop sources fainter than C times a brighter source within
                             --contrast-radius times their size (artefacts; default 0 = off)
  --contrast-radius F        (default 4)
  --fit-sources              fit every source at a continuous position with its own kernel, a
                             background and a Poisson-plus-read noise model (SourceModelFitter),
                             starting from the maxima; --threshold is then the fitted SNR
                             (sqrt of the chi-square drop); merging and contrast are the fitter's
  --candidate-threshold T    with --fit-sources: coefficient SNR from which maxima seed the fit (default 1)
  --model-threshold T        with --fit-sources: SNR below which a source leaves the model (default 3)
  --kernel-normalization l1|l2|none   kernel scaling before solving (default l1, the paper's;
                             maps and brightnesses are reported in flux units either way)
  --solver admm|fista        (default admm)
  --boundary zeropadded|periodic  (default zeropadded)
  --max-iterations N         (default 300)
  --tolerance T              (default 1e-4; 0 = run all iterations)
  --output-sources FILE.csv  x,y[,z] (index), physical coordinates, amplitude, group, size, snr (required)
  --output-source-map FILE   y, the sum of the foreground coefficient maps
  --output-group-maps FILE   one map per group, (N+1)-D
  --output-foreground FILE   foreground reconstruction
  --output-background FILE   background reconstruction
  --output-dictionary FILE   the kernels used (before unit-l1 scaling)
  --output-overlay FILE.png  input with a circle per source, sized by its size, coloured by group
  --report FILE.json         parameters, statistics, noise level, counts, timing
)";

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
  detector->SetDetectionThreshold(args.Number("--threshold", 5.0));
  const std::string mode = csc::Choice(args, "--threshold-mode", "snr", { "snr", "absolute" });
  detector->SetThresholdMode(mode == "snr" ? itk::SourceLocalizationEnums::SourceThreshold::SignalToNoise
                                           : itk::SourceLocalizationEnums::SourceThreshold::Absolute);
  detector->SetNeighborhoodRadius(csc::BoundedInteger(args, "--neighborhood-radius", 1, 0));
  detector->SetDebiasBrightness(csc::Choice(args, "--brightness", "debiased", { "debiased", "coefficients" }) ==
                                "debiased");
  const double merge = args.Number("--merge-radius", 1.0);
  if (merge < 0)
  {
    throw csc::UsageError("--merge-radius must be non-negative");
  }
  detector->SetMergeRadiusFactor(merge);
  const double contrast = args.Number("--min-contrast", 0.0);
  if (!(contrast >= 0 && contrast < 1))
  {
    throw csc::UsageError("--min-contrast must lie in [0, 1)");
  }
  detector->SetMinimumContrast(contrast);
  const double contrastRadius = args.Number("--contrast-radius", 4.0);
  if (!(contrastRadius > 0))
  {
    throw csc::UsageError("--contrast-radius must be positive");
  }
  detector->SetContrastRadiusFactor(contrastRadius);
  detector->SetSourceFitting(args.Has("--fit-sources"));
  detector->SetCandidateThreshold(args.Number("--candidate-threshold", 1.0));
  const double modelThreshold = args.Number("--model-threshold", 3.0);
  if (!(modelThreshold > 0))
  {
    throw csc::UsageError("--model-threshold must be positive");
  }
  detector->GetSourceFitter()->SetModelThreshold(modelThreshold);
  if (!args.Has("--fit-sources") && (args.Has("--candidate-threshold") || args.Has("--model-threshold")))
  {
    throw csc::UsageError("--candidate-threshold and --model-threshold need --fit-sources");
  }
  const std::string normalization = csc::Choice(args, "--kernel-normalization", "l1", { "l1", "l2", "none" });
  filter->SetKernelNormalization(normalization == "l1"   ? itk::SourceLocalizationEnums::KernelNormalization::L1
                                 : normalization == "l2" ? itk::SourceLocalizationEnums::KernelNormalization::L2
                                                         : itk::SourceLocalizationEnums::KernelNormalization::None);
  return mode;
}

/** The JSON report: parameters, solver statistics, noise, sources, timings, memory. */
template <typename TFilter, typename TSolverFlags>
void
WriteReport(const csc::Arguments & args, TFilter * filter, const std::string & mode, const TSolverFlags & solverFlags,
            double seconds, double solveSeconds)
{
  const auto & sources = filter->GetSources();
  const auto & stats = filter->GetStatistics();
  const auto * detector = filter->GetSourceDetector();
  csc::WriteTextOutput(args.Get("--report"), [&](std::ostream & out) {
    out << "{\n  \"tool\": \"GroupSparseSourceLocalization\",\n  \"parameters\": {"
        << "\"input\": " << csc::JsonString(args.Get("--input"))
        << ", \"kernels\": " << csc::JsonString(args.Get("--kernels", args.Get("--dictionary")))
        << ", \"groups\": " << filter->GetGroups().size() << ", \"lambda\": " << csc::JsonNumber(filter->GetLambda())
        << ", \"threshold\": " << csc::JsonNumber(detector->GetDetectionThreshold())
        << ", \"threshold_mode\": " << csc::JsonString(mode) << ", \"solver\": " << csc::JsonString(solverFlags.Solver)
        << ", \"boundary\": " << csc::JsonString(solverFlags.Boundary)
        << ", \"max_iterations\": " << filter->GetMaximumNumberOfIterations()
        << ", \"fit_sources\": " << (detector->GetSourceFitting() ? "true" : "false") << "},\n"
        << "  \"iterations\": " << stats.Iteration << ",\n"
        << "  \"objective\": " << csc::JsonNumber(stats.Objective) << ",\n"
        << "  \"noise_sigma\": " << csc::JsonNumber(filter->GetNoiseSigma()) << ",\n";
    if (detector->GetSourceFitting())
    {
      out << "  \"fitted_noise_variance\": {\"offset\": "
          << csc::JsonNumber(detector->GetSourceFitter()->GetNoiseVarianceOffset())
          << ", \"slope\": " << csc::JsonNumber(detector->GetSourceFitter()->GetNoiseVarianceSlope()) << "},\n";
    }
    out << "  \"sources\": " << sources.size() << ",\n"
        << "  \"filter_seconds\": " << csc::JsonNumber(seconds) << ",\n"
        << "  \"solve_seconds\": " << csc::JsonNumber(solveSeconds) << ",\n"
        << "  \"transform\": " << csc::TransformJson(filter->GetSolverObject()) << ",\n"
        << "  \"detection_seconds\": " << csc::JsonNumber(seconds - solveSeconds) << ",\n"
        << "  \"peak_memory_mb\": " << csc::JsonNumber(csc::PeakResidentMegabytes()) << "\n}\n";
  });
  std::cout << "report: " << args.Get("--report") << "\n";
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args)
{
  using ImageType = itk::Image<float, VDimension>;
  using FilterType = itk::GroupSparseSourceLocalizationFilter<ImageType, float>;
  using DictionaryType = typename FilterType::DictionaryImageType;
  using BankType = itk::SourceKernelBank<float, VDimension>;
  using Enums = itk::ConvolutionalSparseCodingEnums;

  const std::string sourcesPath = args.Required("--output-sources");
  csc::DeclareTextOutput(args, "--output-sources");
  csc::DeclareImageOutput<DictionaryType>(args, "--output-source-map");
  csc::DeclareImageOutput<ImageType>(args, "--output-foreground");
  csc::DeclareImageOutput<ImageType>(args, "--output-background");
  csc::DeclareImageOutput<DictionaryType>(args, "--output-group-maps");
  csc::DeclareImageOutput<DictionaryType>(args, "--output-dictionary");
  csc::DeclareImageOutput<RGBPictureType>(args, "--output-overlay");
  csc::DeclareTextOutput(args, "--report");
  if (!args.Has("--lambda"))
  {
    throw csc::UsageError("--lambda is required (see --help)");
  }
  auto filter = FilterType::New();
  filter->SetLambda(args.Number("--lambda", 0));
  const std::string mode = ConfigureDetection(args, filter.GetPointer());
  const auto        solverFlags = csc::ApplySolverFlags(args, filter.GetPointer(), "zeropadded", 300);

  const auto image = csc::ReadImageInput<ImageType>(args.Required("--input"), "input");
  filter->SetInput(image);
  typename DictionaryType::Pointer       dictionary;
  std::vector<std::vector<unsigned int>> groups;
  if (args.Has("--kernels") == args.Has("--dictionary"))
  {
    throw csc::UsageError("give exactly one of --kernels DESCRIPTION and --dictionary FILE");
  }
  if (args.Has("--dictionary"))
  {
    const std::string  path = args.Get("--dictionary");
    const unsigned int dimension = csc::ImageDimensionOf(path, "dictionary");
    if (dimension != VDimension + 1)
    {
      throw csc::UsageError("the dictionary must be " + std::to_string(VDimension + 1) + "-D for a " +
                            std::to_string(VDimension) + "-D image, but '" + path + "' is " +
                            std::to_string(dimension) + "-D");
    }
    dictionary = csc::ReadImageInput<DictionaryType>(path, "dictionary");
  }
  else
  {
    auto bank = BankType::New();
    bank->AddFromDescription(args.Get("--kernels"), image);
    dictionary = bank->GetDictionary();
    groups = bank->GetGroups();
  }
  if (args.Has("--groups"))
  {
    groups = ParseGroups(args.Get("--groups"));
  }
  filter->SetDictionary(dictionary);
  filter->SetGroups(groups);
  if (args.Has("--weights"))
  {
    filter->SetWeights(csc::ReadImageInput<typename FilterType::RealImageType>(args.Get("--weights"), "weights"));
  }

  double       solveSeconds = 0;
  const double seconds = csc::UpdateWithProgress(filter.GetPointer(), "GroupSparseSourceLocalization", &solveSeconds);

  const auto & sources = filter->GetSources();
  csc::WriteTextOutput(sourcesPath, [&](std::ostream & out) { FilterType::WriteSourcesCSV(out, sources); });
  std::cout << "sources (" << sources.size() << "): " << sourcesPath << "\n";
  csc::WriteImageIfRequested(args, "--output-source-map", filter->GetSourceMap());
  csc::WriteImageIfRequested(args, "--output-foreground", filter->GetForeground());
  csc::WriteImageIfRequested(args, "--output-background", filter->GetBackground());
  csc::WriteImageIfRequested(args, "--output-group-maps", filter->GetGroupMaps());
  csc::WriteImageIfRequested(args, "--output-dictionary", dictionary.GetPointer());
  if (args.Has("--output-overlay"))
  {
    const auto picture = Overlay(image.GetPointer(), sources);
    csc::WriteImageOutput(picture.GetPointer(), args.Get("--output-overlay"));
    std::cout << "overlay: " << args.Get("--output-overlay") << "\n";
  }
  const auto & stats = filter->GetStatistics();
  if (args.Has("--report"))
  {
    WriteReport(args, filter.GetPointer(), mode, solverFlags, seconds, solveSeconds);
  }
  std::cout << "iterations " << stats.Iteration << ", noise sigma " << filter->GetNoiseSigma() << ", " << sources.size()
            << " sources, " << seconds << " s\n";
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  return csc::Main(
    "GroupSparseSourceLocalization",
    Usage,
    argc,
    argv,
    { "--input",
      "--kernels",
      "--dictionary",
      "--groups",
      "--lambda",
      "--weights",
      "--threshold",
      "--threshold-mode",
      "--neighborhood-radius",
      "--kernel-normalization",
      "--merge-radius",
      "--min-contrast",
      "--contrast-radius",
      "--brightness",
      "--candidate-threshold",
      "--model-threshold",
      "--solver",
      "--boundary",
      "--max-iterations",
      "--tolerance",
      "--output-sources",
      "--output-source-map",
      "--output-group-maps",
      "--output-foreground",
      "--output-background",
      "--output-dictionary",
      "--output-overlay",
      "--report" },
    { "--fit-sources" },
    [](const csc::Arguments & args) { return Run<2>(args); },
    [](const csc::Arguments & args) { return Run<3>(args); });
}
