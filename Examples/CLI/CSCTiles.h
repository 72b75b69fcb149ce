// Tile-by-tile runs of the coding tools (--tile-size): the input is read in pieces, each tile's
// core is solved on the tile grown by its halo (the filters' streaming, itk::ImageTiling), and the
// image outputs are pasted into their files piece by piece, so an image larger than memory runs.
#ifndef CSCTiles_h
#define CSCTiles_h

#include "CSCCommandLine.h"
#include "itkImageIOFactory.h"
#include "itkImageTiling.h"
#include <functional>

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
                     "halo",
                     "Halo",
                     "with --tile-size: the margin around each core, in kernel radii (the stitched solution's "
                     "error falls as it grows; BENCHMARKS.md, Streaming)")
             .Default("4")
             .Range(0)
             .Hint("H") };
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

/** The tiles of a --tile-size run, with the checks that name a bad tile size. */
template <unsigned int VDimension>
std::vector<typename itk::ImageTiling<VDimension>::Tile>
SplitIntoTiles(const Arguments & args, const itk::ImageRegion<VDimension> & image,
               const itk::FixedArray<unsigned int, VDimension> & stride, const itk::Size<VDimension> & kernelSize)
{
  const long            edge = Integer(args, "--tile-size");
  itk::Size<VDimension> tileSize;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    if (edge % long(stride[d]) != 0)
    {
      throw UsageError("--tile-size " + std::to_string(edge) + " must be a multiple of the stride (" +
                       std::to_string(stride[d]) + " along axis " + std::to_string(d) + ")");
    }
    if (edge < long(kernelSize[d]) && edge < long(image.GetSize(d)))
    {
      throw UsageError("--tile-size " + std::to_string(edge) + " is smaller than a kernel (" +
                       std::to_string(kernelSize[d]) + " pixels along axis " + std::to_string(d) + ")");
    }
    tileSize[d] = static_cast<itk::SizeValueType>(edge);
  }
  return itk::ImageTiling<VDimension>::Split(image, tileSize, itk::Size<VDimension>{}, stride);
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
      throw UsageError(flag + " '" + path + "': with --tile-size the image outputs are written in pieces, " +
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
    const std::string staged = OutputSet::Instance().StagePieces(path);
    auto              writer = itk::ImageFileWriter<TImage>::New();
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
  ProgressBar progress(label);
  const auto  start = std::chrono::steady_clock::now();
  size_t      done = 0;
  const auto  tag = filter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    std::ostringstream detail;
    detail << "tile " << done + 1 << "/" << tiles.size() << ", iteration " << filter->GetIteration();
    progress.Update((double(done) + filter->GetProgress()) / double(tiles.size()), detail.str());
  });
  try
  {
    itk::UpdateTileByTile<VDimension>(
      onImageGrid, tiles, [&](const typename itk::ImageTiling<VDimension>::Tile & tile) {
        visit(tile);
        ++done;
      });
  }
  catch (...)
  {
    filter->RemoveObserver(tag);
    progress.Finish();
    throw;
  }
  filter->RemoveObserver(tag);
  progress.Finish();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
} // namespace csc

#endif
