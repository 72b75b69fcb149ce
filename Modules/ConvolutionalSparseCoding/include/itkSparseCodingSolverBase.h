#ifndef itkSparseCodingSolverBase_h
#define itkSparseCodingSolverBase_h

#include "itkMultiChannelFourierConvolution.h"
#include "itkProximalOperator.h"
#include "itkSlabHaloExchange.h"
#include <array>
#include <chrono>
#include <cmath>
#include <mutex>

namespace itk
{
/** \class SparseCodingIterationStatistics
 * \brief What a solver records about one iteration.
 * \ingroup ConvolutionalSparseCoding
 */
struct SparseCodingIterationStatistics
{
  unsigned int Iteration{ 0 };
  /** F(x) = DataFidelity + Lambda * Penalty at the returned (feasible, sparse) iterate. */
  double Objective{ 0 };
  /** 1/2 ||w (A x - s)||^2 over the image. */
  double DataFidelity{ 0 };
  /** g(x), without Lambda. */
  double Penalty{ 0 };
  /** ADMM: ||x - y|| (relative); FISTA: ||x_k - x_{k-1}|| / ||x_k||. */
  double PrimalResidual{ 0 };
  /** ADMM: rho ||y_k - y_{k-1}|| relative to ||rho u||; FISTA: 0. */
  double DualResidual{ 0 };
  /** ADMM: rho; FISTA: the step 1/L. */
  double StepOrPenaltyParameter{ 0 };
  /** Seconds since Solve() started, set-up included. */
  double ElapsedSeconds{ 0 };
};

/** \class NesterovMomentum
 * \brief The one momentum policy of the module's accelerated proximal gradient loops (the FISTA
 * solver, the dictionary update, the source fitter's polish): t_{k+1} = (1 + sqrt(1 + 4 t_k^2))
 * / 2 and extrapolation beta = (t_k - 1) / t_{k+1} (Beck and Teboulle, "A fast iterative
 * shrinkage-thresholding algorithm for linear inverse problems", SIAM J. Imaging Sciences
 * 2009); Restart() starts over (O'Donoghue and Candes, "Adaptive restart for accelerated
 * gradient schemes", Found. Comput. Math. 2015), the caller deciding when.
 * \ingroup ConvolutionalSparseCoding
 */
class NesterovMomentum
{
public:
  /** t = 1 and no extrapolation. */
  void
  Restart()
  {
    m_T = 1.0;
    m_Beta = 0.0;
  }
  /** One step: returns the new extrapolation factor beta. */
  double
  Advance()
  {
    const double next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * m_T * m_T));
    m_Beta = (m_T - 1.0) / next;
    m_T = next;
    return m_Beta;
  }
  double
  GetBeta() const
  {
    return m_Beta;
  }

private:
  double m_T{ 1.0 };
  double m_Beta{ 0.0 };
};

/** \class SparseCodingSolverBase
 * \brief Owns the iteration loop of the convolutional sparse coding solvers.
 *
 * Solves \f[ \min_x \tfrac12 \| w \odot (A x - s) \|_2^2 + \lambda\, g(x) \f]
 * with A a MultiChannelFourierConvolution, g given by a ProximalOperator, and x confined
 * to the image region when the domain is padded (ZeroPadded boundary).
 *
 * The problem is convolutional basis pursuit denoising (Wohlberg, "Efficient algorithms for
 * convolutional sparse representations", IEEE Trans. Image Process. 25(1), 2016) with any
 * prox-friendly penalty; each subclass names the algorithm it follows.
 *
 * Solve() calls Initialize(), then per iteration Iterate(), records the statistics, fires
 * IterationEvent and stops on StopSolving(), after IterationLimit() iterations
 * (MaximumNumberOfIterations unless a solver counts otherwise), or when Converged() says so
 * (the relative tolerance for the iterative solvers, which never converge at tolerance 0).
 * Subclasses add only their step.
 *
 * Inputs are contiguous arrays: images image-sized, coefficients K maps one after another on
 * the operator's coefficient grid (image-sized unless the operator has a stride, whose lattice
 * then confines the coefficients: every solver works with strides). The base pads them to the
 * operator's domain.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT SparseCodingSolverBase : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SparseCodingSolverBase);

  using Self = SparseCodingSolverBase;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkTypeMacro(SparseCodingSolverBase, Object);

  using RealType = TReal;
  using ComplexType = std::complex<TReal>;
  using OperatorType = MultiChannelFourierConvolution<TReal>;
  using ProximalOperatorType = ProximalOperator<TReal>;
  using RealBufferType = typename OperatorType::RealBufferType;
  using ComplexBufferType = typename OperatorType::ComplexBufferType;
  using StatisticsType = SparseCodingIterationStatistics;
  using HaloExchangeType = SlabHaloExchange<TReal>;

  /** The initialised operator A. */
  void
  SetOperator(const OperatorType * op);
  const OperatorType *
  GetOperator() const
  {
    return m_Operator.GetPointer();
  }

  /** The prox of g. */
  itkSetConstObjectMacro(ProximalOperator, ProximalOperatorType);
  itkGetConstObjectMacro(ProximalOperator, ProximalOperatorType);

  /** Lambda >= 0. Default 0.05. */
  itkSetMacro(Lambda, double);
  itkGetConstMacro(Lambda, double);

  /** Default 200. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);

  /** How many times Solve() may call Iterate(): MaximumNumberOfIterations, unless a solver
   * counts otherwise (0 for a one-shot solver, the atom budget for a greedy one). */
  virtual unsigned int
  IterationLimit() const
  {
    return m_MaximumNumberOfIterations;
  }
  /** Stop once the relative primal (and, for ADMM, dual) residual falls below this.
   * 0 disables the test. Default 1e-4. */
  itkSetMacro(RelativeTolerance, double);
  itkGetConstMacro(RelativeTolerance, double);

  /** The image s (image-sized). Required. */
  void
  SetSignal(const RealType * image);
  /** Pixel weights w >= 0 (image-sized); nullptr for none (w = 1). */
  void
  SetWeights(const RealType * weights);
  /** Warm start from K coefficient maps (the operator's coefficient grid: image-sized at stride
   * 1); nullptr to start from zero. */
  void
  SetInitialCoefficients(const RealType * coefficients);

  /** Runs the solver. */
  void
  Solve();
  /** Asks the loop to stop after the current iteration (from an observer). */
  void
  StopSolving()
  {
    m_StopRequested = true;
  }

  /** The solution, K maps on the operator's coefficient grid (image-sized at stride 1). */
  void
  GetCoefficients(RealType * coefficients) const;
  /** A x on the image. */
  virtual void
  GetReconstruction(RealType * image) const;
  /** The solution on the domain (K channels spaced GetSpatialStride()). */
  virtual const RealType *
  GetDomainCoefficients() const = 0;

  /** ZeroPadded only: let coefficients live in the whole padded domain, i.e. sources centred up
   * to a kernel's half-width outside the image (only their part inside the image is fitted).
   * Off (default): coefficients are confined to the image grid. The domain is padded by at least
   * the kernel size, so every pad position stands for exactly one position outside the image.
   * Returned coefficient maps cover the image grid either way. */
  itkSetMacro(CoefficientsBeyondImage, bool);
  itkGetConstMacro(CoefficientsBeyondImage, bool);

  /** Solve one slab of a problem split over processes (SlabHaloExchange): the operator and the
   * signal are the slab's solve region, the statistics (objective, tests) the whole problem's.
   * Only solvers whose steps are local support it (FISTA, without backtracking); nullptr (the
   * default) solves the problem given. */
  itkSetObjectMacro(HaloExchange, HaloExchangeType);
  itkGetModifiableObjectMacro(HaloExchange, HaloExchangeType);
  /** Whether this solver can solve a slab with a halo exchange. */
  virtual bool
  SupportsHaloExchange() const
  {
    return false;
  }

  /** Frees every buffer but the solution, so that a caller copying the solution out does not
   * hold the solver's working memory at the same time. Solve() allocates them again. */
  virtual void
  ReleaseWorkBuffers()
  {}

  /** F at K coefficient-grid maps, computed directly through the operator. */
  virtual double
  EvaluateObjective(const RealType * coefficients) const;

  itkGetConstReferenceMacro(Statistics, StatisticsType);
  itkGetConstReferenceMacro(History, std::vector<StatisticsType>);
  unsigned int
  GetIteration() const
  {
    return m_Statistics.Iteration;
  }
  double
  GetObjective() const
  {
    return m_Statistics.Objective;
  }
  double
  GetDataFidelity() const
  {
    return m_Statistics.DataFidelity;
  }
  double
  GetPenalty() const
  {
    return m_Statistics.Penalty;
  }
  double
  GetPrimalResidual() const
  {
    return m_Statistics.PrimalResidual;
  }
  double
  GetDualResidual() const
  {
    return m_Statistics.DualResidual;
  }
  double
  GetElapsedSeconds() const
  {
    return m_Statistics.ElapsedSeconds;
  }
  /** True when the last Solve() ended on the tolerance test. */
  itkGetConstMacro(Converged, bool);

  /** Lipschitz constant of the gradient of the data term: exact spectral bound times
   * max w^2 in periodic mode, power iteration (capped by that bound) when padded. */
  double
  ComputeLipschitzConstant() const;

protected:
  SparseCodingSolverBase() = default;
  ~SparseCodingSolverBase() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  /** Clone() gives a solver of the same type with the same settings (Lambda, iterations,
   * tolerance, prox, CoefficientsBeyondImage and each subclass's own), without operator,
   * signal or state: how the dictionary learner makes one solver per image from the caller's. */
  LightObject::Pointer
  InternalClone() const override;
  /** The object Superclass::InternalClone() made, as \c TSolver: each subclass's InternalClone()
   * copies its own settings into it. */
  template <typename TSolver>
  static TSolver &
  CloneAs(const LightObject::Pointer & clone)
  {
    auto * solver = dynamic_cast<TSolver *>(clone.GetPointer());
    if (solver == nullptr)
    {
      itkGenericExceptionMacro("A sparse coding solver's clone has another type than the solver");
    }
    return *solver;
  }

  /** Sets up buffers and the statistics of iteration 0. */
  virtual void
  Initialize() = 0;
  /** One iteration; fills m_Statistics except Iteration and ElapsedSeconds. */
  virtual void
  Iterate() = 0;
  /** Whether the tolerance is met after the current iteration. */
  virtual bool
  Converged() const = 0;

  /** g = A^T W^2 (s - A x) on the domain (K channels) for domain coefficients \c x (nullptr:
   * x = 0; \c g nullptr: only the fidelity); returns the data fidelity 1/2 ||w (A x - s)||^2.
   * \c image is a one-channel domain scratch. K + 1 FFTs for A x, K + 1 for A^T. */
  double
  ResidualCorrelation(const RealType * x, RealType * g, RealType * image) const;

  /** True when the data term needs the spatial weights (given weights or a padded domain). */
  bool
  IsWeighted() const
  {
    return m_SquaredWeights.size() > 0;
  }
  /** s on the domain (zero in the pad). */
  const RealType *
  GetDomainSignal() const
  {
    return m_Signal.data();
  }
  /** w^2 on the domain (0 in the pad); empty when unweighted. */
  const RealType *
  GetSquaredWeights() const
  {
    return m_SquaredWeights.data();
  }
  /** 1 where coefficients may be non-zero, nullptr when everywhere. */
  const uint8_t *
  GetSupportMask() const
  {
    if (m_HaloExchange && m_CoefficientsBeyondImage)
    {
      return m_HaloExchange->GetSupportMask(); // beyond the whole image's edges only
    }
    return m_Operator->GetCoefficientSupportMask(m_CoefficientsBeyondImage);
  }
  /** f(from, to, owned) over [begin, end) of the domain pixels, cut where the ranges this process
   * owns begin and end: one owned call unless a halo exchange splits the problem. Sums over the
   * problem are taken over the owned parts. */
  template <typename TFunction>
  void
  ForEachOwnedPart(SizeValueType begin, SizeValueType end, TFunction && f) const
  {
    if (!m_HaloExchange)
    {
      f(begin, end, true);
      return;
    }
    SizeValueType at = begin;
    for (const auto & range : m_HaloExchange->GetOwnedRanges())
    {
      const SizeValueType from = std::clamp(range.first, at, end), to = std::clamp(range.second, at, end);
      if (from > at)
      {
        f(at, from, false);
      }
      if (to > from)
      {
        f(from, to, true);
      }
      at = std::max(at, to);
    }
    if (end > at)
    {
      f(at, end, false);
    }
  }
  /** g over the coefficients this process owns (K domain maps). */
  double
  EvaluateOwnedPenalty(const RealType * x) const
  {
    double penalty = 0;
    this->ForEachOwnedPart(
      0, m_Operator->GetNumberOfDomainPixels(), [&](SizeValueType from, SizeValueType to, bool owned) {
        if (owned)
        {
          penalty +=
            m_ProximalOperator->Evaluate(x, m_Operator->GetSpatialStride(), m_Operator->GetNumberOfKernels(), from, to);
        }
      });
    return penalty;
  }
  /** Sums over the processes sharing a split problem (nothing to do otherwise). */
  template <std::size_t N>
  void
  SumOverProcesses(std::array<double, N> & values) const
  {
    if (m_HaloExchange)
    {
      m_HaloExchange->SumInPlace(values);
    }
  }

  /** Whether SetInitialCoefficients() gave a warm start. */
  bool
  HasInitialCoefficients() const
  {
    return m_ImageInitialCoefficients != nullptr;
  }
  /** Copies the warm start (or zeros) into a domain buffer of K channels. */
  void
  CopyInitialCoefficients(RealType * domainCoefficients) const;

  /** Sums NSums values over [0, n) split into blocks processed in parallel (or one after another
   * \c inThisThread, for a caller already inside a parallel pass): body(begin, end, sums) adds
   * its block's contributions to sums. The same blocks, summed in the same order, either way. */
  template <unsigned int NSums, typename TBody>
  std::array<double, NSums>
  ReduceOverBlocks(SizeValueType n, SizeValueType blockSize, TBody && body, bool inThisThread = false) const
  {
    const SizeValueType                    blocks = (n + blockSize - 1) / blockSize;
    std::vector<std::array<double, NSums>> partial(blocks, std::array<double, NSums>{});
    auto block = [&](SizeValueType b) { body(b * blockSize, std::min(n, (b + 1) * blockSize), partial[b]); };
    if (inThisThread)
    {
      for (SizeValueType b = 0; b < blocks; ++b)
      {
        block(b);
      }
    }
    else
    {
      m_Operator->ParallelFor(blocks, block);
    }
    return SumPartials(partial);
  }

  /** body(i, lane) for i in [begin, end), lane in [0, VLanes): callers keep one partial sum per
   * lane, which lets the compiler vectorise their sums without reassociation flags. */
  template <unsigned int VLanes, typename TBody>
  static void
  ForEachInLanes(SizeValueType begin, SizeValueType end, TBody && body)
  {
    SizeValueType i = begin;
    for (; i + VLanes <= end; i += VLanes)
    {
      for (unsigned int l = 0; l < VLanes; ++l)
      {
        body(i + l, l);
      }
    }
    for (; i < end; ++i)
    {
      body(i, 0);
    }
  }

  /** The same over channels: body(k, sums) handles channel k. */
  template <unsigned int NSums, typename TBody>
  std::array<double, NSums>
  ReduceOverChannels(unsigned int channels, TBody && body) const
  {
    std::vector<std::array<double, NSums>> partial(channels, std::array<double, NSums>{});
    m_Operator->ParallelFor(channels, [&](SizeValueType k) { body(k, partial[k]); });
    return SumPartials(partial);
  }

  template <size_t NSums>
  static std::array<double, NSums>
  SumPartials(const std::vector<std::array<double, NSums>> & partial)
  {
    std::array<double, NSums> total{};
    for (const auto & p : partial)
    {
      for (size_t j = 0; j < NSums; ++j)
      {
        total[j] += p[j];
      }
    }
    return total;
  }

  /** The prox on a block of \c channels channels starting at \c firstChannel: all K channels,
   * or (separable operators) one. */
  void
  ApplyProximal(RealType * v, SizeValueType stride, unsigned int channels, unsigned int firstChannel,
                SizeValueType length, RealType threshold) const
  {
    if (channels == 1 && m_Operator->GetNumberOfKernels() > 1)
    {
      m_ProximalOperator->ApplyToChannel(firstChannel, v, 0, length, threshold);
      return;
    }
    m_ProximalOperator->Apply(v, stride, channels, 0, length, threshold);
  }
  double
  ApplyAndEvaluateProximal(RealType * v, SizeValueType stride, unsigned int channels, unsigned int firstChannel,
                           SizeValueType length, RealType threshold) const
  {
    if (channels == 1 && m_Operator->GetNumberOfKernels() > 1)
    {
      return m_ProximalOperator->ApplyAndEvaluateChannel(firstChannel, v, 0, length, threshold);
    }
    return m_ProximalOperator->ApplyAndEvaluate(v, stride, channels, 0, length, threshold);
  }
  double
  EvaluateProximal(const RealType * v, SizeValueType stride, unsigned int channels, unsigned int firstChannel,
                   SizeValueType length) const
  {
    if (channels == 1 && m_Operator->GetNumberOfKernels() > 1)
    {
      return m_ProximalOperator->EvaluateChannel(firstChannel, v, 0, length);
    }
    return m_ProximalOperator->Evaluate(v, stride, channels, 0, length);
  }

  /** The prox step on a block of pixels [begin, end) that FISTA and ADMM share: fill(c, v)
   * writes the prox argument of channel c (of \c channels from \c firstChannel) at v[i], i in
   * [begin, end); then the prox with \c threshold, the support mask, and the penalty g of the
   * result, which is returned. The result stays in the scratch (channel c at c * scratchStride). */
  template <typename TFill>
  double
  ProximalBlock(RealType * scratch, SizeValueType scratchStride, unsigned int channels, unsigned int firstChannel,
                SizeValueType begin, SizeValueType end, RealType threshold, TFill && fill) const
  {
    for (unsigned int c = 0; c < channels; ++c)
    {
      fill(c, scratch + c * scratchStride - begin);
    }
    const SizeValueType length = end - begin;
    const uint8_t *     support = this->GetSupportMask();
    if (!support)
    {
      return this->ApplyAndEvaluateProximal(scratch, scratchStride, channels, firstChannel, length, threshold);
    }
    this->ApplyProximal(scratch, scratchStride, channels, firstChannel, length, threshold);
    for (unsigned int c = 0; c < channels; ++c)
    {
      RealType * v = scratch + c * scratchStride - begin;
      for (SizeValueType i = begin; i < end; ++i)
      {
        v[i] = support[i] ? v[i] : RealType(0);
      }
    }
    return this->EvaluateProximal(scratch, scratchStride, channels, firstChannel, length);
  }

  /** A scratch buffer for one parallel task; returned to the pool by its destructor. */
  class ScratchLease
  {
  public:
    ScratchLease(const Self * owner, SizeValueType size);
    ~ScratchLease();
    ScratchLease(const ScratchLease &) = delete;
    ScratchLease &
    operator=(const ScratchLease &) = delete;
    RealType *
    data()
    {
      return m_Buffer->data();
    }

  private:
    const Self *                    m_Owner;
    std::unique_ptr<RealBufferType> m_Buffer;
  };

  /** The exact data fidelity 1/2 ||w (A x - s)||^2 of domain coefficients, using the
   * caller's scratch (K spectral channels, one spatial channel). */
  double
  ComputeDataFidelity(const RealType * domainCoefficients, ComplexType * spectralScratch,
                      RealType * spatialScratch) const;

  StatisticsType m_Statistics;

private:
  typename OperatorType::ConstPointer         m_Operator;
  typename ProximalOperatorType::ConstPointer m_ProximalOperator;
  double                                      m_Lambda{ 0.05 };
  bool                                        m_CoefficientsBeyondImage{ false };
  typename HaloExchangeType::Pointer          m_HaloExchange;
  unsigned int                                m_MaximumNumberOfIterations{ 200 };
  double                                      m_RelativeTolerance{ 1e-4 };
  const RealType *                            m_ImageSignal{ nullptr };
  const RealType *                            m_ImageWeights{ nullptr };
  const RealType *                            m_ImageInitialCoefficients{ nullptr };
  RealBufferType                              m_Signal;
  RealBufferType                              m_SquaredWeights;
  bool                                        m_StopRequested{ false };
  bool                                        m_Converged{ false };
  std::vector<StatisticsType>                 m_History;

  mutable std::mutex                                   m_ScratchMutex;
  mutable std::vector<std::unique_ptr<RealBufferType>> m_ScratchPool;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSparseCodingSolverBase.hxx"
#endif

#endif
