#ifndef itkNonNegativeL1ProximalOperator_h
#define itkNonNegativeL1ProximalOperator_h

#include "itkProximalOperator.h"

namespace itk
{
/** \class NonNegativeL1ProximalOperator
 * \brief The prox of g(x) = ||x||_1 + indicator(x >= 0): a one-sided soft threshold.
 *
 * \f[ \mathrm{prox}_{t g}(v) = \max(v - t, 0) \f]
 *
 *
 * Reference: Parikh and Boyd, "Proximal algorithms", Foundations and Trends in Optimization
 * 1(3), 2014 (the prox of l1 plus the indicator of the non-negative orthant).
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT NonNegativeL1ProximalOperator : public ProximalOperator<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(NonNegativeL1ProximalOperator);

  using Self = NonNegativeL1ProximalOperator;
  using Superclass = ProximalOperator<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(NonNegativeL1ProximalOperator, ProximalOperator);

  using RealType = TReal;

  void
  Apply(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
        RealType threshold) const override
  {
    Superclass::ForEachCoefficient(v, stride, channels, begin, end, [threshold](RealType value) {
      return std::max(value - threshold, RealType(0));
    });
  }

  /** ||v||_1; the indicator is zero on the iterates, which the prox keeps non-negative. */
  double
  Evaluate(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
           SizeValueType end) const override
  {
    return Superclass::SumOverCoefficients(
      v, stride, channels, begin, end, [](RealType value) { return std::abs(value); });
  }

  bool
  IsNonNegative() const override
  {
    return true;
  }

  double
  ApplyAndEvaluate(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
                   RealType threshold) const override
  {
    return ThresholdAndSumMagnitudes(v, stride, channels, begin, end, threshold);
  }
  double
  ApplyAndEvaluateChannel(unsigned int, RealType * v, SizeValueType begin, SizeValueType end,
                          RealType threshold) const override
  {
    return this->ApplyAndEvaluate(v, 0, 1, begin, end, threshold);
  }

protected:
  /** The y-steps' hot loop, compiled for the CPU's vector width (itkVectorClones.h). */
  ITK_CSC_VECTOR_CLONES static double
  ThresholdAndSumMagnitudes(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
                            SizeValueType end, RealType threshold)
  {
    return Superclass::ApplyAndSumMagnitudes(v, stride, channels, begin, end, [threshold](RealType value) {
      return std::max(value - threshold, RealType(0));
    });
  }

  NonNegativeL1ProximalOperator() = default;
  ~NonNegativeL1ProximalOperator() override = default;
};
} // namespace itk

#endif
