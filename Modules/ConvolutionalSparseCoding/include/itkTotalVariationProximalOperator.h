#ifndef itkTotalVariationProximalOperator_h
#define itkTotalVariationProximalOperator_h

#include "itkObject.h"
#include "itkObjectFactory.h"
#include <vector>

namespace itk
{
/** \class TotalVariationProximalOperator
 * \brief The prox of isotropic total variation on an N-D grid:
 * \f[ \mathrm{prox}_{\lambda TV}(b) = \arg\min_x \tfrac12 \|x - b\|_2^2 + \lambda \sum_i \|(\nabla x)_i\|_2 \f]
 * with forward differences and a Neumann border (no difference across the last pixel).
 *
 * Solved on the dual, \f$ \min_{\|p_i\|_2 \le 1} \tfrac12 \|b - \lambda \nabla^T p\|^2 \f$,
 * x = b - lambda grad^T p, by the fast gradient projection (FGP) of Beck and Teboulle, "Fast
 * gradient-based algorithms for constrained total variation image denoising and deblurring
 * problems", IEEE Trans. Image Process. 18(11), 2009, with step 1 / (4 N lambda^2) (||grad||^2 <=
 * 4N). It stops when the duality gap, a certificate of optimality, falls below
 * RelativeGapTolerance times the primal objective, or after MaximumNumberOfIterations.
 *
 * It needs the grid's shape, which the module's coefficient proximal operators (ProximalOperator:
 * blocks of pixels) do not have; the space-time filter's background step is its user.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT TotalVariationProximalOperator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(TotalVariationProximalOperator);

  using Self = TotalVariationProximalOperator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(TotalVariationProximalOperator, Object);

  using RealType = TReal;

  /** The grid, x fastest (ITK's order); every axis at least 1 pixel. */
  void
  SetImageSize(const std::vector<SizeValueType> & size);
  const std::vector<SizeValueType> &
  GetImageSize() const
  {
    return m_Size;
  }

  /** Default 1000. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);
  /** Stop at a duality gap below this times the primal objective. Default 1e-6. */
  itkSetMacro(RelativeGapTolerance, double);
  itkGetConstMacro(RelativeGapTolerance, double);

  /** x = prox_{lambda TV}(b); b and x image-sized (they may be the same array). */
  void
  Apply(const RealType * b, RealType * x, double lambda) const;
  /** TV(x) = sum_i ||(grad x)_i||_2. */
  double
  Evaluate(const RealType * x) const;

  /** The last Apply()'s iterations and duality gap (absolute). */
  unsigned int
  GetLastIterations() const
  {
    return m_LastIterations;
  }
  double
  GetLastDualityGap() const
  {
    return m_LastDualityGap;
  }

protected:
  TotalVariationProximalOperator() = default;
  ~TotalVariationProximalOperator() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  SizeValueType
  NumberOfPixels() const;
  /** g = grad x: N components per pixel, component d at g[d * n + i]. */
  void
  Gradient(const RealType * x, RealType * g) const;
  /** y = grad^T p = -div p. */
  void
  GradientAdjoint(const RealType * p, RealType * y) const;

  std::vector<SizeValueType> m_Size;
  std::vector<SizeValueType> m_Strides;
  unsigned int               m_MaximumNumberOfIterations{ 1000 };
  double                     m_RelativeGapTolerance{ 1e-6 };
  mutable unsigned int       m_LastIterations{ 0 };
  mutable double             m_LastDualityGap{ 0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkTotalVariationProximalOperator.hxx"
#endif

#endif
