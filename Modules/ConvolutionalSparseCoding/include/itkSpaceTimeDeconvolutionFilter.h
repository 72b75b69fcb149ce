#ifndef itkSpaceTimeDeconvolutionFilter_h
#define itkSpaceTimeDeconvolutionFilter_h

#include "itkCellAppearancePursuit.h"
#include "itkImageTiling.h"
#include "itkImageToImageFilter.h"
#include "itkSparseTemporalDeconvolutionFilter.h"

namespace itk
{
/** \class SpaceTimeDeconvolutionFilter
 * \brief Sparse space-time deconvolution (SSTD) of a calcium imaging movie: cells, their shapes,
 * impulse responses and spike trains (Peter, Hofmann, Kirschbaum, Hamprecht et al., "Sparse
 * space-time deconvolution for calcium image analysis", NIPS 2014).
 *
 * The input is an (N+1)-D image whose last axis is time. With a background B(x, t) = B_s(x) b_t
 * and the relative fluorescence R = Y / B - 1 (Delta F / F), the filter minimises
 *   || R - sum_k H_{j_k}(x - p_k) (sum_l s_{k,l} * f_l)(t) ||^2 + lambda TV(B_s)
 * over at most K cells, each of one of J appearances H_j (non-negative, ||H_j|| = 1, a window of
 * AppearanceSize pixels per axis) at one location p_k, with non-negative, truly sparse spikes
 * s_{k,l} through one of L responses f_l (non-negative, ||f_l|| = 1, ResponseLength frames).
 * In F units the model is Y = B (1 + sum of cells): cells are sparse in Delta F / F, the
 * normalisation of the paper's data term.
 *
 * Block coordinate descent, NumberOfIterations times:
 * 1. Background: B_s by TV-regularised least squares (TotalVariationProximalOperator) and b_t in
 *    closed form, alternately, on the movie with the current cells divided out, Y / (1 + A).
 * 2. Cells: CellAppearancePursuit (convolutional matching pursuit over space, ranked by the
 *    significance of a candidate's temporal variance; MinimumSignificance, at most K).
 * 3. Traces: joint least squares of all cells' traces (overlaps resolved), then
 *    SparseTemporalDeconvolutionFilter on them: spikes, learned responses, denoised traces.
 * 4. Appearances (not after the last iteration): each cell moved by up to two pixels and given the
 *    appearance that fits its residual best, then each H_j by least squares over its cells,
 *    projected onto H >= 0 and the unit sphere.
 * Each step is kept only when it does not increase the objective
 *   F = ||Y / B - 1 - A||^2 + lambda TV(B_s),  B = B_s (x) b_t,  A the cells' Delta F / F,
 * the data term of the paper in Delta F / F; otherwise the blocks it changed are restored (the
 * steps are heuristic minimisers of F: the pursuit starts afresh, the background is fitted to
 * Y / (1 + A), the traces carry a spike penalty). GetBlockObjectives() lists F after every step,
 * non-increasing; GetNumberOfRejectedSteps() counts the steps undone.
 * The initial appearances are soft disks of J radii spread over the window (data-driven: the
 * first detection finds cells of any shape near one of them), or with RandomInitialization,
 * truncated non-negative noise as in the paper.
 *
 * Output 0: the denoised movie B (1 + sum of cells) in F units. After the update:
 * GetLabelImage() (each cell's footprint: its appearance at its location where above
 * FootprintFraction of the appearance's peak, an overlap going to the larger per-spike
 * contribution), GetCells(), GetSpikes() (counted, per cell), GetResponses(), GetAppearances(),
 * GetSpatialBackground(), GetTemporalBackground(), GetTraces() (cells x frames, least squares)
 * and GetDenoisedTraces(), GetObjective() (F after each iteration).
 *
 * Streaming (spatial): a requested output region answers for its pixels over all frames. The
 * filter solves the movie on that region grown by HaloRadii appearance radii (ImageTiling; the
 * input is asked for that much only) and keeps the central part: output 0 and
 * GetSpatialBackground() hold the requested pixels, GetCells() (positions in the whole image's
 * index), GetSpikes() and the traces the cells whose position the requested region holds, and
 * GetLabelImage() their footprints on the grown region. The responses, appearances and temporal
 * background are the grown region's own. So tiles whose cores partition the frame give each cell
 * once (SpaceTimeDeconvolution --tile-size; BENCHMARKS.md, "Space-time deconvolution in tiles").
 *
 * Progress and IterationEvent after each iteration; abort between steps.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TInputImage>
class ITK_TEMPLATE_EXPORT SpaceTimeDeconvolutionFilter : public ImageToImageFilter<TInputImage, TInputImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SpaceTimeDeconvolutionFilter);

  using Self = SpaceTimeDeconvolutionFilter;
  using Superclass = ImageToImageFilter<TInputImage, TInputImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SpaceTimeDeconvolutionFilter, ImageToImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static constexpr unsigned int SpatialDimension = ImageDimension - 1;
  using InputImageType = TInputImage;
  using PixelType = typename TInputImage::PixelType;
  using SpatialImageType = Image<float, SpatialDimension>;
  using LabelImageType = Image<unsigned short, SpatialDimension>;
  using TraceImageType = Image<float, 2>;
  using TemporalFilterType = SparseTemporalDeconvolutionFilter<TraceImageType>;
  using ResponseType = typename TemporalFilterType::ResponseType;
  using SpikeEvent = typename TemporalFilterType::SpikeEvent; // Trace = cell index (0-based)
  using PursuitType = CellAppearancePursuit<float>;
  using AppearanceType = typename PursuitType::AppearanceType;
  using SpatialRegionType = ImageRegion<SpatialDimension>;

  struct CellRecord
  {
    std::vector<long>   Position;         // the appearance's centre, pixel index
    std::vector<double> Centroid;         // footprint centroid, pixel index (continuous)
    std::vector<double> PhysicalCentroid; // the same in physical coordinates
    unsigned int        Appearance{ 0 };
    double              Significance{ 0.0 };
    double              MeanDeltaFOverF{ 0.0 }; // mean over frames, at the appearance's peak
    double              SpikeUnit{ 0.0 };       // one spike's Delta F / F at the peak
  };

  /** K, the most cells (default 50). */
  itkSetMacro(NumberOfCells, unsigned int);
  itkGetConstMacro(NumberOfCells, unsigned int);
  /** J, appearances (default 2). */
  itkSetMacro(NumberOfAppearances, unsigned int);
  itkGetConstMacro(NumberOfAppearances, unsigned int);
  /** L, impulse responses (default 1). */
  itkSetMacro(NumberOfResponses, unsigned int);
  itkGetConstMacro(NumberOfResponses, unsigned int);
  /** H, appearance window in pixels per axis, odd (default 21). */
  itkSetMacro(AppearanceSize, unsigned int);
  itkGetConstMacro(AppearanceSize, unsigned int);
  /** F, response length in frames (default 60). */
  itkSetMacro(ResponseLength, unsigned int);
  itkGetConstMacro(ResponseLength, unsigned int);
  /** lambda of TV(B_s) in the objective's units; negative (default): twice the noise of the
   * temporal mean image times sum_t b_t^2, i.e. a TV prox at twice that noise level. */
  itkSetMacro(LambdaTV, double);
  itkGetConstMacro(LambdaTV, double);
  /** Outer iterations (default 3). */
  itkSetMacro(NumberOfIterations, unsigned int);
  itkGetConstMacro(NumberOfIterations, unsigned int);
  /** Significance a cell needs (default 7), see CellAppearancePursuit. */
  itkSetMacro(MinimumSignificance, double);
  itkGetConstMacro(MinimumSignificance, double);
  /** Footprint threshold, a fraction of the appearance's peak (default 0.25). */
  itkSetMacro(FootprintFraction, double);
  itkGetConstMacro(FootprintFraction, double);
  /** kappa, the l0 penalty of the spikes' free-amplitude passes in noise variances (default 1),
   * see SparseTemporalDeconvolutionFilter. */
  itkSetMacro(SpikePenalty, double);
  itkGetConstMacro(SpikePenalty, double);
  /** Frames per second, for reports (default 30). */
  itkSetMacro(FrameRate, double);
  itkGetConstMacro(FrameRate, double);
  itkSetMacro(LearnAppearances, bool);
  itkGetConstMacro(LearnAppearances, bool);
  itkBooleanMacro(LearnAppearances);
  itkSetMacro(LearnResponses, bool);
  itkGetConstMacro(LearnResponses, bool);
  itkBooleanMacro(LearnResponses);
  itkSetMacro(RandomInitialization, bool);
  itkGetConstMacro(RandomInitialization, bool);
  itkBooleanMacro(RandomInitialization);
  itkSetMacro(Seed, unsigned int);
  itkGetConstMacro(Seed, unsigned int);
  /** Streaming only: the margin by which a requested region is grown before solving, in
   * appearance radii (floor(AppearanceSize / 2) pixels). Default 2: a cell on the core's edge and
   * the neighbours that overlap it are whole in the grown region (BENCHMARKS.md, "Space-time
   * deconvolution in tiles", for the measurement). */
  itkSetMacro(HaloRadii, double);
  itkGetConstMacro(HaloRadii, double);

  /** The spatial part of a movie region (its first N axes). */
  static SpatialRegionType
  SpatialPart(const typename InputImageType::RegionType & region);
  /** A spatial region over all the frames of \c movie: what a streamed request asks for. */
  static typename InputImageType::RegionType
  WithAllFrames(const SpatialRegionType & region, const typename InputImageType::RegionType & movie);

  /** Given appearances (J windows of AppearanceSize^N values); empty: initialised as above. */
  void
  SetInitialAppearances(const std::vector<AppearanceType> & appearances);
  /** Given responses (L of F taps); empty: learned from the traces' own decay. */
  void
  SetInitialResponses(const std::vector<ResponseType> & responses);

  const std::vector<CellRecord> &
  GetCells() const
  {
    return m_Cells;
  }
#if !defined(ITK_WRAPPING_PARSER) // the temporal filter's nested type: Python reads GetSpikeTable()
  const std::vector<SpikeEvent> &
  GetSpikes() const
  {
    return m_Spikes;
  }
#endif
  /** The spikes as rows of numbers: cell (0-based), frame, count, amplitude, response. */
  std::vector<std::vector<double>>
  GetSpikeTable() const
  {
    std::vector<std::vector<double>> rows;
    for (const auto & spike : m_Spikes)
    {
      rows.push_back(
        { double(spike.Trace), double(spike.Frame), double(spike.Count), spike.Amplitude, double(spike.Response) });
    }
    return rows;
  }
  const std::vector<ResponseType> &
  GetResponses() const
  {
    return m_Responses;
  }
  const std::vector<AppearanceType> &
  GetAppearances() const
  {
    return m_Appearances;
  }
  const std::vector<double> &
  GetTemporalBackground() const
  {
    return m_TemporalBackground;
  }
  /** F after each iteration. */
  const std::vector<double> &
  GetObjective() const
  {
    return m_Objective;
  }
  /** F after the initial background, then after every block step, kept or undone, in order:
   * per iteration background (from the second), cells and traces, appearances (when learned). */
  const std::vector<double> &
  GetBlockObjectives() const
  {
    return m_BlockObjectives;
  }
  /** Block steps undone because they would have increased F. */
  itkGetConstMacro(NumberOfRejectedSteps, unsigned int);
  /** Cell k's trace at frame t: [k + t * cells]. */
  const std::vector<float> &
  GetTraces() const
  {
    return m_Traces;
  }
  const std::vector<float> &
  GetDenoisedTraces() const
  {
    return m_DenoisedTraces;
  }
  LabelImageType *
  GetLabelImage() const
  {
    return m_LabelImage.GetPointer();
  }
  SpatialImageType *
  GetSpatialBackground() const
  {
    return m_SpatialBackground.GetPointer();
  }

protected:
  SpaceTimeDeconvolutionFilter();
  ~SpaceTimeDeconvolutionFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

private:
  using Cell = typename PursuitType::Cell;
  /** What a block step may change: restored when the step would increase F. */
  struct DescentState
  {
    std::vector<Cell>           Detected;
    std::vector<float>          Traces, DenoisedTraces;
    std::vector<SpikeEvent>     Spikes;
    std::vector<double>         SpikeUnits, Baselines, Background, TemporalBackground;
    std::vector<ResponseType>   Responses;
    std::vector<AppearanceType> Appearances;
  };
  DescentState
  SaveState() const;
  void
  RestoreState(DescentState & state);
  /** Keeps the step just taken when F with `model` is at most the last recorded F, else restores
   * `before`; records F. Returns whether the step was kept. */
  bool
  KeepIfNotWorse(const float * Y, const std::vector<float> & model, DescentState & before);

  void
  CheckInput(const InputImageType * input) const;
  /** The movie on the solve region as float values, checked finite: the input's own buffer when
   * it is a float image buffered whole and the whole is solved, else a copy in `copy`. */
  const float *
  MovieValues(const InputImageType * input, std::vector<float> & copy) const;
  std::vector<AppearanceType>
  InitialAppearances() const;
  /** B_s and b_t from Y / (1 + A) (A: the cells' Delta F / F, null for none). */
  void
  UpdateBackground(const float * Y, const std::vector<float> * cells);
  /** The pixels under the detected cells replaced by the normalised Gaussian mean of the pixels
   * around them: the background step sees no cell (their mean activity would become background). */
  void
  FillUnderCells(std::vector<double> & image) const;
  /** R = Y / B - 1 at pixel p of frame t, as float: the value RelativeFluorescence stores. */
  float
  RelativeFluorescenceAt(const float * Y, SizeValueType p, SizeValueType t) const
  {
    return static_cast<float>(double(Y[p + t * m_Pixels]) / (m_Background[p] * m_TemporalBackground[t]) - 1.0);
  }
  /** R = Y / B - 1, stored. */
  void
  RelativeFluorescence(const float * Y, std::vector<float> & R) const;
  /** Joint least-squares traces of the cells, then their temporal deconvolution. */
  void
  UpdateTraces(const std::vector<float> & R);
  /** A(x, t) = sum_k H_k(x) c_k(t) with the denoised traces. */
  std::vector<float>
  CellModel() const;
  /** model: the cells' activity now (CellModel()). */
  void
  UpdateAppearances(const std::vector<float> & R, const std::vector<float> & model);
  /** model = CellModel(), the old one freed first: one movie-sized array at a time. */
  void
  RebuildCellModel(std::vector<float> & model) const;
  /** M(x) = sum_t c_k(t) (R - model + A_k c_k)(x, t) on a window of `window` pixels per axis
   * around cell k (pixelOf[i]: the pixel of window index i, -1 outside); returns sum_t c_k^2. */
  double
  ResidualProjection(SizeValueType k, const std::vector<float> & R, const std::vector<float> & model,
                     unsigned int window, std::vector<double> & M, std::vector<long> & pixelOf) const;
  /** The appearance and the shift (within the window's margin) that fit M best. */
  unsigned int
  BestPlacement(const std::vector<double> & M, const std::vector<long> & pixelOf, double S, unsigned int window,
                std::vector<long> & shift) const;
  /** Whether the cell's window crosses an edge of the solve region that is not the movie's. */
  bool
  CutByTheSolveRegion(const Cell & cell) const;
  /** Cells the core holds (indices into m_Detected): the outputs' cells. */
  std::vector<SizeValueType>
  OwnedCells() const;
  /** Output 0 on the core: B (1 + sum of all cells on the solve region). */
  void
  WriteDenoisedMovie();
  /** Spikes and traces of the owned cells only, renumbered in their order. */
  void
  KeepOwnedTraces(const std::vector<SizeValueType> & owned);
  /** sum_k H_k b_k: the cells' constant Delta F / F (their resting glow over the background). */
  std::vector<double>
  BaselineImage() const;
  /** The cells' constants b_k by least squares given everything else: an exact partial step. */
  void
  RefitBaselines(const float * Y, const std::vector<float> & model);
  /** F = ||Y / B - 1 - model - sum_k H_k b_k||^2 + lambda TV(B_s), model the cells' activity
   * (empty: no cell). */
  double
  Objective(const float * Y, const std::vector<float> & model) const;
  void
  WriteOutputs();
  void
  CheckAbort() const;

  unsigned int                m_NumberOfCells{ 50 };
  unsigned int                m_NumberOfAppearances{ 2 };
  unsigned int                m_NumberOfResponses{ 1 };
  unsigned int                m_AppearanceSize{ 21 };
  unsigned int                m_ResponseLength{ 60 };
  double                      m_LambdaTV{ -1.0 };
  unsigned int                m_NumberOfIterations{ 3 };
  double                      m_MinimumSignificance{ 7.0 };
  double                      m_FootprintFraction{ 0.25 };
  double                      m_FrameRate{ 30.0 };
  double                      m_SpikePenalty{ 1.0 };
  bool                        m_LearnAppearances{ true };
  bool                        m_LearnResponses{ true };
  bool                        m_RandomInitialization{ false };
  unsigned int                m_Seed{ 0 };
  double                      m_HaloRadii{ 2.0 };
  std::vector<AppearanceType> m_InitialAppearances;
  std::vector<ResponseType>   m_InitialResponses;

  // Streaming: the pixels answered for, and those solved (the core grown by the halo).
  SpatialRegionType m_CoreRegion, m_SolveRegion;

  // State of the descent, on the solve region.
  std::vector<SizeValueType>    m_Size; // spatial
  SizeValueType                 m_Pixels{ 0 }, m_Frames{ 0 };
  typename PursuitType::Pointer m_Pursuit;
  std::vector<Cell>             m_Detected;
  std::vector<double>           m_Background; // B_s, per pixel
  std::vector<double>           m_PixelNoise; // of the input, per pixel
  double                        m_AppliedLambda{ 0.0 };
  std::vector<double>           m_SpikeUnits, m_Baselines;

  std::vector<CellRecord>            m_Cells;
  std::vector<SpikeEvent>            m_Spikes;
  std::vector<ResponseType>          m_Responses;
  std::vector<AppearanceType>        m_Appearances;
  std::vector<double>                m_TemporalBackground, m_Objective, m_BlockObjectives;
  unsigned int                       m_NumberOfRejectedSteps{ 0 };
  std::vector<float>                 m_Traces, m_DenoisedTraces;
  typename LabelImageType::Pointer   m_LabelImage;
  typename SpatialImageType::Pointer m_SpatialBackground;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSpaceTimeDeconvolutionFilter.hxx"
#endif

#endif
