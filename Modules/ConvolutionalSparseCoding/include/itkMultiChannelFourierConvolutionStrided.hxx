#ifndef itkMultiChannelFourierConvolutionStrided_hxx
#define itkMultiChannelFourierConvolutionStrided_hxx

// Strided products through coarse spectra. Upsampling by F (zeros between lattice points) maps a
// coarse map's unnormalised DFT X_c to X(f) = X_c(f mod C) on the domain (C = D / F), so A's K
// transforms run on the coarse grid; downsampling folds a spectrum onto the coarse grid,
// G_c(g) = sum_{f = g mod C} G(f), so A^T's K inverse transforms do too. The r2c half spectra
// are read and folded through Hermitian symmetry.
#include "itkFFTWGlobalConfiguration.h"
#include "itkMultiChannelFourierConvolution.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal>
SizeValueType
MultiChannelFourierConvolution<TReal>::CoarseIndex(const std::vector<SizeValueType> & full, bool mirror,
                                                   bool & conjugate) const
{
  // g = (+-f) mod C; when g lies outside the stored half, its mirror is stored: conjugate.
  const unsigned int         dimension = m_CoarseSize.size();
  std::vector<SizeValueType> g(dimension);
  for (unsigned int a = 0; a < dimension; ++a)
  {
    const SizeValueType f = full[a] % m_CoarseSize[a];
    g[a] = mirror ? (m_CoarseSize[a] - f) % m_CoarseSize[a] : f;
  }
  conjugate = g[0] > m_CoarseSize[0] / 2;
  SizeValueType index = 0, pitch = m_CoarseSize[0] / 2 + 1;
  for (unsigned int a = dimension; a-- > 1;)
  {
    const SizeValueType ga = conjugate ? (m_CoarseSize[a] - g[a]) % m_CoarseSize[a] : g[a];
    index = index * m_CoarseSize[a] + ga;
  }
  return index * pitch + (conjugate ? m_CoarseSize[0] - g[0] : g[0]);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::InitializeCoarseSpectra()
{
  {
    const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
    for (auto * plan : { &m_CoarsePlanForward, &m_CoarsePlanInverse })
    {
      if (*plan != nullptr)
      {
        FFTW::Destroy(*plan);
        *plan = nullptr;
      }
    }
  }
  const unsigned int dimension = m_DomainSize.size();
  bool               divisible = m_Strided;
  for (unsigned int a = 0; a < dimension && divisible; ++a)
  {
    divisible = m_DomainSize[a] % m_Stride[a] == 0;
  }
  if (!divisible)
  {
    return; // periodic with an image not a multiple of the stride: the upsampled products serve
  }
  m_CoarseSize.resize(dimension);
  m_NumberOfCoarsePixels = 1;
  for (unsigned int a = 0; a < dimension; ++a)
  {
    m_CoarseSize[a] = m_DomainSize[a] / m_Stride[a];
    m_NumberOfCoarsePixels *= m_CoarseSize[a];
  }
  m_NumberOfCoarseFrequencies = m_NumberOfCoarsePixels / m_CoarseSize[0] * (m_CoarseSize[0] / 2 + 1);
  const SizeValueType realPerLine = 64 / sizeof(RealType), complexPerLine = 64 / sizeof(ComplexType);
  m_CoarseSpatialStride = (m_NumberOfCoarsePixels + realPerLine - 1) / realPerLine * realPerLine;
  m_CoarseSpectralStride = (m_NumberOfCoarseFrequencies + complexPerLine - 1) / complexPerLine * complexPerLine;

  // Each coarse pixel's domain offset.
  m_CoarseDomainOffsets.resize(m_NumberOfCoarsePixels);
  std::vector<SizeValueType> index(dimension, 0);
  for (SizeValueType c = 0; c < m_NumberOfCoarsePixels; ++c)
  {
    SizeValueType offset = 0, pitch = 1;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      offset += index[a] * m_Stride[a] * pitch;
      pitch *= m_DomainSize[a];
    }
    m_CoarseDomainOffsets[c] = offset;
    for (unsigned int a = 0; a < dimension && ++index[a] == m_CoarseSize[a]; ++a)
    {
      index[a] = 0;
    }
  }
  // Per stored frequency: where forward reads its coarse value, where adjoint folds it and its
  // unstored mirror (stored frequencies with x index 0 or D/2 are their own mirrors' partners).
  m_ForwardAlias.resize(m_NumberOfFrequencies);
  m_ForwardConjugate.resize(m_NumberOfFrequencies);
  m_AdjointDirect.resize(m_NumberOfFrequencies);
  m_AdjointMirror.resize(m_NumberOfFrequencies);
  const SizeValueType        halfRow = m_DomainSize[0] / 2 + 1;
  std::vector<SizeValueType> f(dimension, 0);
  for (SizeValueType j = 0; j < m_NumberOfFrequencies; ++j)
  {
    bool conjugate = false;
    m_ForwardAlias[j] = this->CoarseIndex(f, false, conjugate);
    m_ForwardConjugate[j] = conjugate;
    m_AdjointDirect[j] = conjugate ? -1 : static_cast<long>(m_ForwardAlias[j]);
    const bool hasMirror = f[0] != 0 && !(m_DomainSize[0] % 2 == 0 && f[0] == m_DomainSize[0] / 2);
    m_AdjointMirror[j] = -1;
    if (hasMirror)
    {
      const SizeValueType mirror = this->CoarseIndex(f, true, conjugate);
      m_AdjointMirror[j] = conjugate ? -1 : static_cast<long>(mirror);
    }
    if (++f[0] == halfRow)
    {
      f[0] = 0;
      for (unsigned int a = 1; a < dimension && ++f[a] == m_DomainSize[a]; ++a)
      {
        f[a] = 0;
      }
    }
  }
  std::vector<int> n(dimension);
  for (unsigned int a = 0; a < dimension; ++a)
  {
    n[dimension - 1 - a] = static_cast<int>(m_CoarseSize[a]);
  }
  RealBufferType                    spatial(m_CoarseSpatialStride);
  ComplexBufferType                 spectral(m_CoarseSpectralStride);
  const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
  FFTW::SetPlannerThreads(1);
  const int rank = static_cast<int>(dimension);
  m_CoarsePlanForward = FFTW::PlanForward(rank, n.data(), spatial.data(), spectral.data(), FFTW_ESTIMATE);
  m_CoarsePlanInverse = FFTW::PlanInverse(rank, n.data(), spectral.data(), spatial.data(), FFTW_ESTIMATE);
  if (m_CoarsePlanForward == nullptr || m_CoarsePlanInverse == nullptr)
  {
    itkExceptionMacro("FFTW could not plan a transform of the coarse grid");
  }
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::ForwardStrided(const RealType * x, RealType * y) const
{
  const unsigned int groups = this->NumberOfChannelGroups();
  RealBufferType     coarse(groups * m_CoarseSpatialStride);
  ComplexBufferType  coarseSpectra(groups * m_CoarseSpectralStride);
  ComplexBufferType  partial = this->AllocateSpectral(groups);
  this->ParallelFor(groups, [&](SizeValueType g) {
    RealType *         c = coarse.data() + g * m_CoarseSpatialStride;
    ComplexType *      X = coarseSpectra.data() + g * m_CoarseSpectralStride;
    ComplexType *      sum = partial.data() + g * m_SpectralStride;
    const unsigned int firstChannel = this->FirstChannelOfGroup(g, groups);
    for (unsigned int k = firstChannel; k < this->FirstChannelOfGroup(g + 1, groups); ++k)
    {
      const bool       overwrite = k == firstChannel;
      const RealType * xk = x + k * m_SpatialStride;
      for (SizeValueType i = 0; i < m_NumberOfCoarsePixels; ++i)
      {
        c[i] = xk[m_CoarseDomainOffsets[i]];
      }
      FFTW::ExecuteForward(m_CoarsePlanForward, c, X);
      const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
      for (SizeValueType f = 0; f < m_NumberOfFrequencies; ++f)
      {
        const ComplexType & value = X[m_ForwardAlias[f]];
        const ComplexType   product =
          m_ForwardConjugate[f] ? MultiplyConjugate(value, h[f]) : Multiply(h[f], value); // h conj(X) or h X
        sum[f] = overwrite ? product : sum[f] + product;
      }
    }
  });
  this->SumGroupsAndInvert(partial.data(), groups, y);
}

template <typename TReal>
void
MultiChannelFourierConvolution<TReal>::AdjointStrided(const RealType * y, RealType * x) const
{
  const unsigned int groups = this->NumberOfChannelGroups();
  ComplexBufferType  spectrum = this->AllocateSpectral(1);
  RealBufferType     coarse(groups * m_CoarseSpatialStride);
  ComplexBufferType  coarseSpectra(groups * m_CoarseSpectralStride);
  this->ForwardFFTChannel(y, spectrum.data());
  const ComplexType * R = spectrum.data();
  const RealType      scale = RealType(1) / static_cast<RealType>(m_NumberOfDomainPixels);
  this->ParallelFor(groups, [&](SizeValueType g) {
    RealType *    c = coarse.data() + g * m_CoarseSpatialStride;
    ComplexType * G = coarseSpectra.data() + g * m_CoarseSpectralStride;
    for (unsigned int k = this->FirstChannelOfGroup(g, groups); k < this->FirstChannelOfGroup(g + 1, groups); ++k)
    {
      std::fill_n(G, m_NumberOfCoarseFrequencies, ComplexType(0));
      const ComplexType * h = m_KernelSpectra.data() + k * m_SpectralStride;
      for (SizeValueType f = 0; f < m_NumberOfFrequencies; ++f)
      {
        const ComplexType product = MultiplyConjugate(h[f], R[f]);
        if (m_AdjointDirect[f] >= 0)
        {
          G[m_AdjointDirect[f]] += product;
        }
        if (m_AdjointMirror[f] >= 0)
        {
          G[m_AdjointMirror[f]] += std::conj(product);
        }
      }
      FFTW::ExecuteInverse(m_CoarsePlanInverse, G, c);
      RealType * xk = x + k * m_SpatialStride;
      std::fill_n(xk, m_NumberOfDomainPixels, RealType(0));
      for (SizeValueType i = 0; i < m_NumberOfCoarsePixels; ++i)
      {
        xk[m_CoarseDomainOffsets[i]] = c[i] * scale;
      }
    }
  });
}

template <typename TReal>
double
MultiChannelFourierConvolution<TReal>::LargestSquaredSingularValue(const std::vector<std::complex<double>> & B,
                                                                   size_t rows, unsigned int columns,
                                                                   std::vector<std::complex<double>> * start)
{
  // Power iteration v <- B^H B v, 2 rows columns per step; it approaches from below, so 1.02
  // times it, never above the trace (exact for one row or one column).
  double trace = 0;
  for (const auto & value : B)
  {
    trace += std::norm(value);
  }
  if (rows == 1 || columns == 1)
  {
    return trace;
  }
  std::vector<std::complex<double>> u(rows), v(columns, 1.0), w(columns);
  if (start != nullptr && start->size() == columns)
  {
    // The neighbour's vector plus a little of every direction, in case the top one changed.
    for (unsigned int k = 0; k < columns; ++k)
    {
      v[k] = (*start)[k] + 0.02 / std::sqrt(double(columns));
    }
  }
  double estimate = 0;
  for (unsigned int iteration = 0; iteration < 100; ++iteration)
  {
    for (size_t a = 0; a < rows; ++a)
    {
      std::complex<double> sum = 0;
      for (unsigned int k = 0; k < columns; ++k)
      {
        sum += B[a * columns + k] * v[k];
      }
      u[a] = sum;
    }
    std::fill(w.begin(), w.end(), std::complex<double>(0));
    for (size_t a = 0; a < rows; ++a)
    {
      for (unsigned int k = 0; k < columns; ++k)
      {
        w[k] += std::conj(B[a * columns + k]) * u[a];
      }
    }
    double wNorm = 0, vNorm = 0;
    for (unsigned int k = 0; k < columns; ++k)
    {
      wNorm += std::norm(w[k]);
      vNorm += std::norm(v[k]);
    }
    const double previous = estimate;
    estimate = std::sqrt(wNorm / std::max(vNorm, 1e-300));
    if (wNorm == 0)
    {
      break;
    }
    const double scale = 1.0 / std::sqrt(wNorm);
    for (unsigned int k = 0; k < columns; ++k)
    {
      v[k] = w[k] * scale;
    }
    // Warm-started, the vector is near the top from the first step, and 1e-4 leaves the
    // estimate far within the 2 % margin.
    if (std::abs(estimate - previous) < (start != nullptr ? 1e-4 : 1e-6) * estimate)
    {
      break;
    }
  }
  if (start != nullptr)
  {
    *start = v;
  }
  return std::min(trace, 1.02 * estimate);
}

template <typename TReal>
double
MultiChannelFourierConvolution<TReal>::GetCoefficientSpectralNormSquared() const
{
  if (!m_Strided)
  {
    return m_SpectralNormSquared;
  }
  const std::lock_guard<std::mutex> lock(m_CoefficientNormMutex);
  if (m_CoefficientSpectralNormSquared >= 0)
  {
    return m_CoefficientSpectralNormSquared;
  }
  if (!this->HasCoarseSpectra())
  {
    m_CoefficientSpectralNormSquared = m_SpectralNormSquared; // the upsampling has norm 1: a bound
    return m_CoefficientSpectralNormSquared;
  }
  // The aliases of each stored coarse frequency, as (stored frequency, conjugated).
  std::vector<std::vector<std::pair<SizeValueType, bool>>> aliases(m_NumberOfCoarseFrequencies);
  for (SizeValueType f = 0; f < m_NumberOfFrequencies; ++f)
  {
    if (m_AdjointDirect[f] >= 0)
    {
      aliases[m_AdjointDirect[f]].emplace_back(f, false);
    }
    if (m_AdjointMirror[f] >= 0)
    {
      aliases[m_AdjointMirror[f]].emplace_back(f, true);
    }
  }
  const unsigned int K = m_NumberOfKernels;
  double             cells = 1;
  for (const SizeValueType s : m_Stride)
  {
    cells *= double(s);
  }
  std::vector<double> norms(m_NumberOfCoarseFrequencies, 0.0);
  this->ParallelFor(m_NumberOfCoarseFrequencies, [&](SizeValueType g) {
    const auto &                      list = aliases[g];
    std::vector<std::complex<double>> B(list.size() * K);
    for (size_t a = 0; a < list.size(); ++a)
    {
      for (unsigned int k = 0; k < K; ++k)
      {
        const std::complex<double> value(m_KernelSpectra[k * m_SpectralStride + list[a].first]);
        B[a * K + k] = list[a].second ? std::conj(value) : value;
      }
    }
    norms[g] = LargestSquaredSingularValue(B, list.size(), K) / cells;
  });
  m_CoefficientSpectralNormSquared = *std::max_element(norms.begin(), norms.end());
  return m_CoefficientSpectralNormSquared;
}
} // namespace itk

#endif
