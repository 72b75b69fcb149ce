#ifndef itkLCASparseCodingSolver_h
#define itkLCASparseCodingSolver_h

#include "itkSparseCodingSolverBase.h"

namespace itk
{
/** \class LCASparseCodingSolver
 * \brief The Locally Competitive Algorithm (LCA) for convolutional sparse coding.
 *
 * Each coefficient is a neuron with an internal state u and an output a = T(u), T the
 * transfer function; neurons are driven by their correlation with the image and inhibit the
 * neurons they overlap (Rozell, Johnson, Baraniuk and Olshausen, "Sparse coding via
 * thresholding and local competition in neural circuits", Neural Computation 20(10), 2008;
 * convolutional, with strides, in Schultz, Paiton, Lu and Kenyon, "Replicating kernels with a
 * short stride allows sparse reconstructions with fewer independent kernels", 2014):
 * \f[ \dot u = -u + a + A^T W^2 (s - A a), \qquad a = T(u) = \mathrm{prox}_{\lambda g}(u), \f]
 * integrated by Euler steps u += Step (-u + a + A^T W^2 (s - A a)). T is the prox the solver is
 * given at threshold Lambda: the soft threshold (L1ProximalOperator), its non-negative form
 * (NonNegativeL1ProximalOperator) or the hard threshold (L0ProximalOperator, which cuts at
 * sqrt(2 Lambda): pass Lambda = theta^2 / 2 for a cut at theta). A fixed point satisfies
 * u - a = A^T W^2 (s - A a) in lambda dg(a), the optimality condition of
 * \f[ \min_a \tfrac12 \| w \odot (A a - s) \|_2^2 + \lambda\, g(a), \f]
 * so with the soft transfer LCA converges to the same l1 optimum as FISTA and ADMM (Balavoine,
 * Romberg and Rozell, "Convergence and rate analysis of neural networks for sparse
 * approximation", IEEE TNNLS 2012); with the hard transfer it stops at a fixed point of its
 * dynamics when the kernels have unit l2 norm, as LCA assumes (with other norms the state a
 * neuron settles at inside the support and outside it disagree, and the dynamics can cycle).
 * It is an unaccelerated method: on a 64x64 crop of the shared barbara case (G:8x8x32,
 * lambda 0.05) it needs about 6900 iterations to come within 1e-4 of the optimum, FISTA about
 * 2000 to 1e-9 (BENCHMARKS.md).
 *
 * The state starts at u0 = x0 + A^T W^2 (s - A x0) for the warm start x0 (zero by default: u0 =
 * A^T W^2 s, whose transfer is the thresholding pursuit), which is the fixed point's state when
 * x0 is a solution; with WarmStartFromState, a Solve() on an operator of the same shape starts
 * from the previous run's state instead (a video whose state carries over from frame to frame).
 * The loop stops when ||-u + a + A^T W^2 (s - A a)|| / ||u|| (the PrimalResidual) falls below
 * the RelativeTolerance. One iteration costs 2K + 2 FFTs.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT LCASparseCodingSolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(LCASparseCodingSolver);

  using Self = LCASparseCodingSolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(LCASparseCodingSolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::OperatorType;
  using typename Superclass::RealBufferType;

  /** The Euler step tau of the dynamics; 0 (default) takes 1 / max(1, L), L the Lipschitz
   * constant of the data term's gradient, which keeps every mode of the linearised dynamics
   * stable. */
  itkSetMacro(Step, double);
  itkGetConstMacro(Step, double);
  /** The step in use. */
  double
  GetCurrentStep() const
  {
    return m_CurrentStep;
  }

  /** Start from the last Solve()'s state u when its shape matches. Default off. */
  itkSetMacro(WarmStartFromState, bool);
  itkGetConstMacro(WarmStartFromState, bool);
  itkBooleanMacro(WarmStartFromState);

  /** The internal state u on the domain (K channels spaced GetSpatialStride()). */
  const RealType *
  GetDomainState() const
  {
    return m_U.data();
  }

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_A.data();
  }

  void
  ReleaseWorkBuffers() override
  {
    m_Drive = RealBufferType();
    m_Image = RealBufferType();
  }

protected:
  LCASparseCodingSolver() = default;
  ~LCASparseCodingSolver() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  LightObject::Pointer
  InternalClone() const override;

  void
  Initialize() override;
  void
  Iterate() override;
  bool
  Converged() const override;

private:
  /** a = T(u) with the support mask, then the drive A^T W^2 (s - A a); records the statistics of a
   * and the relative velocity of the dynamics. */
  void
  TransferAndDrive();

  double m_Step{ 0.0 };
  bool   m_WarmStartFromState{ false };
  double m_CurrentStep{ 1.0 };
  double m_RelativeVelocity{ 1.0 };

  RealBufferType m_U;
  RealBufferType m_A;
  RealBufferType m_Drive;
  RealBufferType m_Image;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkLCASparseCodingSolver.hxx"
#endif

#endif
