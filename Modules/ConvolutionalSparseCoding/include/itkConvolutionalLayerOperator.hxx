#ifndef itkConvolutionalLayerOperator_hxx
#define itkConvolutionalLayerOperator_hxx

#include "itkConvolutionalLayerOperator.h"
#include <algorithm>
#include <numeric>

namespace itk
{
template <typename TReal>
auto
ConvolutionalLayerOperator<TReal>::Create(const SizeType & imageSize, const RealType * kernels,
                                          const SizeType & kernelSize, unsigned int maps, unsigned int channels,
                                          BoundaryEnum boundary, unsigned int planRigor) -> Pointer
{
  if (maps == 0 || channels == 0 || kernels == nullptr)
  {
    itkGenericExceptionMacro("A convolutional layer needs at least one map and one channel, got "
                             << maps << " maps and " << channels << " channels");
  }
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  Pointer layer = New();
  layer->m_NumberOfMaps = maps;
  std::vector<RealType> channelKernels(SizeValueType(maps) * taps);
  for (unsigned int c = 0; c < channels; ++c)
  {
    for (unsigned int k = 0; k < maps; ++k)
    {
      std::copy_n(kernels + (SizeValueType(k) * channels + c) * taps, taps, channelKernels.data() + k * taps);
    }
    layer->m_Channels.push_back(
      ChannelOperatorType::Create(imageSize, channelKernels.data(), kernelSize, maps, boundary, planRigor));
  }
  layer->ComputeSpectralNorm();
  return layer;
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::ComputeSpectralNorm()
{
  const ChannelOperatorType & first = *m_Channels[0];
  const unsigned int          C = this->GetNumberOfChannels(), K = m_NumberOfMaps;
  const SizeValueType         F = first.GetNumberOfFrequencies(), S = first.GetSpectralStride();
  constexpr SizeValueType     block = 256;
  std::vector<double>         norms(first.NumberOfBlocks(F, block), 0.0);
  first.ParallelFor(norms.size(), [&](SizeValueType b) {
    std::vector<std::complex<double>> H(SizeValueType(C) * K), top;
    for (SizeValueType f = b * block; f < std::min(F, (b + 1) * block); ++f)
    {
      for (unsigned int c = 0; c < C; ++c)
      {
        for (unsigned int k = 0; k < K; ++k)
        {
          H[c * K + k] = std::complex<double>(m_Channels[c]->GetKernelSpectra()[k * S + f]);
        }
      }
      norms[b] = std::max(norms[b], ChannelOperatorType::LargestSquaredSingularValue(H, C, K, &top));
    }
  });
  m_SpectralNormSquared = *std::max_element(norms.begin(), norms.end());
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::Forward(const RealType * x, RealType * y) const
{
  const ChannelOperatorType & first = *m_Channels[0];
  const unsigned int          C = this->GetNumberOfChannels(), K = m_NumberOfMaps;
  const SizeValueType         F = first.GetNumberOfFrequencies(), S = first.GetSpectralStride();
  const RealType              scale = RealType(1) / static_cast<RealType>(first.GetNumberOfDomainPixels());
  ComplexBufferType           X = first.AllocateSpectral(K);
  ComplexBufferType           Y = first.AllocateSpectral(C);
  first.ForwardFFT(x, X.data(), K);
  first.ParallelFor(C, [&](SizeValueType c) {
    ComplexType * out = Y.data() + c * S;
    for (unsigned int k = 0; k < K; ++k)
    {
      m_Channels[c]->AccumulateChannelProduct(k, X.data() + k * S, out, 0, F, k == 0);
    }
    std::for_each(out, out + F, [scale](ComplexType & v) { v *= scale; });
  });
  first.InverseFFT(Y.data(), y, C);
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::Adjoint(const RealType * y, RealType * x) const
{
  const ChannelOperatorType & first = *m_Channels[0];
  const unsigned int          C = this->GetNumberOfChannels(), K = m_NumberOfMaps;
  const SizeValueType         F = first.GetNumberOfFrequencies(), S = first.GetSpectralStride();
  const RealType              scale = RealType(1) / static_cast<RealType>(first.GetNumberOfDomainPixels());
  ComplexBufferType           Y = first.AllocateSpectral(C);
  ComplexBufferType           G = first.AllocateSpectral(K);
  first.ForwardFFT(y, Y.data(), C);
  first.ParallelFor(K, [&](SizeValueType k) {
    ComplexType *      out = G.data() + k * S;
    const unsigned int map = static_cast<unsigned int>(k);
    // out = scale sum_c conj(H_ck) Y_c: the scale goes with the last channel.
    m_Channels[0]->AdjointChannelProduct(map, Y.data(), out, C == 1 ? scale : RealType(1), 0, F);
    for (unsigned int c = 1; c < C; ++c)
    {
      m_Channels[c]->AddAdjointChannelProduct(map, Y.data() + c * S, out, c + 1 == C ? scale : RealType(1), 0, F);
    }
  });
  first.InverseFFT(G.data(), x, K);
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::ApplyForward(const RealType * xImage, RealType * yImage) const
{
  const ChannelOperatorType & first = *m_Channels[0];
  RealBufferType              x = first.AllocateSpatial(m_NumberOfMaps);
  RealBufferType              y = first.AllocateSpatial(this->GetNumberOfChannels());
  first.PadToDomain(xImage, x.data(), m_NumberOfMaps);
  this->Forward(x.data(), y.data());
  first.CropToImage(y.data(), yImage, this->GetNumberOfChannels());
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::ApplyAdjoint(const RealType * yImage, RealType * xImage) const
{
  const ChannelOperatorType & first = *m_Channels[0];
  RealBufferType              y = first.AllocateSpatial(this->GetNumberOfChannels());
  RealBufferType              x = first.AllocateSpatial(m_NumberOfMaps);
  first.PadToDomain(yImage, y.data(), this->GetNumberOfChannels());
  this->Adjoint(y.data(), x.data());
  first.CropToImage(x.data(), xImage, m_NumberOfMaps);
}

template <typename TReal>
void
ConvolutionalLayerOperator<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfMaps: " << m_NumberOfMaps << std::endl;
  os << indent << "NumberOfChannels: " << m_Channels.size() << std::endl;
  os << indent << "SpectralNormSquared: " << m_SpectralNormSquared << std::endl;
}
} // namespace itk

#endif
