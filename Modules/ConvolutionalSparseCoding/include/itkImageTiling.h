#ifndef itkImageTiling_h
#define itkImageTiling_h

#include "itkContinuousIndex.h"
#include "itkImageBase.h"
#include "itkImageRegion.h"
#include "itkMacro.h"
#include <algorithm>
#include <cmath>
#include <vector>

namespace itk
{
/** \class ImageTiling
 * \brief Splits an image region into tiles with halos, the one place the module's streaming
 * (the filters answering a requested region) and its tiled and MPI drivers take geometry from.
 *
 * A convolutional code is local: a coefficient touches only a kernel-sized neighbourhood. So a
 * region is solved on itself grown by a halo (Grow()) with the ZeroPadded boundary, and only its
 * core is kept; the error this leaves at the core falls as the halo grows (BENCHMARKS.md,
 * "Streaming"). Cores partition the image; a point (a source's sub-pixel position) belongs to
 * the one core that Owns() it, so lists gathered from tiles have neither duplicates nor gaps.
 *
 * Alignment: with a coefficient stride F every core and every grown region starts on a
 * multiple of F from the image's first pixel, so each tile's coarse grid is a piece of the
 * image's.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <unsigned int VDimension>
class ImageTiling
{
public:
  using RegionType = ImageRegion<VDimension>;
  using SizeType = Size<VDimension>;
  using IndexType = Index<VDimension>;
  using AlignmentType = FixedArray<unsigned int, VDimension>;

  struct Tile
  {
    RegionType Core;  ///< the part of the image this tile answers for
    RegionType Grown; ///< the core grown by the halo, within the image: what is solved
  };

  /** The halo, per axis, for kernels of \c kernelSize taps: \c radii kernel radii (floor(M/2)),
   * rounded up to whole pixels. */
  static SizeType
  HaloForKernel(const SizeType & kernelSize, double radii)
  {
    if (!(radii >= 0) || !std::isfinite(radii))
    {
      itkGenericExceptionMacro("The halo must be a finite, non-negative number of kernel radii, got " << radii);
    }
    SizeType halo;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      halo[d] = static_cast<SizeValueType>(std::ceil(radii * double(kernelSize[d] / 2)));
    }
    return halo;
  }

  /** \c core grown by \c halo on every side, its ends moved outwards to multiples of
   * \c alignment from \c image's first pixel, and cropped to \c image. */
  static RegionType
  Grow(const RegionType & core, const SizeType & halo, const RegionType & image, const AlignmentType & alignment)
  {
    RegionType grown;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const OffsetValueType f = std::max(1u, alignment[d]);
      const OffsetValueType first = image.GetIndex(d);
      const OffsetValueType end = first + static_cast<OffsetValueType>(image.GetSize(d));
      OffsetValueType       begin = core.GetIndex(d) - static_cast<OffsetValueType>(halo[d]) - first;
      OffsetValueType       stop = core.GetIndex(d) + static_cast<OffsetValueType>(core.GetSize(d) + halo[d]) - first;
      begin = begin >= 0 ? begin / f * f : -((-begin + f - 1) / f * f);
      stop = (stop + f - 1) / f * f;
      begin = std::max(first, first + begin);
      stop = std::min(end, first + stop);
      grown.SetIndex(d, begin);
      grown.SetSize(d, static_cast<SizeValueType>(stop - begin));
    }
    return grown;
  }

  /** Cores of \c tileSize pixels (the last along an axis may be smaller) covering \c image,
   * each grown by \c halo. \c tileSize must be a multiple of \c alignment and at least 1. */
  static std::vector<Tile>
  Split(const RegionType & image, const SizeType & tileSize, const SizeType & halo, const AlignmentType & alignment)
  {
    SizeValueType count = 1;
    SizeType      tilesAlong;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const SizeValueType f = std::max(1u, alignment[d]);
      if (tileSize[d] == 0 || tileSize[d] % f != 0)
      {
        itkGenericExceptionMacro("The tile size along axis " << d << " (" << tileSize[d]
                                                             << ") must be a positive multiple of the stride " << f);
      }
      tilesAlong[d] = (image.GetSize(d) + tileSize[d] - 1) / tileSize[d];
      count *= tilesAlong[d];
    }
    std::vector<Tile> tiles;
    tiles.reserve(count);
    for (SizeValueType t = 0; t < count; ++t)
    {
      SizeValueType rest = t;
      Tile          tile;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const SizeValueType position = rest % tilesAlong[d];
        rest /= tilesAlong[d];
        const SizeValueType begin = position * tileSize[d];
        tile.Core.SetIndex(d, image.GetIndex(d) + static_cast<OffsetValueType>(begin));
        tile.Core.SetSize(d, std::min(tileSize[d], image.GetSize(d) - begin));
      }
      tile.Grown = Grow(tile.Core, halo, image, alignment);
      tiles.push_back(tile);
    }
    return tiles;
  }

  /** Whether \c core, a tile of \c image, holds the continuous index \c point: each pixel owns
   * [i - 1/2, i + 1/2), and a core on the image's edge also owns what lies beyond that edge
   * (a source just outside the image), so the cores of a split share no point and miss none. */
  template <typename TCoordinate>
  static bool
  Owns(const RegionType & core, const RegionType & image, const ContinuousIndex<TCoordinate, VDimension> & point)
  {
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const double begin = double(core.GetIndex(d)) - 0.5;
      const double end = begin + double(core.GetSize(d));
      const bool   first = core.GetIndex(d) == image.GetIndex(d);
      const bool   last =
        core.GetIndex(d) + OffsetValueType(core.GetSize(d)) == image.GetIndex(d) + OffsetValueType(image.GetSize(d));
      if (!((first || point[d] >= begin) && (last || point[d] < end)))
      {
        return false;
      }
    }
    return true;
  }
};

/** Updates a filter tile by tile through \c output, one of its outputs on the image grid: for
 * every tile its core is requested and updated (the filter grows it by its halo), then
 * visit(tile) reads the outputs. The streaming writers' and the tiled CLIs' loop.
 * \ingroup ConvolutionalSparseCoding */
template <unsigned int VDimension, typename TVisit>
void
UpdateTileByTile(ImageBase<VDimension> * output, const std::vector<typename ImageTiling<VDimension>::Tile> & tiles,
                 TVisit && visit)
{
  for (const auto & tile : tiles)
  {
    output->SetRequestedRegion(tile.Core);
    output->Update();
    visit(tile);
  }
}

/** Copies the part \c to of an array laid out on \c from (x fastest) into an array laid out on
 * \c to; \c to must lie inside \c from. Rows along axis 0 are copied whole.
 * \ingroup ConvolutionalSparseCoding */
template <typename TValue, unsigned int VDimension>
void
CopyRegion(const TValue * source, const ImageRegion<VDimension> & from, TValue * target,
           const ImageRegion<VDimension> & to)
{
  if (!from.IsInside(to))
  {
    itkGenericExceptionMacro("CopyRegion: the region " << to << " is not inside " << from);
  }
  const SizeValueType width = to.GetSize(0);
  SizeValueType       rows = 1;
  for (unsigned int d = 1; d < VDimension; ++d)
  {
    rows *= to.GetSize(d);
  }
  for (SizeValueType row = 0; row < rows; ++row)
  {
    SizeValueType rest = row, offset = 0, stride = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      SizeValueType position = 0;
      if (d > 0)
      {
        position = rest % to.GetSize(d);
        rest /= to.GetSize(d);
      }
      offset += (static_cast<SizeValueType>(to.GetIndex(d) - from.GetIndex(d)) + position) * stride;
      stride *= from.GetSize(d);
    }
    std::copy(source + offset, source + offset + width, target + row * width);
  }
}
} // namespace itk

#endif
