#ifndef itkSparseTemporalDeconvolutionFilter_h
#define itkSparseTemporalDeconvolutionFilter_h

#include "itkImageToImageFilter.h"
#include "itkImpulseResponseEstimator.h"
#include "itkQuantalUnitEstimate.h"
#include "itkSpikeTrainPursuit.h"

namespace itk
{
/** \class SparseTemporalDeconvolutionFilter
 * \brief Sparse temporal deconvolution (STD): fluorescence traces to non-negative, truly sparse
 * spike trains, with given or learned impulse responses -- the 1-D case of sparse space-time
 * deconvolution (Peter, Hofmann, Kirschbaum, Hamprecht et al., NIPS 2014).
 *
 * The input is an image whose last axis is time; every pixel of the other axes is one trace
 * (a 2-D image traces x frames, or a movie, one trace per pixel). Two stages, both by
 * SpikeTrainPursuit (greedy l0 descent with local moves), per trace p with noise level sigma_p:
 *
 * 1. Free amplitudes: min_{s >= 0, b} 1/2 || y_p - b_p - sum_l f_l * s_{p,l} ||^2
 *    + kappa sigma_p^2 ||s_p||_0, at most one response type per frame. sigma_p comes first from
 *    the trace's spectrum (TraceNoiseLevels), then from the residual (robust standard deviation).
 *    With LearnResponses, block coordinate descent alternates these spikes of all traces with
 *    the responses shared by all traces (ImpulseResponseEstimator: non-negative least squares
 *    weighted by 1 / sigma_p^2, unit l2 norm, from the events above 4 sigma_p),
 *    NumberOfIterations times; one more pass gives the spike heights.
 * 2. Counting: every amplitude a whole number of spikes of height q_p (the trace's spike unit)
 *    at its response's peak, each spike paying sigma_p^2 log((1 - r) / r) -- the MAP penalty of
 *    a frame firing with probability r, the trace's event rate of stage 1. q_p starts at the
 *    quantum of all traces' events above 3 sigma_p (QuantalUnitEstimate: heights are whole
 *    multiples of it; their median over-estimates it, events of several spikes raise it), or
 *    SpikeUnit, and is refitted per trace by least squares NumberOfUnitRefinements times, each
 *    time with the noise levels (root mean square residual) and, when learned, the responses
 *    (from the counted spikes; q_p then follows the new response's peak), each followed by
 *    another counting pass.
 *
 * Output 0: the spike counts, laid out as the input. Output 1 (GetFit()): the denoised traces,
 * b_p + sum_l f_l * s_{p,l}. After the update: GetResponses(), GetSpikes(), GetNoiseLevels(),
 * GetBaselines(), GetSpikeUnits(), GetObjective() (sum over traces, per pass).
 *
 * Progress and IterationEvent after each pass over the traces; abort between traces.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TImage>
class ITK_TEMPLATE_EXPORT SparseTemporalDeconvolutionFilter : public ImageToImageFilter<TImage, TImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SparseTemporalDeconvolutionFilter);

  using Self = SparseTemporalDeconvolutionFilter;
  using Superclass = ImageToImageFilter<TImage, TImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SparseTemporalDeconvolutionFilter, ImageToImageFilter);

  static constexpr unsigned int ImageDimension = TImage::ImageDimension;
  using ImageType = TImage;
  using PixelType = typename TImage::PixelType;
  using RealType = double;
  using PursuitType = SpikeTrainPursuit<PixelType>;
  using ResponseType = typename PursuitType::ResponseType;

  /** One detected spike event. */
  struct SpikeEvent
  {
    SizeValueType Trace{ 0 }; // linear index over the non-time axes
    SizeValueType Frame{ 0 };
    unsigned int  Response{ 0 };
    double        Amplitude{ 0.0 }; // peak height, a max(f_l)
    unsigned int  Count{ 0 };
  };

  /** Response length F in frames (default 60). */
  itkSetMacro(ResponseLength, unsigned int);
  itkGetConstMacro(ResponseLength, unsigned int);
  /** Number of response types L (default 1). */
  itkSetMacro(NumberOfResponses, unsigned int);
  itkGetConstMacro(NumberOfResponses, unsigned int);
  /** Learn the responses (default on); off: the given or initial responses stay. */
  itkSetMacro(LearnResponses, bool);
  itkGetConstMacro(LearnResponses, bool);
  itkBooleanMacro(LearnResponses);
  /** Response updates of the free-amplitude stage (default 2). */
  itkSetMacro(NumberOfIterations, unsigned int);
  itkGetConstMacro(NumberOfIterations, unsigned int);
  /** kappa: the l0 penalty of the free-amplitude passes in noise variances (default 1). */
  itkSetMacro(PenaltyInNoiseVariances, double);
  itkGetConstMacro(PenaltyInNoiseVariances, double);
  /** Initial responses without given ones: exponential decays exp(-k / tau) with tau this many
   * frames times 1, 2, ... L (0, default: the traces' own decay time, from their pooled
   * autocovariance at lags 1 and 2 -- the response learning starts where the data are, whatever
   * the indicator and the frame rate); or truncated non-negative noise with Seed. */
  itkSetMacro(InitialDecay, double);
  itkGetConstMacro(InitialDecay, double);
  itkSetMacro(RandomInitialization, bool);
  itkGetConstMacro(RandomInitialization, bool);
  itkBooleanMacro(RandomInitialization);
  itkSetMacro(Seed, unsigned int);
  itkGetConstMacro(Seed, unsigned int);
  /** The height of one spike at its response's peak (0, default: estimated per trace). */
  itkSetMacro(SpikeUnit, double);
  itkGetConstMacro(SpikeUnit, double);
  /** Counting passes after the first, each after a least-squares update of the spike units
   * (default 2; none with a given SpikeUnit). */
  itkSetMacro(NumberOfUnitRefinements, unsigned int);
  itkGetConstMacro(NumberOfUnitRefinements, unsigned int);
  /** Start each trace's spike unit from its own events (at least 5 above 3 noise deviations),
   * for traces of unrelated scales such as the cells of a movie; off (default): from all
   * traces' events, as for traces of one recording. */
  itkSetMacro(UnitPerTrace, bool);
  itkGetConstMacro(UnitPerTrace, bool);
  itkBooleanMacro(UnitPerTrace);
  /** Estimate a constant baseline per trace (default on). */
  itkSetMacro(EstimateBaseline, bool);
  itkGetConstMacro(EstimateBaseline, bool);
  itkBooleanMacro(EstimateBaseline);
  /** Local moves of up to this many frames (default 4). */
  itkSetMacro(MaximumShift, unsigned int);
  itkGetConstMacro(MaximumShift, unsigned int);

  /** Given responses (L of F taps each, not all zero, finite): they initialise the learning or,
   * with LearnResponses off, are used as they are. Empty (default): initialised as above. */
  void
  SetInitialResponses(const std::vector<ResponseType> & responses);

  /** The responses after the update, each of unit l2 norm. */
  const std::vector<ResponseType> &
  GetResponses() const
  {
    return m_Responses;
  }
  const std::vector<SpikeEvent> &
  GetSpikes() const
  {
    return m_Spikes;
  }
  const std::vector<double> &
  GetNoiseLevels() const
  {
    return m_NoiseLevels;
  }
  const std::vector<double> &
  GetBaselines() const
  {
    return m_Baselines;
  }
  const std::vector<double> &
  GetSpikeUnits() const
  {
    return m_SpikeUnits;
  }
  /** The objective summed over traces after each pass (its penalty is that pass's: free
   * amplitudes or counted spikes, so passes of different stages do not compare). */
  const std::vector<double> &
  GetObjective() const
  {
    return m_Objective;
  }
  TImage *
  GetFit()
  {
    return this->GetOutput(1);
  }

protected:
  SparseTemporalDeconvolutionFilter();
  ~SparseTemporalDeconvolutionFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

private:
  using ResultType = typename PursuitType::Result;
  /** Free-amplitude events used for the typical spike height, and for the responses' shape, in
   * noise deviations of their matched-filter response (the amplitude on a unit-norm response).
   * The height needs events that are not noise; the shape needs events found whatever the noise
   * at their onset, or it learns that noise (a spike is picked where the noise raises it: the
   * response's first taps grow). Measured on the dev traces and on planted ones (60 traces,
   * sigma 0.25, 4 Hz): responses from events above 2 deviations score 0.953 and 0.89, above 4
   * 0.952 and 0.96, above 6 0.948 and 0.99. */
  static constexpr double UnitSignificance = 3.0;
  static constexpr double ResponseSignificance = 4.0;
  static constexpr size_t MinimumOwnEvents = 5;

  void
  CheckParameters(SizeValueType frames) const;
  std::vector<ResponseType>
  InitialResponses() const;
  /** The decay time, in frames, of the traces' pooled autocovariance (lags 1 and 2). */
  double
  EstimateDecay(const PixelType * data) const;
  /** One pass of the pursuit over every trace (threaded); false when aborted. */
  bool
  DeconvolveAll(const PursuitType & pursuit, const PixelType * data, const std::vector<double> & lambdas,
                const std::vector<double> & quanta, std::vector<ResultType> & results);
  /** Responses from every trace's spikes; the objective after the update. */
  void
  UpdateResponses(const PixelType * data, const std::vector<ResultType> & results, bool counted);
  void
  EstimateNoiseLevels(const PixelType * data, const std::vector<ResultType> * results);
  /** An event's height at its response's peak, and that height's noise deviation. */
  struct EventHeight
  {
    double Height;
    double Deviation;
  };
  std::vector<EventHeight>
  EventHeights(const ResultType & result, SizeValueType trace, bool significantOnly) const;
  /** The quantum (QuantalUnitEstimate from the median) of the events at or above \c floor; 0 for none. */
  static double
  QuantumOfEventsAbove(const std::vector<EventHeight> & events, double floor);
  double
  PeakHeight(const typename PursuitType::Spike & spike) const;
  double
  CountPenalty(SizeValueType events) const;
  void
  EstimateSpikeUnits(const std::vector<ResultType> & results);
  void
  RefineSpikeUnits(const PixelType * data, const std::vector<ResultType> & results);
  void
  CountSpikes(const std::vector<ResultType> & results);
  void
  WriteOutputs(const std::vector<ResultType> & results);

  unsigned int              m_ResponseLength{ 60 };
  unsigned int              m_NumberOfResponses{ 1 };
  bool                      m_LearnResponses{ true };
  unsigned int              m_NumberOfIterations{ 2 };
  double                    m_PenaltyInNoiseVariances{ 1.0 };
  double                    m_InitialDecay{ 0.0 };
  bool                      m_RandomInitialization{ false };
  unsigned int              m_Seed{ 0 };
  double                    m_SpikeUnit{ 0.0 };
  unsigned int              m_NumberOfUnitRefinements{ 2 };
  bool                      m_EstimateBaseline{ true };
  bool                      m_UnitPerTrace{ false };
  unsigned int              m_MaximumShift{ 4 };
  std::vector<ResponseType> m_InitialResponses;
  double                    m_EstimatedDecay{ 1.0 };

  std::vector<ResponseType> m_Responses;
  std::vector<SpikeEvent>   m_Spikes;
  std::vector<double>       m_NoiseLevels, m_Baselines, m_SpikeUnits, m_Objective;
  SizeValueType             m_NumberOfTraces{ 0 }, m_NumberOfFrames{ 0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSparseTemporalDeconvolutionFilter.hxx"
#endif

#endif
