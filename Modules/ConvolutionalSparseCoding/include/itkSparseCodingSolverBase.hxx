#ifndef itkSparseCodingSolverBase_hxx
#define itkSparseCodingSolverBase_hxx

#include "itkSparseCodingSolverBase.h"
#include "itkEventObject.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal>
void
SparseCodingSolverBase<TReal>::SetOperator(const OperatorType * op)
{
  if (op == nullptr || op->GetDomainSize().empty())
  {
    itkExceptionMacro("The operator must be set and initialised (call Initialize() on it)");
  }
  m_Operator = op;
  m_Signal = RealBufferType();
  m_SquaredWeights = RealBufferType();
  this->Modified();
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::SetSignal(const RealType * image)
{
  if (m_Operator.IsNull())
  {
    itkExceptionMacro("SetOperator() must come before SetSignal()");
  }
  if (image == nullptr)
  {
    itkExceptionMacro("The signal is null");
  }
  const SizeValueType n = m_Operator->GetNumberOfImagePixels();
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (!std::isfinite(image[i]))
    {
      itkExceptionMacro("The image contains a non-finite value (NaN or Inf) at pixel " << i);
    }
  }
  m_Signal = m_Operator->AllocateSpatial(1);
  m_Operator->PadToDomain(image, m_Signal.data(), 1);
  if (!m_Operator->DomainEqualsImage() && m_SquaredWeights.size() == 0)
  {
    // The pad is outside the data: weight 0 there, 1 on the image.
    m_SquaredWeights = m_Operator->AllocateSpatial(1);
    const auto & mask = m_Operator->GetImageMask();
    std::copy(mask.begin(), mask.end(), m_SquaredWeights.data());
  }
  this->Modified();
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::SetWeights(const RealType * weights)
{
  if (m_Operator.IsNull())
  {
    itkExceptionMacro("SetOperator() must come before SetWeights()");
  }
  if (weights == nullptr)
  {
    m_SquaredWeights = RealBufferType();
    if (!m_Operator->DomainEqualsImage())
    {
      m_SquaredWeights = m_Operator->AllocateSpatial(1);
      const auto & mask = m_Operator->GetImageMask();
      std::copy(mask.begin(), mask.end(), m_SquaredWeights.data());
    }
    this->Modified();
    return;
  }
  const SizeValueType   n = m_Operator->GetNumberOfImagePixels();
  std::vector<RealType> squared(n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (!std::isfinite(weights[i]) || weights[i] < 0)
    {
      itkExceptionMacro("The weights must be finite and non-negative; pixel " << i << " has " << weights[i]);
    }
    squared[i] = weights[i] * weights[i];
  }
  m_SquaredWeights = m_Operator->AllocateSpatial(1);
  m_Operator->PadToDomain(squared.data(), m_SquaredWeights.data(), 1);
  this->Modified();
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::SetInitialCoefficients(const RealType * coefficients)
{
  m_ImageInitialCoefficients = coefficients;
  this->Modified();
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::CopyInitialCoefficients(RealType * domainCoefficients) const
{
  const unsigned int K = m_Operator->GetNumberOfKernels();
  if (m_ImageInitialCoefficients == nullptr)
  {
    std::fill_n(domainCoefficients, K * m_Operator->GetSpatialStride(), RealType(0));
    return;
  }
  m_Operator->CoefficientsToDomain(m_ImageInitialCoefficients, domainCoefficients, K);
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::Solve()
{
  if (m_Operator.IsNull())
  {
    itkExceptionMacro("The operator is not set");
  }
  if (m_ProximalOperator.IsNull())
  {
    itkExceptionMacro("The proximal operator is not set");
  }
  if (!(m_Lambda >= 0) || !std::isfinite(m_Lambda))
  {
    itkExceptionMacro("Lambda must be finite and non-negative, got " << m_Lambda);
  }
  if (m_Signal.size() == 0)
  {
    itkExceptionMacro("The signal is not set");
  }
  // The objective sums squares in double, but the solvers' buffers are RealType: a signal whose
  // energy RealType cannot hold would overflow in the first FFT.
  double energy = 0;
  for (size_t i = 0; i < m_Signal.size(); ++i)
  {
    energy += static_cast<double>(m_Signal[i]) * m_Signal[i];
  }
  if (!std::isfinite(energy) || !std::isfinite(static_cast<RealType>(energy)))
  {
    itkExceptionMacro("The image's energy (sum of squares " << energy
                                                            << ") overflows this pixel type: rescale the image");
  }
  if (m_MaximumNumberOfIterations == 0)
  {
    itkExceptionMacro("MaximumNumberOfIterations must be at least 1");
  }
  const unsigned int K = m_Operator->GetNumberOfKernels();
  m_ProximalOperator->Validate(K);
  if (m_ImageInitialCoefficients != nullptr)
  {
    const SizeValueType n = K * m_Operator->GetNumberOfCoefficientPixels();
    for (SizeValueType i = 0; i < n; ++i)
    {
      if (!std::isfinite(m_ImageInitialCoefficients[i]))
      {
        itkExceptionMacro("The initial coefficients contain a non-finite value at " << i);
      }
    }
  }

  if (m_HaloExchange)
  {
    if (!this->SupportsHaloExchange())
    {
      itkExceptionMacro(<< this->GetNameOfClass()
                        << " cannot solve a slab of a problem split over processes: its steps are not local (use "
                           "FISTA, without backtracking)");
    }
    m_HaloExchange->Initialize(*m_Operator, m_CoefficientsBeyondImage);
  }

  m_StopRequested = false;
  m_Converged = false;
  m_History.clear();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [start]() { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  m_Statistics = StatisticsType();
  this->Initialize();
  m_Statistics.Iteration = 0;
  m_Statistics.ElapsedSeconds = elapsed();
  m_History.push_back(m_Statistics);

  const unsigned int limit = this->IterationLimit();
  for (unsigned int iteration = 1; iteration <= limit && !m_StopRequested; ++iteration)
  {
    this->Iterate();
    m_Statistics.Iteration = iteration;
    m_Statistics.ElapsedSeconds = elapsed();
    m_History.push_back(m_Statistics);
    if (!std::isfinite(m_Statistics.Objective))
    {
      itkExceptionMacro(
        "The solver diverged at iteration "
        << iteration << " (objective " << m_Statistics.Objective
        << "): the image or the kernels are too large for this pixel type (rescale them), or the "
           "solver's step is unstable for this problem (use FISTA, a larger ADMM Rho or a smaller LCA Step)");
    }
    this->InvokeEvent(IterationEvent());
    if (this->Converged())
    {
      m_Converged = true;
      break;
    }
  }
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::GetCoefficients(RealType * coefficients) const
{
  m_Operator->CoefficientsFromDomain(this->GetDomainCoefficients(), coefficients, m_Operator->GetNumberOfKernels());
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::GetReconstruction(RealType * image) const
{
  RealBufferType reconstruction = m_Operator->AllocateSpatial(1);
  m_Operator->Forward(this->GetDomainCoefficients(), reconstruction.data());
  m_Operator->CropToImage(reconstruction.data(), image, 1);
}

template <typename TReal>
double
SparseCodingSolverBase<TReal>::ComputeDataFidelity(const RealType * x, ComplexType * spectral, RealType * spatial) const
{
  const OperatorType & op = *m_Operator;
  op.ForwardThroughSpectra(x, spectral, spatial);
  const RealType * s = m_Signal.data();
  const RealType * w2 = this->IsWeighted() ? m_SquaredWeights.data() : nullptr;
  double           sum = 0;
  for (SizeValueType i = 0; i < op.GetNumberOfDomainPixels(); ++i)
  {
    const double r = spatial[i] - s[i];
    sum += (w2 ? w2[i] : 1.0) * r * r;
  }
  return 0.5 * sum;
}

template <typename TReal>
double
SparseCodingSolverBase<TReal>::ResidualCorrelation(const RealType * x, RealType * g, RealType * image) const
{
  const OperatorType & op = *m_Operator;
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  if (x != nullptr)
  {
    op.Forward(x, image);
  }
  const RealType * s = m_Signal.data();
  const RealType * w2 = this->IsWeighted() ? m_SquaredWeights.data() : nullptr;
  double           sum = 0;
  for (SizeValueType i = 0; i < n; ++i)
  {
    const RealType r = s[i] - (x != nullptr ? image[i] : RealType(0));
    const RealType weighted = w2 != nullptr ? w2[i] * r : r;
    sum += double(r) * weighted;
    image[i] = weighted;
  }
  if (g != nullptr)
  {
    op.Adjoint(image, g);
  }
  return 0.5 * sum;
}

template <typename TReal>
double
SparseCodingSolverBase<TReal>::EvaluateObjective(const RealType * coefficients) const
{
  if (m_Operator.IsNull() || m_ProximalOperator.IsNull() || m_Signal.size() == 0)
  {
    itkExceptionMacro("EvaluateObjective needs the operator, the proximal operator and the signal");
  }
  const OperatorType & op = *m_Operator;
  const unsigned int   K = op.GetNumberOfKernels();
  m_ProximalOperator->Validate(K);
  RealBufferType    x = op.AllocateSpatial(K);
  ComplexBufferType spectral = op.AllocateSpectral(K);
  RealBufferType    spatial = op.AllocateSpatial(1);
  op.CoefficientsToDomain(coefficients, x.data(), K);
  const double data = this->ComputeDataFidelity(x.data(), spectral.data(), spatial.data());
  const double penalty =
    m_ProximalOperator->Evaluate(x.data(), op.GetSpatialStride(), K, 0, op.GetNumberOfDomainPixels());
  return data + m_Lambda * penalty;
}

template <typename TReal>
double
SparseCodingSolverBase<TReal>::ComputeLipschitzConstant() const
{
  const OperatorType & op = *m_Operator;
  double               maxSquaredWeight = 1.0;
  if (this->IsWeighted())
  {
    maxSquaredWeight =
      *std::max_element(m_SquaredWeights.data(), m_SquaredWeights.data() + op.GetNumberOfDomainPixels());
  }
  const double bound = op.GetCoefficientSpectralNormSquared() * maxSquaredWeight;
  if ((op.DomainEqualsImage() && (!op.IsStrided() || op.HasCoarseSpectra())) || bound == 0)
  {
    return bound;
  }
  // Power iteration on A^T W^2 A restricted to the support (the image, the stride lattice); a
  // deterministic start.
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType stride = op.GetSpatialStride();
  const SizeValueType n = op.GetNumberOfDomainPixels();
  const uint8_t *     support = this->GetSupportMask();
  RealBufferType      v = op.AllocateSpatial(K);
  RealBufferType      y = op.AllocateSpatial(1);
  uint32_t            state = 12345u;
  for (unsigned int k = 0; k < K; ++k)
  {
    for (SizeValueType i = 0; i < n; ++i)
    {
      state = state * 1664525u + 1013904223u;
      v[k * stride + i] =
        (support == nullptr || support[i]) ? RealType(0.5 + (state >> 8) * (1.0 / 16777216.0)) : RealType(0);
    }
  }
  double estimate = 0;
  for (unsigned int iteration = 0; iteration < 50; ++iteration)
  {
    double normBefore = 0;
    for (unsigned int k = 0; k < K; ++k)
    {
      for (SizeValueType i = 0; i < n; ++i)
      {
        normBefore += double(v[k * stride + i]) * v[k * stride + i];
      }
    }
    op.Forward(v.data(), y.data());
    for (SizeValueType i = 0; i < n && this->IsWeighted(); ++i)
    {
      y[i] *= m_SquaredWeights[i];
    }
    op.Adjoint(y.data(), v.data());
    double normAfter = 0;
    for (unsigned int k = 0; k < K; ++k)
    {
      for (SizeValueType i = 0; i < n; ++i)
      {
        RealType & value = v[k * stride + i];
        value = (support == nullptr || support[i]) ? value : RealType(0);
        normAfter += double(value) * value;
      }
    }
    const double previous = estimate;
    estimate = std::sqrt(normAfter / normBefore);
    const RealType rescale = RealType(1.0 / std::sqrt(normAfter));
    for (SizeValueType j = 0; j < K * stride; ++j)
    {
      v[j] *= rescale;
    }
    // Power iteration approaches the norm from below: once 1.02 times it reaches the bound,
    // the bound is the answer.
    if (std::abs(estimate - previous) < 1e-4 * estimate || 1.02 * estimate >= bound)
    {
      break;
    }
  }
  return std::min(bound, 1.02 * estimate);
}

template <typename TReal>
SparseCodingSolverBase<TReal>::ScratchLease::ScratchLease(const Self * owner, SizeValueType size)
  : m_Owner(owner)
{
  {
    const std::lock_guard<std::mutex> lock(owner->m_ScratchMutex);
    auto &                            pool = owner->m_ScratchPool;
    for (auto it = pool.begin(); it != pool.end(); ++it)
    {
      if ((*it)->size() >= size)
      {
        m_Buffer = std::move(*it);
        pool.erase(it);
        return;
      }
    }
  }
  m_Buffer = std::make_unique<RealBufferType>(size);
}

template <typename TReal>
SparseCodingSolverBase<TReal>::ScratchLease::~ScratchLease()
{
  const std::lock_guard<std::mutex> lock(m_Owner->m_ScratchMutex);
  m_Owner->m_ScratchPool.push_back(std::move(m_Buffer));
}

template <typename TReal>
LightObject::Pointer
SparseCodingSolverBase<TReal>::InternalClone() const
{
  LightObject::Pointer clone = Superclass::InternalClone();
  Self &               solver = CloneAs<Self>(clone);
  solver.m_ProximalOperator = m_ProximalOperator;
  solver.m_Lambda = m_Lambda;
  solver.m_CoefficientsBeyondImage = m_CoefficientsBeyondImage;
  solver.m_MaximumNumberOfIterations = m_MaximumNumberOfIterations;
  solver.m_RelativeTolerance = m_RelativeTolerance;
  return clone;
}

template <typename TReal>
void
SparseCodingSolverBase<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Lambda: " << m_Lambda << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
  os << indent << "Weighted: " << (m_SquaredWeights.size() > 0) << std::endl;
  os << indent << "HaloExchange: " << (m_HaloExchange ? "a slab of a split problem" : "none") << std::endl;
  os << indent << "Iteration: " << m_Statistics.Iteration << std::endl;
  os << indent << "Objective: " << m_Statistics.Objective << std::endl;
  os << indent << "Converged: " << m_Converged << std::endl;
}
} // namespace itk

#endif
