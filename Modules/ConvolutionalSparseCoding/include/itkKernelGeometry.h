#ifndef itkKernelGeometry_h
#define itkKernelGeometry_h

#include "itkIntTypes.h"
#include <algorithm>
#include <array>
#include <cmath>

namespace itk
{
/** Visits the taps of a kernel of \c kernelSize taps placed with its centre tap (floor(M/2)
 * along an axis of M taps, the module's convention) on pixel \c anchor of an image of
 * \c imageSize pixels: visit(imageOffset, tap) for every tap that lands in the image, taps
 * numbered x fastest. Rows along axis 0 are clipped to the image once; the other axes advance
 * like an odometer. Used wherever one source's kernel is added to, or correlated with, an image.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <unsigned int VDimension, typename TVisit>
void
ForEachKernelTapInImage(const std::array<long, VDimension> &          anchor,
                        const std::array<SizeValueType, VDimension> & kernelSize,
                        const std::array<SizeValueType, VDimension> & imageSize, TVisit && visit)
{
  const long width = static_cast<long>(kernelSize[0]);
  const long first = anchor[0] - width / 2;
  const long begin = std::max(0L, -first);
  const long end = std::min(width, static_cast<long>(imageSize[0]) - first);
  if (begin >= end)
  {
    return;
  }
  SizeValueType rows = 1;
  for (unsigned int d = 1; d < VDimension; ++d)
  {
    rows *= kernelSize[d];
  }
  std::array<long, VDimension> tap{};
  for (SizeValueType row = 0; row < rows; ++row)
  {
    bool          inside = true;
    SizeValueType offset = 0, stride = imageSize[0];
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      const long c = anchor[d] + tap[d] - static_cast<long>(kernelSize[d] / 2);
      inside = inside && c >= 0 && c < static_cast<long>(imageSize[d]);
      offset += static_cast<SizeValueType>(std::max(c, 0L)) * stride;
      stride *= imageSize[d];
    }
    if (inside)
    {
      const SizeValueType rowTap = row * static_cast<SizeValueType>(width);
      for (long t = begin; t < end; ++t)
      {
        visit(offset + static_cast<SizeValueType>(first + t), rowTap + static_cast<SizeValueType>(t));
      }
    }
    for (unsigned int d = 1; d < VDimension; ++d)
    {
      if (++tap[d] < static_cast<long>(kernelSize[d]))
      {
        break;
      }
      tap[d] = 0;
    }
  }
}
/** The centroid (in tap coordinates) and the RMS radius of |h| over a kernel of \c size taps per
 * axis (x fastest): the radius is the root of the mean per-axis variance, sigma for a Gaussian.
 * The module's "size" of a source kernel. */
template <unsigned int VDimension>
struct KernelShape
{
  std::array<double, VDimension> Centroid{};
  double                         RMSRadius{ 0 };
};

template <unsigned int VDimension, typename TReal, typename TSize>
KernelShape<VDimension>
ComputeKernelShape(const TReal * h, const TSize & size)
{
  SizeValueType taps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    taps *= size[d];
  }
  std::array<double, VDimension> first{}, second{};
  double                         total = 0;
  for (SizeValueType t = 0; t < taps; ++t)
  {
    const double  weight = std::abs(static_cast<double>(h[t]));
    SizeValueType rest = t;
    total += weight;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const double coordinate = static_cast<double>(rest % size[d]);
      rest /= size[d];
      first[d] += weight * coordinate;
      second[d] += weight * coordinate * coordinate;
    }
  }
  KernelShape<VDimension> shape;
  if (!(total > 0))
  {
    return shape;
  }
  double variance = 0;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    shape.Centroid[d] = first[d] / total;
    variance += second[d] / total - shape.Centroid[d] * shape.Centroid[d];
  }
  shape.RMSRadius = std::sqrt(std::max(0.0, variance) / VDimension);
  return shape;
}
} // namespace itk

#endif
