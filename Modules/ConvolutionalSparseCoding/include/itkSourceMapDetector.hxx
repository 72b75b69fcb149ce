#ifndef itkSourceMapDetector_hxx
#define itkSourceMapDetector_hxx

#include "itkSourceMapDetector.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal, unsigned int VDimension>
auto
SourceKernelSet<TReal, VDimension>::Prepare(const std::vector<TReal> & kernels, const SizeArrayType & size,
                                            unsigned int count, NormalizationEnum normalization) -> SourceKernelSet
{
  SourceKernelSet set;
  set.Values = kernels;
  set.Size = size;
  set.Taps = kernels.size() / count;
  set.FluxFactors.assign(count, 1.0);
  set.L2Norms.assign(count, 0.0);
  set.Sizes.assign(count, 0.0);
  set.Offsets.assign(count, std::array<double, VDimension>{});
  for (unsigned int k = 0; k < count; ++k)
  {
    TReal * h = set.Values.data() + k * set.Taps;
    double  l1 = 0, l2Given = 0;
    for (SizeValueType t = 0; t < set.Taps; ++t)
    {
      l1 += std::abs(h[t]);
    }
    for (SizeValueType t = 0; t < set.Taps; ++t)
    {
      l2Given += double(h[t]) * h[t];
    }
    const double scale = normalization == NormalizationEnum::L1   ? 1.0 / l1
                         : normalization == NormalizationEnum::L2 ? 1.0 / std::sqrt(l2Given)
                                                                  : 1.0;
    for (SizeValueType t = 0; t < set.Taps; ++t)
    {
      h[t] = static_cast<TReal>(h[t] * scale);
    }
    l1 *= scale;
    double l2 = 0;
    for (SizeValueType t = 0; t < set.Taps; ++t)
    {
      l2 += double(h[t]) * h[t];
    }
    // The centroid offset from the centre tap (a sub-pixel shifted copy's shift) and the size.
    const auto shape = ComputeKernelShape<VDimension>(h, size);
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      set.Offsets[k][d] = shape.Centroid[d] - static_cast<double>(size[d] / 2);
    }
    set.L2Norms[k] = std::sqrt(l2) / l1;
    set.FluxFactors[k] = l1;
    set.Sizes[k] = shape.RMSRadius;
  }
  return set;
}

template <typename TReal, unsigned int VDimension>
void
SourceKernelSet<TReal, VDimension>::ComposeMaps(const std::vector<std::vector<unsigned int>> & groups, const TReal * x,
                                                SizeValueType n, TReal * sourceMap, TReal * groupMaps,
                                                TReal * foregroundMaps) const
{
  std::fill_n(sourceMap, n, TReal(0));
  std::fill_n(groupMaps, n * groups.size(), TReal(0));
  std::fill_n(foregroundMaps, n * this->GetNumberOfKernels(), TReal(0));
  for (size_t p = 0; p < groups.size(); ++p)
  {
    for (const unsigned int k : groups[p])
    {
      const TReal flux = static_cast<TReal>(FluxFactors[k]);
      for (SizeValueType i = 0; i < n; ++i)
      {
        groupMaps[p * n + i] += flux * x[k * n + i];
        sourceMap[i] += flux * x[k * n + i];
      }
      std::copy_n(x + k * n, n, foregroundMaps + k * n);
    }
  }
}

template <typename TReal, unsigned int VDimension>
SourceMapDetector<TReal, VDimension>::SourceMapDetector(const KernelSetType & kernels, const GroupListType & groups,
                                                        const TReal * coefficients, const TReal * sourceMap,
                                                        const SizeArrayType & size, const PositionType & origin,
                                                        double noiseSigma)
  : m_Kernels(kernels)
  , m_Groups(groups)
  , m_Coefficients(coefficients)
  , m_SourceMap(sourceMap)
  , m_Size(size)
  , m_Origin(origin)
  , m_NoiseSigma(noiseSigma)
{
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    m_NumberOfPixels *= size[d];
  }
}

template <typename TReal, unsigned int VDimension>
auto
SourceMapDetector<TReal, VDimension>::Detect(const Settings & settings, TReal * residual) const -> DetectionListType
{
  const DetectionListType merged = Merge(this->FindMaxima(settings, residual), m_Size, settings);
  DetectionListType       sources;
  for (const Detection & source : merged)
  {
    const double statistic = settings.Mode == ThresholdEnum::Absolute ? source.Brightness : source.SignalToNoise;
    if (statistic >= settings.Threshold)
    {
      sources.push_back(source);
    }
  }
  std::stable_sort(sources.begin(), sources.end(), [](const Detection & a, const Detection & b) {
    return a.Brightness > b.Brightness;
  });
  if (settings.MinimumContrast > 0)
  {
    return RemoveContrastArtefacts(sources, m_Size, settings.MinimumContrast, settings.ContrastRadiusFactor);
  }
  return sources;
}

template <typename TReal, unsigned int VDimension>
auto
SourceMapDetector<TReal, VDimension>::FindMaxima(const Settings & settings, TReal * residual) const -> DetectionListType
{
  DetectionListType maxima;
  ForEachLocalMaximum<VDimension>(
    m_SourceMap,
    m_Size,
    settings.NeighborhoodRadius,
    [](TReal value) { return value > 0; },
    [&](SizeValueType, const SizeArrayType &, const std::vector<SizeValueType> & box) {
      maxima.push_back(this->Measure(box, settings, residual));
    });
  std::stable_sort(
    maxima.begin(), maxima.end(), [](const Detection & a, const Detection & b) { return a.Brightness > b.Brightness; });
  return maxima;
}

template <typename TReal, unsigned int VDimension>
double
SourceMapDetector<TReal, VDimension>::FluxInBox(unsigned int k, const std::vector<SizeValueType> & box) const
{
  double sum = 0;
  for (const SizeValueType q : box)
  {
    sum += m_Kernels.FluxFactors[k] * m_Coefficients[k * m_NumberOfPixels + q];
  }
  return sum;
}

template <typename TReal, unsigned int VDimension>
auto
SourceMapDetector<TReal, VDimension>::Measure(const std::vector<SizeValueType> & box, const Settings & settings,
                                              TReal * residual) const -> Detection
{
  const TReal *       x = m_Coefficients;
  const SizeValueType n = m_NumberOfPixels;
  // The centroid of the light the box's coefficients put into the image: each coefficient at
  // its pixel plus its kernel's centroid offset (zero for a centred kernel, the shift for a
  // sub-pixel shifted copy).
  Detection    source;
  double       brightness = 0;
  PositionType centroid{};
  for (const SizeValueType q : box)
  {
    brightness += m_SourceMap[q];
    PositionType  pixel;
    SizeValueType rest = q;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      pixel[d] = static_cast<double>(rest % m_Size[d]);
      rest /= m_Size[d];
    }
    for (const auto & group : m_Groups)
    {
      for (const unsigned int k : group)
      {
        const double weight = m_Kernels.FluxFactors[k] * x[k * n + q];
        for (unsigned int d = 0; d < VDimension; ++d)
        {
          centroid[d] += weight * (pixel[d] + m_Kernels.Offsets[k][d]);
        }
      }
    }
  }
  double bestSum = -1;
  for (size_t p = 0; p < m_Groups.size(); ++p)
  {
    double sum = 0;
    for (const unsigned int k : m_Groups[p])
    {
      for (const SizeValueType q : box)
      {
        sum += m_Kernels.FluxFactors[k] * x[k * n + q];
      }
    }
    if (sum > bestSum)
    {
      bestSum = sum;
      source.Group = static_cast<unsigned int>(p);
    }
  }
  double effectiveSize = 0, l2 = 0;
  for (const unsigned int k : m_Groups[source.Group])
  {
    const double alpha = bestSum > 0 ? this->FluxInBox(k, box) / bestSum : 0.0;
    effectiveSize += alpha * m_Kernels.Sizes[k];
    l2 += alpha * m_Kernels.L2Norms[k];
  }
  source.Brightness = brightness;
  source.EffectiveSize = effectiveSize;
  source.SignalToNoise = m_NoiseSigma > 0 ? brightness * l2 / m_NoiseSigma : 0.0;
  PositionType position;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    position[d] = centroid[d] / brightness;
  }
  if (settings.DebiasBrightness)
  {
    source.Brightness = this->DebiasedBrightness(m_Groups[source.Group], box, position, residual);
  }
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    source.Index[d] = m_Origin[d] + position[d];
  }
  return source;
}

template <typename TReal, unsigned int VDimension>
double
SourceMapDetector<TReal, VDimension>::DebiasedBrightness(const std::vector<unsigned int> &  group,
                                                         const std::vector<SizeValueType> & box,
                                                         const PositionType & position, TReal * residual) const
{
  const TReal *       x = m_Coefficients;
  const SizeValueType n = m_NumberOfPixels;
  auto                pixelOf = [this](SizeValueType q) {
    std::array<long, VDimension> p;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      p[d] = static_cast<long>(q % m_Size[d]);
      q /= m_Size[d];
    }
    return p;
  };
  // The group's kernel with the largest flux in the box stands for the source.
  unsigned int dominant = group.front();
  double       largest = -1;
  for (const unsigned int k : group)
  {
    const double share = this->FluxInBox(k, box);
    if (share > largest)
    {
      largest = share;
      dominant = k;
    }
  }
  // Add the source's own model to the residual (removed again below), so that its neighbours'
  // light stays out of the fit.
  auto addOwnModel = [&](TReal sign) {
    for (const unsigned int k : group)
    {
      for (const SizeValueType q : box)
      {
        const TReal coefficient = sign * x[k * n + q];
        if (coefficient != 0)
        {
          m_Kernels.ForEachTap(
            k, pixelOf(q), m_Size, [&](SizeValueType offset, TReal tap) { residual[offset] += coefficient * tap; });
        }
      }
    }
  };
  auto response = [&](const std::array<long, VDimension> & p) {
    double sum = 0;
    m_Kernels.ForEachTap(
      dominant, p, m_Size, [&](SizeValueType offset, TReal tap) { sum += double(tap) * residual[offset]; });
    return sum;
  };
  addOwnModel(TReal(1));
  // Least squares at the peak of the parabola through the responses around the nearest pixel.
  std::array<long, VDimension> p;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    p[d] = std::lround(position[d]);
  }
  const double centre = response(p);
  double       peak = centre;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    auto before = p, after = p;
    --before[d];
    ++after[d];
    const double a = response(before), b = response(after);
    const double curvature = a - 2 * centre + b;
    if (curvature < 0)
    {
      peak -= (a - b) * (a - b) / (8 * curvature);
    }
  }
  addOwnModel(TReal(-1));
  const double l2 = m_Kernels.L2Norms[dominant], flux = m_Kernels.FluxFactors[dominant];
  return std::max(0.0, peak / (l2 * l2 * flux));
}

template <typename TReal, unsigned int VDimension>
double
SourceMapDetector<TReal, VDimension>::GridCellFor(const DetectionListType & sources, double radiusFactor)
{
  // Cells as wide as the largest reach, so that the cells next to a source's hold every source
  // in its reach.
  double largestSize = 0;
  for (const Detection & source : sources)
  {
    largestSize = std::max(largestSize, source.EffectiveSize);
  }
  return std::max(1.0, radiusFactor * largestSize);
}

template <typename TReal, unsigned int VDimension>
template <typename TVisit>
void
SourceMapDetector<TReal, VDimension>::ForEachInReach(const SourcePointGrid<VDimension> & grid, double cell,
                                                     const Detection & source, const DetectionListType & added,
                                                     double radiusFactor, TVisit && visit)
{
  grid.ForEachNear(source.Index, cell, [&](size_t index) {
    const Detection & other = added[index];
    const double      reach = radiusFactor * std::max(other.EffectiveSize, source.EffectiveSize);
    double            distance2 = 0;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      distance2 += (other.Index[d] - source.Index[d]) * (other.Index[d] - source.Index[d]);
    }
    if (distance2 <= reach * reach)
    {
      visit(index);
    }
  });
}

template <typename TReal, unsigned int VDimension>
auto
SourceMapDetector<TReal, VDimension>::Merge(const DetectionListType & maxima, const SizeArrayType & size,
                                            const Settings & settings) -> DetectionListType
{
  // A large source's coefficients may form several maxima: a maximum closer to a brighter one
  // than MergeRadiusFactor times their larger size joins it (positions average with the
  // coefficient evidence, the SNR; a debiased brightness already fits the host's kernel to the
  // light around it, so only coefficient sums add up).
  const double                factor = settings.MergeRadiusFactor;
  const double                cell = GridCellFor(maxima, factor);
  SourcePointGrid<VDimension> grid;
  grid.Reset(cell, size, cell);
  DetectionListType merged;
  for (const Detection & candidate : maxima)
  {
    // The brightest accepted source in reach (the lowest index) takes the candidate.
    size_t hostIndex = merged.size();
    ForEachInReach(
      grid, cell, candidate, merged, factor, [&hostIndex](size_t index) { hostIndex = std::min(hostIndex, index); });
    if (hostIndex == merged.size())
    {
      grid.Add(candidate.Index, merged.size());
      merged.push_back(candidate);
      continue;
    }
    Detection &  host = merged[hostIndex];
    const double weight = host.SignalToNoise + candidate.SignalToNoise;
    if (weight > 0)
    {
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        host.Index[d] = (host.Index[d] * host.SignalToNoise + candidate.Index[d] * candidate.SignalToNoise) / weight;
      }
    }
    if (!settings.DebiasBrightness)
    {
      host.Brightness += candidate.Brightness;
    }
    host.SignalToNoise = weight;
  }
  return merged;
}

template <typename TReal, unsigned int VDimension>
auto
SourceMapDetector<TReal, VDimension>::RemoveContrastArtefacts(const DetectionListType & sources,
                                                              const SizeArrayType & size, double minimumContrast,
                                                              double radiusFactor) -> DetectionListType
{
  // Brightest first: a source is compared with every brighter source in reach.
  const double                cell = GridCellFor(sources, radiusFactor);
  SourcePointGrid<VDimension> grid;
  grid.Reset(cell, size, cell);
  DetectionListType kept;
  for (size_t i = 0; i < sources.size(); ++i)
  {
    const Detection & source = sources[i];
    bool              artefact = false;
    ForEachInReach(grid, cell, source, sources, radiusFactor, [&](size_t index) {
      artefact = artefact || source.Brightness < minimumContrast * sources[index].Brightness;
    });
    grid.Add(source.Index, i);
    if (!artefact)
    {
      kept.push_back(source);
    }
  }
  return kept;
}
} // namespace itk

#endif
