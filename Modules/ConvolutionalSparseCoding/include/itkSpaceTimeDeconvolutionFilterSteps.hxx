#ifndef itkSpaceTimeDeconvolutionFilterSteps_hxx
#define itkSpaceTimeDeconvolutionFilterSteps_hxx

// The appearance step and the outputs of SpaceTimeDeconvolutionFilter.

namespace itk
{
namespace detail
{
/** Offsets of window index i (window w per axis, x fastest), relative to the window's centre. */
inline void
WindowOffsets(SizeValueType i, unsigned int w, std::vector<long> & offsets)
{
  for (auto & offset : offsets)
  {
    offset = long(i % w) - long(w / 2);
    i /= w;
  }
}


/** Index in a window of w per axis of offset u (from the appearance window's corner) moved by
 * shift and by the margin (w - appearance window) / 2. */
inline SizeValueType
GrownWindowIndex(const std::vector<long> & u, const std::vector<long> & shift, unsigned int w)
{
  SizeValueType index = 0, stride = 1;
  for (size_t d = 0; d < u.size(); ++d)
  {
    index += SizeValueType(u[d] + shift[d] + long(w / 2)) * stride;
    stride *= w;
  }
  return index;
}
} // namespace detail

template <typename TInputImage>
double
SpaceTimeDeconvolutionFilter<TInputImage>::ResidualProjection(SizeValueType k, const std::vector<float> & R,
                                                              const std::vector<float> & model, unsigned int window,
                                                              std::vector<double> & M,
                                                              std::vector<long> &   pixelOf) const
{
  // M(x) = sum_t c_k(t) (R - model + A_k c_k)(x, t) on a window around the cell; pixelOf: -1 outside.
  const SizeValueType K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  const float *       c = m_DenoisedTraces.data() + k;
  double              S = 0.0;
  for (SizeValueType t = 0; t < T; ++t)
  {
    S += double(c[t * K]) * double(c[t * K]);
  }
  std::vector<std::pair<SizeValueType, double>> footprint;
  m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) { footprint.emplace_back(pixel, h); });
  std::vector<long> offsets(SpatialDimension);
  for (SizeValueType i = 0; i < M.size(); ++i)
  {
    detail::WindowOffsets(i, window, offsets);
    SizeValueType pixel = 0, stride = 1;
    bool          inside = true;
    for (unsigned int d = 0; d < SpatialDimension && inside; ++d)
    {
      const long x = m_Detected[k].Position[d] + offsets[d];
      inside = x >= 0 && x < long(m_Size[d]);
      pixel += SizeValueType(x) * stride;
      stride *= m_Size[d];
    }
    pixelOf[i] = inside ? long(pixel) : -1;
    M[i] = 0.0;
    for (SizeValueType t = 0; inside && t < T; ++t)
    {
      M[i] += double(c[t * K]) * (double(R[pixel + t * P]) - double(model[pixel + t * P]));
    }
  }
  // The cell's own part, A_k(x) S, back in: footprint pixels found by position in the window.
  for (const auto & [pixel, h] : footprint)
  {
    const auto at = std::find(pixelOf.begin(), pixelOf.end(), long(pixel));
    if (at != pixelOf.end())
    {
      M[SizeValueType(at - pixelOf.begin())] += S * h;
    }
  }
  return S;
}

template <typename TInputImage>
unsigned int
SpaceTimeDeconvolutionFilter<TInputImage>::BestPlacement(const std::vector<double> & M,
                                                         const std::vector<long> & pixelOf, double S,
                                                         unsigned int window, std::vector<long> & shift) const
{
  // The appearance and shift that lower ||R_k - H c_k||^2 most: max 2 <H, M> - S ||H||^2.
  const long          margin = long(window - m_AppearanceSize) / 2;
  const SizeValueType shifts = SizeValueType(std::pow(double(2 * margin + 1), double(SpatialDimension)) + 0.5);
  double              bestGain = -std::numeric_limits<double>::infinity();
  unsigned int        bestJ = 0;
  std::vector<long>   offsets(SpatialDimension), u(SpatialDimension);
  for (unsigned int j = 0; j < m_Appearances.size(); ++j)
  {
    for (SizeValueType s = 0; s < shifts; ++s)
    {
      detail::WindowOffsets(s, 2 * margin + 1, offsets);
      double gain = 0.0;
      for (SizeValueType i = 0; i < m_Appearances[j].size(); ++i)
      {
        detail::WindowOffsets(i, m_AppearanceSize, u);
        const SizeValueType index = detail::GrownWindowIndex(u, offsets, window);
        if (pixelOf[index] >= 0)
        {
          const double h = m_Appearances[j][i];
          gain += 2.0 * h * M[index] - S * h * h;
        }
      }
      if (gain > bestGain)
      {
        bestGain = gain;
        bestJ = j;
        shift = offsets;
      }
    }
  }
  return bestJ;
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::UpdateAppearances(const std::vector<float> & R,
                                                             const std::vector<float> & model)
{
  constexpr unsigned int      margin = 2; // a cell moves by at most this many pixels per iteration
  const unsigned int          W = m_AppearanceSize, grown = W + 2 * margin;
  const SizeValueType         J = m_Appearances.size(), length = m_Appearances[0].size();
  std::vector<AppearanceType> numerator(J, AppearanceType(length, 0.0));
  std::vector<double>         denominator(J, 0.0);
  std::vector<double>         M(SizeValueType(std::pow(double(grown), double(SpatialDimension)) + 0.5));
  std::vector<long>           pixelOf(M.size()), shift(SpatialDimension), u(SpatialDimension);
  for (SizeValueType k = 0; k < m_Detected.size(); ++k)
  {
    const double S = this->ResidualProjection(k, R, model, grown, M, pixelOf);
    if (!(S > 0.0))
    {
      continue;
    }
    const unsigned int j = this->BestPlacement(M, pixelOf, S, grown, shift);
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      m_Detected[k].Position[d] += shift[d];
    }
    m_Detected[k].Appearance = j;
    if (this->CutByTheSolveRegion(m_Detected[k]))
    {
      continue; // streamed: its window is cut by the tile's edge, not the movie's; no shape to learn
    }
    for (SizeValueType i = 0; i < length; ++i)
    {
      detail::WindowOffsets(i, W, u);
      numerator[j][i] += M[detail::GrownWindowIndex(u, shift, grown)];
    }
    denominator[j] += S;
  }
  // H_j by least squares over its cells, projected onto H >= 0, ||H|| = 1.
  for (SizeValueType j = 0; j < J; ++j)
  {
    double energy = 0.0;
    for (double & h : numerator[j])
    {
      h = denominator[j] > 0.0 ? std::max(0.0, h / denominator[j]) : 0.0;
      energy += h * h;
    }
    if (energy > 0.0)
    {
      for (double & h : numerator[j])
      {
        h /= std::sqrt(energy);
      }
      m_Appearances[j] = numerator[j];
    }
  }
  m_Pursuit->SetAppearances(m_Appearances, m_AppearanceSize);
}

template <typename TInputImage>
auto
SpaceTimeDeconvolutionFilter<TInputImage>::SaveState() const -> DescentState
{
  return DescentState{ m_Detected,  m_Traces,     m_DenoisedTraces,     m_Spikes,    m_SpikeUnits,
                       m_Baselines, m_Background, m_TemporalBackground, m_Responses, m_Appearances };
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::RestoreState(DescentState & state)
{
  m_Detected.swap(state.Detected);
  m_Traces.swap(state.Traces);
  m_DenoisedTraces.swap(state.DenoisedTraces);
  m_Spikes.swap(state.Spikes);
  m_SpikeUnits.swap(state.SpikeUnits);
  m_Baselines.swap(state.Baselines);
  m_Background.swap(state.Background);
  m_TemporalBackground.swap(state.TemporalBackground);
  m_Responses.swap(state.Responses);
  m_Appearances.swap(state.Appearances);
  m_Pursuit->SetAppearances(m_Appearances, m_AppearanceSize);
}

template <typename TInputImage>
bool
SpaceTimeDeconvolutionFilter<TInputImage>::KeepIfNotWorse(const float * Y, const std::vector<float> & model,
                                                          DescentState & before)
{
  this->RefitBaselines(Y, model);
  const double after = this->Objective(Y, model);
  if (after <= m_BlockObjectives.back())
  {
    m_BlockObjectives.push_back(after);
    return true;
  }
  this->RestoreState(before);
  ++m_NumberOfRejectedSteps;
  m_BlockObjectives.push_back(m_BlockObjectives.back());
  return false;
}

template <typename TInputImage>
bool
SpaceTimeDeconvolutionFilter<TInputImage>::CutByTheSolveRegion(const Cell & cell) const
{
  const auto whole = SpatialPart(this->GetInput()->GetLargestPossibleRegion());
  const long radius = long(m_AppearanceSize / 2);
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    const bool firstInside = m_SolveRegion.GetIndex(d) > whole.GetIndex(d);
    const bool lastInside = m_SolveRegion.GetIndex(d) + OffsetValueType(m_SolveRegion.GetSize(d)) <
                            whole.GetIndex(d) + OffsetValueType(whole.GetSize(d));
    if ((firstInside && cell.Position[d] < radius) ||
        (lastInside && cell.Position[d] + radius >= long(m_SolveRegion.GetSize(d))))
    {
      return true;
    }
  }
  return false;
}

template <typename TInputImage>
std::vector<SizeValueType>
SpaceTimeDeconvolutionFilter<TInputImage>::OwnedCells() const
{
  // A core on the movie's edge also owns a cell centred beyond it (the appearance step may move
  // a cell out by a pixel or two), so the whole frame keeps every cell and tiles share none.
  const auto                                whole = SpatialPart(this->GetInput()->GetLargestPossibleRegion());
  std::vector<SizeValueType>                owned;
  ContinuousIndex<double, SpatialDimension> position;
  for (SizeValueType k = 0; k < m_Detected.size(); ++k)
  {
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      position[d] = double(m_SolveRegion.GetIndex(d) + m_Detected[k].Position[d]);
    }
    if (ImageTiling<SpatialDimension>::Owns(m_CoreRegion, whole, position))
    {
      owned.push_back(k);
    }
  }
  return owned;
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::WriteDenoisedMovie()
{
  const SizeValueType K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  // The solve region's pixel p is the core's pixel coreOf[p], or -1 (the halo).
  const SizeValueType C = m_CoreRegion.GetNumberOfPixels();
  std::vector<long>   coreOf(P, -1);
  for (SizeValueType p = 0; p < P; ++p)
  {
    SizeValueType rest = p, c = 0, stride = 1;
    bool          inside = true;
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      const OffsetValueType at =
        m_SolveRegion.GetIndex(d) + OffsetValueType(rest % m_Size[d]) - m_CoreRegion.GetIndex(d);
      rest /= m_Size[d];
      inside = inside && at >= 0 && at < OffsetValueType(m_CoreRegion.GetSize(d));
      c += SizeValueType(std::max<OffsetValueType>(at, 0)) * stride;
      stride *= m_CoreRegion.GetSize(d);
    }
    coreOf[p] = inside ? long(c) : -1;
  }
  this->AllocateOutputs();
  PixelType * out = this->GetOutput()->GetBufferPointer();
  for (SizeValueType p = 0; p < P; ++p)
  {
    if (coreOf[p] >= 0)
    {
      for (SizeValueType t = 0; t < T; ++t)
      {
        out[coreOf[p] + t * C] = static_cast<PixelType>(m_Background[p] * m_TemporalBackground[t]);
      }
    }
  }
  // Every cell of the solve region, owned or not, shapes the core's pixels: B h c added per pixel.
  for (SizeValueType k = 0; k < K; ++k)
  {
    m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) {
      if (coreOf[pixel] < 0)
      {
        return;
      }
      for (SizeValueType t = 0; t < T; ++t)
      {
        out[coreOf[pixel] + t * C] += static_cast<PixelType>(m_Background[pixel] * m_TemporalBackground[t] * h *
                                                             (double(m_DenoisedTraces[k + t * K]) + m_Baselines[k]));
      }
    });
  }
  // The spatial background on the core, placed in the whole frame's grid.
  const auto         whole = SpatialPart(this->GetInput()->GetLargestPossibleRegion());
  std::vector<float> background(m_Background.begin(), m_Background.end());
  m_SpatialBackground = SpatialImageType::New();
  m_SpatialBackground->SetLargestPossibleRegion(whole);
  m_SpatialBackground->SetBufferedRegion(m_CoreRegion);
  m_SpatialBackground->SetRequestedRegion(m_CoreRegion);
  m_SpatialBackground->Allocate();
  CopyRegion(background.data(), m_SolveRegion, m_SpatialBackground->GetBufferPointer(), m_CoreRegion);
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::KeepOwnedTraces(const std::vector<SizeValueType> & owned)
{
  const SizeValueType     K = m_Detected.size(), T = m_Frames, kept = owned.size();
  std::vector<long>       renumbered(K, -1);
  std::vector<float>      traces(kept * T), denoised(kept * T);
  std::vector<SpikeEvent> spikes;
  for (SizeValueType i = 0; i < kept; ++i)
  {
    renumbered[owned[i]] = long(i);
    for (SizeValueType t = 0; t < T; ++t)
    {
      traces[i + t * kept] = m_Traces[owned[i] + t * K];
      denoised[i + t * kept] = m_DenoisedTraces[owned[i] + t * K];
    }
  }
  for (auto spike : m_Spikes)
  {
    if (renumbered[spike.Trace] >= 0)
    {
      spike.Trace = static_cast<decltype(spike.Trace)>(renumbered[spike.Trace]);
      spikes.push_back(spike);
    }
  }
  m_Traces.swap(traces);
  m_DenoisedTraces.swap(denoised);
  m_Spikes.swap(spikes);
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::WriteOutputs()
{
  const InputImageType * input = this->GetInput();
  const SizeValueType    K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  this->WriteDenoisedMovie();
  // Spatial images share the movie's geometry on the spatial axes.
  typename SpatialImageType::SpacingType   spacing;
  typename SpatialImageType::PointType     origin;
  typename SpatialImageType::DirectionType direction;
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    spacing[d] = input->GetSpacing()[d];
    origin[d] = input->GetOrigin()[d];
    for (unsigned int e = 0; e < SpatialDimension; ++e)
    {
      direction(d, e) = input->GetDirection()(d, e);
    }
  }
  m_SpatialBackground->SetSpacing(spacing);
  m_SpatialBackground->SetOrigin(origin);
  m_SpatialBackground->SetDirection(direction);
  // The owned cells' footprints, on the solve region (a cell on the core's edge reaches past it).
  m_LabelImage = LabelImageType::New();
  m_LabelImage->CopyInformation(m_SpatialBackground);
  m_LabelImage->SetBufferedRegion(m_SolveRegion);
  m_LabelImage->SetRequestedRegion(m_SolveRegion);
  m_LabelImage->Allocate();
  m_LabelImage->FillBuffer(0);
  auto *              labels = m_LabelImage->GetBufferPointer();
  const auto          owned = this->OwnedCells();
  std::vector<double> strongest(P, 0.0);
  m_Cells.assign(owned.size(), CellRecord{});
  for (SizeValueType i = 0; i < owned.size(); ++i)
  {
    const SizeValueType k = owned[i];
    const Cell &        cell = m_Detected[k];
    CellRecord &        record = m_Cells[i];
    record.Position = cell.Position;
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      record.Position[d] += m_SolveRegion.GetIndex(d);
    }
    record.Appearance = cell.Appearance;
    record.Significance = cell.Significance;
    const auto & H = m_Appearances[cell.Appearance];
    const double peak = *std::max_element(H.begin(), H.end());
    double       mean = 0.0;
    for (SizeValueType t = 0; t < T; ++t)
    {
      mean += m_DenoisedTraces[k + t * K] / double(T);
    }
    record.MeanDeltaFOverF = peak * mean;
    record.SpikeUnit = peak * m_SpikeUnits[k];
    record.Centroid.assign(SpatialDimension, 0.0);
    double       weight = 0.0;
    const double contribution = std::max(record.SpikeUnit, 1e-12);
    m_Pursuit->ForEachPixel(cell, [&](SizeValueType pixel, double h) {
      if (h < m_FootprintFraction * peak)
      {
        return;
      }
      SizeValueType rest = pixel;
      for (unsigned int d = 0; d < SpatialDimension; ++d)
      {
        record.Centroid[d] += h * double(rest % m_Size[d]);
        rest /= m_Size[d];
      }
      weight += h;
      if (h * contribution > strongest[pixel])
      {
        strongest[pixel] = h * contribution;
        labels[pixel] = static_cast<typename LabelImageType::PixelType>(i + 1);
      }
    });
    ContinuousIndex<double, ImageDimension> continuous;
    continuous.Fill(0.0);
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      record.Centroid[d] = weight > 0.0 ? record.Centroid[d] / weight : double(cell.Position[d]);
      record.Centroid[d] += double(m_SolveRegion.GetIndex(d)); // the whole image's index
      continuous[d] = record.Centroid[d];
    }
    typename InputImageType::PointType point;
    input->TransformContinuousIndexToPhysicalPoint(continuous, point);
    record.PhysicalCentroid.assign(point.Begin(), point.Begin() + SpatialDimension);
  }
  this->KeepOwnedTraces(owned);
}

template <typename TInputImage>
void
SpaceTimeDeconvolutionFilter<TInputImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "NumberOfCells: " << m_NumberOfCells << std::endl;
  os << indent << "NumberOfAppearances: " << m_NumberOfAppearances << std::endl;
  os << indent << "NumberOfResponses: " << m_NumberOfResponses << std::endl;
  os << indent << "AppearanceSize: " << m_AppearanceSize << std::endl;
  os << indent << "ResponseLength: " << m_ResponseLength << std::endl;
  os << indent << "LambdaTV: " << m_LambdaTV << std::endl;
  os << indent << "NumberOfIterations: " << m_NumberOfIterations << std::endl;
  os << indent << "MinimumSignificance: " << m_MinimumSignificance << std::endl;
  os << indent << "FootprintFraction: " << m_FootprintFraction << std::endl;
  os << indent << "FrameRate: " << m_FrameRate << std::endl;
  os << indent << "SpikePenalty: " << m_SpikePenalty << std::endl;
  os << indent << "LearnAppearances: " << m_LearnAppearances << std::endl;
  os << indent << "LearnResponses: " << m_LearnResponses << std::endl;
  os << indent << "RandomInitialization: " << m_RandomInitialization << std::endl;
  os << indent << "Seed: " << m_Seed << std::endl;
  os << indent << "HaloRadii: " << m_HaloRadii << std::endl;
  os << indent << "NumberOfRejectedSteps: " << m_NumberOfRejectedSteps << std::endl;
}
} // namespace itk

#endif
