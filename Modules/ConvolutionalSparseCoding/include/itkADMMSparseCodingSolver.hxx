#ifndef itkADMMSparseCodingSolver_hxx
#define itkADMMSparseCodingSolver_hxx

#include "itkADMMSparseCodingSolver.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <algorithm>
#include <cmath>

namespace itk
{
namespace
{
constexpr SizeValueType ADMMFrequencyBlock = 256;
constexpr SizeValueType ADMMPixelBlock = 1024;
} // namespace

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::Initialize()
{
  if (!(m_RelaxationParameter >= 1.0 && m_RelaxationParameter < 2.0))
  {
    itkExceptionMacro("RelaxationParameter must be in [1, 2), got " << m_RelaxationParameter);
  }
  if (m_Rho < 0 || !std::isfinite(m_Rho))
  {
    itkExceptionMacro("Rho must be positive (or 0 for automatic), got " << m_Rho);
  }
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  if (m_ResidualTarget < 0 || !std::isfinite(m_ResidualTarget))
  {
    itkExceptionMacro("ResidualTarget must be positive (or 0 for automatic), got " << m_ResidualTarget);
  }
  const SizeValueType stride = op.GetSpatialStride();
  // A resumed run continues where the last iteration stopped: y, u, a pending rho change
  // (applied by the next y-step, as within a run) and FFT(y - u), which the last y-step left
  // in m_Spectra; only D(y - u) is recomputed, with the new dictionary.
  const bool resume = this->WillResume();
  m_RelativePrimal = m_RelativeDual = 1.0;
  // Rho stays within [1e-5, 1e7] times the dictionary's spectral norm squared: below it the
  // x-step's Sherman-Morrison solve loses the precision of RealType, above it y never moves
  // (a given rho, or 50 lambda + 1 for a huge lambda).
  const double spectralNormSquared = op.GetSpectralNormSquared();
  if (!(spectralNormSquared > 0) || !std::isfinite(static_cast<RealType>(spectralNormSquared)))
  {
    itkExceptionMacro("The dictionary's squared spectral norm is "
                      << spectralNormSquared << ": the kernels are all zero or too large for this pixel type");
  }
  m_MinimumRho = 1e-5 * spectralNormSquared;
  m_MaximumRho = 1e7 * spectralNormSquared;
  if (!resume)
  {
    m_DualScale = 1.0;
    m_IterationCount = 0;
    m_Y = op.AllocateSpatial(K);
    m_U = op.AllocateSpatial(K);
    const double lambdaScale = this->ChooseBalancingPolicy();
    m_CurrentRho =
      std::clamp(m_Rho > 0 ? m_Rho : 50.0 * this->GetLambda() / lambdaScale + 1.0, m_MinimumRho, m_MaximumRho);
  }
  else if (m_CurrentRho < m_MinimumRho || m_CurrentRho > m_MaximumRho)
  {
    // The new dictionary moved the bounds: rescale u with the clamped rho, as a rho change does.
    const double rho = std::clamp(m_CurrentRho, m_MinimumRho, m_MaximumRho);
    m_DualScale *= m_CurrentRho / rho;
    m_CurrentRho = rho;
  }

  op.EnsureSpectral(m_Spectra, K);
  if (!this->GetProximalOperator()->IsSeparable())
  {
    op.EnsureSpatial(m_X, K);
  }
  op.EnsureSpectral(m_Q, 1);
  m_NumberOfChannelGroups = op.NumberOfChannelGroups();
  m_SideTaskGroup = this->SideTaskGroup();
  op.EnsureSpectral(m_DBPartial, m_NumberOfChannelGroups);
  if (resume)
  {
    this->ComputeResumedProducts();
  }
  else
  {
    this->CopyInitialCoefficients(m_Y.data());
    // The first x-step's right-hand side: FFT(y) and D y (u = 0).
    this->ForEachChannelGroup([&](unsigned int k, ComplexType * db, YStepSums &) {
      this->TransformAndAccumulate(k, m_Y.data() + k * stride, db);
    });
  }

  double data = 0;
  m_XCorrection = 0.0;
  if (!this->IsWeighted())
  {
    for (ComplexBufferType * buffer : { &m_SignalSpectrum, &m_DX, &m_DY, &m_DU })
    {
      op.EnsureSpectral(*buffer, 1);
    }
    op.ForwardFFTUnaligned(this->GetDomainSignal(), m_SignalSpectrum.data());
    // A resumed run's pending rho change acts on this x-step, as it would have without the
    // interruption (see Iterate()).
    m_XCorrection = 1.0 - m_DualScale;
    data = this->SolvePlainXStep(true, m_CurrentRho, m_DualScale);
  }
  else
  {
    data = this->StartMaskedSplitting();
  }
  m_ResumedDYReady = false;
  m_GivenSpectraOfY = nullptr;
  // y's penalty is known from the y-step that made it.
  const double penalty =
    resume ? m_YPenalty : this->GetProximalOperator()->Evaluate(m_Y.data(), stride, K, 0, op.GetNumberOfDomainPixels());
  this->m_Statistics.DataFidelity = data;
  this->m_Statistics.Penalty = penalty;
  this->m_Statistics.Objective = data + this->GetLambda() * penalty;
  this->m_Statistics.StepOrPenaltyParameter = m_CurrentRho;
}

template <typename TReal>
double
ADMMSparseCodingSolver<TReal>::ChooseBalancingPolicy()
{
  const ProximalOperator<RealType> * prox = this->GetProximalOperator();
  const bool                         plainL1 =
    !this->IsWeighted() && (dynamic_cast<const L1ProximalOperator<RealType> *>(prox) != nullptr ||
                            dynamic_cast<const NonNegativeL1ProximalOperator<RealType> *>(prox) != nullptr);
  m_EffectiveAutoRhoPeriod = m_AutoRhoPeriod > 0 ? m_AutoRhoPeriod : (plainL1 ? 1 : 10);
  m_EffectiveResidualTarget = m_ResidualTarget > 0 ? m_ResidualTarget : 1.0;
  if (!plainL1 || (m_ResidualTarget > 0 && m_Rho > 0) || !(this->GetLambda() > 0))
  {
    return 1.0;
  }
  // SPORCO's rules with lambda relative to lambda_max = ||D^T s||_inf, the smallest lambda whose
  // solution is 0, so that they hold at any scale of the data; m_U (all zero until the first
  // y-step) holds D^T s meanwhile.
  const OperatorType & op = *this->GetOperator();
  op.Adjoint(this->GetDomainSignal(), m_U.data());
  RealType * const first = m_U.data();
  RealType * const last = first + m_U.size();
  const auto [low, high] = std::minmax_element(first, last);
  const double lambdaMax = std::max(std::abs(double(*low)), std::abs(double(*high)));
  std::fill(first, last, RealType(0));
  if (!(lambdaMax > 0) || !std::isfinite(lambdaMax))
  {
    return 1.0;
  }
  if (m_ResidualTarget == 0)
  {
    const double relative = std::min(this->GetLambda() / lambdaMax, 1.0);
    m_EffectiveResidualTarget = 1.0 + std::pow(18.3, std::log10(relative) + 1.0);
  }
  return lambdaMax;
}

template <typename TReal>
double
ADMMSparseCodingSolver<TReal>::StartMaskedSplitting()
{
  const OperatorType & op = *this->GetOperator();
  double               data = 0;
  m_Y1 = op.AllocateSpatial(1);
  m_U1 = op.AllocateSpatial(1);
  m_T = op.AllocateSpatial(1);
  m_TSpectrum = op.AllocateSpectral(1);
  m_DXSpectrum = op.AllocateSpectral(1);
  m_DBSpectrum = op.AllocateSpectral(1);
  m_DXSpatial = op.AllocateSpatial(1);
  m_DXNext = op.AllocateSpatial(1);
  m_DB = op.AllocateSpatial(1);
  m_DY0 = op.AllocateSpatial(1);
  m_DU0 = op.AllocateSpatial(1);
  op.Forward(m_Y.data(), m_DY0.data());
  const RealType * s = this->GetDomainSignal();
  const RealType * w2 = this->GetSquaredWeights();
  for (SizeValueType i = 0; i < op.GetNumberOfDomainPixels(); ++i)
  {
    const double r = m_DY0[i] - s[i];
    m_Y1[i] = m_DY0[i] - s[i];
    m_T[i] = m_DY0[i]; // s + y1 - u1
    data += 0.5 * w2[i] * r * r;
  }
  op.ForwardFFTChannel(m_T.data(), m_TSpectrum.data());
  this->SolveMaskedXStep();
  std::swap(m_DXSpatial, m_DXNext);
  return data;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::UpdateBlock(const RealType * x, RealType * y, RealType * u, RealType * tmp,
                                           SizeValueType stride, RealType * scratch, SizeValueType scratchStride,
                                           unsigned int channels, unsigned int firstChannel, SizeValueType begin,
                                           SizeValueType end, YStepSums & sums) const
{
  const RealType alpha = static_cast<RealType>(m_RelaxationParameter);
  const RealType beta = RealType(1) - alpha;
  const RealType gamma = static_cast<RealType>(m_DualScale);
  // x = the inverse transform + correction * u when the x-step already used the new rho.
  const RealType correction = static_cast<RealType>(m_XCorrection);
  const RealType uWeight = gamma + alpha * correction;
  const RealType threshold = static_cast<RealType>(this->GetLambda() / m_CurrentRho);
  sums[PenaltySum] += this->ProximalBlock(
    scratch, scratchStride, channels, firstChannel, begin, end, threshold, [&](unsigned int c, RealType * v) {
      const RealType * xc = x + c * stride;
      const RealType * yc = y + c * stride;
      const RealType * uc = u + c * stride;
      for (SizeValueType i = begin; i < end; ++i)
      {
        v[i] = alpha * xc[i] + beta * yc[i] + uWeight * uc[i];
      }
    });
  for (unsigned int c = 0; c < channels; ++c)
  {
    const RealType * xc = x + c * stride;
    RealType *       yc = y + c * stride;
    RealType *       uc = u + c * stride;
    RealType *       tc = tmp + c * stride;
    const RealType * yNew = scratch + c * scratchStride - begin;
    // One pass, vectorised: tmp may alias x, but only element i is read and written at i.
    RealType primal = 0, dual = 0, xx = 0, yy = 0, uu = 0;
#pragma omp simd reduction(+ : primal, dual, xx, yy, uu)
    for (SizeValueType i = begin; i < end; ++i)
    {
      const RealType xv = xc[i] + correction * uc[i];
      const RealType yOld = yc[i];
      const RealType v = alpha * xv + beta * yOld + gamma * uc[i];
      const RealType yn = yNew[i];
      const RealType un = v - yn;
      primal += (xv - yn) * (xv - yn);
      dual += (yn - yOld) * (yn - yOld);
      xx += xv * xv;
      yy += yn * yn;
      uu += un * un;
      yc[i] = yn;
      uc[i] = un;
      tc[i] = yn - un;
    }
    sums[PrimalSquared] += primal;
    sums[DualSquared] += dual;
    sums[XSquared] += xx;
    sums[YSquared] += yy;
    sums[USquared] += uu;
  }
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::FinishXStepChannel(unsigned int k, RealType * x)
{
  const OperatorType & op = *this->GetOperator();
  ComplexType *        b = m_Spectra.data() + k * op.GetSpectralStride();
  const RealType       invN = RealType(1) / static_cast<RealType>(op.GetNumberOfDomainPixels());
  op.AddAdjointChannelProduct(k, m_Q.data(), b, invN, 0, op.GetNumberOfFrequencies());
  op.InverseFFTChannel(b, x);
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::TransformAndAccumulate(unsigned int k, const RealType * v, ComplexType * db)
{
  const OperatorType & op = *this->GetOperator();
  ComplexType *        b = m_Spectra.data() + k * op.GetSpectralStride();
  op.ForwardFFTChannel(v, b);
  op.AccumulateChannelProduct(k, b, db, 0, op.GetNumberOfFrequencies());
}

template <typename TReal>
template <typename TBody>
auto
ADMMSparseCodingSolver<TReal>::ForEachChannelGroup(TBody && body, const std::function<void()> * sideTask) -> YStepSums
{
  const OperatorType &   op = *this->GetOperator();
  const SizeValueType    S = op.GetSpectralStride();
  const unsigned int     groups = m_NumberOfChannelGroups;
  std::vector<YStepSums> partial(groups, YStepSums{});
  op.ParallelFor(groups, [&](SizeValueType g) {
    ComplexType * db = m_DBPartial.data() + g * S;
    std::fill_n(db, op.GetNumberOfFrequencies(), ComplexType(0));
    for (unsigned int k = op.FirstChannelOfGroup(g, groups); k < op.FirstChannelOfGroup(g + 1, groups); ++k)
    {
      body(k, db, partial[g]);
    }
    if (sideTask && static_cast<int>(g) == m_SideTaskGroup)
    {
      (*sideTask)();
    }
  });
  return Superclass::SumPartials(partial);
}

template <typename TReal>
int
ADMMSparseCodingSolver<TReal>::SideTaskGroup() const
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   groups = m_NumberOfChannelGroups;
  auto size = [&](unsigned int g) { return op.FirstChannelOfGroup(g + 1, groups) - op.FirstChannelOfGroup(g, groups); };
  unsigned int fewest = 0, most = 0;
  for (unsigned int g = 0; g < groups; ++g)
  {
    fewest = size(g) < size(fewest) ? g : fewest;
    most = std::max(most, size(g));
  }
  return size(fewest) < most ? static_cast<int>(fewest) : -1;
}

template <typename TReal>
auto
ADMMSparseCodingSolver<TReal>::UpdateCoefficients(const std::function<void()> * sideTask) -> YStepSums
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  const SizeValueType  stride = op.GetSpatialStride();
  if (this->GetProximalOperator()->IsSeparable())
  {
    // One pass per channel while it is in cache: finish its x-step, inverse FFT, y- and
    // u-update, forward FFT of y - u, and its share of D(y - u) for the next x-step.
    return this->ForEachChannelGroup(
      [&](unsigned int k, ComplexType * db, YStepSums & sums) {
        typename Superclass::ScratchLease x(this, stride);
        typename Superclass::ScratchLease v(this, ADMMPixelBlock);
        this->FinishXStepChannel(k, x.data());
        // Short blocks keep the prox's scratch in L1.
        for (SizeValueType begin = 0; begin < n; begin += ADMMPixelBlock)
        {
          this->UpdateBlock(x.data(),
                            m_Y.data() + k * stride,
                            m_U.data() + k * stride,
                            x.data(),
                            stride,
                            v.data(),
                            ADMMPixelBlock,
                            1,
                            k,
                            begin,
                            std::min(n, begin + ADMMPixelBlock),
                            sums);
        }
        this->TransformAndAccumulate(k, x.data(), db);
      },
      sideTask);
  }
  // A prox coupling channels needs every channel of a pixel at once.
  op.ParallelFor(
    K, [&](SizeValueType k) { this->FinishXStepChannel(static_cast<unsigned int>(k), m_X.data() + k * stride); });
  const YStepSums total = this->template ReduceOverBlocks<NumberOfYStepSums>(
    n, ADMMPixelBlock, [&](SizeValueType begin, SizeValueType end, YStepSums & sums) {
      typename Superclass::ScratchLease v(this, K * ADMMPixelBlock);
      this->UpdateBlock(
        m_X.data(), m_Y.data(), m_U.data(), m_X.data(), stride, v.data(), ADMMPixelBlock, K, 0, begin, end, sums);
    });
  this->ForEachChannelGroup([&](unsigned int  k,
                                ComplexType * db,
                                YStepSums &) { this->TransformAndAccumulate(k, m_X.data() + k * stride, db); },
                            sideTask);
  return total;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::GatherDB(SizeValueType begin, SizeValueType length, ComplexType * db) const
{
  const SizeValueType S = this->GetOperator()->GetSpectralStride();
  std::copy_n(m_DBPartial.data() + begin, length, db);
  for (unsigned int g = 1; g < m_NumberOfChannelGroups; ++g)
  {
    const ComplexType * partial = m_DBPartial.data() + g * S + begin;
    for (SizeValueType j = 0; j < length; ++j)
    {
      db[j] += partial[j];
    }
  }
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::ComputeResumedProducts()
{
  // With the new dictionary: D(y - u) for the x-step, from FFT(y - u) that the last y-step left
  // in m_Spectra, and y's own D y, which cannot be tracked across a change of dictionary (D(y - u)
  // alone, what a cold start uses, misstated the objective by D u, an error that halves per
  // iteration only).
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  F = op.GetNumberOfFrequencies();
  const SizeValueType  S = op.GetSpectralStride();
  ComplexBufferType    transformed;
  const ComplexType *  spectra = m_GivenSpectraOfY;
  if (spectra == nullptr)
  {
    transformed = op.AllocateSpectral(K);
    op.ForwardFFT(m_Y.data(), transformed.data(), K);
    spectra = transformed.data();
  }
  op.EnsureSpectral(m_ResumedDY, 1);
  // Channel by channel over a block of frequencies, each kernel spectrum read once for both
  // products; D(y - u) in the channel groups' partial sums, as the y-step leaves it.
  const unsigned int groups = m_NumberOfChannelGroups;
  op.ParallelFor(op.NumberOfBlocks(F, ADMMFrequencyBlock), [&](SizeValueType block) {
    const SizeValueType begin = block * ADMMFrequencyBlock;
    const SizeValueType end = std::min(F, begin + ADMMFrequencyBlock);
    for (unsigned int g = 0; g < groups; ++g)
    {
      const unsigned int first = op.FirstChannelOfGroup(g, groups);
      for (unsigned int k = first; k < op.FirstChannelOfGroup(g + 1, groups); ++k)
      {
        op.AccumulateTwoChannelProducts(k,
                                        spectra + k * S,
                                        m_ResumedDY.data(),
                                        k == 0,
                                        m_Spectra.data() + k * S,
                                        m_DBPartial.data() + g * S,
                                        k == first,
                                        begin,
                                        end);
      }
    }
  });
  m_ResumedDYReady = true;
}

template <typename TReal>
double
ADMMSparseCodingSolver<TReal>::SolvePlainXStep(bool first, double xStepRho, double yStepDualScale)
{
  const RealType rho = static_cast<RealType>(xStepRho);
  const RealType gamma = static_cast<RealType>(yStepDualScale);
  const auto     sums = this->template ReduceOverBlocks<1>(
    this->GetOperator()->GetNumberOfFrequencies(),
    ADMMFrequencyBlock,
    [&](SizeValueType begin, SizeValueType end, std::array<double, 1> & data) {
      data[0] += this->PlainXStepBlock(begin, end, first, rho, gamma, m_ResumedDYReady ? m_ResumedDY.data() : nullptr);
    });
  return 0.5 * sums[0];
}

template <typename TReal>
auto
ADMMSparseCodingSolver<TReal>::PlainXStepBlock(SizeValueType begin, SizeValueType end, bool first, RealType rho,
                                               RealType gamma, const ComplexType * exactDY) -> RealType
{
  const OperatorType & op = *this->GetOperator();
  const RealType *     parseval = op.GetParsevalWeights();
  const ComplexType *  sHat = m_SignalSpectrum.data();
  const RealType       alpha = static_cast<RealType>(m_RelaxationParameter);
  const RealType       correction = static_cast<RealType>(m_XCorrection);
  ComplexType          db[ADMMFrequencyBlock];
  const SizeValueType  length = end - begin;
  this->GatherDB(begin, length, db);
  RealType partial = 0;
  for (SizeValueType j = 0; j < length; ++j)
  {
    const SizeValueType f = begin + j;
    // D y from D(y - u) = db and the previous D x, D y, D u (see the class comment).
    ComplexType dy = db[j];
    ComplexType du(0);
    if (first && exactDY != nullptr)
    {
      dy = exactDY[f];
      du = dy - db[j];
    }
    else if (!first)
    {
      const ComplexType dv = alpha * m_DX[f] + (RealType(1) - alpha) * m_DY[f] + gamma * m_DU[f];
      dy = RealType(0.5) * (db[j] + dv);
      du = dv - dy;
    }
    m_DY[f] = dy;
    m_DU[f] = du;
    partial += parseval[f] * std::norm(dy - sHat[f]);
    // Sherman-Morrison: x_k = b_k + conj(h_k) q, with b = FFT(y - u) + correction FFT(u) when
    // u is rescaled for a new rho (the correction term of x is added in the y-step).
    const ComplexType dbRescaled = db[j] + correction * du;
    const auto        terms = op.SolveShermanMorrison(f, sHat[f], dbRescaled, rho);
    m_Q[f] = terms.Q;
    m_DX[f] = dbRescaled + terms.Energy * terms.Q;
  }
  return partial;
}

template <typename TReal>
std::array<double, 5>
ADMMSparseCodingSolver<TReal>::UpdateResidualSplit(bool inThisThread)
{
  return this->template ReduceOverBlocks<5>(
    this->GetOperator()->GetNumberOfDomainPixels(),
    4096,
    [&](SizeValueType begin, SizeValueType end, std::array<double, 5> & sums) {
      this->ResidualSplitBlock(begin, end, sums);
    },
    inThisThread);
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::ResidualSplitBlock(SizeValueType begin, SizeValueType end, std::array<double, 5> & sums)
{
  const RealType * s = this->GetDomainSignal();
  const RealType * w2 = this->GetSquaredWeights();
  const RealType   alpha = static_cast<RealType>(m_RelaxationParameter);
  const RealType   gamma = static_cast<RealType>(m_DualScale);
  const RealType   rho = static_cast<RealType>(m_CurrentRho);
  RealType *       y1s = m_Y1.data();
  RealType *       u1s = m_U1.data();
  RealType *       t = m_T.data();
  const RealType * dx = m_DXSpatial.data();
  double           primal = 0, dual = 0, aa = 0, yy = 0, uu = 0;
#pragma omp simd reduction(+ : primal, dual, aa, yy, uu)
  for (SizeValueType i = begin; i < end; ++i)
  {
    const RealType a = dx[i] - s[i];
    const RealType v = alpha * a + (RealType(1) - alpha) * y1s[i] + gamma * u1s[i];
    const RealType y1 = rho * v / (w2[i] + rho);
    const RealType u1 = v - y1;
    primal += double(a - y1) * double(a - y1);
    dual += double(y1 - y1s[i]) * double(y1 - y1s[i]);
    aa += double(a) * a;
    yy += double(y1) * y1;
    uu += double(u1) * u1;
    y1s[i] = y1;
    u1s[i] = u1;
    t[i] = s[i] + y1 - u1;
  }
  sums[0] += primal;
  sums[1] += dual;
  sums[2] += aa;
  sums[3] += yy;
  sums[4] += uu;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::SolveMaskedXStep()
{
  const OperatorType & op = *this->GetOperator();
  const SizeValueType  F = op.GetNumberOfFrequencies();
  const RealType       invN = RealType(1) / static_cast<RealType>(op.GetNumberOfDomainPixels());

  op.ParallelFor(op.NumberOfBlocks(F, ADMMFrequencyBlock), [&](SizeValueType block) {
    const SizeValueType begin = block * ADMMFrequencyBlock;
    this->MaskedXStepBlock(begin, std::min(F, begin + ADMMFrequencyBlock), invN);
  });
  op.ParallelFor(2, [&](SizeValueType which) {
    if (which == 0)
    {
      op.InverseFFTChannel(m_DXSpectrum.data(), m_DXNext.data());
    }
    else
    {
      op.InverseFFTChannel(m_DBSpectrum.data(), m_DB.data());
    }
  });
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::MaskedXStepBlock(SizeValueType begin, SizeValueType end, RealType invN)
{
  const OperatorType & op = *this->GetOperator();
  const SizeValueType  length = end - begin;
  ComplexType          db[ADMMFrequencyBlock];
  this->GatherDB(begin, length, db);
  for (SizeValueType j = 0; j < length; ++j)
  {
    const SizeValueType f = begin + j;
    // rho = 1: the masked x-step's system (D^H D + I).
    const auto terms = op.SolveShermanMorrison(f, m_TSpectrum[f], db[j], RealType(1));
    m_Q[f] = terms.Q;
    m_DXSpectrum[f] = terms.AX * invN;
    m_DBSpectrum[f] = db[j] * invN;
  }
}

template <typename TReal>
double
ADMMSparseCodingSolver<TReal>::TrackMaskedObjective()
{
  const auto sums =
    this->template ReduceOverBlocks<1>(this->GetOperator()->GetNumberOfDomainPixels(),
                                       4096,
                                       [&](SizeValueType begin, SizeValueType end, std::array<double, 1> & data) {
                                         data[0] += this->TrackMaskedBlock(begin, end);
                                       });
  return 0.5 * sums[0];
}

template <typename TReal>
double
ADMMSparseCodingSolver<TReal>::TrackMaskedBlock(SizeValueType begin, SizeValueType end)
{
  const RealType * s = this->GetDomainSignal();
  const RealType * w2 = this->GetSquaredWeights();
  const RealType   alpha = static_cast<RealType>(m_RelaxationParameter);
  const RealType   gamma = static_cast<RealType>(m_DualScale);
  const RealType * dx = m_DXSpatial.data();
  const RealType * db = m_DB.data();
  RealType *       dy0 = m_DY0.data();
  RealType *       du0 = m_DU0.data();
  double           partial = 0;
#pragma omp simd reduction(+ : partial)
  for (SizeValueType i = begin; i < end; ++i)
  {
    const RealType dv = alpha * dx[i] + (RealType(1) - alpha) * dy0[i] + gamma * du0[i];
    const RealType dy = RealType(0.5) * (db[i] + dv);
    dy0[i] = dy;
    du0[i] = dv - dy;
    partial += double(w2[i]) * double(dy - s[i]) * double(dy - s[i]);
  }
  return partial;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::Iterate()
{
  const OperatorType &  op = *this->GetOperator();
  const bool            weighted = this->IsWeighted();
  std::array<double, 5> split{};
  // Weighted, the y1-step and T's transform need only the last x-step: they run beside the
  // y0-step's channels where a channel group has time to spare (K = 3 on two cores: one FFT
  // off a critical path of six).
  auto residualSplit = [&](bool inThisThread) {
    split = this->UpdateResidualSplit(inThisThread);
    op.ForwardFFTChannel(m_T.data(), m_TSpectrum.data());
  };
  const bool                  besideChannels = weighted && m_SideTaskGroup >= 0;
  const std::function<void()> sideTask = [&]() { residualSplit(true); };
  const YStepSums             sums = this->UpdateCoefficients(besideChannels ? &sideTask : nullptr);
  double                      data = 0;
  if (!weighted)
  {
    // Balanced before the x-step, so that a new rho acts at once, as in SPORCO: the x-step
    // needs y - gamma u, which is FFT(y - u) + (1 - gamma) FFT(u); D u is tracked, and the
    // spatial correction (1 - gamma) u is added to x by the next y-step (no extra FFTs).
    const double yStepDualScale = m_DualScale;
    this->BalanceRho(sums, split);
    m_XCorrection = 1.0 - m_DualScale;
    data = this->SolvePlainXStep(false, m_CurrentRho, yStepDualScale);
  }
  else
  {
    if (!besideChannels)
    {
      residualSplit(false);
    }
    this->SolveMaskedXStep();
    data = this->TrackMaskedObjective();
    std::swap(m_DXSpatial, m_DXNext);
    this->BalanceRho(sums, split);
  }
  this->RecordStatistics(sums, data);
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::RecordStatistics(const YStepSums & sums, double dataFidelity)
{
  auto & stats = this->m_Statistics;
  stats.DataFidelity = dataFidelity;
  stats.Penalty = sums[PenaltySum];
  m_YPenalty = sums[PenaltySum];
  stats.Objective = dataFidelity + this->GetLambda() * sums[PenaltySum];
  stats.PrimalResidual = m_RelativePrimal;
  stats.DualResidual = m_RelativeDual;
  stats.StepOrPenaltyParameter = m_CurrentRho;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::BalanceRho(const YStepSums & sums, const std::array<double, 5> & split)
{
  const double primal = std::sqrt(sums[PrimalSquared] + split[0]);
  const double dualChange = std::sqrt(sums[DualSquared] + split[1]);
  const double xNorm = std::sqrt(sums[XSquared] + split[2]);
  const double yNorm = std::sqrt(sums[YSquared] + split[3]);
  const double uNorm = std::sqrt(sums[USquared] + split[4]);
  const double tiny = 1e-30;
  m_RelativePrimal = primal / std::max({ xNorm, yNorm, tiny });
  m_RelativeDual = dualChange / std::max(uNorm, tiny);

  // Residual balancing; the stored u is rescaled by the next y-step.
  m_DualScale = 1.0;
  ++m_IterationCount;
  // The relative dual residual is undefined while the scaled dual u is negligible beside x and
  // y (lambda near 0, where u ~ lambda / rho stays 0): balancing on it shrank rho without end.
  const bool dualDefined = uNorm > 1e-4 * std::max(xNorm, yNorm);
  if (m_AutoRho && dualDefined && m_IterationCount % m_EffectiveAutoRhoPeriod == 0 &&
      m_IterationCount <= m_AutoRhoHorizon && m_RelativeDual > 0 && m_RelativePrimal > 0)
  {
    const double ratio = m_RelativePrimal / (m_RelativeDual * m_EffectiveResidualTarget);
    if (ratio > m_ResidualRatio || ratio < 1.0 / m_ResidualRatio)
    {
      const double rho = std::clamp(m_CurrentRho * std::clamp(std::sqrt(ratio), 1e-3, 1e3), m_MinimumRho, m_MaximumRho);
      m_DualScale = m_CurrentRho / rho;
      m_CurrentRho = rho;
    }
  }
}

template <typename TReal>
bool
ADMMSparseCodingSolver<TReal>::Converged() const
{
  return std::max(m_RelativePrimal, m_RelativeDual) < this->GetRelativeTolerance();
}

template <typename TReal>
LightObject::Pointer
ADMMSparseCodingSolver<TReal>::InternalClone() const
{
  LightObject::Pointer pointer = Superclass::InternalClone();
  Self &               clone = Superclass::template CloneAs<Self>(pointer);
  clone.m_Rho = m_Rho;
  clone.m_RelaxationParameter = m_RelaxationParameter;
  clone.m_AutoRho = m_AutoRho;
  clone.m_ResidualRatio = m_ResidualRatio;
  clone.m_ResidualTarget = m_ResidualTarget;
  clone.m_AutoRhoPeriod = m_AutoRhoPeriod;
  clone.m_AutoRhoHorizon = m_AutoRhoHorizon;
  clone.m_ResumePreviousState = m_ResumePreviousState;
  return pointer;
}

template <typename TReal>
void
ADMMSparseCodingSolver<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Rho: " << m_Rho << " (current " << m_CurrentRho << ")" << std::endl;
  os << indent << "RelaxationParameter: " << m_RelaxationParameter << std::endl;
  os << indent << "AutoRho: " << m_AutoRho << std::endl;
  os << indent << "ResidualRatio: " << m_ResidualRatio << std::endl;
  os << indent << "ResidualTarget: " << m_ResidualTarget << " (effective " << m_EffectiveResidualTarget << ")"
     << std::endl;
  os << indent << "AutoRhoPeriod: " << m_AutoRhoPeriod << " (effective " << m_EffectiveAutoRhoPeriod << ")"
     << std::endl;
  os << indent << "AutoRhoHorizon: " << m_AutoRhoHorizon << std::endl;
}
} // namespace itk

#endif
