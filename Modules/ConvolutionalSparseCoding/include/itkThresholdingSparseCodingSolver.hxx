#ifndef itkThresholdingSparseCodingSolver_hxx
#define itkThresholdingSparseCodingSolver_hxx

#include "itkThresholdingSparseCodingSolver.h"
#include <algorithm>

namespace itk
{
template <typename TReal>
void
ThresholdingSparseCodingSolver<TReal>::Initialize()
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  stride = op.GetSpatialStride();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  m_X = op.AllocateSpatial(K);
  this->CopyInitialCoefficients(m_X.data());
  const bool     warm = std::any_of(m_X.data(), m_X.data() + m_X.size(), [](RealType value) { return value != 0; });
  RealBufferType correlation = op.AllocateSpatial(K);
  RealBufferType image = op.AllocateSpatial(1);
  this->ResidualCorrelation(warm ? m_X.data() : nullptr, correlation.data(), image.data());
  const RealType threshold = static_cast<RealType>(this->GetLambda());
  const auto     penalty = this->template ReduceOverBlocks<1>(
    n, 4096, [&](SizeValueType begin, SizeValueType end, std::array<double, 1> & sums) {
      sums[0] +=
        this->ProximalBlock(m_X.data() + begin, stride, K, 0, begin, end, threshold, [&](unsigned int c, RealType * v) {
          for (SizeValueType i = begin; i < end; ++i)
          {
            v[i] += correlation[c * stride + i];
          }
        });
    });
  const double data = this->ResidualCorrelation(m_X.data(), nullptr, image.data());
  auto &       stats = this->m_Statistics;
  stats.DataFidelity = data;
  stats.Penalty = penalty[0];
  stats.Objective = data + this->GetLambda() * penalty[0];
}
} // namespace itk

#endif
