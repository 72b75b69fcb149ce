#ifndef itkConvolutionalDictionaryUpdate_h
#define itkConvolutionalDictionaryUpdate_h

#include "itkDictionaryProjection.h"
#include "itkProcessCommunicator.h"
#include "itkMultiChannelFourierConvolution.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include <vector>

namespace itk
{
/** \class ConvolutionalDictionaryUpdate
 * \brief The dictionary step of convolutional dictionary learning: projected FISTA on
 * \f[ \min_{d_k \in C} \sum_i \tfrac12 \| \textstyle\sum_k x_{i,k} \circledast d_k - s_i \|^2 \f]
 * for fixed coefficient maps x_i.
 *
 * It runs on the coding operator's domain with the roles swapped: the maps' spectra X_i are
 * computed once (AddSample()), each step embeds the kernels in the domain (the operator's
 * UpdateKernelValues(), so the operator ends holding the new dictionary), forms the residual
 * spectra, correlates them with the maps, and takes the kernel taps of the inverse transform
 * (the adjoint of the embedding). With zero-padded boundaries the residual is masked to the
 * image in the spatial domain (two more FFTs per image).
 *
 * The step is 1/L with L the largest eigenvalue of sum_i X_i(f)^H X_i(f) over the
 * frequencies f. That matrix has rank at most I (images), so L is computed exactly from the
 * I x I Gram matrix of each frequency when I <= 16, and bounded by its trace otherwise.
 *
 * References: Garcia-Cardona and Wohlberg, "Convolutional dictionary learning: A comparative
 * review and new algorithms", IEEE Trans. Comput. Imaging 4(3), 2018 (the ADMM update CCMOD and
 * its per-frequency solves); Beck and Teboulle, "A fast iterative shrinkage-thresholding
 * algorithm for linear inverse problems", SIAM J. Imaging Sci. 2(1), 2009 (the projected FISTA).
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT ConvolutionalDictionaryUpdate : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ConvolutionalDictionaryUpdate);
  using Self = ConvolutionalDictionaryUpdate;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(ConvolutionalDictionaryUpdate, Object);

  using RealType = TReal;
  using OperatorType = MultiChannelFourierConvolution<RealType>;
  using ComplexType = typename OperatorType::ComplexType;
  using RealBufferType = typename OperatorType::RealBufferType;
  using ComplexBufferType = typename OperatorType::ComplexBufferType;
  using ProjectionType = DictionaryProjection<RealType>;
  using KernelsType = std::vector<RealType>;

  /** The coding operator (initialised); its kernels follow the dictionary. */
  void
  SetOperator(OperatorType * op)
  {
    m_Operator = op;
    m_Samples.clear();
    m_SpareSamples.clear();
    m_ClearedSamples = 0;
    m_Lipschitz = 0;
    m_Factorized = false;
  }
  void
  SetProjection(const ProjectionType & projection)
  {
    projection.Validate();
    m_Projection = projection;
  }
  const ProjectionType &
  GetProjection() const
  {
    return m_Projection;
  }

  void
  ClearSamples()
  {
    // Spares are reused last in, first out: pushed in reverse, the next round's sample i takes
    // this round's sample i's buffers (see GetClearedCoefficientSpectra()).
    m_SparesBeforeClear = m_SpareSamples.size();
    m_ClearedSamples = m_Samples.size();
    for (auto sample = m_Samples.rbegin(); sample != m_Samples.rend(); ++sample)
    {
      m_SpareSamples.push_back(std::move(*sample));
    }
    m_Samples.clear();
    m_Lipschitz = 0;
    m_Factorized = false;
  }
  /** Adds an image (image-sized) and its K coefficient maps on the operator's domain. */
  void
  AddSample(const RealType * image, const RealType * domainCoefficients);
  unsigned int
  GetNumberOfSamples() const
  {
    return static_cast<unsigned int>(m_Samples.size());
  }
  /** The coefficient spectra (K channels) of the i-th sample added before the last
   * ClearSamples(), while they are still there: AddSample() reuses sample i's buffers when it
   * adds the i-th sample again. Null when they are gone. A continued coding run of that image
   * reads them (ADMMSparseCodingSolver::SetSpectraOfCoefficientsForResume()) instead of
   * transforming its maps again. */
  const ComplexType *
  GetClearedCoefficientSpectra(size_t i) const
  {
    // Cleared sample i sits at m_SparesBeforeClear + m_ClearedSamples - 1 - i until popped.
    const size_t position = m_SparesBeforeClear + m_ClearedSamples - 1 - i;
    if (i < m_Samples.size() || i >= m_ClearedSamples || position >= m_SpareSamples.size() || m_Operator.IsNull())
    {
      return nullptr;
    }
    const auto & spectra = m_SpareSamples[position].CoefficientSpectra;
    const bool   sized = spectra.size() == m_Operator->GetNumberOfKernels() * m_Operator->GetSpectralStride();
    return sized ? spectra.data() : nullptr;
  }

  /** Projects every kernel onto the constraint set. */
  void
  ProjectKernels(KernelsType & kernels) const;
  /** The data term at the kernels. */
  double
  Evaluate(const KernelsType & kernels);
  /** The data term and its gradient (per kernel tap) at the kernels. */
  double
  EvaluateWithGradient(const KernelsType & kernels, KernelsType & gradient);
  /** L, see the class description. */
  double
  GetLipschitzConstant();
  /** \c steps projected gradient steps from the kernels (FISTA momentum unless off), step
   * stepScale / L. Leaves the operator holding the result. Returns the data term at the last
   * point where it was evaluated (the last extrapolated point). */
  double
  Run(KernelsType & kernels, unsigned int steps, bool momentum = true, double stepScale = 1.0);

  /** One Hebbian step (deconvolutional networks with LCA): d -= rate * gradient of the data
   * term, i.e. d_k += rate sum_p r(p + t) x_k(p), then the projection. Leaves the operator
   * holding the result; returns the data term before the step. */
  double
  HebbianStep(KernelsType & kernels, double rate);

  /** True when RunADMM() applies: periodic boundaries (the data term is diagonal in frequency)
   * and at most 32 samples (a Cholesky factor of an I x I matrix per frequency). */
  bool
  CanSolveExactly() const;
  /** \c steps ADMM iterations (Wohlberg's CCMOD): d solves (sum_i X_i^H X_i + rho I) d =
   * sum_i X_i^H s_i + rho (g - u) per frequency, through the Woodbury identity with an I x I
   * Cholesky factor; g is the projection of d + u onto the constraint set (support included);
   * u the scaled dual. The dual is kept between calls, so that one or a few iterations per
   * outer learning iteration continue one ADMM run (as SPORCO does); ResetDual() starts over.
   * The kernels are g on return, and the operator holds them. */
  void
  RunADMM(KernelsType & kernels, unsigned int steps);
  void
  ResetDual()
  {
    m_Dual = RealBufferType();
  }
  /** Online learning (Liu et al. 2017, surrogate variant): folds one image's statistics into
   * the running sums A(f) = sum_i w_i X_i(f)^H X_i(f) (a K x K matrix per frequency) and
   * b(f) = sum_i w_i X_i(f)^H S_i(f), older images weighted down by \c forgetting in [0, 1].
   * Memory: K(K+1)/2 + K spectra, whatever the number of images. Periodic boundaries only. */
  void
  AccumulateSample(const RealType * image, const RealType * domainCoefficients, double forgetting);
  /** ADMM on the surrogate 1/2 d^H A d - Re(b^H d) over the constraint set: a K x K Cholesky
   * solve per frequency and step; rho follows the scale of A (its mean trace over K). The dual
   * is kept between calls. */
  void
  RunSurrogate(KernelsType & kernels, unsigned int steps);
  /** Starts the sums afresh; keep (for batch learning, which accumulates anew every outer
   * iteration) keeps the buffers for the next AccumulateSample() to overwrite. */
  void
  ClearAccumulation(bool keep = false)
  {
    m_Accumulating = false;
    if (!keep)
    {
      m_Gram = ComplexBufferType();
      m_Cross = ComplexBufferType();
    }
  }
  /** Shares the accumulated update among processes that learn one dictionary together, each
   * accumulating its own images (null, the default: alone). The frequencies are split evenly
   * among the processes: SumAccumulation() leaves each the sums of A and b over all processes for
   * its own frequencies, and RunAccumulatedADMM() solves those and gathers the others' solved
   * spectra, so that every process takes the same steps. */
  void
  SetCommunicator(ProcessCommunicator * communicator)
  {
    m_Communicator = communicator;
  }
  /** With a communicator: sums the accumulated A and b over the processes, each keeping its own
   * frequencies (a reduce-scatter of F (K(K+1)/2 + K) complex numbers in all, F the number of
   * frequencies, in rounds of at most 2^21 numbers). */
  void
  SumAccumulation();
  /** RunADMM()'s iterations (rho the penalty parameter, the dual kept) solved from the
   * accumulated statistics: (A + rho I) d = b + rho (g - u) with a K x K Cholesky factor per
   * frequency. With A and b accumulated (forgetting 1) over the same images, it solves RunADMM()'s
   * system, so the two agree but for rounding; since A and b are sums over images, it is the
   * update of learning distributed over processes (SetCommunicator(): each step solves this
   * process's frequencies and gathers K F complex numbers in all). */
  void
  RunAccumulatedADMM(KernelsType & kernels, unsigned int steps);

  /** rho of RunADMM(), in the data term's units. Default 10 (SPORCO's example). */
  itkSetMacro(PenaltyParameter, double);
  itkGetConstMacro(PenaltyParameter, double);

protected:
  ConvolutionalDictionaryUpdate() = default;
  ~ConvolutionalDictionaryUpdate() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  double
  Compute(const KernelsType & kernels, KernelsType * gradient);

  struct Sample
  {
    ComplexBufferType CoefficientSpectra; // K channels
    ComplexBufferType SignalSpectrum;     // periodic
    RealBufferType    DomainSignal;       // zero-padded
    ComplexBufferType Residual;           // zero-padded scratch
  };

  /** The I x I Gram matrices B(f) B(f)^H of the samples' map spectra for f in [begin, end),
   * one after another. */
  void
  GramMatrices(SizeValueType begin, SizeValueType end, std::complex<double> * grams) const;
  /** Per frequency: sum_i conj(X_i) S_i, and the Cholesky factor of rho I + B B^H. */
  void
  FactorizeSystem();
  /** RunADMM()'s d-step on the frequencies [begin, end) of v (rho G - U on entry, d on exit). */
  ITK_CSC_VECTOR_CLONES void
  WoodburyBlock(SizeValueType begin, SizeValueType end, const std::vector<const ComplexType *> & stacks,
                ComplexType * v) const;

  typename OperatorType::Pointer    m_Operator;
  ProjectionType                    m_Projection;
  std::vector<Sample>               m_Samples;
  std::vector<Sample>               m_SpareSamples;
  size_t                            m_SparesBeforeClear{ 0 };
  size_t                            m_ClearedSamples{ 0 };
  double                            m_Lipschitz{ 0 };
  double                            m_PenaltyParameter{ 10.0 };
  RealBufferType                    m_Dual;
  RealBufferType                    m_Spatial;        // K channels of scratch
  ComplexBufferType                 m_Spectra;        // K channels of scratch
  ComplexBufferType                 m_SignalSpectrum; // one channel of scratch
  ComplexBufferType                 m_Correlation;
  std::vector<std::complex<double>> m_Factors;
  bool                              m_Factorized{ false };
  ComplexBufferType                 m_Gram;  // packed lower triangle per frequency
  ComplexBufferType                 m_Cross; // K channels
  ProcessCommunicator::Pointer      m_Communicator;
  bool                              m_Accumulating{ false };
  std::vector<RealType>             m_Exchange; // SumAccumulation()'s packed rounds

  /** The ADMM loop shared by RunADMM() and RunSurrogate(): solve(begin, end, v) replaces, for
   * the frequencies f in [begin, end), the spectra v_k(f) of g_k - u_k (channels spaced by the
   * spectral stride) with those of d_k, the solution of the per-frequency system. */
  template <typename TSolve>
  void
  IterateSplitting(KernelsType & kernels, unsigned int steps, TSolve && solve);
  /** The same, with gather(v) called on the solved spectra before their inverse transform. */
  template <typename TSolve, typename TGather>
  void
  IterateSplitting(KernelsType & kernels, unsigned int steps, TSolve && solve, TGather && gather);
  /** IterateSplitting() with the per-frequency K x K solve of the accumulated A and b. */
  void
  IterateAccumulated(KernelsType & kernels, unsigned int steps, double rho);
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkConvolutionalDictionaryUpdate.hxx"
#endif

#endif
