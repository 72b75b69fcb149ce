#ifndef itkFISTASparseCodingSolver_hxx
#define itkFISTASparseCodingSolver_hxx

#include "itkFISTASparseCodingSolver.h"
#include <algorithm>
#include <cmath>

namespace itk
{
namespace
{
constexpr SizeValueType FISTAFrequencyBlock = 256;
constexpr SizeValueType FISTAPixelBlock = 1024;
} // namespace

template <typename TReal>
void
FISTASparseCodingSolver<TReal>::Initialize()
{
  if (m_LipschitzConstant < 0 || !std::isfinite(m_LipschitzConstant))
  {
    itkExceptionMacro("LipschitzConstant must be positive (or 0 for automatic), got " << m_LipschitzConstant);
  }
  if (m_Backtracking && !(m_BacktrackingFactor > 1.0))
  {
    itkExceptionMacro("BacktrackingFactor must exceed 1, got " << m_BacktrackingFactor);
  }
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  m_CurrentLipschitz = m_LipschitzConstant > 0 ? m_LipschitzConstant : this->ComputeLipschitzConstant();
  if (auto * exchange = this->GetHaloExchange())
  {
    // One step for every slab: the largest slab's estimate of the whole problem's L.
    m_CurrentLipschitz = exchange->Maximum(m_CurrentLipschitz);
  }
  if (!(m_CurrentLipschitz > 0))
  {
    itkExceptionMacro("The Lipschitz constant is zero: the kernels or the weights are all zero");
  }
  m_Momentum.Restart();
  m_RelativeChange = 1.0;

  m_X = op.AllocateSpatial(K);
  m_XPrevious = op.AllocateSpatial(K);
  // Weighted, the gradient spectra are made channel by channel where they are used.
  m_Spectra = !this->IsWeighted() || m_Backtracking ? op.AllocateSpectral(K) : ComplexBufferType();
  const bool storeGradient = m_Backtracking || !this->GetProximalOperator()->IsSeparable();
  m_Gradient = storeGradient ? op.AllocateSpatial(K) : RealBufferType();
  m_XNew = m_Backtracking ? op.AllocateSpatial(K) : RealBufferType();
  m_BacktrackingScratch = m_Backtracking ? op.AllocateSpatial(1) : RealBufferType();
  this->CopyInitialCoefficients(m_X.data());
  std::copy_n(m_X.data(), m_X.size(), m_XPrevious.data());
  if (!this->IsWeighted())
  {
    m_SignalSpectrum = op.AllocateSpectral(1);
    m_AX = op.AllocateSpectral(1);
    op.ForwardFFTUnaligned(this->GetDomainSignal(), m_SignalSpectrum.data());
  }
  else
  {
    m_AXSpatial = op.AllocateSpatial(1);
    m_Residual = op.AllocateSpatial(1);
    m_ResidualSpectrum = op.AllocateSpectral(1);
    m_PartialSums = op.AllocateSpectral(op.NumberOfChannelGroups());
    m_PartialResiduals = op.AllocateSpatial(op.NumberOfChannelGroups());
  }
  const auto            data = this->ComputeGradient(true);
  std::array<double, 1> penalty{ this->EvaluateOwnedPenalty(m_X.data()) };
  this->SumOverProcesses(penalty);
  this->m_Statistics.DataFidelity = data[0];
  this->m_Statistics.Penalty = penalty[0];
  this->m_Statistics.Objective = data[0] + this->GetLambda() * penalty[0];
  this->m_Statistics.StepOrPenaltyParameter = 1.0 / m_CurrentLipschitz;
}

template <typename TReal>
void
FISTASparseCodingSolver<TReal>::StepBlock(RealType * x, RealType * xp, const RealType * g, RealType * out,
                                          SizeValueType stride, RealType * scratch, SizeValueType scratchStride,
                                          unsigned int channels, unsigned int firstChannel, SizeValueType begin,
                                          SizeValueType end, StepSums & sums) const
{
  const RealType beta = static_cast<RealType>(m_Momentum.GetBeta());
  const RealType step = static_cast<RealType>(1.0 / m_CurrentLipschitz);
  const RealType threshold = static_cast<RealType>(this->GetLambda() / m_CurrentLipschitz);
  sums[PenaltySum] += this->ProximalBlock(
    scratch, scratchStride, channels, firstChannel, begin, end, threshold, [&](unsigned int c, RealType * v) {
      const RealType * xc = x + c * stride;
      const RealType * pc = xp + c * stride;
      const RealType * gc = g + c * stride;
      for (SizeValueType i = begin; i < end; ++i)
      {
        v[i] = xc[i] + beta * (xc[i] - pc[i]) - step * gc[i];
      }
    });
  for (unsigned int c = 0; c < channels; ++c)
  {
    RealType *       xc = x + c * stride;
    RealType *       pc = xp + c * stride;
    const RealType * gc = g + c * stride;
    const RealType * xn = scratch + c * scratchStride - begin;
    RealType *       oc = out ? out + c * stride : nullptr;
    // Independent lanes let the compiler vectorise the five sums.
    constexpr unsigned int Lanes = 8;
    RealType restart[Lanes] = {}, change[Lanes] = {}, norm[Lanes] = {}, gradient[Lanes] = {}, distance[Lanes] = {};
    auto     accumulate = [&](SizeValueType i, unsigned int l) {
      const RealType z = xc[i] + beta * (xc[i] - pc[i]);
      const RealType d = xn[i] - xc[i];
      const RealType e = xn[i] - z;
      restart[l] -= e * d;
      change[l] += d * d;
      norm[l] += xn[i] * xn[i];
      gradient[l] += gc[i] * e;
      distance[l] += e * e;
    };
    // A slab of a split problem sums over what it owns; the halo's owners sum the halo.
    this->ForEachOwnedPart(begin, end, [&](SizeValueType from, SizeValueType to, bool owned) {
      if (owned)
      {
        Superclass::template ForEachInLanes<Lanes>(from, to, accumulate);
      }
    });
    for (unsigned int l = 0; l < Lanes; ++l)
    {
      sums[RestartProduct] += restart[l];
      sums[ChangeSquared] += change[l];
      sums[XSquared] += norm[l];
      sums[GradientProduct] += gradient[l];
      sums[DistanceSquared] += distance[l];
    }
    if (oc)
    {
      std::copy(xn + begin, xn + end, oc + begin);
    }
    else
    {
      std::copy(xc + begin, xc + end, pc + begin);
      std::copy(xn + begin, xn + end, xc + begin);
    }
  }
}

template <typename TReal>
auto
FISTASparseCodingSolver<TReal>::ProximalStep() -> StepSums
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  const SizeValueType  stride = op.GetSpatialStride();

  if (m_Gradient.size() == 0)
  {
    // Separable prox: inverse FFT of the gradient and the step while the channel is in cache.
    return this->template ReduceOverChannels<NumberOfStepSums>(K, [&](SizeValueType k, StepSums & sums) {
      typename Superclass::ScratchLease g(this, stride);
      typename Superclass::ScratchLease v(this, FISTAPixelBlock);
      this->GradientChannel(k, g.data());
      // Short blocks keep the step's scratch in L1.
      for (SizeValueType begin = 0; begin < n; begin += FISTAPixelBlock)
      {
        this->StepBlock(m_X.data() + k * stride,
                        m_XPrevious.data() + k * stride,
                        g.data(),
                        nullptr,
                        stride,
                        v.data(),
                        FISTAPixelBlock,
                        1,
                        static_cast<unsigned int>(k),
                        begin,
                        std::min(n, begin + FISTAPixelBlock),
                        sums);
      }
    });
  }

  op.ParallelFor(K, [&](SizeValueType k) { this->GradientChannel(k, m_Gradient.data() + k * stride); });
  auto blockStep = [&](RealType * out) {
    return this->template ReduceOverBlocks<NumberOfStepSums>(
      n, FISTAPixelBlock, [&](SizeValueType begin, SizeValueType end, StepSums & sums) {
        typename Superclass::ScratchLease v(this, K * FISTAPixelBlock);
        this->StepBlock(m_X.data(),
                        m_XPrevious.data(),
                        m_Gradient.data(),
                        out,
                        stride,
                        v.data(),
                        FISTAPixelBlock,
                        K,
                        0,
                        begin,
                        end,
                        sums);
      });
  };
  if (!m_Backtracking)
  {
    return blockStep(nullptr);
  }
  // Raise L until f(x_new) <= f(z) + <g, x_new - z> + L/2 ||x_new - z||^2.
  for (;;)
  {
    const StepSums sums = blockStep(m_XNew.data());
    const double   data = this->ComputeDataFidelity(m_XNew.data(), m_Spectra.data(), m_BacktrackingScratch.data());
    const double   bound = m_DataAtZ + sums[GradientProduct] + 0.5 * m_CurrentLipschitz * sums[DistanceSquared];
    if (data <= bound * (1 + 1e-6) + 1e-12 || m_CurrentLipschitz > 1e30)
    {
      std::swap(m_XPrevious, m_X);
      std::swap(m_X, m_XNew);
      return sums;
    }
    m_CurrentLipschitz *= m_BacktrackingFactor;
  }
}

template <typename TReal>
void
FISTASparseCodingSolver<TReal>::GradientChannel(unsigned int k, RealType * g)
{
  const OperatorType & op = *this->GetOperator();
  const SizeValueType  S = op.GetSpectralStride();
  if (!this->IsWeighted())
  {
    op.InverseFFTChannel(m_Spectra.data() + k * S, g);
    return;
  }
  // A^T applied to the weighted residual, for channel k only.
  const RealType                    invN = RealType(1) / static_cast<RealType>(op.GetNumberOfDomainPixels());
  typename Superclass::ScratchLease lease(this, 2 * S);
  ComplexType *                     spectrum = reinterpret_cast<ComplexType *>(lease.data());
  op.AdjointChannelProduct(k, m_ResidualSpectrum.data(), spectrum, invN, 0, op.GetNumberOfFrequencies());
  op.InverseFFTChannel(spectrum, g);
}

template <typename TReal>
std::array<double, 2>
FISTASparseCodingSolver<TReal>::ComputeGradient(bool first)
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  S = op.GetSpectralStride();
  const SizeValueType  F = op.GetNumberOfFrequencies();
  const SizeValueType  stride = op.GetSpatialStride();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  const RealType       beta = static_cast<RealType>(m_Momentum.GetBeta());
  const RealType       invN = RealType(1) / static_cast<RealType>(n);
  const RealType       keep = first ? RealType(0) : beta / (RealType(1) + beta);
  const RealType       fresh = first ? RealType(1) : RealType(1) / (RealType(1) + beta);

  // z = x + beta (x - xp) of channel k, transformed into spectrum.
  auto transformZ = [&](unsigned int k, RealType * z, ComplexType * spectrum) {
    const RealType * x = m_X.data() + k * stride;
    const RealType * xp = m_XPrevious.data() + k * stride;
    for (SizeValueType i = 0; i < n; ++i)
    {
      z[i] = x[i] + beta * (x[i] - xp[i]);
    }
    op.ForwardFFTChannel(z, spectrum);
  };

  const bool weighted = this->IsWeighted();
  if (!weighted)
  {
    op.ParallelFor(K, [&](SizeValueType k) {
      typename Superclass::ScratchLease z(this, stride);
      transformZ(k, z.data(), m_Spectra.data() + k * S);
    });
    const RealType * parseval = op.GetParsevalWeights();
    const auto       sums = this->template ReduceOverBlocks<2>(
      F, FISTAFrequencyBlock, [&](SizeValueType begin, SizeValueType end, std::array<double, 2> & data) {
        const SizeValueType length = end - begin;
        ComplexType         az[FISTAFrequencyBlock];
        op.SynthesizeBlock(m_Spectra.data(), begin, end, az);
        RealType atX = 0, atZ = 0;
        for (SizeValueType j = 0; j < length; ++j)
        {
          const SizeValueType f = begin + j;
          const ComplexType   s = m_SignalSpectrum[f];
          m_AX[f] = fresh * az[j] + keep * m_AX[f];
          atX += parseval[f] * std::norm(m_AX[f] - s);
          atZ += parseval[f] * std::norm(az[j] - s);
          az[j] -= s;
        }
        data[0] += atX;
        data[1] += atZ;
        op.AdjointBlock(az, m_Spectra.data(), begin, end, invN);
      });
    m_DataAtZ = 0.5 * sums[1];
    return { 0.5 * sums[0], m_DataAtZ };
  }

  // Weighted: A z to the spatial domain, weight the residual there, back to the spectrum.
  // Each work unit sums H_k Z_k over its channels while each spectrum is fresh, so the K
  // spectra are never stored, and transforms its sum back itself (the inverse FFT is linear);
  // GradientChannel() applies A^T per channel later.
  const unsigned int groups = op.NumberOfChannelGroups();
  op.ParallelFor(groups, [&](SizeValueType group) {
    typename Superclass::ScratchLease z(this, stride);
    typename Superclass::ScratchLease lease(this, 2 * S);
    ComplexType *                     spectrum = reinterpret_cast<ComplexType *>(lease.data());
    ComplexType *                     sum = m_PartialSums.data() + group * S;
    const unsigned int                first = op.FirstChannelOfGroup(group, groups);
    for (unsigned int k = first; k < op.FirstChannelOfGroup(group + 1, groups); ++k)
    {
      transformZ(k, z.data(), spectrum);
      op.AccumulateChannelProduct(k, spectrum, sum, 0, F, k == first);
    }
    op.InverseFFTChannel(sum, m_PartialResiduals.data() + group * stride);
  });
  const RealType * s = this->GetDomainSignal();
  const RealType * w2 = this->GetSquaredWeights();
  auto             sums = this->template ReduceOverBlocks<2>(
    n, 4096, [&](SizeValueType blockBegin, SizeValueType blockEnd, std::array<double, 2> & data) {
      // A slab of a split problem counts the pixels it owns only.
      this->ForEachOwnedPart(blockBegin, blockEnd, [&](SizeValueType begin, SizeValueType end, bool counted) {
        RealType atX = 0, atZ = 0;
        for (SizeValueType i = begin; i < end; ++i)
        {
          RealType az = m_PartialResiduals[i];
          for (unsigned int group = 1; group < groups; ++group)
          {
            az += m_PartialResiduals[group * stride + i];
          }
          az *= invN;
          m_AXSpatial[i] = fresh * az + keep * m_AXSpatial[i];
          const RealType rx = m_AXSpatial[i] - s[i];
          const RealType rz = az - s[i];
          atX += w2[i] * rx * rx;
          atZ += w2[i] * rz * rz;
          m_Residual[i] = w2[i] * rz;
        }
        data[0] += counted ? atX : 0;
        data[1] += counted ? atZ : 0;
      });
    });
  this->SumOverProcesses(sums);
  op.ForwardFFTChannel(m_Residual.data(), m_ResidualSpectrum.data());
  m_DataAtZ = 0.5 * sums[1];
  return { 0.5 * sums[0], m_DataAtZ };
}

template <typename TReal>
void
FISTASparseCodingSolver<TReal>::Iterate()
{
  StepSums sums = this->ProximalStep();
  if (auto * exchange = this->GetHaloExchange())
  {
    const OperatorType & op = *this->GetOperator();
    sums[PenaltySum] = this->EvaluateOwnedPenalty(m_X.data());
    exchange->Exchange(m_X.data(), op.GetNumberOfKernels(), op.GetSpatialStride());
    exchange->SumInPlace(sums);
  }
  if (m_AdaptiveRestart && sums[RestartProduct] > 0)
  {
    m_Momentum.Restart();
  }
  else
  {
    m_Momentum.Advance();
  }
  const auto data = this->ComputeGradient(false);
  m_RelativeChange = std::sqrt(sums[ChangeSquared]) / std::max(std::sqrt(sums[XSquared]), 1e-30);

  auto & stats = this->m_Statistics;
  stats.DataFidelity = data[0];
  stats.Penalty = sums[PenaltySum];
  stats.Objective = data[0] + this->GetLambda() * sums[PenaltySum];
  stats.PrimalResidual = m_RelativeChange;
  stats.DualResidual = 0;
  stats.StepOrPenaltyParameter = 1.0 / m_CurrentLipschitz;
}

template <typename TReal>
bool
FISTASparseCodingSolver<TReal>::Converged() const
{
  return m_RelativeChange < this->GetRelativeTolerance();
}

template <typename TReal>
LightObject::Pointer
FISTASparseCodingSolver<TReal>::InternalClone() const
{
  LightObject::Pointer pointer = Superclass::InternalClone();
  Self &               clone = Superclass::template CloneAs<Self>(pointer);
  clone.m_AdaptiveRestart = m_AdaptiveRestart;
  clone.m_Backtracking = m_Backtracking;
  clone.m_BacktrackingFactor = m_BacktrackingFactor;
  clone.m_LipschitzConstant = m_LipschitzConstant;
  return pointer;
}

template <typename TReal>
void
FISTASparseCodingSolver<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "AdaptiveRestart: " << m_AdaptiveRestart << std::endl;
  os << indent << "Backtracking: " << m_Backtracking << std::endl;
  os << indent << "BacktrackingFactor: " << m_BacktrackingFactor << std::endl;
  os << indent << "LipschitzConstant: " << m_LipschitzConstant << " (current " << m_CurrentLipschitz << ")"
     << std::endl;
}
} // namespace itk

#endif
