#ifndef itkQuantalUnitEstimate_h
#define itkQuantalUnitEstimate_h

#include <algorithm>
#include <cmath>
#include <vector>

namespace itk
{
namespace detail
{
/** One EM fit of the mixture from \c start; \c weights gets pi_0 (uniform) ... pi_K. */
inline double
FitQuantalMixture(const std::vector<double> & heights, const std::vector<double> & deviations, double start,
                  unsigned int K, unsigned int iterations, std::vector<double> & weights)
{
  const double range = *std::max_element(heights.begin(), heights.end());
  // Component 0 is uniform over [0, range]: events on no multiple (noise picked as an event,
  // a response's misfit) would otherwise pull q down to a fraction of itself.
  weights.assign(K + 1, 1.0 / (K + 1));
  std::vector<double> responsibility(K + 1), nextWeights(K + 1);
  double              q = start, spread = 1.0; // spread: the noise variances' common factor
  std::vector<double> logWeights(K + 1);
  for (unsigned int iteration = 0; iteration < iterations; ++iteration)
  {
    double numerator = 0.0, denominator = 0.0, squares = 0.0, onComb = 0.0;
    std::fill(nextWeights.begin(), nextWeights.end(), 0.0);
    for (unsigned int k = 0; k <= K; ++k)
    {
      logWeights[k] = weights[k] > 0.0 ? std::log(k == 0 ? weights[0] / range : weights[k]) : -HUGE_VAL;
    }
    for (size_t i = 0; i < heights.size(); ++i)
    {
      const double s2 = spread * deviations[i] * deviations[i];
      const double logNormal = -0.5 * std::log(2.0 * 3.14159265358979323846 * s2);
      // Log-likelihoods relative to the largest, so that far tails do not underflow to 0 / 0.
      responsibility[0] = logWeights[0];
      double largest = responsibility[0];
      for (unsigned int k = 1; k <= K; ++k)
      {
        const double d = heights[i] - k * q;
        responsibility[k] = logWeights[k] + logNormal - 0.5 * d * d / s2;
        largest = std::max(largest, responsibility[k]);
      }
      double total = 0.0;
      for (auto & r : responsibility)
      {
        r = std::exp(r - largest);
        total += r;
      }
      for (unsigned int k = 0; k <= K; ++k)
      {
        const double r = responsibility[k] / total;
        nextWeights[k] += r;
        if (k > 0)
        {
          const double w = r / (deviations[i] * deviations[i]);
          numerator += w * k * heights[i];
          denominator += w * k * k;
          squares += w * (heights[i] - k * q) * (heights[i] - k * q);
          onComb += r;
        }
      }
    }
    const double next = numerator / denominator;
    if (!std::isfinite(next) || !(next > 0.0) || !(onComb > 0.0))
    {
      weights.assign(K + 1, 0.0);
      return start;
    }
    for (unsigned int k = 0; k <= K; ++k)
    {
      weights[k] = nextWeights[k] / double(heights.size());
    }
    spread = std::max(squares / onComb, 1e-6);
    const bool settled = std::abs(next - q) <= 1e-9 * q;
    q = next;
    if (settled)
    {
      break;
    }
  }
  return q;
}
} // namespace detail

/** The quantum q of event heights that are whole multiples of it plus Gaussian noise: the
 * maximum-likelihood q of the mixture h_i ~ sum_{k >= 1} pi_k N(k q, s_i^2), fitted by
 * expectation-maximisation from \c start (quantal analysis, del Castillo and Katz 1954).
 *
 * In spike inference an event is often two or three spikes in one frame or adjacent ones, so
 * the median or mean height over-estimates one spike's height (on the calcium dev traces by
 * 8 %, and the counting then misses spikes); the mixture gives each event its share of every
 * multiple. \c deviations holds each height's noise standard deviation s_i (> 0). Components up
 * to \c maximumMultiple; the start must be within about a third of q, or EM may settle on q/2
 * or 2q (a median of events does). Returns \c start when there are no heights or no finite fit.
 * \ingroup ConvolutionalSparseCoding */
inline double
QuantalUnitEstimate(const std::vector<double> & heights, const std::vector<double> & deviations, double start,
                    unsigned int maximumMultiple = 8, unsigned int iterations = 100)
{
  if (heights.empty() || heights.size() != deviations.size() || !(start > 0.0) || maximumMultiple < 2)
  {
    return start;
  }
  std::vector<double> weights;
  double              q = detail::FitQuantalMixture(heights, deviations, start, maximumMultiple, iterations, weights);
  // A comb whose odd multiples hold less weight than its even ones has half the quantum: events
  // sit on 2q, 4q... (an event split in two by a too short response, say). Twice q explains them
  // with fewer spikes.
  for (unsigned int doubling = 0; doubling < 3; ++doubling)
  {
    double odd = 0.0, even = 0.0;
    for (unsigned int k = 1; k < weights.size(); ++k)
    {
      (k % 2 ? odd : even) += weights[k];
    }
    if (!(even > odd))
    {
      break;
    }
    q = detail::FitQuantalMixture(heights, deviations, 2.0 * q, maximumMultiple, iterations, weights);
  }
  return q;
}
} // namespace itk

#endif
