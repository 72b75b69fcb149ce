// Benchmark of the coding solvers on the shared cases (SPORCO's optima F*).
// For each case and solver: seconds per iteration (median), iterations and seconds to reach
// relative gaps 1e-2, 1e-3, 1e-4 to F*, set-up seconds (plans, spectra), peak RSS, and the
// FFT share: the time of the 2K transforms an iteration needs, with the same plans and the same
// threading, divided by the iteration time. Not a test: run it by hand (see BENCHMARKS.md).
#include "itkADMMSparseCodingSolver.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <sys/resource.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>

namespace
{
struct Case
{
  std::string image;
  std::string dictionary;
  double      lambda;
  bool        nonNegative;
  double      optimum;
};

const std::vector<Case> Cases = {
  { "barbara_hp_256", "dict_G_12x12x36", 0.05, false, 43.626046434578 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.05, true, 49.593044242991 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.01, false, 10.513224716350 },
  { "barbara_hp_256", "dict_G_12x12x36", 0.01, true, 12.333929575254 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.05, false, 46.697753310704 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.05, true, 51.291226787057 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.01, false, 11.316784629928 },
  { "barbara_hp_256", "dict_G_8x8x32", 0.01, true, 12.733295562450 },
  { "barbara_hp_full", "dict_G_12x12x36", 0.05, false, 198.794805684599 },
};

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
 * same threading. */
double
IterationFFTSeconds(const itk::MultiChannelFourierConvolution<float> & op)
{
  const unsigned int  K = op.GetNumberOfKernels();
  auto                spatial = op.AllocateSpatial(K);
  auto                spectral = op.AllocateSpectral(K);
  std::vector<double> fftTimes;
  for (int repeat = 0; repeat < 15; ++repeat)
  {
    const auto t0 = std::chrono::steady_clock::now();
    op.ParallelFor(K, [&](itk::SizeValueType k) {
      op.InverseFFTChannel(spectral.data() + k * op.GetSpectralStride(), spatial.data() + k * op.GetSpatialStride());
      op.ForwardFFTChannel(spatial.data() + k * op.GetSpatialStride(), spectral.data() + k * op.GetSpectralStride());
    });
    fftTimes.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
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

struct Options
{
  std::string solver = "both";
  int         caseIndex = -1;
  unsigned    admmIterations = 400;
  unsigned    fistaIterations = 2000;
  double      rho = 0;
  double      alpha = 1.8;
  unsigned    rhoPeriod = 10;
  double      residualTarget = 1.0;
  std::string shared = CSC_SHARED_DIR;
  int         planRigor = -1; // ITK's global rigor
};

void
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
    else if (arg == "--help")
    {
      std::cout
        << "ConvolutionalSparseCodingBenchmark [--solver admm|fista|both] [--case INDEX] [--rho R] "
           "[--alpha A] [--rho-period P] [--residual-target T] [--plan estimate|measure|patient] [--shared DIR]\n"
           "ConvolutionalSparseCodingBenchmark [--plan ...] --fft-scaling\n";
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
