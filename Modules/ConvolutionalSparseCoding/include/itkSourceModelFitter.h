#ifndef itkSourceModelFitter_h
#define itkSourceModelFitter_h

#include "itkMultiChannelFourierConvolution.h"
#include "itkSourceNeighbourhood.h"
#include "itkSparseCodingSolverBase.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include <array>
#include <functional>
#include <vector>

namespace itk
{
/** \class SourceModelFitter
 * \brief Fits point sources at continuous positions, with a non-negative background, by
 * weighted least squares; adds, merges and drops sources by likelihood-ratio tests.
 *
 * The model of an N-D image s is
 * \f[ m = b + \sum_i a_i\, h_{k_i}(\cdot - p_i), \qquad b = \sum_j g_j \circledast c_j,\ c_j \ge 0,\ a_i \ge 0, \f]
 * with source kernels h_k (unit l2 norm here, any shape), continuous positions p_i and
 * background kernels g_j (e.g. a broad Gaussian). It minimises
 * \f[ \tfrac12 \textstyle\sum_x W(x)\,(s(x) - m(x))^2, \qquad W = w^2 / \sigma^2(x),\quad
 *     \sigma^2(x) = \alpha + \beta\, m(x), \f]
 * a Gaussian approximation of Poisson plus read noise whose alpha and beta are fitted to the
 * residual (PoissonNoise; off: beta = 0), w the caller's pixel weights.
 *
 * Why: convolutional sparse coding finds where sources are, but its l1 penalty shrinks every
 * source by a constant, its kernels sit on the pixel grid, and a bright source that the grid
 * kernels fit imperfectly leaves residual light that a penalised model turns into false
 * sources and a background that dips. Fitting the sources where they are (sub-pixel shifts by
 * Fourier interpolation of each kernel) with unshrunk amplitudes, and testing every source by
 * the drop in chi-square it brings, is the classic photometry answer (DAOPHOT's ALLSTAR: Stetson, "DAOPHOT: A computer
 * program for crowded-field stellar photometry", PASP 99, 1987, and Stetson and Harris, "CCD photometry of the globular
 * cluster M92", AJ 96, 1988); the coding solution gives it the candidates, the foreground to mask while the background
 * is first estimated, and the noise level.
 *
 * Fit(candidates), candidates brightest first:
 * 1. The noise model from the coding solution's residual; the background from the pixels the
 *    coding foreground leaves free (ForegroundMaskLevel): the coefficients c by the module's
 *    FISTASparseCodingSolver with the non-negative l1 prox at lambda 0 (BackgroundIterations).
 * 2. Candidates are added in turn: each is fitted alone to the current residual (every kernel
 *    tried, Gauss-Newton on amplitude and position) and kept if its signal-to-noise ratio
 *    a sqrt(h^T W h) (the square root of its chi-square drop) reaches ModelThreshold.
 * 3. NumberOfRounds rounds of: NumberOfSweeps Gauss-Seidel sweeps over the sources
 *    (position and amplitude of one source with the others fixed); each source's kernel chosen
 *    again; merge tests (a close pair is replaced by one source, its neighbours refitted,
 *    unless that raises chi-square by more than MergeThreshold^2); sources below
 *    ModelThreshold dropped; a joint FISTA polish of background and amplitudes (which lets a
 *    background dip and the sources that compensated it resolve together); the noise model
 *    and W refitted; and, except in the last round, new sources started at the maxima of the
 *    residual's matched-filter signal-to-noise ratio above AddThreshold.
 *
 * Sources are returned brightest first with their position, kernel, amplitude, flux (the
 * amplitude times the kernel's sum) and signal-to-noise ratio. Sources between ModelThreshold
 * and a caller's detection threshold stay in the model (they make the neighbours' and the
 * background's fit better) and are for the caller to report or not.
 *
 * Arrays are contiguous, x fastest, image-sized unless said otherwise; they must stay valid
 * during Fit().
 *
 * \sa GroupSparseSourceLocalizationFilter
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
class ITK_TEMPLATE_EXPORT SourceModelFitter : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SourceModelFitter);

  using Self = SourceModelFitter;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SourceModelFitter, Object);

  static constexpr unsigned int Dimension = VDimension;
  using RealType = TReal;
  using SizeArrayType = std::array<SizeValueType, VDimension>;
  using PositionType = std::array<double, VDimension>;
  using OperatorType = MultiChannelFourierConvolution<RealType>;

  /** A place to start a source: a continuous index and a kernel. */
  struct Candidate
  {
    PositionType Position{};
    unsigned int Kernel{ 0 };
  };
  /** A fitted source. Amplitude is on the unit-l2 kernel; Flux = Amplitude * sum(h). */
  struct FittedSource
  {
    PositionType Position{};
    unsigned int Kernel{ 0 };
    double       Amplitude{ 0 };
    double       Flux{ 0 };
    double       SignalToNoise{ 0 };
  };

  /** The image and its grid. */
  void
  SetImage(const RealType * image, const SizeArrayType & size);
  /** Pixel weights w >= 0 (W = w^2 / sigma^2); nullptr (default) for w = 1. */
  void
  SetWeights(const RealType * weights)
  {
    m_Weights = weights;
  }
  /** The source kernels, \c count kernels of \c kernelSize taps one after another, centre tap
   * floor(M/2). Copied, scaled to unit l2 norm and each cropped to the smallest box about its
   * centre holding every tap above 1e-7 of its largest (a dictionary pads every kernel to the
   * largest one's size, often a broad background kernel's). */
  void
  SetSourceKernels(const RealType * kernels, const SizeArrayType & kernelSize, unsigned int count);
  /** The background: an initialised operator whose kernels are the background kernels, on this
   * image grid; nullptr (default) for no background. With \c coefficientsBeyondImage (ZeroPadded
   * operators) background coefficients may sit in the whole padded domain. */
  void
  SetBackgroundOperator(const OperatorType * op, bool coefficientsBeyondImage);
  /** The coding solution's foreground and background reconstructions (image-sized). Required. */
  void
  SetInitialModel(const RealType * foreground, const RealType * background)
  {
    m_InitialForeground = foreground;
    m_InitialBackground = background;
  }

  /** Sources whose signal-to-noise ratio falls below this leave the model. Default 3. */
  itkSetMacro(ModelThreshold, double);
  itkGetConstMacro(ModelThreshold, double);
  /** Residual matched-filter maxima above this start new sources. Default 3.5. */
  itkSetMacro(AddThreshold, double);
  itkGetConstMacro(AddThreshold, double);
  /** A pair merges unless keeping both lowers chi-square by more than its square. Default 5. */
  itkSetMacro(MergeThreshold, double);
  itkGetConstMacro(MergeThreshold, double);
  /** Pairs closer than this factor times the sum of their kernels' RMS radii are tested.
   * Default 1.25. */
  itkSetMacro(MergeRadiusFactor, double);
  itkGetConstMacro(MergeRadiusFactor, double);
  /** Default 3. */
  itkSetMacro(NumberOfRounds, unsigned int);
  itkGetConstMacro(NumberOfRounds, unsigned int);
  /** Default 4. */
  itkSetMacro(NumberOfSweeps, unsigned int);
  itkGetConstMacro(NumberOfSweeps, unsigned int);
  /** FISTA iterations of the first background estimate. Default 250 (500 and 1000 gave the same
   * scores on the shared star fields). */
  itkSetMacro(BackgroundIterations, unsigned int);
  itkGetConstMacro(BackgroundIterations, unsigned int);
  /** FISTA iterations of each joint polish of background and amplitudes (warm-started).
   * Default 100. */
  itkSetMacro(PolishIterations, unsigned int);
  itkGetConstMacro(PolishIterations, unsigned int);
  /** Pixels where the coding foreground exceeds this many noise standard deviations (and
   * their neighbours within 2 pixels) are left out of the first background estimate, so that
   * faint broad sources do not raise it. Default 0.3. */
  itkSetMacro(ForegroundMaskLevel, double);
  itkGetConstMacro(ForegroundMaskLevel, double);
  /** Variance linear in the model (Poisson plus read noise) or constant. Default on. */
  itkSetMacro(PoissonNoise, bool);
  itkGetConstMacro(PoissonNoise, bool);
  itkBooleanMacro(PoissonNoise);

  /** Called with the fraction done; returning false stops Fit() early (GetAborted()). */
  void
  SetProgressCallback(std::function<bool(double)> callback)
  {
    m_ProgressCallback = std::move(callback);
  }

  /** Runs the fit from candidates, brightest first. */
  void
  Fit(const std::vector<Candidate> & candidates);

  /** Sources of the last fit with SNR >= ModelThreshold, brightest first. */
  const std::vector<FittedSource> &
  GetSources() const
  {
    return m_Sources;
  }
  /** The fitted background and foreground (sum of the sources), image-sized. */
  const std::vector<RealType> &
  GetBackground() const
  {
    return m_Background;
  }
  void
  GetForeground(RealType * foreground) const;
  /** The noise model sigma^2 = alpha + beta m of the last fit. */
  double
  GetNoiseVarianceOffset() const
  {
    return m_NoiseOffset;
  }
  double
  GetNoiseVarianceSlope() const
  {
    return m_NoiseSlope;
  }
  /** RMS radius of kernel k (sigma for a Gaussian) and its sum at unit l2 norm. */
  double
  GetKernelSize(unsigned int k) const
  {
    return m_KernelModels[k].RMSRadius;
  }
  double
  GetKernelSum(unsigned int k) const
  {
    return m_KernelModels[k].Sum;
  }
  /** Taps per axis of kernel k after cropping. */
  const SizeArrayType &
  GetCroppedKernelSize(unsigned int k) const
  {
    return m_KernelModels[k].Size;
  }
  unsigned int
  GetNumberOfSourceKernels() const
  {
    return m_NumberOfKernels;
  }
  itkGetConstMacro(Aborted, bool);

  /** The kernel k shifted by \c shift pixels (each component in [-0.5, 0.5]) by Fourier
   * interpolation, taps as given; with \c derivatives, also its N derivatives with respect to
   * the shift (N blocks of taps). Public for tests. */
  void
  EvaluateShiftedKernel(unsigned int k, const PositionType & shift, RealType * values, RealType * derivatives) const;

protected:
  SourceModelFitter() = default;
  ~SourceModelFitter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  struct Source
  {
    PositionType                 Position{};
    std::array<long, VDimension> Anchor{};
    unsigned int                 Kernel{ 0 };
    double                       Amplitude{ 0 };
    double                       SignalToNoise{ 0 };
    bool                         Alive{ true };
    std::vector<RealType>        Taps;
  };

  void
  VerifyInputs() const;
  /** Recomputes a source's anchor and taps from its position and kernel. */
  void
  UpdateTaps(Source & source) const;
  template <typename TVisit>
  void
  ForEachTap(const Source & source, TVisit && visit) const;
  /** residual += sign * amplitude * h over the source's window. */
  void
  AddToResidual(const Source & source, double sign);
  /** h^T W h and h^T W r (r: the residual) over the source's window. */
  std::array<double, 2>
  Correlate(const Source & source) const;
  /** Least-squares amplitude and SNR of a source that is not in the residual. */
  void
  FitAmplitude(Source & source) const;
  /** One Gauss-Newton step on amplitude and position (the source not in the residual); returns
   * false when the step is undefined. */
  bool
  GaussNewtonStep(Source & source) const;
  /** Fits a source not in the residual with the best of \c kernels (all when empty) and
   * \c steps Gauss-Newton steps each, then subtracts it. */
  void
  FitAlone(Source & source, const std::vector<unsigned int> & kernels, unsigned int steps);
  void
  Sweep(const std::vector<size_t> & indices);
  void
  ChooseKernels();
  /** Alive pairs closer than MergeRadiusFactor times the sum of their RMS radii, closest first. */
  struct SourcePair
  {
    double distance;
    size_t a, b;
  };
  std::vector<SourcePair>
  ClosePairs() const;
  /** Replaces a pair by one source (its neighbours refitted) unless that raises chi-square by
   * more than MergeThreshold^2; restores the pair otherwise. */
  void
  TestMerge(const SourcePair & pair);
  void
  MergeCloseSources();
  void
  DropFaintSources(double threshold);
  unsigned int
  AddSequentially(const std::vector<Candidate> & candidates, double threshold);
  std::vector<Candidate>
  ResidualCandidates();
  /** The first background, from the pixels outside \c mask (FISTASparseCodingSolver on the
   * background coefficients, no sources). Rebuilds the residual. */
  void
  EstimateBackground(const std::vector<uint8_t> & mask);
  /** Joint FISTA on the background coefficients and the alive sources' amplitudes of the
   * weighted data term (the sources are no convolution: the shared momentum policy, its own
   * step). Rebuilds the residual. */
  void
  Polish(unsigned int iterations);
  using RealBufferType = typename OperatorType::RealBufferType;
  /** The Lipschitz constant of the polish's gradient (background and amplitude blocks). */
  double
  PolishLipschitzConstant(const std::vector<RealType> & weights, const std::vector<size_t> & sources) const;
  /** The polish's projected step from (z, za) to the new iterate (written over the gradient),
   * then the shared momentum policy (restart when the step goes against the momentum). */
  void
  PolishMomentumStep(NesterovMomentum & policy, double step, RealBufferType & z, RealBufferType & previous,
                     RealBufferType & gradient, std::vector<double> & za, std::vector<double> & previousAmplitudes,
                     std::vector<double> & gradientAmplitudes) const;
  /** Keeps the polished background coefficients and amplitudes; rebuilds the residual and the
   * sources' SNR. */
  void
  KeepPolished(const RealBufferType & coefficients, const std::vector<size_t> & sources,
               const std::vector<double> & amplitudes);
  void
  UpdateNoiseModel(const RealType * model, const RealType * residual);
  void
  UpdateWeights(const RealType * model);
  std::vector<size_t>
  AliveIndices() const;
  /** Indices of alive sources within \c radius of \c position (grid of cells). */
  std::vector<size_t>
  Neighbours(const PositionType & position, double radius) const;
  /** The grid of the alive sources, cells a kernel half-width wide. */
  void
  BuildGrid();
  bool
  ReportProgress(double fraction);
  double
  Distance(const PositionType & a, const PositionType & b) const;

  // Problem.
  const RealType * m_Image{ nullptr };
  const RealType * m_Weights{ nullptr };
  const RealType * m_InitialForeground{ nullptr };
  const RealType * m_InitialBackground{ nullptr };
  SizeArrayType    m_Size{};
  SizeValueType    m_NumberOfPixels{ 0 };
  /** One source kernel, cropped, with its Fourier shifting: the kernel on a small periodic
   * grid of odd sizes (room for the light a half-pixel shift moves past its edge). */
  struct KernelModel
  {
    SizeArrayType                  Size{};
    SizeValueType                  Taps{ 0 };
    std::vector<RealType>          Values;
    double                         RMSRadius{ 0 };
    double                         Sum{ 0 };
    double                         HalfWidth{ 0 };
    typename OperatorType::Pointer Shift;
    // Scratch of EvaluateShiftedKernel (the fitter runs in one thread).
    mutable typename OperatorType::ComplexBufferType Spectrum;
    mutable typename OperatorType::RealBufferType    Spatial;
  };
  std::vector<KernelModel> m_KernelModels;
  /** Every kernel centred in the box of the largest, for the matched filters. */
  std::vector<RealType>               m_CommonKernels;
  SizeArrayType                       m_CommonSize{};
  unsigned int                        m_NumberOfKernels{ 0 };
  typename OperatorType::ConstPointer m_BackgroundOperator;
  bool                                m_CoefficientsBeyondImage{ false };

  // Parameters.
  double                      m_ModelThreshold{ 3.0 };
  double                      m_AddThreshold{ 3.5 };
  double                      m_MergeThreshold{ 5.0 };
  double                      m_MergeRadiusFactor{ 1.25 };
  unsigned int                m_NumberOfRounds{ 3 };
  unsigned int                m_NumberOfSweeps{ 4 };
  unsigned int                m_BackgroundIterations{ 250 };
  unsigned int                m_PolishIterations{ 100 };
  double                      m_ForegroundMaskLevel{ 0.3 };
  bool                        m_PoissonNoise{ true };
  std::function<bool(double)> m_ProgressCallback;

  // Matched filters of the residual search (h_k and h_k^2), made once per fit.
  typename OperatorType::Pointer m_MatchedFilter;
  typename OperatorType::Pointer m_MatchedFilterEnergy;
  mutable std::vector<RealType>  m_GaussNewtonColumns;

  // State.
  std::vector<Source>                   m_State;
  std::vector<RealType>                 m_Residual;
  std::vector<RealType>                 m_W;
  std::vector<RealType>                 m_Background;
  typename OperatorType::RealBufferType m_BackgroundCoefficients;
  double                                m_NoiseOffset{ 0 };
  double                                m_NoiseSlope{ 0 };
  SourcePointGrid<VDimension>           m_Grid;
  std::vector<FittedSource>             m_Sources;
  bool                                  m_Aborted{ false };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSourceModelFitter.hxx"
#endif

#endif
