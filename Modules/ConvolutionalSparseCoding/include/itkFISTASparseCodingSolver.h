#ifndef itkFISTASparseCodingSolver_h
#define itkFISTASparseCodingSolver_h

#include "itkSparseCodingSolverBase.h"

namespace itk
{
/** \class FISTASparseCodingSolver
 * \brief FISTA (accelerated proximal gradient) for convolutional sparse coding.
 *
 * \f[ x_{k+1} = \mathrm{prox}_{\lambda/L\, g}\!\left(z_k - \tfrac1L A^T W^2 (A z_k - s)\right),\quad
 *     t_{k+1} = \tfrac{1 + \sqrt{1 + 4 t_k^2}}{2},\quad
 *     z_{k+1} = x_{k+1} + \tfrac{t_k - 1}{t_{k+1}} (x_{k+1} - x_k) \f]
 * (Beck and Teboulle 2009). L is the exact spectral bound in periodic mode and a power
 * iteration when padded (SparseCodingSolverBase::ComputeLipschitzConstant()), or given.
 *
 * Adaptive restart (O'Donoghue and Candes 2015, gradient scheme; default on) resets the
 * momentum when (z_k - x_{k+1})^T (x_{k+1} - x_k) > 0. Backtracking (default off) raises L by
 * BacktrackingFactor until the quadratic upper bound holds; it costs K extra FFTs per trial.
 *
 * One iteration costs 2K FFTs (2K + 2 when weighted). The objective of x_{k+1} comes from
 * A z_{k+1} = (1 + beta) A x_{k+1} - beta A x_k, which the gradient needs anyway.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT FISTASparseCodingSolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(FISTASparseCodingSolver);

  using Self = FISTASparseCodingSolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(FISTASparseCodingSolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::ComplexType;
  using typename Superclass::OperatorType;
  using typename Superclass::RealBufferType;
  using typename Superclass::ComplexBufferType;

  /** Default on. */
  itkSetMacro(AdaptiveRestart, bool);
  itkGetConstMacro(AdaptiveRestart, bool);
  itkBooleanMacro(AdaptiveRestart);

  /** Default off. */
  itkSetMacro(Backtracking, bool);
  itkGetConstMacro(Backtracking, bool);
  itkBooleanMacro(Backtracking);

  /** Factor by which backtracking raises L. Default 2. */
  itkSetMacro(BacktrackingFactor, double);
  itkGetConstMacro(BacktrackingFactor, double);

  /** L; 0 (default) computes it. */
  itkSetMacro(LipschitzConstant, double);
  itkGetConstMacro(LipschitzConstant, double);

  /** The L in use. */
  double
  GetCurrentLipschitzConstant() const
  {
    return m_CurrentLipschitz;
  }

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_X.data();
  }

  /** Its gradient steps are pixel by pixel: it solves slabs of a split problem. */
  bool
  SupportsHaloExchange() const override
  {
    return !m_Backtracking;
  }

  void
  ReleaseWorkBuffers() override
  {
    for (ComplexBufferType * buffer : { &m_Spectra, &m_SignalSpectrum, &m_AX, &m_ResidualSpectrum })
    {
      *buffer = ComplexBufferType();
    }
    for (RealBufferType * buffer :
         { &m_XPrevious, &m_Gradient, &m_XNew, &m_BacktrackingScratch, &m_AXSpatial, &m_Residual })
    {
      *buffer = RealBufferType();
    }
  }

protected:
  FISTASparseCodingSolver() = default;
  ~FISTASparseCodingSolver() override = default;
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
  enum StepSum
  {
    RestartProduct,
    ChangeSquared,
    XSquared,
    PenaltySum,
    GradientProduct,
    DistanceSquared,
    NumberOfStepSums
  };
  using StepSums = std::array<double, NumberOfStepSums>;

  /** Proximal gradient step from z to x_{k+1}. */
  StepSums
  ProximalStep();
  /** xn = prox(z - g / L) on a block; commits xp = x, x = xn unless out is given. */
  void
  StepBlock(RealType * x, RealType * xp, const RealType * g, RealType * out, SizeValueType stride, RealType * scratch,
            SizeValueType scratchStride, unsigned int channels, unsigned int firstChannel, SizeValueType begin,
            SizeValueType end, StepSums & sums) const;
  /** z = x + beta (x - xp), its spectrum, the gradient spectrum; returns {f(x), f(z)}.
   * Weighted, it stops at the spectrum of the weighted residual. */
  std::array<double, 2>
  ComputeGradient(bool first);
  /** The gradient of the data term for channel k, in the spatial domain. */
  void
  GradientChannel(unsigned int k, RealType * g);

  bool   m_AdaptiveRestart{ true };
  bool   m_Backtracking{ false };
  double m_BacktrackingFactor{ 2.0 };
  double m_LipschitzConstant{ 0.0 };

  double           m_CurrentLipschitz{ 1.0 };
  NesterovMomentum m_Momentum;
  double           m_DataAtZ{ 0.0 };
  double           m_RelativeChange{ 1.0 };

  RealBufferType    m_X;
  RealBufferType    m_XPrevious;
  RealBufferType    m_Gradient;
  RealBufferType    m_XNew;
  RealBufferType    m_BacktrackingScratch;
  ComplexBufferType m_Spectra;
  ComplexBufferType m_SignalSpectrum;
  ComplexBufferType m_AX;
  RealBufferType    m_AXSpatial;
  RealBufferType    m_Residual;
  ComplexBufferType m_ResidualSpectrum;
  ComplexBufferType m_PartialSums;
  RealBufferType    m_PartialResiduals;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkFISTASparseCodingSolver.hxx"
#endif

#endif
