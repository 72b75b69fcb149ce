#ifndef itkMultiLayerFISTASolver_hxx
#define itkMultiLayerFISTASolver_hxx

#include "itkMultiLayerFISTASolver.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal>
void
MultiLayerFISTASolver<TReal>::CheckLayers(const LayerList & layers)
{
  if (layers.empty())
  {
    itkGenericExceptionMacro("A multi-layer solver needs at least one layer");
  }
  for (size_t j = 0; j < layers.size(); ++j)
  {
    if (layers[j].IsNull())
    {
      itkGenericExceptionMacro("Layer " << j + 1 << " is not set");
    }
    if (j > 0 && layers[j]->GetNumberOfChannels() != layers[j - 1]->GetNumberOfMaps())
    {
      itkGenericExceptionMacro("The layers do not chain: layer " << j + 1 << " has " << layers[j]->GetNumberOfChannels()
                                                                 << " channels but layer " << j << " has "
                                                                 << layers[j - 1]->GetNumberOfMaps() << " maps");
    }
    if (layers[j]->GetChannelOperator(0).GetDomainSize() != layers[0]->GetChannelOperator(0).GetDomainSize())
    {
      itkGenericExceptionMacro("Layer " << j + 1 << " lives on another domain than layer 1: give every layer the same "
                                        << "image size, boundary and (zero-padded) kernel size");
    }
  }
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::SetLayers(const LayerList & layers)
{
  CheckLayers(layers);
  m_Layers = layers;
  m_Target = RealBufferType();
  this->SetOperator(&layers[0]->GetChannelOperator(0));
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::SetLayerLambdas(const std::vector<double> & lambdas)
{
  for (size_t j = 0; j < lambdas.size(); ++j)
  {
    if (!(lambdas[j] >= 0) || !std::isfinite(lambdas[j]))
    {
      itkExceptionMacro("The lambda of layer " << j + 1 << " must be finite and non-negative, got " << lambdas[j]);
    }
  }
  m_LayerLambdas = lambdas;
  this->Modified();
}

template <typename TReal>
unsigned int
MultiLayerFISTASolver<TReal>::Maps(unsigned int j) const
{
  return j == 0 ? m_Layers[0]->GetNumberOfChannels() : m_Layers[j - 1]->GetNumberOfMaps();
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::SetTarget(const RealType * channels)
{
  if (m_Layers.empty())
  {
    itkExceptionMacro("SetLayers() must come before SetTarget()");
  }
  if (channels == nullptr)
  {
    itkExceptionMacro("The target is null");
  }
  const auto &        op = *this->GetOperator();
  const SizeValueType n = op.GetNumberOfImagePixels();
  const unsigned int  C = this->Maps(0);
  for (SizeValueType i = 0; i < C * n; ++i)
  {
    if (!std::isfinite(channels[i]))
    {
      itkExceptionMacro("The target contains a non-finite value (NaN or Inf) in channel " << i / n << " at pixel "
                                                                                          << i % n);
    }
  }
  // The base class keeps channel 0 as its signal: it sets the pad's zero weights and the checks.
  this->SetSignal(channels);
  m_Target = op.AllocateSpatial(C);
  op.PadToDomain(channels, m_Target.data(), C);
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::ComposeDown(std::vector<RealBufferType> & layers) const
{
  for (unsigned int i = this->NumberOfLayers() - 1; i > 0; --i)
  {
    m_Layers[i]->Forward(layers[i].data(), layers[i - 1].data());
  }
}

template <typename TReal>
double
MultiLayerFISTASolver<TReal>::FirstLayerResidual(const RealType * gamma1, RealType * residual,
                                                 RealType * gradient) const
{
  const auto &        op = *this->GetOperator();
  const SizeValueType n = op.GetNumberOfDomainPixels(), S = op.GetSpatialStride();
  const unsigned int  C = this->Maps(0);
  RealType *          r = residual;
  m_Layers[0]->Forward(gamma1, r);
  const RealType * w2 = this->IsWeighted() ? this->GetSquaredWeights() : nullptr;
  const auto       sums = this->template ReduceOverChannels<1>(C, [&](SizeValueType c, std::array<double, 1> & sum) {
    RealType *       rc = r + c * S;
    const RealType * sc = m_Target.data() + c * S;
    for (SizeValueType i = 0; i < n; ++i)
    {
      const RealType d = rc[i] - sc[i];
      const RealType weighted = w2 != nullptr ? w2[i] * d : d;
      sum[0] += double(d) * weighted;
      rc[i] = weighted;
    }
  });
  if (gradient != nullptr)
  {
    m_Layers[0]->Adjoint(r, gradient);
  }
  return 0.5 * sums[0];
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::ProximalStep(unsigned int i, const RealType * hat, RealType * grad, double step) const
{
  const auto &                 op = *this->GetOperator();
  const SizeValueType          n = op.GetNumberOfDomainPixels(), S = op.GetSpatialStride();
  const unsigned int           K = this->Maps(i + 1);
  const RealType               mu = static_cast<RealType>(step);
  const bool                   deepest = i + 1 == this->NumberOfLayers();
  const uint8_t *              support = deepest ? this->GetSupportMask() : nullptr;
  const RealType               threshold = static_cast<RealType>(step * m_LayerLambdas[i]);
  const ProximalOperatorType & prox = *this->GetProximalOperator();
  const bool                   separable = prox.IsSeparable();
  op.ParallelFor(K, [&](SizeValueType k) {
    RealType *       v = grad + k * S;
    const RealType * h = hat + k * S;
    for (SizeValueType p = 0; p < n; ++p)
    {
      v[p] = h[p] - mu * v[p];
    }
    if (separable)
    {
      prox.Apply(v, S, 1, 0, n, threshold);
    }
  });
  if (!separable)
  {
    prox.Apply(grad, S, K, 0, n, threshold);
  }
  for (unsigned int k = 0; k < K && support != nullptr; ++k)
  {
    RealType * v = grad + k * S;
    for (SizeValueType p = 0; p < n; ++p)
    {
      v[p] = support[p] ? v[p] : RealType(0);
    }
  }
}

template <typename TReal>
double
MultiLayerFISTASolver<TReal>::LayerPenalty(unsigned int i, const RealType * maps) const
{
  const auto & op = *this->GetOperator();
  return this->GetProximalOperator()->Evaluate(
    maps, op.GetSpatialStride(), this->Maps(i + 1), 0, op.GetNumberOfDomainPixels());
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::EvaluateStatistics()
{
  this->ComposeDown(m_Gamma);
  const double fidelity = this->FirstLayerResidual(m_Gamma[0].data(), m_Residual.data(), nullptr);
  double       penalty = 0;
  for (unsigned int i = 0; i < this->NumberOfLayers(); ++i)
  {
    penalty += m_LayerLambdas[i] * this->LayerPenalty(i, m_Gamma[i].data());
  }
  this->m_Statistics.DataFidelity = fidelity;
  this->m_Statistics.Penalty = penalty;
  this->m_Statistics.Objective = fidelity + penalty;
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::Initialize()
{
  if (m_Layers.empty() || m_Target.size() == 0)
  {
    itkExceptionMacro("The multi-layer solver needs its layers and its target (SetLayers(), SetTarget())");
  }
  if (this->HasInitialCoefficients())
  {
    itkExceptionMacro("The multi-layer solver has no warm start: it starts from zero maps");
  }
  if (this->GetOperator()->IsStrided())
  {
    itkExceptionMacro("The multi-layer solver does not take strided layers");
  }
  const unsigned int L = this->NumberOfLayers();
  if (m_LayerLambdas.empty())
  {
    m_LayerLambdas.assign(L, this->GetLambda());
  }
  if (m_LayerLambdas.size() != L)
  {
    itkExceptionMacro("There are " << m_LayerLambdas.size() << " layer lambdas for " << L << " layers");
  }
  const auto & op = *this->GetOperator();
  double       maxSquaredWeight = 1;
  if (this->IsWeighted())
  {
    const RealType * w2 = this->GetSquaredWeights();
    maxSquaredWeight = *std::max_element(w2, w2 + op.GetNumberOfDomainPixels());
  }
  m_Steps.assign(L, 0.0);
  for (unsigned int i = 0; i < L; ++i)
  {
    this->GetProximalOperator()->Validate(this->Maps(i + 1));
    const double norm = m_Layers[i]->GetSpectralNormSquared() * (i == 0 ? maxSquaredWeight : 1.0);
    if (!(norm > 0))
    {
      itkExceptionMacro("Layer " << i + 1 << " is zero (or its weights are): it has no step");
    }
    m_Steps[i] = (i == 0 ? 1.0 : m_Steps[i - 1]) / norm;
  }
  m_Gamma.clear();
  m_Hat.clear();
  m_Work.clear();
  for (unsigned int i = 0; i < L; ++i)
  {
    m_Gamma.push_back(op.AllocateSpatial(this->Maps(i + 1)));
    m_Hat.push_back(op.AllocateSpatial(this->Maps(i + 1)));
    m_Work.push_back(op.AllocateSpatial(this->Maps(i + 1)));
  }
  m_PreviousDeepest = op.AllocateSpatial(this->Maps(L));
  m_Residual = op.AllocateSpatial(this->Maps(0));
  m_HatResidual = op.AllocateSpatial(this->Maps(0));
  m_Momentum.Restart();
  this->EvaluateStatistics();
  m_PreviousObjective = this->m_Statistics.Objective;
  this->m_Statistics.StepOrPenaltyParameter = m_Steps.back();
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::Iterate()
{
  const auto &        op = *this->GetOperator();
  const unsigned int  L = this->NumberOfLayers();
  const SizeValueType S = op.GetSpatialStride();
  const RealType      beta = static_cast<RealType>(m_Accelerated ? m_Momentum.GetBeta() : 0.0);
  op.ParallelFor(this->Maps(L), [&](SizeValueType k) {
    const RealType * z = m_Gamma[L - 1].data() + k * S;
    const RealType * previous = m_PreviousDeepest.data() + k * S;
    RealType *       y = m_Hat[L - 1].data() + k * S;
    for (SizeValueType p = 0; p < S; ++p)
    {
      y[p] = z[p] + beta * (z[p] - previous[p]);
    }
  });
  if (beta == 0)
  {
    // No extrapolation (ML-ISTA, or a momentum restart): the point is the iterate, whose layers
    // and residual the statistics already hold.
    for (unsigned int i = 0; i + 1 < L; ++i)
    {
      std::copy_n(m_Gamma[i].data(), m_Gamma[i].size(), m_Hat[i].data());
    }
    m_Layers[0]->Adjoint(m_Residual.data(), m_Work[0].data());
  }
  else
  {
    this->ComposeDown(m_Hat);
    this->FirstLayerResidual(m_Hat[0].data(), m_HatResidual.data(), m_Work[0].data());
  }
  for (unsigned int i = 0; i < L; ++i)
  {
    if (i > 0)
    {
      m_Layers[i]->Adjoint(m_Work[i - 1].data(), m_Work[i].data());
    }
    this->ProximalStep(i, m_Hat[i].data(), m_Work[i].data(), m_Steps[i]);
    if (i + 1 < L)
    {
      // (hat gamma_j - v_j) / mu_j: the gradient the layer below passes up.
      const RealType inverse = static_cast<RealType>(1.0 / m_Steps[i]);
      op.ParallelFor(this->Maps(i + 1), [&](SizeValueType k) {
        RealType *       w = m_Work[i].data() + k * S;
        const RealType * h = m_Hat[i].data() + k * S;
        for (SizeValueType p = 0; p < S; ++p)
        {
          w[p] = (h[p] - w[p]) * inverse;
        }
      });
    }
  }
  std::swap(m_PreviousDeepest, m_Gamma[L - 1]);
  std::swap(m_Gamma[L - 1], m_Work[L - 1]);
  this->EvaluateStatistics();

  const auto sums =
    this->template ReduceOverChannels<2>(this->Maps(L), [&](SizeValueType k, std::array<double, 2> & sum) {
      const RealType * z = m_Gamma[L - 1].data() + k * S;
      const RealType * previous = m_PreviousDeepest.data() + k * S;
      for (SizeValueType p = 0; p < S; ++p)
      {
        sum[0] += double(z[p] - previous[p]) * (z[p] - previous[p]);
        sum[1] += double(z[p]) * z[p];
      }
    });
  const double change = sums[0], norm = sums[1];
  this->m_Statistics.PrimalResidual = norm > 0 ? std::sqrt(change / norm) : (change > 0 ? 1.0 : 0.0);
  this->m_Statistics.DualResidual = 0;
  this->m_Statistics.StepOrPenaltyParameter = m_Steps.back();
  // The composed prox-gradient is not a descent method: momentum restarts when F rises.
  if (this->m_Statistics.Objective > m_PreviousObjective)
  {
    m_Momentum.Restart();
  }
  else
  {
    m_Momentum.Advance();
  }
  m_PreviousObjective = this->m_Statistics.Objective;
}

template <typename TReal>
bool
MultiLayerFISTASolver<TReal>::Converged() const
{
  return this->GetRelativeTolerance() > 0 && this->m_Statistics.PrimalResidual < this->GetRelativeTolerance();
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::GetLayerCoefficients(unsigned int layer, RealType * maps) const
{
  if (layer == 0 || layer > this->NumberOfLayers() || m_Gamma.size() != this->NumberOfLayers())
  {
    itkExceptionMacro("No maps for layer " << layer << ": layers are 1 to " << this->NumberOfLayers()
                                           << ", after Solve()");
  }
  this->GetOperator()->CropToImage(m_Gamma[layer - 1].data(), maps, this->Maps(layer));
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::GetReconstruction(RealType * channels) const
{
  const auto &   op = *this->GetOperator();
  RealBufferType y = op.AllocateSpatial(this->Maps(0));
  m_Layers[0]->Forward(m_Gamma[0].data(), y.data());
  op.CropToImage(y.data(), channels, this->Maps(0));
}

template <typename TReal>
double
MultiLayerFISTASolver<TReal>::EvaluateObjective(const RealType *) const
{
  itkExceptionMacro("The multi-layer objective depends on the deepest maps: use EvaluateLayeredObjective()");
}

template <typename TReal>
double
MultiLayerFISTASolver<TReal>::EvaluateLayeredObjective(const RealType * deepestMaps) const
{
  const unsigned int L = this->NumberOfLayers();
  if (L == 0 || m_Target.size() == 0 || m_LayerLambdas.size() != L)
  {
    itkExceptionMacro("EvaluateLayeredObjective() needs a solver that has run (layers, target, lambdas)");
  }
  const auto &                op = *this->GetOperator();
  std::vector<RealBufferType> gamma;
  for (unsigned int i = 0; i < L; ++i)
  {
    gamma.push_back(op.AllocateSpatial(this->Maps(i + 1)));
  }
  op.PadToDomain(deepestMaps, gamma.back().data(), this->Maps(L));
  this->ComposeDown(gamma);
  RealBufferType residual = op.AllocateSpatial(this->Maps(0));
  double         objective = this->FirstLayerResidual(gamma[0].data(), residual.data(), nullptr);
  for (unsigned int i = 0; i < L; ++i)
  {
    objective += m_LayerLambdas[i] * this->LayerPenalty(i, gamma[i].data());
  }
  return objective;
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::ReleaseWorkBuffers()
{
  m_Hat.clear();
  m_Work.clear();
  m_PreviousDeepest = RealBufferType();
  m_HatResidual = RealBufferType();
}

template <typename TReal>
LightObject::Pointer
MultiLayerFISTASolver<TReal>::InternalClone() const
{
  LightObject::Pointer clone = Superclass::InternalClone();
  Self &               solver = Superclass::template CloneAs<Self>(clone);
  solver.m_LayerLambdas = m_LayerLambdas;
  solver.m_Accelerated = m_Accelerated;
  return clone;
}

template <typename TReal>
void
MultiLayerFISTASolver<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Layers: " << m_Layers.size() << std::endl;
  os << indent << "LayerLambdas:";
  for (double lambda : m_LayerLambdas)
  {
    os << " " << lambda;
  }
  os << std::endl;
  os << indent << "Accelerated: " << m_Accelerated << std::endl;
}
} // namespace itk

#endif
