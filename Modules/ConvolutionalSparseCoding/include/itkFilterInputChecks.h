#ifndef itkFilterInputChecks_h
#define itkFilterInputChecks_h

#include "itkImageRegionConstIterator.h"
#include "itkMacro.h"
#include <cmath>
#include <string>
#include <vector>

namespace itk
{
/** \c region of the image (by default its largest region) as a contiguous array of \c TReal;
 * throws at the first non-finite pixel, naming \c what and the pixel's index.
 * \ingroup ConvolutionalSparseCoding */
template <typename TReal, typename TImage>
std::vector<TReal>
ReadFiniteImage(const TImage * image, const typename TImage::RegionType & region,
                const std::string & what = "The input image")
{
  std::vector<TReal>               values(region.GetNumberOfPixels());
  ImageRegionConstIterator<TImage> it(image, region);
  for (SizeValueType i = 0; !it.IsAtEnd(); ++it, ++i)
  {
    values[i] = static_cast<TReal>(it.Get());
    if (!std::isfinite(values[i]))
    {
      itkGenericExceptionMacro(<< what << " contains a non-finite value (NaN or Inf) at index " << it.GetIndex());
    }
  }
  return values;
}
template <typename TReal, typename TImage>
std::vector<TReal>
ReadFiniteImage(const TImage * image)
{
  return ReadFiniteImage<TReal>(image, image->GetLargestPossibleRegion());
}

/** Throws at the first non-finite pixel of an image buffered whole (its own buffer, no copy),
 * naming its index: the check of ReadFiniteImage() for a caller that uses the buffer in place.
 * \ingroup ConvolutionalSparseCoding */
template <typename TImage>
void
CheckFiniteBuffer(const TImage * image)
{
  const auto *        values = image->GetBufferPointer();
  const SizeValueType count = image->GetBufferedRegion().GetNumberOfPixels();
  for (SizeValueType i = 0; i < count; ++i)
  {
    if (!std::isfinite(values[i]))
    {
      itkGenericExceptionMacro("The input image contains a non-finite value (NaN or Inf) at index "
                               << image->ComputeIndex(OffsetValueType(i)));
    }
  }
}

/** Checks \c count kernels of \c block values each, one after another: every value finite and
 * no kernel all zero (its coefficients would be undetermined). \c what names the dictionary.
 * \ingroup ConvolutionalSparseCoding */
template <typename TReal>
void
CheckKernels(const std::vector<TReal> & kernels, SizeValueType count, SizeValueType block, const std::string & what)
{
  for (SizeValueType k = 0; k < count; ++k)
  {
    bool allZero = true;
    for (SizeValueType t = 0; t < block; ++t)
    {
      const TReal value = kernels[k * block + t];
      if (!std::isfinite(value))
      {
        itkGenericExceptionMacro("Kernel " << k << " of " << what << " contains a non-finite value (NaN or Inf)");
      }
      allZero = allZero && value == 0;
    }
    if (allZero)
    {
      itkGenericExceptionMacro("Kernel " << k << " of " << what << " is all zero: its coefficients are undetermined");
    }
  }
}
} // namespace itk

#endif
