#ifndef itkL1ProximalOperator_h
#define itkL1ProximalOperator_h

#include "itkProximalOperator.h"

namespace itk
{
/** \class L1ProximalOperator
 * \brief Soft thresholding, the prox of g(x) = ||x||_1.
 *
 * \f[ \mathrm{prox}_{t g}(v) = \mathrm{sign}(v)\max(|v| - t, 0) \f]
 *
 *
 * Reference (soft thresholding, the prox of the l1 norm): Parikh and Boyd, "Proximal
 * algorithms", Foundations and Trends in Optimization 1(3), 2014, section 6.5.2.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT L1ProximalOperator : public ProximalOperator<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(L1ProximalOperator);

  using Self = L1ProximalOperator;
  using Superclass = ProximalOperator<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(L1ProximalOperator, ProximalOperator);

  using RealType = TReal;

  void
  Apply(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
        RealType threshold) const override
  {
    Superclass::ForEachCoefficient(v, stride, channels, begin, end, [threshold](RealType value) {
      const RealType magnitude = std::abs(value) - threshold;
      return magnitude > 0 ? std::copysign(magnitude, value) : RealType(0);
    });
  }

  double
  Evaluate(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
           SizeValueType end) const override
  {
    return Superclass::SumOverCoefficients(
      v, stride, channels, begin, end, [](RealType value) { return std::abs(value); });
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
      const RealType magnitude = std::abs(value) - threshold;
      return magnitude > 0 ? std::copysign(magnitude, value) : RealType(0);
    });
  }

  L1ProximalOperator() = default;
  ~L1ProximalOperator() override = default;
};
} // namespace itk

#endif
