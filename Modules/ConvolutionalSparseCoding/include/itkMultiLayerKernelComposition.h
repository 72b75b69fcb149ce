#ifndef itkMultiLayerKernelComposition_h
#define itkMultiLayerKernelComposition_h

#include "itkMacro.h"
#include <numeric>
#include <vector>

namespace itk
{
/** \brief Kernels of a convolutional layer as flat arrays: \c maps kernels of \c channels
 * channels, kernel k's channel c at (k channels + c) taps, x fastest (an (N+2)-D image
 * [x, y, (z,) channel, kernel]); kernel origin at tap floor(M/2) along an axis of M taps.
 * \ingroup ConvolutionalSparseCoding */
template <typename TReal>
struct ConvolutionalLayerKernels
{
  std::vector<TReal>  Values;
  std::vector<size_t> Size;
  unsigned int        Maps{ 0 };
  unsigned int        Channels{ 0 };

  size_t
  Taps() const
  {
    return std::accumulate(Size.begin(), Size.end(), size_t{ 1 }, std::multiplies<size_t>());
  }
};

namespace MultiLayerKernelComposition
{
/** Visits every tap's multi-index of a kernel of \c size taps in memory order: body(tap, index). */
template <typename TBody>
void
ForEachTap(const std::vector<size_t> & size, TBody && body)
{
  const size_t        taps = std::accumulate(size.begin(), size.end(), size_t{ 1 }, std::multiplies<size_t>());
  std::vector<size_t> index(size.size(), 0);
  for (size_t t = 0; t < taps; ++t)
  {
    body(t, index);
    for (size_t d = 0; d < size.size() && ++index[d] == size[d]; ++d)
    {
      index[d] = 0;
    }
  }
}

/** Taps along one axis of a kernel of \c a taps composed with one of \c b: a + b - 1, one more
 * when both are even, so that floor(M/2) stays the centre. */
inline size_t
ComposedSize(size_t a, size_t b)
{
  return a + b - 1 + ((a % 2 == 0 && b % 2 == 0) ? 1 : 0);
}

/** The effective kernels of two chained layers, D_upper D_lower: kernel k, channel c is
 * sum_m upper(c, m) * lower(m, k), a full linear convolution whose centre is the sum of the
 * two centres (a + b - 1 taps per axis, one more when both are even so that floor(M/2) stays
 * the centre), so that applying it equals applying the two layers (periodic boundary). */
template <typename TReal>
ConvolutionalLayerKernels<TReal>
Compose(const ConvolutionalLayerKernels<TReal> & upper, const ConvolutionalLayerKernels<TReal> & lower)
{
  if (lower.Channels != upper.Maps || upper.Size.size() != lower.Size.size())
  {
    itkGenericExceptionMacro("Cannot compose layers: the lower layer has " << lower.Channels << " channels, the upper "
                                                                           << upper.Maps << " maps");
  }
  ConvolutionalLayerKernels<TReal> out;
  out.Maps = lower.Maps;
  out.Channels = upper.Channels;
  for (size_t d = 0; d < upper.Size.size(); ++d)
  {
    out.Size.push_back(ComposedSize(upper.Size[d], lower.Size[d]));
  }
  const size_t tapsUpper = upper.Taps(), tapsLower = lower.Taps(), tapsOut = out.Taps();
  out.Values.assign(size_t(out.Maps) * out.Channels * tapsOut, TReal(0));
  std::vector<size_t> offsetOfUpper(tapsUpper);
  ForEachTap(upper.Size, [&](size_t t, const std::vector<size_t> & index) {
    size_t offset = 0;
    for (size_t d = index.size(); d-- > 0;)
    {
      offset = offset * out.Size[d] + index[d];
    }
    offsetOfUpper[t] = offset;
  });
  std::vector<size_t> offsetOfLower(tapsLower);
  ForEachTap(lower.Size, [&](size_t t, const std::vector<size_t> & index) {
    size_t offset = 0;
    for (size_t d = index.size(); d-- > 0;)
    {
      offset = offset * out.Size[d] + index[d];
    }
    offsetOfLower[t] = offset;
  });
  for (unsigned int k = 0; k < out.Maps; ++k)
  {
    for (unsigned int c = 0; c < out.Channels; ++c)
    {
      TReal * target = out.Values.data() + (size_t(k) * out.Channels + c) * tapsOut;
      for (unsigned int m = 0; m < upper.Maps; ++m)
      {
        const TReal * u = upper.Values.data() + (size_t(m) * upper.Channels + c) * tapsUpper;
        const TReal * l = lower.Values.data() + (size_t(k) * lower.Channels + m) * tapsLower;
        for (size_t i = 0; i < tapsUpper; ++i)
        {
          if (u[i] == TReal(0))
          {
            continue;
          }
          for (size_t j = 0; j < tapsLower; ++j)
          {
            target[offsetOfUpper[i] + offsetOfLower[j]] += u[i] * l[j];
          }
        }
      }
    }
  }
  return out;
}

/** The same kernels zero-padded to \c size taps per axis (each at least the kernels'), centre
 * kept at floor(M/2): how layers of different kernel sizes share one zero-padded domain. */
template <typename TReal>
ConvolutionalLayerKernels<TReal>
Embed(const ConvolutionalLayerKernels<TReal> & kernels, const std::vector<size_t> & size)
{
  ConvolutionalLayerKernels<TReal> out;
  out.Maps = kernels.Maps;
  out.Channels = kernels.Channels;
  out.Size = size;
  const size_t tapsIn = kernels.Taps(), tapsOut = out.Taps();
  out.Values.assign(size_t(out.Maps) * out.Channels * tapsOut, TReal(0));
  std::vector<size_t> target(tapsIn);
  ForEachTap(kernels.Size, [&](size_t t, const std::vector<size_t> & index) {
    size_t offset = 0;
    for (size_t d = index.size(); d-- > 0;)
    {
      if (size[d] < kernels.Size[d])
      {
        itkGenericExceptionMacro("Cannot embed kernels of " << kernels.Size[d] << " taps into " << size[d]);
      }
      offset = offset * size[d] + index[d] + size[d] / 2 - kernels.Size[d] / 2;
    }
    target[t] = offset;
  });
  for (size_t block = 0; block < size_t(out.Maps) * out.Channels; ++block)
  {
    for (size_t t = 0; t < tapsIn; ++t)
    {
      out.Values[block * tapsOut + target[t]] = kernels.Values[block * tapsIn + t];
    }
  }
  return out;
}
} // namespace MultiLayerKernelComposition
} // namespace itk

#endif
