#ifndef itkSourceModelFitter_hxx
#define itkSourceModelFitter_hxx

#include "itkSourceModelFitter.h"
#include "itkKernelGeometry.h"
#include "itkSparseCodingSolverBase.h"
#include "itkMacro.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace itk
{
namespace SourceModelFitterDetail
{
/** Solves the n x n system a x = b (row-major a, overwritten) by Gaussian elimination with
 * partial pivoting; false when singular. */
inline bool
SolveSmallSystem(double * a, double * b, unsigned int n)
{
  for (unsigned int c = 0; c < n; ++c)
  {
    unsigned int pivot = c;
    for (unsigned int r = c + 1; r < n; ++r)
    {
      if (std::abs(a[r * n + c]) > std::abs(a[pivot * n + c]))
      {
        pivot = r;
      }
    }
    if (!(std::abs(a[pivot * n + c]) > 1e-300))
    {
      return false;
    }
    if (pivot != c)
    {
      for (unsigned int j = 0; j < n; ++j)
      {
        std::swap(a[c * n + j], a[pivot * n + j]);
      }
      std::swap(b[c], b[pivot]);
    }
    for (unsigned int r = c + 1; r < n; ++r)
    {
      const double factor = a[r * n + c] / a[c * n + c];
      for (unsigned int j = c; j < n; ++j)
      {
        a[r * n + j] -= factor * a[c * n + j];
      }
      b[r] -= factor * b[c];
    }
  }
  for (unsigned int c = n; c-- > 0;)
  {
    double sum = b[c];
    for (unsigned int j = c + 1; j < n; ++j)
    {
      sum -= a[c * n + j] * b[j];
    }
    b[c] = sum / a[c * n + c];
  }
  return true;
}

/** Smallest odd size >= n whose prime factors are 3, 5 and 7: odd so that no Nyquist
 * frequency makes the shifted kernel's spectrum ambiguous. */
inline SizeValueType
OddFFTFriendlySize(SizeValueType n)
{
  for (SizeValueType m = std::max<SizeValueType>(n, 1) | 1;; m += 2)
  {
    SizeValueType rest = m;
    for (const SizeValueType p : { 3, 5, 7 })
    {
      while (rest % p == 0)
      {
        rest /= p;
      }
    }
    if (rest == 1)
    {
      return m;
    }
  }
}
} // namespace SourceModelFitterDetail

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::SetImage(const RealType * image, const SizeArrayType & size)
{
  m_Image = image;
  m_Size = size;
  m_NumberOfPixels = std::accumulate(size.begin(), size.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::SetSourceKernels(const RealType *      kernels,
                                                       const SizeArrayType & kernelSize,
                                                       unsigned int          count)
{
  const SizeValueType taps =
    std::accumulate(kernelSize.begin(), kernelSize.end(), SizeValueType{ 1 }, std::multiplies<SizeValueType>());
  if (count == 0 || taps == 0)
  {
    itkExceptionMacro("SourceModelFitter needs at least one source kernel with taps");
  }
  m_NumberOfKernels = count;
  m_KernelModels.clear();
  m_KernelModels.resize(count);
  auto coordinates = [&kernelSize](SizeValueType t) {
    std::array<long, VDimension> c;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      c[d] = static_cast<long>(t % kernelSize[d]) - static_cast<long>(kernelSize[d] / 2);
      t /= kernelSize[d];
    }
    return c;
  };
  std::array<long, VDimension> commonHalf{};
  for (unsigned int k = 0; k < count; ++k)
  {
    const RealType * h = kernels + k * taps;
    double           l2 = 0, largest = 0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      if (!std::isfinite(h[t]))
      {
        itkExceptionMacro("Source kernel " << k << " contains a non-finite value");
      }
      l2 += double(h[t]) * h[t];
      largest = std::max(largest, std::abs(double(h[t])));
    }
    if (!(l2 > 0))
    {
      itkExceptionMacro("Source kernel " << k << " is all zero");
    }
    // The smallest box about the centre holding every tap that matters.
    std::array<long, VDimension> half{};
    for (SizeValueType t = 0; t < taps; ++t)
    {
      if (std::abs(double(h[t])) > 1e-7 * largest)
      {
        const auto c = coordinates(t);
        for (unsigned int d = 0; d < VDimension; ++d)
        {
          half[d] = std::max(half[d], std::abs(c[d]));
        }
      }
    }
    KernelModel & model = m_KernelModels[k];
    model.Taps = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      model.Size[d] = static_cast<SizeValueType>(2 * half[d] + 1);
      model.Taps *= model.Size[d];
      model.HalfWidth = std::max(model.HalfWidth, static_cast<double>(half[d]));
      commonHalf[d] = std::max(commonHalf[d], half[d]);
    }
    model.Values.assign(model.Taps, RealType(0));
    const double scale = 1.0 / std::sqrt(l2);
    for (SizeValueType t = 0; t < taps; ++t)
    {
      const auto    c = coordinates(t);
      bool          inside = true;
      SizeValueType offset = 0, stride = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        inside = inside && std::abs(c[d]) <= half[d];
        offset += static_cast<SizeValueType>(c[d] + half[d]) * stride;
        stride *= model.Size[d];
      }
      if (inside)
      {
        model.Values[offset] = static_cast<RealType>(h[t] * scale);
      }
    }
    model.Sum = std::accumulate(model.Values.begin(), model.Values.end(), 0.0);
    model.RMSRadius = ComputeKernelShape<VDimension>(model.Values.data(), model.Size).RMSRadius;

    // Fourier shifting: the kernel on a periodic grid with room around it.
    typename OperatorType::SizeType grid(VDimension), size(VDimension);
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      grid[d] = SourceModelFitterDetail::OddFFTFriendlySize(model.Size[d] + 8);
      size[d] = model.Size[d];
    }
    model.Shift = OperatorType::New();
    model.Shift->SetImageSize(grid);
    model.Shift->SetDictionary(model.Values.data(), size, 1);
    model.Shift->SetBoundary(ConvolutionalSparseCodingEnums::Boundary::Periodic);
    model.Shift->SetPlanRigor(FFTW_ESTIMATE);
    model.Shift->Initialize();
    model.Spectrum = model.Shift->AllocateSpectral(2);
    model.Spatial = model.Shift->AllocateSpatial(1);
  }
  // The common box for the matched filters.
  SizeValueType commonTaps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    m_CommonSize[d] = static_cast<SizeValueType>(2 * commonHalf[d] + 1);
    commonTaps *= m_CommonSize[d];
  }
  m_CommonKernels.assign(count * commonTaps, RealType(0));
  for (unsigned int k = 0; k < count; ++k)
  {
    const KernelModel & model = m_KernelModels[k];
    for (SizeValueType t = 0; t < model.Taps; ++t)
    {
      SizeValueType rest = t, offset = 0, stride = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const SizeValueType c = rest % model.Size[d] + (m_CommonSize[d] - model.Size[d]) / 2;
        rest /= model.Size[d];
        offset += c * stride;
        stride *= m_CommonSize[d];
      }
      m_CommonKernels[k * commonTaps + offset] = model.Values[t];
    }
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::SetBackgroundOperator(const OperatorType * op, bool coefficientsBeyondImage)
{
  m_BackgroundOperator = op;
  m_CoefficientsBeyondImage = coefficientsBeyondImage;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::VerifyInputs() const
{
  if (m_Image == nullptr || m_NumberOfPixels == 0)
  {
    itkExceptionMacro("SourceModelFitter: no image set");
  }
  if (m_NumberOfKernels == 0)
  {
    itkExceptionMacro("SourceModelFitter: no source kernels set");
  }
  if (m_InitialForeground == nullptr || m_InitialBackground == nullptr)
  {
    itkExceptionMacro("SourceModelFitter: the initial foreground and background are required");
  }
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    if (m_CommonSize[d] > m_Size[d])
    {
      itkExceptionMacro("SourceModelFitter: the kernels (" << m_CommonSize[d] << " taps along axis " << d
                                                           << ") are larger than the image (" << m_Size[d] << ")");
    }
  }
  if (m_BackgroundOperator)
  {
    const auto & size = m_BackgroundOperator->GetImageSize();
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      if (size.size() != VDimension || size[d] != m_Size[d])
      {
        itkExceptionMacro("SourceModelFitter: the background operator is not on the image grid");
      }
    }
  }
  for (const double value : { m_ModelThreshold, m_AddThreshold, m_MergeThreshold, m_MergeRadiusFactor })
  {
    if (!(value > 0) || !std::isfinite(value))
    {
      itkExceptionMacro("SourceModelFitter: thresholds and the merge radius factor must be finite and positive, got "
                        << value);
    }
  }
  if (!(m_ForegroundMaskLevel > 0) || !std::isfinite(m_ForegroundMaskLevel))
  {
    itkExceptionMacro("SourceModelFitter: ForegroundMaskLevel must be finite and positive, got "
                      << m_ForegroundMaskLevel);
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::EvaluateShiftedKernel(unsigned int         k,
                                                            const PositionType & shift,
                                                            RealType *           values,
                                                            RealType *           derivatives) const
{
  const KernelModel & model = m_KernelModels[k];
  model.Shift->EvaluateShiftedKernel(0, shift.data(), values, derivatives, model.Spectrum.data(), model.Spatial.data());
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::UpdateTaps(Source & source) const
{
  PositionType shift;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    // Keep sources near the image: one whose window has left it has no data to fit.
    const double half = static_cast<double>(m_KernelModels[source.Kernel].Size[d] / 2);
    const double low = -half;
    const double high = static_cast<double>(m_Size[d] - 1) + half;
    source.Position[d] = std::min(std::max(source.Position[d], low), high);
    source.Anchor[d] = static_cast<long>(std::floor(source.Position[d] + 0.5));
    shift[d] = source.Position[d] - static_cast<double>(source.Anchor[d]);
  }
  source.Taps.resize(m_KernelModels[source.Kernel].Taps);
  this->EvaluateShiftedKernel(source.Kernel, shift, source.Taps.data(), nullptr);
}

template <typename TReal, unsigned int VDimension>
template <typename TVisit>
void
SourceModelFitter<TReal, VDimension>::ForEachTap(const Source & source, TVisit && visit) const
{
  ForEachKernelTapInImage<VDimension>(
    source.Anchor, m_KernelModels[source.Kernel].Size, m_Size, std::forward<TVisit>(visit));
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::AddToResidual(const Source & source, double sign)
{
  const RealType   amplitude = static_cast<RealType>(sign * source.Amplitude);
  const RealType * h = source.Taps.data();
  if (amplitude == 0)
  {
    return;
  }
  this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) { m_Residual[offset] += amplitude * h[t]; });
}

template <typename TReal, unsigned int VDimension>
std::array<double, 2>
SourceModelFitter<TReal, VDimension>::Correlate(const Source & source) const
{
  double           hh = 0, hr = 0;
  const RealType * h = source.Taps.data();
  this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) {
    const double wh = double(m_W[offset]) * h[t];
    hh += wh * h[t];
    hr += wh * m_Residual[offset];
  });
  return { hh, hr };
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::FitAmplitude(Source & source) const
{
  const auto c = this->Correlate(source);
  source.Amplitude = c[0] > 0 ? std::max(0.0, c[1] / c[0]) : 0.0;
  source.SignalToNoise = source.Amplitude * std::sqrt(std::max(0.0, c[0]));
}

template <typename TReal, unsigned int VDimension>
bool
SourceModelFitter<TReal, VDimension>::GaussNewtonStep(Source & source) const
{
  // Model of the residual around the source: a h(x - p - d) ~ a h + sum_j (a d_j) dh/dshift_j.
  constexpr unsigned int n = VDimension + 1;
  const SizeValueType    taps = m_KernelModels[source.Kernel].Taps;
  std::vector<RealType> & columns = m_GaussNewtonColumns;
  columns.resize(n * taps);
  PositionType           shift;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    shift[d] = source.Position[d] - static_cast<double>(source.Anchor[d]);
  }
  this->EvaluateShiftedKernel(source.Kernel, shift, columns.data(), columns.data() + taps);
  std::array<double, n * n> normal{};
  std::array<double, n>     rhs{};
  this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) {
    const double w = m_W[offset], r = m_Residual[offset];
    for (unsigned int i = 0; i < n; ++i)
    {
      const double wi = w * columns[i * taps + t];
      rhs[i] += wi * r;
      for (unsigned int j = i; j < n; ++j)
      {
        normal[i * n + j] += wi * columns[j * taps + t];
      }
    }
  });
  for (unsigned int i = 0; i < n; ++i)
  {
    for (unsigned int j = 0; j < i; ++j)
    {
      normal[i * n + j] = normal[j * n + i];
    }
  }
  if (!SourceModelFitterDetail::SolveSmallSystem(normal.data(), rhs.data(), n) || !(rhs[0] > 0))
  {
    return false;
  }
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    source.Position[d] += std::min(0.5, std::max(-0.5, rhs[d + 1] / rhs[0]));
  }
  this->UpdateTaps(source);
  return true;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::FitAlone(Source &                          source,
                                               const std::vector<unsigned int> & kernels,
                                               unsigned int                      steps)
{
  const PositionType start = source.Position;
  double             bestGain = -1;
  unsigned int       bestKernel = source.Kernel;
  PositionType       bestPosition = start;
  const unsigned int count = kernels.empty() ? m_NumberOfKernels : static_cast<unsigned int>(kernels.size());
  for (unsigned int i = 0; i < count; ++i)
  {
    source.Kernel = kernels.empty() ? i : kernels[i];
    source.Position = start;
    this->UpdateTaps(source);
    for (unsigned int step = 0; step < steps; ++step)
    {
      if (!this->GaussNewtonStep(source))
      {
        break;
      }
      // A source stays within a pixel of where it started: a broad kernel drifting between two
      // close sources would fit both with one.
      const double moved = this->Distance(source.Position, start);
      if (moved > 1.0)
      {
        for (unsigned int d = 0; d < VDimension; ++d)
        {
          source.Position[d] = start[d] + (source.Position[d] - start[d]) / moved;
        }
        this->UpdateTaps(source);
        break;
      }
    }
    // The chi-square drop of the best amplitude, a h^T W r.
    const auto   c = this->Correlate(source);
    const double amplitude = c[0] > 0 ? std::max(0.0, c[1] / c[0]) : 0.0;
    const double gain = amplitude * c[1];
    if (gain > bestGain)
    {
      bestGain = gain;
      bestKernel = source.Kernel;
      bestPosition = source.Position;
    }
  }
  source.Kernel = bestKernel;
  source.Position = bestPosition;
  this->UpdateTaps(source);
  this->FitAmplitude(source);
  this->AddToResidual(source, -1);
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::Sweep(const std::vector<size_t> & indices)
{
  for (const size_t i : indices)
  {
    Source & source = m_State[i];
    if (!source.Alive)
    {
      continue;
    }
    this->AddToResidual(source, 1);
    if (source.Amplitude > 0)
    {
      this->GaussNewtonStep(source);
    }
    this->FitAmplitude(source);
    this->AddToResidual(source, -1);
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::ChooseKernels()
{
  for (Source & source : m_State)
  {
    if (source.Alive)
    {
      this->AddToResidual(source, 1);
      this->FitAlone(source, {}, 0);
    }
  }
}

template <typename TReal, unsigned int VDimension>
double
SourceModelFitter<TReal, VDimension>::Distance(const PositionType & a, const PositionType & b) const
{
  double sum = 0;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    sum += (a[d] - b[d]) * (a[d] - b[d]);
  }
  return std::sqrt(sum);
}

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
  m_GridCell = largest;
  m_Grid.clear();
  SizeValueType cells = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    m_GridSize[d] = static_cast<SizeValueType>(std::ceil((m_Size[d] + 2 * largest) / m_GridCell)) + 1;
    cells *= m_GridSize[d];
  }
  m_Grid.resize(std::min<SizeValueType>(cells, 1u << 20));
  for (size_t i = 0; i < m_State.size(); ++i)
  {
    if (m_State[i].Alive)
    {
      m_Grid[this->GridSlot(this->GridCell(m_State[i].Position))].push_back(i);
    }
  }
}

template <typename TReal, unsigned int VDimension>
std::array<long, VDimension>
SourceModelFitter<TReal, VDimension>::GridCell(const PositionType & position) const
{
  std::array<long, VDimension> cell;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    cell[d] = std::min(static_cast<long>(m_GridSize[d]) - 1,
                       std::max(0L, static_cast<long>(std::floor((position[d] + m_GridCell) / m_GridCell))));
  }
  return cell;
}

template <typename TReal, unsigned int VDimension>
SizeValueType
SourceModelFitter<TReal, VDimension>::GridSlot(const std::array<long, VDimension> & cell) const
{
  SizeValueType key = 0, stride = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    key += static_cast<SizeValueType>(cell[d]) * stride;
    stride *= m_GridSize[d];
  }
  return key % m_Grid.size();
}

template <typename TReal, unsigned int VDimension>
std::vector<size_t>
SourceModelFitter<TReal, VDimension>::Neighbours(const PositionType & position, double radius) const
{
  // Slots are hashed, so one may hold far sources: distances decide.
  std::vector<size_t>          found;
  const long                   reach = static_cast<long>(std::ceil(radius / m_GridCell));
  const auto                   centre = this->GridCell(position);
  std::array<long, VDimension> low, high, c;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    low[d] = std::max(0L, centre[d] - reach);
    high[d] = std::min(static_cast<long>(m_GridSize[d]) - 1, centre[d] + reach);
    c[d] = low[d];
  }
  std::vector<SizeValueType> visited;
  while (true)
  {
    const SizeValueType slot = this->GridSlot(c);
    if (std::find(visited.begin(), visited.end(), slot) == visited.end())
    {
      visited.push_back(slot);
      for (const size_t i : m_Grid[slot])
      {
        if (m_State[i].Alive && this->Distance(m_State[i].Position, position) <= radius)
        {
          found.push_back(i);
        }
      }
    }
    unsigned int d = 0;
    while (d < VDimension && ++c[d] > high[d])
    {
      c[d] = low[d];
      ++d;
    }
    if (d == VDimension)
    {
      break;
    }
  }
  return found;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::MergeCloseSources()
{
  this->BuildGrid();
  struct Pair
  {
    double distance;
    size_t a, b;
  };
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
      const double radius =
        m_MergeRadiusFactor * (m_KernelModels[m_State[i].Kernel].RMSRadius + m_KernelModels[m_State[j].Kernel].RMSRadius);
      if (j > i && distance <= radius)
      {
        pairs.push_back({ distance, i, j });
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair & x, const Pair & y) { return x.distance < y.distance; });

  for (const Pair & pair : pairs)
  {
    if (!m_State[pair.a].Alive || !m_State[pair.b].Alive)
    {
      continue;
    }
    const bool firstStronger = m_State[pair.a].SignalToNoise >= m_State[pair.b].SignalToNoise;
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
      continue;
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
    m_Grid[this->GridSlot(this->GridCell(m_State.back().Position))].push_back(m_State.size() - 1);
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
      auto op = OperatorType::New();
      op->SetImageSize(imageSize);
      op->SetDictionary(kernels, kernelSize, m_NumberOfKernels);
      op->SetBoundary(ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
      op->SetPlanRigor(FFTW_ESTIMATE);
      op->Initialize();
      return op;
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
  // Local maxima over the 3^N neighbourhood (on a plateau the first pixel in raster order).
  std::array<SizeValueType, VDimension> stride;
  SizeValueType                         s = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    stride[d] = s;
    s *= m_Size[d];
  }
  std::vector<std::pair<double, Candidate>> found;
  std::array<long, VDimension>              index{};
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (i > 0)
    {
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        if (++index[d] < static_cast<long>(m_Size[d]))
        {
          break;
        }
        index[d] = 0;
      }
    }
    const RealType value = z[i];
    if (!(value >= m_AddThreshold))
    {
      continue;
    }
    bool                         maximum = true;
    std::array<int, VDimension> delta;
    delta.fill(-1);
    while (maximum)
    {
      long q = 0;
      bool inside = true;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const long c = index[d] + delta[d];
        inside = inside && c >= 0 && c < static_cast<long>(m_Size[d]);
        q += c * static_cast<long>(stride[d]);
      }
      if (inside && q != static_cast<long>(i))
      {
        const RealType other = z[static_cast<SizeValueType>(q)];
        maximum = !(other > value || (other == value && q < static_cast<long>(i)));
      }
      unsigned int d = 0;
      while (d < VDimension && ++delta[d] > 1)
      {
        delta[d] = -1;
        ++d;
      }
      if (d == VDimension)
      {
        break;
      }
    }
    if (maximum)
    {
      Candidate candidate;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        candidate.Position[d] = static_cast<double>(index[d]);
      }
      candidate.Kernel = best[i];
      found.emplace_back(value, candidate);
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const auto & a, const auto & b) { return a.first > b.first; });
  std::vector<Candidate> candidates;
  candidates.reserve(found.size());
  for (const auto & f : found)
  {
    candidates.push_back(f.second);
  }
  return candidates;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::Polish(const std::vector<uint8_t> * mask, unsigned int iterations, bool withSources)
{
  const SizeValueType n = m_NumberOfPixels;
  std::vector<size_t> sources = withSources ? this->AliveIndices() : std::vector<size_t>{};
  const size_t        S = sources.size();
  std::vector<RealType> weights(m_W);
  if (mask != nullptr)
  {
    for (SizeValueType i = 0; i < n; ++i)
    {
      weights[i] = (*mask)[i] ? RealType(0) : weights[i];
    }
  }

  // The stars' part of the model at amplitudes a.
  auto addSources = [&](const std::vector<double> & amplitudes, RealType * image) {
    for (size_t s = 0; s < S; ++s)
    {
      const Source &   source = m_State[sources[s]];
      const RealType   a = static_cast<RealType>(amplitudes[s]);
      const RealType * h = source.Taps.data();
      this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) { image[offset] += a * h[t]; });
    }
  };

  // Lipschitz constant of the gradient: ||A_b||^2 max W for the background plus a Schur bound
  // max_i sum_x W |h_i| sum_j |h_j| for the sources (the blocks' bounds add).
  double lipschitz = 0;
  if (m_BackgroundOperator)
  {
    lipschitz += m_BackgroundOperator->GetSpectralNormSquared() * *std::max_element(weights.begin(), weights.end());
  }
  if (S > 0)
  {
    std::vector<RealType> cover(n, RealType(0));
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      this->ForEachTap(source,
                       [&](SizeValueType offset, SizeValueType t) { cover[offset] += std::abs(source.Taps[t]); });
    }
    double largest = 0;
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      double         sum = 0;
      this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) {
        sum += double(weights[offset]) * std::abs(source.Taps[t]) * cover[offset];
      });
      largest = std::max(largest, sum);
    }
    lipschitz += largest;
  }
  if (!(lipschitz > 0))
  {
    return;
  }
  const double step = 1.0 / lipschitz;

  const OperatorType * op = m_BackgroundOperator.GetPointer();
  const unsigned int   B = op ? op->GetNumberOfKernels() : 0;
  const SizeValueType  stride = op ? op->GetSpatialStride() : 0;
  const uint8_t *      support = (op && !m_CoefficientsBeyondImage && !op->DomainEqualsImage())
                                   ? op->GetImageMask().data()
                                   : nullptr;
  typename OperatorType::RealBufferType z, previous, gradient, domainImage;
  if (op)
  {
    if (m_BackgroundCoefficients.size() != B * stride)
    {
      m_BackgroundCoefficients = op->AllocateSpatial(B);
    }
    z = op->AllocateSpatial(B);
    previous = op->AllocateSpatial(B);
    gradient = op->AllocateSpatial(B);
    domainImage = op->AllocateSpatial(1);
    std::copy_n(m_BackgroundCoefficients.data(), B * stride, z.data());
    std::copy_n(m_BackgroundCoefficients.data(), B * stride, previous.data());
  }
  std::vector<double> amplitudes(S), za(S), previousAmplitudes(S), gradientAmplitudes(S);
  for (size_t s = 0; s < S; ++s)
  {
    amplitudes[s] = za[s] = previousAmplitudes[s] = m_State[sources[s]].Amplitude;
  }
  std::vector<RealType> model(n), residual(n);
  auto                  evaluateModel = [&](const RealType * coefficients, const std::vector<double> & a) {
    if (op)
    {
      op->Forward(coefficients, domainImage.data());
      op->CropToImage(domainImage.data(), model.data(), 1);
    }
    else
    {
      std::fill(model.begin(), model.end(), RealType(0));
    }
    addSources(a, model.data());
  };

  NesterovMomentum policy;
  for (unsigned int iteration = 0; iteration < iterations; ++iteration)
  {
    evaluateModel(z.data(), za);
    for (SizeValueType i = 0; i < n; ++i)
    {
      residual[i] = weights[i] * (model[i] - m_Image[i]);
    }
    if (op)
    {
      op->PadToDomain(residual.data(), domainImage.data(), 1);
      op->Adjoint(domainImage.data(), gradient.data());
    }
    for (size_t s = 0; s < S; ++s)
    {
      const Source & source = m_State[sources[s]];
      double         g = 0;
      this->ForEachTap(source,
                       [&](SizeValueType offset, SizeValueType tap) { g += double(source.Taps[tap]) * residual[offset]; });
      gradientAmplitudes[s] = g;
    }
    // Projected step from z, then the momentum; restart when the step goes against it.
    double agreement = 0;
    for (unsigned int b = 0; b < B; ++b)
    {
      for (SizeValueType i = 0; i < op->GetNumberOfDomainPixels(); ++i)
      {
        const SizeValueType j = b * stride + i;
        RealType            next = std::max(RealType(0), static_cast<RealType>(z[j] - step * gradient[j]));
        if (support != nullptr && !support[i])
        {
          next = 0;
        }
        agreement += double(z[j] - next) * (next - previous[j]);
        gradient[j] = next; // the new iterate
      }
    }
    for (size_t s = 0; s < S; ++s)
    {
      const double next = std::max(0.0, za[s] - step * gradientAmplitudes[s]);
      agreement += (za[s] - next) * (next - previousAmplitudes[s]);
      gradientAmplitudes[s] = next;
    }
    if (agreement > 0)
    {
      policy.Restart();
    }
    const double momentum = policy.Advance();
    for (SizeValueType j = 0; j < B * stride; ++j)
    {
      const RealType next = gradient[j];
      z[j] = static_cast<RealType>(next + momentum * (next - previous[j]));
      previous[j] = next;
    }
    for (size_t s = 0; s < S; ++s)
    {
      const double next = gradientAmplitudes[s];
      za[s] = next + momentum * (next - previousAmplitudes[s]);
      previousAmplitudes[s] = next;
    }
  }
  // previous holds the last iterate.
  if (op)
  {
    std::copy_n(previous.data(), B * stride, m_BackgroundCoefficients.data());
    op->Forward(m_BackgroundCoefficients.data(), domainImage.data());
    m_Background.resize(n);
    op->CropToImage(domainImage.data(), m_Background.data(), 1);
  }
  else
  {
    m_Background.assign(n, RealType(0));
  }
  for (size_t s = 0; s < S; ++s)
  {
    m_State[sources[s]].Amplitude = previousAmplitudes[s];
  }
  // The residual of the whole model, then every source's SNR at its new amplitude.
  for (SizeValueType i = 0; i < n; ++i)
  {
    m_Residual[i] = m_Image[i] - m_Background[i];
  }
  for (Source & source : m_State)
  {
    if (source.Alive)
    {
      this->AddToResidual(source, -1);
    }
  }
  for (Source & source : m_State)
  {
    if (source.Alive)
    {
      const auto c = this->Correlate(source);
      source.SignalToNoise = source.Amplitude * std::sqrt(std::max(0.0, c[0]));
    }
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::UpdateNoiseModel(const RealType * model, const RealType * residual)
{
  // Robust variance in bins of equal counts along the model value, then a line through them.
  std::vector<std::pair<RealType, RealType>> pairs;
  pairs.reserve(m_NumberOfPixels);
  for (SizeValueType i = 0; i < m_NumberOfPixels; ++i)
  {
    if (m_Weights == nullptr || m_Weights[i] > 0)
    {
      pairs.emplace_back(model[i], std::abs(residual[i]));
    }
  }
  if (pairs.empty())
  {
    itkExceptionMacro("SourceModelFitter: every pixel has zero weight");
  }
  auto robustVariance = [](std::vector<RealType> & values) {
    auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    const double sigma = 1.4826 * double(*middle);
    return sigma * sigma;
  };
  std::vector<RealType> all(pairs.size());
  std::transform(pairs.begin(), pairs.end(), all.begin(), [](const auto & p) { return p.second; });
  const double overall = robustVariance(all);
  m_NoiseOffset = std::max(overall, 1e-30);
  m_NoiseSlope = 0;
  constexpr size_t bins = 20, minimumPerBin = 50;
  if (!m_PoissonNoise || pairs.size() < bins * minimumPerBin)
  {
    return;
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto & a, const auto & b) { return a.first < b.first; });
  std::vector<double>   xs, ys;
  std::vector<RealType> values;
  for (size_t b = 0; b < bins; ++b)
  {
    const size_t begin = pairs.size() * b / bins, end = pairs.size() * (b + 1) / bins;
    values.clear();
    for (size_t i = begin; i < end; ++i)
    {
      values.push_back(pairs[i].second);
    }
    xs.push_back(pairs[(begin + end) / 2].first);
    ys.push_back(robustVariance(values));
  }
  const double meanX = std::accumulate(xs.begin(), xs.end(), 0.0) / bins;
  const double meanY = std::accumulate(ys.begin(), ys.end(), 0.0) / bins;
  double       sxx = 0, sxy = 0;
  for (size_t b = 0; b < bins; ++b)
  {
    sxx += (xs[b] - meanX) * (xs[b] - meanX);
    sxy += (xs[b] - meanX) * (ys[b] - meanY);
  }
  if (!(sxx > 0))
  {
    return;
  }
  const double slope = std::max(0.0, sxy / sxx);
  const double offset = meanY - slope * meanX;
  // A variance that would fall below a tenth of the smallest binned one is not believed.
  const double floor = 0.1 * *std::min_element(ys.begin(), ys.end());
  m_NoiseSlope = slope;
  m_NoiseOffset = std::max(offset, std::max(floor, 1e-30));
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::UpdateWeights(const RealType * model)
{
  m_W.resize(m_NumberOfPixels);
  for (SizeValueType i = 0; i < m_NumberOfPixels; ++i)
  {
    const double w = m_Weights ? double(m_Weights[i]) : 1.0;
    const double variance = m_NoiseOffset + m_NoiseSlope * std::max(0.0, double(model[i]));
    m_W[i] = static_cast<RealType>(w * w / variance);
  }
}

template <typename TReal, unsigned int VDimension>
bool
SourceModelFitter<TReal, VDimension>::ReportProgress(double fraction)
{
  if (m_ProgressCallback && !m_ProgressCallback(fraction))
  {
    m_Aborted = true;
  }
  return !m_Aborted;
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::Fit(const std::vector<Candidate> & candidates)
{
  this->VerifyInputs();
  m_Aborted = false;
  m_Sources.clear();
  m_State.clear();
  m_MatchedFilter = nullptr;
  m_MatchedFilterEnergy = nullptr;
  const SizeValueType n = m_NumberOfPixels;

  // Noise model and weights from the coding solution.
  {
    std::vector<RealType> model(n), residual(n);
    for (SizeValueType i = 0; i < n; ++i)
    {
      model[i] = m_InitialForeground[i] + m_InitialBackground[i];
      residual[i] = m_Image[i] - model[i];
    }
    this->UpdateNoiseModel(model.data(), residual.data());
    this->UpdateWeights(model.data());
  }

  // First background from the pixels the coding foreground leaves free.
  m_BackgroundCoefficients = typename OperatorType::RealBufferType();
  m_Residual.assign(m_Image, m_Image + n);
  m_Background.assign(n, RealType(0));
  if (m_BackgroundOperator)
  {
    std::vector<uint8_t> mask(n, 0);
    for (SizeValueType i = 0; i < n; ++i)
    {
      mask[i] = m_InitialForeground[i] * std::sqrt(double(m_W[i])) > m_ForegroundMaskLevel ? 1 : 0;
    }
    // Grown by two pixels along every axis (separable box dilation).
    SizeValueType stride = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      std::vector<uint8_t> grown(mask);
      const long           length = static_cast<long>(m_Size[d]);
      for (SizeValueType i = 0; i < n; ++i)
      {
        if (!mask[i])
        {
          continue;
        }
        const long c = static_cast<long>((i / stride) % m_Size[d]);
        for (long delta = -2; delta <= 2; ++delta)
        {
          if (c + delta >= 0 && c + delta < length)
          {
            grown[static_cast<SizeValueType>(static_cast<long>(i) + delta * static_cast<long>(stride))] = 1;
          }
        }
      }
      mask.swap(grown);
      stride *= m_Size[d];
    }
    this->Polish(&mask, m_BackgroundIterations, false);
  }
  if (!this->ReportProgress(0.2))
  {
    return;
  }

  this->AddSequentially(candidates, m_ModelThreshold);
  if (!this->ReportProgress(0.3))
  {
    return;
  }

  std::vector<RealType> model(n);
  for (unsigned int round = 0; round < m_NumberOfRounds; ++round)
  {
    for (unsigned int sweep = 0; sweep < m_NumberOfSweeps; ++sweep)
    {
      this->Sweep(this->AliveIndices());
    }
    this->ChooseKernels();
    this->Sweep(this->AliveIndices());
    this->MergeCloseSources();
    this->DropFaintSources(m_ModelThreshold);
    this->Polish(nullptr, m_PolishIterations, true);
    for (SizeValueType i = 0; i < n; ++i)
    {
      model[i] = m_Image[i] - m_Residual[i];
    }
    this->UpdateNoiseModel(model.data(), m_Residual.data());
    this->UpdateWeights(model.data());
    if (round + 1 < m_NumberOfRounds)
    {
      this->AddSequentially(this->ResidualCandidates(), m_AddThreshold);
    }
    if (!this->ReportProgress(0.3 + 0.65 * (round + 1) / m_NumberOfRounds))
    {
      return;
    }
  }
  for (unsigned int sweep = 0; sweep < 2; ++sweep)
  {
    this->Sweep(this->AliveIndices());
  }
  this->DropFaintSources(m_ModelThreshold);

  for (const Source & source : m_State)
  {
    FittedSource fitted;
    fitted.Position = source.Position;
    fitted.Kernel = source.Kernel;
    fitted.Amplitude = source.Amplitude;
    fitted.Flux = source.Amplitude * m_KernelModels[source.Kernel].Sum;
    fitted.SignalToNoise = source.SignalToNoise;
    m_Sources.push_back(fitted);
  }
  std::stable_sort(m_Sources.begin(), m_Sources.end(),
                   [](const FittedSource & a, const FittedSource & b) { return a.Flux > b.Flux; });
  this->ReportProgress(1.0);
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::GetForeground(RealType * foreground) const
{
  std::fill_n(foreground, m_NumberOfPixels, RealType(0));
  for (const Source & source : m_State)
  {
    if (!source.Alive)
    {
      continue;
    }
    const RealType   a = static_cast<RealType>(source.Amplitude);
    const RealType * h = source.Taps.data();
    this->ForEachTap(source, [&](SizeValueType offset, SizeValueType t) { foreground[offset] += a * h[t]; });
  }
}

template <typename TReal, unsigned int VDimension>
void
SourceModelFitter<TReal, VDimension>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "SourceKernels: " << m_NumberOfKernels << std::endl;
  os << indent << "Background: " << (m_BackgroundOperator ? "yes" : "none") << std::endl;
  os << indent << "ModelThreshold: " << m_ModelThreshold << std::endl;
  os << indent << "AddThreshold: " << m_AddThreshold << std::endl;
  os << indent << "MergeThreshold: " << m_MergeThreshold << std::endl;
  os << indent << "MergeRadiusFactor: " << m_MergeRadiusFactor << std::endl;
  os << indent << "NumberOfRounds: " << m_NumberOfRounds << std::endl;
  os << indent << "NumberOfSweeps: " << m_NumberOfSweeps << std::endl;
  os << indent << "BackgroundIterations: " << m_BackgroundIterations << std::endl;
  os << indent << "PolishIterations: " << m_PolishIterations << std::endl;
  os << indent << "ForegroundMaskLevel: " << m_ForegroundMaskLevel << std::endl;
  os << indent << "PoissonNoise: " << m_PoissonNoise << std::endl;
  os << indent << "NoiseVariance: " << m_NoiseOffset << " + " << m_NoiseSlope << " m" << std::endl;
  os << indent << "Sources: " << m_Sources.size() << std::endl;
}
} // namespace itk

#endif
