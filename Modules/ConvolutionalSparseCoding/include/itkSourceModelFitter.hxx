#ifndef itkSourceModelFitter_hxx
#define itkSourceModelFitter_hxx

#include "itkSourceModelFitter.h"
#include "itkKernelGeometry.h"
#include "itkSourceNeighbourhood.h"
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
SourceModelFitter<TReal, VDimension>::SetSourceKernels(const RealType * kernels, const SizeArrayType & kernelSize,
                                                       unsigned int count)
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
    model.Shift = OperatorType::Create(
      grid, model.Values.data(), size, 1, ConvolutionalSparseCodingEnums::Boundary::Periodic, FFTW_ESTIMATE);
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
SourceModelFitter<TReal, VDimension>::EvaluateShiftedKernel(unsigned int k, const PositionType & shift,
                                                            RealType * values, RealType * derivatives) const
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
  constexpr unsigned int  n = VDimension + 1;
  const SizeValueType     taps = m_KernelModels[source.Kernel].Taps;
  std::vector<RealType> & columns = m_GaussNewtonColumns;
  columns.resize(n * taps);
  PositionType shift;
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
SourceModelFitter<TReal, VDimension>::FitAlone(Source & source, const std::vector<unsigned int> & kernels,
                                               unsigned int steps)
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
    this->EstimateBackground(mask);
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
    this->Polish(m_PolishIterations);
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
  std::stable_sort(
    m_Sources.begin(), m_Sources.end(), [](const FittedSource & a, const FittedSource & b) { return a.Flux > b.Flux; });
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

#include "itkSourceModelFitterSelection.hxx"
#include "itkSourceModelFitterBackground.hxx"

#endif
