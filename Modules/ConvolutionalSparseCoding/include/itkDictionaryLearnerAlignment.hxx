#ifndef itkDictionaryLearnerAlignment_hxx
#define itkDictionaryLearnerAlignment_hxx

// DictionaryLearner, kernel alignment: canonicalisation of the learned dictionary (sign, centre,
// order) and the recentring of drifted kernels during learning, with their shifts of kernels
// and maps.
#include "itkDictionaryLearner.h"
#include <algorithm>
#include <cmath>
#include <numeric>

namespace itk
{
template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::CanonicalizeDictionary(std::vector<RealType> &            kernels,
                                                             const std::vector<SizeValueType> & kernelSize,
                                                             unsigned int K, std::vector<std::vector<RealType>> & maps,
                                                             const std::vector<SizeValueType> & imageSize,
                                                             CentreEnum centre, bool allowSignFlip,
                                                             ProcessCommunicator * usageSum)
{
  const unsigned int  N = static_cast<unsigned int>(kernelSize.size());
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  const SizeValueType pixels =
    std::accumulate(imageSize.begin(), imageSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  auto positionOf = [](SizeValueType index, const std::vector<SizeValueType> & size) {
    std::vector<long> p(size.size());
    for (size_t d = 0; d < size.size(); ++d)
    {
      p[d] = static_cast<long>(index % size[d]);
      index /= size[d];
    }
    return p;
  };

  for (unsigned int k = 0; k < K; ++k)
  {
    RealType * h = kernels.data() + k * taps;
    const auto centreOfEnergy = CentreOfEnergy(h, kernelSize);
    if (centreOfEnergy.empty())
    {
      continue;
    }
    std::vector<long> lowest(N, std::numeric_limits<long>::max()), highest(N, -1);
    double            peak = -1;
    SizeValueType     peakTap = 0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      const double e = double(h[t]) * h[t];
      if (e == 0)
      {
        continue;
      }
      const auto p = positionOf(t, kernelSize);
      for (unsigned int d = 0; d < N; ++d)
      {
        lowest[d] = std::min(lowest[d], p[d]);
        highest[d] = std::max(highest[d], p[d]);
      }
      if (e > peak)
      {
        peak = e;
        peakTap = t;
      }
    }
    // The shift s moves the kernel's content by -s and its maps by +s, within the support.
    std::vector<long> shift(N, 0);
    bool              moved = false;
    const auto        peakPosition = positionOf(peakTap, kernelSize);
    for (unsigned int d = 0; d < N; ++d)
    {
      const double c = centre == CentreEnum::CentreOfEnergy ? centreOfEnergy[d] : double(peakPosition[d]);
      const long   wanted = std::lround(c) - static_cast<long>(kernelSize[d] / 2);
      shift[d] = std::max(highest[d] - static_cast<long>(kernelSize[d]) + 1, std::min(lowest[d], wanted));
      moved = moved || shift[d] != 0;
    }
    if (moved)
    {
      ShiftKernel(h, kernelSize, shift);
      for (auto & m : maps)
      {
        ShiftMap(m.data() + k * pixels, imageSize, shift);
      }
    }
    // Sign: the largest-magnitude tap positive.
    const RealType * largest =
      std::max_element(h, h + taps, [](RealType a, RealType b) { return std::abs(a) < std::abs(b); });
    if (allowSignFlip && *largest < 0)
    {
      std::for_each(h, h + taps, [](RealType & v) { v = -v; });
      for (auto & m : maps)
      {
        std::for_each(m.begin() + k * pixels, m.begin() + (k + 1) * pixels, [](RealType & v) { v = -v; });
      }
    }
  }

  // Order by usage, the l1 norm of each kernel's maps over all images (of all processes).
  std::vector<double> usage(K, 0.0);
  for (const auto & m : maps)
  {
    for (unsigned int k = 0; k < K; ++k)
    {
      for (SizeValueType i = 0; i < pixels; ++i)
      {
        usage[k] += std::abs(m[k * pixels + i]);
      }
    }
  }
  if (usageSum != nullptr)
  {
    usageSum->SumInPlace(usage.data(), usage.size()); // over every process's images
  }
  std::vector<unsigned int> order(K);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(
    order.begin(), order.end(), [&usage](unsigned int a, unsigned int b) { return usage[a] > usage[b]; });
  std::vector<RealType> sortedKernels(kernels.size());
  for (unsigned int k = 0; k < K; ++k)
  {
    std::copy_n(kernels.begin() + order[k] * taps, taps, sortedKernels.begin() + k * taps);
  }
  kernels.swap(sortedKernels);
  for (auto & m : maps)
  {
    std::vector<RealType> sortedMaps(m.size());
    for (unsigned int k = 0; k < K; ++k)
    {
      std::copy_n(m.begin() + order[k] * pixels, pixels, sortedMaps.begin() + k * pixels);
    }
    m.swap(sortedMaps);
  }
}

template <typename TImage, typename TRealType>
std::vector<double>
DictionaryLearner<TImage, TRealType>::CentreOfEnergy(const RealType *                   kernel,
                                                     const std::vector<SizeValueType> & kernelSize)
{
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  std::vector<double> centre(kernelSize.size(), 0.0);
  double              energy = 0;
  for (SizeValueType t = 0; t < taps; ++t)
  {
    const double  e = double(kernel[t]) * kernel[t];
    SizeValueType rest = t;
    for (size_t d = 0; d < kernelSize.size(); ++d)
    {
      centre[d] += e * static_cast<double>(rest % kernelSize[d]);
      rest /= kernelSize[d];
    }
    energy += e;
  }
  if (energy == 0)
  {
    return {};
  }
  for (double & c : centre)
  {
    c /= energy;
  }
  return centre;
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::ShiftKernel(RealType * kernel, const std::vector<SizeValueType> & kernelSize,
                                                  const std::vector<long> & shift)
{
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  std::vector<RealType> shifted(taps, RealType(0));
  for (SizeValueType t = 0; t < taps; ++t)
  {
    SizeValueType rest = t, target = 0, stride = 1;
    bool          inside = true;
    for (size_t d = 0; d < kernelSize.size(); ++d)
    {
      const long p = static_cast<long>(rest % kernelSize[d]) - shift[d];
      rest /= kernelSize[d];
      inside = inside && p >= 0 && p < static_cast<long>(kernelSize[d]);
      target += static_cast<SizeValueType>(p) * stride;
      stride *= kernelSize[d];
    }
    if (inside)
    {
      shifted[target] = kernel[t];
    }
  }
  std::copy(shifted.begin(), shifted.end(), kernel);
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::ShiftMap(RealType * map, const std::vector<SizeValueType> & imageSize,
                                               const std::vector<long> & shift)
{
  const SizeValueType pixels =
    std::accumulate(imageSize.begin(), imageSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  std::vector<RealType> moved(pixels);
  for (SizeValueType i = 0; i < pixels; ++i)
  {
    SizeValueType rest = i, target = 0, stride = 1;
    for (size_t d = 0; d < imageSize.size(); ++d)
    {
      const long size = static_cast<long>(imageSize[d]);
      const long p = static_cast<long>(rest % imageSize[d]) + shift[d];
      rest /= imageSize[d];
      target += static_cast<SizeValueType>(((p % size) + size) % size) * stride;
      stride *= imageSize[d];
    }
    moved[target] = map[i];
  }
  std::copy(moved.begin(), moved.end(), map);
}

template <typename TImage, typename TRealType>
void
DictionaryLearner<TImage, TRealType>::RecentreKernels(std::vector<Sample> & samples)
{
  const unsigned int  N = ImageDimension;
  const SizeValueType taps = m_Kernels.size() / m_K;
  const auto          projection = this->MakeProjection();
  bool                anyMoved = false;
  for (Sample & sample : samples)
  {
    this->SyncCoefficients(sample);
  }
  for (unsigned int k = 0; k < m_K; ++k)
  {
    RealType * h = m_Kernels.data() + k * taps;
    const auto centre = CentreOfEnergy(h, m_KernelSizeVector);
    if (centre.empty())
    {
      continue;
    }
    // Whole pixels only, towards the centre: an offset below one pixel (the half pixel of an
    // even size included) is left alone, so a centred kernel never oscillates.
    std::vector<long> shift(N, 0);
    bool              moved = false;
    for (unsigned int d = 0; d < N; ++d)
    {
      const double offset = centre[d] - 0.5 * static_cast<double>(m_KernelSizeVector[d] - 1);
      shift[d] = static_cast<long>(offset);
      moved = moved || shift[d] != 0;
    }
    if (!moved)
    {
      continue;
    }
    ShiftKernel(h, m_KernelSizeVector, shift);
    projection.Project(h, taps);
    for (Sample & sample : samples)
    {
      ShiftMap(sample.Coefficients.data() + k * sample.Signal.size(), m_LastMapSize, shift);
    }
    anyMoved = true;
  }
  if (anyMoved)
  {
    // The ADMM states (coding and dictionary) belong to the old kernels: restart them warm.
    m_Operator->UpdateKernelValues(m_Kernels.data());
    m_Update->ResetDual();
    for (Sample & sample : samples)
    {
      sample.Solver = nullptr;
    }
  }
}

} // namespace itk

#endif
