#ifndef itkLCASparseCodingSolver_hxx
#define itkLCASparseCodingSolver_hxx

#include "itkLCASparseCodingSolver.h"
#include <algorithm>
#include <cmath>

namespace itk
{
namespace
{
constexpr SizeValueType LCAPixelBlock = 4096;
} // namespace

template <typename TReal>
void
LCASparseCodingSolver<TReal>::Initialize()
{
  if (!(m_Step >= 0) || !std::isfinite(m_Step))
  {
    itkExceptionMacro("LCA Step must be positive (or 0 for automatic), got " << m_Step);
  }
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  size = static_cast<SizeValueType>(K) * op.GetSpatialStride();
  m_CurrentStep = m_Step > 0 ? m_Step : 1.0 / std::max(1.0, this->ComputeLipschitzConstant());
  const bool keepState = m_WarmStartFromState && m_U.size() == size;
  op.EnsureSpatial(m_A, K);
  op.EnsureSpatial(m_Drive, K);
  op.EnsureSpatial(m_Image, 1);
  if (!keepState)
  {
    // u0 = x0 + A^T W^2 (s - A x0): the state of a fixed point whose output is x0.
    this->CopyInitialCoefficients(m_A.data());
    this->ResidualCorrelation(m_A.data(), m_Drive.data(), m_Image.data());
    m_U = op.AllocateSpatial(K);
    for (SizeValueType j = 0; j < size; ++j)
    {
      m_U[j] = m_A[j] + m_Drive[j];
    }
  }
  this->TransferAndDrive();
}

template <typename TReal>
void
LCASparseCodingSolver<TReal>::TransferAndDrive()
{
  const OperatorType &            op = *this->GetOperator();
  const ProximalOperator<TReal> & prox = *this->GetProximalOperator();
  const unsigned int              K = op.GetNumberOfKernels();
  const SizeValueType             stride = op.GetSpatialStride();
  const SizeValueType             n = op.GetNumberOfDomainPixels();
  const RealType                  threshold = static_cast<RealType>(this->GetLambda());
  const uint8_t *                 support = this->GetSupportMask();
  const auto                      penalty = this->template ReduceOverBlocks<1>(
    n, LCAPixelBlock, [&](SizeValueType begin, SizeValueType end, std::array<double, 1> & sums) {
      for (unsigned int k = 0; k < K; ++k)
      {
        std::copy(m_U.data() + k * stride + begin, m_U.data() + k * stride + end, m_A.data() + k * stride + begin);
      }
      prox.Apply(m_A.data(), stride, K, begin, end, threshold);
      for (unsigned int k = 0; support != nullptr && k < K; ++k)
      {
        RealType * a = m_A.data() + k * stride;
        for (SizeValueType i = begin; i < end; ++i)
        {
          a[i] = support[i] ? a[i] : RealType(0);
        }
      }
      sums[0] += prox.Evaluate(m_A.data(), stride, K, begin, end);
    });
  const double data = this->ResidualCorrelation(m_A.data(), m_Drive.data(), m_Image.data());
  // The velocity of the dynamics, -u + a + drive, relative to the state.
  const auto norms = this->template ReduceOverBlocks<2>(
    n, LCAPixelBlock, [&](SizeValueType begin, SizeValueType end, std::array<double, 2> & sums) {
      for (unsigned int k = 0; k < K; ++k)
      {
        const SizeValueType offset = k * stride;
        for (SizeValueType i = offset + begin; i < offset + end; ++i)
        {
          const double velocity = double(m_A[i]) + m_Drive[i] - m_U[i];
          sums[0] += velocity * velocity;
          sums[1] += double(m_U[i]) * m_U[i];
        }
      }
    });
  m_RelativeVelocity = std::sqrt(norms[0]) / std::max(std::sqrt(norms[1]), 1e-30);
  auto & stats = this->m_Statistics;
  stats.DataFidelity = data;
  stats.Penalty = penalty[0];
  stats.Objective = data + this->GetLambda() * penalty[0];
  stats.PrimalResidual = m_RelativeVelocity;
  stats.DualResidual = 0;
  stats.StepOrPenaltyParameter = m_CurrentStep;
}

template <typename TReal>
void
LCASparseCodingSolver<TReal>::Iterate()
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  stride = op.GetSpatialStride();
  const RealType       tau = static_cast<RealType>(m_CurrentStep);
  op.ParallelFor(K, [&](SizeValueType k) {
    RealType *       u = m_U.data() + k * stride;
    const RealType * a = m_A.data() + k * stride;
    const RealType * drive = m_Drive.data() + k * stride;
    for (SizeValueType i = 0; i < op.GetNumberOfDomainPixels(); ++i)
    {
      u[i] += tau * (a[i] + drive[i] - u[i]);
    }
  });
  this->TransferAndDrive();
}

template <typename TReal>
bool
LCASparseCodingSolver<TReal>::Converged() const
{
  return m_RelativeVelocity < this->GetRelativeTolerance();
}

template <typename TReal>
LightObject::Pointer
LCASparseCodingSolver<TReal>::InternalClone() const
{
  LightObject::Pointer pointer = Superclass::InternalClone();
  Self &               clone = Superclass::template CloneAs<Self>(pointer);
  clone.m_Step = m_Step;
  clone.m_WarmStartFromState = m_WarmStartFromState;
  return pointer;
}

template <typename TReal>
void
LCASparseCodingSolver<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Step: " << m_Step << " (current " << m_CurrentStep << ")" << std::endl;
  os << indent << "WarmStartFromState: " << m_WarmStartFromState << std::endl;
}
} // namespace itk

#endif
