#ifndef itkThresholdingSparseCodingSolver_h
#define itkThresholdingSparseCodingSolver_h

#include "itkSparseCodingSolverBase.h"

namespace itk
{
/** \class ThresholdingSparseCodingSolver
 * \brief The thresholding pursuit: one shot, x = prox_{lambda g}(A^T W^2 s).
 *
 * Correlates the image with every kernel and thresholds the correlations with the prox it is
 * given: soft (L1ProximalOperator), non-negative soft (NonNegativeL1ProximalOperator: the ReLU
 * of a convolutional layer with bias -lambda) or hard (L0ProximalOperator, cut at
 * sqrt(2 lambda)). It is the forward pass of a convolutional layer and the single-layer building
 * block of layered thresholding (Papyan, Romano and Elad, "Convolutional neural networks
 * analyzed via convolutional sparse coding", JMLR 18, 2017), exact when the kernels are nearly
 * orthogonal and the sources well separated; otherwise a fast first guess. With a warm start x0
 * it takes one proximal step of unit length from it, prox_{lambda g}(x0 + A^T W^2 (s - A x0)),
 * which is the same from zero.
 *
 * Solve() runs no iteration (GetIteration() is 0): the solution and its objective are those of
 * iteration 0. K + 1 FFTs for the correlations and K + 1 for the objective (K + 1 more with a
 * warm start).
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT ThresholdingSparseCodingSolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ThresholdingSparseCodingSolver);

  using Self = ThresholdingSparseCodingSolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(ThresholdingSparseCodingSolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::OperatorType;
  using typename Superclass::RealBufferType;

  unsigned int
  IterationLimit() const override
  {
    return 0;
  }

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_X.data();
  }

protected:
  ThresholdingSparseCodingSolver() = default;
  ~ThresholdingSparseCodingSolver() override = default;

  void
  Initialize() override;
  void
  Iterate() override
  {}
  bool
  Converged() const override
  {
    return true;
  }

private:
  RealBufferType m_X;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkThresholdingSparseCodingSolver.hxx"
#endif

#endif
