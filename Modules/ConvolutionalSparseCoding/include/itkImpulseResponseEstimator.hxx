#ifndef itkImpulseResponseEstimator_hxx
#define itkImpulseResponseEstimator_hxx

#include "itkMacro.h"
#include <algorithm>
#include <cmath>
#include <numeric>

namespace itk
{
template <typename TReal>
ImpulseResponseEstimator<TReal>::ImpulseResponseEstimator(unsigned int numberOfResponses, SizeValueType responseLength)
  : m_L(numberOfResponses)
  , m_F(responseLength)
  , m_Gram(numberOfResponses * responseLength * numberOfResponses * responseLength, 0.0)
  , m_Projection(numberOfResponses * responseLength, 0.0)
{
  if (numberOfResponses == 0 || responseLength == 0)
  {
    itkGenericExceptionMacro("ImpulseResponseEstimator: needs at least one response of at least one tap");
  }
}

template <typename TReal>
void
ImpulseResponseEstimator<TReal>::Accumulate(const TReal * trace, SizeValueType length, SizeValueType stride,
                                            double baseline, const std::vector<SpikeType> & spikes, double weight)
{
  const long F = long(m_F), T = long(length), n = long(m_L * m_F);
  for (size_t i = 0; i < spikes.size(); ++i)
  {
    const auto & a = spikes[i];
    const long   t = long(a.Frame);
    if (a.Response >= m_L || t >= T)
    {
      itkGenericExceptionMacro("ImpulseResponseEstimator: spike at frame " << t << " of response " << a.Response
                                                                           << " is outside the trace or the responses");
    }
    for (long k = 0; k < F && t + k < T; ++k)
    {
      m_Projection[a.Response * F + k] +=
        weight * a.Amplitude * (static_cast<double>(trace[(t + k) * stride]) - baseline);
    }
    // Pairs (i, j) with j at or after i, within reach; the Gram matrix is filled symmetrically.
    for (size_t j = i; j < spikes.size() && long(spikes[j].Frame) < t + F; ++j)
    {
      const auto & b = spikes[j];
      const long   d = long(b.Frame) - t; // >= 0: tap k of a meets tap k - d of b
      const double product = weight * a.Amplitude * b.Amplitude;
      for (long k = d; k < F && t + k < T; ++k)
      {
        const long row = long(a.Response) * F + k, column = long(b.Response) * F + (k - d);
        m_Gram[row * n + column] += product;
        if (i != j || row != column)
        {
          m_Gram[column * n + row] += product;
        }
      }
    }
  }
}

template <typename TReal>
void
ImpulseResponseEstimator<TReal>::Merge(const ImpulseResponseEstimator & other)
{
  if (other.m_L != m_L || other.m_F != m_F)
  {
    itkGenericExceptionMacro("ImpulseResponseEstimator: cannot merge estimators of different sizes");
  }
  for (size_t i = 0; i < m_Gram.size(); ++i)
  {
    m_Gram[i] += other.m_Gram[i];
  }
  for (size_t i = 0; i < m_Projection.size(); ++i)
  {
    m_Projection[i] += other.m_Projection[i];
  }
}

template <typename TReal>
std::vector<double>
ImpulseResponseEstimator<TReal>::Solve(std::vector<ResponseType> & responses) const
{
  const size_t n = m_L * m_F;
  if (responses.size() != m_L)
  {
    itkGenericExceptionMacro("ImpulseResponseEstimator: expected " << m_L << " responses, got " << responses.size());
  }
  std::vector<double> f(n), previous(n), y(n), gradient(n);
  for (size_t l = 0; l < m_L; ++l)
  {
    if (responses[l].size() != m_F)
    {
      itkGenericExceptionMacro("ImpulseResponseEstimator: response " << l << " has " << responses[l].size()
                                                                     << " taps, expected " << m_F);
    }
    std::copy(responses[l].begin(), responses[l].end(), f.begin() + l * m_F);
  }
  // The Lipschitz constant of the gradient: the Gram matrix's largest eigenvalue (power method).
  std::vector<double> v(n, 1.0), w(n);
  double              largest = 0.0;
  for (int it = 0; it < 100; ++it)
  {
    double norm = 0.0;
    for (size_t r = 0; r < n; ++r)
    {
      double sum = 0.0;
      for (size_t c = 0; c < n; ++c)
      {
        sum += m_Gram[r * n + c] * v[c];
      }
      w[r] = sum;
      norm += sum * sum;
    }
    norm = std::sqrt(norm);
    if (norm <= 0.0)
    {
      break;
    }
    const double estimate = norm / std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
    for (size_t r = 0; r < n; ++r)
    {
      v[r] = w[r] / norm;
    }
    const bool settled = std::abs(estimate - largest) <= 1e-6 * estimate;
    largest = estimate;
    if (settled)
    {
      break;
    }
  }
  std::vector<double> scale(m_L, 0.0);
  if (largest <= 0.0)
  {
    return scale;
  }
  const double step = 1.0 / (1.01 * largest);
  previous = f;
  y = f;
  double momentum = 1.0;
  for (int it = 0; it < 5000; ++it)
  {
    double change = 0.0, size = 0.0;
    for (size_t r = 0; r < n; ++r)
    {
      double sum = -m_Projection[r];
      for (size_t c = 0; c < n; ++c)
      {
        sum += m_Gram[r * n + c] * y[c];
      }
      gradient[r] = sum;
    }
    for (size_t r = 0; r < n; ++r)
    {
      f[r] = std::max(0.0, y[r] - step * gradient[r]);
      change += (f[r] - previous[r]) * (f[r] - previous[r]);
      size += f[r] * f[r];
    }
    const double next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * momentum * momentum));
    for (size_t r = 0; r < n; ++r)
    {
      y[r] = f[r] + (momentum - 1.0) / next * (f[r] - previous[r]);
    }
    momentum = next;
    previous = f;
    if (change <= 1e-20 * size)
    {
      break;
    }
  }
  for (size_t l = 0; l < m_L; ++l)
  {
    double energy = 0.0, data = 0.0;
    for (size_t k = 0; k < m_F; ++k)
    {
      energy += f[l * m_F + k] * f[l * m_F + k];
      data += m_Gram[(l * m_F + k) * n + l * m_F + k];
    }
    if (energy > 0.0 && data > 0.0)
    {
      scale[l] = std::sqrt(energy);
      for (size_t k = 0; k < m_F; ++k)
      {
        responses[l][k] = f[l * m_F + k] / scale[l];
      }
    }
  }
  return scale;
}

template <typename TReal>
double
ImpulseResponseEstimator<TReal>::EvaluateQuadratic(const std::vector<ResponseType> & responses) const
{
  const size_t        n = m_L * m_F;
  std::vector<double> f(n);
  for (size_t l = 0; l < m_L; ++l)
  {
    std::copy(responses[l].begin(), responses[l].end(), f.begin() + l * m_F);
  }
  double value = 0.0;
  for (size_t r = 0; r < n; ++r)
  {
    double sum = 0.0;
    for (size_t c = 0; c < n; ++c)
    {
      sum += m_Gram[r * n + c] * f[c];
    }
    value += 0.5 * f[r] * sum - m_Projection[r] * f[r];
  }
  return value;
}
} // namespace itk

#endif
