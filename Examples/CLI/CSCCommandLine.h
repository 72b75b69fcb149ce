// Helpers shared by the module's command-line tools: flags, progress, reports, safe writes,
// pictures. Header-only; each tool includes it once.
#ifndef CSCCommandLine_h
#define CSCCommandLine_h

#include "CSCInputs.h"
#include "CSCOutputs.h"
#include "itkConvolutionalSparseCodingEnums.h"
#include "itkImage.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include <array>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace csc
{
/** One number, parsed completely (no trailing characters), finite. */
inline double
ParseNumber(const std::string & text, const std::string & flag)
{
  try
  {
    size_t       used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value))
    {
      return value;
    }
  }
  catch (const std::exception &)
  {}
  throw UsageError(flag + " needs a finite number, got '" + text + "'");
}

/** --flag value and --switch parsing against a declared set of flags. */
class Arguments
{
public:
  Arguments(int argc, char * argv[], const std::set<std::string> & valued, const std::set<std::string> & switches)
  {
    for (int i = 1; i < argc; ++i)
    {
      const std::string arg = argv[i];
      if (m_Values.count(arg))
      {
        throw UsageError(arg + " is given twice");
      }
      if (switches.count(arg))
      {
        m_Values[arg] = "1";
      }
      else if (valued.count(arg))
      {
        if (i + 1 >= argc)
        {
          throw UsageError(arg + " needs a value");
        }
        const std::string value = argv[++i];
        if (valued.count(value) || switches.count(value))
        {
          throw UsageError(arg + " needs a value, but the next argument is the option " + value);
        }
        m_Values[arg] = value;
      }
      else
      {
        throw UsageError("unknown option '" + arg + "' (see --help)");
      }
    }
  }
  bool
  Has(const std::string & flag) const
  {
    return m_Values.count(flag) > 0;
  }
  std::string
  Get(const std::string & flag, const std::string & fallback = "") const
  {
    auto it = m_Values.find(flag);
    return it == m_Values.end() ? fallback : it->second;
  }
  std::string
  Required(const std::string & flag) const
  {
    if (!Has(flag))
    {
      throw UsageError(flag + " is required (see --help)");
    }
    return Get(flag);
  }
  double
  Number(const std::string & flag, double fallback) const
  {
    if (!Has(flag))
    {
      return fallback;
    }
    return ParseNumber(Get(flag), flag);
  }

private:
  std::map<std::string, std::string> m_Values;
};

/** Comma-separated numbers (the only separator; spaces around a number are allowed). */
inline std::vector<double>
ParseNumberList(const std::string & text, const std::string & flag)
{
  std::vector<double> values;
  std::stringstream   stream(text);
  std::string         item;
  while (std::getline(stream, item, ','))
  {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.find_first_of(" \t;") != std::string::npos)
    {
      throw UsageError(flag + ": separate the numbers with commas, e.g. 1,2,4 (got '" + text + "')");
    }
    values.push_back(ParseNumber(item, flag));
  }
  if (values.empty() || (!text.empty() && text.back() == ','))
  {
    throw UsageError(flag + " needs a comma-separated list of numbers, got '" + text + "'");
  }
  return values;
}

/** Comma-separated integers in [minimum, maximum]. */
inline std::vector<unsigned int>
ParseIntegerList(const std::string & text, const std::string & flag, double minimum, double maximum)
{
  std::vector<unsigned int> values;
  for (const double value : ParseNumberList(text, flag))
  {
    if (value != std::floor(value) || value < minimum || value > maximum)
    {
      std::ostringstream message;
      message << flag << " needs integers from " << minimum << " to " << maximum << ", got " << value;
      throw UsageError(message.str());
    }
    values.push_back(static_cast<unsigned int>(value));
  }
  return values;
}

/** --stride F[,F2[,F3]]: one value for every axis or one per axis, each at least 1 (all 1 when
 * the flag is absent). */
template <unsigned int VDimension>
std::array<unsigned int, VDimension>
ParseStride(const Arguments & args)
{
  std::array<unsigned int, VDimension> stride;
  stride.fill(1);
  if (!args.Has("--stride"))
  {
    return stride;
  }
  const auto values = ParseIntegerList(args.Get("--stride"), "--stride", 1, 1e9);
  if (values.size() != 1 && values.size() != VDimension)
  {
    throw UsageError("--stride needs 1 or " + std::to_string(VDimension) + " integers for " +
                     std::to_string(VDimension) + "-D images");
  }
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    stride[d] = values[values.size() == 1 ? 0 : d];
  }
  return stride;
}

/** "2, 2": a stride as a comma-separated list. */
template <typename TStride>
std::string
StrideList(const TStride & stride)
{
  std::string text;
  for (const auto value : stride)
  {
    text += (text.empty() ? "" : ", ") + std::to_string(value);
  }
  return text;
}

/** A flag's value among fixed choices, or its default. */
inline std::string
Choice(const Arguments & args, const std::string & flag, const std::string & fallback,
       const std::vector<std::string> & choices)
{
  const std::string value = args.Get(flag, fallback);
  if (std::find(choices.begin(), choices.end(), value) == choices.end())
  {
    std::string list;
    for (const auto & choice : choices)
    {
      list += (list.empty() ? "" : "|") + choice;
    }
    throw UsageError(flag + " must be " + list + ", got '" + value + "'");
  }
  return value;
}

/** An integer flag of at least \c minimum (0 or 1), or its default. */
inline unsigned int
BoundedInteger(const Arguments & args, const std::string & flag, double fallback, unsigned int minimum)
{
  const double value = args.Number(flag, fallback);
  if (value < minimum || value != std::floor(value) || value > 4294967295.0)
  {
    throw UsageError(flag + " must be an integer from " + std::to_string(minimum) + " to 4294967295, got '" +
                     args.Get(flag) + "'");
  }
  return static_cast<unsigned int>(value);
}

/** A positive integer flag, or its default. */
inline unsigned int
PositiveInteger(const Arguments & args, const std::string & flag, double fallback)
{
  return BoundedInteger(args, flag, fallback, 1);
}

/** --solver, --boundary, --max-iterations and --tolerance, shared by the coding tools. */
struct SolverFlags
{
  std::string Solver;
  std::string Boundary;
};
template <typename TFilter>
SolverFlags
ApplySolverFlags(const Arguments & args, TFilter * filter, const std::string & defaultBoundary,
                 unsigned int defaultIterations, const std::vector<std::string> & solvers = { "admm", "fista" })
{
  using Enums = itk::ConvolutionalSparseCodingEnums;
  SolverFlags                                flags{ Choice(args, "--solver", "admm", solvers),
                     Choice(args, "--boundary", defaultBoundary, { "periodic", "zeropadded" }) };
  const std::map<std::string, Enums::Solver> byName{ { "admm", Enums::Solver::ADMM },
                                                     { "fista", Enums::Solver::FISTA },
                                                     { "lca", Enums::Solver::LCA },
                                                     { "threshold", Enums::Solver::Thresholding },
                                                     { "mp", Enums::Solver::MatchingPursuit },
                                                     { "omp", Enums::Solver::OrthogonalMatchingPursuit } };
  filter->SetSolver(byName.at(flags.Solver));
  filter->SetBoundaryCondition(flags.Boundary == "periodic" ? Enums::Boundary::Periodic : Enums::Boundary::ZeroPadded);
  filter->SetMaximumNumberOfIterations(PositiveInteger(args, "--max-iterations", defaultIterations));
  filter->SetRelativeTolerance(args.Number("--tolerance", 1e-4));
  return flags;
}

/** --help, flags and errors as exit codes (2: the user's mistake, 1: anything else), each
 * naming the tool, around body(args). The run's outputs (OutputSet) are moved into place only
 * when body succeeds; otherwise none is left. */
template <typename TBody>
int
Guarded(const char * tool, const char * usage, int argc, char * argv[], const std::set<std::string> & valued,
        const std::set<std::string> & switches, TBody && body)
{
  OutputSet::InstallSignalHandlers();
  auto fail = [tool](const std::string & message, int status) {
    OutputSet::Instance().Discard();
    std::cerr << tool << ": error: " << message << "\n";
    return status;
  };
  try
  {
    for (int i = 1; i < argc; ++i)
    {
      if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h")
      {
        std::cout << usage
                  << "  --compress            zlib-compress the image outputs whose format can (smaller, slower)\n";
        return 0;
      }
    }
    std::set<std::string> allSwitches = switches;
    allSwitches.insert("--compress");
    const Arguments args(argc, argv, valued, allSwitches);
    OutputSet::Instance().SetCompression(args.Has("--compress"));
    const int status = body(args);
    if (status != 0)
    {
      OutputSet::Instance().Discard();
      return status;
    }
    OutputSet::Instance().Commit();
    return 0;
  }
  catch (const UsageError & e)
  {
    return fail(e.what(), 2);
  }
  catch (const itk::ExceptionObject & e)
  {
    return fail(Describe(e), 1);
  }
  catch (const std::exception & e)
  {
    return fail(e.what(), 1);
  }
}

/** The tools' common main(): Guarded(), with a 2-D or 3-D run chosen by the input's dimension. */
template <typename TRun2, typename TRun3>
int
Main(const char * tool, const char * usage, int argc, char * argv[], const std::set<std::string> & valued,
     const std::set<std::string> & switches, TRun2 && run2, TRun3 && run3)
{
  return Guarded(tool, usage, argc, argv, valued, switches, [&](const Arguments & args) {
    const unsigned int dimension = ImageDimensionOf(args.Required("--input"), "input");
    if (dimension == 2)
    {
      return run2(args);
    }
    if (dimension == 3)
    {
      return run3(args);
    }
    throw UsageError("the input must be a 2-D or 3-D image; '" + args.Get("--input") + "' is " +
                     std::to_string(dimension) + "-D");
  });
}

inline double
PeakResidentMegabytes()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
class ProgressBar
{
public:
  explicit ProgressBar(std::string label)
    : m_Label(std::move(label))
    , m_Enabled(isatty(2) != 0)
  {}
  void
  Update(double fraction, const std::string & detail)
  {
    if (!m_Enabled)
    {
      return;
    }
    const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 30);
    std::fprintf(stderr,
                 "\r%s [%s%s] %3d%% %s   ",
                 m_Label.c_str(),
                 std::string(filled, '#').c_str(),
                 std::string(30 - filled, '.').c_str(),
                 static_cast<int>(fraction * 100),
                 detail.c_str());
    std::fflush(stderr);
  }
  void
  Finish()
  {
    if (m_Enabled)
    {
      std::fprintf(stderr, "\n");
    }
  }

private:
  std::string m_Label;
  bool        m_Enabled;
};

inline std::string
JsonString(const std::string & text)
{
  std::string out = "\"";
  for (char c : text)
  {
    if (c == '"' || c == '\\')
    {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

inline std::string
JsonNumber(double value)
{
  if (!std::isfinite(value))
  {
    return "null";
  }
  std::ostringstream stream;
  stream.precision(12);
  stream << value;
  return stream.str();
}

/** The transforms an iteration of \c solver ran on, as a JSON field: the FFT domain and the
 * number of channels (kernels). Benchmarks time 2 x channels transforms of that size as the
 * iteration's unit. */
template <typename TSolver>
std::string
TransformJson(const TSolver * solver)
{
  if (solver == nullptr || solver->GetOperator() == nullptr)
  {
    return "null";
  }
  const auto &       op = *solver->GetOperator();
  std::ostringstream out;
  out << "{\"size\": [";
  for (size_t d = 0; d < op.GetDomainSize().size(); ++d)
  {
    out << (d ? ", " : "") << op.GetDomainSize()[d];
  }
  out << "], \"channels\": " << op.GetNumberOfKernels() << "}";
  return out.str();
}

/** Declares the image output of \c flag, if given: checked before any work (OutputSet). */
template <typename TImage>
void
DeclareImageOutput(const Arguments & args, const std::string & flag)
{
  if (args.Has(flag))
  {
    OutputSet::Instance().DeclareImage<TImage>(flag, args.Get(flag));
  }
}

/** Declares the text output (report, CSV) of \c flag, if given. */
inline void
DeclareTextOutput(const Arguments & args, const std::string & flag)
{
  if (args.Has(flag))
  {
    OutputSet::Instance().DeclareText(flag, args.Get(flag));
  }
}

/** Stages a text output: write(stream) fills it; it is moved into place with the run's other
 * outputs when the run succeeds. */
template <typename TWrite>
void
WriteTextOutput(const std::string & path, TWrite && write)
{
  OutputSet::Instance().StageText(path, write);
}

/** Stages an image output, moved into place with the run's other outputs. */
template <typename TImage>
void
WriteImageOutput(const TImage * image, const std::string & path)
{
  OutputSet::Instance().StageImage(path, image);
}

/** Stages the image where --flag says, if given, and tells where. */
template <typename TImage>
void
WriteImageIfRequested(const Arguments & args, const std::string & flag, const TImage * image)
{
  if (args.Has(flag))
  {
    WriteImageOutput(image, args.Get(flag));
    std::cout << flag.substr(flag.rfind("output-") == 2 ? 9 : 2) << ": " << args.Get(flag) << "\n";
  }
}

/** Runs the filter with a progress bar on a terminal; returns the seconds it took. If given,
 * untilLastIteration receives the seconds from the start to the last IterationEvent (set-up
 * and iterations, without what the filter does after the solve). */
template <typename TFilter>
double
UpdateWithProgress(TFilter * filter, const std::string & label, double * untilLastIteration = nullptr)
{
  ProgressBar progress(label);
  const auto  start = std::chrono::steady_clock::now();
  bool        iterating = true;
  // The bar follows ProgressEvent, which also covers work after the last iteration (source
  // fitting); the detail names the iteration while the solver runs.
  const auto iterationTag = filter->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    iterating = filter->GetIteration() < filter->GetMaximumNumberOfIterations();
    if (untilLastIteration)
    {
      *untilLastIteration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  });
  const auto progressTag = filter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    std::ostringstream detail;
    if (iterating)
    {
      detail << "iteration " << filter->GetIteration() << " objective " << filter->GetObjective();
    }
    else
    {
      detail << "after the solve";
    }
    progress.Update(filter->GetProgress(), detail.str());
  });
  auto       removeObservers = [&]() {
    filter->RemoveObserver(iterationTag);
    filter->RemoveObserver(progressTag);
    progress.Finish();
  };
  try
  {
    filter->Update();
  }
  catch (...)
  {
    removeObservers();
    throw;
  }
  removeObservers();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

using PictureType = itk::Image<unsigned char, 2>;

/** Maps a 2-D float array to 8 bits between its 1st and 99th percentiles. */
inline std::vector<unsigned char>
ContrastStretch(const std::vector<float> & values)
{
  std::vector<float> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  const float                low = sorted[sorted.size() / 100];
  const float                high = sorted[sorted.size() - 1 - sorted.size() / 100];
  const float                range = high > low ? high - low : 1.0f;
  std::vector<unsigned char> out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
  {
    out[i] = static_cast<unsigned char>(std::clamp((values[i] - low) / range, 0.0f, 1.0f) * 255.0f + 0.5f);
  }
  return out;
}

/** Panels of equal size side by side with a 4-pixel gap, each contrast-stretched. */
inline PictureType::Pointer
SideBySide(const std::vector<std::vector<float>> & panels, size_t width, size_t height)
{
  const size_t gap = 4;
  auto         picture = PictureType::New();
  picture->SetRegions(PictureType::SizeType{ { panels.size() * (width + gap) - gap, height } });
  picture->Allocate(true);
  picture->FillBuffer(255);
  const size_t stride = picture->GetLargestPossibleRegion().GetSize()[0];
  for (size_t p = 0; p < panels.size(); ++p)
  {
    const auto bytes = ContrastStretch(panels[p]);
    for (size_t y = 0; y < height; ++y)
    {
      std::copy_n(bytes.begin() + y * width, width, picture->GetBufferPointer() + y * stride + p * (width + gap));
    }
  }
  return picture;
}
/** The K kernels tiled on a grid, each stretched between its own extremes (the central slice
 * of 3-D kernels), magnified so that a tap is a visible square. */
inline PictureType::Pointer
Mosaic(const float * kernels, const std::vector<size_t> & size, unsigned int K)
{
  const size_t width = size[0], height = size[1];
  const size_t slice = size.size() > 2 ? size[2] / 2 : 0;
  const size_t zoom = std::max<size_t>(1, 48 / std::max(width, height));
  const size_t columns = static_cast<size_t>(std::ceil(std::sqrt(double(K))));
  const size_t rows = (K + columns - 1) / columns;
  const size_t gap = 2, tileW = width * zoom, tileH = height * zoom;
  auto         picture = PictureType::New();
  picture->SetRegions(PictureType::SizeType{ { columns * (tileW + gap) + gap, rows * (tileH + gap) + gap } });
  picture->Allocate();
  picture->FillBuffer(128);
  const size_t stride = picture->GetLargestPossibleRegion().GetSize()[0];
  const size_t taps = width * height * (size.size() > 2 ? size[2] : 1);
  for (unsigned int k = 0; k < K; ++k)
  {
    const float * h = kernels + k * taps + slice * width * height;
    const auto    range = std::minmax_element(h, h + width * height);
    const float   low = *range.first, span = std::max(*range.second - low, 1e-12f);
    const size_t  x0 = gap + (k % columns) * (tileW + gap), y0 = gap + (k / columns) * (tileH + gap);
    for (size_t y = 0; y < tileH; ++y)
    {
      for (size_t x = 0; x < tileW; ++x)
      {
        const float v = (h[(y / zoom) * width + x / zoom] - low) / span;
        picture->GetBufferPointer()[(y0 + y) * stride + x0 + x] = static_cast<unsigned char>(v * 255.0f + 0.5f);
      }
    }
  }
  return picture;
}

} // namespace csc

#endif
