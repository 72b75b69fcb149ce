#ifndef itkConvolutionalDictionaryUpdate_hxx
#define itkConvolutionalDictionaryUpdate_hxx

#include "itkConvolutionalDictionaryUpdate.h"
#include "itkSmallHermitianSystem.h"
#include "itkSparseCodingSolverBase.h"
#include <algorithm>
#include <cmath>

namespace itk
{
namespace
{
constexpr SizeValueType DictionaryFrequencyBlock = 512;
constexpr unsigned int  LargestExactGram = 16;

} // namespace

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::AddSample(const RealType * image, const RealType * domainCoefficients)
{
  if (m_Operator.IsNull())
  {
    itkExceptionMacro("SetOperator() before AddSample()");
  }
  const OperatorType & op = *m_Operator;
  // Buffers of cleared samples are reused: learning re-adds every image each outer iteration.
  Sample sample;
  if (!m_SpareSamples.empty())
  {
    sample = std::move(m_SpareSamples.back());
    m_SpareSamples.pop_back();
  }
  const unsigned int K = op.GetNumberOfKernels();
  op.EnsureSpectral(sample.CoefficientSpectra, K);
  op.EnsureSpatial(sample.DomainSignal, 1);
  op.ForwardFFT(domainCoefficients, sample.CoefficientSpectra.data(), K);
  op.PadToDomain(image, sample.DomainSignal.data(), 1);
  if (op.DomainEqualsImage())
  {
    op.EnsureSpectral(sample.SignalSpectrum, 1);
    op.ForwardFFTChannel(sample.DomainSignal.data(), sample.SignalSpectrum.data());
  }
  else
  {
    op.EnsureSpectral(sample.Residual, 1);
  }
  m_Samples.push_back(std::move(sample));
  m_Lipschitz = 0;
  m_Factorized = false;
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::ProjectKernels(KernelsType & kernels) const
{
  const unsigned int  K = m_Operator->GetNumberOfKernels();
  const SizeValueType taps = kernels.size() / K;
  for (unsigned int k = 0; k < K; ++k)
  {
    m_Projection.Project(kernels.data() + k * taps, taps);
  }
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::Evaluate(const KernelsType & kernels)
{
  return this->Compute(kernels, nullptr);
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::EvaluateWithGradient(const KernelsType & kernels, KernelsType & gradient)
{
  return this->Compute(kernels, &gradient);
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::Compute(const KernelsType & kernels, KernelsType * gradient)
{
  if (m_Samples.empty())
  {
    itkExceptionMacro("No samples: AddSample() first");
  }
  OperatorType &      op = *m_Operator;
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType S = op.GetSpectralStride();
  const SizeValueType F = op.GetNumberOfFrequencies();
  const SizeValueType n = op.GetNumberOfDomainPixels();
  const RealType      invN = RealType(1) / static_cast<RealType>(n);
  const bool          periodic = op.DomainEqualsImage();
  op.UpdateKernelValues(kernels.data());
  const RealType * parseval = op.GetParsevalWeights();
  auto             sumKernels = [&](const Sample & sample, SizeValueType f) {
    return op.SynthesizeFrequency(sample.CoefficientSpectra.data(), f);
  };

  double data = 0;
  if (!periodic)
  {
    // The residual masked to the image, back in the Fourier domain.
    const uint8_t *  mask = op.GetImageMask().data();
    RealBufferType & spatial = op.EnsureSpatial(m_Spatial, K);
    for (Sample & sample : m_Samples)
    {
      op.ParallelFor(op.NumberOfBlocks(F, DictionaryFrequencyBlock), [&](SizeValueType block) {
        const SizeValueType end = std::min(F, (block + 1) * DictionaryFrequencyBlock);
        for (SizeValueType f = block * DictionaryFrequencyBlock; f < end; ++f)
        {
          sample.Residual[f] = sumKernels(sample, f) * invN;
        }
      });
      op.InverseFFTChannel(sample.Residual.data(), spatial.data());
      double partial = 0;
      for (SizeValueType i = 0; i < n; ++i)
      {
        const RealType r = mask[i] ? spatial[i] - sample.DomainSignal[i] : RealType(0);
        spatial[i] = r;
        partial += double(r) * r;
      }
      data += 0.5 * partial;
      op.ForwardFFTChannel(spatial.data(), sample.Residual.data());
    }
  }

  // Per frequency block: the residual spectra and (unless only the value is wanted) the
  // gradient spectra G_k = sum_i conj(X_ik) R_i.
  ComplexType *       G = gradient ? op.EnsureSpectral(m_Spectra, K).data() : nullptr;
  const SizeValueType blocks = op.NumberOfBlocks(F, DictionaryFrequencyBlock);
  std::vector<double> partial(blocks, 0.0);
  op.ParallelFor(blocks, [&](SizeValueType block) {
    const SizeValueType begin = block * DictionaryFrequencyBlock;
    const SizeValueType end = std::min(F, begin + DictionaryFrequencyBlock);
    double              sum = 0;
    for (size_t i = 0; i < m_Samples.size(); ++i)
    {
      const Sample &      sample = m_Samples[i];
      const ComplexType * X = sample.CoefficientSpectra.data();
      for (SizeValueType f = begin; f < end; ++f)
      {
        ComplexType r;
        if (periodic)
        {
          r = sumKernels(sample, f) - sample.SignalSpectrum[f];
          sum += parseval[f] * std::norm(r);
        }
        else
        {
          r = sample.Residual[f];
        }
        if (gradient)
        {
          OperatorType::AccumulateStackAdjoint(X, r, G, K, S, f, i == 0);
        }
      }
    }
    partial[block] = sum;
  });
  for (const double p : partial)
  {
    data += 0.5 * p;
  }
  if (!gradient)
  {
    return data;
  }
  gradient->assign(kernels.size(), RealType(0));

  // The gradient per tap: the inverse transform read where the embedding put each tap.
  RealBufferType & spatialGradient = op.EnsureSpatial(m_Spatial, K);
  op.InverseFFT(G, spatialGradient.data(), K);
  const SizeValueType                taps = kernels.size() / K;
  const std::vector<SizeValueType> & offsets = op.GetKernelTapOffsets();
  const SizeValueType                stride = op.GetSpatialStride();
  for (unsigned int k = 0; k < K; ++k)
  {
    for (SizeValueType t = 0; t < taps; ++t)
    {
      (*gradient)[k * taps + t] = spatialGradient[k * stride + offsets[t]] * invN;
    }
  }
  return data;
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::GetLipschitzConstant()
{
  if (m_Lipschitz > 0 || m_Samples.empty())
  {
    return m_Lipschitz;
  }
  const OperatorType & op = *m_Operator;
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  S = op.GetSpectralStride();
  const SizeValueType  F = op.GetNumberOfFrequencies();
  const size_t         I = m_Samples.size();
  const SizeValueType  blocks = op.NumberOfBlocks(F, DictionaryFrequencyBlock);
  std::vector<double>  largest(blocks, 0.0);
  op.ParallelFor(blocks, [&](SizeValueType block) {
    const SizeValueType               begin = block * DictionaryFrequencyBlock;
    const SizeValueType               end = std::min(F, begin + DictionaryFrequencyBlock);
    std::vector<std::complex<double>> grams(I <= LargestExactGram ? (end - begin) * I * I : 0), v(I), w(I);
    if (!grams.empty())
    {
      this->GramMatrices(begin, end, grams.data());
    }
    double best = 0;
    for (SizeValueType f = begin; f < end; ++f)
    {
      if (I > LargestExactGram)
      {
        double trace = 0;
        for (const Sample & sample : m_Samples)
        {
          for (unsigned int k = 0; k < K; ++k)
          {
            trace += std::norm(sample.CoefficientSpectra[k * S + f]);
          }
        }
        best = std::max(best, trace);
        continue;
      }
      // Gram matrix B B^H of the rows x_i(f); its largest eigenvalue by power iteration.
      const std::complex<double> * gram = grams.data() + (f - begin) * I * I;
      double                       trace = 0;
      for (size_t i = 0; i < I; ++i)
      {
        trace += gram[i * I + i].real();
        v[i] = std::complex<double>(1.0 + 0.1 * i, 0.05 * i);
      }
      double estimate = trace;
      if (I > 1 && trace > 0)
      {
        for (unsigned int iteration = 0; iteration < 50; ++iteration)
        {
          double norm = 0;
          for (size_t i = 0; i < I; ++i)
          {
            w[i] = 0;
            for (size_t j = 0; j < I; ++j)
            {
              w[i] += gram[i * I + j] * v[j];
            }
            norm += std::norm(w[i]);
          }
          double vNorm = 0;
          for (size_t i = 0; i < I; ++i)
          {
            vNorm += std::norm(v[i]);
          }
          const double previous = estimate;
          estimate = std::sqrt(norm / vNorm);
          if (norm == 0)
          {
            break;
          }
          for (size_t i = 0; i < I; ++i)
          {
            v[i] = w[i] / std::sqrt(norm);
          }
          if (iteration > 0 && std::abs(previous - estimate) < 1e-6 * estimate)
          {
            break;
          }
        }
        // Power iteration approaches from below; the trace bounds from above.
        estimate = std::min(trace, 1.01 * estimate);
      }
      best = std::max(best, estimate);
    }
    largest[block] = best;
  });
  m_Lipschitz = *std::max_element(largest.begin(), largest.end());
  return m_Lipschitz;
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::Run(KernelsType & kernels, unsigned int steps, bool momentum, double stepScale)
{
  const double lipschitz = this->GetLipschitzConstant();
  double       data = 0;
  if (lipschitz > 0)
  {
    const RealType   step = static_cast<RealType>(stepScale / lipschitz);
    KernelsType      previous = kernels, z(kernels.size()), gradient(kernels.size());
    NesterovMomentum policy;
    for (unsigned int s = 0; s < steps; ++s)
    {
      const double   next = policy.Advance();
      const RealType beta = momentum ? static_cast<RealType>(next) : RealType(0);
      for (size_t j = 0; j < kernels.size(); ++j)
      {
        z[j] = kernels[j] + beta * (kernels[j] - previous[j]);
      }
      data = this->EvaluateWithGradient(z, gradient);
      previous = kernels;
      for (size_t j = 0; j < kernels.size(); ++j)
      {
        kernels[j] = z[j] - step * gradient[j];
      }
      this->ProjectKernels(kernels);
    }
  }
  m_Operator->UpdateKernelValues(kernels.data());
  return data;
}

template <typename TReal>
double
ConvolutionalDictionaryUpdate<TReal>::HebbianStep(KernelsType & kernels, double rate)
{
  if (!(rate > 0) || !std::isfinite(rate))
  {
    itkExceptionMacro("The Hebbian learning rate must be positive and finite, got " << rate);
  }
  KernelsType  gradient(kernels.size());
  const double data = this->EvaluateWithGradient(kernels, gradient);
  for (size_t j = 0; j < kernels.size(); ++j)
  {
    kernels[j] -= static_cast<RealType>(rate) * gradient[j];
  }
  this->ProjectKernels(kernels);
  m_Operator->UpdateKernelValues(kernels.data());
  return data;
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::GramMatrices(SizeValueType begin, SizeValueType end,
                                                   std::complex<double> * grams) const
{
  std::vector<const ComplexType *> stacks;
  for (const Sample & sample : m_Samples)
  {
    stacks.push_back(sample.CoefficientSpectra.data());
  }
  OperatorType::GramMatrices(
    stacks, m_Operator->GetNumberOfKernels(), m_Operator->GetSpectralStride(), begin, end, grams);
}

template <typename TReal>
bool
ConvolutionalDictionaryUpdate<TReal>::CanSolveExactly() const
{
  return m_Operator.IsNotNull() && m_Operator->DomainEqualsImage() && !m_Samples.empty() && m_Samples.size() <= 32;
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::FactorizeSystem()
{
  const OperatorType & op = *m_Operator;
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  S = op.GetSpectralStride();
  const SizeValueType  F = op.GetNumberOfFrequencies();
  const size_t         I = m_Samples.size();
  const double         rho = m_PenaltyParameter;
  op.EnsureSpectral(m_Correlation, K);
  m_Factors.resize(F * I * I); // every entry is written by GramMatrices()
  op.ParallelFor(op.NumberOfBlocks(F, DictionaryFrequencyBlock), [&](SizeValueType block) {
    const SizeValueType begin = block * DictionaryFrequencyBlock;
    const SizeValueType end = std::min(F, begin + DictionaryFrequencyBlock);
    for (unsigned int k = 0; k < K; ++k)
    {
      for (size_t i = 0; i < I; ++i)
      {
        OperatorType::AccumulateConjugateProduct(m_Samples[i].CoefficientSpectra.data() + k * S,
                                                 m_Samples[i].SignalSpectrum.data(),
                                                 m_Correlation.data() + k * S,
                                                 begin,
                                                 end,
                                                 i == 0);
      }
    }
    this->GramMatrices(begin, end, m_Factors.data() + begin * I * I);
    for (SizeValueType f = begin; f < end; ++f)
    {
      // rho I + B B^H, factorised in place.
      SmallHermitianSystem::Factorize(m_Factors.data() + f * I * I, I, rho);
    }
  });
  m_Factorized = true;
}

template <typename TReal>
template <typename TSolve>
void
ConvolutionalDictionaryUpdate<TReal>::IterateSplitting(KernelsType & kernels, unsigned int steps, TSolve && solve)
{
  this->IterateSplitting(kernels, steps, std::forward<TSolve>(solve), [](ComplexType *) {});
}

template <typename TReal>
template <typename TSolve, typename TGather>
void
ConvolutionalDictionaryUpdate<TReal>::IterateSplitting(KernelsType & kernels, unsigned int steps, TSolve && solve,
                                                       TGather && gather)
{
  OperatorType &                     op = *m_Operator;
  const unsigned int                 K = op.GetNumberOfKernels();
  const SizeValueType                S = op.GetSpectralStride();
  const SizeValueType                F = op.GetNumberOfFrequencies();
  const SizeValueType                n = op.GetNumberOfDomainPixels();
  const SizeValueType                stride = op.GetSpatialStride();
  const SizeValueType                taps = kernels.size() / K;
  const std::vector<SizeValueType> & offsets = op.GetKernelTapOffsets();
  const RealType                     invN = RealType(1) / static_cast<RealType>(n);
  if (m_Dual.size() != K * stride)
  {
    m_Dual = op.AllocateSpatial(K);
  }
  RealBufferType &    work = op.EnsureSpatial(m_Spatial, K);
  ComplexBufferType & spectra = op.EnsureSpectral(m_Spectra, K);
  for (unsigned int step = 0; step < steps; ++step)
  {
    // g - u on the domain (g is zero off the kernel support), to the Fourier domain.
    op.ParallelFor(K, [&](SizeValueType k) {
      RealType *       w = work.data() + k * stride;
      const RealType * u = m_Dual.data() + k * stride;
      for (SizeValueType i = 0; i < n; ++i)
      {
        w[i] = -u[i];
      }
      for (SizeValueType t = 0; t < taps; ++t)
      {
        w[offsets[t]] += kernels[k * taps + t];
      }
      op.ForwardFFTChannel(w, spectra.data() + k * S);
    });
    // d = M^-1 (c + rho (G - U)) per frequency, c the data term's correlation.
    op.ParallelFor(op.NumberOfBlocks(F, DictionaryFrequencyBlock), [&](SizeValueType block) {
      const SizeValueType begin = block * DictionaryFrequencyBlock;
      const SizeValueType end = std::min(F, begin + DictionaryFrequencyBlock);
      solve(begin, end, spectra.data());
      for (unsigned int k = 0; k < K; ++k)
      {
        std::for_each(
          spectra.data() + k * S + begin, spectra.data() + k * S + end, [invN](ComplexType & d) { d *= invN; });
      }
    });
    gather(spectra.data());
    // d to the domain; g = P(d + u) on the support; u += d - g.
    op.InverseFFT(spectra.data(), work.data(), K);
    op.ParallelFor(K, [&](SizeValueType k) {
      RealType * d = work.data() + k * stride;
      RealType * u = m_Dual.data() + k * stride;
      RealType * g = kernels.data() + k * taps;
      for (SizeValueType t = 0; t < taps; ++t)
      {
        g[t] = d[offsets[t]] + u[offsets[t]];
      }
      m_Projection.Project(g, taps);
      for (SizeValueType i = 0; i < n; ++i)
      {
        u[i] += d[i];
      }
      for (SizeValueType t = 0; t < taps; ++t)
      {
        u[offsets[t]] -= g[t];
      }
    });
  }
  op.UpdateKernelValues(kernels.data());
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::RunADMM(KernelsType & kernels, unsigned int steps)
{
  if (!this->CanSolveExactly())
  {
    itkExceptionMacro("RunADMM() needs periodic boundaries and 1 to 32 samples; use Run()");
  }
  if (!m_Factorized)
  {
    this->FactorizeSystem();
  }
  std::vector<const ComplexType *> stacks;
  for (const Sample & sample : m_Samples)
  {
    stacks.push_back(sample.CoefficientSpectra.data());
  }
  this->IterateSplitting(kernels, steps, [&](SizeValueType begin, SizeValueType end, ComplexType * v) {
    this->WoodburyBlock(begin, end, stacks, v);
  });
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::WoodburyBlock(SizeValueType begin, SizeValueType end,
                                                    const std::vector<const ComplexType *> & stacks,
                                                    ComplexType *                            v) const
{
  // Woodbury: d = (r - B^H y) / rho with (rho I + B B^H) y = B r, r = c + rho (G - U), B's rows
  // the maps' spectra.
  const unsigned int       K = m_Operator->GetNumberOfKernels();
  const SizeValueType      S = m_Operator->GetSpectralStride();
  const size_t             I = stacks.size();
  const SizeValueType      length = end - begin;
  const RealType           r = static_cast<RealType>(m_PenaltyParameter);
  std::vector<ComplexType> y(I * length);
  for (unsigned int k = 0; k < K; ++k)
  {
    for (SizeValueType f = begin; f < end; ++f)
    {
      v[k * S + f] = r * v[k * S + f] + m_Correlation[k * S + f];
    }
  }
  OperatorType::ApplyStacksBlock(stacks, K, S, begin, end, v, y.data());
  std::vector<std::complex<double>> yf(I);
  for (SizeValueType j = 0; j < length; ++j)
  {
    for (size_t i = 0; i < I; ++i)
    {
      yf[i] = std::complex<double>(y[i * length + j]);
    }
    SmallHermitianSystem::Solve(m_Factors.data() + (begin + j) * I * I, I, yf.data());
    for (size_t i = 0; i < I; ++i)
    {
      y[i * length + j] = ComplexType(yf[i]);
    }
  }
  OperatorType::SubtractStacksAdjointBlock(stacks, K, S, begin, end, y.data(), v);
  for (unsigned int k = 0; k < K; ++k)
  {
    std::for_each(v + k * S + begin, v + k * S + end, [r](ComplexType & d) { d /= r; });
  }
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::AccumulateSample(const RealType * image, const RealType * domainCoefficients,
                                                       double forgetting)
{
  OperatorType & op = *m_Operator;
  if (!op.DomainEqualsImage())
  {
    itkExceptionMacro("AccumulateSample() needs periodic boundaries");
  }
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType S = op.GetSpectralStride();
  const SizeValueType F = op.GetNumberOfFrequencies();
  const SizeValueType packed = K * (K + 1) / 2;
  ComplexBufferType & X = op.EnsureSpectral(m_Spectra, K);
  op.ForwardFFT(domainCoefficients, X.data(), K);
  RealBufferType &    signal = op.EnsureSpatial(m_Spatial, K);
  ComplexBufferType & spectrum = op.EnsureSpectral(m_SignalSpectrum, 1);
  op.PadToDomain(image, signal.data(), 1);
  op.ForwardFFTChannel(signal.data(), spectrum.data());
  const bool first = !m_Accumulating;
  if (m_Gram.size() != F * packed || m_Cross.size() != K * S)
  {
    m_Gram = ComplexBufferType(F * packed);
    m_Cross = op.AllocateSpectral(K);
  }
  m_Accumulating = true;
  const RealType beta = first ? RealType(0) : static_cast<RealType>(forgetting);
  op.ParallelFor(op.NumberOfBlocks(F, DictionaryFrequencyBlock), [&](SizeValueType block) {
    const SizeValueType end = std::min(F, (block + 1) * DictionaryFrequencyBlock);
    for (SizeValueType f = block * DictionaryFrequencyBlock; f < end; ++f)
    {
      OperatorType::AccumulateStackOuterProduct(
        X.data(), spectrum[f], K, S, f, beta, m_Gram.data() + f * packed, m_Cross.data());
    }
  });
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::RunSurrogate(KernelsType & kernels, unsigned int steps)
{
  if (!m_Accumulating)
  {
    itkExceptionMacro("RunSurrogate() needs AccumulateSample() first");
  }
  const unsigned int  K = m_Operator->GetNumberOfKernels();
  const SizeValueType F = m_Operator->GetNumberOfFrequencies();
  const SizeValueType packed = K * (K + 1) / 2;
  double              trace = 0;
  for (SizeValueType f = 0; f < F; ++f)
  {
    for (unsigned int k = 0; k < K; ++k)
    {
      trace += m_Gram[f * packed + k * (k + 1) / 2 + k].real();
    }
  }
  this->IterateAccumulated(kernels, steps, std::max(trace / (F * K), 1e-12));
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::RunAccumulatedADMM(KernelsType & kernels, unsigned int steps)
{
  if (!m_Accumulating)
  {
    itkExceptionMacro("RunAccumulatedADMM() needs AccumulateSample() first");
  }
  this->IterateAccumulated(kernels, steps, m_PenaltyParameter);
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::IterateAccumulated(KernelsType & kernels, unsigned int steps, double rho)
{
  const unsigned int  K = m_Operator->GetNumberOfKernels();
  const SizeValueType S = m_Operator->GetSpectralStride();
  const SizeValueType F = m_Operator->GetNumberOfFrequencies();
  const SizeValueType packed = K * (K + 1) / 2;
  // Shared: this process solves its own frequencies [ownBegin, ownEnd) and gathers the rest.
  ProcessCommunicator::BlockSizesType blocks{ F };
  SizeValueType                       ownBegin = 0;
  if (m_Communicator.IsNotNull())
  {
    blocks = m_Communicator->SplitEvenly(F);
    for (unsigned int p = 0; p < m_Communicator->GetProcessIndex(); ++p)
    {
      ownBegin += blocks[p];
    }
  }
  const SizeValueType ownEnd = ownBegin + blocks[m_Communicator.IsNotNull() ? m_Communicator->GetProcessIndex() : 0];
  auto                solve = [&](SizeValueType begin, SizeValueType end, ComplexType * v) {
    // (A + rho I) d = b + rho (G - U), by a Cholesky factor in double precision.
    std::vector<std::complex<double>> L(K * K), y(K);
    for (SizeValueType f = std::max(begin, ownBegin); f < std::min(end, ownEnd); ++f)
    {
      const ComplexType * A = m_Gram.data() + f * packed;
      for (unsigned int i = 0; i < K; ++i)
      {
        for (unsigned int j = 0; j <= i; ++j)
        {
          L[i * K + j] = std::complex<double>(A[i * (i + 1) / 2 + j]);
        }
        y[i] = std::complex<double>(static_cast<RealType>(rho) * v[i * S + f] + m_Cross[i * S + f]);
      }
      SmallHermitianSystem::Factorize(L.data(), K, rho, 1e-300);
      SmallHermitianSystem::Solve(L.data(), K, y.data());
      for (unsigned int i = 0; i < K; ++i)
      {
        v[i * S + f] = ComplexType(y[i]);
      }
    }
  };
  auto gather = [&](ComplexType * v) {
    if (m_Communicator.IsNull())
    {
      return;
    }
    ProcessCommunicator::BlockSizesType reals(blocks);
    for (auto & size : reals)
    {
      size *= 2;
    }
    for (unsigned int k = 0; k < K; ++k)
    {
      m_Communicator->GatherInPlace(reinterpret_cast<RealType *>(v + k * S), reals);
    }
  };
  this->IterateSplitting(kernels, steps, solve, gather);
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::SumAccumulation()
{
  if (!m_Accumulating)
  {
    itkExceptionMacro("SumAccumulation() needs AccumulateSample() first");
  }
  if (m_Communicator.IsNull())
  {
    return;
  }
  const unsigned int         K = m_Operator->GetNumberOfKernels();
  const SizeValueType        S = m_Operator->GetSpectralStride();
  const SizeValueType        F = m_Operator->GetNumberOfFrequencies();
  const SizeValueType        packed = K * (K + 1) / 2;
  const SizeValueType        entries = 2 * (packed + K); // real numbers per frequency: A's triangle, b
  const auto                 owned = m_Communicator->SplitEvenly(F);
  const size_t               P = owned.size(), rank = m_Communicator->GetProcessIndex();
  std::vector<SizeValueType> first(P + 1, 0);
  for (size_t p = 0; p < P; ++p)
  {
    first[p + 1] = first[p] + owned[p];
  }
  // Per round, the next frequencies of every process's share, packed process after process. Rounds
  // of 2^21 numbers: MPI's temporary buffers then come from the heap, not fresh mappings (each
  // page a fault; 2^24 made 2 ranks slower than 1).
  const SizeValueType                 chunk = std::max<SizeValueType>(1, (SizeValueType{ 1 } << 21) / (entries * P));
  std::vector<RealType> &             buffer = m_Exchange; // kept: no zero-filled pages per call
  ProcessCommunicator::BlockSizesType counts(P);
  auto                                copy = [&](SizeValueType f, RealType * packedValues, bool toBuffer) {
    auto * gram = reinterpret_cast<RealType *>(m_Gram.data() + f * packed);
    if (toBuffer)
    {
      std::copy_n(gram, 2 * packed, packedValues);
    }
    else
    {
      std::copy_n(packedValues, 2 * packed, gram);
    }
    for (unsigned int k = 0; k < K; ++k)
    {
      auto *     cross = reinterpret_cast<RealType *>(m_Cross.data() + k * S + f);
      RealType * value = packedValues + 2 * packed + 2 * k;
      if (toBuffer)
      {
        std::copy_n(cross, 2, value);
      }
      else
      {
        std::copy_n(value, 2, cross);
      }
    }
  };
  for (SizeValueType done = 0; done < owned[0]; done += chunk)
  {
    SizeValueType total = 0, ownOffset = 0;
    for (size_t p = 0; p < P; ++p)
    {
      counts[p] = entries * (owned[p] > done ? std::min(chunk, owned[p] - done) : 0);
      ownOffset += p < rank ? counts[p] : 0;
      total += counts[p];
    }
    buffer.resize(total);
    RealType * packedValues = buffer.data();
    for (size_t p = 0; p < P; ++p)
    {
      for (SizeValueType j = 0; j < counts[p] / entries; ++j, packedValues += entries)
      {
        copy(first[p] + done + j, packedValues, true);
      }
    }
    m_Communicator->SumScatter(buffer.data(), counts);
    for (SizeValueType j = 0; j < counts[rank] / entries; ++j)
    {
      copy(first[rank] + done + j, buffer.data() + ownOffset + j * entries, false);
    }
  }
}

template <typename TReal>
void
ConvolutionalDictionaryUpdate<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Samples: " << m_Samples.size() << std::endl;
  os << indent << "Norm: " << m_Projection.GetNorm() << ", ZeroMean: " << m_Projection.GetZeroMean()
     << ", NonNegative: " << m_Projection.GetNonNegative() << std::endl;
  os << indent << "LipschitzConstant: " << m_Lipschitz << std::endl;
}
} // namespace itk

#endif
