#ifndef itkSourceModelFitterSelection_hxx
#define itkSourceModelFitterSelection_hxx

// SourceModelFitter, model selection: the neighbour grid, the merge tests, dropping faint
// sources, and adding sources (the coding candidates, then the residual's matched-filter maxima).
#include "itkSourceModelFitter.h"
#include "itkSourceNeighbourhood.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::BuildGrid()
{
  double largest = 1.0;
  for (const Source & source : m_State)
  {
    if (source.Alive)
    {
      largest = std::max(largest, m_KernelModels[source.Kernel].HalfWidth);
    }
  }
  // Cells one kernel half-width wide, over the image grown by one cell.
  m_Grid.Reset(largest, m_Size, largest);
  for (size_t i = 0; i < m_State.size(); ++i)
  {
    if (m_State[i].Alive)
    {
      m_Grid.Add(m_State[i].Position, i);
    }
  }
}

template <typename TReal, unsigned int VDimension>
std::vector<size_t>
SourceModelFitter<TReal, VDimension>::Neighbours(const PositionType & position, double radius) const
{
  std::vector<size_t> found;
  m_Grid.ForEachNear(position, radius, [&](size_t i) {
    if (m_State[i].Alive && this->Distance(m_State[i].Position, position) <= radius)
    {
      found.push_back(i);
    }
  });
  return found;
}

template <typename TReal, unsigned int VDimension>
auto
SourceModelFitter<TReal, VDimension>::ClosePairs() const -> std::vector<SourcePair>
{
  using Pair = SourcePair;
  std::vector<Pair> pairs;
  double            largestSize = 0;
  for (const Source & source : m_State)
  {
    largestSize = std::max(largestSize, source.Alive ? m_KernelModels[source.Kernel].RMSRadius : 0.0);
  }
  for (size_t i = 0; i < m_State.size(); ++i)
  {
    if (!m_State[i].Alive)
    {
      continue;
    }
    const double reach = m_MergeRadiusFactor * (m_KernelModels[m_State[i].Kernel].RMSRadius + largestSize);
    for (const size_t j : this->Neighbours(m_State[i].Position, reach))
    {
      const double distance = this->Distance(m_State[i].Position, m_State[j].Position);
      const double radius = m_MergeRadiusFactor *
                            (m_KernelModels[m_State[i].Kernel].RMSRadius + m_KernelModels[m_State[j].Kernel].RMSRadius);
      if (j > i && distance <= radius)
      {
        pairs.push_back({ distance, i, j });
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair & x, const Pair & y) { return x.distance < y.distance; });

  return pairs;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::MergeCloseSources()
{
  this->BuildGrid();
  for (const SourcePair & pair : this->ClosePairs())
  {
    if (m_State[pair.a].Alive && m_State[pair.b].Alive)
    {
      this->TestMerge(pair);
    }
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::TestMerge(const SourcePair & pair)
{
  const bool   firstStronger = m_State[pair.a].SignalToNoise >= m_State[pair.b].SignalToNoise;
  const size_t strong = firstStronger ? pair.a : pair.b, weak = firstStronger ? pair.b : pair.a;
  PositionType middle;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    middle[d] = 0.5 * (m_State[strong].Position[d] + m_State[weak].Position[d]);
  }
  const double reach =
    1.5 * std::max(m_KernelModels[m_State[strong].Kernel].HalfWidth, m_KernelModels[m_State[weak].Kernel].HalfWidth);
  std::vector<size_t> group = this->Neighbours(middle, reach);
  for (const size_t i : { strong, weak })
  {
    if (std::find(group.begin(), group.end(), i) == group.end())
    {
      group.push_back(i);
    }
  }
  // The box covering every window of the group, where chi-square is compared.
  std::array<long, VDimension> low, high;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    low[d] = static_cast<long>(m_Size[d]);
    high[d] = -1;
    for (const size_t i : group)
    {
      const long half = static_cast<long>(m_KernelModels[m_State[i].Kernel].Size[d] / 2);
      // Room for a shift of the anchor during the refit.
      low[d] = std::min(low[d], m_State[i].Anchor[d] - half - 2);
      high[d] = std::max(high[d], m_State[i].Anchor[d] + half + 2);
    }
    low[d] = std::max(low[d], 0L);
    high[d] = std::min(high[d], static_cast<long>(m_Size[d]) - 1);
  }
  auto chiSquare = [&]() {
    double                       sum = 0;
    std::array<long, VDimension> c = low;
    if (std::any_of(high.begin(), high.end(), [](long h) { return h < 0; }))
    {
      return 0.0;
    }
    while (true)
    {
      SizeValueType offset = 0, stride = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        offset += static_cast<SizeValueType>(c[d]) * stride;
        stride *= m_Size[d];
      }
      sum += double(m_W[offset]) * m_Residual[offset] * m_Residual[offset];
      unsigned int d = 0;
      while (d < VDimension && ++c[d] > high[d])
      {
        c[d] = low[d];
        ++d;
      }
      if (d == VDimension)
      {
        return sum;
      }
    }
  };
  const double        pairChiSquare = chiSquare();
  std::vector<Source> saved;
  saved.reserve(group.size());
  for (const size_t i : group)
  {
    saved.push_back(m_State[i]);
  }
  // One source instead of two: drop the weaker, refit the stronger alone, let the rest adjust.
  this->AddToResidual(m_State[weak], 1);
  m_State[weak].Alive = false;
  this->AddToResidual(m_State[strong], 1);
  this->FitAlone(m_State[strong], {}, 3);
  for (unsigned int sweep = 0; sweep < 2; ++sweep)
  {
    this->Sweep(group);
  }
  if (chiSquare() - pairChiSquare < m_MergeThreshold * m_MergeThreshold)
  {
    return;
  }
  for (const size_t i : group)
  {
    if (m_State[i].Alive)
    {
      this->AddToResidual(m_State[i], 1);
    }
  }
  for (size_t g = 0; g < group.size(); ++g)
  {
    m_State[group[g]] = saved[g];
    if (m_State[group[g]].Alive)
    {
      this->AddToResidual(m_State[group[g]], -1);
    }
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::DropFaintSources(double threshold)
{
  for (Source & source : m_State)
  {
    if (source.Alive && source.SignalToNoise < threshold)
    {
      this->AddToResidual(source, 1);
      source.Alive = false;
    }
  }
  m_State.erase(std::remove_if(m_State.begin(), m_State.end(), [](const Source & s) { return !s.Alive; }),
                m_State.end());
}

template <typename TReal, unsigned int VDimension>
std::vector<size_t>
SourceModelFitter<TReal, VDimension>::AliveIndices() const
{
  std::vector<size_t> indices;
  for (size_t i = 0; i < m_State.size(); ++i)
  {
    if (m_State[i].Alive)
    {
      indices.push_back(i);
    }
  }
  return indices;
}

template <typename TReal, unsigned int VDimension>
unsigned int
SourceModelFitter<TReal, VDimension>::AddSequentially(const std::vector<Candidate> & candidates, double threshold)
{
  // A candidate within this many pixels of a source already in the model is the same maximum.
  constexpr double exclusion = 1.5;
  this->BuildGrid();
  unsigned int added = 0;
  for (const Candidate & candidate : candidates)
  {
    bool occupied = false;
    for (const size_t i : this->Neighbours(candidate.Position, exclusion))
    {
      occupied = occupied || m_State[i].Alive;
    }
    if (occupied || candidate.Kernel >= m_NumberOfKernels)
    {
      continue;
    }
    Source source;
    source.Position = candidate.Position;
    source.Kernel = candidate.Kernel;
    this->FitAlone(source, {}, 3);
    if (!(source.SignalToNoise >= threshold))
    {
      this->AddToResidual(source, 1);
      continue;
    }
    m_State.push_back(std::move(source));
    ++added;
    m_Grid.Add(m_State.back().Position, m_State.size() - 1);
  }
  return added;
}

template <typename TReal, unsigned int VDimension>
auto
SourceModelFitter<TReal, VDimension>::ResidualCandidates() -> std::vector<Candidate>
{
  // Matched filter of every kernel: z_k = (h_k correlated with W r) / sqrt(h_k^2 correlated with W).
  if (!m_MatchedFilter)
  {
    typename OperatorType::SizeType imageSize(VDimension), kernelSize(VDimension);
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      imageSize[d] = m_Size[d];
      kernelSize[d] = m_CommonSize[d];
    }
    auto makeOperator = [&](const RealType * kernels) {
      return OperatorType::Create(imageSize,
                                  kernels,
                                  kernelSize,
                                  m_NumberOfKernels,
                                  ConvolutionalSparseCodingEnums::Boundary::ZeroPadded,
                                  FFTW_ESTIMATE);
    };
    std::vector<RealType> squared(m_CommonKernels.size());
    for (size_t t = 0; t < squared.size(); ++t)
    {
      squared[t] = m_CommonKernels[t] * m_CommonKernels[t];
    }
    m_MatchedFilter = makeOperator(m_CommonKernels.data());
    m_MatchedFilterEnergy = makeOperator(squared.data());
  }
  const SizeValueType   n = m_NumberOfPixels;
  std::vector<RealType> weighted(n), numerator(m_NumberOfKernels * n), denominator(m_NumberOfKernels * n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    weighted[i] = m_W[i] * m_Residual[i];
  }
  m_MatchedFilter->ApplyAdjoint(weighted.data(), numerator.data());
  m_MatchedFilterEnergy->ApplyAdjoint(m_W.data(), denominator.data());
  std::vector<RealType>     z(n, RealType(0));
  std::vector<unsigned int> best(n, 0);
  for (unsigned int k = 0; k < m_NumberOfKernels; ++k)
  {
    for (SizeValueType i = 0; i < n; ++i)
    {
      const RealType den = denominator[k * n + i];
      // FFT round-off leaves tiny values where no weight reaches.
      const RealType value = den > RealType(1e-12) ? numerator[k * n + i] / std::sqrt(den) : RealType(0);
      if (k == 0 || value > z[i])
      {
        z[i] = value;
        best[i] = k;
      }
    }
  }
  // Local maxima over the 3^N neighbourhood.
  std::vector<std::pair<double, Candidate>> found;
  ForEachLocalMaximum<VDimension>(
    z.data(),
    m_Size,
    1,
    [this](RealType value) { return value >= m_AddThreshold; },
    [&](SizeValueType i, const std::array<SizeValueType, VDimension> & index, const std::vector<SizeValueType> &) {
      Candidate candidate;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        candidate.Position[d] = static_cast<double>(index[d]);
      }
      candidate.Kernel = best[i];
      found.emplace_back(z[i], candidate);
    });
  std::stable_sort(found.begin(), found.end(), [](const auto & a, const auto & b) { return a.first > b.first; });
  std::vector<Candidate> candidates;
  candidates.reserve(found.size());
  for (const auto & f : found)
  {
    candidates.push_back(f.second);
  }
  return candidates;
}

} // namespace itk

#endif
