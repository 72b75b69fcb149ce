#ifndef itkProximalOperator_h
#define itkProximalOperator_h

#include "itkObject.h"
#include "itkObjectFactory.h"
#include "itkVectorClones.h"
#include <cmath>

namespace itk
{
/** \class ProximalOperator
 * \brief Base of the proximal operators of the sparsity penalties g.
 *
 * \f[ \mathrm{prox}_{t g}(v) = \arg\min_x \tfrac12 \|x - v\|_2^2 + t\, g(x) \f]
 *
 * Operators act in place on a block of pixels [begin, end) of \c channels planar channels
 * spaced \c stride apart, so a solver can fuse the prox into a pass it makes anyway and
 * keep the block in cache. Each operator also evaluates its penalty g, for the objective.
 *
 *
 * Reference: Parikh and Boyd, "Proximal algorithms", Foundations and Trends in Optimization
 * 1(3), 2014.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT ProximalOperator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ProximalOperator);

  using Self = ProximalOperator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkTypeMacro(ProximalOperator, Object);

  using RealType = TReal;

  /** v <- prox_{threshold g}(v) on the block. */
  virtual void
  Apply(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
        RealType threshold) const = 0;

  /** g(v) summed over the block. */
  virtual double
  Evaluate(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
           SizeValueType end) const = 0;

  /** True when g is a sum over single coefficients, so that ApplyToChannel() may be called on
   * one channel at a time (solvers then fuse the prox into each channel's FFT). */
  virtual bool
  IsSeparable() const
  {
    return true;
  }
  /** True when the prox keeps coefficients non-negative (greedy pursuits then pick positive
   * correlations only). */
  virtual bool
  IsNonNegative() const
  {
    return false;
  }
  /** Apply() and Evaluate() on channel \c channel alone (v points at that channel), for
   * separable operators. The index matters to operators whose rule differs between channels. */
  virtual void
  ApplyToChannel(unsigned int itkNotUsed(channel), RealType * v, SizeValueType begin, SizeValueType end,
                 RealType threshold) const
  {
    this->Apply(v, 0, 1, begin, end, threshold);
  }
  virtual double
  EvaluateChannel(unsigned int itkNotUsed(channel), const RealType * v, SizeValueType begin, SizeValueType end) const
  {
    return this->Evaluate(v, 0, 1, begin, end);
  }

  /** Apply() and then Evaluate() of the result, which is returned: one pass over the block
   * where the operator fuses the two (the y-steps of ADMM and FISTA call it every iteration). */
  virtual double
  ApplyAndEvaluate(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
                   RealType threshold) const
  {
    this->Apply(v, stride, channels, begin, end, threshold);
    return this->Evaluate(v, stride, channels, begin, end);
  }
  /** ApplyToChannel() and then EvaluateChannel() of the result, which is returned. */
  virtual double
  ApplyAndEvaluateChannel(unsigned int channel, RealType * v, SizeValueType begin, SizeValueType end,
                          RealType threshold) const
  {
    this->ApplyToChannel(channel, v, begin, end, threshold);
    return this->EvaluateChannel(channel, v, begin, end);
  }

  /** Throws when the operator cannot act on \c channels channels. */
  virtual void
  Validate(unsigned int itkNotUsed(channels)) const
  {}

protected:
  ProximalOperator() = default;
  ~ProximalOperator() override = default;

  /** Applies f(value) to every coefficient of the block. */
  template <typename TFunction>
  static void
  ForEachCoefficient(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
                     TFunction && f)
  {
    for (unsigned int c = 0; c < channels; ++c)
    {
      RealType * channel = v + c * stride;
      for (SizeValueType i = begin; i < end; ++i)
      {
        channel[i] = f(channel[i]);
      }
    }
  }

  /** Replaces every coefficient of the block by f(value) and sums |f(value)|: the prox and the
   * l1 penalty of its result in one pass. */
  template <typename TFunction>
  static double
  ApplyAndSumMagnitudes(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
                        SizeValueType end, TFunction && f)
  {
    double sum = 0.0;
    for (unsigned int c = 0; c < channels; ++c)
    {
      RealType * channel = v + c * stride;
      RealType   partial = 0;
#pragma omp simd reduction(+ : partial)
      for (SizeValueType i = begin; i < end; ++i)
      {
        const RealType value = f(channel[i]);
        channel[i] = value;
        partial += std::abs(value);
      }
      sum += partial;
    }
    return sum;
  }

  /** Sums f(value) over every coefficient of the block. */
  template <typename TFunction>
  static double
  SumOverCoefficients(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
                      SizeValueType end, TFunction && f)
  {
    // Independent lanes let the compiler vectorise the sum without reassociation flags.
    constexpr unsigned int Lanes = 8;
    double                 sum = 0.0;
    for (unsigned int c = 0; c < channels; ++c)
    {
      const RealType * channel = v + c * stride;
      RealType         lane[Lanes] = {};
      SizeValueType    i = begin;
      for (; i + Lanes <= end; i += Lanes)
      {
        for (unsigned int l = 0; l < Lanes; ++l)
        {
          lane[l] += f(channel[i + l]);
        }
      }
      for (; i < end; ++i)
      {
        lane[0] += f(channel[i]);
      }
      for (unsigned int l = 0; l < Lanes; ++l)
      {
        sum += lane[l];
      }
    }
    return sum;
  }
};
} // namespace itk

#endif
