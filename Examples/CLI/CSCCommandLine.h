// Helpers shared by the module's command-line tools: flags, progress, reports, safe writes,
// pictures. Header-only; each tool includes it once.
#ifndef CSCCommandLine_h
#define CSCCommandLine_h

#include "CSCInputs.h"
#include "CSCOutputs.h"
#include "CSCArguments.h"
#include "CSCMpi.h"
#include "itkConvolutionalSparseCodingEnums.h"
#include "itkImage.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include "itkScopedObserver.h"
#include <nlohmann/json.hpp>
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
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace csc
{
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

/** An enumeration flag's value (checked against the table's choices when parsed), or its default. */
inline std::string
Choice(const Arguments & args, const std::string & flag)
{
  return args.Get(flag);
}

/** An integer flag (its range checked against the table when parsed), or its default. */
inline unsigned int
Integer(const Arguments & args, const std::string & flag)
{
  return static_cast<unsigned int>(args.Number(flag));
}
/** An integer flag whose default depends on other flags (the table declares none). */
inline unsigned int
Integer(const Arguments & args, const std::string & flag, unsigned int fallback)
{
  return static_cast<unsigned int>(args.Number(flag, fallback));
}

/** --solver, --boundary, --max-iterations and --tolerance, shared by the coding tools. */
struct SolverFlags
{
  std::string Solver;
  std::string Boundary;
};
template <typename TFilter>
SolverFlags
ApplySolverFlags(const Arguments & args, TFilter * filter)
{
  using Enums = itk::ConvolutionalSparseCodingEnums;
  SolverFlags                                flags{ Choice(args, "--solver"), Choice(args, "--boundary") };
  const std::map<std::string, Enums::Solver> byName{ { "admm", Enums::Solver::ADMM },
                                                     { "fista", Enums::Solver::FISTA },
                                                     { "lca", Enums::Solver::LCA },
                                                     { "threshold", Enums::Solver::Thresholding },
                                                     { "mp", Enums::Solver::MatchingPursuit },
                                                     { "omp", Enums::Solver::OrthogonalMatchingPursuit } };
  filter->SetSolver(byName.at(flags.Solver));
  filter->SetBoundaryCondition(flags.Boundary == "periodic" ? Enums::Boundary::Periodic : Enums::Boundary::ZeroPadded);
  filter->SetMaximumNumberOfIterations(Integer(args, "--max-iterations"));
  filter->SetRelativeTolerance(args.Number("--tolerance"));
  return flags;
}

/** The --report FILE.json output of a tool; \c contents says what it holds. */
inline Parameter
ReportParameter(const std::string & contents)
{
  return Parameter(Kind::File, "report", "Report", contents).Output(".json");
}

/** The --compress switch every tool declares among its outputs. */
inline Parameter
CompressParameter()
{
  return Parameter(Kind::Boolean,
                   "compress",
                   "Compress image outputs",
                   "zlib-compress the image outputs whose format can (smaller, slower)");
}

/** Slicer's conventions: results for --returnparameterfile and <filter-progress> on stdout. */
class SlicerReport
{
public:
  static SlicerReport &
  Instance()
  {
    static SlicerReport report;
    return report;
  }
  void
  Start(const std::string & tool, const std::string & returnFile)
  {
    m_Tool = tool;
    m_ReturnFile = returnFile;
    m_Results.clear();
    m_LastProgress = -1;
    if (Enabled())
    {
      std::cout << "<filter-start>\n<filter-name>" << tool << "</filter-name>\n<filter-comment>" << tool
                << " running</filter-comment>\n</filter-start>" << std::endl;
    }
  }
  bool
  Enabled() const
  {
    return !m_ReturnFile.empty();
  }
  /** Progress in [0, 1], printed when it moved by at least 1 %. */
  void
  Progress(double fraction)
  {
    if (Enabled() && fraction >= m_LastProgress + 0.01)
    {
      m_LastProgress = fraction;
      std::cout << "<filter-progress>" << std::clamp(fraction, 0.0, 1.0) << "</filter-progress>" << std::endl;
    }
  }
  /** A declared result (ReturnValue::Name). */
  void
  Set(const std::string & name, const std::string & value)
  {
    m_Results[name] = value;
  }
  void
  Set(const std::string & name, double value)
  {
    std::ostringstream text;
    text.precision(12);
    text << value;
    m_Results[name] = text.str();
  }
  /** Writes the results file (declared results only, in their order) and ends the progress. */
  void
  Finish(const ToolDescription & tool, double seconds)
  {
    if (!Enabled())
    {
      return;
    }
    std::ofstream out(m_ReturnFile);
    for (const auto & r : tool.Returns)
    {
      auto it = m_Results.find(r.Name);
      if (it != m_Results.end())
      {
        out << r.Name << " = " << it->second << "\n";
      }
    }
    if (!out.flush())
    {
      throw std::runtime_error("cannot write --returnparameterfile '" + m_ReturnFile + "'");
    }
    std::cout << "<filter-end>\n<filter-name>" << m_Tool << "</filter-name>\n<filter-time>" << seconds
              << "</filter-time>\n</filter-end>" << std::endl;
  }

private:
  std::string                        m_Tool, m_ReturnFile;
  std::map<std::string, std::string> m_Results;
  double                             m_LastProgress{ -1 };
};

/** --help, --xml, flags and errors as exit codes (2: the user's mistake, 1: anything else),
 * each naming the tool, around body(args). The run's outputs (OutputSet) are moved into place
 * only when body succeeds; otherwise none is left. */
template <typename TBody>
int
Guarded(const ToolDescription & tool, int argc, char * argv[], TBody && body)
{
  OutputSet::InstallSignalHandlers();
  auto fail = [&tool](const std::string & message, int status) {
    OutputSet::Instance().Discard();
    std::cerr << tool.Name << ": error: " << message << "\n";
    MpiSession::Instance().AbortAll(status); // with --mpi the other ranks would wait for this one
    return status;
  };
  try
  {
    for (int i = 1; i < argc; ++i)
    {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h")
      {
        std::cout << HelpText(tool);
        return 0;
      }
      if (arg == "--xml")
      {
        std::cout << ModuleDescriptionXml(tool);
        return 0;
      }
    }
    const Arguments args(tool, argc, argv);
    OutputSet::Instance().SetCompression(tool.Find("compress") != nullptr && args.Has("--compress"));
    SlicerReport::Instance().Start(tool.Name, args.ReturnParameterFile());
    const auto start = std::chrono::steady_clock::now();
    const int  status = body(args);
    if (status != 0)
    {
      OutputSet::Instance().Discard();
      return status;
    }
    OutputSet::Instance().Commit();
    SlicerReport::Instance().Finish(tool,
                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
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
Main(const ToolDescription & tool, int argc, char * argv[], TRun2 && run2, TRun3 && run3)
{
  return Guarded(tool, argc, argv, [&](const Arguments & args) {
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

/** The process's resident memory now (/proc/self/statm), in MiB; 0 where unknown. */
inline double
CurrentResidentMegabytes()
{
  std::ifstream statm("/proc/self/statm");
  double        pages = 0, resident = 0;
  if (!(statm >> pages >> resident))
  {
    return 0.0;
  }
  return resident * double(sysconf(_SC_PAGE_SIZE)) / double(1 << 20);
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
    SlicerReport::Instance().Progress(fraction);
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

/** A progress bar's observers on a filter: removed, and the bar finished, when this leaves scope,
 * however the update ends. */
class ObservedProgress
{
public:
  ObservedProgress(itk::Object * object, ProgressBar & progress)
    : m_Object(object)
    , m_Progress(progress)
  {}
  template <typename TEvent, typename TCallback>
  void
  Observe(const TEvent & event, TCallback && callback)
  {
    m_Observers.push_back(std::make_unique<itk::ScopedObserver>(*m_Object, event, std::forward<TCallback>(callback)));
  }
  ~ObservedProgress()
  {
    m_Observers.clear();
    m_Progress.Finish();
  }
  ObservedProgress(const ObservedProgress &) = delete;
  ObservedProgress &
  operator=(const ObservedProgress &) = delete;

private:
  itk::Object *                                     m_Object;
  ProgressBar &                                     m_Progress;
  std::vector<std::unique_ptr<itk::ScopedObserver>> m_Observers;
};

/** The reports' JSON (nlohmann, keys in insertion order; NaN and infinities become null). */
using Json = nlohmann::ordered_json;

/** The transforms an iteration of \c solver ran on: the FFT domain and the number of channels
 * (kernels). Benchmarks time 2 x channels transforms of that size as the iteration's unit. */
template <typename TSolver>
Json
TransformJson(const TSolver * solver)
{
  if (solver == nullptr || solver->GetOperator() == nullptr)
  {
    return nullptr;
  }
  const auto & op = *solver->GetOperator();
  return { { "size", op.GetDomainSize() }, { "channels", op.GetNumberOfKernels() } };
}

/** The solve's timing from its iteration history (ElapsedSeconds from the solve's start): the
 * set-up before the first iteration (plans, spectra, buffers) and the median iteration; null
 * with fewer than two iterations. A tiled run reports its last tile's solve. */
template <typename TStatistics>
Json
IterationTimingJson(const std::vector<TStatistics> & history)
{
  if (history.size() < 3)
  {
    return nullptr;
  }
  std::vector<double> steps;
  for (size_t i = 2; i < history.size(); ++i)
  {
    steps.push_back(history[i].ElapsedSeconds - history[i - 1].ElapsedSeconds);
  }
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  return { { "setup_seconds", history.front().ElapsedSeconds },
           { "median_iteration_seconds", steps[steps.size() / 2] } };
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

/** Stages a JSON report, indented, moved into place with the run's other outputs. */
inline void
WriteJsonOutput(const std::string & path, const Json & json)
{
  WriteTextOutput(path, [&](std::ostream & out) { out << json.dump(2) << "\n"; });
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
  ObservedProgress observed(filter, progress);
  observed.Observe(itk::IterationEvent(), [&](const itk::EventObject &) {
    iterating = filter->GetIteration() < filter->GetMaximumNumberOfIterations();
    if (untilLastIteration)
    {
      *untilLastIteration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  });
  observed.Observe(itk::ProgressEvent(), [&](const itk::EventObject &) {
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
  filter->Update();
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
