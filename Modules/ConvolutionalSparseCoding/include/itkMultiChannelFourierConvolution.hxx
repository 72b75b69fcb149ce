#ifndef itkMultiChannelFourierConvolution_hxx
#define itkMultiChannelFourierConvolution_hxx

#include "itkMultiChannelFourierConvolution.h"
#include "itkMultiChannelFourierConvolutionLayout.hxx"
#include "itkMultiChannelFourierConvolutionStrided.hxx"
#include "itkMultiChannelFourierConvolutionStacks.hxx"
#include "itkFFTWGlobalConfiguration.h"
#include "itkMath.h"
#include "itksys/SystemTools.hxx"
#include <cstdio>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <numeric>

namespace itk
{
template <typename TReal>
MultiChannelFourierConvolution<TReal>::MultiChannelFourierConvolution()
  : m_MultiThreader(MultiThreaderBase::New())
{
  // One chunk per thread. ITK's default of four per thread, with the calling thread running the
  // first chunk beside the pool's threads, puts one thread more than cores on the passes.
  m_MultiThreader->SetNumberOfWorkUnits(m_MultiThreader->GetMaximumNumberOfThreads());
}

template <typename TReal>
MultiChannelFourierConvolution<TReal>::~MultiChannelFourierConvolution()
{
  this->DestroyPlans();
  const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
  for (auto * plan : { &m_CoarsePlanForward, &m_CoarsePlanInverse })
  {
    if (*plan != nullptr)
    {
      FFTW::Destroy(*plan);
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::DestroyPlans()
{
  const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
  for (auto * plan : { &m_ForwardPlan, &m_InversePlan, &m_UnalignedForwardPlan, &m_UnalignedInversePlan })
  {
    if (*plan != nullptr)
    {
      FFTW::Destroy(*plan);
      *plan = nullptr;
    }
  }
}

template <typename TReal>
bool
MultiChannelFourierConvolution<TReal>::MakePlans(std::vector<int> & n, unsigned int rigor)
{
  this->DestroyPlans();
  {
    // FFTW_MEASURE overwrites the arrays it plans on, so plan on scratch.
    RealBufferType                    spatial(m_SpatialStride);
    ComplexBufferType                 spectral(m_SpectralStride);
    const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
    const int                         dimension = static_cast<int>(n.size());
    FFTW::SetPlannerThreads(1);
    m_ForwardPlan = FFTW::PlanForward(dimension, n.data(), spatial.data(), spectral.data(), rigor);
    m_InversePlan = FFTW::PlanInverse(dimension, n.data(), spectral.data(), spatial.data(), rigor);
    if ((rigor & FFTW_WISDOM_ONLY) && (m_ForwardPlan == nullptr || m_InversePlan == nullptr))
    {
      return false;
    }
    // Two transforms per iteration: estimated, for any alignment.
    m_UnalignedForwardPlan =
      FFTW::PlanForward(dimension, n.data(), spatial.data(), spectral.data(), FFTW_ESTIMATE | FFTW_UNALIGNED);
    m_UnalignedInversePlan =
      FFTW::PlanInverse(dimension, n.data(), spectral.data(), spatial.data(), FFTW_ESTIMATE | FFTW_UNALIGNED);
    if (rigor != FFTW_ESTIMATE && !(rigor & FFTW_WISDOM_ONLY))
    {
      SaveWisdom(); // new wisdom: plans from wisdom alone come through the branch above
    }
  }
  if (m_ForwardPlan == nullptr || m_InversePlan == nullptr || m_UnalignedForwardPlan == nullptr ||
      m_UnalignedInversePlan == nullptr)
  {
    itkExceptionMacro("FFTW could not plan a transform of the domain size");
  }
  m_EffectivePlanRigor = rigor & ~FFTW_WISDOM_ONLY;
  return true;
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::SaveWisdom()
{
  // ITK's settings decide (ITK_FFTW_WRITE_WISDOM_CACHE, ITK_FFTW_WISDOM_CACHE_BASE/_FILE); ITK
  // read the file when its FFTW configuration started. Merged with what other processes saved
  // since, written beside the file and renamed over it: concurrent runs never see half a file.
  if (!FFTWGlobalConfiguration::GetWriteWisdomCache())
  {
    return;
  }
  const std::string path = FFTWGlobalConfiguration::GetWisdomFileDefaultBaseName() + FFTW::WisdomFileSuffix;
  itksys::SystemTools::MakeDirectory(itksys::SystemTools::GetParentDirectory(path));
  FFTW::ImportWisdom(path.c_str());
  const std::string staged = path + ".partial-" + std::to_string(static_cast<long>(getpid()));
  if (FFTW::ExportWisdom(staged.c_str()) && std::rename(staged.c_str(), path.c_str()) == 0)
  {
    return;
  }
  std::remove(staged.c_str()); // an unwritable cache only costs the next run its planning
}

template <typename TReal>
SizeValueType
MultiChannelFourierConvolution<TReal>::FFTFriendlySize(SizeValueType n)
{
  for (SizeValueType candidate = std::max<SizeValueType>(n, 1);; ++candidate)
  {
    SizeValueType rest = candidate;
    for (const SizeValueType p : { 2, 3, 5, 7 })
    {
      while (rest % p == 0)
      {
        rest /= p;
      }
    }
    if (rest == 1)
    {
      return candidate;
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::SetImageSize(const SizeType & size)
{
  m_ImageSize = size;
  this->Modified();
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::SetDictionary(const RealType * kernels, const SizeType & kernelSize,
                                                     unsigned int numberOfKernels)
{
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  if (numberOfKernels == 0 || taps == 0 || kernels == nullptr)
  {
    itkExceptionMacro("The dictionary is empty: it needs at least one kernel with at least one tap");
  }
  m_KernelSize = kernelSize;
  m_NumberOfKernels = numberOfKernels;
  m_Kernels.assign(kernels, kernels + taps * numberOfKernels);
  this->Modified();
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::Initialize()
{
  const unsigned int dimension = m_ImageSize.size();
  if (dimension == 0)
  {
    itkExceptionMacro("The image size is not set");
  }
  if (m_NumberOfKernels == 0)
  {
    itkExceptionMacro("The dictionary is empty: it needs at least one kernel");
  }
  if (m_KernelSize.size() != dimension)
  {
    itkExceptionMacro("The kernels have " << m_KernelSize.size() << " dimensions but the image has " << dimension);
  }
  m_DomainSize.resize(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    if (m_ImageSize[axis] == 0)
    {
      itkExceptionMacro("The image is empty along axis " << axis);
    }
  }
  this->InitializeStride();
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    if (m_KernelSize[axis] > m_ImageSize[axis])
    {
      itkExceptionMacro("The kernels (" << m_KernelSize[axis] << " taps along axis " << axis
                                        << ") are larger than the image (" << m_ImageSize[axis] << " pixels)");
    }
    // Padded, the domain is a multiple of the stride, so that the lattice continues into the pad.
    const SizeValueType stride = m_Stride[axis];
    const SizeValueType padded = m_ImageSize[axis] + m_KernelSize[axis] - 1;
    m_DomainSize[axis] = m_Boundary == BoundaryEnum::Periodic
                           ? m_ImageSize[axis]
                           : stride * FFTFriendlySize((padded + stride - 1) / stride);
  }
  m_NumberOfImagePixels =
    std::accumulate(m_ImageSize.begin(), m_ImageSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  m_NumberOfDomainPixels =
    std::accumulate(m_DomainSize.begin(), m_DomainSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  const SizeValueType halfRow = m_DomainSize[0] / 2 + 1;
  m_NumberOfFrequencies = m_NumberOfDomainPixels / m_DomainSize[0] * halfRow;
  // Channels start on 64-byte boundaries so that one plan serves every channel.
  const SizeValueType realPerLine = 64 / sizeof(RealType);
  const SizeValueType complexPerLine = 64 / sizeof(ComplexType);
  m_SpatialStride = (m_NumberOfDomainPixels + realPerLine - 1) / realPerLine * realPerLine;
  m_SpectralStride = (m_NumberOfFrequencies + complexPerLine - 1) / complexPerLine * complexPerLine;

  this->InitializeMasks();

  // Plans: FFTW wants row-major dimensions, slowest first, so the ITK axes reversed.
  std::vector<int> n(dimension);
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    n[dimension - 1 - axis] = static_cast<int>(m_DomainSize[axis]);
  }
  // Measured plans come from wisdom when an earlier run saved them (automatic rigor: FFTW_MEASURE
  // ones); only what wisdom lacks is planned, and saved.
  const bool         automatic = m_PlanRigor == AutomaticPlanRigor;
  const unsigned int measured = automatic ? FFTW_MEASURE : m_PlanRigor;
  const bool         fromWisdom = measured != FFTW_ESTIMATE && this->MakePlans(n, measured | FFTW_WISDOM_ONLY);
  if (!fromWisdom)
  {
    this->MakePlans(n, automatic ? FFTW_ESTIMATE : m_PlanRigor);
  }

  this->InitializeKernelTapOffsets();
  m_AxisFrequencies.assign(dimension, {});
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    const SizeValueType length = m_DomainSize[axis];
    const SizeValueType stored = axis == 0 ? length / 2 + 1 : length;
    m_AxisFrequencies[axis].resize(stored);
    for (SizeValueType j = 0; j < stored; ++j)
    {
      const double signedIndex = j <= length / 2 ? double(j) : double(j) - double(length);
      m_AxisFrequencies[axis][j] = 2.0 * itk::Math::pi * signedIndex / double(length);
    }
  }
  this->ComputeParsevalWeights();
  this->InitializeCoarseSpectra();
  this->ComputeKernelSpectra();
  if (automatic && !fromWisdom && m_KernelTransformSeconds > m_AutomaticPlanningThreshold)
  {
    this->MakePlans(n, FFTW_MEASURE);
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ComputeParsevalWeights()
{
  // The half spectrum stands for its conjugates: every column but the first (and the last of an
  // even row) counts twice.
  const SizeValueType halfRow = m_DomainSize[0] / 2 + 1;
  const bool          evenRow = m_DomainSize[0] % 2 == 0;
  m_ParsevalWeights.Allocate(m_NumberOfFrequencies);
  for (SizeValueType f = 0; f < m_NumberOfFrequencies; ++f)
  {
    const SizeValueType column = f % halfRow;
    const bool          single = column == 0 || (evenRow && column == halfRow - 1);
    m_ParsevalWeights[f] = (single ? RealType(1) : RealType(2)) / static_cast<RealType>(m_NumberOfDomainPixels);
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ComputeKernelSpectra()
{
  // Kernel spectra: each kernel embedded with its centre tap at the domain origin. The
  // dictionary changes every outer iteration of learning, so the spectra are rewritten in place;
  // one zeroed channel per thread (allocated per call: a kept one would cost every operator a
  // domain-sized channel per thread) holds a kernel's taps for its transform.
  const SizeValueType taps = m_KernelTapOffsets.size();
  if (m_KernelSpectra.size() != m_NumberOfKernels * m_SpectralStride)
  {
    m_KernelSpectra = this->AllocateSpectral(m_NumberOfKernels);
    m_KernelSpectralEnergy.Allocate(m_NumberOfFrequencies);
  }
  {
    const std::lock_guard<std::mutex> lock(m_CoefficientNormMutex);
    m_CoefficientSpectralNormSquared = -1.0; // recomputed on first use
  }
  const unsigned int groups = this->NumberOfChannelGroups();
  const auto         start = std::chrono::steady_clock::now();
  this->ParallelFor(groups, [&](SizeValueType g) {
    RealBufferType embedded = this->AllocateSpatial(1);
    for (unsigned int k = this->FirstChannelOfGroup(g, groups); k < this->FirstChannelOfGroup(g + 1, groups); ++k)
    {
      for (SizeValueType t = 0; t < taps; ++t)
      {
        embedded[m_KernelTapOffsets[t]] += m_Kernels[k * taps + t];
      }
      FFTW::ExecuteForward(m_ForwardPlan, embedded.data(), m_KernelSpectra.data() + k * m_SpectralStride);
      for (SizeValueType t = 0; t < taps; ++t)
      {
        embedded[m_KernelTapOffsets[t]] = 0;
      }
    }
  });
  m_KernelTransformSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Channel by channel over blocks of frequencies: two contiguous streams, not K strided ones.
  constexpr SizeValueType block = 1024;
  std::vector<double>     largest(this->NumberOfBlocks(m_NumberOfFrequencies, block), 0.0);
  this->ParallelFor(largest.size(), [&](SizeValueType b) {
    const SizeValueType begin = b * block;
    const SizeValueType end = std::min(m_NumberOfFrequencies, begin + block);
    RealType *          energy = m_KernelSpectralEnergy.data();
    std::fill(energy + begin, energy + end, RealType(0));
    for (unsigned int k = 0; k < m_NumberOfKernels; ++k)
    {
      const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
      for (SizeValueType f = begin; f < end; ++f)
      {
        energy[f] += std::norm(h[f]);
      }
    }
    for (SizeValueType f = begin; f < end; ++f)
    {
      largest[b] = std::max(largest[b], static_cast<double>(energy[f]));
    }
  });
  m_SpectralNormSquared = *std::max_element(largest.begin(), largest.end());
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::UpdateKernelValues(const RealType * kernels)
{
  if (m_KernelSpectra.size() == 0)
  {
    itkExceptionMacro("UpdateKernelValues() needs Initialize() first");
  }
  std::copy_n(kernels, m_Kernels.size(), m_Kernels.begin());
  this->ComputeKernelSpectra();
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ForwardFFTChannel(const RealType * spatial, ComplexType * spectral) const
{
  FFTW::ExecuteForward(m_ForwardPlan, spatial, spectral);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InverseFFTChannel(ComplexType * spectral, RealType * spatial) const
{
  FFTW::ExecuteInverse(m_InversePlan, spectral, spatial);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ForwardFFTUnaligned(const RealType * spatial, ComplexType * spectral) const
{
  FFTW::ExecuteForward(m_UnalignedForwardPlan, spatial, spectral);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InverseFFTUnaligned(ComplexType * spectral, RealType * spatial) const
{
  FFTW::ExecuteInverse(m_UnalignedInversePlan, spectral, spatial);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ForwardFFT(const RealType * spatial, ComplexType * spectral,
                                                  unsigned int channels) const
{
  this->ParallelFor(channels, [&](SizeValueType k) {
    FFTW::ExecuteForward(m_ForwardPlan, spatial + k * m_SpatialStride, spectral + k * m_SpectralStride);
  });
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InverseFFT(ComplexType * spectral, RealType * spatial,
                                                  unsigned int channels) const
{
  this->ParallelFor(channels, [&](SizeValueType k) {
    FFTW::ExecuteInverse(m_InversePlan, spectral + k * m_SpectralStride, spatial + k * m_SpatialStride);
  });
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::Forward(const RealType * x, RealType * y) const
{
  Workspace work;
  this->Forward(x, y, work);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::Forward(const RealType * x, RealType * y, Workspace & work) const
{
  if (this->HasCoarseSpectra())
  {
    this->ForwardStrided(x, y);
    return;
  }
  // One spectrum and one partial sum per channel group, not K spectra; the partial sums are
  // overwritten by the first channel of each group, the spectra by each transform.
  const unsigned int  groups = this->NumberOfChannelGroups();
  ComplexBufferType & scratch = this->EnsureSpectral(work.Groups, groups);
  ComplexBufferType & partial = this->EnsureSpectral(work.Partial, groups);
  this->ParallelFor(groups, [&](SizeValueType g) {
    ComplexType *      spectrum = scratch.data() + g * m_SpectralStride;
    ComplexType *      sum = partial.data() + g * m_SpectralStride;
    const unsigned int first = this->FirstChannelOfGroup(g, groups);
    for (unsigned int k = first; k < this->FirstChannelOfGroup(g + 1, groups); ++k)
    {
      this->ForwardFFTChannel(x + k * m_SpatialStride, spectrum);
      this->AccumulateChannelProduct(k, spectrum, sum, 0, m_NumberOfFrequencies, k == first);
    }
  });
  this->SumGroupsAndInvert(partial.data(), groups, y);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::SumGroupsAndInvert(ComplexType * partial, unsigned int groups,
                                                          RealType * y) const
{
  const RealType scale = RealType(1) / static_cast<RealType>(m_NumberOfDomainPixels);
  for (SizeValueType f = 0; f < m_NumberOfFrequencies; ++f)
  {
    ComplexType total = partial[f];
    for (unsigned int g = 1; g < groups; ++g)
    {
      total += partial[g * m_SpectralStride + f];
    }
    partial[f] = total * scale;
  }
  this->InverseFFTChannel(partial, y);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ForwardThroughSpectra(const RealType * x, ComplexType * spectral,
                                                             RealType * y) const
{
  constexpr SizeValueType block = 4096;
  const RealType          scale = RealType(1) / static_cast<RealType>(m_NumberOfDomainPixels);
  this->ForwardFFT(x, spectral, m_NumberOfKernels);
  this->ParallelFor(this->NumberOfBlocks(m_NumberOfFrequencies, block), [&](SizeValueType b) {
    const SizeValueType end = std::min(m_NumberOfFrequencies, (b + 1) * block);
    for (SizeValueType f = b * block; f < end; ++f)
    {
      spectral[f] = this->SynthesizeFrequency(spectral, f) * scale;
    }
  });
  this->InverseFFTUnaligned(spectral, y);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::Adjoint(const RealType * y, RealType * x) const
{
  Workspace work;
  this->Adjoint(y, x, work);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::Adjoint(const RealType * y, RealType * x, Workspace & work) const
{
  if (this->HasCoarseSpectra())
  {
    this->AdjointStrided(y, x);
    return;
  }
  // Every value of both buffers is written before it is read: no zeroing on reuse.
  const unsigned int  groups = this->NumberOfChannelGroups();
  ComplexBufferType & spectrum = this->EnsureSpectral(work.Spectrum, 1);
  ComplexBufferType & scratch = this->EnsureSpectral(work.Groups, groups);
  this->ForwardFFTChannel(y, spectrum.data());
  const RealType scale = RealType(1) / static_cast<RealType>(m_NumberOfDomainPixels);
  this->ParallelFor(groups, [&](SizeValueType g) {
    ComplexType * out = scratch.data() + g * m_SpectralStride;
    for (unsigned int k = this->FirstChannelOfGroup(g, groups); k < this->FirstChannelOfGroup(g + 1, groups); ++k)
    {
      this->AdjointChannelProduct(k, spectrum.data(), out, scale, 0, m_NumberOfFrequencies);
      this->InverseFFTChannel(out, x + k * m_SpatialStride);
    }
  });
}

template <typename TReal>
std::vector<double>
MultiChannelFourierConvolution<TReal>::KernelCrossCorrelations() const
{
  const unsigned int dimension = m_KernelSize.size();
  const unsigned int K = m_NumberOfKernels;
  SizeValueType      taps = 1, lags = 1;
  std::vector<long>  lagExtent(dimension);
  for (unsigned int a = 0; a < dimension; ++a)
  {
    taps *= m_KernelSize[a];
    lagExtent[a] = 2 * static_cast<long>(m_KernelSize[a]) - 1;
    lags *= lagExtent[a];
  }
  std::vector<double> correlations(SizeValueType(K) * K * lags, 0.0);
  std::vector<long>   lag(dimension), t(dimension);
  for (SizeValueType l = 0; l < lags; ++l)
  {
    SizeValueType rest = l;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      lag[a] = static_cast<long>(rest % lagExtent[a]) - (static_cast<long>(m_KernelSize[a]) - 1);
      rest /= lagExtent[a];
    }
    // sum over taps t with t - lag inside the kernel.
    for (SizeValueType tap = 0; tap < taps; ++tap)
    {
      SizeValueType restTap = tap, shifted = 0, stride = 1;
      bool          inside = true;
      for (unsigned int a = 0; a < dimension; ++a)
      {
        t[a] = static_cast<long>(restTap % m_KernelSize[a]);
        restTap /= m_KernelSize[a];
        const long u = t[a] - lag[a];
        inside = inside && u >= 0 && u < static_cast<long>(m_KernelSize[a]);
        shifted += static_cast<SizeValueType>(std::max(0L, u)) * stride;
        stride *= m_KernelSize[a];
      }
      if (!inside)
      {
        continue;
      }
      for (unsigned int k = 0; k < K; ++k)
      {
        const double hk = m_Kernels[k * taps + shifted];
        for (unsigned int j = 0; j < K; ++j)
        {
          correlations[(SizeValueType(k) * K + j) * lags + l] += hk * double(m_Kernels[j * taps + tap]);
        }
      }
    }
  }
  return correlations;
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::EvaluateShiftedKernel(unsigned int k, const double * shift, RealType * values,
                                                             RealType * derivatives, ComplexType * spectralScratch,
                                                             RealType * spatialScratch) const
{
  const unsigned int dimension = m_DomainSize.size();
  // Per-axis phase factors exp(-i w shift) of h(x - shift).
  std::vector<std::vector<std::complex<double>>> phase(dimension);
  for (unsigned int d = 0; d < dimension; ++d)
  {
    phase[d].resize(m_AxisFrequencies[d].size());
    for (size_t j = 0; j < phase[d].size(); ++j)
    {
      phase[d][j] = std::polar(1.0, -m_AxisFrequencies[d][j] * shift[d]);
    }
  }
  ComplexType *       shifted = spectralScratch;
  ComplexType *       scratch = spectralScratch + m_SpectralStride;
  const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
  const SizeValueType halfRow = m_DomainSize[0] / 2 + 1;
  // visitRow(first, j): the row of the half spectrum starting at frequency \c first, with the
  // indices j of its other axes (j[0] unused); rows in storage order.
  auto forEachRow = [&](auto && visitRow) {
    std::vector<SizeValueType> j(dimension, 0);
    for (SizeValueType first = 0; first < m_NumberOfFrequencies; first += halfRow)
    {
      visitRow(first, j);
      for (unsigned int d = 1; d < dimension; ++d)
      {
        if (++j[d] < m_DomainSize[d])
        {
          break;
        }
        j[d] = 0;
      }
    }
  };
  forEachRow([&](SizeValueType first, const std::vector<SizeValueType> & j) {
    // The other axes' factor once per row, then x along it.
    std::complex<double> rowFactor(1.0);
    for (unsigned int d = 1; d < dimension; ++d)
    {
      rowFactor = d == 1 ? phase[1][j[1]] : rowFactor * phase[d][j[d]];
    }
    for (SizeValueType x = 0; x < halfRow; ++x)
    {
      const std::complex<double> factor = dimension == 1 ? phase[0][x] : phase[0][x] * rowFactor;
      shifted[first + x] = ComplexType(std::complex<double>(h[first + x]) * factor);
    }
  });
  const SizeValueType taps = m_KernelTapOffsets.size();
  const RealType      scale = RealType(1) / static_cast<RealType>(m_NumberOfDomainPixels);
  auto                inverse = [&](RealType * out) {
    this->InverseFFTChannel(scratch, spatialScratch);
    for (SizeValueType t = 0; t < taps; ++t)
    {
      out[t] = spatialScratch[m_KernelTapOffsets[t]] * scale;
    }
  };
  std::copy_n(shifted, m_NumberOfFrequencies, scratch);
  inverse(values);
  if (derivatives == nullptr)
  {
    return;
  }
  // d/dshift h(x - shift) <-> -i w H exp(-i w shift).
  for (unsigned int axis = 0; axis < dimension; ++axis)
  {
    const std::vector<double> & w = m_AxisFrequencies[axis];
    forEachRow([&](SizeValueType first, const std::vector<SizeValueType> & j) {
      for (SizeValueType x = 0; x < halfRow; ++x)
      {
        const double wx = axis == 0 ? w[x] : w[j[axis]];
        scratch[first + x] = shifted[first + x] * ComplexType(0, -static_cast<RealType>(wx));
      }
    });
    inverse(derivatives + axis * taps);
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::GramMatrices(const std::vector<const ComplexType *> & stacks, unsigned int K,
                                                    SizeValueType S, SizeValueType begin, SizeValueType end,
                                                    std::complex<double> * grams)
{
  // Frequencies innermost, so that each channel is read contiguously; summed in the working
  // precision.
  const size_t             I = stacks.size();
  const SizeValueType      length = end - begin;
  std::vector<ComplexType> sum(length);
  for (size_t i = 0; i < I; ++i)
  {
    for (size_t j = 0; j <= i; ++j)
    {
      std::fill(sum.begin(), sum.end(), ComplexType(0));
      for (unsigned int k = 0; k < K; ++k)
      {
        const ComplexType * Xi = stacks[i] + k * S + begin;
        const ComplexType * Xj = stacks[j] + k * S + begin;
        for (SizeValueType f = 0; f < length; ++f)
        {
          sum[f] += MultiplyConjugate(Xj[f], Xi[f]);
        }
      }
      for (SizeValueType f = 0; f < length; ++f)
      {
        std::complex<double> * gram = grams + f * I * I;
        gram[i * I + j] = std::complex<double>(sum[f]);
        gram[j * I + i] = std::conj(gram[i * I + j]);
      }
    }
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::AccumulateStackOuterProduct(const ComplexType * X, const ComplexType & s,
                                                                   unsigned int K, SizeValueType S, SizeValueType f,
                                                                   RealType beta, ComplexType * A, ComplexType * b)
{
  for (unsigned int k = 0, j = 0; k < K; ++k)
  {
    const ComplexType & xk = X[k * S + f];
    for (unsigned int l = 0; l <= k; ++l, ++j)
    {
      A[j] = beta * A[j] + MultiplyConjugate(xk, X[l * S + f]);
    }
    b[k * S + f] = beta * b[k * S + f] + MultiplyConjugate(xk, s);
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ApplyForward(const RealType * xImage, RealType * yImage) const
{
  Workspace work;
  this->ApplyForward(xImage, yImage, work);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ApplyForward(const RealType * xImage, RealType * yImage, Workspace & work) const
{
  RealBufferType & x = this->EnsureSpatial(work.Maps, m_NumberOfKernels);
  RealBufferType & y = this->EnsureSpatial(work.Image, 1);
  this->CoefficientsToDomain(xImage, x.data(), m_NumberOfKernels);
  this->Forward(x.data(), y.data(), work);
  this->CropToImage(y.data(), yImage, 1);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ApplyAdjoint(const RealType * yImage, RealType * xImage) const
{
  Workspace work;
  this->ApplyAdjoint(yImage, xImage, work);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ApplyAdjoint(const RealType * yImage, RealType * xImage, Workspace & work) const
{
  RealBufferType & y = this->EnsureSpatial(work.Image, 1);
  RealBufferType & x = this->EnsureSpatial(work.Maps, m_NumberOfKernels);
  this->PadToDomain(yImage, y.data(), 1);
  this->Adjoint(y.data(), x.data(), work);
  this->CoefficientsFromDomain(x.data(), xImage, m_NumberOfKernels);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  auto printSize = [&os](const SizeType & size) {
    for (SizeValueType i = 0; i < size.size(); ++i)
    {
      os << (i ? "x" : "") << size[i];
    }
    os << std::endl;
  };
  os << indent << "Boundary: " << m_Boundary << std::endl;
  os << indent << "NumberOfKernels: " << m_NumberOfKernels << std::endl;
  os << indent << "KernelSize: ";
  printSize(m_KernelSize);
  os << indent << "ImageSize: ";
  printSize(m_ImageSize);
  os << indent << "DomainSize: ";
  printSize(m_DomainSize);
  os << indent << "Stride: ";
  printSize(m_Stride);
  os << indent << "Overcompleteness: " << this->GetOvercompleteness() << std::endl;
  os << indent
     << "PlanRigor: " << (m_PlanRigor == AutomaticPlanRigor ? std::string("automatic") : std::to_string(m_PlanRigor))
     << " (plans made with " << m_EffectivePlanRigor << ")" << std::endl;
  os << indent << "AutomaticPlanningThreshold: " << m_AutomaticPlanningThreshold << std::endl;
  os << indent << "SpectralNormSquared: " << m_SpectralNormSquared << std::endl;
}
} // namespace itk

#endif
