#ifndef itkSpaceTimeDeconvolutionFilter_hxx
#define itkSpaceTimeDeconvolutionFilter_hxx

#include "itkFilterInputChecks.h"
#include "itkTotalVariationProximalOperator.h"
#include "itkTraceNoiseLevel.h"
#include "itk_eigen.h"
#include ITK_EIGEN(Dense)
#include <cmath>
#include <numeric>
#include <random>
#include <type_traits>

namespace itk
{
template <typename TInputImage>
SpaceTimeDeconvolutionFilter<TInputImage>::SpaceTimeDeconvolutionFilter()
{
  static_assert(ImageDimension >= 2, "SpaceTimeDeconvolutionFilter needs at least one spatial axis and time");
  this->SetNumberOfRequiredInputs(1);
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::SetInitialAppearances(const std::vector<AppearanceType> & appearances)
{
  m_InitialAppearances = appearances;
  this->Modified();
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::SetInitialResponses(const std::vector<ResponseType> & responses)
{
  if (!responses.empty())
  {
    SpikeTrainPursuit<float>::New()->SetResponses(responses); // the same checks as the pursuit's
  }
  m_InitialResponses = responses;
  this->Modified();
}

template <typename TInputImage>
auto
SpaceTimeDeconvolutionFilter<TInputImage>::SpatialPart(const typename InputImageType::RegionType & region)
  -> SpatialRegionType
{
  SpatialRegionType spatial;
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    spatial.SetIndex(d, region.GetIndex(d));
    spatial.SetSize(d, region.GetSize(d));
  }
  return spatial;
}

template <typename TInputImage>
auto
SpaceTimeDeconvolutionFilter<TInputImage>::WithAllFrames(const SpatialRegionType &                   region,
                                                         const typename InputImageType::RegionType & movie) ->
  typename InputImageType::RegionType
{
  auto all = movie;
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    all.SetIndex(d, region.GetIndex(d));
    all.SetSize(d, region.GetSize(d));
  }
  return all;
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  const auto movie = this->GetInput()->GetLargestPossibleRegion();
  m_CoreRegion = SpatialPart(movie);
  auto * image = dynamic_cast<ImageBase<ImageDimension> *>(output);
  if (!image)
  {
    output->SetRequestedRegionToLargestPossibleRegion();
    return;
  }
  // The requested pixels, always over every frame: a cell's trace needs the whole movie.
  SpatialRegionType asked = SpatialPart(image->GetRequestedRegion());
  if (asked.GetNumberOfPixels() > 0 && asked.Crop(m_CoreRegion))
  {
    m_CoreRegion = asked;
  }
  image->SetRequestedRegion(WithAllFrames(m_CoreRegion, movie));
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  auto * input = const_cast<TInputImage *>(this->GetInput());
  if (!input)
  {
    return;
  }
  const auto movie = input->GetLargestPossibleRegion();
  const auto whole = SpatialPart(movie);
  m_SolveRegion = whole;
  if (m_CoreRegion.GetNumberOfPixels() > 0 && m_CoreRegion != whole)
  {
    typename SpatialRegionType::SizeType window;
    window.Fill(m_AppearanceSize);
    const auto halo = ImageTiling<SpatialDimension>::HaloForKernel(window, m_HaloRadii);
    m_SolveRegion = ImageTiling<SpatialDimension>::Grow(
      m_CoreRegion, halo, whole, typename ImageTiling<SpatialDimension>::AlignmentType(1u));
  }
  input->SetRequestedRegion(WithAllFrames(m_SolveRegion, movie));
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::CheckInput(const InputImageType * input) const
{
  const auto size = WithAllFrames(m_SolveRegion, input->GetLargestPossibleRegion()).GetSize();
  const auto T = size[SpatialDimension];
  if (m_NumberOfCells == 0 || m_NumberOfAppearances == 0 || m_NumberOfResponses == 0 || m_ResponseLength == 0)
  {
    itkExceptionMacro("NumberOfCells (K), NumberOfAppearances (J), NumberOfResponses (L) and ResponseLength (F) must "
                      "be positive, got K "
                      << m_NumberOfCells << ", J " << m_NumberOfAppearances << ", L " << m_NumberOfResponses << ", F "
                      << m_ResponseLength);
  }
  if (m_AppearanceSize == 0 || m_AppearanceSize % 2 == 0)
  {
    itkExceptionMacro("AppearanceSize must be odd (a window centred on the cell), got " << m_AppearanceSize);
  }
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    if (m_AppearanceSize > size[d])
    {
      itkExceptionMacro("AppearanceSize " << m_AppearanceSize << " is larger than the "
                                          << (m_SolveRegion == SpatialPart(input->GetLargestPossibleRegion())
                                                ? "frame"
                                                : "requested region grown by its halo")
                                          << " (" << size[d] << " pixels on axis " << d << ")");
    }
  }
  if (T < m_ResponseLength || T < 4)
  {
    itkExceptionMacro("the sequence has " << T << " frames, fewer than the response length " << m_ResponseLength
                                          << " (or than 4)");
  }
  if (!(m_FrameRate > 0.0) || !std::isfinite(m_FrameRate))
  {
    itkExceptionMacro("FrameRate must be positive and finite, got " << m_FrameRate);
  }
  if (!(m_SpikePenalty >= 0.0) || !std::isfinite(m_SpikePenalty))
  {
    itkExceptionMacro("SpikePenalty must be finite and >= 0, got " << m_SpikePenalty);
  }
  if (!std::isfinite(m_LambdaTV) || !std::isfinite(m_MinimumSignificance) || !(m_FootprintFraction > 0.0) ||
      !(m_FootprintFraction < 1.0))
  {
    itkExceptionMacro("LambdaTV and MinimumSignificance must be finite and FootprintFraction in (0, 1), got "
                      << m_LambdaTV << ", " << m_MinimumSignificance << ", " << m_FootprintFraction);
  }
  if (!m_InitialAppearances.empty() && m_InitialAppearances.size() != m_NumberOfAppearances)
  {
    itkExceptionMacro(<< m_InitialAppearances.size() << " appearances given, NumberOfAppearances is "
                      << m_NumberOfAppearances);
  }
  if (!m_InitialResponses.empty() &&
      (m_InitialResponses.size() != m_NumberOfResponses || m_InitialResponses[0].size() != m_ResponseLength))
  {
    itkExceptionMacro("the given responses (" << m_InitialResponses.size() << " of " << m_InitialResponses[0].size()
                                              << " frames) do not match NumberOfResponses " << m_NumberOfResponses
                                              << " and ResponseLength " << m_ResponseLength);
  }
}

template <typename TInputImage>
auto
SpaceTimeDeconvolutionFilter<TInputImage>::InitialAppearances() const -> std::vector<AppearanceType>
{
  const unsigned int               W = m_AppearanceSize;
  const long                       c = long(W / 2);
  const SizeValueType              length = SizeValueType(std::pow(double(W), double(SpatialDimension)) + 0.5);
  std::vector<AppearanceType>      appearances(m_NumberOfAppearances, AppearanceType(length, 0.0));
  std::mt19937                     random(m_Seed);
  std::normal_distribution<double> normal;
  for (unsigned int j = 0; j < m_NumberOfAppearances; ++j)
  {
    AppearanceType & H = appearances[j];
    if (!m_InitialAppearances.empty())
    {
      if (m_InitialAppearances[j].size() != length)
      {
        itkExceptionMacro("given appearance " << j << " has " << m_InitialAppearances[j].size() << " values, not "
                                              << length << " (AppearanceSize^" << SpatialDimension << ")");
      }
      H = m_InitialAppearances[j];
    }
    else
    {
      // Soft disks of radii spread over the window: c (j + 1) / (J + 1).
      const double radius = double(c) * double(j + 1) / double(m_NumberOfAppearances + 1);
      for (SizeValueType i = 0; i < length; ++i)
      {
        SizeValueType rest = i;
        double        rho2 = 0.0;
        for (unsigned int d = 0; d < SpatialDimension; ++d)
        {
          const double u = double(long(rest % W) - c);
          rho2 += u * u;
          rest /= W;
        }
        H[i] = m_RandomInitialization ? std::max(0.0, normal(random))
                                      : 0.5 * (1.0 - std::tanh((std::sqrt(rho2) - radius) / 0.8));
      }
    }
    double energy = 0.0;
    for (const double h : H)
    {
      if (!std::isfinite(h) || h < 0.0)
      {
        itkExceptionMacro("appearance " << j << " has a negative or non-finite value");
      }
      energy += h * h;
    }
    if (!(energy > 0.0))
    {
      itkExceptionMacro("appearance " << j << " is all zero");
    }
    for (double & h : H)
    {
      h /= std::sqrt(energy);
    }
  }
  return appearances;
}

template <typename TInputImage>
const float *
SpaceTimeDeconvolutionFilter<TInputImage>::MovieValues(const InputImageType * input, std::vector<float> & copy) const
{
  // A float movie buffered whole is used in place (no copy of the largest array); anything else
  // is copied to float. Either way every value is checked.
  const auto region = WithAllFrames(m_SolveRegion, input->GetLargestPossibleRegion());
  if constexpr (std::is_same_v<PixelType, float>)
  {
    if (input->GetBufferedRegion() == region)
    {
      CheckFiniteBuffer(input);
      return input->GetBufferPointer();
    }
  }
  copy = ReadFiniteImage<float>(input, region);
  return copy.data();
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::CheckAbort() const
{
  if (this->GetAbortGenerateData())
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("SpaceTimeDeconvolution aborted by the user");
    throw exception;
  }
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::GenerateData()
{
  const InputImageType * input = this->GetInput();
  this->CheckInput(input);
  std::vector<float> copy;
  const float *      Y = this->MovieValues(input, copy);
  const auto         size = WithAllFrames(m_SolveRegion, input->GetLargestPossibleRegion()).GetSize();
  m_Size.assign(size.begin(), size.begin() + SpatialDimension);
  m_Pixels = std::accumulate(m_Size.begin(), m_Size.end(), SizeValueType(1), std::multiplies<SizeValueType>());
  m_Frames = size[SpatialDimension];
  m_Appearances = this->InitialAppearances();
  m_Responses = m_InitialResponses;
  m_Pursuit = PursuitType::New();
  m_Pursuit->SetImageSize(m_Size);
  m_Pursuit->SetMaximumNumberOfCells(m_NumberOfCells);
  m_Pursuit->SetMinimumSignificance(m_MinimumSignificance);
  m_Background.clear();
  m_Objective.clear();
  m_BlockObjectives.clear();
  m_NumberOfRejectedSteps = 0;
  m_Detected.clear();
  m_Traces.clear();
  m_DenoisedTraces.clear();
  this->UpdateProgress(0.0f);

  const unsigned int iterations = std::max(1u, m_NumberOfIterations);
  // At most two movies at once beside the input (R and the model) outside the pursuit.
  std::vector<float> R, model; // the cells' activity; empty: no cell yet
  for (unsigned int iteration = 0; iteration < iterations; ++iteration)
  {
    if (iteration == 0)
    {
      this->UpdateBackground(Y, nullptr);
      m_BlockObjectives.push_back(this->Objective(Y, model));
    }
    else
    {
      DescentState before = this->SaveState();
      this->UpdateBackground(Y, &model);
      this->KeepIfNotWorse(Y, model, before);
    }
    std::vector<float>().swap(model); // the pursuit's correlation arrays take its place
    DescentState before = this->SaveState();
    // The pursuit reads R = Y / B - 1 as it goes: its J correlation arrays and a stored R would
    // be 2 + J movies at once with the input; R is stored after it.
    m_Pursuit->SetAppearances(m_Appearances, m_AppearanceSize);
    m_Detected =
      m_Pursuit->DetectIn([this, Y](SizeValueType p, SizeValueType t) { return this->RelativeFluorescenceAt(Y, p, t); },
                          m_Frames,
                          this->GetMultiThreader());
    this->CheckAbort();
    this->RelativeFluorescence(Y, R);
    this->UpdateTraces(R);
    this->CheckAbort();
    model = this->CellModel();
    if (!this->KeepIfNotWorse(Y, model, before))
    {
      this->RebuildCellModel(model);
    }
    const bool last = iteration + 1 == iterations;
    if (!last && m_LearnAppearances && !m_Detected.empty())
    {
      before = this->SaveState();
      this->UpdateAppearances(R, model);
      this->RebuildCellModel(model);
      if (!this->KeepIfNotWorse(Y, model, before))
      {
        this->RebuildCellModel(model);
      }
    }
    std::vector<float>().swap(R); // the movie-sized arrays few at a time: R is recomputed
    m_Objective.push_back(m_BlockObjectives.back());
    this->InvokeEvent(IterationEvent());
    this->UpdateProgress(static_cast<float>(iteration + 1) / static_cast<float>(iterations));
  }
  std::vector<float>().swap(model);
  this->WriteOutputs();
  this->UpdateProgress(1.0f);
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::UpdateBackground(const float * Y, const std::vector<float> * cells)
{
  const SizeValueType P = m_Pixels, T = m_Frames;
  auto                corrected = [&](SizeValueType i) {
    return cells ? double(Y[i]) / std::max(0.5, 1.0 + double((*cells)[i])) : double(Y[i]);
  };
  if (m_Background.empty())
  {
    m_Background.assign(P, 0.0);
    for (SizeValueType t = 0; t < T; ++t)
    {
      for (SizeValueType p = 0; p < P; ++p)
      {
        m_Background[p] += double(Y[p + t * P]) / double(T);
      }
    }
    // b_t starts as the median over pixels of Y / B_s (robust to the cells' activity).
    m_TemporalBackground.assign(T, 1.0);
    this->GetMultiThreader()->ParallelizeArray(
      0,
      T,
      [&](SizeValueType t) {
        std::vector<double> ratio(P);
        for (SizeValueType p = 0; p < P; ++p)
        {
          ratio[p] = double(Y[p + t * P]) / std::max(1e-30, m_Background[p]);
        }
        std::nth_element(ratio.begin(), ratio.begin() + P / 2, ratio.end());
        m_TemporalBackground[t] = ratio[P / 2];
      },
      nullptr);
    m_PixelNoise = TraceNoiseLevels(Y, P, T, this->GetMultiThreader());
    auto sorted = m_PixelNoise;
    std::nth_element(sorted.begin(), sorted.begin() + P / 2, sorted.end());
    // Auto: a TV prox at twice the noise of the temporal mean image (lambda / sum b_t^2).
    m_AppliedLambda = m_LambdaTV >= 0.0 ? m_LambdaTV : 2.0 * sorted[P / 2] / std::sqrt(double(T)) * double(T);
  }
  auto tv = TotalVariationProximalOperator<double>::New();
  tv->SetImageSize(m_Size);
  tv->SetRelativeGapTolerance(1e-4);
  tv->SetMaximumNumberOfIterations(200);
  MultiThreaderBase *   threader = this->GetMultiThreader();
  std::vector<double> & Bs = m_Background;
  std::vector<double> & bt = m_TemporalBackground;
  std::vector<double>   mean(P);
  for (unsigned int pass = 0; pass < 3; ++pass)
  {
    // b_t by least squares over the quieter half of the pixels: those whose residual variance,
    // in their own noise variances, is below the median. Cells not (yet) in the model are loud;
    // fitted with the rest they would make b_t follow their summed activity, a signal common to
    // every pixel that looks like a cell everywhere.
    std::vector<double> loudness(P, 0.0);
    threader->ParallelizeArray(
      0,
      P,
      [&](SizeValueType p) {
        double sum = 0.0;
        for (SizeValueType t = 0; t < T; ++t)
        {
          const double r = corrected(p + t * P) - Bs[p] * bt[t];
          sum += r * r;
        }
        loudness[p] = sum / std::max(1e-30, m_PixelNoise[p] * m_PixelNoise[p]);
      },
      nullptr);
    auto ranked = loudness;
    std::nth_element(ranked.begin(), ranked.begin() + P / 2, ranked.end());
    const double        quiet = ranked[P / 2];
    double              norm = 0.0, average = 0.0;
    std::vector<double> sums(T, 0.0);
    for (SizeValueType p = 0; p < P; ++p)
    {
      if (loudness[p] <= quiet)
      {
        norm += Bs[p] * Bs[p];
        for (SizeValueType t = 0; t < T; ++t)
        {
          sums[t] += Bs[p] * corrected(p + t * P);
        }
      }
    }
    for (SizeValueType t = 0; t < T; ++t)
    {
      bt[t] = norm > 0.0 ? sums[t] / norm : 1.0;
      average += bt[t] / double(T);
    }
    for (double & b : bt)
    {
      b = average > 0.0 ? b / average : 1.0;
    }
    // B_s = prox_{lambda / sum b^2 TV}(sum_t b_t Z_t / sum b^2).
    const double energy = std::inner_product(bt.begin(), bt.end(), bt.begin(), 0.0);
    std::fill(mean.begin(), mean.end(), 0.0);
    for (SizeValueType t = 0; t < T; ++t)
    {
      for (SizeValueType p = 0; p < P; ++p)
      {
        mean[p] += bt[t] * corrected(p + t * P) / energy;
      }
    }
    if (cells)
    {
      this->FillUnderCells(mean);
    }
    tv->Apply(mean.data(), Bs.data(), m_AppliedLambda / energy);
    // B must stay positive: R = Y / B - 1 divides by it.
    const double floor = 1e-3 * std::max(1e-30, *std::max_element(Bs.begin(), Bs.end()));
    for (double & b : Bs)
    {
      b = std::max(b, floor);
    }
  }
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::FillUnderCells(std::vector<double> & image) const
{
  // Weight 0 under the cells (their appearance above 5 % of its peak), 1 elsewhere; the filled
  // value is the Gaussian-weighted mean of the uncovered pixels around (normalised convolution).
  const SizeValueType P = m_Pixels;
  std::vector<double> weight(P, 1.0);
  for (const Cell & cell : m_Detected)
  {
    const auto & H = m_Appearances[cell.Appearance];
    const double peak = *std::max_element(H.begin(), H.end());
    m_Pursuit->ForEachPixel(cell, [&](SizeValueType pixel, double h) {
      if (h > 0.05 * peak)
      {
        weight[pixel] = 0.0;
      }
    });
  }
  std::vector<double> numerator(P), denominator(weight);
  for (SizeValueType p = 0; p < P; ++p)
  {
    numerator[p] = image[p] * weight[p];
  }
  const double        sigma = 0.5 * double(m_AppearanceSize);
  const long          radius = long(std::ceil(3.0 * sigma));
  std::vector<double> kernel(2 * radius + 1);
  for (long i = -radius; i <= radius; ++i)
  {
    kernel[i + radius] = std::exp(-0.5 * double(i * i) / (sigma * sigma));
  }
  SizeValueType       stride = 1;
  std::vector<double> line;
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    const SizeValueType n = m_Size[d];
    for (auto * values : { &numerator, &denominator })
    {
      std::vector<double> out(P, 0.0);
      for (SizeValueType p = 0; p < P; ++p)
      {
        const long x = long((p / stride) % n);
        double     sum = 0.0;
        for (long i = std::max(-radius, -x); i <= std::min(radius, long(n) - 1 - x); ++i)
        {
          sum += kernel[i + radius] * (*values)[SizeValueType(long(p) + i * long(stride))];
        }
        out[p] = sum;
      }
      values->swap(out);
    }
    stride *= n;
  }
  for (SizeValueType p = 0; p < P; ++p)
  {
    if (weight[p] == 0.0 && denominator[p] > 1e-12)
    {
      image[p] = numerator[p] / denominator[p];
    }
  }
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::RelativeFluorescence(const float * Y, std::vector<float> & R) const
{
  const SizeValueType P = m_Pixels, T = m_Frames;
  R.resize(P * T);
  for (SizeValueType t = 0; t < T; ++t)
  {
    for (SizeValueType p = 0; p < P; ++p)
    {
      R[p + t * P] = this->RelativeFluorescenceAt(Y, p, t);
    }
  }
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::UpdateTraces(const std::vector<float> & R)
{
  const SizeValueType K = m_Detected.size(), T = m_Frames;
  m_Traces.assign(K * T, 0.0f);
  m_DenoisedTraces.assign(K * T, 0.0f);
  m_Spikes.clear();
  m_SpikeUnits.assign(K, 0.0);
  m_Baselines.assign(K, 0.0);
  if (K == 0)
  {
    return;
  }
  // Joint least squares: (A^T A) C = A^T R, A the cells' footprints (overlaps share pixels).
  Eigen::MatrixXd     gram(K, K), rhs(K, T);
  std::vector<double> trace;
  for (SizeValueType k = 0; k < K; ++k)
  {
    for (SizeValueType l = k; l < K; ++l)
    {
      gram(k, l) = gram(l, k) = m_Pursuit->Overlap(m_Detected[k], m_Detected[l]);
    }
    m_Pursuit->Project(R.data(), T, m_Detected[k], trace);
    rhs.row(k) = Eigen::Map<const Eigen::RowVectorXd>(trace.data(), Eigen::Index(T));
  }
  gram.diagonal().array() += 1e-9 * gram.diagonal().maxCoeff();
  const Eigen::MatrixXd C = gram.ldlt().solve(rhs);
  for (SizeValueType k = 0; k < K; ++k)
  {
    for (SizeValueType t = 0; t < T; ++t)
    {
      m_Traces[k + t * K] = static_cast<float>(C(k, t));
    }
  }
  // Spikes, responses and denoised traces by sparse temporal deconvolution of the K traces.
  auto image = TraceImageType::New();
  image->SetRegions(typename TraceImageType::SizeType{ { K, T } });
  image->Allocate();
  std::copy(m_Traces.begin(), m_Traces.end(), image->GetBufferPointer());
  auto temporal = TemporalFilterType::New();
  temporal->SetInput(image);
  temporal->SetResponseLength(m_ResponseLength);
  temporal->SetNumberOfResponses(m_NumberOfResponses);
  temporal->SetLearnResponses(m_LearnResponses || m_Responses.empty());
  if (!m_Responses.empty())
  {
    temporal->SetInitialResponses(m_Responses);
  }
  temporal->SetUnitPerTrace(true); // cells differ in brightness and size
  temporal->SetPenaltyInNoiseVariances(m_SpikePenalty);
  temporal->SetNumberOfWorkUnits(this->GetNumberOfWorkUnits());
  temporal->Update();
  if (m_LearnResponses || m_Responses.empty())
  {
    m_Responses = temporal->GetResponses();
  }
  m_Spikes = temporal->GetSpikes();
  m_SpikeUnits = temporal->GetSpikeUnits();
  m_Baselines = temporal->GetBaselines();
  // The cells' activity without the traces' baselines: a baseline is the background's error
  // under the cell, which the next background step takes back.
  const float * fit = temporal->GetFit()->GetBufferPointer();
  for (SizeValueType i = 0; i < K * T; ++i)
  {
    m_DenoisedTraces[i] = static_cast<float>(double(fit[i]) - m_Baselines[i % K]);
  }
}

template <typename TInputImage>
std::vector<float>
SpaceTimeDeconvolutionFilter<TInputImage>::CellModel() const
{
  const SizeValueType K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  std::vector<float>  model(P * T, 0.0f);
  for (SizeValueType k = 0; k < K; ++k)
  {
    m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) {
      for (SizeValueType t = 0; t < T; ++t)
      {
        model[pixel + t * P] += static_cast<float>(h * m_DenoisedTraces[k + t * K]);
      }
    });
  }
  return model;
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::RebuildCellModel(std::vector<float> & model) const
{
  std::vector<float>().swap(model);
  model = this->CellModel();
}

template <typename TInputImage>
std::vector<double>
SpaceTimeDeconvolutionFilter<TInputImage>::BaselineImage() const
{
  std::vector<double> image(m_Pixels, 0.0);
  for (SizeValueType k = 0; k < m_Detected.size() && k < m_Baselines.size(); ++k)
  {
    m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) { image[pixel] += h * m_Baselines[k]; });
  }
  return image;
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::RefitBaselines(const float * Y, const std::vector<float> & model)
{
  // b = argmin_b ||R - model - sum_k H_k b_k||^2 with the rest fixed: (T H^T H) b = H^T sum_t (R - model).
  const SizeValueType K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  if (K == 0 || model.size() != P * T)
  {
    return;
  }
  // sum_t (R - model) on the pixels under the cells, frame by frame (the movie's order), each
  // pixel summed by one work unit in frame order: the same b for any thread count.
  std::vector<char> covered(P, 0);
  for (const Cell & cell : m_Detected)
  {
    m_Pursuit->ForEachPixel(cell, [&](SizeValueType pixel, double) { covered[pixel] = 1; });
  }
  std::vector<SizeValueType> pixels;
  for (SizeValueType p = 0; p < P; ++p)
  {
    if (covered[p])
    {
      pixels.push_back(p);
    }
  }
  std::vector<double>     residualSum(P, 0.0);
  constexpr SizeValueType chunk = 256;
  this->GetMultiThreader()->ParallelizeArray(
    0,
    (pixels.size() + chunk - 1) / chunk,
    [&](SizeValueType c) {
      const SizeValueType end = std::min<SizeValueType>(pixels.size(), (c + 1) * chunk);
      for (SizeValueType t = 0; t < T; ++t)
      {
        for (SizeValueType i = c * chunk; i < end; ++i)
        {
          const SizeValueType p = pixels[i];
          residualSum[p] += double(this->RelativeFluorescenceAt(Y, p, t)) - double(model[p + t * P]);
        }
      }
    },
    nullptr);
  Eigen::MatrixXd gram(K, K);
  Eigen::VectorXd rhs(K);
  for (SizeValueType k = 0; k < K; ++k)
  {
    for (SizeValueType l = k; l < K; ++l)
    {
      gram(k, l) = gram(l, k) = double(T) * m_Pursuit->Overlap(m_Detected[k], m_Detected[l]);
    }
    double sum = 0.0;
    m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) { sum += h * residualSum[pixel]; });
    rhs(k) = sum;
  }
  gram.diagonal().array() += 1e-9 * gram.diagonal().maxCoeff();
  const Eigen::VectorXd b = gram.ldlt().solve(rhs);
  m_Baselines.assign(b.data(), b.data() + K);
}

template <typename TInputImage>
double
SpaceTimeDeconvolutionFilter<TInputImage>::Objective(const float * Y, const std::vector<float> & model) const
{
  const SizeValueType       P = m_Pixels, T = m_Frames;
  const std::vector<double> baselines = this->BaselineImage();
  std::vector<double>       perFrame(T, 0.0); // summed in frame order: the same F for any thread count
  this->GetMultiThreader()->ParallelizeArray(
    0,
    T,
    [&](SizeValueType t) {
      double sum = 0.0;
      for (SizeValueType p = 0; p < P; ++p)
      {
        const double cells = baselines[p] + (model.empty() ? 0.0 : double(model[p + t * P]));
        const double r = double(this->RelativeFluorescenceAt(Y, p, t)) - cells;
        sum += r * r;
      }
      perFrame[t] = sum;
    },
    nullptr);
  auto tv = TotalVariationProximalOperator<double>::New();
  tv->SetImageSize(m_Size);
  return std::accumulate(perFrame.begin(), perFrame.end(), 0.0) + m_AppliedLambda * tv->Evaluate(m_Background.data());
}

} // namespace itk

#include "itkSpaceTimeDeconvolutionFilterSteps.hxx"

#endif
