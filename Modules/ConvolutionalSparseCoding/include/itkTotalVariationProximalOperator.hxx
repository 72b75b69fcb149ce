#ifndef itkTotalVariationProximalOperator_hxx
#define itkTotalVariationProximalOperator_hxx

#include "itkTotalVariationProximalOperator.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal>
void
TotalVariationProximalOperator<TReal>::SetImageSize(const std::vector<SizeValueType> & size)
{
  if (size.empty() || std::any_of(size.begin(), size.end(), [](SizeValueType s) { return s == 0; }))
  {
    itkExceptionMacro("The total-variation grid needs at least one axis and no empty axis");
  }
  m_Size = size;
  m_Strides.assign(size.size(), 1);
  for (size_t d = 1; d < size.size(); ++d)
  {
    m_Strides[d] = m_Strides[d - 1] * size[d - 1];
  }
  this->Modified();
}

template <typename TReal>
SizeValueType
TotalVariationProximalOperator<TReal>::NumberOfPixels() const
{
  return m_Strides.back() * m_Size.back();
}

template <typename TReal>
void
TotalVariationProximalOperator<TReal>::Gradient(const RealType * x, RealType * g) const
{
  const SizeValueType n = this->NumberOfPixels();
  for (size_t d = 0; d < m_Size.size(); ++d)
  {
    const SizeValueType s = m_Strides[d], size = m_Size[d];
    RealType *          gd = g + d * n;
    for (SizeValueType i = 0; i < n; ++i)
    {
      gd[i] = (i / s) % size + 1 < size ? x[i + s] - x[i] : RealType(0);
    }
  }
}

template <typename TReal>
void
TotalVariationProximalOperator<TReal>::GradientAdjoint(const RealType * p, RealType * y) const
{
  const SizeValueType n = this->NumberOfPixels();
  std::fill(y, y + n, RealType(0));
  for (size_t d = 0; d < m_Size.size(); ++d)
  {
    const SizeValueType s = m_Strides[d], size = m_Size[d];
    const RealType *    pd = p + d * n;
    for (SizeValueType i = 0; i < n; ++i)
    {
      const SizeValueType c = (i / s) % size;
      y[i] += (c > 0 ? pd[i - s] : RealType(0)) - (c + 1 < size ? pd[i] : RealType(0));
    }
  }
}

template <typename TReal>
double
TotalVariationProximalOperator<TReal>::Evaluate(const RealType * x) const
{
  if (m_Size.empty())
  {
    itkExceptionMacro("SetImageSize() must come first");
  }
  const SizeValueType   n = this->NumberOfPixels();
  const size_t          N = m_Size.size();
  std::vector<RealType> g(N * n);
  this->Gradient(x, g.data());
  double total = 0;
  for (SizeValueType i = 0; i < n; ++i)
  {
    double squared = 0;
    for (size_t d = 0; d < N; ++d)
    {
      squared += double(g[d * n + i]) * g[d * n + i];
    }
    total += std::sqrt(squared);
  }
  return total;
}

template <typename TReal>
void
TotalVariationProximalOperator<TReal>::Apply(const RealType * b, RealType * x, double lambda) const
{
  if (m_Size.empty())
  {
    itkExceptionMacro("SetImageSize() must come first");
  }
  if (!(lambda >= 0) || !std::isfinite(lambda))
  {
    itkExceptionMacro("The total-variation weight must be finite and non-negative, got " << lambda);
  }
  const SizeValueType n = this->NumberOfPixels();
  const size_t        N = m_Size.size();
  m_LastIterations = 0;
  m_LastDualityGap = 0;
  if (lambda == 0 || n == 1)
  {
    std::copy(b, b + n, x);
    return;
  }
  const std::vector<RealType> signal(b, b + n); // b and x may alias
  std::vector<RealType>       p(N * n, 0), previous(N * n, 0), r(N * n, 0), g(N * n), y(n);
  const RealType              L = static_cast<RealType>(lambda);
  const RealType              step = static_cast<RealType>(1.0 / (4.0 * N * lambda));
  double                      t = 1;
  // x(q) = b - lambda grad^T q.
  auto primalOf = [&](const std::vector<RealType> & q) {
    this->GradientAdjoint(q.data(), y.data());
    for (SizeValueType i = 0; i < n; ++i)
    {
      x[i] = signal[i] - L * y[i];
    }
  };
  for (unsigned int iteration = 1; iteration <= m_MaximumNumberOfIterations; ++iteration)
  {
    primalOf(r);
    this->Gradient(x, g.data());
    previous.swap(p);
    for (SizeValueType i = 0; i < n; ++i)
    {
      // Projected gradient step on the dual, then the projection onto the unit balls.
      double squared = 0;
      for (size_t d = 0; d < N; ++d)
      {
        p[d * n + i] = r[d * n + i] + step * g[d * n + i];
        squared += double(p[d * n + i]) * p[d * n + i];
      }
      if (squared > 1)
      {
        const RealType scale = static_cast<RealType>(1 / std::sqrt(squared));
        for (size_t d = 0; d < N; ++d)
        {
          p[d * n + i] *= scale;
        }
      }
    }
    const double next = 0.5 * (1 + std::sqrt(1 + 4 * t * t));
    const auto   beta = static_cast<RealType>((t - 1) / next);
    t = next;
    for (SizeValueType j = 0; j < N * n; ++j)
    {
      r[j] = p[j] + beta * (p[j] - previous[j]);
    }
    m_LastIterations = iteration;
    if (iteration % 10 == 0 || iteration == m_MaximumNumberOfIterations)
    {
      // The duality gap at the feasible dual point p: P(x(p)) - (1/2 ||b||^2 - 1/2 ||x(p)||^2).
      primalOf(p);
      double fidelity = 0, energyB = 0, energyX = 0;
      for (SizeValueType i = 0; i < n; ++i)
      {
        fidelity += 0.5 * double(x[i] - signal[i]) * (x[i] - signal[i]);
        energyB += 0.5 * double(signal[i]) * signal[i];
        energyX += 0.5 * double(x[i]) * x[i];
      }
      const double primal = fidelity + lambda * this->Evaluate(x);
      m_LastDualityGap = std::max(0.0, primal - (energyB - energyX));
      if (m_LastDualityGap <= m_RelativeGapTolerance * std::max(primal, 1e-300))
      {
        return;
      }
    }
  }
  primalOf(p);
}

template <typename TReal>
void
TotalVariationProximalOperator<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "ImageSize:";
  for (auto s : m_Size)
  {
    os << " " << s;
  }
  os << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeGapTolerance: " << m_RelativeGapTolerance << std::endl;
  os << indent << "LastIterations: " << m_LastIterations << std::endl;
  os << indent << "LastDualityGap: " << m_LastDualityGap << std::endl;
}
} // namespace itk

#endif
