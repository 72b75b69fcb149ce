#ifndef itkConvolutionalSparseCodingFilterBase_h
#define itkConvolutionalSparseCodingFilterBase_h

#include "itkConvolutionalSparseCodingEnums.h"
#include "itkImage.h"
#include "itkImageTiling.h"
#include "itkImageToImageFilter.h"
#include "itkMemoryEstimate.h"
#include "itkSparseCodingSolverBase.h"
#include <vector>

namespace itk
{
/** \class ConvolutionalSparseCodingFilterBase
 * \brief Pipeline work shared by the convolutional sparse coding filters.
 *
 * Solves \f[ \min_x \tfrac12 \| w \odot (\textstyle\sum_k h_k \circledast x_k - s) \|_2^2
 *            + \lambda\, g(x) \f]
 * for an N-D image s. Subclasses choose g (CreateProximalOperator()) and add outputs.
 *
 * Convolutional sparse coding as in Wohlberg, "Efficient algorithms for convolutional sparse
 * representations", IEEE Trans. Image Process. 25(1), 2016 (convolutional basis pursuit
 * denoising), with pixel weights (ibid., mask decoupling). The solver is an object
 * (SetSolver(object), or one made from the Solver enum by CreateSparseCodingSolver()): the
 * l1 solvers (ADMM, FISTA), LCA, or the pursuits (thresholding, matching pursuit, OMP), which
 * take g's prox as their transfer or threshold function.
 *
 * Inputs: the image (input 0), the dictionary (named "Dictionary": an (N+1)-D image whose
 * last axis indexes the K kernels, kernel origin at the kernel centre), optional weights w >= 0
 * ("Weights", the image's size) and optional initial coefficients ("InitialCoefficients",
 * laid out like output 0).
 *
 * Outputs: 0, the coefficient maps as an (N+1)-D image: the image grid times K along the last
 * axis (the dictionary's layout; spacing 1 and origin 0 along that axis); 1, the
 * reconstruction sum_k h_k * x_k on the image grid.
 *
 * Stride F (per axis, default 1): the maps are sampled every F pixels (the coarse grid of
 * ceil(size / F) pixels, spacing F times the image's, origin at the image's first pixel) and
 * upsampled before the convolution, as in deconvolutional networks with strides (Schultz,
 * Paiton, Lu and Kenyon, arXiv:1406.4205, 2014); every solver works with it.
 *
 * The dictionary is used as plain arrays: its spacing, origin and direction are ignored
 * (\warning kernels are taken in pixel units of the image).
 *
 * Streaming: with the ZeroPadded boundary the filter answers a requested output region (any
 * output's; the others follow, the coefficient outputs on the coarse grid with all K maps) by
 * solving on that region grown by a halo of HaloRadii kernel radii (ImageTiling) and keeping the
 * central part, as itk::StreamingImageFilter or a streaming writer ask tile by tile: the
 * convolutional code is local, so the stitched solution differs from the whole-image one by an
 * error that falls as the halo grows (BENCHMARKS.md, "Streaming"). A requested region that is the
 * whole image is solved whole, exactly as before. With the Periodic boundary the problem wraps
 * around, so the filter asks for whole inputs and produces whole outputs.
 * IterationEvent fires after every solver iteration, ProgressEvent with it; AbortGenerateData
 * stops the solver after the current iteration and raises ProcessAborted.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TInputImage, typename TRealType = float>
class ITK_TEMPLATE_EXPORT ConvolutionalSparseCodingFilterBase
  : public ImageToImageFilter<TInputImage, Image<TRealType, TInputImage::ImageDimension + 1>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ConvolutionalSparseCodingFilterBase);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int CoefficientDimension = ImageDimension + 1;

  using InputImageType = TInputImage;
  using RealType = TRealType;
  using CoefficientImageType = Image<RealType, CoefficientDimension>;
  using DictionaryImageType = CoefficientImageType;
  using RealImageType = Image<RealType, ImageDimension>;

  using Self = ConvolutionalSparseCodingFilterBase;
  using Superclass = ImageToImageFilter<InputImageType, CoefficientImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkTypeMacro(ConvolutionalSparseCodingFilterBase, ImageToImageFilter);

  using BoundaryEnum = ConvolutionalSparseCodingEnums::Boundary;
  using SolverEnum = ConvolutionalSparseCodingEnums::Solver;
  using SolverType = SparseCodingSolverBase<RealType>;
  using ProximalOperatorType = ProximalOperator<RealType>;
  using StatisticsType = SparseCodingIterationStatistics;
  using StrideType = FixedArray<unsigned int, ImageDimension>;
  using ImageRegionType = ImageRegion<ImageDimension>;

  /** The dictionary: K kernels stacked along the last axis. Required. */
  itkSetInputMacro(Dictionary, DictionaryImageType);
  itkGetInputMacro(Dictionary, DictionaryImageType);
  /** Pixel weights w >= 0, the image's size. Optional (w = 1). */
  itkSetInputMacro(Weights, RealImageType);
  itkGetInputMacro(Weights, RealImageType);
  /** Warm start, laid out like the coefficient output. Optional. */
  itkSetInputMacro(InitialCoefficients, CoefficientImageType);
  itkGetInputMacro(InitialCoefficients, CoefficientImageType);

  /** Lambda >= 0. Default 0.05. */
  itkSetMacro(Lambda, double);
  itkGetConstMacro(Lambda, double);
  /** The solver by name, ADMM (default), FISTA, LCA, Thresholding, MatchingPursuit or
   * OrthogonalMatchingPursuit: a solver with default settings is made by
   * CreateSparseCodingSolver() at each update. Replaces a solver object given before. */
  void
  SetSolver(SolverEnum solver)
  {
    if (m_Solver != solver || m_GivenSolver.IsNotNull())
    {
      m_Solver = solver;
      m_GivenSolver = nullptr;
      this->Modified();
    }
  }
  itkGetConstMacro(Solver, SolverEnum);
  /** The solver as an object, with its own settings as the caller made them (ADMM's rho, FISTA's
   * backtracking, ...). The filter sets its operator, its prox and the filter's Lambda,
   * MaximumNumberOfIterations, RelativeTolerance and CoefficientsBeyondBorder; it keeps the
   * object between updates. nullptr returns to the Solver enum. */
  void
  SetSolver(SolverType * solver)
  {
    if (m_GivenSolver.GetPointer() != solver)
    {
      m_GivenSolver = solver;
      this->Modified();
    }
  }
  /** Periodic (default) or ZeroPadded. */
  itkSetEnumMacro(BoundaryCondition, BoundaryEnum);
  itkGetConstMacro(BoundaryCondition, BoundaryEnum);
  /** ZeroPadded only: coefficients may sit up to a kernel half-width outside the image (see
   * SparseCodingSolverBase::SetCoefficientsBeyondImage). Default off. */
  itkSetMacro(CoefficientsBeyondBorder, bool);
  itkGetConstMacro(CoefficientsBeyondBorder, bool);
  itkBooleanMacro(CoefficientsBeyondBorder);
  /** Coefficient stride per axis, each at least 1 and at most the image size. Default 1. */
  itkSetMacro(Stride, StrideType);
  itkGetConstMacro(Stride, StrideType);
  /** Streaming only: the halo by which a requested region is grown before solving, in kernel
   * radii (floor(M/2) per axis). Default 4 (BENCHMARKS.md, "Streaming": the measured error
   * falls below 1e-3 of the objective there). */
  itkSetMacro(HaloRadii, double);
  itkGetConstMacro(HaloRadii, double);
  /** Default 200. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);
  /** Relative residual (ADMM) or relative change (FISTA) stop; 0 disables. Default 1e-4. */
  itkSetMacro(RelativeTolerance, double);
  itkGetConstMacro(RelativeTolerance, double);

  /** Output 0. */
  CoefficientImageType *
  GetCoefficients()
  {
    return this->GetOutput(0);
  }
  /** Output 1: sum_k h_k * x_k. */
  RealImageType *
  GetReconstruction();

  /** The solver of the last (or current) update, or the one given by SetSolver(object) before
   * the first; its getters give the statistics and its setters configure the next update. */
  SolverType *
  GetSolverObject()
  {
    return m_GivenSolver.IsNotNull() ? m_GivenSolver.GetPointer() : m_SolverObject.GetPointer();
  }
  const SolverType *
  GetSolverObject() const
  {
    return m_GivenSolver.IsNotNull() ? m_GivenSolver.GetPointer() : m_SolverObject.GetPointer();
  }
  /** Statistics of the last iteration. */
  itkGetConstReferenceMacro(Statistics, StatisticsType);
  /** Statistics of every iteration of the last update, iteration 0 first. */
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
  GetElapsedSeconds() const
  {
    return m_Statistics.ElapsedSeconds;
  }

  /** Bytes a solve on \c region of the input's grid holds at its peak, estimated: the solvers'
   * about 6 domain-sized buffers per kernel and a dozen more, and the coefficient maps. The
   * update refuses a region that would not fit in memory by it; the tools' --memory-budget
   * chooses their tiles by it. Needs the dictionary. Subclasses add what they hold beyond. */
  virtual double
  EstimateSolveBytes(const ImageRegionType & region) const;

  using DataObjectPointerArraySizeType = ProcessObject::DataObjectPointerArraySizeType;
  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

protected:
  ConvolutionalSparseCodingFilterBase();
  ~ConvolutionalSparseCodingFilterBase() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  /** The prox of the penalty g. */
  virtual typename ProximalOperatorType::Pointer
  CreateProximalOperator() const = 0;

  /** Lets a subclass rescale the validated kernels (K blocks of taps values, x fastest) before
   * solving, e.g. to equal l1 norms: returns the kernels to solve with. Default: unchanged. */
  virtual std::vector<RealType>
  PrepareKernels(const std::vector<RealType> & kernels, unsigned int itkNotUsed(numberOfKernels))
  {
    return kernels;
  }

  /** The solution on the solved region (the whole image, or a requested tile grown by its
   * halo): contiguous arrays on that region, x fastest. */
  struct RegionSolution
  {
    ImageRegionType                                  Region; ///< what was solved, on the image grid
    ImageRegionType                                  Core;   ///< the part the outputs hold
    const MultiChannelFourierConvolution<RealType> * Operator{ nullptr };
    const RealType *                                 Signal{ nullptr };
    const RealType *                                 Weights{ nullptr };      ///< nullptr: w = 1
    const RealType *                                 Coefficients{ nullptr }; ///< K maps on Region's coarse grid
    const RealType *                                 Reconstruction{ nullptr };
  };

  /** Lets a subclass fill its own outputs, on \c solution.Core, once outputs 0 and 1 hold the
   * solution. Default: nothing. */
  virtual void
  GenerateAdditionalOutputs(const RegionSolution & itkNotUsed(solution))
  {}

  /** Allocates \c image on its requested region, which must be \c solution's core (for an
   * image on the coarse grid, with maps along the last axis), and copies that part of
   * \c values, laid out on \c solution's region (\c maps blocks). Subclasses use it for
   * their own outputs. */
  template <typename TOutputImage>
  void
  AllocateAndCopyCore(TOutputImage * image, const RegionSolution & solution, const RealType * values) const;
  /** Whether \c solution's region is its core (the whole image asked for): outputs then take
   * the solver's arrays as they are. */
  static bool
  SolvesCoreOnly(const RegionSolution & solution)
  {
    return solution.Region == solution.Core;
  }

  /** The part of the progress (0 to 1) the solver's iterations cover; a subclass with work
   * after the solve keeps the rest for it. Default 1. */
  virtual double
  GetSolverProgressShare() const
  {
    return 1.0;
  }

  void
  VerifyPreconditions() ITKv5_CONST override;
  /** The dictionary lives outside the image's physical space: only the weights are checked. */
  void
  VerifyInputInformation() ITKv5_CONST override;
  void
  GenerateOutputInformation() override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  /** Every output follows the region core that EnlargeOutputRequestedRegion() chose. */
  void
  GenerateOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

private:
  /** The dictionary as K blocks of taps, checked: non-empty, finite, no all-zero kernel, no
   * larger than the image. */
  std::vector<RealType>
  ReadKernels() const;
  /** A region of the image grid on the coefficients' coarse grid (the channel axis left
   * out), and back (cropped to the image). */
  ImageRegionType
  CoarseRegion(const ImageRegionType & region) const;
  ImageRegionType
  FineRegion(const ImageRegionType & coarse) const;
  /** \c maps (an (N+1)-D region, maps along the last axis) with its first N axes those of
   * \c spatial. */
  template <typename TRegion>
  static TRegion
  WithSpatialPart(TRegion maps, const ImageRegionType & spatial)
  {
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      maps.SetIndex(d, spatial.GetIndex(d));
      maps.SetSize(d, spatial.GetSize(d));
    }
    return maps;
  }
  /** Reads the initial coefficients on the solved region's coarse grid, checked. */
  std::vector<RealType>
  ReadInitialCoefficients(const MultiChannelFourierConvolution<RealType> & op) const;
  /** Tells a solver that exchanges halos which rows of the image its region holds. */
  void
  SetSlabOfHaloExchange(SolverType & solver, const ImageRegionType & region) const;
  /** Runs the solver, relaying its iterations as this filter's events and progress, and stops it
   * when the filter is aborted (then throws ProcessAborted). */
  void
  SolveWithEvents(SolverType & solver);

  double       m_Lambda{ 0.05 };
  SolverEnum   m_Solver{ SolverEnum::ADMM };
  BoundaryEnum m_BoundaryCondition{ BoundaryEnum::Periodic };
  bool         m_CoefficientsBeyondBorder{ false };
  StrideType   m_Stride{ StrideType::Filled(1) };
  unsigned int m_MaximumNumberOfIterations{ 200 };
  double       m_RelativeTolerance{ 1e-4 };
  double       m_HaloRadii{ 4.0 };

  ImageRegionType m_CoreRegion;  // the part of the image the outputs are asked for
  ImageRegionType m_SolveRegion; // m_CoreRegion grown by the halo

  typename SolverType::Pointer m_SolverObject;
  typename SolverType::Pointer m_GivenSolver;
  StatisticsType               m_Statistics;
  std::vector<StatisticsType>  m_History;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkConvolutionalSparseCodingFilterBase.hxx"
#endif

#endif
