#ifndef itkADMMSparseCodingSolver_h
#define itkADMMSparseCodingSolver_h

#include "itkSparseCodingSolverBase.h"
#include <functional>

namespace itk
{
/** \class ADMMSparseCodingSolver
 * \brief ADMM for convolutional basis pursuit denoising, with the exact per-frequency
 * x-step.
 *
 * Unweighted periodic problems use the split x = y (Wohlberg, "Efficient algorithms for
 * convolutional sparse representations", IEEE TIP 2016):
 * \f[ \hat x = (\hat D^H \hat D + \rho I)^{-1} (\hat D^H \hat s + \rho(\hat y - \hat u)) \f]
 * solved per frequency by Sherman-Morrison, then y = prox_{lambda/rho g}(alpha x +
 * (1-alpha) y + u) and u += alpha x + (1-alpha) y_old - y.
 *
 * Weighted or zero-padded problems use mask decoupling (Heide et al. 2015; Wohlberg's
 * ConvBPDNMaskDcpl): y0 = x, y1 = A x - s, with the weights acting on y1 pointwise, and the
 * x-step (D^H D + I) x = D^H (s + y1 - u1) + (y0 - u0), again by Sherman-Morrison.
 *
 * Over-relaxation alpha (default 1.8) and residual balancing of rho (the scaling is sqrt of
 * the residual ratio, Wohlberg 2017) cut the iteration count; changing rho costs nothing
 * because Sherman-Morrison needs no factorisation, and in the unweighted case a new rho acts
 * on the very next x-step, as in SPORCO, without transforming the rescaled u. The automatic
 * policy (the default) is SPORCO's for plain l1 problems (unweighted, l1 or non-negative l1): balancing every
 * iteration towards primal = xi dual residual, xi = 1 + 18.3^(log10(lambda/lambda_max) + 1)
 * (Wohlberg, "ADMM penalty parameter selection by residual balancing", 2015, Sec. VI.C; its
 * lambda made scale-free by lambda_max = ||D^T s||_inf, which costs K + 1 FFTs once). Other
 * problems balance every 10 iterations towards xi = 1.
 *
 * One iteration costs 2K FFTs (2K + 3 when weighted) and one pass over the K channels:
 * Sherman-Morrison gives x_k = b_k + conj(h_k) q with one q per frequency, so each channel
 * finishes its x-step, runs its inverse FFT, prox, dual update and forward FFT, and adds its
 * share of D(y - u) = sum_k h_k b_k for the next q, all while it is in cache (channels are
 * split into one contiguous group per work unit, each group with its own accumulator). Only
 * q is computed in a separate, single-channel pass. The objective reported is that of the
 * returned y, obtained without more FFTs: D y follows from D(y - u) by linearity. A run
 * resumed with a new dictionary computes D y once (SetSpectraOfCoefficientsForResume()).
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT ADMMSparseCodingSolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ADMMSparseCodingSolver);

  using Self = ADMMSparseCodingSolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(ADMMSparseCodingSolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::ComplexType;
  using typename Superclass::OperatorType;
  using typename Superclass::RealBufferType;
  using typename Superclass::ComplexBufferType;

  /** Initial penalty parameter rho; 0 (default) picks SPORCO's 50 lambda + 1, with lambda
   * relative to lambda_max for plain l1 problems (so that scaling the data does not change the
   * run). Rho (given or adapted) is kept within [1e-5, 1e7] times the dictionary's squared
   * spectral norm. */
  itkSetMacro(Rho, double);
  itkGetConstMacro(Rho, double);

  /** Over-relaxation alpha in [1, 2). Default 1.8. */
  itkSetMacro(RelaxationParameter, double);
  itkGetConstMacro(RelaxationParameter, double);

  /** Adapt rho by residual balancing. Default on. */
  itkSetMacro(AutoRho, bool);
  itkGetConstMacro(AutoRho, bool);
  itkBooleanMacro(AutoRho);

  /** Rho changes when the relative residuals differ by more than this factor. Default 1.2. */
  itkSetMacro(ResidualRatio, double);
  itkGetConstMacro(ResidualRatio, double);

  /** Rho is re-balanced every this many iterations; 0 (default): automatic (1 for plain l1
   * problems, else 10). */
  itkSetMacro(AutoRhoPeriod, unsigned int);
  itkGetConstMacro(AutoRhoPeriod, unsigned int);

  /** No re-balancing after this many iterations, so that ADMM's convergence guarantee
   * (fixed rho) holds eventually. Default 500. */
  itkSetMacro(AutoRhoHorizon, unsigned int);
  itkGetConstMacro(AutoRhoHorizon, unsigned int);

  /** Rho is balanced to make primal residual = target * dual residual; 0 (default):
   * automatic (SPORCO's lambda rule for plain l1 problems, else 1). */
  itkSetMacro(ResidualTarget, double);
  itkGetConstMacro(ResidualTarget, double);

  /** The period and target the last fresh Solve() used (the automatic ones resolved). */
  itkGetConstMacro(EffectiveAutoRhoPeriod, unsigned int);
  itkGetConstMacro(EffectiveResidualTarget, double);

  /** Solve() continues the previous Solve()'s run (its y, scaled dual u and rho) instead of
   * starting from the initial coefficients with u = 0, when the sizes match and the problem
   * is unweighted. For alternating schemes whose operator changes between calls (dictionary
   * learning): a few iterations per call then make one continued ADMM run. Default off. */
  itkSetMacro(ResumePreviousState, bool);
  itkGetConstMacro(ResumePreviousState, bool);
  itkBooleanMacro(ResumePreviousState);

  /** Whether the next Solve() continues the previous run (see ResumePreviousState): set the
   * operator, signal and weights first. The initial coefficients are then not read. */
  bool
  WillResume() const
  {
    const auto * op = this->GetOperator();
    if (!m_ResumePreviousState || op == nullptr || this->IsWeighted())
    {
      return false;
    }
    const SizeValueType K = op->GetNumberOfKernels();
    return m_Y.size() == K * op->GetSpatialStride() && m_U.size() == K * op->GetSpatialStride() &&
           m_Spectra.size() == K * op->GetSpectralStride();
  }

  /** For the next resumed Solve(): the spectra of its coefficient maps y (K channels spaced
   * GetSpectralStride(), as the operator's ForwardFFT() makes them), which a caller may hold
   * already (the dictionary update transforms them). A resumed run needs D y with the new
   * dictionary for its objective; without these spectra it transforms y itself (K FFTs).
   * Read once, by that Solve(); the pointer is then forgotten. */
  void
  SetSpectraOfCoefficientsForResume(const ComplexType * spectra)
  {
    m_GivenSpectraOfY = spectra;
  }

  /** The current rho. */
  double
  GetCurrentRho() const
  {
    return m_CurrentRho;
  }

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_Y.data();
  }

  void
  ReleaseWorkBuffers() override
  {
    for (ComplexBufferType * buffer : { &m_Spectra,
                                        &m_Q,
                                        &m_DBPartial,
                                        &m_SignalSpectrum,
                                        &m_DX,
                                        &m_DY,
                                        &m_DU,
                                        &m_TSpectrum,
                                        &m_DXSpectrum,
                                        &m_DBSpectrum })
    {
      *buffer = ComplexBufferType();
    }
    for (RealBufferType * buffer : { &m_U, &m_X, &m_Y1, &m_U1, &m_T, &m_DXSpatial, &m_DXNext, &m_DB, &m_DY0, &m_DU0 })
    {
      *buffer = RealBufferType();
    }
  }

protected:
  ADMMSparseCodingSolver() = default;
  ~ADMMSparseCodingSolver() override = default;
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
  /** Sums gathered by the y-step. */
  enum YStepSum
  {
    PrimalSquared,
    DualSquared,
    PenaltySum,
    XSquared,
    YSquared,
    USquared,
    NumberOfYStepSums
  };
  using YStepSums = std::array<double, NumberOfYStepSums>;

  /** y-step and u-update on all channels, leaving FFT(y - u) in m_Spectra and the
   * per-group partial sums of D(y - u) in m_DBPartial; \c sideTask (work independent of the
   * channels', or null) runs beside them in the group m_SideTaskGroup, which must exist. */
  YStepSums
  UpdateCoefficients(const std::function<void()> * sideTask);
  /** x_k = IFFT((b_k + conj(h_k) q) / N), in place of b_k's spectrum. */
  void
  FinishXStepChannel(unsigned int k, RealType * x);
  /** b_k = FFT(v), and db += h_k b_k. */
  void
  TransformAndAccumulate(unsigned int k, const RealType * v, ComplexType * db);
  /** Runs body(k, db, sums) over contiguous channel groups in parallel, one D(y - u)
   * accumulator per group, zeroed first; then \c sideTask, if given, in the group of
   * SideTaskGroup(). */
  template <typename TBody>
  YStepSums
  ForEachChannelGroup(TBody && body, const std::function<void()> * sideTask = nullptr);
  /** The group with fewest channels when the groups are unequal (K not a multiple of them): the
   * one with time to spare. Negative when they are equal or there is one group. */
  int
  SideTaskGroup() const;
  /** db = the sum of the groups' partial D(y - u) over a block of frequencies. */
  void
  GatherDB(SizeValueType begin, SizeValueType length, ComplexType * db) const;
  /** The fused y/u update of a block; x and tmp may alias. */
  ITK_CSC_VECTOR_CLONES void
  UpdateBlock(const RealType * x, RealType * y, RealType * u, RealType * tmp, SizeValueType stride, RealType * scratch,
              SizeValueType scratchStride, unsigned int channels, unsigned int firstChannel, SizeValueType begin,
              SizeValueType end, YStepSums & sums) const;
  /** Unweighted: the x-step's per-frequency factor q for penalty parameter xStepRho, plus the
   * data fidelity of y (returned) unless first; yStepDualScale is the scale the last y-step
   * applied to u (for tracking D y and D u). */
  double
  SolvePlainXStep(bool first, double xStepRho, double yStepDualScale);
  /** SolvePlainXStep() on the frequencies [begin, end); returns their share of the data term.
   * \c exactDY: D y when a resumed run starts (D u = D y - D(y - u)), else null. */
  ITK_CSC_VECTOR_CLONES RealType
  PlainXStepBlock(SizeValueType begin, SizeValueType end, bool first, RealType rho, RealType gamma,
                  const ComplexType * exactDY);
  /** A resumed run's D y (into m_ResumedDY) and D(y - u) (into m_DBPartial) with the new
   * dictionary. */
  void
  ComputeResumedProducts();
  /** Weighted: the split residual's buffers, y1 = D y - s, and the first x-step; returns the
   * data fidelity of y. */
  double
  StartMaskedSplitting();
  /** Weighted: y1-step; returns {primal^2, dual^2, (Ax-s)^2, y1^2, u1^2}, summed over the same
   * blocks in the same order in parallel or \c inThisThread. */
  std::array<double, 5>
  UpdateResidualSplit(bool inThisThread);
  ITK_CSC_VECTOR_CLONES void
  ResidualSplitBlock(SizeValueType begin, SizeValueType end, std::array<double, 5> & sums);
  /** Weighted: the x-step's q, D x into m_DXNext, D(y0 - u0) into m_DB. */
  void
  SolveMaskedXStep();
  ITK_CSC_VECTOR_CLONES void
  MaskedXStepBlock(SizeValueType begin, SizeValueType end, RealType invN);
  /** Weighted: tracks D y0 and returns its data fidelity. */
  double
  TrackMaskedObjective();
  ITK_CSC_VECTOR_CLONES double
  TrackMaskedBlock(SizeValueType begin, SizeValueType end);
  /** The relative residuals, and a new rho (with the scale for u, m_DualScale) when due. */
  void
  BalanceRho(const YStepSums & sums, const std::array<double, 5> & split);
  void
  RecordStatistics(const YStepSums & sums, double dataFidelity);
  /** Resolves the automatic balancing period and residual target for a fresh run; returns the
   * scale the automatic initial rho takes lambda relative to (lambda_max, or 1). */
  double
  ChooseBalancingPolicy();

  double       m_Rho{ 0.0 };
  double       m_RelaxationParameter{ 1.8 };
  bool         m_AutoRho{ true };
  double       m_ResidualRatio{ 1.2 };
  double       m_ResidualTarget{ 0.0 };
  unsigned int m_AutoRhoPeriod{ 0 };
  double       m_EffectiveResidualTarget{ 1.0 };
  unsigned int m_EffectiveAutoRhoPeriod{ 10 };
  unsigned int m_AutoRhoHorizon{ 500 };
  unsigned int m_IterationCount{ 0 };
  bool         m_ResumePreviousState{ false };

  double m_CurrentRho{ 1.0 };
  double m_MinimumRho{ 0.0 };
  double m_MaximumRho{ 0.0 };
  double m_DualScale{ 1.0 };
  // Unweighted: x = IFFT(b + conj(h) q) + m_XCorrection u, when the x-step used a new rho.
  double m_XCorrection{ 0.0 };
  double m_YPenalty{ 0.0 };
  double m_RelativePrimal{ 1.0 };
  double m_RelativeDual{ 1.0 };

  // FFT(y - u) per channel; the x-step is finished channel by channel from it and m_Q.
  ComplexBufferType m_Spectra;
  ComplexBufferType m_Q;
  ComplexBufferType m_DBPartial;
  unsigned int      m_NumberOfChannelGroups{ 1 };
  int               m_SideTaskGroup{ -1 }; // SideTaskGroup() of this run
  RealBufferType    m_Y;
  RealBufferType    m_U;
  RealBufferType    m_X;
  // Unweighted: spectra of s, D x, D y and D u.
  ComplexBufferType m_SignalSpectrum;
  ComplexBufferType m_DX;
  ComplexBufferType m_DY;
  ComplexBufferType m_DU;
  // Kept between resumed runs (a movie-sized spectrum for large images); valid while ready.
  ComplexBufferType   m_ResumedDY;
  bool                m_ResumedDYReady{ false };
  const ComplexType * m_GivenSpectraOfY{ nullptr };
  // Weighted: y1, u1, s + y1 - u1, D x (current and next), D(y0 - u0), D y0, D u0.
  RealBufferType    m_Y1;
  RealBufferType    m_U1;
  RealBufferType    m_T;
  ComplexBufferType m_TSpectrum;
  ComplexBufferType m_DXSpectrum;
  ComplexBufferType m_DBSpectrum;
  RealBufferType    m_DXSpatial;
  RealBufferType    m_DXNext;
  RealBufferType    m_DB;
  RealBufferType    m_DY0;
  RealBufferType    m_DU0;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkADMMSparseCodingSolver.hxx"
#endif

#endif
