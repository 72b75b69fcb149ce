// Benchmark of the coding solvers on the shared cases (SPORCO's optima F*).
// For each case and solver: seconds per iteration (median), iterations and seconds to reach
// relative gaps 1e-2, 1e-3, 1e-4 to F*, set-up seconds (plans, spectra), peak RSS, and the
// FFT share: the time of the 2K transforms an iteration needs, with the same plans and the same
// threading, divided by the iteration time. Not a test: run it by hand (see BENCHMARKS.md).
#include "itkADMMSparseCodingSolver.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkDictionaryLearner.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkL1ProximalOperator.h"
#include "itkMatchingPursuitSparseCodingSolver.h"
#include "itkMultiLayerConvolutionalPursuit.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>

int
RhoPolicyStudy(const std::string & shared); // RhoPolicyStudy.cxx

namespace
{
struct Case
{
  std::string image;
  std::string dictionary;
  double      lambda;
  bool        nonNegative;
  double      optimum;
  unsigned    sporcoIterations; // SPORCO ADMM's iterations to a 1e-3 gap (cases/README.md; 0: not given)
};

const std::vector<Case> Cases = {
  { "barbara_hp_256", "dict_G_12x12x36", 0.05, false, 43.626046434578, 56 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.05, true, 49.593044242991, 58 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.01, false, 10.513224716350, 95 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.01, true, 12.333929575254, 0 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.05, false, 46.697753310704, 48 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.05, true, 51.291226787057, 0 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.01, false, 11.316784629928, 85 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.01, true, 12.733295562450, 0 },
  { "barbara_hp_full", "dict_G_12x12x36", 0.05, false, 198.794805684599, 52 },
};

constexpr auto Periodic = itk::MultiChannelFourierConvolution<float>::BoundaryEnum::Periodic;

/** SPORCO's ADMM iteration in FFT units (cases/README.md, measured side by side). */
constexpr double SporcoIterationUnits = 20.0;
// SPORCO's dictionary learning on dl_train_hp (../shared/cases/README.md): about 50 units per
// outer iteration, and F(D) 301.604 after its 200 iterations.
constexpr double SporcoLearningUnits = 50.0;
constexpr double SporcoFOfD = 301.604;

double
PeakRSSMegabytes()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

double
Median(std::vector<double> values)
{
  if (values.empty())
  {
    return 0;
  }
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <unsigned int VDimension>
typename itk::Image<float, VDimension>::Pointer
Read(const std::string & shared, const std::string & name)
{
  const std::string path = shared + "/cases/" + name + ".mha";
  if (!std::ifstream(path).good())
  {
    std::cerr << "missing shared case file " << path << " (../shared must sit beside the project)\n";
    std::exit(2);
  }
  return itk::ReadImage<itk::Image<float, VDimension>>(path);
}

/** Median time of the FFTs of one iteration: K inverse and K forward, the same plans, the
 * same threading; 3 untimed rounds first (first touch of the buffers, cold caches), then 31. */
double
IterationFFTSeconds(const itk::MultiChannelFourierConvolution<float> & op)
{
  const unsigned int  K = op.GetNumberOfKernels();
  auto                spatial = op.AllocateSpatial(K);
  auto                spectral = op.AllocateSpectral(K);
  std::vector<double> fftTimes;
  for (int repeat = 0; repeat < 34; ++repeat)
  {
    const auto t0 = std::chrono::steady_clock::now();
    op.ParallelFor(K, [&](itk::SizeValueType k) {
      op.InverseFFTChannel(spectral.data() + k * op.GetSpectralStride(), spatial.data() + k * op.GetSpatialStride());
      op.ForwardFFTChannel(spatial.data() + k * op.GetSpatialStride(), spectral.data() + k * op.GetSpectralStride());
    });
    if (repeat >= 3)
    {
      fftTimes.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  return Median(fftTimes);
}

/** FFT time of one iteration (K = 36, 12x12 kernels, periodic) against N log N, for the
 * shared cases' sizes and smooth neighbours of the 702x574 one. */
void
FFTScaling(unsigned planRigor)
{
  const std::vector<std::array<itk::SizeValueType, 2>> sizes = { { 256, 256 }, { 512, 512 }, { 702, 574 },
                                                                 { 704, 576 }, { 720, 576 }, { 1024, 1024 } };
  const unsigned int                                   K = 36;
  std::vector<float>                                   kernels(12 * 12 * K, 0.0f);
  for (size_t i = 0; i < kernels.size(); ++i)
  {
    kernels[i] = static_cast<float>((i * 7919 % 101) - 50) / 50.0f;
  }
  double reference = 0;
  for (const auto & size : sizes)
  {
    auto op = itk::MultiChannelFourierConvolution<float>::New();
    op->SetPlanRigor(planRigor);
    op->SetImageSize({ size[0], size[1] });
    op->SetDictionary(kernels.data(), { 12, 12 }, K);
    op->Initialize();
    const double seconds = IterationFFTSeconds(*op);
    const double n = static_cast<double>(size[0] * size[1]);
    const double perNLogN = seconds / (n * std::log2(n));
    if (reference == 0)
    {
      reference = perNLogN;
    }
    std::cout << size[0] << "x" << size[1] << ": FFTs of one iteration " << std::fixed << std::setprecision(2)
              << seconds * 1000 << " ms, time/(N log N) relative to 256x256: " << perNLogN / reference << std::endl;
  }
}

/** Dictionary learning on SPORCO's case (five 256x256 images, 32 kernels 8x8, lambda 0.1,
 * zero-mean kernels, its initial dictionary; the DictionaryLearning tool's defaults otherwise):
 * seconds per outer iteration and, timed between outer iterations (so under the same load),
 * those of the unit: the 2 N K FFTs of one coding pass, with the plans and threading of the
 * learner's operator. Medians of both, and their ratio. */
/** F(D): the coding optimum (to 1e-5) with \c dictionary fixed, summed over \c images, as the
 * DictionaryLearning tool's --evaluate computes it. */
double
CodingOptimum(const std::vector<itk::Image<float, 2>::Pointer> & images, const itk::Image<float, 3> * dictionary,
              double lambda)
{
  double sum = 0;
  for (const auto & image : images)
  {
    auto coder = itk::ConvolutionalSparseCodingImageFilter<itk::Image<float, 2>>::New();
    coder->SetInput(image);
    coder->SetDictionary(dictionary);
    coder->SetLambda(lambda);
    coder->SetMaximumNumberOfIterations(3000);
    coder->SetRelativeTolerance(1e-5);
    coder->Update();
    sum += coder->GetStatistics().Objective;
  }
  return sum;
}

/** SPORCO's dictionary learning case: the outer iteration in units (2NK FFTs timed between the
 * iterations), the whole learning time in units (set-up and first iteration included, the unit
 * timings left out) and, with \c evaluate, F(D) of the result. \c dictionaryIterations 0 keeps
 * the learner's default. */
void
DictionaryLearningIterations(const std::string & shared, unsigned int iterations, int planRigor,
                             unsigned int dictionaryIterations, bool evaluate)
{
  using LearnerType = itk::DictionaryLearner<itk::Image<float, 2>, float>;
  using Clock = std::chrono::steady_clock;
  const auto                                 stack = Read<3>(shared, "dl_train_hp");
  const auto                                 initial = Read<3>(shared, "dl_D0_8x8x32");
  const auto                                 size = stack->GetLargestPossibleRegion().GetSize();
  const size_t                               pixels = size[0] * size[1];
  auto                                       learner = LearnerType::New();
  std::vector<itk::Image<float, 2>::Pointer> images;
  for (size_t z = 0; z < size[2]; ++z)
  {
    auto slice = itk::Image<float, 2>::New();
    slice->SetRegions(itk::Image<float, 2>::SizeType{ { size[0], size[1] } });
    slice->Allocate();
    std::copy_n(stack->GetBufferPointer() + z * pixels, pixels, slice->GetBufferPointer());
    images.push_back(slice);
    learner->AddTrainingImage(slice);
  }
  const unsigned int K = static_cast<unsigned int>(initial->GetLargestPossibleRegion().GetSize()[2]);
  learner->SetInitialDictionary(initial);
  learner->SetNumberOfKernels(K);
  learner->SetKernelSize({ { 8, 8 } });
  learner->SetLambda(0.1);
  learner->SetZeroMeanKernels(true);
  learner->SetNumberOfIterations(iterations);
  if (dictionaryIterations > 0)
  {
    learner->SetDictionaryIterations(dictionaryIterations);
  }

  // An operator with the learner's plans: the same size, kernel count and plan rigor.
  const auto op = itk::MultiChannelFourierConvolution<float>::Create(
    { size[0], size[1] },
    initial->GetBufferPointer(),
    { 8, 8 },
    K,
    Periodic,
    planRigor >= 0 ? static_cast<unsigned>(planRigor) : itk::MultiChannelFourierConvolution<float>::AutomaticPlanRigor);
  auto                spatial = op->AllocateSpatial(K);
  auto                spectral = op->AllocateSpectral(K);
  std::vector<double> iterationSeconds, unitSeconds;
  Clock::time_point   resumed = Clock::now();
  learner->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    const auto stopped = Clock::now();
    if (learner->GetLearningCurve().size() > 1)
    {
      iterationSeconds.push_back(std::chrono::duration<double>(stopped - resumed).count());
    }
    for (size_t image = 0; image < size[2]; ++image)
    {
      op->ParallelFor(K, [&](itk::SizeValueType k) {
        op->InverseFFTChannel(spectral.data() + k * op->GetSpectralStride(),
                              spatial.data() + k * op->GetSpatialStride());
        op->ForwardFFTChannel(spatial.data() + k * op->GetSpatialStride(),
                              spectral.data() + k * op->GetSpectralStride());
      });
    }
    resumed = Clock::now();
    unitSeconds.push_back(std::chrono::duration<double>(resumed - stopped).count());
  });
  learner->Update();
  const auto & curve = learner->GetLearningCurve();
  const double iteration = Median(iterationSeconds);
  const double unit = Median(unitSeconds);
  std::cout << std::fixed << std::setprecision(4) << "dictionary learning, " << size[2] << " images " << size[0] << "x"
            << size[1] << ", " << K << " kernels 8x8, lambda 0.1: " << curve.size() << " outer iterations, "
            << iteration * 1000 << " ms each (median), unit (2NK = " << 2 * size[2] * K << " FFTs) " << unit * 1000
            << " ms -> " << std::setprecision(2) << iteration / unit << " units per outer iteration; objective "
            << std::setprecision(3) << curve.back().Objective << ", first iteration " << curve.front().Seconds
            << " s, peak RSS " << std::setprecision(1) << PeakRSSMegabytes() << " MB" << std::endl;
  double learning = curve.front().Seconds;
  for (const double seconds : iterationSeconds)
  {
    learning += seconds;
  }
  std::cout << "  " << learner->GetDictionaryIterations() << " dictionary and " << learner->GetCodingIterations()
            << " coding iterations per outer iteration; learning " << std::setprecision(2) << learning
            << " s = " << std::setprecision(0) << learning / unit << " units (SPORCO: 200 x " << SporcoLearningUnits
            << " = " << 200 * SporcoLearningUnits << " units to F(D) " << std::setprecision(3) << SporcoFOfD << ")";
  if (evaluate)
  {
    std::cout << std::setprecision(3) << "; F(D) " << CodingOptimum(images, learner->GetOutput(), 0.1);
  }
  std::cout << std::endl;
}

/** A tool's run in units: its JSON report's "transform" (FFT domain, channels), "iterations"
 * and "solve_seconds"; the unit, 2 x channels transforms of that domain with plans made the
 * way the tool makes them, is timed here (run it right after the tool, under the same load). */
void
UnitsOfReport(const std::string & path)
{
  std::ifstream  file(path);
  nlohmann::json report;
  try
  {
    report = nlohmann::json::parse(file);
    report.at("transform").at("size");
    report.at("iterations");
    report.at("solve_seconds");
  }
  catch (const nlohmann::json::exception &)
  {
    std::cerr << path << " is not a tool report with transform, iterations and solve_seconds\n";
    std::exit(2);
  }
  itk::MultiChannelFourierConvolution<float>::SizeType domain, ones;
  std::string                                          sizeText;
  for (const auto & n : report["transform"]["size"])
  {
    domain.push_back(n.get<itk::SizeValueType>());
    ones.push_back(1);
    sizeText += (sizeText.empty() ? "" : "x") + std::to_string(domain.back());
  }
  const unsigned int       K = report["transform"]["channels"].get<unsigned int>();
  const double             iterations = report["iterations"].get<double>();
  const std::vector<float> kernels(K, 1.0f);
  const auto   op = itk::MultiChannelFourierConvolution<float>::Create(domain, kernels.data(), ones, K, Periodic);
  const double unit = IterationFFTSeconds(*op);
  const double perIteration = report["solve_seconds"].get<double>() / iterations;
  std::cout << std::fixed << std::setprecision(2) << path << ": " << iterations << " iterations, "
            << perIteration * 1000 << " ms each (solve seconds / iterations); unit (2 x " << K << " FFTs of "
            << sizeText << ") " << unit * 1000 << " ms -> " << perIteration / unit << " units per iteration";
  if (report.contains("iteration_timing") && report["iteration_timing"].is_object())
  {
    const double median = report["iteration_timing"]["median_iteration_seconds"].get<double>();
    const double setup = report["iteration_timing"]["setup_seconds"].get<double>();
    std::cout << "; median iteration " << median * 1000 << " ms = " << median / unit << " units, solver set-up "
              << setup * 1000 << " ms = " << setup / unit << " units";
  }
  std::cout << std::endl;
}

struct Options
{
  std::string solver = "both";
  int         caseIndex = -1;
  unsigned    admmIterations = 400;
  unsigned    fistaIterations = 2000;
  double      rho = 0;
  double      alpha = 1.8;
  unsigned    rhoPeriod = 0;        // 0: the solver's automatic policy
  double      residualTarget = 0.0; // 0: automatic
  std::string shared = CSC_SHARED_DIR;
  int         planRigor = -1;           // ITK's global rigor
  unsigned    dictionaryIterations = 0; // the learner's default
  bool        evaluate = false;
};

/** Solves case \c c in process; prints the figures and returns the iterations to a 1e-3 gap
 * (0 if not reached). */
unsigned
Run(const Case & c, const std::string & solverName, const Options & options)
{
  const auto image = Read<2>(options.shared, c.image);
  const auto dictionary = Read<3>(options.shared, c.dictionary);
  const auto isize = image->GetLargestPossibleRegion().GetSize();
  const auto dsize = dictionary->GetLargestPossibleRegion().GetSize();
  const auto start = std::chrono::steady_clock::now();
  auto       op = itk::MultiChannelFourierConvolution<float>::New();
  if (options.planRigor >= 0)
  {
    op->SetPlanRigor(static_cast<unsigned>(options.planRigor));
  }
  op->SetImageSize({ isize[0], isize[1] });
  op->SetDictionary(dictionary->GetBufferPointer(), { dsize[0], dsize[1] }, dsize[2]);
  op->Initialize();
  const double setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  itk::SparseCodingSolverBase<float>::Pointer solver;
  if (solverName == "admm")
  {
    auto admm = itk::ADMMSparseCodingSolver<float>::New();
    admm->SetRho(options.rho);
    admm->SetRelaxationParameter(options.alpha);
    admm->SetAutoRhoPeriod(options.rhoPeriod);
    admm->SetResidualTarget(options.residualTarget);
    admm->SetMaximumNumberOfIterations(options.admmIterations);
    solver = admm;
  }
  else
  {
    auto fista = itk::FISTASparseCodingSolver<float>::New();
    fista->SetMaximumNumberOfIterations(options.fistaIterations);
    solver = fista;
  }
  solver->SetOperator(op);
  if (c.nonNegative)
  {
    solver->SetProximalOperator(itk::NonNegativeL1ProximalOperator<float>::New());
  }
  else
  {
    solver->SetProximalOperator(itk::L1ProximalOperator<float>::New());
  }
  solver->SetLambda(c.lambda);
  solver->SetSignal(image->GetBufferPointer());
  solver->SetRelativeTolerance(0);
  solver->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (solver->GetObjective() <= c.optimum * (1 + 1e-4))
    {
      solver->StopSolving();
    }
  });
  solver->Solve();

  const auto          history = solver->GetHistory(); // a copy: the solver is released below
  std::vector<double> perIteration;
  for (size_t i = 2; i < history.size(); ++i)
  {
    perIteration.push_back(history[i].ElapsedSeconds - history[i - 1].ElapsedSeconds);
  }
  const double iterationSeconds = Median(perIteration);
  // Peak RSS of the solve, before the FFT timing below allocates its own buffers.
  const double peakRSS = PeakRSSMegabytes();

  const unsigned int K = op->GetNumberOfKernels();
  solver = nullptr;
  const double fftSeconds = IterationFFTSeconds(*op);

  std::cout << std::fixed << std::setprecision(4);
  std::cout << c.image << " " << c.dictionary << " lambda=" << c.lambda << (c.nonNegative ? " nonneg" : "") << " "
            << solverName << ": setup " << setup << " s ("
            << (op->GetEffectivePlanRigor() == FFTW_ESTIMATE ? "FFTW_ESTIMATE" : "FFTW_MEASURE or more") << "), "
            << iterationSeconds * 1000 << " ms/iter, FFTs " << fftSeconds * 1000 << " ms (iteration/FFT "
            << std::setprecision(2) << iterationSeconds / fftSeconds << ")";
  for (double gap : { 1e-2, 1e-3, 1e-4 })
  {
    auto reached = std::find_if(history.begin(), history.end(), [&](const itk::SparseCodingIterationStatistics & s) {
      return s.Objective <= c.optimum * (1 + gap);
    });
    std::cout << std::setprecision(3) << " | " << gap << ": ";
    if (reached == history.end())
    {
      std::cout << "not in " << history.size() - 1 << " it";
    }
    else
    {
      std::cout << reached->Iteration << " it " << reached->ElapsedSeconds << " s";
    }
  }
  std::cout << " | final gap " << std::scientific << std::setprecision(2)
            << (history.back().Objective - c.optimum) / c.optimum << std::fixed << " | peak RSS "
            << std::setprecision(1) << peakRSS << " MB (8KN*4 = " << 8.0 * K * isize[0] * isize[1] * 4 / 1048576
            << " MB)" << std::endl;
  const auto reached =
    std::find_if(history.begin(), history.end(), [&](const itk::SparseCodingIterationStatistics & s) {
      return s.Objective <= c.optimum * (1 + 1e-3);
    });
  return reached == history.end() ? 0 : reached->Iteration;
}

/** Wall seconds of a child process running \c command; exits the benchmark if it fails. */
double
RunProcess(const std::vector<std::string> & command)
{
  const auto  start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0)
  {
    std::vector<char *> argv;
    for (const std::string & word : command)
    {
      argv.push_back(const_cast<char *>(word.c_str()));
    }
    argv.push_back(nullptr);
    const int quiet = open("/dev/null", O_WRONLY);
    dup2(quiet, STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
  {
    std::cerr << "the command " << command[0] << " failed\n";
    std::exit(1);
  }
  return seconds;
}

/** The ConvolutionalSparseCoding tool as a whole process (start to written output) on case
 * \c c for the iterations the in-process solve needs to a 1e-3 gap, in seconds and in units of
 * the 2K FFTs of one iteration (timed in this process between the runs); the set-up and I/O
 * share (process minus the tool's own solve seconds); and the ratio to SPORCO's solve at its
 * iteration count and 20 units per iteration. Median of \c repeats runs. */
void
WholeProcess(const Case & c, const Options & options, const std::string & tool, unsigned repeats)
{
  const unsigned iterations = Run(c, "admm", options);
  if (iterations == 0)
  {
    std::cerr << "the solve did not reach a 1e-3 gap\n";
    std::exit(1);
  }
  const auto   dictionary = Read<3>(options.shared, c.dictionary);
  const auto   image = Read<2>(options.shared, c.image);
  const auto   dsize = dictionary->GetLargestPossibleRegion().GetSize();
  const auto   isize = image->GetLargestPossibleRegion().GetSize();
  const auto   op = itk::MultiChannelFourierConvolution<float>::Create({ isize[0], isize[1] },
                                                                     dictionary->GetBufferPointer(),
                                                                     { dsize[0], dsize[1] },
                                                                     static_cast<unsigned int>(dsize[2]),
                                                                     Periodic);
  char         folder[] = "/tmp/csc-benchmark-XXXXXX";
  const char * made = mkdtemp(folder);
  if (made == nullptr)
  {
    std::cerr << "cannot make a temporary folder\n";
    std::exit(1);
  }
  const std::string              work = made;
  const std::vector<std::string> command = { tool,
                                             "--input",
                                             options.shared + "/cases/" + c.image + ".mha",
                                             "--dictionary",
                                             options.shared + "/cases/" + c.dictionary + ".mha",
                                             "--lambda",
                                             std::to_string(c.lambda),
                                             "--max-iterations",
                                             std::to_string(iterations),
                                             "--tolerance",
                                             "0",
                                             "--output-coefficients",
                                             work + "/x.mha",
                                             "--report",
                                             work + "/r.json" };
  std::vector<std::string>       withSign = command;
  if (c.nonNegative)
  {
    withSign.push_back("--nonnegative");
  }
  std::vector<double> process, solve, unit;
  for (unsigned r = 0; r < repeats; ++r)
  {
    unit.push_back(IterationFFTSeconds(*op));
    process.push_back(RunProcess(withSign));
    std::ifstream report(work + "/r.json");
    solve.push_back(nlohmann::json::parse(report, nullptr, false).value("solve_seconds", std::nan("")));
  }
  unit.push_back(IterationFFTSeconds(*op));
  std::remove((work + "/x.mha").c_str());
  std::remove((work + "/r.json").c_str());
  rmdir(work.c_str());
  const double u = Median(unit), p = Median(process), s = Median(solve);
  std::cout << std::fixed << std::setprecision(3) << "whole process, " << c.image << " " << c.dictionary
            << " lambda=" << c.lambda << (c.nonNegative ? " nonneg" : "") << ", " << iterations << " iterations: " << p
            << " s (median of " << repeats << "), solve " << s << " s, set-up and I/O " << std::setprecision(1)
            << 100 * (p - s) / p << " %; unit (2K FFTs) " << std::setprecision(2) << u * 1000 << " ms; process "
            << std::setprecision(1) << p / u << " units, " << std::setprecision(2) << s / u / iterations
            << " units per iteration";
  if (c.sporcoIterations > 0)
  {
    std::cout << "; SPORCO " << c.sporcoIterations << " iterations x " << SporcoIterationUnits << " units -> "
              << std::setprecision(1) << c.sporcoIterations * SporcoIterationUnits / (p / u) << "x";
  }
  std::cout << std::endl;
}

/** Greedy pursuits on a synthetic 1024^2 image: 16 unit-norm random 11x11 kernels, \c atoms
 * planted atoms plus noise; MP and OMP pick as many, the naive MP (every correlation recomputed
 * by FFT after each pick) 20, extrapolated. */
void
PursuitBenchmark(unsigned int atoms, int planRigor)
{
  constexpr itk::SizeValueType W = 1024, M = 11, K = 16;
  std::mt19937                 generator(7);
  std::normal_distribution<>   gaussian;
  std::vector<float>           kernels(K * M * M);
  for (itk::SizeValueType k = 0; k < K; ++k)
  {
    double norm = 0;
    for (itk::SizeValueType t = 0; t < M * M; ++t)
    {
      kernels[k * M * M + t] = static_cast<float>(gaussian(generator));
      norm += double(kernels[k * M * M + t]) * kernels[k * M * M + t];
    }
    for (itk::SizeValueType t = 0; t < M * M; ++t)
    {
      kernels[k * M * M + t] = static_cast<float>(kernels[k * M * M + t] / std::sqrt(norm));
    }
  }
  const unsigned rigor = planRigor >= 0 ? static_cast<unsigned>(planRigor) : FFTW_MEASURE;
  auto           op = itk::MultiChannelFourierConvolution<float>::Create(
    { W, W }, kernels.data(), { M, M }, K, itk::ConvolutionalSparseCodingEnums::Boundary::Periodic, rigor);
  std::vector<float>                                x(K * W * W, 0.0f), signal(W * W);
  std::uniform_int_distribution<itk::SizeValueType> position(0, K * W * W - 1);
  for (unsigned int j = 0; j < atoms; ++j)
  {
    x[position(generator)] = static_cast<float>(1.0 + std::abs(gaussian(generator)));
  }
  op->ApplyForward(x.data(), signal.data());
  for (auto & value : signal)
  {
    value += static_cast<float>(0.01 * gaussian(generator));
  }
  auto run = [&](bool orthogonal, bool local, unsigned int picks) {
    auto solver = itk::MatchingPursuitSparseCodingSolver<float>::New();
    solver->SetOperator(op);
    solver->SetProximalOperator(itk::L1ProximalOperator<float>::New());
    solver->SetSignal(signal.data());
    solver->SetOrthogonal(orthogonal);
    solver->SetLocalUpdates(local);
    solver->SetMaximumNumberOfAtoms(picks);
    const auto start = std::chrono::steady_clock::now();
    solver->Solve();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << (orthogonal ? "OMP" : "MP") << (local ? "" : " naive") << ": " << solver->GetPicks().size()
              << " atoms in " << seconds << " s of solve (relative residual " << solver->GetPrimalResidual() << ")";
    return seconds;
  };
  std::cout << std::setprecision(4);
  std::cout << "1024x1024, 16 kernels 11x11, " << atoms << " planted atoms\n";
  run(false, true, atoms);
  std::cout << "\n";
  run(true, true, atoms);
  std::cout << "\n";
  const unsigned int few = 20;
  const double       naive = run(false, false, few);
  std::cout << " -> " << naive / few * atoms << " s for " << atoms << " atoms (extrapolated)\n";
}

/** Multi-layer CSC on a 512^2 image: layer 1, 32 random unit-norm 7x7 kernels; layer 2, 64
 * random 5x5 kernels of 32 channels. Layered thresholding (the CNN forward pass) beside one
 * single-layer FISTA solve over layer 1 (100 iterations) and ML-FISTA's and ML-ISTA's iterations. */
void
MultiLayerBenchmark(int planRigor)
{
  using Layer = itk::ConvolutionalLayerOperator<float>;
  using Pursuit = itk::MultiLayerConvolutionalPursuit<float>;
  using PursuitEnum = itk::ConvolutionalSparseCodingEnums::MultiLayerPursuit;
  constexpr itk::SizeValueType W = 512;
  std::mt19937                 generator(11);
  std::normal_distribution<>   gaussian;
  auto                         randomKernels = [&](size_t count) {
    std::vector<float> values(count);
    for (auto & v : values)
    {
      v = static_cast<float>(gaussian(generator) / std::sqrt(double(count) / 32.0));
    }
    return values;
  };
  const unsigned            rigor = planRigor >= 0 ? static_cast<unsigned>(planRigor) : FFTW_MEASURE;
  const auto                periodic = itk::ConvolutionalSparseCodingEnums::Boundary::Periodic;
  const auto                k1 = randomKernels(32 * 49), k2 = randomKernels(64 * 32 * 25);
  auto                      planStart = std::chrono::steady_clock::now();
  const Layer::ConstPointer d1 = Layer::Create({ W, W }, k1.data(), { 7, 7 }, 32, 1, periodic, rigor).GetPointer();
  const Layer::ConstPointer d2 = Layer::Create({ W, W }, k2.data(), { 5, 5 }, 64, 32, periodic, rigor).GetPointer();
  const double       planSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - planStart).count();
  std::vector<float> signal(W * W);
  for (auto & v : signal)
  {
    v = static_cast<float>(gaussian(generator));
  }
  auto time = [](auto && body) {
    const auto start = std::chrono::steady_clock::now();
    body();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto pursuit = Pursuit::New();
  pursuit->SetLayers({ d1, d2 });
  pursuit->SetLambdas({ 0.5, 0.5 });
  pursuit->SetProximalOperator(itk::NonNegativeL1ProximalOperator<float>::New());
  pursuit->SetSignal(signal.data());
  pursuit->SetPursuit(PursuitEnum::LayeredThresholding);
  std::vector<double> thresholding;
  for (int repeat = 0; repeat < 5; ++repeat)
  {
    thresholding.push_back(time([&]() { pursuit->Run(); }));
  }
  pursuit->SetPursuit(PursuitEnum::MLFISTA);
  pursuit->SetMaximumNumberOfIterations(20);
  pursuit->SetRelativeTolerance(0);
  const double mlfista = time([&]() { pursuit->Run(); });
  pursuit->SetPursuit(PursuitEnum::MLISTA);
  const double mlista = time([&]() { pursuit->Run(); });

  auto fista = itk::FISTASparseCodingSolver<float>::New();
  fista->SetOperator(&d1->GetChannelOperator(0));
  fista->SetProximalOperator(itk::NonNegativeL1ProximalOperator<float>::New());
  fista->SetLambda(0.5);
  fista->SetMaximumNumberOfIterations(100);
  fista->SetRelativeTolerance(0);
  fista->SetSignal(signal.data());
  const double single = time([&]() { fista->Solve(); });
  std::cout << std::setprecision(4) << "512x512; layer 1: 32 kernels 7x7; layer 2: 64 kernels 5x5x32 (plans "
            << planSeconds << " s)\n"
            << "layered thresholding, two layers: " << Median(thresholding) << " s (median of 5)\n"
            << "single-layer FISTA over layer 1, 100 iterations: " << single << " s (" << single / 100
            << " s per iteration; thresholding = " << Median(thresholding) / (single / 100) << " iterations)\n"
            << "ML-FISTA, two layers, 20 iterations: " << mlfista << " s (" << mlfista / 20 << " s per iteration)\n"
            << "ML-ISTA, two layers, 20 iterations: " << mlista << " s (" << mlista / 20 << " s per iteration)\n";
}
} // namespace

int
main(int argc, char * argv[])
{
  Options options;
  for (int i = 1; i < argc; ++i)
  {
    const std::string arg = argv[i];
    auto              next = [&]() -> std::string {
      if (i + 1 >= argc)
      {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--solver")
      options.solver = next();
    else if (arg == "--case")
      options.caseIndex = std::stoi(next());
    else if (arg == "--rho")
      options.rho = std::stod(next());
    else if (arg == "--alpha")
      options.alpha = std::stod(next());
    else if (arg == "--residual-target")
      options.residualTarget = std::stod(next());
    else if (arg == "--rho-period")
      options.rhoPeriod = std::stoul(next());
    else if (arg == "--plan")
    {
      const std::string rigor = next();
      options.planRigor = rigor == "estimate" ? FFTW_ESTIMATE : rigor == "patient" ? FFTW_PATIENT : FFTW_MEASURE;
    }
    else if (arg == "--fft-scaling")
    {
      FFTScaling(options.planRigor >= 0 ? static_cast<unsigned>(options.planRigor) : FFTW_MEASURE);
      return 0;
    }
    else if (arg == "--shared")
      options.shared = next();
    else if (arg == "--units")
    {
      UnitsOfReport(next());
      return 0;
    }
    else if (arg == "--whole-process")
    {
      WholeProcess(Cases[std::max(options.caseIndex, 0)], options, CSC_TOOLS_DIR "/ConvolutionalSparseCoding", 5);
      return 0;
    }
    else if (arg == "--pursuit")
    {
      PursuitBenchmark(static_cast<unsigned int>(std::stoul(next())), options.planRigor);
      return 0;
    }
    else if (arg == "--multi-layer")
    {
      MultiLayerBenchmark(options.planRigor);
      return 0;
    }
    else if (arg == "--dictionary-iterations")
      options.dictionaryIterations = std::stoul(next());
    else if (arg == "--evaluate")
      options.evaluate = true;
    else if (arg == "--dictionary-learning")
    {
      DictionaryLearningIterations(
        options.shared, std::stoul(next()), options.planRigor, options.dictionaryIterations, options.evaluate);
      return 0;
    }
    else if (arg == "--rho-policy")
    {
      return RhoPolicyStudy(options.shared);
    }
    else if (arg == "--help")
    {
      std::cout
        << "ConvolutionalSparseCodingBenchmark [--solver admm|fista|both] [--case INDEX] [--rho R] "
           "[--alpha A] [--rho-period P] [--residual-target T] [--plan estimate|measure|patient] [--shared DIR]\n"
           "ConvolutionalSparseCodingBenchmark [--plan ...] --fft-scaling\n"
           "ConvolutionalSparseCodingBenchmark [--plan ...] [--shared DIR] [--dictionary-iterations D] [--evaluate] "
           "--dictionary-learning ITERATIONS\n"
           "ConvolutionalSparseCodingBenchmark [--case INDEX] [--shared DIR] --whole-process\n"
           "ConvolutionalSparseCodingBenchmark [--plan ...] --pursuit ATOMS   (MP and OMP, 1024^2, 16 kernels 11x11)\n"
           "ConvolutionalSparseCodingBenchmark [--plan ...] --multi-layer   (512^2, layers of 32 and 64 channels)\n"
           "ConvolutionalSparseCodingBenchmark --units REPORT.json   (a tool's report: its iteration in units)\n"
           "ConvolutionalSparseCodingBenchmark [--shared DIR] --rho-policy   (ADMM's rho policies on unseen images)\n";
      for (size_t j = 0; j < Cases.size(); ++j)
      {
        std::cout << "  case " << j << ": " << Cases[j].image << " " << Cases[j].dictionary << " lambda "
                  << Cases[j].lambda << (Cases[j].nonNegative ? " nonneg" : "") << "\n";
      }
      return 0;
    }
    else
    {
      std::cerr << "unknown option " << arg << "\n";
      return 2;
    }
  }
  for (size_t j = 0; j < Cases.size(); ++j)
  {
    if (options.caseIndex >= 0 && size_t(options.caseIndex) != j)
    {
      continue;
    }
    for (const std::string solver : { "admm", "fista" })
    {
      if (options.solver == "both" || options.solver == solver)
      {
        Run(Cases[j], solver, options);
      }
    }
  }
  return 0;
}
