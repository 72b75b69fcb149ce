// DictionaryLearning: learns a convolutional dictionary from training images (itk::DictionaryLearner).
#include "CSCCommandLine.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkDictionaryLearner.h"
#include <fstream>
#ifdef __GLIBC__
#  include <malloc.h>
#endif

namespace
{
using csc::Kind;
using csc::Parameter;

/** The kernels and the objective: the "Dictionary" options. */
csc::ParameterGroup
DictionaryGroup()
{
  return {
    "Dictionary",
    "The kernels and the objective.",
    { Parameter(
        Kind::Integer, "kernels", "Kernels", "number of kernels (default 16; taken from --initial-dictionary if given)")
        .Range(1)
        .Hint("K"),
      Parameter(
        Kind::IntegerVector, "kernel-size", "Kernel size", "kernel size, one value for every axis or one per axis")
        .Default("8")
        .Hint("S[,S[,S]]"),
      Parameter(Kind::Float, "lambda", "Lambda", "sparsity weight (required)").Range(0).Hint("L"),
      Parameter(Kind::Boolean, "nonnegative", "Non-negative maps", "non-negative coefficient maps"),
      Parameter(Kind::Boolean, "zero-mean", "Zero-mean kernels", "zero-mean kernels"),
      Parameter(Kind::Boolean, "nonnegative-kernels", "Non-negative kernels", "non-negative kernels"),
      Parameter(Kind::Enumeration, "kernel-norm", "Kernel norm", "||d||_2 <= 1, ||d||_2 = 1, or ||d||_1 = 1")
        .Choices({ "ball", "unit", "l1" })
        .Default("ball"),
      Parameter(Kind::Image,
                "initial-dictionary",
                "Initial dictionary",
                "(N+1)-D dictionary to start from (projected onto the constraints)"),
      Parameter(Kind::IntegerVector,
                "stride",
                "Stride",
                "coefficient maps sampled every F pixels (per axis); no recentring or canonicalisation then")
        .Default("1")
        .Hint("F[,F[,F]]"),
      Parameter(Kind::Enumeration, "boundary", "Boundary", "the convolution's boundary")
        .Choices({ "periodic", "zeropadded" })
        .Default("periodic") }
  };
}

csc::ToolDescription
Description()
{
  return {
    "DictionaryLearning",
    "Convolutional Dictionary Learning",
    "Usage: DictionaryLearning --input img1 [img2 ...] | --input-list files.txt\n"
    "         --kernels K --kernel-size 8[,8] --lambda L --output-dictionary d.mha [options]",
    "Learns K convolutional kernels from 2-D or 3-D training images: min over D and x of sum_i 1/2 || sum_k d_k "
    "* x_ik - s_i ||^2 + lambda sum_ik ||x_ik||_1 with every kernel in the l2 unit ball (or as --kernel-norm "
    "says). An input with one axis more than the kernels (e.g. 256x256x5 with --kernel-size 8,8) is a stack of "
    "training images along its last axis.",
    { { "Input and output",
        "The training images and the learned dictionary.",
        { Parameter(Kind::Image,
                    "input",
                    "Training images",
                    "training images (or stacks); repeat --input, or list several paths after one --input")
            .Repeatable(),
          Parameter(
            Kind::File, "input-list", "Training image list", "a text file with one training image path per line")
            .Extension(".txt"),
          Parameter(Kind::Image,
                    "output-dictionary",
                    "Learned dictionary",
                    "the learned dictionary, (N+1)-D, last axis = kernel (required)")
            .Output(),
          Parameter(Kind::File, "output-mosaic", "Kernel mosaic", "the kernels tiled, each contrast-stretched")
            .Output(".png"),
          Parameter(
            Kind::File, "output-curve", "Learning curve", "iteration, objective, data fidelity, penalty, seconds")
            .Output(".csv"),
          Parameter(Kind::File, "output-curve-plot", "Learning curve plot", "the objective per iteration")
            .Output(".png"),
          csc::ReportParameter("parameters, final objective, F(D), time, peak memory"),
          csc::CompressParameter() } },
      DictionaryGroup(),
      { "Learning",
        "The outer iterations and their inner solvers.",
        { Parameter(Kind::Boolean, "online", "Online", "stream the training files one at a time (memory of one image)"),
          Parameter(Kind::Integer, "iterations", "Iterations", "outer iterations, epochs when online")
            .Default("100")
            .Range(1)
            .Hint("N"),
          Parameter(Kind::Integer,
                    "coding-iterations",
                    "Coding iterations",
                    "coding iterations per outer iteration (default 2; online: 50)")
            .Range(1)
            .Hint("N"),
          Parameter(Kind::Integer,
                    "dictionary-iterations",
                    "Dictionary iterations",
                    "dictionary-update iterations per outer iteration")
            .Default("2")
            .Range(1)
            .Hint("N"),
          Parameter(
            Kind::Enumeration, "solver", "Coding solver", "coding solver (lca: the Locally Competitive Algorithm)")
            .Choices({ "admm", "fista", "lca" })
            .Default("admm"),
          Parameter(Kind::Float,
                    "hebbian-rate",
                    "Hebbian rate",
                    "with --online: the Hebbian dictionary step per image, d_k += ETA/sqrt(epoch)/P sum_p r(p + t) "
                    "x_k(p), then projection (P coefficient positions), instead of the surrogate update")
            .Hint("ETA"),
          Parameter(Kind::Float, "tolerance", "Tolerance", "stop when the objective changes by less than T (relative)")
            .Default("0")
            .Range(0)
            .Hint("T"),
          Parameter(Kind::Boolean,
                    "no-canonicalize",
                    "Keep kernels as learned",
                    "keep kernels as learned (no centring, sign fix or ordering)"),
          Parameter(Kind::Enumeration, "centre", "Kernel centre", "canonical kernel centre")
            .Choices({ "energy", "peak" })
            .Default("energy"),
          Parameter(Kind::Integer, "seed", "Seed", "seed of the random initial dictionary")
            .Default("1")
            .Range(0)
            .Hint("S"),
          Parameter(Kind::Integer,
                    "recentre",
                    "Recentring interval",
                    "every N outer iterations (batch), move kernels whose energy has drifted a pixel or more back to "
                    "the kernel centre, maps moved the opposite way: frees kernels stuck on cut-off shifted patterns "
                    "(0 off)")
            .Default("20")
            .Range(0)
            .Hint("N"),
          Parameter(Kind::Boolean,
                    "mpi",
                    "MPI",
                    "under mpirun -np P: spread the training images (stack slices included) over the P ranks in "
                    "turn; each codes its own and the dictionary update's per-frequency statistics are summed over "
                    "the ranks, so every rank learns the dictionary one process would from all the images; rank 0 "
                    "writes the outputs (batch learning, periodic boundary)"),
          Parameter(Kind::Boolean,
                    "evaluate",
                    "Evaluate F(D)",
                    "also report F(D): the coding optimum (to 1e-5) with the learned dictionary fixed, summed over "
                    "the training images") },
        true } },
    { { Kind::Integer, "outerIterations", "Outer iterations", "outer iterations run" },
      { Kind::Float, "objective", "Objective", "the objective at the last iteration" } }
  };
}
/** Training image paths: --input's values (several allowed) or --input-list's lines. */
std::vector<std::string>
TrainingPaths(const csc::Arguments & args)
{
  std::vector<std::string> paths;
  if (args.Has("--input") == args.Has("--input-list"))
  {
    throw csc::UsageError("give the training images with exactly one of --input and --input-list");
  }
  if (args.Has("--input"))
  {
    paths = args.GetAll("--input");
  }
  else
  {
    std::ifstream list(args.Get("--input-list"));
    if (!list)
    {
      throw csc::UsageError("cannot read the input list '" + args.Get("--input-list") + "'");
    }
    for (std::string line; std::getline(list, line);)
    {
      line.erase(0, line.find_first_not_of(" \t\r"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (!line.empty() && line[0] != '#')
      {
        paths.push_back(line);
      }
    }
    if (paths.empty())
    {
      throw csc::UsageError("the input list '" + args.Get("--input-list") + "' names no image");
    }
  }
  return paths;
}

/** A line plot of the objective per iteration: axes, grid lines at tenths, the curve. */
csc::PictureType::Pointer
CurvePlot(const std::vector<double> & values)
{
  const size_t width = 640, height = 400, margin = 30;
  auto         picture = csc::PictureType::New();
  picture->SetRegions(csc::PictureType::SizeType{ { width, height } });
  picture->Allocate();
  picture->FillBuffer(255);
  unsigned char * p = picture->GetBufferPointer();
  auto            set = [&](long x, long y, unsigned char v) {
    if (x >= 0 && y >= 0 && x < long(width) && y < long(height))
    {
      p[y * width + x] = std::min(p[y * width + x], v);
    }
  };
  for (size_t j = 0; j <= 10; ++j)
  {
    const long y = long(margin + j * (height - 2 * margin) / 10), x = long(margin + j * (width - 2 * margin) / 10);
    for (size_t i = margin; i <= width - margin; ++i)
    {
      set(long(i), y, j == 10 ? 0 : 220);
    }
    for (size_t i = margin; i <= height - margin; ++i)
    {
      set(x, long(i), j == 0 ? 0 : 220);
    }
  }
  if (values.empty())
  {
    return picture;
  }
  const auto   range = std::minmax_element(values.begin(), values.end());
  const double low = *range.first, span = std::max(*range.second - low, 1e-12 * std::abs(low) + 1e-30);
  auto         point = [&](size_t i) {
    const double fx = values.size() > 1 ? double(i) / (values.size() - 1) : 0.5;
    return std::array<double, 2>{ margin + fx * (width - 2 * margin),
                                  height - margin - (values[i] - low) / span * (height - 2 * margin) };
  };
  for (size_t i = 0; i + 1 < std::max<size_t>(values.size(), 2); ++i)
  {
    const auto a = point(i), b = point(std::min(i + 1, values.size() - 1));
    const int  steps = static_cast<int>(std::max(std::abs(b[0] - a[0]), std::abs(b[1] - a[1]))) + 1;
    for (int s = 0; s <= steps; ++s)
    {
      const double t = double(s) / steps;
      const long   x = std::lround(a[0] + t * (b[0] - a[0])), y = std::lround(a[1] + t * (b[1] - a[1]));
      for (long dy = -1; dy <= 1; ++dy)
      {
        set(x, y + dy, 0);
      }
    }
  }
  return picture;
}

template <unsigned int VDimension>
using LearnerOf = itk::DictionaryLearner<itk::Image<float, VDimension>>;

/** The learner with every setting of the command line. */
template <unsigned int VDimension>
typename LearnerOf<VDimension>::Pointer
ConfigureLearner(const csc::Arguments & args, const std::vector<size_t> & kernelSize)
{
  using LearnerType = LearnerOf<VDimension>;
  using Enums = itk::ConvolutionalSparseCodingEnums;
  auto learner = LearnerType::New();
  if (!args.Has("--lambda"))
  {
    throw csc::UsageError("--lambda is required (see --help)");
  }
  learner->SetLambda(args.Number("--lambda", 0.1));
  learner->SetNumberOfKernels(csc::Integer(args, "--kernels", 16));
  typename LearnerType::KernelSizeType size;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = kernelSize[kernelSize.size() == 1 ? 0 : d];
  }
  learner->SetKernelSize(size);
  learner->SetNonNegativeCoefficients(args.Has("--nonnegative"));
  learner->SetZeroMeanKernels(args.Has("--zero-mean"));
  learner->SetNonNegativeKernels(args.Has("--nonnegative-kernels"));
  const std::string norm = csc::Choice(args, "--kernel-norm");
  learner->SetKernelNorm(norm == "ball"   ? Enums::KernelNormConstraint::L2Ball
                         : norm == "unit" ? Enums::KernelNormConstraint::UnitL2
                                          : Enums::KernelNormConstraint::UnitL1);
  learner->SetOnline(args.Has("--online"));
  learner->SetNumberOfIterations(csc::Integer(args, "--iterations"));
  learner->SetCodingIterations(csc::Integer(args, "--coding-iterations", 2));
  learner->SetOnlineCodingIterations(csc::Integer(args, "--coding-iterations", 50));
  learner->SetDictionaryIterations(csc::Integer(args, "--dictionary-iterations"));
  const std::string solver = csc::Choice(args, "--solver");
  learner->SetCodingSolver(solver == "fista" ? Enums::Solver::FISTA
                           : solver == "lca" ? Enums::Solver::LCA
                                             : Enums::Solver::ADMM);
  {
    const auto                       values = csc::ParseStride<VDimension>(args);
    typename LearnerType::StrideType stride;
    std::copy(values.begin(), values.end(), stride.begin());
    learner->SetStride(stride);
  }
  if (args.Has("--hebbian-rate"))
  {
    const double rate = args.Number("--hebbian-rate", 0.0);
    if (!(rate > 0) || !std::isfinite(rate))
    {
      throw csc::UsageError("--hebbian-rate must be positive and finite");
    }
    if (!args.Has("--online"))
    {
      throw csc::UsageError("--hebbian-rate needs --online (the Hebbian step is taken per image)");
    }
    learner->SetHebbianLearningRate(rate);
  }
  const std::string boundary = csc::Choice(args, "--boundary");
  learner->SetBoundary(boundary == "periodic" ? Enums::Boundary::Periodic : Enums::Boundary::ZeroPadded);
  const double tolerance = args.Number("--tolerance");
  if (tolerance < 0)
  {
    throw csc::UsageError("--tolerance must be non-negative");
  }
  learner->SetRelativeTolerance(tolerance);
  learner->SetCanonicalize(!args.Has("--no-canonicalize"));
  learner->SetCanonicalCentre(csc::Choice(args, "--centre") == "energy" ? Enums::KernelCentre::CentreOfEnergy
                                                                        : Enums::KernelCentre::EnergyPeak);
  learner->SetSeed(csc::Integer(args, "--seed"));
  learner->SetRecentringInterval(csc::Integer(args, "--recentre"));
  if (args.Has("--initial-dictionary"))
  {
    const std::string path = args.Get("--initial-dictionary");
    if (csc::ImageDimensionOf(path, "initial dictionary") != VDimension + 1)
    {
      throw csc::UsageError("the initial dictionary must be " + std::to_string(VDimension + 1) +
                            "-D (kernels stacked along the last axis)");
    }
    const auto initial = csc::ReadImageInput<typename LearnerType::DictionaryImageType>(path, "initial dictionary");
    // --kernels and --kernel-size, when given, must agree with the dictionary that replaces them.
    const auto initialSize = initial->GetLargestPossibleRegion().GetSize();
    bool       agrees = !args.Has("--kernels") || learner->GetNumberOfKernels() == initialSize[VDimension];
    for (unsigned int d = 0; d < VDimension && args.Has("--kernel-size"); ++d)
    {
      agrees = agrees && size[d] == initialSize[d];
    }
    if (!agrees)
    {
      std::ostringstream message;
      message << "--kernels/--kernel-size disagree with the initial dictionary '" << path << "' (size " << initialSize
              << ", the last axis the kernels); leave them out, they are taken from it";
      throw csc::UsageError(message.str());
    }
    learner->SetInitialDictionary(initial);
  }

  return learner;
}

/** The training images in memory (batch; stacks split into their slices), or their file names
 * given to the learner (online). With --mpi, only this rank's share: image (or slice) i belongs
 * to rank i mod P. \c total is the number of training images over all ranks. */
template <unsigned int VDimension>
std::vector<typename itk::Image<float, VDimension>::Pointer>
LoadTrainingImages(LearnerOf<VDimension> * learner, const std::vector<std::string> & paths, bool stacks, size_t & total)
{
  using ImageType = itk::Image<float, VDimension>;
  using StackType = itk::Image<float, VDimension + 1>;
  const bool                               online = learner->GetOnline();
  const auto &                             mpi = csc::MpiSession::Instance();
  const size_t                             rank = static_cast<size_t>(mpi.Rank()), ranks = size_t(mpi.Size());
  std::vector<typename ImageType::Pointer> images;
  total = 0;
  if (online)
  {
    if (stacks)
    {
      throw csc::UsageError("--online streams one image per file; split the stack into files");
    }
    learner->SetTrainingFileNames(paths);
    total = paths.size();
  }
  else
  {
    for (const std::string & path : paths)
    {
      if (!stacks)
      {
        if (total++ % ranks == rank)
        {
          images.push_back(csc::ReadImageInput<ImageType>(path, "training image"));
        }
        continue;
      }
      // A stack is read only by the ranks that own one of its slices.
      const size_t slices = csc::ReadImageHeaderFor<StackType>(path, "training stack")->GetDimensions(VDimension);
      const size_t firstSlice = total;
      total += slices;
      const size_t owned = (rank + ranks - firstSlice % ranks) % ranks; // this rank's first slice
      if (owned >= slices)
      {
        continue;
      }
      const auto                   stack = csc::ReadImageInput<StackType>(path, "training stack");
      const auto                   stackSize = stack->GetLargestPossibleRegion().GetSize();
      typename ImageType::SizeType sliceSize;
      size_t                       pixels = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        sliceSize[d] = stackSize[d];
        pixels *= stackSize[d];
      }
      for (size_t z = owned; z < stackSize[VDimension]; z += ranks)
      {
        auto slice = ImageType::New();
        slice->SetRegions(typename ImageType::RegionType(sliceSize));
        slice->Allocate();
        std::copy_n(stack->GetBufferPointer() + z * pixels, pixels, slice->GetBufferPointer());
        images.push_back(slice);
      }
    }
    for (const auto & image : images)
    {
      learner->AddTrainingImage(image);
    }
  }
  return images;
}

/** F(D): the coding optimum with the learned dictionary fixed, summed over the images. */
template <unsigned int VDimension>
double
EvaluateDictionary(LearnerOf<VDimension> * learner, const std::vector<std::string> & paths,
                   const std::vector<typename itk::Image<float, VDimension>::Pointer> & images)
{
  using ImageType = itk::Image<float, VDimension>;
  const auto * dictionary = learner->GetOutput();
  double       fOfD = 0;
  auto         evaluate = [&](const ImageType * image) {
    auto coder = itk::ConvolutionalSparseCodingImageFilter<ImageType>::New();
    coder->SetInput(image);
    coder->SetDictionary(dictionary);
    coder->SetLambda(learner->GetLambda());
    coder->SetNonNegative(learner->GetNonNegativeCoefficients());
    coder->SetBoundaryCondition(learner->GetBoundary());
    typename itk::ConvolutionalSparseCodingImageFilter<ImageType>::StrideType stride;
    const auto learnedStride = learner->GetStride(); // a copy: begin() and end() of one object
    std::copy(learnedStride.begin(), learnedStride.end(), stride.Begin());
    coder->SetStride(stride);
    coder->SetMaximumNumberOfIterations(3000);
    coder->SetRelativeTolerance(1e-5);
    coder->Update();
    fOfD += coder->GetStatistics().Objective;
  };
  if (learner->GetOnline())
  {
    for (const std::string & path : paths)
    {
      evaluate(csc::ReadImageInput<ImageType>(path, "training image"));
    }
  }
  for (const auto & image : images)
  {
    evaluate(image);
  }
  return fOfD;
}

/** The JSON report: parameters, learning curve length, objective, F(D), time, memory. */
template <unsigned int VDimension>
void
WriteReport(const csc::Arguments & args, LearnerOf<VDimension> * learner, size_t trainingImages, double fOfD,
            double seconds, const itk::ProcessCommunicator * distributed)
{
  const auto          dictionarySize = learner->GetOutput()->GetLargestPossibleRegion().GetSize();
  const unsigned int  K = static_cast<unsigned int>(dictionarySize[VDimension]);
  const auto &        curve = learner->GetLearningCurve();
  const bool          online = learner->GetOnline();
  const std::string   norm = csc::Choice(args, "--kernel-norm");
  const std::string   solver = csc::Choice(args, "--solver");
  const std::string   boundary = csc::Choice(args, "--boundary");
  std::vector<size_t> kernelSize(dictionarySize.begin(), dictionarySize.begin() + VDimension);
  csc::Json           report{ { "tool", "DictionaryLearning" } };
  report["parameters"] = { { "kernels", K },
                           { "kernel_size", kernelSize },
                           { "lambda", learner->GetLambda() },
                           { "nonnegative", learner->GetNonNegativeCoefficients() },
                           { "zero_mean", learner->GetZeroMeanKernels() },
                           { "kernel_norm", norm },
                           { "online", online },
                           { "iterations", learner->GetNumberOfIterations() },
                           { "solver", solver },
                           { "boundary", boundary },
                           { "stride", learner->GetStride() },
                           { "hebbian_rate", learner->GetHebbianLearningRate() },
                           { "recentring_interval", learner->GetRecentringInterval() } };
  report["training_images"] = trainingImages;
  report["iterations"] = curve.size();
  report["objective"] = learner->GetObjective();
  report["coding_restarts"] = learner->GetNumberOfCodingRestarts();
  report["F_of_D"] = fOfD;
  report["learning_seconds"] = seconds;
  report["peak_memory_mb"] = csc::PeakResidentMegabytes();
  if (distributed != nullptr)
  {
    // What each rank handed to MPI's collective steps (README: the formula).
    report["mpi"] = { { "ranks", distributed->GetNumberOfProcesses() },
                      { "collective_bytes", distributed->GetBytesCommunicated() } };
  }
  csc::WriteJsonOutput(args.Get("--report"), report);
  std::cout << "report: " << args.Get("--report") << "\n";
}

/** --mpi: joins the ranks and gives the learner their communicator (null without --mpi). */
template <unsigned int VDimension>
itk::ProcessCommunicator::Pointer
StartDistributedLearning(const csc::Arguments & args, LearnerOf<VDimension> * learner)
{
  if (!args.Has("--mpi"))
  {
    return nullptr;
  }
  if (learner->GetOnline())
  {
    throw csc::UsageError("--mpi spreads batch learning over the ranks; --online streams the images through one "
                          "process: leave out one of them");
  }
  if (learner->GetBoundary() != itk::ConvolutionalSparseCodingEnums::Boundary::Periodic)
  {
    throw csc::UsageError("--mpi needs --boundary periodic: only then is the dictionary update per frequency, so that "
                          "the ranks can sum its statistics");
  }
  csc::MpiSession::Instance().Start();
  itk::ProcessCommunicator::Pointer communicator = csc::MpiCommunicator::New().GetPointer();
  learner->SetCommunicator(communicator);
  return communicator;
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args, const std::vector<std::string> & paths, bool stacks,
    const std::vector<size_t> & kernelSize)
{
  using ImageType = itk::Image<float, VDimension>;

  const std::string dictionaryPath = args.Required("--output-dictionary");
  csc::DeclareImageOutput<typename LearnerOf<VDimension>::DictionaryImageType>(args, "--output-dictionary");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-mosaic");
  csc::DeclareTextOutput(args, "--output-curve");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-curve-plot");
  csc::DeclareTextOutput(args, "--report");
  auto                                           learner = ConfigureLearner<VDimension>(args, kernelSize);
  const bool                                     online = learner->GetOnline();
  const auto                                     distributed = StartDistributedLearning<VDimension>(args, learner);
  size_t                                         total = 0;
  const std::vector<typename ImageType::Pointer> images = LoadTrainingImages<VDimension>(learner, paths, stacks, total);
  const auto &                                   mpi = csc::MpiSession::Instance();
  if (mpi.Active() && total < static_cast<size_t>(mpi.Size()))
  {
    throw csc::UsageError("--mpi with " + std::to_string(mpi.Size()) + " ranks needs at least as many training " +
                          "images, but there are " + std::to_string(total));
  }
  std::cout << "training on " << total << " image(s)" << (online ? ", online" : "")
            << (mpi.Active() ? ", " + std::to_string(images.size()) + " on rank " + std::to_string(mpi.Rank()) +
                                 " of " + std::to_string(mpi.Size())
                             : std::string())
            << "\n";

  const double seconds = csc::UpdateWithProgress(learner.GetPointer(), "DictionaryLearning");
  // F(D): the coding optimum with the dictionary fixed, image by image (summed over the ranks).
  double fOfD = std::numeric_limits<double>::quiet_NaN();
  if (args.Has("--evaluate"))
  {
    fOfD = mpi.SumOverRanks({ EvaluateDictionary<VDimension>(learner, paths, images) })[0];
    std::cout << "F(D) = " << fOfD << "\n";
  }
  if (!mpi.IsRoot())
  {
    return 0; // every rank holds the same dictionary; rank 0 writes it
  }
  const auto * dictionary = learner->GetOutput();
  csc::WriteImageOutput(dictionary, dictionaryPath);
  std::cout << "dictionary: " << dictionaryPath << "\n";

  const auto & curve = learner->GetLearningCurve();
  if (args.Has("--output-curve"))
  {
    csc::WriteTextOutput(args.Get("--output-curve"), [&](std::ostream & out) {
      out << "iteration,objective,data_fidelity,penalty,seconds\n";
      out.precision(12);
      for (size_t i = 0; i < curve.size(); ++i)
      {
        out << i + 1 << "," << curve[i].Objective << "," << curve[i].DataFidelity << "," << curve[i].Penalty << ","
            << curve[i].Seconds << "\n";
      }
    });
    std::cout << "curve: " << args.Get("--output-curve") << "\n";
  }
  if (args.Has("--output-curve-plot"))
  {
    std::vector<double> objective;
    for (const auto & point : curve)
    {
      objective.push_back(point.Objective);
    }
    csc::WriteImageOutput(CurvePlot(objective).GetPointer(), args.Get("--output-curve-plot"));
    std::cout << "curve plot: " << args.Get("--output-curve-plot") << "\n";
  }
  const auto          dictionarySize = dictionary->GetLargestPossibleRegion().GetSize();
  const unsigned int  K = static_cast<unsigned int>(dictionarySize[VDimension]);
  std::vector<size_t> learnedSize(dictionarySize.begin(), dictionarySize.begin() + VDimension);
  if (args.Has("--output-mosaic"))
  {
    if (VDimension == 2)
    {
      learnedSize.push_back(1);
    }
    csc::WriteImageOutput(csc::Mosaic(dictionary->GetBufferPointer(), learnedSize, K).GetPointer(),
                          args.Get("--output-mosaic"));
    std::cout << "mosaic: " << args.Get("--output-mosaic") << "\n";
  }

  if (args.Has("--report"))
  {
    WriteReport<VDimension>(args, learner, total, fOfD, seconds, distributed);
  }
  csc::SlicerReport::Instance().Set("outerIterations", double(curve.size()));
  csc::SlicerReport::Instance().Set("objective", learner->GetObjective());
  std::cout << "iterations " << curve.size() << ", objective " << learner->GetObjective() << ", " << seconds << " s\n";
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
#ifdef __GLIBC__
  // Large buffers straight from mmap: glibc otherwise raises its mmap threshold after the
  // first frees and serves later images from a fragmenting heap, so online learning's peak
  // memory drifted with the number of images (80.6 -> 91.4 MB from 10 to 100; with this,
  // 69.3 -> 70.1 MB; BENCHMARKS.md). Online learning only: batch learning reuses its buffers,
  // and fresh mappings for MPI's large temporary buffers cost --mpi a page fault per page.
  if (std::any_of(argv + 1, argv + argc, [](const char * arg) { return std::string(arg) == "--online"; }))
  {
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  }
  else if (std::any_of(argv + 1, argv + argc, [](const char * arg) { return std::string(arg) == "--mpi"; }))
  {
    // MPI's collectives allocate and free their temporary buffers on every call: kept in the heap
    // rather than mapped afresh, they cost no page faults (a tenth of --mpi's time otherwise).
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  }
#endif
  // People may list several paths after one --input: each becomes its own --input (TCLAP's form,
  // and Slicer's for a repeatable parameter).
  std::vector<char *> expanded{ argv[0] };
  static char         inputFlag[] = "--input";
  for (int i = 1; i < argc; ++i)
  {
    expanded.push_back(argv[i]);
    if (std::string(argv[i]) == "--input" && i + 1 < argc)
    {
      expanded.push_back(argv[++i]);
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
      {
        expanded.push_back(inputFlag);
        expanded.push_back(argv[++i]);
      }
    }
  }
  return csc::Guarded(
    Description(), static_cast<int>(expanded.size()), expanded.data(), [&](const csc::Arguments & args) {
      const auto   paths = TrainingPaths(args);
      unsigned int inputDimension = 0;
      for (const std::string & path : paths)
      {
        const unsigned int dimension = csc::ImageDimensionOf(path, "training image");
        if (inputDimension != 0 && dimension != inputDimension)
        {
          throw csc::UsageError("training images of different dimension: '" + paths.front() + "' is " +
                                std::to_string(inputDimension) + "-D, '" + path + "' is " + std::to_string(dimension) +
                                "-D");
        }
        inputDimension = dimension;
      }
      // The kernels' dimension: --kernel-size's entries, else the initial dictionary's minus one,
      // else the images'. One less than the inputs' means the inputs are stacks.
      std::vector<size_t> kernelSize{ 8 };
      if (args.Has("--kernel-size"))
      {
        kernelSize.clear();
        for (const unsigned int v : csc::ParseIntegerList(args.Get("--kernel-size"), "--kernel-size", 1, 4096))
        {
          kernelSize.push_back(v);
        }
      }
      unsigned int kernelDimension = inputDimension;
      if (kernelSize.size() > 1)
      {
        kernelDimension = static_cast<unsigned int>(kernelSize.size());
      }
      else if (args.Has("--initial-dictionary"))
      {
        kernelDimension = csc::ImageDimensionOf(args.Get("--initial-dictionary"), "initial dictionary") - 1;
      }
      const bool stacks = kernelDimension + 1 == inputDimension;
      if (!stacks && kernelDimension != inputDimension)
      {
        throw csc::UsageError(std::to_string(kernelDimension) + "-D kernels do not fit " +
                              std::to_string(inputDimension) + "-D training images");
      }
      if (kernelDimension == 2)
      {
        return Run<2>(args, paths, stacks, kernelSize);
      }
      if (kernelDimension == 3)
      {
        return Run<3>(args, paths, stacks, kernelSize);
      }
      throw csc::UsageError("kernels must be 2-D or 3-D, got " + std::to_string(kernelDimension) + "-D");
    });
}
