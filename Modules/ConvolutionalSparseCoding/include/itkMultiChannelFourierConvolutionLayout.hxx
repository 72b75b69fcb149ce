#ifndef itkMultiChannelFourierConvolutionLayout_hxx
#define itkMultiChannelFourierConvolutionLayout_hxx

// The operator's layouts: image rows, the stride lattice and the kernel taps inside the domain,
// its masks, and the copies between contiguous image or coefficient arrays and domain channels.
#include "itkMultiChannelFourierConvolution.h"
#include <algorithm>

namespace itk
{
template <typename TReal>
template <typename TFunction>
void
MultiChannelFourierConvolution<TReal>::ForEachImageRow(TFunction && f) const
{
  const unsigned int         dimension = m_ImageSize.size();
  const SizeValueType        rowLength = m_ImageSize[0];
  const SizeValueType        rows = m_NumberOfImagePixels / rowLength;
  std::vector<SizeValueType> index(dimension, 0);
  for (SizeValueType row = 0; row < rows; ++row)
  {
    SizeValueType domainOffset = 0;
    SizeValueType domainStride = m_DomainSize[0];
    for (unsigned int axis = 1; axis < dimension; ++axis)
    {
      domainOffset += index[axis] * domainStride;
      domainStride *= m_DomainSize[axis];
    }
    f(row * rowLength, domainOffset, rowLength);
    for (unsigned int axis = 1; axis < dimension; ++axis)
    {
      if (++index[axis] < m_ImageSize[axis])
      {
        break;
      }
      index[axis] = 0;
    }
  }
}

template <typename TReal>
template <typename TFunction>
void
MultiChannelFourierConvolution<TReal>::ForEachLatticePoint(TFunction && f) const
{
  const unsigned int         dimension = m_ImageSize.size();
  std::vector<SizeValueType> index(dimension, 0);
  std::vector<SizeValueType> step(dimension); // domain offset of one lattice step per axis
  SizeValueType              domainStride = 1;
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    step[axis] = m_Stride[axis] * domainStride;
    domainStride *= m_DomainSize[axis];
  }
  SizeValueType domainOffset = 0;
  for (SizeValueType offset = 0; offset < m_NumberOfCoefficientPixels; ++offset)
  {
    f(offset, domainOffset);
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      domainOffset += step[axis];
      if (++index[axis] < m_CoefficientGridSize[axis])
      {
        break;
      }
      domainOffset -= index[axis] * step[axis];
      index[axis] = 0;
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InitializeStride()
{
  const unsigned int dimension = m_ImageSize.size();
  if (m_Stride.empty())
  {
    m_Stride.assign(dimension, 1);
  }
  if (m_Stride.size() != dimension)
  {
    itkExceptionMacro("The stride has " << m_Stride.size() << " entries but the image has " << dimension
                                        << " dimensions");
  }
  m_Strided = false;
  m_CoefficientGridSize.resize(dimension);
  m_NumberOfCoefficientPixels = 1;
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    if (m_Stride[axis] == 0)
    {
      itkExceptionMacro("The stride along axis " << axis << " is 0: it must be at least 1");
    }
    if (m_Stride[axis] > m_ImageSize[axis])
    {
      itkExceptionMacro("The stride along axis " << axis << " (" << m_Stride[axis] << ") is larger than the image ("
                                                 << m_ImageSize[axis] << " pixels)");
    }
    m_Strided = m_Strided || m_Stride[axis] > 1;
    m_CoefficientGridSize[axis] = (m_ImageSize[axis] + m_Stride[axis] - 1) / m_Stride[axis];
    m_NumberOfCoefficientPixels *= m_CoefficientGridSize[axis];
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InitializeMasks()
{
  const unsigned int dimension = m_DomainSize.size();
  m_ImageMask.assign(m_NumberOfDomainPixels, 0);
  this->ForEachImageRow([this](SizeValueType, SizeValueType domainOffset, SizeValueType length) {
    std::fill_n(m_ImageMask.begin() + domainOffset, length, uint8_t{ 1 });
  });
  m_LatticeMask.clear();
  m_ImageLatticeMask.clear();
  if (m_Strided)
  {
    m_ImageLatticeMask.assign(m_NumberOfDomainPixels, 0);
    this->ForEachLatticePoint([this](SizeValueType, SizeValueType d) { m_ImageLatticeMask[d] = 1; });
    m_LatticeMask.assign(m_NumberOfDomainPixels, 0);
    for (SizeValueType i = 0; i < m_NumberOfDomainPixels; ++i)
    {
      bool          onLattice = true;
      SizeValueType rest = i;
      for (unsigned int axis = 0; axis < dimension && onLattice; ++axis)
      {
        onLattice = (rest % m_DomainSize[axis]) % m_Stride[axis] == 0;
        rest /= m_DomainSize[axis];
      }
      m_LatticeMask[i] = onLattice ? 1 : 0;
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InitializeKernelTapOffsets()
{
  const unsigned int dimension = m_DomainSize.size();
  const SizeValueType taps = m_Kernels.size() / m_NumberOfKernels;
  m_KernelTapOffsets.assign(taps, 0);
  std::vector<SizeValueType> tap(dimension, 0);
  for (SizeValueType t = 0; t < taps; ++t)
  {
    SizeValueType stride = 1;
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      const SizeValueType centre = m_KernelSize[axis] / 2;
      m_KernelTapOffsets[t] += ((tap[axis] + m_DomainSize[axis] - centre) % m_DomainSize[axis]) * stride;
      stride *= m_DomainSize[axis];
    }
    for (unsigned int axis = 0; axis < dimension; ++axis)
    {
      if (++tap[axis] < m_KernelSize[axis])
      {
        break;
      }
      tap[axis] = 0;
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::PadToDomain(const RealType * image, RealType * domain,
                                                   unsigned int channels) const
{
  for (unsigned int c = 0; c < channels; ++c)
  {
    RealType *       out = domain + c * m_SpatialStride;
    const RealType * in = image + c * m_NumberOfImagePixels;
    std::fill_n(out, m_NumberOfDomainPixels, RealType(0));
    this->ForEachImageRow([&](SizeValueType imageOffset, SizeValueType domainOffset, SizeValueType length) {
      std::copy_n(in + imageOffset, length, out + domainOffset);
    });
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::CropToImage(const RealType * domain, RealType * image,
                                                   unsigned int channels) const
{
  for (unsigned int c = 0; c < channels; ++c)
  {
    const RealType * in = domain + c * m_SpatialStride;
    RealType *       out = image + c * m_NumberOfImagePixels;
    this->ForEachImageRow([&](SizeValueType imageOffset, SizeValueType domainOffset, SizeValueType length) {
      std::copy_n(in + domainOffset, length, out + imageOffset);
    });
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::CoefficientsToDomain(const RealType * coefficients, RealType * domain,
                                                            unsigned int channels) const
{
  if (!m_Strided)
  {
    this->PadToDomain(coefficients, domain, channels);
    return;
  }
  for (unsigned int c = 0; c < channels; ++c)
  {
    RealType *       out = domain + c * m_SpatialStride;
    const RealType * in = coefficients + c * m_NumberOfCoefficientPixels;
    std::fill_n(out, m_NumberOfDomainPixels, RealType(0));
    this->ForEachLatticePoint([&](SizeValueType offset, SizeValueType d) { out[d] = in[offset]; });
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::CoefficientsFromDomain(const RealType * domain, RealType * coefficients,
                                                              unsigned int channels) const
{
  if (!m_Strided)
  {
    this->CropToImage(domain, coefficients, channels);
    return;
  }
  for (unsigned int c = 0; c < channels; ++c)
  {
    const RealType * in = domain + c * m_SpatialStride;
    RealType *       out = coefficients + c * m_NumberOfCoefficientPixels;
    this->ForEachLatticePoint([&](SizeValueType offset, SizeValueType d) { out[offset] = in[d]; });
  }
}
} // namespace itk

#endif
