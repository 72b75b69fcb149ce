#ifndef itkSourceModelFitterBackground_hxx
#define itkSourceModelFitterBackground_hxx

// SourceModelFitter, the background and the noise: the joint projected-gradient polish of the
// background coefficients and the source amplitudes, and the fitted noise model with its weights.
#include "itkSourceModelFitter.h"
#include "itkFISTASparseCodingSolver.h"
#include "itkNonNegativeL1ProximalOperator.h"
#include <algorithm>
#include <cmath>
#include <numeric>

namespace itk
{
template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::EstimateBackground(const std::vector<uint8_t> & mask)
{
  // Weighted non-negative least squares on the background coefficients, W zero on the mask:
  // the module's FISTA solver with the non-negative l1 prox at lambda 0, at the polish's step.
  const SizeValueType   n = m_NumberOfPixels;
  std::vector<RealType> weights(n), rootWeights(n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    weights[i] = mask[i] ? RealType(0) : m_W[i];
    rootWeights[i] = std::sqrt(weights[i]);
  }
  const double lipschitz = this->PolishLipschitzConstant(weights, {});
  if (!(lipschitz > 0))
  {
    return;
  }
  auto solver = FISTASparseCodingSolver<RealType>::New();
  solver->SetOperator(m_BackgroundOperator);
  solver->SetProximalOperator(NonNegativeL1ProximalOperator<RealType>::New());
  solver->SetLambda(0);
  solver->SetLipschitzConstant(lipschitz);
  solver->SetMaximumNumberOfIterations(m_BackgroundIterations);
  solver->SetRelativeTolerance(0);
  solver->SetCoefficientsBeyondImage(m_CoefficientsBeyondImage);
  solver->SetSignal(m_Image);
  solver->SetWeights(rootWeights.data());
  solver->Solve();
  const OperatorType & op = *m_BackgroundOperator;
  RealBufferType       coefficients = op.AllocateSpatial(op.GetNumberOfKernels());
  std::copy_n(solver->GetDomainCoefficients(), coefficients.size(), coefficients.data());
  m_BackgroundCoefficients = op.AllocateSpatial(op.GetNumberOfKernels());
  this->KeepPolished(coefficients, {}, {});
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::Polish(unsigned int iterations)
{
  const SizeValueType         n = m_NumberOfPixels;
  const std::vector<size_t>   sources = this->AliveIndices();
  const size_t                S = sources.size();
  const std::vector<RealType> weights(m_W);

  // The stars' part of the model at amplitudes a.
  auto addSources = [&](const std::vector<double> & amplitudes, RealType * image) {
    for (size_t s = 0; s < S; ++s)
    {
      const Source &   source = m_State[sources[s]];
      const RealType   a = static_cast<RealType>(amplitudes[s]);
      const RealType * h = source.Taps.data();
      this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) { image[offset] += a * h[t]; });
    }
  };

  const double lipschitz = this->PolishLipschitzConstant(weights, sources);
  if (!(lipschitz > 0))
  {
    return;
  }
  const double step = 1.0 / lipschitz;

  const OperatorType * op = m_BackgroundOperator.GetPointer();
  const unsigned int   B = op ? op->GetNumberOfKernels() : 0;
  const SizeValueType  stride = op ? op->GetSpatialStride() : 0;
  RealBufferType       z, previous, gradient, domainImage;
  if (op)
  {
    if (m_BackgroundCoefficients.size() != B * stride)
    {
      m_BackgroundCoefficients = op->AllocateSpatial(B);
    }
    z = op->AllocateSpatial(B);
    previous = op->AllocateSpatial(B);
    gradient = op->AllocateSpatial(B);
    domainImage = op->AllocateSpatial(1);
    std::copy_n(m_BackgroundCoefficients.data(), B * stride, z.data());
    std::copy_n(m_BackgroundCoefficients.data(), B * stride, previous.data());
  }
  std::vector<double> amplitudes(S), za(S), previousAmplitudes(S), gradientAmplitudes(S);
  for (size_t s = 0; s < S; ++s)
  {
    amplitudes[s] = za[s] = previousAmplitudes[s] = m_State[sources[s]].Amplitude;
  }
  std::vector<RealType>            model(n), residual(n);
  typename OperatorType::Workspace work; // no allocation per iteration
  auto                             evaluateModel = [&](const RealType * coefficients, const std::vector<double> & a) {
    if (op)
    {
      op->Forward(coefficients, domainImage.data(), work);
      op->CropToImage(domainImage.data(), model.data(), 1);
    }
    else
    {
      std::fill(model.begin(), model.end(), RealType(0));
    }
    addSources(a, model.data());
  };

  NesterovMomentum policy;
  for (unsigned int iteration = 0; iteration < iterations; ++iteration)
  {
    evaluateModel(z.data(), za);
    for (SizeValueType i = 0; i < n; ++i)
    {
      residual[i] = weights[i] * (model[i] - m_Image[i]);
    }
    if (op)
    {
      op->PadToDomain(residual.data(), domainImage.data(), 1);
      op->Adjoint(domainImage.data(), gradient.data(), work);
    }
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      double         g = 0;
      this->ForEachTap(
        source, [&](SizeValueType offset, SizeValueType tap) { g += double(source.Taps[tap]) * residual[offset]; });
      gradientAmplitudes[s] = g;
    }
    this->PolishMomentumStep(policy, step, z, previous, gradient, za, previousAmplitudes, gradientAmplitudes);
  }
  // previous holds the last iterate.
  this->KeepPolished(previous, sources, previousAmplitudes);
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::PolishMomentumStep(NesterovMomentum & policy, double step, RealBufferType & z,
                                                         RealBufferType & previous, RealBufferType & gradient,
                                                         std::vector<double> & za,
                                                         std::vector<double> & previousAmplitudes,
                                                         std::vector<double> & gradientAmplitudes) const
{
  const OperatorType * op = m_BackgroundOperator.GetPointer();
  const unsigned int   B = op ? op->GetNumberOfKernels() : 0;
  const SizeValueType  stride = op ? op->GetSpatialStride() : 0;
  const size_t         S = za.size();
  const uint8_t *      support =
    (op && !m_CoefficientsBeyondImage && !op->DomainEqualsImage()) ? op->GetImageMask().data() : nullptr;
  // Projected step from z, then the momentum; restart when the step goes against it.
  double agreement = 0;
  for (unsigned int b = 0; b < B; ++b)
  {
    for (SizeValueType i = 0; i < op->GetNumberOfDomainPixels(); ++i)
    {
      const SizeValueType j = b * stride + i;
      RealType            next = std::max(RealType(0), static_cast<RealType>(z[j] - step * gradient[j]));
      if (support != nullptr && !support[i])
      {
        next = 0;
      }
      agreement += double(z[j] - next) * (next - previous[j]);
      gradient[j] = next; // the new iterate
    }
  }
  for (size_t s = 0; s < S; ++s)
  {
    const double next = std::max(0.0, za[s] - step * gradientAmplitudes[s]);
    agreement += (za[s] - next) * (next - previousAmplitudes[s]);
    gradientAmplitudes[s] = next;
  }
  if (agreement > 0)
  {
    policy.Restart();
  }
  const double momentum = policy.Advance();
  for (SizeValueType j = 0; j < B * stride; ++j)
  {
    const RealType next = gradient[j];
    z[j] = static_cast<RealType>(next + momentum * (next - previous[j]));
    previous[j] = next;
  }
  for (size_t s = 0; s < S; ++s)
  {
    const double next = gradientAmplitudes[s];
    za[s] = next + momentum * (next - previousAmplitudes[s]);
    previousAmplitudes[s] = next;
  }
}

template <typename TReal, unsigned int VDimension>
double
SourceModelFitter<TReal, VDimension>::PolishLipschitzConstant(const std::vector<RealType> & weights,
                                                              const std::vector<size_t> &   sources) const
{
  const SizeValueType n = m_NumberOfPixels;
  const size_t        S = sources.size();
  // Lipschitz constant of the gradient: ||A_b||^2 max W for the background plus a Schur bound
  // max_i sum_x W |h_i| sum_j |h_j| for the sources (the blocks' bounds add).
  double lipschitz = 0;
  if (m_BackgroundOperator)
  {
    lipschitz += m_BackgroundOperator->GetSpectralNormSquared() * *std::max_element(weights.begin(), weights.end());
  }
  if (S > 0)
  {
    std::vector<RealType> cover(n, RealType(0));
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      this->ForEachTap(source,
                       [&](SizeValueType offset, SizeValueType t) { cover[offset] += std::abs(source.Taps[t]); });
    }
    double largest = 0;
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      double         sum = 0;
      this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) {
        sum += double(weights[offset]) * std::abs(source.Taps[t]) * cover[offset];
      });
      largest = std::max(largest, sum);
    }
    lipschitz += largest;
  }
  return lipschitz;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::KeepPolished(const typename OperatorType::RealBufferType & previous,
                                                   const std::vector<size_t> &                   sources,
                                                   const std::vector<double> &                   previousAmplitudes)
{
  const SizeValueType  n = m_NumberOfPixels;
  const size_t         S = sources.size();
  const OperatorType * op = m_BackgroundOperator.GetPointer();
  const unsigned int   B = op ? op->GetNumberOfKernels() : 0;
  const SizeValueType  stride = op ? op->GetSpatialStride() : 0;
  if (op)
  {
    std::copy_n(previous.data(), B * stride, m_BackgroundCoefficients.data());
    typename OperatorType::RealBufferType domainImage = op->AllocateSpatial(1);
    op->Forward(m_BackgroundCoefficients.data(), domainImage.data());
    m_Background.resize(n);
    op->CropToImage(domainImage.data(), m_Background.data(), 1);
  }
  else
  {
    m_Background.assign(n, RealType(0));
  }
  for (size_t s = 0; s < S; ++s)
  {
    m_State[sources[s]].Amplitude = previousAmplitudes[s];
  }
  // The residual of the whole model, then every source's SNR at its new amplitude.
  for (SizeValueType i = 0; i < n; ++i)
  {
    m_Residual[i] = m_Image[i] - m_Background[i];
  }
  for (Source & source : m_State)
  {
    if (source.Alive)
    {
      this->AddToResidual(source, -1);
    }
  }
  for (Source & source : m_State)
  {
    if (source.Alive)
    {
      const auto c = this->Correlate(source);
      source.SignalToNoise = source.Amplitude * std::sqrt(std::max(0.0, c[0]));
    }
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::UpdateNoiseModel(const RealType * model, const RealType * residual)
{
  // Robust variance in bins of equal counts along the model value, then a line through them.
  std::vector<std::pair<RealType, RealType>> pairs;
  pairs.reserve(m_NumberOfPixels);
  for (SizeValueType i = 0; i < m_NumberOfPixels; ++i)
  {
    if (m_Weights == nullptr || m_Weights[i] > 0)
    {
      pairs.emplace_back(model[i], std::abs(residual[i]));
    }
  }
  if (pairs.empty())
  {
    itkExceptionMacro("SourceModelFitter: every pixel has zero weight");
  }
  auto robustVariance = [](std::vector<RealType> & values) {
    auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    const double sigma = 1.4826 * double(*middle);
    return sigma * sigma;
  };
  std::vector<RealType> all(pairs.size());
  std::transform(pairs.begin(), pairs.end(), all.begin(), [](const auto & p) { return p.second; });
  const double overall = robustVariance(all);
  m_NoiseOffset = std::max(overall, 1e-30);
  m_NoiseSlope = 0;
  constexpr size_t bins = 20, minimumPerBin = 50;
  if (!m_PoissonNoise || pairs.size() < bins * minimumPerBin)
  {
    return;
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto & a, const auto & b) { return a.first < b.first; });
  std::vector<double>   xs, ys;
  std::vector<RealType> values;
  for (size_t b = 0; b < bins; ++b)
  {
    const size_t begin = pairs.size() * b / bins, end = pairs.size() * (b + 1) / bins;
    values.clear();
    for (size_t i = begin; i < end; ++i)
    {
      values.push_back(pairs[i].second);
    }
    xs.push_back(pairs[(begin + end) / 2].first);
    ys.push_back(robustVariance(values));
  }
  const double meanX = std::accumulate(xs.begin(), xs.end(), 0.0) / bins;
  const double meanY = std::accumulate(ys.begin(), ys.end(), 0.0) / bins;
  double       sxx = 0, sxy = 0;
  for (size_t b = 0; b < bins; ++b)
  {
    sxx += (xs[b] - meanX) * (xs[b] - meanX);
    sxy += (xs[b] - meanX) * (ys[b] - meanY);
  }
  if (!(sxx > 0))
  {
    return;
  }
  const double slope = std::max(0.0, sxy / sxx);
  const double offset = meanY - slope * meanX;
  // A variance that would fall below a tenth of the smallest binned one is not believed.
  const double floor = 0.1 * *std::min_element(ys.begin(), ys.end());
  m_NoiseSlope = slope;
  m_NoiseOffset = std::max(offset, std::max(floor, 1e-30));
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::UpdateWeights(const RealType * model)
{
  m_W.resize(m_NumberOfPixels);
  for (SizeValueType i = 0; i < m_NumberOfPixels; ++i)
  {
    const double w = m_Weights ? double(m_Weights[i]) : 1.0;
    const double variance = m_NoiseOffset + m_NoiseSlope * std::max(0.0, double(model[i]));
    m_W[i] = static_cast<RealType>(w * w / variance);
  }
}

} // namespace itk

#endif
