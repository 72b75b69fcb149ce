#ifndef itkL0ProximalOperator_h
#define itkL0ProximalOperator_h

#include "itkProximalOperator.h"

namespace itk
{
/** \class L0ProximalOperator
 * \brief Hard thresholding, the prox of g(x) = ||x||_0 (the number of non-zeros).
 *
 * \f[ \mathrm{prox}_{t g}(v) = v \text{ if } v^2 > 2t, \text{ else } 0 \f]
 * Non-convex: solvers using it find a stationary point, not the global minimum.
 *
 *
 * Reference (hard thresholding): Blumensath and Davies, "Iterative thresholding for sparse
 * approximations", J. Fourier Anal. Appl. 14, 2008.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT L0ProximalOperator : public ProximalOperator<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(L0ProximalOperator);

  using Self = L0ProximalOperator;
  using Superclass = ProximalOperator<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(L0ProximalOperator, ProximalOperator);

  using RealType = TReal;

  void
  Apply(RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin, SizeValueType end,
        RealType threshold) const override
  {
    const RealType squaredCut = 2 * threshold;
    Superclass::ForEachCoefficient(v, stride, channels, begin, end, [squaredCut](RealType value) {
      return value * value > squaredCut ? value : RealType(0);
    });
  }

  double
  Evaluate(const RealType * v, SizeValueType stride, unsigned int channels, SizeValueType begin,
           SizeValueType end) const override
  {
    return Superclass::SumOverCoefficients(
      v, stride, channels, begin, end, [](RealType value) { return value != 0 ? RealType(1) : RealType(0); });
  }

protected:
  L0ProximalOperator() = default;
  ~L0ProximalOperator() override = default;
};
} // namespace itk

#endif
