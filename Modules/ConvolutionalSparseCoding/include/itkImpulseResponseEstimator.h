#ifndef itkImpulseResponseEstimator_h
#define itkImpulseResponseEstimator_h

#include "itkSpikeTrainPursuit.h"

namespace itk
{
/** \class ImpulseResponseEstimator
 * \brief The impulse-response step of (space-)time deconvolution: the responses f_l >= 0 that
 * best explain traces given their spikes and baselines, each then scaled to unit l2 norm.
 *
 * Minimises sum_traces w/2 || y - b - sum_l f_l * s_l ||^2 over f_l >= 0 (F taps each) -- a
 * least-squares problem in L F unknowns whose normal equations are accumulated trace by trace
 * from the spikes' cross-correlations (Accumulate, thread by thread, then Merge) and solved by
 * accelerated projected gradient (Beck and Teboulle's FISTA on a box), warm-started from the
 * current responses. The unit-norm scaling is the constraint ||f_l||_2 <= 1 of sparse space-time
 * deconvolution (Peter et al., NIPS 2014); the amplitudes absorb the scale.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal = double>
class ITK_TEMPLATE_EXPORT ImpulseResponseEstimator
{
public:
  using PursuitType = SpikeTrainPursuit<TReal>;
  using SpikeType = typename PursuitType::Spike;
  using ResponseType = typename PursuitType::ResponseType;

  ImpulseResponseEstimator(unsigned int numberOfResponses, SizeValueType responseLength);

  /** Adds one trace y_t = trace[t * stride] with its spikes (frame order) and baseline, its
   * squared residual weighted by \c weight (1 / sigma^2 for maximum likelihood with noise level
   * sigma: then the quiet traces, whose spikes are found without bias, dominate). */
  void
  Accumulate(const TReal * trace, SizeValueType length, SizeValueType stride, double baseline,
             const std::vector<SpikeType> & spikes, double weight = 1.0);
  /** Adds another estimator's sums (same L and F). */
  void
  Merge(const ImpulseResponseEstimator & other);

  /** Replaces each response that has data by its non-negative least-squares estimate scaled to
   * unit norm; returns the factor each was scaled by (0 where a response kept its old value: no
   * spike of its type, or an all-zero estimate). */
  std::vector<double>
  Solve(std::vector<ResponseType> & responses) const;

  /** 1/2 f^T G f - h^T f of the responses (the data term up to a constant; for checks). */
  double
  EvaluateQuadratic(const std::vector<ResponseType> & responses) const;

private:
  SizeValueType       m_L, m_F;
  std::vector<double> m_Gram;       // (L F) x (L F)
  std::vector<double> m_Projection; // L F
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkImpulseResponseEstimator.hxx"
#endif

#endif
