#ifndef itkSpikeTrainPursuit_h
#define itkSpikeTrainPursuit_h

#include "itkObject.h"
#include "itkObjectFactory.h"
#include <vector>

namespace itk
{
/** \class SpikeTrainPursuit
 * \brief Truly sparse, non-negative spike inference on one trace: an l0-penalised convolutional
 * deconvolution with one of L impulse responses per time step.
 *
 * Minimises over spike amplitudes s_{t,l} >= 0 (at most one response type l per frame t) and a
 * constant baseline b
 *   E(s, b) = 1/2 || y - b - sum_l f_l * s_l ||^2 + lambda #{t : s_t != 0},
 * the temporal step of sparse space-time deconvolution (Peter, Hofmann, Kirschbaum, Hamprecht
 * et al., "Sparse space-time deconvolution for calcium image analysis", NIPS 2014; there by
 * non-negative convolutional matching pursuit). The search is greedy coordinate descent on the
 * penalised objective -- each step takes the single frame change (add a spike, re-fit or remove
 * one, change its response) that lowers E most -- followed by local moves of every spike by up
 * to MaximumShift frames, repeated until neither lowers E: the single-best-replacement scheme of
 * Soussen, Idier, Brie and Duan ("From Bernoulli-Gaussian deconvolution to sparse signal
 * restoration", IEEE TSP 59(10), 2011) restricted to non-negative amplitudes and extended by
 * moves, which fix the spikes a greedy pick places a frame early or late. Every accepted step
 * lowers E, so the search ends.
 *
 * Responses are causal: f_l[k] is the response k frames after a spike, k < F; a spike at t
 * affects frames t .. min(t + F, T) - 1 (truncated at the end of the trace). Correlations with
 * the residual are updated locally from the responses' cross-correlations, so one step costs
 * O(F L) away from the trace's end.
 *
 * The object is not changed by Deconvolve(), so one pursuit serves many threads, each with its
 * own Workspace.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal = double>
class ITK_TEMPLATE_EXPORT SpikeTrainPursuit : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SpikeTrainPursuit);

  using Self = SpikeTrainPursuit;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SpikeTrainPursuit, Object);

  using RealType = TReal;
  using ResponseType = std::vector<double>;

  /** One spike: frame, response type and amplitude (in units of the response as given). */
  struct Spike
  {
    SizeValueType Frame{ 0 };
    unsigned int  Response{ 0 };
    double        Amplitude{ 0.0 };
  };

  /** The result of one trace: spikes in frame order, baseline, the final objective and the
   * residual y - b - sum_l f_l * s_l. */
  struct Result
  {
    std::vector<Spike>  Spikes;
    double              Baseline{ 0.0 };
    double              Objective{ 0.0 };
    std::vector<double> Residual;
  };

  /** Per-thread scratch memory. */
  struct Workspace
  {
    std::vector<double>       Correlation; // c_{t,l} = <f_l(. - t), r>, T x L
    std::vector<double>       Energy;      // ||f_l(. - t)||^2, T x L
    std::vector<double>       Amplitude;   // s_t (of its type)
    std::vector<int>          Type;        // the type at t, -1: none
    std::vector<double>       Gain;        // best change of E at t
    std::vector<unsigned int> GainType;    // the type that gives it
  };

  /** The responses f_l, each of the same length F >= 1, not all zero. */
  void
  SetResponses(const std::vector<ResponseType> & responses);
  const std::vector<ResponseType> &
  GetResponses() const
  {
    return m_Responses;
  }
  unsigned int
  GetNumberOfResponses() const
  {
    return static_cast<unsigned int>(m_Responses.size());
  }
  SizeValueType
  GetResponseLength() const
  {
    return m_Responses.empty() ? 0 : m_Responses[0].size();
  }

  /** Estimate the constant baseline b (default on); off: b = 0. */
  itkSetMacro(EstimateBaseline, bool);
  itkGetConstMacro(EstimateBaseline, bool);
  itkBooleanMacro(EstimateBaseline);
  /** Largest shift of a spike tried by the local moves, in frames (default 2; 0: no moves). */
  itkSetMacro(MaximumShift, unsigned int);
  itkGetConstMacro(MaximumShift, unsigned int);
  /** Rounds of greedy descent and moves at most (default 50). */
  itkSetMacro(MaximumNumberOfRounds, unsigned int);
  itkGetConstMacro(MaximumNumberOfRounds, unsigned int);

  /** Deconvolves the trace y_t = trace[t * stride], t < length, with penalty lambda >= 0. With
   * quantum > 0 the spikes are counted: every amplitude is a whole number of spikes, each
   * raising the trace by quantum at its response's peak, lambda is paid per spike, and the
   * steps add or remove one spike at a frame or move one by up to MaximumShift frames (the
   * greedy template peeling of spike inference, made a descent with removals and moves). */
  void
  Deconvolve(const TReal * trace, SizeValueType length, SizeValueType stride, double lambda, double quantum,
             Workspace & work, Result & result) const;

  /** E(s, b) of the given spikes and baseline on a trace (for checks); with quantum > 0 the
   * penalty is paid per spike, as Deconvolve() does then. */
  double
  EvaluateObjective(const TReal * trace, SizeValueType length, SizeValueType stride, double lambda,
                    const std::vector<Spike> & spikes, double baseline, double quantum = 0.0) const;

protected:
  SpikeTrainPursuit() = default;
  ~SpikeTrainPursuit() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  class Search;

  std::vector<ResponseType> m_Responses;
  /** m_CrossCorrelation[(l * L + m) * (2F - 1) + (d + F - 1)] = sum_k f_l[k] f_m[k + d]. */
  std::vector<double> m_CrossCorrelation;
  bool                m_EstimateBaseline{ true };
  unsigned int        m_MaximumShift{ 2 };
  unsigned int        m_MaximumNumberOfRounds{ 50 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSpikeTrainPursuit.hxx"
#endif

#endif
