// ConvolutionalSparseCoding: sparse coding of a 2-D or 3-D image over a dictionary.
// Also the module's benchmark entry point: the flags below are kept stable.
#include "CSCTiles.h"
#include "itkConvolutionalSparseCodingImageFilter.h"
#include "itkGaussianDerivativeDictionary.h"
#include "itkImageFileReader.h"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

namespace
{
using csc::Kind;
using csc::Parameter;

csc::ToolDescription
Description()
{
  return {
    "ConvolutionalSparseCoding",
    "Convolutional Sparse Coding",
    "Usage: ConvolutionalSparseCoding --input s.mha (--dictionary d.mha | --gaussian-dictionary 1,2,4)\n"
    "         --lambda 0.05 --output-coefficients x.mha [options]",
    "Solves min_x 1/2 || w (sum_k h_k * x_k - s) ||^2 + lambda sum_k ||x_k||_1 (x >= 0 with --nonnegative; "
    "with --transfer hard: lambda^2/2 times the number of non-zero x, a hard threshold at lambda) for a 2-D or "
    "3-D image s (any format ITK reads) and a dictionary of K kernels given as an (N+1)-D image whose last axis "
    "indexes the kernels (kernel origin at the kernel centre).",
    { { "Input and output",
        "The image, the dictionary and the coefficient maps.",
        { Parameter(Kind::Image, "input", "Input image", "image s").Positional(0),
          Parameter(Kind::Image,
                    "output-coefficients",
                    "Coefficient maps",
                    "coefficient maps, (N+1)-D, last axis = kernel (required)")
            .Output()
            .Positional(1),
          Parameter(Kind::Image, "dictionary", "Dictionary", "dictionary, (N+1)-D"),
          Parameter(Kind::FloatVector,
                    "gaussian-dictionary",
                    "Gaussian dictionary sigmas",
                    "or generate one: per sigma a Gaussian, its first derivatives, its Laplacian")
            .Hint("S,.."),
          Parameter(Kind::Image, "output-dictionary", "Dictionary used", "write the dictionary used").Output(),
          Parameter(Kind::Image, "output-reconstruction", "Reconstruction", "sum_k h_k * x_k").Output(),
          Parameter(Kind::File,
                    "output-picture",
                    "Picture",
                    "input | reconstruction | sum_k |x_k| side by side (middle slice in 3-D)")
            .Output(".png"),
          csc::ReportParameter("parameters, per-iteration objective and time, solve seconds, peak memory"),
          csc::CompressParameter() } },
      { "Problem",
        "The objective and its constraints.",
        { Parameter(Kind::Float, "lambda", "Lambda", "sparsity weight").Default("0.05").Range(0).Hint("L"),
          Parameter(Kind::Boolean, "nonnegative", "Non-negative", "constrain x >= 0"),
          Parameter(Kind::Enumeration, "boundary", "Boundary", "the convolution's boundary")
            .Choices({ "periodic", "zeropadded" })
            .Default("periodic"),
          Parameter(Kind::Image, "weights", "Weights", "pixel weights w >= 0, the image's size"),
          Parameter(Kind::IntegerVector,
                    "stride",
                    "Stride",
                    "coefficient maps sampled every F pixels (per axis): the maps are ceil(size / F) pixels, "
                    "upsampled before the convolution")
            .Default("1")
            .Hint("F[,F2[,F3]]") } },
      { "Solver",
        "The algorithm and when it stops.",
        { Parameter(Kind::Enumeration,
                    "solver",
                    "Solver",
                    "ADMM, FISTA, the Locally Competitive Algorithm, the one-shot thresholding pursuit "
                    "x = T(A^T s), or a greedy pursuit: matching pursuit, orthogonal matching pursuit (x >= 0 with "
                    "--nonnegative; lambda only weighs the reported objective)")
            .Choices({ "admm", "fista", "lca", "threshold", "mp", "omp" })
            .Default("admm"),
          Parameter(Kind::Integer, "max-iterations", "Maximum iterations", "iterations at most")
            .Default("200")
            .Range(1)
            .Hint("N"),
          Parameter(
            Kind::Float, "tolerance", "Tolerance", "relative residual / change to stop at (0 = run all iterations)")
            .Default("1e-4")
            .Range(0)
            .Hint("T"),
          Parameter(Kind::Image,
                    "initial-coefficients",
                    "Initial coefficients",
                    "warm start, laid out like the coefficient output") },
        true },
      { "Thresholding, LCA and greedy pursuits",
        "Settings of the lca, threshold, mp and omp solvers.",
        { Parameter(Kind::Enumeration,
                    "transfer",
                    "Transfer function",
                    "lca and threshold: the transfer (threshold) function T at lambda (nonnegative is --nonnegative)")
            .Choices({ "soft", "nonnegative", "hard" })
            .Default("soft"),
          Parameter(Kind::Float, "lca-step", "LCA step", "lca: the Euler step of the dynamics (default 1 / max(1, L))")
            .Range(0)
            .Hint("TAU"),
          Parameter(
            Kind::Integer, "max-atoms", "Maximum atoms", "mp/omp: atoms to pick at most (default: --max-iterations)")
            .Range(1)
            .Hint("N"),
          Parameter(Kind::Float, "residual-tolerance", "Residual tolerance", "mp/omp: stop when ||w r|| <= R ||w s||")
            .Default("0")
            .Range(0)
            .Hint("R"),
          Parameter(Kind::Float,
                    "min-correlation",
                    "Minimum correlation",
                    "mp/omp: stop when the best normalised correlation is below C")
            .Default("0")
            .Range(0)
            .Hint("C"),
          Parameter(Kind::Integer,
                    "exclusion-cell",
                    "Exclusion cell",
                    "mp/omp: at most one atom per cell of N pixels along every axis")
            .Default("1")
            .Range(1)
            .Hint("N") },
        true },
      csc::TilingGroup() },
    { { Kind::Integer, "iterations", "Iterations", "iterations the solver ran" },
      { Kind::Float, "objective", "Objective", "the objective at the end" },
      { Kind::Float, "relativeError", "Relative error", "||s - sum_k h_k * x_k|| / ||s||" } }
  };
}
/** --max-atoms, --residual-tolerance, --min-correlation: the greedy pursuits' stopping rules. */
template <typename TFilter>
void
ConfigureGreedyPursuit(const csc::Arguments & args, TFilter * filter, const std::string & solver)
{
  const bool greedy = solver == "mp" || solver == "omp";
  for (const char * flag : { "--max-atoms", "--residual-tolerance", "--min-correlation", "--exclusion-cell" })
  {
    if (args.Has(flag) && !greedy)
    {
      throw csc::UsageError(std::string(flag) + " needs --solver mp or omp");
    }
  }
  if (!greedy)
  {
    return;
  }
  auto pursuit = itk::MatchingPursuitSparseCodingSolver<typename TFilter::RealType>::New();
  pursuit->SetOrthogonal(solver == "omp");
  if (args.Has("--max-atoms"))
  {
    pursuit->SetMaximumNumberOfAtoms(csc::Integer(args, "--max-atoms"));
  }
  const double residual = args.Number("--residual-tolerance"), correlation = args.Number("--min-correlation");
  if (!(residual >= 0) || !(correlation >= 0))
  {
    throw csc::UsageError("--residual-tolerance and --min-correlation must be non-negative");
  }
  pursuit->SetResidualTolerance(residual);
  pursuit->SetMinimumCorrelation(correlation);
  if (args.Has("--exclusion-cell"))
  {
    pursuit->SetExclusionCellSize(csc::Integer(args, "--exclusion-cell"));
  }
  filter->SetSolver(pursuit.GetPointer());
}

/** --transfer and --lca-step: the penalty the transfer function is the prox of, and LCA's step. */
template <typename TFilter>
void
ConfigurePursuit(const csc::Arguments & args, TFilter * filter, const std::string & solver)
{
  using PenaltyEnum = typename TFilter::PenaltyEnum;
  const bool pursuit = solver == "lca" || solver == "threshold";
  if (args.Has("--transfer") && !pursuit)
  {
    throw csc::UsageError("--transfer needs --solver lca or threshold");
  }
  if (args.Has("--lca-step") && solver != "lca")
  {
    throw csc::UsageError("--lca-step needs --solver lca");
  }
  const std::string transfer = csc::Choice(args, "--transfer");
  if (transfer != "soft" && args.Has("--nonnegative"))
  {
    throw csc::UsageError("give --nonnegative or --transfer " + transfer + ", not both");
  }
  if (transfer == "nonnegative")
  {
    filter->SetPenalty(PenaltyEnum::NonNegativeL1);
  }
  else if (transfer == "hard")
  {
    // L0's prox cuts at sqrt(2 lambda'): lambda' = lambda^2 / 2 cuts at lambda.
    filter->SetPenalty(PenaltyEnum::L0);
    filter->SetLambda(0.5 * filter->GetLambda() * filter->GetLambda());
  }
  ConfigureGreedyPursuit(args, filter, solver);
  if (solver == "lca")
  {
    const double step = args.Number("--lca-step", 0.0);
    if (args.Has("--lca-step") && !(step > 0 && std::isfinite(step)))
    {
      throw csc::UsageError("--lca-step must be positive and finite");
    }
    auto lca = itk::LCASparseCodingSolver<typename TFilter::RealType>::New();
    lca->SetStep(step);
    filter->SetSolver(lca.GetPointer());
  }
}

/** input | reconstruction | sum_k |x_k| side by side, the middle slice of a volume; with a
 * stride, each coefficient covers its lattice cell. */
template <unsigned int VDimension, typename TFilter>
void
WritePicture(const std::string & path, const itk::Image<float, VDimension> * image, TFilter * filter)
{
  const auto   size = image->GetLargestPossibleRegion().GetSize();
  const auto   grid = filter->GetCoefficients()->GetLargestPossibleRegion().GetSize();
  const auto   stride = filter->GetStride();
  const size_t width = size[0], height = size[1];
  size_t       sliceOffset = 0, coefficientSlice = 0, coefficientPixels = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    coefficientPixels *= grid[d];
  }
  if (VDimension == 3)
  {
    const size_t slice = size[VDimension - 1] / 2;
    sliceOffset = slice * width * height;
    coefficientSlice = (slice / stride[VDimension - 1]) * grid[0] * grid[1];
  }
  const size_t       K = grid[VDimension];
  std::vector<float> input(image->GetBufferPointer() + sliceOffset,
                           image->GetBufferPointer() + sliceOffset + width * height);
  const float *      r = filter->GetReconstruction()->GetBufferPointer() + sliceOffset;
  std::vector<float> reconstruction(r, r + width * height);
  std::vector<float> activity(width * height, 0.0f);
  const float *      x = filter->GetCoefficients()->GetBufferPointer();
  for (size_t k = 0; k < K; ++k)
  {
    for (size_t i = 0; i < width * height; ++i)
    {
      const size_t coarse = (i / width / stride[1]) * grid[0] + (i % width) / stride[0];
      activity[i] += std::abs(x[k * coefficientPixels + coefficientSlice + coarse]);
    }
  }
  const auto picture = csc::SideBySide({ input, reconstruction, activity }, width, height);
  csc::WriteImageOutput(picture.GetPointer(), path);
  std::cout << "picture (input | reconstruction | sum_k |x_k|): " << path << "\n";
}

/** How sparse the code is and how well it reconstructs the image. */
struct Sparsity
{
  size_t Coefficients{ 0 };
  size_t NonZero{ 0 };
  double ErrorSquared{ 0 };
  double Energy{ 0 };
  double
  InactiveFraction() const
  {
    return Coefficients ? 1.0 - double(NonZero) / double(Coefficients) : 0.0;
  }
  double
  RelativeError() const
  {
    return Energy > 0 ? std::sqrt(ErrorSquared / Energy) : 0.0;
  }
};

/** Adds the outputs' buffered part (the whole image, or a tile's core) to \c result. */
template <typename TImage, typename TFilter>
void
AddSparsity(Sparsity & result, const TImage * image, TFilter * filter)
{
  const auto *  coefficients = filter->GetCoefficients();
  const float * x = coefficients->GetBufferPointer();
  const size_t  count = coefficients->GetBufferedRegion().GetNumberOfPixels();
  result.Coefficients += count;
  result.NonZero += static_cast<size_t>(std::count_if(x, x + count, [](float v) { return v != 0; }));
  const auto *                          reconstruction = filter->GetReconstruction();
  const float *                         r = reconstruction->GetBufferPointer();
  itk::ImageRegionConstIterator<TImage> s(image, reconstruction->GetBufferedRegion());
  for (size_t i = 0; !s.IsAtEnd(); ++s, ++i)
  {
    result.ErrorSquared += (double(s.Get()) - r[i]) * (double(s.Get()) - r[i]);
    result.Energy += double(s.Get()) * s.Get();
  }
}

/** K / prod(stride): coefficients per image pixel. */
template <typename TFilter>
double
Overcompleteness(TFilter * filter)
{
  double cells = 1;
  for (const unsigned int f : filter->GetStride())
  {
    cells *= f;
  }
  return double(filter->GetCoefficients()->GetLargestPossibleRegion().GetSize()[TFilter::ImageDimension]) / cells;
}

/** --dictionary FILE or --gaussian-dictionary SIGMAS. */
template <unsigned int VDimension>
typename itk::Image<float, VDimension + 1>::Pointer
ReadCodingDictionary(const csc::Arguments & args)
{
  if (args.Has("--dictionary") && args.Has("--gaussian-dictionary"))
  {
    throw csc::UsageError("give one of --dictionary and --gaussian-dictionary, not both");
  }
  if (args.Has("--dictionary"))
  {
    return csc::ReadDictionaryInput<VDimension>(args.Get("--dictionary"));
  }
  if (args.Has("--gaussian-dictionary"))
  {
    return itk::GaussianDerivativeDictionary<float, VDimension>::Create(
      csc::ParseNumberList(args.Get("--gaussian-dictionary"), "--gaussian-dictionary"));
  }
  throw csc::UsageError("give --dictionary FILE or --gaussian-dictionary SIGMAS");
}

/** --stride, checked against the image. */
template <typename TFilter>
void
ApplyStride(const csc::Arguments & args, TFilter * filter, const itk::ImageRegion<TFilter::ImageDimension> & image)
{
  const auto                   values = csc::ParseStride<TFilter::ImageDimension>(args);
  typename TFilter::StrideType stride;
  for (unsigned int d = 0; d < TFilter::ImageDimension; ++d)
  {
    stride[d] = values[d];
    if (stride[d] > image.GetSize(d))
    {
      throw csc::UsageError("--stride " + std::to_string(stride[d]) + " is larger than the image along axis " +
                            std::to_string(d) + " (" + std::to_string(image.GetSize(d)) + " pixels)");
    }
  }
  filter->SetStride(stride);
}

/** The image inputs: read whole, or (tiled) kept in their files and read a tile at a time. */
template <typename TFilter>
struct CodingInputs
{
  using ImageType = typename TFilter::InputImageType;
  typename ImageType::Pointer              Image;
  std::vector<itk::ProcessObject::Pointer> Readers;
  template <typename TImage>
  typename TImage::Pointer
  Read(const std::string & path, const std::string & what, bool tiled)
  {
    if (!tiled)
    {
      return csc::ReadImageInput<TImage>(path, what);
    }
    auto reader = csc::StreamedImageInput<TImage>(path, what);
    Readers.push_back(reader.GetPointer());
    return reader->GetOutput();
  }
};

/** The JSON report: parameters, solution statistics, timing, memory, the history. */
template <typename TFilter, typename TSolverFlags>
void
WriteCodingReport(const csc::Arguments & args, TFilter * filter, const TSolverFlags & solverFlags,
                  const Sparsity & sparsity, double solveSeconds)
{
  const auto & stats = filter->GetStatistics();
  csc::Json    report{ { "tool", "ConvolutionalSparseCoding" } };
  report["parameters"] = { { "input", args.Get("--input") },
                           { "dictionary", args.Get("--dictionary", args.Get("--gaussian-dictionary")) },
                           { "lambda", filter->GetLambda() },
                           { "nonnegative", filter->GetNonNegative() },
                           { "solver", solverFlags.Solver },
                           { "boundary", solverFlags.Boundary },
                           { "stride", filter->GetStride() },
                           { "weights", args.Has("--weights") ? csc::Json(args.Get("--weights")) : csc::Json() },
                           { "max_iterations", filter->GetMaximumNumberOfIterations() },
                           { "tolerance", filter->GetRelativeTolerance() } };
  if (args.Has("--tile-size") || args.Has("--memory-budget") || args.Has("--mpi"))
  {
    report["tiling"] = csc::TilingReport(args, filter->GetHaloRadii());
  }
  report["overcompleteness"] = Overcompleteness(filter);
  report["coefficients"] = sparsity.Coefficients;
  report["nonzero_coefficients"] = sparsity.NonZero;
  report["inactive_fraction"] = sparsity.InactiveFraction();
  report["relative_error"] = sparsity.RelativeError();
  report["iterations"] = stats.Iteration; // tiled: the last tile's (--mpi-global: every slab's)
  report["converged"] = filter->GetSolverObject()->GetConverged();
  report["objective"] = stats.Objective;
  report["data_fidelity"] = stats.DataFidelity;
  report["penalty"] = stats.Penalty;
  report["solve_seconds"] = solveSeconds;
  report["transform"] = csc::TransformJson(filter->GetSolverObject());
  report["iteration_timing"] = csc::IterationTimingJson(filter->GetHistory());
  report["peak_memory_mb"] = csc::PeakResidentMegabytes();
  report["history"] = csc::Json::array();
  for (const auto & h : filter->GetHistory())
  {
    report["history"].push_back({ { "iteration", h.Iteration },
                                  { "objective", h.Objective },
                                  { "primal_residual", h.PrimalResidual },
                                  { "dual_residual", h.DualResidual },
                                  { "elapsed_seconds", h.ElapsedSeconds } });
  }
  csc::WriteJsonOutput(args.Get("--report"), report);
  std::cout << "report: " << args.Get("--report") << "\n";
}

/** --tile-size: every tile's core solved in turn and pasted into the outputs. */
template <typename TFilter>
double
CodeTileByTile(const csc::Arguments & args, TFilter * filter, Sparsity & sparsity)
{
  const auto tiles = csc::SplitFilterIntoTiles(args, filter);
  filter->UpdateOutputInformation();
  csc::TiledImageOutputs outputs;
  outputs.Add(args, "--output-coefficients", filter->GetCoefficients());
  outputs.Add(args, "--output-reconstruction", filter->GetReconstruction());
  const double seconds = csc::UpdateTilesWithProgress(
    filter, filter->GetReconstruction(), tiles, "ConvolutionalSparseCoding", [&](const auto &) {
      outputs.WriteTile();
      AddSparsity(sparsity, filter->GetInput(), filter);
    });
  csc::TiledImageOutputs::Finish();
  // --mpi: rank 0 sums the ranks' counts.
  const auto all = csc::MpiSession::Instance().Gather(
    { double(sparsity.Coefficients), double(sparsity.NonZero), sparsity.ErrorSquared, sparsity.Energy });
  sparsity = Sparsity();
  for (size_t i = 0; i + 3 < all.size(); i += 4)
  {
    sparsity.Coefficients += size_t(all[i]);
    sparsity.NonZero += size_t(all[i + 1]);
    sparsity.ErrorSquared += all[i + 2];
    sparsity.Energy += all[i + 3];
  }
  csc::ReportTiles(tiles.size(), filter->GetHaloRadii());
  return seconds;
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args)
{
  using ImageType = itk::Image<float, VDimension>;
  using FilterType = itk::ConvolutionalSparseCodingImageFilter<ImageType, float>;
  using DictionaryType = typename FilterType::DictionaryImageType;

  const bool tiled = csc::StartTiling(args);
  if (tiled)
  {
    csc::TiledImageOutputs::Declare<DictionaryType>(args, "--output-coefficients");
    csc::TiledImageOutputs::Declare<ImageType>(args, "--output-reconstruction");
    if (args.Has("--output-picture"))
    {
      throw csc::UsageError("--output-picture shows the whole image, which --tile-size keeps out of memory: leave it "
                            "out, or view the tiled outputs");
    }
  }
  else
  {
    csc::DeclareImageOutput<DictionaryType>(args, "--output-coefficients");
    csc::DeclareImageOutput<ImageType>(args, "--output-reconstruction");
  }
  const std::string coefficientsPath = args.Required("--output-coefficients");
  csc::DeclareImageOutput<DictionaryType>(args, "--output-dictionary");
  csc::DeclareImageOutput<csc::PictureType>(args, "--output-picture");
  csc::DeclareTextOutput(args, "--report");
  CodingInputs<FilterType> inputs;
  const auto               image = inputs.template Read<ImageType>(args.Required("--input"), "input", tiled);
  auto                     filter = FilterType::New();
  filter->SetLambda(args.Number("--lambda"));
  filter->SetNonNegative(args.Has("--nonnegative"));
  const auto solverFlags = csc::ApplySolverFlags(args, filter.GetPointer());
  ConfigurePursuit(args, filter.GetPointer(), solverFlags.Solver);
  ApplyStride(args, filter.GetPointer(), image->GetLargestPossibleRegion());
  csc::ConfigureTiling(args, filter.GetPointer(), tiled, solverFlags);
  filter->SetInput(image);
  const auto dictionary = ReadCodingDictionary<VDimension>(args);
  filter->SetDictionary(dictionary);
  if (args.Has("--weights"))
  {
    filter->SetWeights(
      inputs.template Read<typename FilterType::RealImageType>(args.Get("--weights"), "weights", tiled));
  }
  if (args.Has("--initial-coefficients"))
  {
    filter->SetInitialCoefficients(
      inputs.template Read<DictionaryType>(args.Get("--initial-coefficients"), "initial coefficients", tiled));
  }

  Sparsity sparsity;
  double   solveSeconds = 0;
  if (tiled)
  {
    solveSeconds = CodeTileByTile(args, filter.GetPointer(), sparsity);
    if (!csc::MpiSession::Instance().IsRoot())
    {
      return 0; // rank 0 reports; every rank has pasted its tiles
    }
  }
  else
  {
    solveSeconds = csc::UpdateWithProgress(filter.GetPointer(), "ConvolutionalSparseCoding");
    csc::WriteImageOutput(filter->GetCoefficients(), coefficientsPath);
    std::cout << "coefficients: " << coefficientsPath << "\n";
    csc::WriteImageIfRequested(args, "--output-reconstruction", filter->GetReconstruction());
    AddSparsity(sparsity, image.GetPointer(), filter.GetPointer());
  }
  csc::WriteImageIfRequested(args, "--output-dictionary", dictionary.GetPointer());
  if (args.Has("--output-picture"))
  {
    WritePicture(args.Get("--output-picture"), image.GetPointer(), filter.GetPointer());
  }
  const auto & stats = filter->GetStatistics();
  if (args.Has("--report"))
  {
    WriteCodingReport(args, filter.GetPointer(), solverFlags, sparsity, solveSeconds);
  }
  if (Overcompleteness(filter.GetPointer()) !=
      double(filter->GetCoefficients()->GetLargestPossibleRegion().GetSize()[VDimension]))
  {
    std::cout << "stride " << csc::StrideList(filter->GetStride())
              << ": overcompleteness K / prod(stride) = " << Overcompleteness(filter.GetPointer()) << "\n";
  }
  std::cout << "inactive coefficients " << 100 * sparsity.InactiveFraction() << " %, relative error ||s - Ax|| / ||s|| "
            << 100 * sparsity.RelativeError() << " %\n";
  csc::SlicerReport::Instance().Set("iterations", stats.Iteration);
  csc::SlicerReport::Instance().Set("objective", stats.Objective);
  csc::SlicerReport::Instance().Set("relativeError", sparsity.RelativeError());
  std::cout << "iterations " << stats.Iteration << ", objective " << stats.Objective << ", solve " << solveSeconds
            << " s, peak memory " << csc::PeakResidentMegabytes() << " MB\n";
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
