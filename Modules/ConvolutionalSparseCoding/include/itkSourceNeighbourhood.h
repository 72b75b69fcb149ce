#ifndef itkSourceNeighbourhood_h
#define itkSourceNeighbourhood_h

#include "itkIntTypes.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace itk
{
/** \class SourcePointGrid
 * \brief Points (sources) binned on a uniform grid of cells, so that the points near a position
 * are found by looking at the cells within reach only. Shared by source detection (merging,
 * deblending contrast) and source fitting (merge tests, occupied candidates).
 *
 * The grid covers the image grown by \c margin on every side; positions outside fall into the
 * border cells. Cells are hashed into at most 2^20 slots, so a slot may hold far points: callers
 * test distances themselves.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <unsigned int VDimension>
class SourcePointGrid
{
public:
  using PositionType = std::array<double, VDimension>;
  using CellType = std::array<long, VDimension>;

  /** Empties the grid and sets its cells: \c cell wide, over an image of \c imageSize pixels
   * grown by \c margin. */
  void
  Reset(double cell, const std::array<SizeValueType, VDimension> & imageSize, double margin)
  {
    m_Cell = cell;
    m_Margin = margin;
    SizeValueType cells = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      m_Size[d] = static_cast<SizeValueType>(std::ceil((imageSize[d] + 2 * margin) / m_Cell)) + 1;
      cells *= m_Size[d];
    }
    m_Slots.clear();
    m_Slots.resize(std::min<SizeValueType>(cells, 1u << 20));
  }

  void
  Add(const PositionType & position, size_t index)
  {
    m_Slots[this->Slot(this->Cell(position))].push_back(index);
  }

  /** visit(index) for every point in the cells within \c radius of \c position, each slot once,
   * cells in raster order (x fastest), points in the order they were added. */
  template <typename TVisit>
  void
  ForEachNear(const PositionType & position, double radius, TVisit && visit) const
  {
    const long reach = static_cast<long>(std::ceil(radius / m_Cell));
    const auto centre = this->Cell(position);
    CellType   low, high, c;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      low[d] = std::max(0L, centre[d] - reach);
      high[d] = std::min(static_cast<long>(m_Size[d]) - 1, centre[d] + reach);
      c[d] = low[d];
    }
    std::vector<SizeValueType> visited;
    while (true)
    {
      const SizeValueType slot = this->Slot(c);
      if (std::find(visited.begin(), visited.end(), slot) == visited.end())
      {
        visited.push_back(slot);
        for (const size_t index : m_Slots[slot])
        {
          visit(index);
        }
      }
      unsigned int d = 0;
      while (d < VDimension && ++c[d] > high[d])
      {
        c[d] = low[d];
        ++d;
      }
      if (d == VDimension)
      {
        return;
      }
    }
  }

private:
  CellType
  Cell(const PositionType & position) const
  {
    CellType cell;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      cell[d] = std::min(static_cast<long>(m_Size[d]) - 1,
                         std::max(0L, static_cast<long>(std::floor((position[d] + m_Margin) / m_Cell))));
    }
    return cell;
  }
  SizeValueType
  Slot(const CellType & cell) const
  {
    SizeValueType key = 0, stride = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      key += static_cast<SizeValueType>(cell[d]) * stride;
      stride *= m_Size[d];
    }
    return key % m_Slots.size();
  }

  double                                m_Cell{ 1.0 };
  double                                m_Margin{ 0.0 };
  std::array<SizeValueType, VDimension> m_Size{};
  std::vector<std::vector<size_t>>      m_Slots;
};

/** Visits the local maxima of an N-D map (x fastest) over the (2r+1)^N box about each pixel:
 * visit(i, index, box) for every pixel i whose value passes accept(value) and that no pixel of
 * its box exceeds (on a plateau the first pixel in raster order wins), in raster order; \c box
 * lists the pixels of the box inside the image (i included). Shared by source detection (on
 * the source map) and source fitting (on the residual's matched filter).
 * \ingroup ConvolutionalSparseCoding
 */
template <unsigned int VDimension, typename TValue, typename TAccept, typename TVisit>
void
ForEachLocalMaximum(const TValue * map, const std::array<SizeValueType, VDimension> & size, unsigned int radius,
                    TAccept && accept, TVisit && visit)
{
  const int                             r = static_cast<int>(radius);
  std::array<SizeValueType, VDimension> stride{};
  SizeValueType                         n = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    stride[d] = n;
    n *= size[d];
  }
  std::vector<std::array<int, VDimension>> deltas;
  std::array<int, VDimension>              delta;
  delta.fill(-r);
  while (true)
  {
    deltas.push_back(delta);
    unsigned int d = 0;
    while (d < VDimension && ++delta[d] > r)
    {
      delta[d] = -r;
      ++d;
    }
    if (d == VDimension)
    {
      break;
    }
  }
  std::array<SizeValueType, VDimension> index{};
  std::vector<SizeValueType>            box;
  for (SizeValueType i = 0; i < n; ++i)
  {
    const TValue value = map[i];
    if (!accept(value))
    {
      continue;
    }
    SizeValueType rest = i;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      index[d] = rest % size[d];
      rest /= size[d];
    }
    box.clear();
    bool isMaximum = true;
    for (const auto & step : deltas)
    {
      SizeValueType q = 0;
      bool          inside = true;
      for (unsigned int d = 0; d < VDimension && inside; ++d)
      {
        const long coordinate = static_cast<long>(index[d]) + step[d];
        inside = coordinate >= 0 && coordinate < static_cast<long>(size[d]);
        q += static_cast<SizeValueType>(coordinate) * stride[d];
      }
      if (!inside)
      {
        continue;
      }
      if (map[q] > value || (map[q] == value && q < i))
      {
        isMaximum = false;
        break;
      }
      box.push_back(q);
    }
    if (isMaximum)
    {
      visit(i, index, box);
    }
  }
}
} // namespace itk

#endif
