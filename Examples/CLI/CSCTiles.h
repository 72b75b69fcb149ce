// Tile-by-tile runs of the coding tools (--tile-size): the input is read in pieces, each tile's
// core is solved on the tile grown by its halo (the filters' streaming, itk::ImageTiling), and the
// image outputs are pasted into their files piece by piece, so an image larger than memory runs.
#ifndef CSCTiles_h
#define CSCTiles_h

#include "CSCCommandLine.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkImageIOFactory.h"
#include "itkSlabHaloExchange.h"
#include "itkImageTiling.h"
#include <functional>
#include <numeric>
#include <sstream>

namespace csc
{
/** --tile-size and --halo, the parameters of every tool that streams. */
inline std::vector<Parameter>
TilingParameters()
{
  return { Parameter(Kind::Integer,
                     "tile-size",
                     "Tile size",
                     "solve tile by tile: cores of N pixels per axis (a multiple of the stride), each grown by "
                     "--halo; the input is read and the image outputs written (uncompressed .mha/.mhd) in pieces, "
                     "so images larger than memory run (default: the whole image at once)")
             .Range(1)
             .Hint("N"),
           Parameter(Kind::Float,
                     "memory-budget",
                     "Memory budget",
                     "solve tile by tile, as --tile-size, with the largest tiles whose estimated working memory keeps "
                     "the process within M MiB (one tile when the whole image fits)")
             .Range(1)
             .Hint("M"),
           Parameter(Kind::Float,
                     "halo",
                     "Halo",
                     "with --tile-size: the margin around each core, in kernel radii (the stitched solution's "
                     "error falls as it grows; BENCHMARKS.md, Streaming)")
             .Default("4")
             .Range(0)
             .Hint("H"),
           Parameter(Kind::Boolean,
                     "mpi",
                     "MPI",
                     "under mpirun -np P: split the image over the P ranks (the --tile-size tiles in turn, or one "
                     "slab per rank along the last axis); each rank reads, solves and writes only its own tiles, "
                     "rank 0 gathers the sources and the report"),
           Parameter(Kind::Boolean,
                     "mpi-global",
                     "MPI: one problem",
                     "with --mpi (one slab per rank): the ranks exchange their halos' coefficients every iteration, "
                     "so the slabs solve the whole image's problem (its objective, to rounding) instead of one "
                     "problem each; needs --solver fista, --boundary zeropadded, stride 1 and --halo 2 or more (the "
                     "default then, also for --halo 4: the least that gives the exact gradient, larger ones only "
                     "cost)") };
}

/** The tiling parameters as a group of a tool's description. */
inline ParameterGroup
TilingGroup()
{
  return { "Tiling",
           "Solve tile by tile, reading and writing in pieces, for images larger than memory.",
           TilingParameters(),
           true };
}

/** The input of a tiled run, read in pieces: the reader (kept alive with the pipeline) after its
 * header. A format that cannot be read in pieces (compressed, PNG) is read whole, with a note. */
template <typename TImage>
typename itk::ImageFileReader<TImage>::Pointer
StreamedImageInput(const std::string & path, const std::string & what)
{
  ReadImageHeaderFor<TImage>(path, what);
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(path);
  try
  {
    reader->UpdateOutputInformation();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw UsageError("cannot read the " + what + " file '" + path + "': " + Describe(e));
  }
  if (!reader->GetImageIO()->CanStreamRead())
  {
    std::cout << "note: the " << what << " file '" << path
              << "' cannot be read in pieces (an uncompressed .mha/.mhd or .nrrd can); it is read whole\n";
  }
  return reader;
}

/** Starts MPI for --mpi (before any collective step). Returns whether the run is tiled: with
 * --tile-size or --memory-budget, or with --mpi alone (one slab per rank). */
inline bool
StartTiling(const Arguments & args)
{
  if (args.Has("--tile-size") && args.Has("--memory-budget"))
  {
    throw UsageError("give --tile-size or --memory-budget, not both");
  }
  if (args.Has("--mpi"))
  {
    MpiSession::Instance().Start();
  }
  return args.Has("--tile-size") || args.Has("--memory-budget") || args.Has("--mpi");
}

/** The tile edge of a tiled run: --tile-size, the one --memory-budget chose, or 0 (slabs). */
inline long &
ChosenTileSize()
{
  static long edge = 0;
  return edge;
}

/** The tiles of a tiled run, with the checks that name a bad tile size: cubes of --tile-size
 * pixels, or with --mpi alone one slab per rank along the last axis. With --mpi, the tiles of this
 * rank only (tile i goes to rank i mod P). */
template <unsigned int VDimension>
std::vector<typename itk::ImageTiling<VDimension>::Tile>
SplitIntoTiles(const Arguments & args, const itk::ImageRegion<VDimension> & image,
               const itk::FixedArray<unsigned int, VDimension> & stride, const itk::Size<VDimension> & kernelSize)
{
  const auto &          mpi = MpiSession::Instance();
  const bool            slabs = ChosenTileSize() == 0;
  itk::Size<VDimension> tileSize = image.GetSize();
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    long edge = slabs ? long(image.GetSize(d)) : ChosenTileSize();
    if (slabs && d == VDimension - 1)
    {
      edge = (long(image.GetSize(d)) + mpi.Size() - 1) / mpi.Size();
      edge = (edge + long(stride[d]) - 1) / long(stride[d]) * long(stride[d]);
    }
    const std::string what = slabs ? "one slab per rank (" + std::to_string(edge) + " pixels along the last axis)"
                             : args.Has("--memory-budget") ? "--memory-budget's tiles of " + std::to_string(edge)
                                                           : "--tile-size " + std::to_string(edge);
    if (!slabs && edge % long(stride[d]) != 0)
    {
      throw UsageError(what + " must be a multiple of the stride (" + std::to_string(stride[d]) + " along axis " +
                       std::to_string(d) + ")");
    }
    if (edge < long(kernelSize[d]) && edge < long(image.GetSize(d)))
    {
      throw UsageError(what + " is smaller than a kernel (" + std::to_string(kernelSize[d]) + " pixels along axis " +
                       std::to_string(d) + ")" + (slabs ? ": use fewer ranks" : ""));
    }
    tileSize[d] = static_cast<itk::SizeValueType>(edge);
  }
  const auto tiles = itk::ImageTiling<VDimension>::Split(image, tileSize, itk::Size<VDimension>{}, stride);
  if (!mpi.Active())
  {
    return tiles;
  }
  if (tiles.size() < static_cast<size_t>(mpi.Size()))
  {
    throw UsageError("--mpi with " + std::to_string(mpi.Size()) + " ranks needs at least as many tiles, but the " +
                     "image splits into " + std::to_string(tiles.size()) +
                     ": use a smaller --tile-size or fewer ranks");
  }
  std::vector<typename itk::ImageTiling<VDimension>::Tile> mine;
  for (size_t i = mpi.Rank(); i < tiles.size(); i += mpi.Size())
  {
    mine.push_back(tiles[i]);
  }
  return mine;
}

/** --memory-budget M: the largest tile edge (a multiple of every axis's stride) whose solve on
 * the tile grown by its halo, with the tile's input and output buffers, keeps the process (as
 * large as it is now) within M MiB; throws when even the smallest tiles would not. */
template <typename TFilter>
long
TileSizeForBudget(const Arguments & args, const TFilter * filter, const itk::Size<TFilter::ImageDimension> & kernelSize)
{
  constexpr unsigned int Dimension = TFilter::ImageDimension;
  using Tiling = itk::ImageTiling<Dimension>;
  const double budget = args.Number("--memory-budget") * double(1 << 20);
  const double now = CurrentResidentMegabytes() * double(1 << 20);
  const auto   image = filter->GetInput()->GetLargestPossibleRegion();
  const auto   stride = filter->GetStride();
  const auto   halo = Tiling::HaloForKernel(kernelSize, filter->GetHaloRadii());
  const double K = double(filter->GetDictionary()->GetLargestPossibleRegion().GetSize(Dimension));
  long         step = 1, largest = 0, smallest = 0;
  for (unsigned int d = 0; d < Dimension; ++d)
  {
    step = std::lcm(step, long(stride[d]));
    largest = std::max(largest, long(image.GetSize(d)));
    smallest = std::max(smallest, long(kernelSize[d]));
  }
  auto bytes = [&](long edge) {
    // A tile in the image's middle grows by the halo on both sides: the largest solve.
    typename Tiling::RegionType core = image;
    for (unsigned int d = 0; d < Dimension; ++d)
    {
      core.SetSize(d, std::min<itk::SizeValueType>(image.GetSize(d), itk::SizeValueType(edge)));
      core.SetIndex(d, image.GetIndex(d) + long(image.GetSize(d) - core.GetSize(d)) / 2);
    }
    const auto solve = Tiling::Grow(core, halo, image, stride);
    // The solve, the tile read (twice: reader and signal), the core's outputs written, and what
    // the pipeline, the FFTW plans and the libraries add once solving (16 MiB: 11-14 MiB measured
    // beyond the rest, BENCHMARKS.md "Memory budget").
    return filter->EstimateSolveBytes(solve) + 8.0 * double(solve.GetNumberOfPixels()) +
           4.0 * (K + 1) * double(core.GetNumberOfPixels()) + 16.0 * double(1 << 20);
  };
  smallest = (smallest + step - 1) / step * step;
  largest = (largest + step - 1) / step * step;
  for (long edge = largest; edge >= smallest; edge -= step)
  {
    if (now + bytes(edge) <= budget)
    {
      std::cout << "--memory-budget " << args.Get("--memory-budget") << " MiB: tiles of " << edge
                << " pixels (the process holds " << std::lround(now / double(1 << 20)) << " MiB, a tile about "
                << std::lround(bytes(edge) / double(1 << 20)) << " MiB more)\n";
      return edge;
    }
  }
  std::ostringstream message;
  message << "--memory-budget " << args.Get("--memory-budget") << " MiB is too small: the process holds "
          << std::lround(now / double(1 << 20)) << " MiB already and tiles of " << smallest << " pixels need about "
          << std::lround(bytes(smallest) / double(1 << 20)) << " MiB more";
  throw UsageError(message.str());
}

/** SplitIntoTiles() for a coding filter: its input's grid, its stride, its kernels. */
template <typename TFilter>
std::vector<typename itk::ImageTiling<TFilter::ImageDimension>::Tile>
SplitFilterIntoTiles(const Arguments & args, TFilter * filter)
{
  constexpr unsigned int Dimension = TFilter::ImageDimension;
  itk::Size<Dimension>   kernelSize;
  const auto             dictionarySize = filter->GetDictionary()->GetLargestPossibleRegion().GetSize();
  std::copy_n(dictionarySize.begin(), Dimension, kernelSize.begin());
  ChosenTileSize() = args.Has("--tile-size")       ? Integer(args, "--tile-size")
                     : args.Has("--memory-budget") ? TileSizeForBudget(args, filter, kernelSize)
                                                   : 0;
  return SplitIntoTiles<Dimension>(
    args, filter->GetInput()->GetLargestPossibleRegion(), filter->GetStride(), kernelSize);
}

/** --mpi-global: a FISTA solver whose slab exchanges its halo with the neighbouring ranks. */
template <typename TFilter>
void
ConfigureGlobalSlabs(const Arguments & args, TFilter * filter, const SolverFlags & flags)
{
  if (!args.Has("--mpi") || args.Has("--tile-size") || args.Has("--memory-budget"))
  {
    throw UsageError("--mpi-global needs --mpi without --tile-size or --memory-budget (one slab per rank)");
  }
  if (flags.Solver != "fista")
  {
    throw UsageError("--mpi-global needs --solver fista: its steps after the gradient are pixel by pixel, "
                     "those of " +
                     flags.Solver + " are not");
  }
  const auto stride = filter->GetStride();
  if (std::any_of(stride.begin(), stride.end(), [](unsigned int f) { return f != 1; }))
  {
    throw UsageError("--mpi-global needs stride 1");
  }
  if (!args.Has("--halo"))
  {
    filter->SetHaloRadii(2.0);
  }
  if (filter->GetHaloRadii() < 2)
  {
    throw UsageError("--mpi-global needs --halo 2 or more: the gradient on a slab's core reaches the kernel "
                     "size less one (2 radii) into its neighbours");
  }
  using RealType = typename TFilter::RealType;
  auto exchange = itk::SlabHaloExchange<RealType>::New();
  exchange->SetCommunicator(MpiCommunicator::New());
  auto solver = itk::FISTASparseCodingSolver<RealType>::New();
  solver->SetHaloExchange(exchange);
  filter->SetSolver(solver.GetPointer());
}

/** The filter's halo, and the checks and solver of a tiled run: the zero-padded boundary,
 * --mpi-global's exchanging solver. */
template <typename TFilter>
void
ConfigureTiling(const Arguments & args, TFilter * filter, bool tiled, const SolverFlags & flags)
{
  filter->SetHaloRadii(args.Number("--halo"));
  if (tiled && flags.Boundary != "zeropadded")
  {
    throw UsageError(std::string(args.Has("--tile-size")       ? "--tile-size"
                                 : args.Has("--memory-budget") ? "--memory-budget"
                                                               : "--mpi") +
                     " needs --boundary zeropadded (a periodic problem wraps around the whole image)");
  }
  if (args.Has("--mpi-global"))
  {
    ConfigureGlobalSlabs(args, filter, flags);
  }
}

/** The report's "tiling" entry: the tile edge (null for slabs), the budget, halo and ranks. */
inline Json
TilingReport(const Arguments & args, double haloRadii)
{
  return { { "tile_size", ChosenTileSize() > 0 ? Json(ChosenTileSize()) : Json() },
           { "memory_budget_mib", args.Has("--memory-budget") ? Json(args.Number("--memory-budget")) : Json() },
           { "halo_radii", haloRadii },
           { "ranks", MpiSession::Instance().Size() },
           { "mpi_global", args.Has("--mpi-global") } };
}

/** Says how the image was tiled (and on which rank). */
inline void
ReportTiles(size_t tiles, double haloRadii)
{
  const auto & mpi = MpiSession::Instance();
  std::cout << tiles << " tiles, halo " << haloRadii << " kernel radii"
            << (mpi.Active() ? " on rank " + std::to_string(mpi.Rank()) : std::string()) << "\n";
}

/** The image outputs of a tiled run: each is pasted into its staged file (moved into place with
 * the run's other outputs) as every tile's core is solved. */
class TiledImageOutputs
{
public:
  /** Declares the output of \c flag, if given, as a streamed one: its format must take pieces. */
  template <typename TImage>
  static void
  Declare(const Arguments & args, const std::string & flag)
  {
    if (!args.Has(flag))
    {
      return;
    }
    DeclareImageOutput<TImage>(args, flag);
    const std::string path = args.Get(flag);
    const auto        io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::WriteMode);
    if (!io || !io->CanStreamWrite() || args.Has("--compress"))
    {
      throw UsageError(flag + " '" + path + "': tile by tile the image outputs are written in pieces, " +
                       "which needs an uncompressed MetaImage (.mha or .mhd) without --compress");
    }
  }

  /** Adds the filter output \c image for \c flag, if given. */
  template <typename TImage>
  void
  Add(const Arguments & args, const std::string & flag, TImage * image)
  {
    if (!args.Has(flag))
    {
      return;
    }
    const std::string path = args.Get(flag);
    const auto &      mpi = MpiSession::Instance();
    // With --mpi every rank pastes its tiles into rank 0's staged file, made whole first (a
    // MetaImage paste into a shorter file writes its last byte, racing the others).
    std::string staged = mpi.IsRoot() ? OutputSet::Instance().StagePieces(path) : std::string();
    if (mpi.Active())
    {
      if (mpi.IsRoot())
      {
        CreateEmpty(image, staged);
      }
      staged = mpi.Broadcast(staged);
    }
    auto writer = itk::ImageFileWriter<TImage>::New();
    writer->SetFileName(staged);
    writer->SetInput(image);
    writer->SetUseCompression(false);
    m_Writers.push_back([writer, image, flag, path]() {
      // The filter's outputs hold the tile's core: pasting exactly that region re-runs nothing.
      itk::ImageIORegion region(TImage::ImageDimension);
      itk::ImageIORegionAdaptor<TImage::ImageDimension>::Convert(
        image->GetBufferedRegion(), region, image->GetLargestPossibleRegion().GetIndex());
      writer->SetIORegion(region);
      CapturedErrorStream errors;
      try
      {
        writer->Update();
      }
      catch (const itk::ExceptionObject & e)
      {
        throw std::runtime_error("cannot write " + flag + " '" + path + "': " + Describe(e));
      }
      if (!errors.Failure().empty())
      {
        throw std::runtime_error("cannot write " + flag + " '" + path + "' (is the disk full?): " + errors.Text());
      }
    });
    std::cout << flag.substr(flag.rfind("output-") == 2 ? 9 : 2) << ": " << path << " (tile by tile)\n";
  }

  /** Waits until every rank has pasted its tiles: rank 0 may then move the files into place. */
  static void
  Finish()
  {
    MpiSession::Instance().Barrier();
  }

  /** Pastes the current tile's core of every output. */
  void
  WriteTile() const
  {
    for (const auto & write : m_Writers)
    {
      write();
    }
  }

private:
  /** The file of \c image's whole grid, zeros, at \c path (a one-pixel paste makes it whole). */
  template <typename TImage>
  static void
  CreateEmpty(const TImage * image, const std::string & path)
  {
    auto zero = TImage::New();
    zero->CopyInformation(image);
    auto pixel = image->GetLargestPossibleRegion();
    pixel.SetSize(TImage::SizeType::Filled(1));
    zero->SetBufferedRegion(pixel);
    zero->Allocate(true);
    itk::ImageIORegion region(TImage::ImageDimension);
    itk::ImageIORegionAdaptor<TImage::ImageDimension>::Convert(pixel, region, pixel.GetIndex());
    auto writer = itk::ImageFileWriter<TImage>::New();
    writer->SetFileName(path);
    writer->SetInput(zero);
    writer->SetIORegion(region);
    writer->Update();
  }
  std::vector<std::function<void()>> m_Writers;
};

/** Updates \c filter tile by tile through its output \c onImageGrid, with a progress bar over the
 * tiles; visit(tile) reads the outputs after each. Returns the seconds it took. */
template <typename TFilter, unsigned int VDimension, typename TVisit>
double
UpdateTilesWithProgress(TFilter * filter, itk::ImageBase<VDimension> * onImageGrid,
                        const std::vector<typename itk::ImageTiling<VDimension>::Tile> & tiles,
                        const std::string & label, TVisit && visit)
{
  ProgressBar      progress(label);
  const auto       start = std::chrono::steady_clock::now();
  size_t           done = 0;
  const bool       root = MpiSession::Instance().IsRoot();
  ObservedProgress observed(filter, progress);
  observed.Observe(itk::ProgressEvent(), [&](const itk::EventObject &) {
    if (!root)
    {
      return;
    }
    std::ostringstream detail;
    detail << "tile " << done + 1 << "/" << tiles.size() << ", iteration " << filter->GetIteration();
    progress.Update((double(done) + filter->GetProgress()) / double(tiles.size()), detail.str());
  });
  itk::UpdateTileByTile<VDimension>(onImageGrid, tiles, [&](const typename itk::ImageTiling<VDimension>::Tile & tile) {
    visit(tile);
    ++done;
  });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
} // namespace csc

#endif
