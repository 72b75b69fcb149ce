#ifndef itkMultiChannelFourierConvolutionStacks_hxx
#define itkMultiChannelFourierConvolutionStacks_hxx

// Products of two channel stacks, where coefficient spectra play the kernels' part (the
// dictionary update of convolutional dictionary learning).
#include "itkMultiChannelFourierConvolution.h"
#include <algorithm>

namespace itk
{
template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ApplyStacksBlock(const std::vector<const ComplexType *> & stacks, unsigned int K,
                                                        SizeValueType S, SizeValueType begin, SizeValueType end,
                                                        const ComplexType * v, ComplexType * out)
{
  const SizeValueType length = end - begin;
  for (size_t i = 0; i < stacks.size(); ++i)
  {
    ComplexType * o = out + i * length;
    std::fill_n(o, length, ComplexType(0));
    for (unsigned int k = 0; k < K; ++k)
    {
      const ComplexType * x = stacks[i] + k * S + begin;
      const ComplexType * vk = v + k * S + begin;
      for (SizeValueType j = 0; j < length; ++j)
      {
        o[j] += Multiply(x[j], vk[j]);
      }
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::SubtractStacksAdjointBlock(const std::vector<const ComplexType *> & stacks,
                                                                  unsigned int K, SizeValueType S, SizeValueType begin,
                                                                  SizeValueType end, const ComplexType * y,
                                                                  ComplexType * v)
{
  const SizeValueType length = end - begin;
  for (unsigned int k = 0; k < K; ++k)
  {
    ComplexType * vk = v + k * S + begin;
    for (size_t i = 0; i < stacks.size(); ++i)
    {
      const ComplexType * x = stacks[i] + k * S + begin;
      const ComplexType * yi = y + i * length;
      for (SizeValueType j = 0; j < length; ++j)
      {
        vk[j] -= MultiplyConjugate(x[j], yi[j]);
      }
    }
  }
}
} // namespace itk

#endif
