#ifndef itkDictionaryProjection_h
#define itkDictionaryProjection_h

#include "itkConvolutionalSparseCodingEnums.h"
#include "itkMacro.h"
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <vector>

namespace itk
{
/** \class DictionaryProjection
 * \brief Euclidean projection of one kernel onto the dictionary constraint set.
 *
 * The dictionary update of convolutional dictionary learning is a projected-gradient (or
 * ADMM) step: after each step every kernel, restricted to its support, is projected onto
 *   {h : mean(h) = 0 (optional), h >= 0 (optional), norm constraint}
 * with the norm constraint one of ||h||_2 <= 1 (the convex default), ||h||_2 = 1, or
 * ||h||_1 = 1 (the CGSC paper's equal-l1 normalisation). The support itself is the learner's
 * business (taps outside it are never stored).
 *
 * Why the compositions are exact: the zero-mean set is a subspace through the origin and the
 * non-negative orthant a cone with apex at the origin; projecting onto either and then
 * scaling onto the l2 ball (centred at the origin) is the projection onto the intersection.
 * The spheres (||h||_2 = 1, ||h||_1 = 1) are not convex, but their nearest points are known:
 * h / ||h||_2 for l2; for l1, the projection onto the l1 ball when ||h||_1 >= 1 (soft
 * thresholding), and h + (1 - ||h||_1) sign(h) / n from inside (the facet of h's own orthant
 * is the nearest); with non-negative kernels, the simplex. A kernel projected to zero stays
 * zero under the l2 sphere (no nearest point exists); the learner re-seeds it.
 *
 * Zero mean and non-negativity together admit only h = 0, and zero mean with the l1 sphere
 * has no projection by composition, so Validate() rejects both.
 *
 * Used by the dictionary update of Garcia-Cardona and Wohlberg, "Convolutional dictionary
 * learning: A comparative review and new algorithms", IEEE Trans. Comput. Imaging 4(3), 2018.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class DictionaryProjection
{
public:
  using RealType = TReal;
  using NormEnum = ConvolutionalSparseCodingEnums::KernelNormConstraint;

  void
  SetNorm(NormEnum norm)
  {
    m_Norm = norm;
  }
  NormEnum
  GetNorm() const
  {
    return m_Norm;
  }
  void
  SetZeroMean(bool zeroMean)
  {
    m_ZeroMean = zeroMean;
  }
  bool
  GetZeroMean() const
  {
    return m_ZeroMean;
  }
  void
  SetNonNegative(bool nonNegative)
  {
    m_NonNegative = nonNegative;
  }
  bool
  GetNonNegative() const
  {
    return m_NonNegative;
  }

  /** Throws when the constraints are contradictory. */
  void
  Validate() const
  {
    if (m_ZeroMean && m_NonNegative)
    {
      itkGenericExceptionMacro("Zero-mean and non-negative kernels together allow only the zero kernel");
    }
    if (m_ZeroMean && m_Norm == NormEnum::UnitL1)
    {
      itkGenericExceptionMacro("Zero-mean kernels with the unit-l1 norm constraint are not supported; use an l2 "
                               "norm constraint");
    }
  }

  /** Projects the kernel of \c taps values in place. */
  void
  Project(RealType * h, SizeValueType taps) const
  {
    if (m_ZeroMean)
    {
      const RealType mean = std::accumulate(h, h + taps, RealType(0)) / static_cast<RealType>(taps);
      std::for_each(h, h + taps, [mean](RealType & v) { v -= mean; });
    }
    if (m_NonNegative && !(m_Norm == NormEnum::UnitL1))
    {
      std::for_each(h, h + taps, [](RealType & v) { v = std::max(v, RealType(0)); });
    }
    switch (m_Norm)
    {
      case NormEnum::L2Ball:
      case NormEnum::UnitL2: {
        const RealType norm = std::sqrt(std::inner_product(h, h + taps, h, RealType(0)));
        if (norm > 0 && (m_Norm == NormEnum::UnitL2 || norm > 1))
        {
          std::for_each(h, h + taps, [norm](RealType & v) { v /= norm; });
        }
        break;
      }
      case NormEnum::UnitL1:
        if (m_NonNegative)
        {
          ProjectOntoSimplex(h, taps);
        }
        else
        {
          ProjectOntoL1Sphere(h, taps);
        }
        break;
    }
  }

private:
  /** The nearest point of {||h||_1 = 1}: soft thresholding onto the ball from outside, the
   * own-orthant facet from inside. */
  static void
  ProjectOntoL1Sphere(RealType * h, SizeValueType taps)
  {
    RealType norm = 0;
    std::for_each(h, h + taps, [&norm](RealType v) { norm += std::abs(v); });
    if (norm >= 1)
    {
      std::vector<RealType> magnitude(taps);
      std::transform(h, h + taps, magnitude.begin(), [](RealType v) { return std::abs(v); });
      ProjectOntoSimplex(magnitude.data(), taps);
      for (SizeValueType j = 0; j < taps; ++j)
      {
        h[j] = h[j] < 0 ? -magnitude[j] : magnitude[j];
      }
      return;
    }
    const RealType step = (1 - norm) / static_cast<RealType>(taps);
    std::for_each(h, h + taps, [step](RealType & v) { v += v < 0 ? -step : step; });
  }

  /** The exact projection onto {h >= 0, sum h = 1} (sort-based, Held et al. 1974). */
  static void
  ProjectOntoSimplex(RealType * h, SizeValueType taps)
  {
    std::vector<RealType> sorted(h, h + taps);
    std::sort(sorted.begin(), sorted.end(), std::greater<RealType>());
    RealType cumulative = 0, shift = 0;
    for (SizeValueType j = 0; j < taps; ++j)
    {
      cumulative += sorted[j];
      const RealType candidate = (cumulative - 1) / static_cast<RealType>(j + 1);
      if (sorted[j] - candidate > 0)
      {
        shift = candidate;
      }
    }
    std::for_each(h, h + taps, [shift](RealType & v) { v = std::max(v - shift, RealType(0)); });
  }

  NormEnum m_Norm{ NormEnum::L2Ball };
  bool     m_ZeroMean{ false };
  bool     m_NonNegative{ false };
};
} // namespace itk

#endif
