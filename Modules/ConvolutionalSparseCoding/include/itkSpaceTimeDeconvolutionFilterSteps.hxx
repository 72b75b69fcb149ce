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
void
SpaceTimeDeconvolutionFilter<TInputImage>::WriteOutputs()
{
  const InputImageType * input = this->GetInput();
  const SizeValueType    K = m_Detected.size(), P = m_Pixels, T = m_Frames;
  // Output 0: the denoised movie B (1 + A).
  this->AllocateOutputs();
  PixelType * out = this->GetOutput()->GetBufferPointer();
  for (SizeValueType t = 0; t < T; ++t)
  {
    for (SizeValueType p = 0; p < P; ++p)
    {
      out[p + t * P] = static_cast<PixelType>(m_Background[p] * m_TemporalBackground[t]);
    }
  }
  // The cells on their windows (no movie-sized model array): B h c added per pixel.
  for (SizeValueType k = 0; k < K; ++k)
  {
    m_Pursuit->ForEachPixel(m_Detected[k], [&](SizeValueType pixel, double h) {
      for (SizeValueType t = 0; t < T; ++t)
      {
        out[pixel + t * P] += static_cast<PixelType>(m_Background[pixel] * m_TemporalBackground[t] * h *
                                                     (double(m_DenoisedTraces[k + t * K]) + m_Baselines[k]));
      }
    });
  }
  // Spatial images share the movie's geometry on the spatial axes.
  typename SpatialImageType::SizeType      size;
  typename SpatialImageType::SpacingType   spacing;
  typename SpatialImageType::PointType     origin;
  typename SpatialImageType::DirectionType direction;
  for (unsigned int d = 0; d < SpatialDimension; ++d)
  {
    size[d] = m_Size[d];
    spacing[d] = input->GetSpacing()[d];
    origin[d] = input->GetOrigin()[d];
    for (unsigned int e = 0; e < SpatialDimension; ++e)
    {
      direction(d, e) = input->GetDirection()(d, e);
    }
  }
  m_SpatialBackground = SpatialImageType::New();
  m_SpatialBackground->SetRegions(size);
  m_SpatialBackground->SetSpacing(spacing);
  m_SpatialBackground->SetOrigin(origin);
  m_SpatialBackground->SetDirection(direction);
  m_SpatialBackground->Allocate();
  std::copy(m_Background.begin(), m_Background.end(), m_SpatialBackground->GetBufferPointer());
  m_LabelImage = LabelImageType::New();
  m_LabelImage->CopyInformation(m_SpatialBackground);
  m_LabelImage->SetRegions(size);
  m_LabelImage->Allocate();
  m_LabelImage->FillBuffer(0);
  std::vector<double> strongest(P, 0.0);
  m_Cells.assign(K, CellRecord{});
  for (SizeValueType k = 0; k < K; ++k)
  {
    const Cell & cell = m_Detected[k];
    CellRecord & record = m_Cells[k];
    record.Position = cell.Position;
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
    double                             weight = 0.0;
    const double                       contribution = std::max(record.SpikeUnit, 1e-12);
    typename LabelImageType::IndexType index;
    m_Pursuit->ForEachPixel(cell, [&](SizeValueType pixel, double h) {
      if (h < m_FootprintFraction * peak)
      {
        return;
      }
      SizeValueType rest = pixel;
      for (unsigned int d = 0; d < SpatialDimension; ++d)
      {
        index[d] = IndexValueType(rest % m_Size[d]);
        rest /= m_Size[d];
        record.Centroid[d] += h * double(index[d]);
      }
      weight += h;
      if (h * contribution > strongest[pixel])
      {
        strongest[pixel] = h * contribution;
        m_LabelImage->SetPixel(index, static_cast<typename LabelImageType::PixelType>(k + 1));
      }
    });
    ContinuousIndex<double, ImageDimension> continuous;
    continuous.Fill(0.0);
    for (unsigned int d = 0; d < SpatialDimension; ++d)
    {
      record.Centroid[d] = weight > 0.0 ? record.Centroid[d] / weight : double(cell.Position[d]);
      continuous[d] = record.Centroid[d] + double(input->GetLargestPossibleRegion().GetIndex()[d]);
    }
    typename InputImageType::PointType point;
    input->TransformContinuousIndexToPhysicalPoint(continuous, point);
    record.PhysicalCentroid.assign(point.Begin(), point.Begin() + SpatialDimension);
  }
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
  os << indent << "NumberOfRejectedSteps: " << m_NumberOfRejectedSteps << std::endl;
}
} // namespace itk

#endif
