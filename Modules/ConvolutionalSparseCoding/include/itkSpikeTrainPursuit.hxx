#ifndef itkSpikeTrainPursuit_hxx
#define itkSpikeTrainPursuit_hxx

#include "itkMacro.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace itk
{
template <typename TReal>
void
SpikeTrainPursuit<TReal>::SetResponses(const std::vector<ResponseType> & responses)
{
  if (responses.empty())
  {
    itkExceptionMacro("SpikeTrainPursuit: no impulse response given");
  }
  const size_t F = responses[0].size();
  for (size_t l = 0; l < responses.size(); ++l)
  {
    if (responses[l].size() != F || F == 0)
    {
      itkExceptionMacro("SpikeTrainPursuit: impulse response " << l << " has " << responses[l].size()
                                                               << " taps; every response needs the same length >= 1 ("
                                                               << F << ")");
    }
    double energy = 0.0;
    for (double v : responses[l])
    {
      if (!std::isfinite(v))
      {
        itkExceptionMacro("SpikeTrainPursuit: impulse response " << l << " has a NaN or infinite tap");
      }
      energy += v * v;
    }
    if (energy <= 0.0)
    {
      itkExceptionMacro("SpikeTrainPursuit: impulse response " << l << " is all zero");
    }
  }
  m_Responses = responses;
  const size_t L = responses.size(), width = 2 * F - 1;
  m_CrossCorrelation.assign(L * L * width, 0.0);
  for (size_t l = 0; l < L; ++l)
  {
    for (size_t m = 0; m < L; ++m)
    {
      for (long d = -long(F) + 1; d < long(F); ++d)
      {
        double sum = 0.0;
        for (long k = std::max(0L, -d); k < long(F) && k + d < long(F); ++k)
        {
          sum += responses[l][k] * responses[m][k + d];
        }
        m_CrossCorrelation[(l * L + m) * width + size_t(d + long(F) - 1)] = sum;
      }
    }
  }
  this->Modified();
}

/** The state of one trace's search: residual, correlations, amplitudes and the best change at
 * every frame. */
template <typename TReal>
class SpikeTrainPursuit<TReal>::Search
{
public:
  Search(const SpikeTrainPursuit & pursuit, const TReal * trace, SizeValueType length, SizeValueType stride,
         double lambda, double quantum, Workspace & work, Result & result)
    : m_P(pursuit)
    , m_F(long(pursuit.GetResponseLength()))
    , m_L(long(pursuit.GetNumberOfResponses()))
    , m_T(long(length))
    , m_Lambda(lambda)
    , m_W(work)
    , m_R(result.Residual)
  {
    m_R.resize(length);
    for (const auto & f : pursuit.m_Responses)
    {
      m_Quantum.push_back(quantum > 0.0 ? quantum / *std::max_element(f.begin(), f.end()) : 0.0);
    }
    double energy = 0.0;
    for (long t = 0; t < m_T; ++t)
    {
      m_R[t] = static_cast<double>(trace[t * stride]);
      energy += m_R[t] * m_R[t];
    }
    // Changes worth less than a thousandth of one spike's penalty are not pursued: re-fitting
    // strongly overlapping spikes one at a time converges slowly, and such steps change nothing
    // a spike count depends on.
    m_Tolerance = std::max(5e-2 * lambda, 1e-12 * energy) + 1e-300;
    m_W.Correlation.assign(length * m_L, 0.0);
    m_W.Energy.assign(length * m_L, 0.0);
    m_W.Amplitude.assign(length, 0.0);
    m_W.Type.assign(length, -1);
    m_W.Gain.assign(length, 0.0);
    m_W.GainType.assign(length, 0);
    m_TapSum.assign((m_F + 1) * m_L, 0.0);
    for (long l = 0; l < m_L; ++l)
    {
      for (long k = 0; k < m_F; ++k)
      {
        m_TapSum[(k + 1) * m_L + l] = m_TapSum[k * m_L + l] + m_P.m_Responses[l][k];
      }
    }
    for (long l = 0; l < m_L; ++l)
    {
      const auto & f = m_P.m_Responses[l];
      double       tail = 0.0;
      for (long t = m_T - 1; t >= 0; --t)
      {
        const long k = m_T - 1 - t; // the tap added when the atom starts one frame earlier
        if (k < m_F)
        {
          tail += f[k] * f[k];
        }
        m_W.Energy[t * m_L + l] = tail;
      }
    }
    m_BlockMinimum.assign((m_T + BlockSize - 1) / BlockSize, 0.0);
    for (long t = 0; t < m_T; ++t)
    {
      this->RecomputeCorrelation(t);
    }
    this->RecomputeGains(0, m_T - 1);
  }

  void
  Run(unsigned int maximumShift, unsigned int rounds, bool baseline)
  {
    for (unsigned int round = 0; round < rounds; ++round)
    {
      bool changed = this->Descend();
      if (baseline && this->UpdateBaseline())
      {
        changed = true;
        this->Descend();
      }
      if (maximumShift > 0 && this->Move(long(maximumShift)))
      {
        changed = true;
      }
      if (!changed)
      {
        break;
      }
    }
  }

  void
  Finish(Result & result) const
  {
    result.Spikes.clear();
    double count = 0.0, energy = 0.0;
    for (long t = 0; t < m_T; ++t)
    {
      if (m_W.Type[t] >= 0)
      {
        const double q = m_Quantum[m_W.Type[t]];
        result.Spikes.push_back({ SizeValueType(t), unsigned(m_W.Type[t]), m_W.Amplitude[t] });
        count += q > 0.0 ? std::round(m_W.Amplitude[t] / q) : 1.0;
      }
      energy += m_R[t] * m_R[t];
    }
    result.Baseline = m_Baseline;
    result.Objective = 0.5 * energy + m_Lambda * count;
  }

private:
  /** The best gain is found from per-block minima, so a step rescans only the blocks it touched. */
  static constexpr long BlockSize = 32;

  double &
  C(long t, long l)
  {
    return m_W.Correlation[t * m_L + l];
  }
  double
  N(long t, long l) const
  {
    return m_W.Energy[t * m_L + l];
  }

  /** <f_m(. - u), f_l(. - t)> over the trace. */
  double
  Overlap(long m, long u, long l, long t) const
  {
    const long d = u - t;
    if (d <= -m_F || d >= m_F)
    {
      return 0.0;
    }
    if (u + m_F <= m_T && t + m_F <= m_T)
    {
      return m_P.m_CrossCorrelation[(m * m_L + l) * (2 * m_F - 1) + (d + m_F - 1)];
    }
    const auto & fm = m_P.m_Responses[m];
    const auto & fl = m_P.m_Responses[l];
    double       sum = 0.0;
    for (long k = std::max(0L, -d); k < m_F && k + d < m_F && u + k < m_T; ++k)
    {
      sum += fm[k] * fl[k + d];
    }
    return sum;
  }

  void
  RecomputeCorrelation(long u)
  {
    for (long m = 0; m < m_L; ++m)
    {
      const auto & f = m_P.m_Responses[m];
      double       sum = 0.0;
      for (long k = 0; k < m_F && u + k < m_T; ++k)
      {
        sum += f[k] * m_R[u + k];
      }
      C(u, m) = sum;
    }
  }

  /** The best change of E at frame t: re-fit (or remove) its spike, or add or swap in one of
   * type m, with the new amplitude. */
  double
  Candidate(long t, long m, double & amplitude)
  {
    const long   current = m_W.Type[t];
    const double n = N(t, m);
    amplitude = 0.0;
    if (n <= 0.0)
    {
      return 0.0;
    }
    if (m_Quantum[m] > 0.0)
    {
      return this->QuantumCandidate(t, m, amplitude);
    }
    if (current < 0)
    {
      amplitude = std::max(0.0, C(t, m) / n);
      return amplitude > 0.0 ? -C(t, m) * C(t, m) / (2.0 * n) + m_Lambda : 0.0;
    }
    const double a = m_W.Amplitude[t];
    if (current == m)
    {
      // The best amplitude, or none: removing the spike also saves its penalty.
      amplitude = std::max(0.0, a + C(t, m) / n);
      const double delta = amplitude - a;
      const double refit = -delta * C(t, m) + 0.5 * delta * delta * n - (amplitude > 0.0 ? 0.0 : m_Lambda);
      const double removal = a * C(t, m) + 0.5 * a * a * n - m_Lambda;
      if (removal < refit)
      {
        amplitude = 0.0;
        return removal;
      }
      return refit;
    }
    const double removal = a * C(t, current) + 0.5 * a * a * N(t, current) - m_Lambda;
    const double c = C(t, m) + a * this->Overlap(m, t, current, t);
    amplitude = std::max(0.0, c / n);
    return amplitude > 0.0 ? removal - c * c / (2.0 * n) + m_Lambda : std::numeric_limits<double>::infinity();
  }

  /** Integer spike counts: one spike more or one fewer at t (of t's type). */
  double
  QuantumCandidate(long t, long m, double & amplitude)
  {
    const long current = m_W.Type[t];
    if (current >= 0 && current != m)
    {
      return std::numeric_limits<double>::infinity();
    }
    const double q = m_Quantum[m], n = N(t, m), c = C(t, m), count = std::round(m_W.Amplitude[t] / q);
    const double more = -q * c + 0.5 * q * q * n + m_Lambda;
    const double fewer = count >= 1.0 ? q * c + 0.5 * q * q * n - m_Lambda : std::numeric_limits<double>::infinity();
    amplitude = (more <= fewer ? count + 1.0 : count - 1.0) * q;
    return std::min(more, fewer);
  }

  void
  RecomputeGains(long first, long last)
  {
    for (long t = std::max(0L, first); t <= std::min(last, m_T - 1); ++t)
    {
      double best = 0.0, amplitude = 0.0;
      m_W.GainType[t] = 0;
      for (long m = 0; m < m_L; ++m)
      {
        const double gain = this->Candidate(t, m, amplitude);
        if (gain < best)
        {
          best = gain;
          m_W.GainType[t] = unsigned(m);
        }
      }
      m_W.Gain[t] = best;
    }
    for (long block = std::max(0L, first) / BlockSize; block <= std::min(last, m_T - 1) / BlockSize; ++block)
    {
      const auto begin = m_W.Gain.begin() + block * BlockSize;
      m_BlockMinimum[block] = *std::min_element(begin, begin + std::min(BlockSize, m_T - block * BlockSize));
    }
  }

  /** s_{t,l} += delta: residual, correlations within reach, gains. */
  void
  Change(long t, long l, double delta)
  {
    const auto & f = m_P.m_Responses[l];
    for (long k = 0; k < m_F && t + k < m_T; ++k)
    {
      m_R[t + k] -= delta * f[k];
    }
    const long first = std::max(0L, t - m_F + 1), last = std::min(m_T - 1, t + m_F - 1);
    for (long u = first; u <= last; ++u)
    {
      if (u + m_F <= m_T)
      {
        for (long m = 0; m < m_L; ++m)
        {
          C(u, m) -= delta * m_P.m_CrossCorrelation[(m * m_L + l) * (2 * m_F - 1) + (u - t + m_F - 1)];
        }
      }
      else
      {
        this->RecomputeCorrelation(u);
      }
    }
    this->RecomputeGains(first, last);
  }

  /** Sets frame t to type m with amplitude a (0: no spike). */
  void
  Assign(long t, long m, double amplitude)
  {
    const long current = m_W.Type[t];
    if (current >= 0 && current != m)
    {
      const double old = m_W.Amplitude[t];
      m_W.Type[t] = -1;
      m_W.Amplitude[t] = 0.0;
      this->Change(t, current, -old);
    }
    const double delta = amplitude - m_W.Amplitude[t];
    m_W.Type[t] = amplitude > 0.0 ? int(m) : -1;
    m_W.Amplitude[t] = amplitude;
    if (delta != 0.0)
    {
      this->Change(t, m, delta);
    }
    else
    {
      this->RecomputeGains(t, t);
    }
  }

  /** Greedy descent: applies the best single-frame change while it lowers E. */
  bool
  Descend()
  {
    bool changed = false;
    for (long step = 0; step < 20 * m_T + 100; ++step)
    {
      const long block = long(std::min_element(m_BlockMinimum.begin(), m_BlockMinimum.end()) - m_BlockMinimum.begin());
      if (!(m_BlockMinimum[block] < -m_Tolerance))
      {
        break;
      }
      const auto begin = m_W.Gain.begin() + block * BlockSize;
      const long t =
        long(std::min_element(begin, begin + std::min(BlockSize, m_T - block * BlockSize)) - m_W.Gain.begin());
      double     amplitude = 0.0;
      const long m = long(m_W.GainType[t]);
      this->Candidate(t, m, amplitude);
      this->Assign(t, m, amplitude);
      changed = true;
    }
    return changed;
  }

  /** b += mean residual; every correlation and gain follows. */
  bool
  UpdateBaseline()
  {
    double sum = 0.0;
    for (double r : m_R)
    {
      sum += r;
    }
    const double delta = sum / double(m_T);
    if (!(0.5 * delta * delta * double(m_T) > m_Tolerance))
    {
      return false;
    }
    m_Baseline += delta;
    for (double & r : m_R)
    {
      r -= delta;
    }
    for (long t = 0; t < m_T; ++t)
    {
      for (long m = 0; m < m_L; ++m)
      {
        C(t, m) -= delta * m_TapSum[std::min(m_F, m_T - t) * m_L + m];
      }
    }
    this->RecomputeGains(0, m_T - 1);
    return true;
  }

  /** Moves each spike by up to maximumShift frames to a free frame (with the best type and
   * amplitude there) where that lowers E. */
  bool
  Move(long maximumShift)
  {
    bool changed = false;
    for (long t = 0; t < m_T; ++t)
    {
      const long l = m_W.Type[t];
      if (l < 0)
      {
        continue;
      }
      const bool   quantum = m_Quantum[l] > 0.0;
      const double a = quantum ? m_Quantum[l] : m_W.Amplitude[t]; // what moves: one spike, or all
      const double removal = a * C(t, l) + 0.5 * a * a * N(t, l) - m_Lambda;
      double       best = -m_Tolerance, bestAmplitude = 0.0;
      long         bestFrame = -1, bestType = 0;
      for (long u = std::max(0L, t - maximumShift); u <= std::min(m_T - 1, t + maximumShift); ++u)
      {
        if (u == t || (m_W.Type[u] >= 0 && !quantum))
        {
          continue;
        }
        for (long m = 0; m < m_L; ++m)
        {
          const double n = N(u, m);
          const double c = C(u, m) + a * this->Overlap(m, u, l, t);
          if (n <= 0.0 || c <= 0.0 || (quantum && m_W.Type[u] >= 0 && m_W.Type[u] != m))
          {
            continue;
          }
          const double added = quantum ? -m_Quantum[m] * c + 0.5 * m_Quantum[m] * m_Quantum[m] * n : -c * c / (2.0 * n);
          const double change = removal + added + m_Lambda;
          if (change < best)
          {
            best = change;
            bestFrame = u;
            bestType = m;
            bestAmplitude = quantum ? m_W.Amplitude[u] + m_Quantum[m] : c / n;
          }
        }
      }
      if (bestFrame >= 0)
      {
        this->Assign(t, l, quantum ? std::round(m_W.Amplitude[t] / a - 1.0) * a : 0.0);
        this->Assign(bestFrame, bestType, bestAmplitude);
        changed = true;
        if (bestFrame > t)
        {
          t = bestFrame; // do not move the same spike twice in one pass
        }
      }
    }
    return changed;
  }

  const SpikeTrainPursuit & m_P;
  const long                m_F, m_L, m_T;
  const double              m_Lambda;
  std::vector<double>       m_Quantum;      // per type: the amplitude of one spike (0: free amplitudes)
  std::vector<double>       m_TapSum;       // [n * L + l]: f_l[0] + ... + f_l[n - 1]
  std::vector<double>       m_BlockMinimum; // the smallest gain of each block of frames
  Workspace &               m_W;
  std::vector<double> &     m_R;
  double                    m_Baseline{ 0.0 };
  double                    m_Tolerance{ 0.0 };
};

template <typename TReal>
void
SpikeTrainPursuit<TReal>::Deconvolve(const TReal * trace, SizeValueType length, SizeValueType stride, double lambda,
                                     double quantum, Workspace & work, Result & result) const
{
  if (m_Responses.empty())
  {
    itkExceptionMacro("SpikeTrainPursuit: SetResponses() first");
  }
  if (length == 0 || !(lambda >= 0.0) || !std::isfinite(lambda) || !(quantum >= 0.0) || !std::isfinite(quantum))
  {
    itkExceptionMacro(
      "SpikeTrainPursuit: needs a non-empty trace, a finite lambda >= 0 and a finite quantum >= 0 (got length "
      << length << ", lambda " << lambda << ", quantum " << quantum << ")");
  }
  if (quantum > 0.0)
  {
    for (const auto & f : m_Responses)
    {
      if (!(*std::max_element(f.begin(), f.end()) > 0.0))
      {
        itkExceptionMacro("SpikeTrainPursuit: counting spikes needs every response to have a positive peak");
      }
    }
  }
  Search search(*this, trace, length, stride, lambda, quantum, work, result);
  search.Run(m_MaximumShift, std::max(1u, m_MaximumNumberOfRounds), m_EstimateBaseline);
  search.Finish(result);
}

template <typename TReal>
double
SpikeTrainPursuit<TReal>::EvaluateObjective(const TReal * trace, SizeValueType length, SizeValueType stride,
                                            double lambda, const std::vector<Spike> & spikes, double baseline,
                                            double quantum) const
{
  std::vector<double> model(length, baseline);
  const SizeValueType F = this->GetResponseLength();
  for (const auto & spike : spikes)
  {
    for (SizeValueType k = 0; k < F && spike.Frame + k < length; ++k)
    {
      model[spike.Frame + k] += spike.Amplitude * m_Responses[spike.Response][k];
    }
  }
  double energy = 0.0;
  for (SizeValueType t = 0; t < length; ++t)
  {
    const double r = static_cast<double>(trace[t * stride]) - model[t];
    energy += r * r;
  }
  double count = 0.0;
  for (const auto & spike : spikes)
  {
    const auto & f = m_Responses[spike.Response];
    count += quantum > 0.0 ? std::round(spike.Amplitude * *std::max_element(f.begin(), f.end()) / quantum) : 1.0;
  }
  return 0.5 * energy + lambda * count;
}

template <typename TReal>
void
SpikeTrainPursuit<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Responses: " << m_Responses.size() << " of " << this->GetResponseLength() << " taps\n";
  os << indent << "EstimateBaseline: " << m_EstimateBaseline << "\n";
  os << indent << "MaximumShift: " << m_MaximumShift << "\n";
  os << indent << "MaximumNumberOfRounds: " << m_MaximumNumberOfRounds << "\n";
}
} // namespace itk

#endif
