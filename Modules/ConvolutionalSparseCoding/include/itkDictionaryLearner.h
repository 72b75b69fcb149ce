#ifndef itkDictionaryLearner_h
#define itkDictionaryLearner_h

#include "itkConvolutionalDictionaryUpdate.h"
#include "itkConvolutionalSparseCodingEnums.h"
#include "itkProcessCommunicator.h"
#include "itkSparseCodingSolverFactory.h"
#include "itkImage.h"
#include "itkMemoryEstimate.h"
#include "itkMultiChannelFourierConvolution.h"
#include "itkProcessObject.h"
#include <array>
#include <chrono>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace itk
{
/** \class DictionaryLearner
 * \brief Convolutional dictionary learning from one or many N-D images.
 *
 * Learns K kernels d_k (each supported on the given kernel size) minimising
 * \f[ \sum_i \tfrac12 \| \textstyle\sum_k d_k \circledast x_{i,k} - s_i \|_2^2
 *     + \lambda \sum_{i,k} \|x_{i,k}\|_1 \f]
 * (Garcia-Cardona and Wohlberg, "Convolutional dictionary learning: A comparative review and
 * new algorithms", IEEE Trans. Comput. Imaging 4(3), 2018)
 * over the coefficient maps x (optionally non-negative) and the dictionary, each kernel in
 * the constraint set of DictionaryProjection (norm, zero mean, non-negativity). The learner
 * composes the core: the coding step is a coding solver (ADMM by default, FISTA, or a solver
 * object given to SetCodingSolver) with the
 * dictionary fixed, and the dictionary update (ConvolutionalDictionaryUpdate) runs on the same
 * Fourier-domain operator with the roles of kernels and maps swapped. In batch mode both steps
 * continue one ADMM run each across outer iterations (y, dual and rho are kept while the other
 * variable changes), as SPORCO's cbpdndl does, so that a couple of iterations of each per
 * outer iteration suffice.
 *
 * The dictionary update is chosen by measurement (BENCHMARKS.md, SPORCO's case): ADMM with the
 * exact per-frequency solve (Woodbury identity, an I x I Cholesky factor per frequency for I
 * images) when the boundary is periodic and I <= 32; projected FISTA otherwise (zero-padded
 * boundaries make the data term non-diagonal in frequency). On the 5-image case, 20 outer
 * iterations reach an objective of 372 in 11 s with 5 FISTA dictionary steps each, 362 in
 * 4.7 s with one ADMM step; with continued ADMM coding, 100 outer iterations give F(D) = 304.0.
 *
 * Batch mode (default) keeps every training image and its maps in memory. Online mode
 * (SetTrainingFileNames() with Online on) streams the images from disk one at a time (Liu,
 * Garcia-Cardona, Wohlberg and Yin, "Online convolutional dictionary learning", 2017,
 * surrogate variant): each image is coded with the current dictionary, its statistics
 * X^H X and X^H s are folded into running sums per frequency (older images weighted down so
 * that about one epoch counts), and the dictionary takes DictionaryIterations ADMM steps on
 * that surrogate. Memory is K(K+1)/2 + K spectra plus one image, independent of the number
 * of images. With zero-padded boundaries it takes a projected gradient step on each image's
 * data term instead (step 1/(L_i sqrt(epoch))).
 *
 * Strides (SetStride, as deconvolutional networks, Schultz, Paiton, Lu and Kenyon, "Replicating
 * kernels with a short stride allows sparse reconstructions with fewer independent kernels",
 * arXiv:1406.4205, 2014): the maps live on the coarse lattice of the coding operator. Maps
 * cannot then move by one pixel, so recentring and canonicalisation are skipped. Online
 * learning may take the paper's Hebbian step instead of the surrogate
 * (SetHebbianLearningRate), with any coding solver (LCA as the paper).
 *
 * Batch learning recentres drifted kernels every SetRecentringInterval() outer iterations,
 * which frees kernels caught on support-cut shifted copies of a pattern (see there).
 *
 * Distributed learning (SetCommunicator(), DiCoDiLe's idea: Moreau and Gramfort, IEEE TPAMI
 * 2020): processes each holding some of the training images learn one dictionary together.
 * Each codes its own images and accumulates the dictionary update's per-frequency statistics
 * A(f) = sum_i X_i^H X_i and b(f) = sum_i X_i^H S_i over them; the statistics are summed over
 * the processes, each keeping a share of the frequencies, and the ADMM steps of the update
 * (ConvolutionalDictionaryUpdate::RunAccumulatedADMM(), the system RunADMM() solves) solve each
 * share where it is and gather the solved spectra, so all processes hold the dictionary one
 * process would learn from all the images, but for rounding. The learning curve and the
 * kernels' usage (canonical order) are summed too. Batch mode with the periodic boundary only
 * (the statistics are per frequency only then); the images must be of one size on every
 * process. Per outer iteration each process hands the collective steps F (K(K+1)/2 + K) complex
 * numbers (reduce-scatter) and K F per dictionary step (all-gather), F the number of
 * frequencies, plus a few sums.
 *
 * After learning the dictionary is canonicalised (SetCanonicalize): each kernel is shifted so
 * that its centre of energy (or largest tap) sits at the kernel centre, as far as its
 * support allows, with the opposite shift applied to its maps; its sign is fixed so that the
 * largest-magnitude tap is positive (the maps flip with it; not with non-negative maps);
 * kernels are ordered by usage (the l1 norm of their maps). None of this changes the model:
 * d * x is invariant under the joint shift, sign and order (exactly so with periodic
 * boundaries; with zero-padded ones maps shifted across the border are recomputed).
 *
 * Input: the training images (AddTrainingImage(), all of one size in batch mode), or file
 * names; optional initial dictionary (SetInitialDictionary, (N+1)-D, last axis = kernel).
 * Output 0: the dictionary as an (N+1)-D image, last axis the kernel index (the layout every
 * filter of the module reads; kernel origin at its centre). Also: the learning curve
 * (objective, data fidelity and penalty after each outer iteration's coding step, i.e. at
 * the pair (D_t, X_t)) and the last batch's coefficient maps.
 *
 * IterationEvent after every outer iteration, ProgressEvent with it; AbortGenerateData stops
 * after the current outer iteration and raises ProcessAborted.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TImage, typename TRealType = float>
class ITK_TEMPLATE_EXPORT DictionaryLearner : public ProcessObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(DictionaryLearner);

  static constexpr unsigned int ImageDimension = TImage::ImageDimension;
  using TrainingImageType = TImage;
  using RealType = TRealType;
  using DictionaryImageType = Image<RealType, ImageDimension + 1>;
  using CoefficientImageType = DictionaryImageType;
  using KernelSizeType = Size<ImageDimension>;
  using NormEnum = ConvolutionalSparseCodingEnums::KernelNormConstraint;
  using CentreEnum = ConvolutionalSparseCodingEnums::KernelCentre;
  using SolverEnum = ConvolutionalSparseCodingEnums::Solver;
  using BoundaryEnum = ConvolutionalSparseCodingEnums::Boundary;
  using OperatorType = MultiChannelFourierConvolution<RealType>;
  using StrideType = Size<ImageDimension>;

  using Self = DictionaryLearner;
  using Superclass = ProcessObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(DictionaryLearner, ProcessObject);

  /** One point of the learning curve. */
  struct CurvePoint
  {
    double Objective{ 0 };
    double DataFidelity{ 0 };
    double Penalty{ 0 };
    double Seconds{ 0 };
  };

  /** Adds a training image (batch mode). */
  void
  AddTrainingImage(const TrainingImageType * image);
  unsigned int
  GetNumberOfTrainingImages() const;
  /** Training images read from disk one at a time (online mode streams them; batch mode
   * reads them all first). */
  void
  SetTrainingFileNames(const std::vector<std::string> & names)
  {
    m_TrainingFileNames = names;
    this->Modified();
  }
  itkSetInputMacro(InitialDictionary, DictionaryImageType);
  itkGetInputMacro(InitialDictionary, DictionaryImageType);

  /** Number of kernels K >= 1 (ignored with an initial dictionary). Default 16. */
  itkSetMacro(NumberOfKernels, unsigned int);
  itkGetConstMacro(NumberOfKernels, unsigned int);
  /** Kernel size (ignored with an initial dictionary). Default 8 along every axis. */
  itkSetMacro(KernelSize, KernelSizeType);
  itkGetConstMacro(KernelSize, KernelSizeType);
  /** Lambda > 0. Default 0.1. */
  itkSetMacro(Lambda, double);
  itkGetConstMacro(Lambda, double);
  /** Non-negative coefficient maps. Default off. */
  itkSetMacro(NonNegativeCoefficients, bool);
  itkGetConstMacro(NonNegativeCoefficients, bool);
  itkBooleanMacro(NonNegativeCoefficients);
  /** Outer iterations (epochs in online mode). Default 100. */
  itkSetMacro(NumberOfIterations, unsigned int);
  itkGetConstMacro(NumberOfIterations, unsigned int);
  /** Coding-solver iterations per outer iteration (batch; ADMM continues its run). Default 2. */
  itkSetMacro(CodingIterations, unsigned int);
  itkGetConstMacro(CodingIterations, unsigned int);
  /** Coding-solver iterations per image in online mode (cold start). Default 50. */
  itkSetMacro(OnlineCodingIterations, unsigned int);
  itkGetConstMacro(OnlineCodingIterations, unsigned int);
  /** Dictionary-update iterations per outer iteration (batch; ADMM continues its run). Default 2:
   * on SPORCO's 5-image case F(D) 301.60 is reached in 120 outer iterations instead of about 194
   * with one, for 10 % more time per iteration (BENCHMARKS.md); on a single 702x574 image with
   * 16 kernels it reaches a lower F(D) in the same time too. */
  itkSetMacro(DictionaryIterations, unsigned int);
  itkGetConstMacro(DictionaryIterations, unsigned int);
  /** rho of the ADMM dictionary update (periodic boundaries, at most 32 images in memory),
   * in the data term's units. Default 10 (SPORCO's example). */
  itkSetMacro(DictionaryPenaltyParameter, double);
  itkGetConstMacro(DictionaryPenaltyParameter, double);
  /** Stop when the objective changes by less than this fraction between outer iterations
   * (batch). Default 0: run all iterations. */
  itkSetMacro(RelativeTolerance, double);
  itkGetConstMacro(RelativeTolerance, double);
  /** Coding solver by name, ADMM (default), FISTA, LCA or Thresholding (CreateSparseCodingSolver()). Replaces a
   * solver object given before. */
  void
  SetCodingSolver(SolverEnum solver)
  {
    if (m_CodingSolver != solver || m_GivenCodingSolver.IsNotNull())
    {
      m_CodingSolver = solver;
      m_GivenCodingSolver = nullptr;
      this->Modified();
    }
  }
  itkGetConstMacro(CodingSolver, SolverEnum);
  /** Coding solver as an object with the caller's own settings: each image gets a Clone() of it
   * (batch learning keeps one per image, so that ADMM continues its run across outer
   * iterations). The learner sets operator, prox, Lambda and iterations. nullptr returns to the
   * enum. */
  void
  SetCodingSolver(SparseCodingSolverBase<RealType> * solver)
  {
    if (m_GivenCodingSolver.GetPointer() != solver)
    {
      m_GivenCodingSolver = solver;
      this->Modified();
    }
  }
  SparseCodingSolverBase<RealType> *
  GetCodingSolverObject()
  {
    return m_GivenCodingSolver.GetPointer();
  }
  /** Periodic (default, SPORCO's) or ZeroPadded. */
  itkSetEnumMacro(Boundary, BoundaryEnum);
  itkGetConstMacro(Boundary, BoundaryEnum);
  /** Kernel norm constraint. Default L2Ball (||d_k||_2 <= 1). */
  itkSetEnumMacro(KernelNorm, NormEnum);
  itkGetConstMacro(KernelNorm, NormEnum);
  /** Zero-mean kernels. Default off. */
  itkSetMacro(ZeroMeanKernels, bool);
  itkGetConstMacro(ZeroMeanKernels, bool);
  itkBooleanMacro(ZeroMeanKernels);
  /** Non-negative kernels. Default off. */
  itkSetMacro(NonNegativeKernels, bool);
  itkGetConstMacro(NonNegativeKernels, bool);
  itkBooleanMacro(NonNegativeKernels);
  /** Stream the training files (SetTrainingFileNames) instead of holding them. Default off. */
  itkSetMacro(Online, bool);
  itkGetConstMacro(Online, bool);
  itkBooleanMacro(Online);
  /** Canonicalise the learned dictionary (see the class description). Default on. */
  itkSetMacro(Canonicalize, bool);
  itkGetConstMacro(Canonicalize, bool);
  itkBooleanMacro(Canonicalize);
  itkSetEnumMacro(CanonicalCentre, CentreEnum);
  itkGetConstMacro(CanonicalCentre, CentreEnum);
  /** Without an initial dictionary, start from patches of the training images at random
   * places (on) or from Gaussian noise (off, default, as SPORCO). Measured on the planted test
   * problem: no better minima than noise. */
  itkSetMacro(InitializeFromPatches, bool);
  itkGetConstMacro(InitializeFromPatches, bool);
  itkBooleanMacro(InitializeFromPatches);
  /** Every this many outer iterations of batch learning, each kernel whose centre of energy
   * has drifted a pixel or more from the kernel centre is moved back (its maps moved the
   * opposite way, taps pushed out of the support dropped, the kernel projected again), and the
   * solvers restart warm from the moved maps. Why: a kernel that locks onto a shifted copy of
   * a pattern, cut by the support, is a stationary point that gradient-type updates cannot
   * leave (the missing part lies outside the support); recentring gives it room to grow back.
   * Not done in the last interval, so the result is the learner's own fixed point. 0 disables.
   * Default 20. Measured (BENCHMARKS.md): it is what makes planted atoms come back from random
   * starts; on SPORCO's natural-image case F(D) 304.35 against 303.99 without. */
  itkSetMacro(RecentringInterval, unsigned int);
  itkGetConstMacro(RecentringInterval, unsigned int);
  /** Coefficient stride per axis, each at least 1 and at most the training images' size. With
   * a stride above 1, recentring and canonicalisation are skipped. Default 1. */
  itkSetMacro(Stride, StrideType);
  itkGetConstMacro(Stride, StrideType);
  /** Online learning only: 0 (default) minimises the running surrogate (periodic boundary) or
   * takes a projected gradient step (zero-padded) per image; a positive rate eta takes the
   * Hebbian step per image instead, d_k += eta / P sum_p r(p + t) x_k(p) over the P coefficient
   * positions p (r the image's residual, t the kernel taps), then the projection. */
  itkSetMacro(HebbianLearningRate, double);
  itkGetConstMacro(HebbianLearningRate, double);
  /** Seed of the random initial dictionary. Default 1. */
  itkSetMacro(Seed, unsigned int);
  itkGetConstMacro(Seed, unsigned int);
  /** Learning shared with other processes, each holding its own training images (see the
   * class description); null (default) learns alone. A ProcessCommunicator of the base class
   * (one process) runs the distributed update on this process's images alone. */
  itkSetObjectMacro(Communicator, ProcessCommunicator);
  itkGetModifiableObjectMacro(Communicator, ProcessCommunicator);

  /** The learned dictionary. */
  DictionaryImageType *
  GetOutput();

  const std::vector<CurvePoint> &
  GetLearningCurve() const
  {
    return m_LearningCurve;
  }
  /** Outer iterations done. */
  unsigned int
  GetIteration() const
  {
    return static_cast<unsigned int>(m_LearningCurve.size());
  }
  double
  GetObjective() const
  {
    return m_LearningCurve.empty() ? 0.0 : m_LearningCurve.back().Objective;
  }
  /** Continued ADMM coding runs that ended worse than all-zero maps and were restarted from
   * zero maps (u = 0, rho reset) in the last Update(). */
  unsigned int
  GetNumberOfCodingRestarts() const
  {
    return m_NumberOfCodingRestarts;
  }
  unsigned int
  GetMaximumNumberOfIterations() const
  {
    return m_NumberOfIterations;
  }
  /** The last batch's coefficient maps for training image i ((N+1)-D, last axis = kernel). */
  typename CoefficientImageType::Pointer
  GetCoefficientMaps(unsigned int i) const;

  /** Shifts, sign-fixes and orders a dictionary and its maps in place (see the class
   * description). kernels: K kernels of kernelSize, x fastest; maps[i]: K maps of imageSize.
   * allowSignFlip false keeps signs (non-negative maps). Exposed for tests and reuse. */
  static void
  CanonicalizeDictionary(std::vector<RealType> & kernels, const std::vector<SizeValueType> & kernelSize, unsigned int K,
                         std::vector<std::vector<RealType>> & maps, const std::vector<SizeValueType> & imageSize,
                         CentreEnum centre, bool allowSignFlip, ProcessCommunicator * usageSum = nullptr);

protected:
  DictionaryLearner();
  ~DictionaryLearner() override = default;

  using Superclass::MakeOutput;
  DataObjectPointer
  MakeOutput(DataObjectPointerArraySizeType idx) override;
  void
  GenerateOutputInformation() override;
  /** The dictionary is produced whole: a requested region left from an earlier run with another
   * kernel size or K must not survive into this one. */
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  using RealBufferType = typename OperatorType::RealBufferType;
  using UpdateType = ConvolutionalDictionaryUpdate<RealType>;

  /** A training image: its pixels and its K coefficient maps (both image-sized). While a kept
   * solver holds newer maps (MapsInSolver), Coefficients is refreshed only when read. */
  struct Sample
  {
    std::vector<RealType>                              Signal;
    std::vector<RealType>                              Coefficients;
    typename SparseCodingSolverBase<RealType>::Pointer Solver;
    bool                                               MapsInSolver{ false };
  };
  /** Copies the kept solver's maps into the sample's Coefficients when they are newer. */
  void
  SyncCoefficients(Sample & sample) const;

  void
  VerifySettings() const;
  /** The kernel constraint set of the settings (validated). */
  DictionaryProjection<RealType>
  MakeProjection() const;
  /** The image's pixels (checked finite) and its size. */
  Sample
  ReadSample(const TrainingImageType * image, std::vector<SizeValueType> & size) const;
  void
  InitializeDictionary(const std::vector<SizeValueType> & imageSize, const std::vector<Sample> & samples);
  void
  PrepareOperator(const std::vector<SizeValueType> & imageSize);
  /** Codes a sample with the current dictionary (warm-started from its maps unless cold) and
   * hands its maps to the dictionary update; returns {data fidelity, penalty}. */
  std::array<double, 2>
  Code(Sample & sample, unsigned int iterations, bool cold);
  void
  RunBatch(std::vector<Sample> & samples);
  /** The dictionary update of one outer iteration from the samples just coded. */
  void
  UpdateDictionary();
  /** Distributed learning: throws, on every process, unless all hold images of one size. */
  void
  CheckSameSizeEverywhere(const std::vector<SizeValueType> & imageSize);
  /** See SetRecentringInterval(). */
  void
  RecentreKernels(std::vector<Sample> & samples);
  /** Allocates an (N+1)-D stack (size per axis, K along the last) holding the values. */
  static void
  FillStack(DictionaryImageType * stack, const std::vector<SizeValueType> & size, unsigned int K,
            const std::vector<RealType> & values);
  /** A kernel's centre of energy, per axis in tap units; empty for an all-zero kernel. */
  static std::vector<double>
  CentreOfEnergy(const RealType * kernel, const std::vector<SizeValueType> & kernelSize);
  /** Moves a kernel's content by -shift within its support (what leaves it is dropped). */
  static void
  ShiftKernel(RealType * kernel, const std::vector<SizeValueType> & kernelSize, const std::vector<long> & shift);
  /** Moves a coefficient map by +shift, circularly. */
  static void
  ShiftMap(RealType * map, const std::vector<SizeValueType> & imageSize, const std::vector<long> & shift);
  void
  RunOnline();
  /** Records a curve point, fires IterationEvent and progress; true when aborted. */
  bool
  RecordIteration(double data, double penalty);
  /** Sum of 1/2 ||s||^2 over the images coded since the last RecordIteration(). */
  double       m_ZeroCodingObjective{ 0.0 };
  unsigned int m_NumberOfCodingRestarts{ 0 };

  std::vector<std::string>                           m_TrainingFileNames;
  unsigned int                                       m_NumberOfKernels{ 16 };
  KernelSizeType                                     m_KernelSize;
  double                                             m_Lambda{ 0.1 };
  bool                                               m_NonNegativeCoefficients{ false };
  unsigned int                                       m_NumberOfIterations{ 100 };
  unsigned int                                       m_CodingIterations{ 2 };
  unsigned int                                       m_OnlineCodingIterations{ 50 };
  unsigned int                                       m_DictionaryIterations{ 2 };
  double                                             m_DictionaryPenaltyParameter{ 10.0 };
  double                                             m_RelativeTolerance{ 0.0 };
  SolverEnum                                         m_CodingSolver{ SolverEnum::ADMM };
  typename SparseCodingSolverBase<RealType>::Pointer m_GivenCodingSolver;
  BoundaryEnum                                       m_Boundary{ BoundaryEnum::Periodic };
  NormEnum                                           m_KernelNorm{ NormEnum::L2Ball };
  bool                                               m_ZeroMeanKernels{ false };
  bool                                               m_NonNegativeKernels{ false };
  bool                                               m_Online{ false };
  bool                                               m_Canonicalize{ true };
  CentreEnum                                         m_CanonicalCentre{ CentreEnum::CentreOfEnergy };
  unsigned int                                       m_Seed{ 1 };
  bool                                               m_InitializeFromPatches{ false };
  unsigned int                                       m_RecentringInterval{ 20 };
  StrideType                                         m_Stride{ StrideType::Filled(1) };
  double                                             m_HebbianLearningRate{ 0.0 };
  ProcessCommunicator::Pointer                       m_Communicator;

  // Working state of one run.
  std::vector<SizeValueType>                   m_KernelSizeVector;
  unsigned int                                 m_K{ 0 };
  std::vector<RealType>                        m_Kernels;
  typename OperatorType::Pointer               m_Operator;
  typename UpdateType::Pointer                 m_Update;
  typename ProximalOperator<RealType>::Pointer m_Proximal;
  std::vector<CurvePoint>                      m_LearningCurve;
  std::vector<std::vector<RealType>>           m_LastMaps;
  std::vector<SizeValueType>                   m_LastMapSize;
  std::chrono::steady_clock::time_point        m_Start;
  double                                       m_Forgetting{ -1.0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkDictionaryLearner.hxx"
#endif

#endif
