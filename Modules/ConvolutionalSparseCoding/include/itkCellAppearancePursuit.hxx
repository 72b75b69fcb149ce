#ifndef itkCellAppearancePursuit_hxx
#define itkCellAppearancePursuit_hxx

#include "itkMath.h"
#include "itkTraceNoiseLevel.h"
#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>
#include <numeric>

namespace itk
{
template <typename TReal>
void
CellAppearancePursuit<TReal>::SetImageSize(const std::vector<SizeValueType> & size)
{
  if (size.empty() || std::find(size.begin(), size.end(), SizeValueType(0)) != size.end())
  {
    itkExceptionMacro("the image must have at least one spatial axis and one pixel per axis");
  }
  m_Size = size;
  this->Modified();
}

template <typename TReal>
void
CellAppearancePursuit<TReal>::SetAppearances(const std::vector<AppearanceType> & appearances, unsigned int window)
{
  if (m_Size.empty())
  {
    itkExceptionMacro("set the image size before the appearances");
  }
  if (appearances.empty() || window == 0 || window % 2 == 0)
  {
    itkExceptionMacro("need at least one appearance and an odd window, got " << appearances.size()
                                                                             << " appearances, window " << window);
  }
  const SizeValueType length = SizeValueType(std::pow(double(window), double(m_Size.size())) + 0.5);
  for (const auto & H : appearances)
  {
    double energy = 0.0;
    for (const double h : H)
    {
      if (!std::isfinite(h))
      {
        itkExceptionMacro("an appearance has a non-finite value");
      }
      energy += h * h;
    }
    if (H.size() != length || energy <= 0.0)
    {
      itkExceptionMacro("every appearance needs " << length << " values, not all zero");
    }
  }
  m_Appearances = appearances;
  m_Window = window;
  this->Modified();
}

template <typename TReal>
SizeValueType
CellAppearancePursuit<TReal>::Pixels() const
{
  return std::accumulate(m_Size.begin(), m_Size.end(), SizeValueType(1), std::multiplies<SizeValueType>());
}

template <typename TReal>
template <typename TValueAt>
std::vector<std::vector<float>>
CellAppearancePursuit<TReal>::Correlate(const OperatorType & op, const TValueAt & valueAt, SizeValueType frames) const
{
  // Frame by frame, the operator's adjoint with the zero boundary: the J correlation maps.
  const SizeValueType P = Pixels(), J = m_Appearances.size();
  // Each array allocated in place: corr(J, prototype) would hold a (J + 1)-th movie while copying.
  std::vector<std::vector<float>> corr(J);
  for (auto & values : corr)
  {
    values.resize(P * frames);
  }
  std::vector<double>              frame(P), maps(J * P);
  typename OperatorType::Workspace work; // one allocation for all frames
  for (SizeValueType t = 0; t < frames; ++t)
  {
    for (SizeValueType p = 0; p < P; ++p)
    {
      frame[p] = static_cast<double>(valueAt(p, t));
    }
    op.ApplyAdjoint(frame.data(), maps.data(), work);
    for (SizeValueType j = 0; j < J; ++j)
    {
      float * out = corr[j].data() + t;
      for (SizeValueType p = 0; p < P; ++p)
      {
        out[p * frames] = static_cast<float>(maps[j * P + p]);
      }
    }
  }
  return corr;
}

template <typename TReal>
double
CellAppearancePursuit<TReal>::Significance(const SearchState & state, SizeValueType j, SizeValueType p) const
{
  const SizeValueType T = state.Frames;
  const float *       c = state.Correlations[j].data() + p * T;
  double              mean = 0.0, energy = 0.0;
  for (SizeValueType t = 0; t < T; ++t)
  {
    mean += c[t];
  }
  mean /= double(T);
  for (SizeValueType t = 0; t < T; ++t)
  {
    const double v = c[t] - mean;
    energy += v * v;
  }
  const double sigma2 = state.Noise[j][p] * state.Noise[j][p];
  return sigma2 > 0.0 && energy > 0.0 ? std::log(energy / (sigma2 * double(T - 1))) / state.Spread : 0.0;
}

template <typename TReal>
template <typename TValueAt>
void
CellAppearancePursuit<TReal>::InitialiseSearch(SearchState & state, const TValueAt & valueAt, SizeValueType frames,
                                               MultiThreaderBase * threader) const
{
  const unsigned int  N = static_cast<unsigned int>(m_Size.size());
  const SizeValueType P = Pixels(), J = m_Appearances.size();
  state.Frames = frames;
  std::vector<double> kernels;
  for (const auto & H : m_Appearances)
  {
    kernels.insert(kernels.end(), H.begin(), H.end());
  }
  const auto op = OperatorType::Create(m_Size,
                                       kernels.data(),
                                       typename OperatorType::SizeType(m_Size.size(), m_Window),
                                       static_cast<unsigned int>(J),
                                       ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  state.Correlations = Correlate(*op, valueAt, frames);
  state.Cross = op->KernelCrossCorrelations();
  state.Lags = state.Cross.size() / (J * J);
  state.Spread = std::sqrt(2.0 / double(frames - 1));
  state.Noise.assign(J, std::vector<double>(P, 0.0));
  state.Score.assign(J, std::vector<double>(P, 0.0));
  // The noise is measured per pixel of R and pooled over a neighbourhood (LocalNoise), not on the
  // correlation traces themselves: there, a bright cell's own high frequencies would raise the
  // noise level exactly where the cell is, and move the peak of E / sigma^2 off the cell.
  const auto pixelNoise = LocalNoise(TraceNoiseLevelsOf(valueAt, P, frames, threader));
  for (SizeValueType j = 0; j < J; ++j)
  {
    // sigma_j(p)^2 = sum_u H_j(u)^2 sigma(p - c + u)^2 over the pixels inside the image.
    threader->ParallelizeArray(
      0,
      P,
      [&](SizeValueType p) {
        Cell          probe;
        SizeValueType rest = p;
        probe.Position.resize(N);
        for (unsigned int d = 0; d < N; ++d)
        {
          probe.Position[d] = long(rest % m_Size[d]);
          rest /= m_Size[d];
        }
        probe.Appearance = static_cast<unsigned int>(j);
        double sum = 0.0;
        this->ForEachPixel(
          probe, [&](SizeValueType pixel, double h) { sum += h * h * pixelNoise[pixel] * pixelNoise[pixel]; });
        state.Noise[j][p] = std::sqrt(sum);
        state.Score[j][p] = this->Significance(state, j, p);
      },
      nullptr);
  }
}

template <typename TReal>
void
CellAppearancePursuit<TReal>::RemovePick(SearchState & state, const Cell & pick, const std::vector<double> & trace,
                                         MultiThreaderBase * threader) const
{
  // corr_j(q) -= c(t) sum_u H_j(u) H_j0(u + q - p0) = c(t) X[j][j0](q - p0), for every q in reach.
  const unsigned int  N = static_cast<unsigned int>(m_Size.size());
  const SizeValueType J = m_Appearances.size(), T = state.Frames;
  const long          W = long(m_Window), span = 2 * W - 1;
  const SizeValueType reach = state.Lags;
  // Every offset i is a different position q: the positions are updated in parallel.
  threader->ParallelizeArray(
    0,
    reach,
    [&](SizeValueType i) {
      SizeValueType rest = i, q = 0, stride = 1;
      bool          inside = true;
      for (unsigned int d = 0; d < N && inside; ++d)
      {
        const long x = pick.Position[d] + long(rest % SizeValueType(span)) - (W - 1);
        rest /= SizeValueType(span);
        inside = x >= 0 && x < long(m_Size[d]);
        q += SizeValueType(x) * stride;
        stride *= m_Size[d];
      }
      for (SizeValueType j = 0; inside && j < J; ++j)
      {
        const double x = state.Cross[(j * J + pick.Appearance) * reach + i];
        if (x != 0.0)
        {
          float * c = state.Correlations[j].data() + q * T;
          for (SizeValueType t = 0; t < T; ++t)
          {
            c[t] -= static_cast<float>(trace[t] * x);
          }
          state.Score[j][q] = this->Significance(state, j, q);
        }
      }
    },
    nullptr);
}

template <typename TReal>
bool
CellAppearancePursuit<TReal>::IsEcho(const std::vector<Cell> & cells, const std::vector<std::vector<double>> & traces,
                                     const Cell & pick, const std::vector<double> & centred) const
{
  // A pick whose trace follows that of a cell within reach of its correlations (or its negative)
  // is that cell's model error (its appearance does not fit it exactly), not a cell.
  const long span = 2 * long(m_Window) - 1;
  for (size_t m = 0; m < cells.size(); ++m)
  {
    bool near = true;
    for (unsigned int d = 0; d < m_Size.size(); ++d)
    {
      near = near && std::abs(cells[m].Position[d] - pick.Position[d]) < span;
    }
    if (near && std::abs(std::inner_product(centred.begin(), centred.end(), traces[m].begin(), 0.0)) >
                  m_MaximumTraceCorrelation)
    {
      return true;
    }
  }
  return false;
}

template <typename TReal>
auto
CellAppearancePursuit<TReal>::Detect(const TReal * R, SizeValueType frames, MultiThreaderBase * threader) const
  -> std::vector<Cell>
{
  const SizeValueType P = Pixels();
  return this->DetectIn([R, P](SizeValueType p, SizeValueType t) { return R[p + t * P]; }, frames, threader);
}

template <typename TReal>
template <typename TValueAt>
auto
CellAppearancePursuit<TReal>::DetectIn(const TValueAt & valueAt, SizeValueType frames,
                                       MultiThreaderBase * threader) const -> std::vector<Cell>
{
  if (m_Appearances.empty())
  {
    itkExceptionMacro("no appearances set");
  }
  if (frames < 4)
  {
    itkExceptionMacro("need at least 4 frames to tell cells from noise, got " << frames);
  }
  const SizeValueType P = Pixels(), J = m_Appearances.size(), T = frames;
  SearchState         state;
  this->InitialiseSearch(state, valueAt, frames, threader);
  std::vector<Cell>                cells;
  std::vector<std::vector<double>> traces; // centred, unit norm
  // Every pick removes energy, so picks end; the bound guards against a stall at round-off.
  for (SizeValueType picks = 0; cells.size() < m_MaximumNumberOfCells && picks < 20 * m_MaximumNumberOfCells + 100;
       ++picks)
  {
    Cell          pick;
    SizeValueType bestP = 0;
    pick.Significance = -std::numeric_limits<double>::infinity();
    for (SizeValueType j = 0; j < J; ++j)
    {
      const auto top = std::max_element(state.Score[j].begin(), state.Score[j].end());
      if (*top > pick.Significance)
      {
        pick.Significance = *top;
        pick.Appearance = static_cast<unsigned int>(j);
        bestP = SizeValueType(top - state.Score[j].begin());
      }
    }
    if (!(pick.Significance >= m_MinimumSignificance))
    {
      break;
    }
    SizeValueType rest = bestP;
    for (const SizeValueType n : m_Size)
    {
      pick.Position.push_back(long(rest % n));
      rest /= n;
    }
    // Scaled by the whole window's norm, as the removal uses the whole window's cross-correlations:
    // the pick's own correlation becomes exactly zero (with the norm inside the image, a cell at
    // the border would be over-subtracted, and the error would grow).
    const double        norm = state.Cross[(pick.Appearance * J + pick.Appearance) * state.Lags + state.Lags / 2];
    std::vector<double> trace(T);
    for (SizeValueType t = 0; t < T; ++t)
    {
      trace[t] = state.Correlations[pick.Appearance][bestP * T + t] / norm;
    }
    const auto centred = Centred(trace);
    if (!this->IsEcho(cells, traces, pick, centred))
    {
      cells.push_back(pick);
      traces.push_back(centred);
    }
    this->RemovePick(state, pick, trace, threader); // an echo's energy is removed all the same
  }
  return cells;
}

template <typename TReal>
std::vector<double>
CellAppearancePursuit<TReal>::LocalNoise(const std::vector<double> & noise) const
{
  // Median over a box of 2 W + 1 pixels per axis, on a grid of W / 2 and taken from the nearest
  // grid node: cells cover less than half of such a box, so the median is the noise around them.
  const unsigned int N = static_cast<unsigned int>(m_Size.size());
  const long         step = std::max(1L, long(m_Window / 2)), half = long(m_Window);
  std::vector<long>  nodes(N);
  SizeValueType      count = 1;
  for (unsigned int d = 0; d < N; ++d)
  {
    nodes[d] = (long(m_Size[d]) + step - 1) / step;
    count *= SizeValueType(nodes[d]);
  }
  std::vector<double> medians(count);
  std::vector<long>   node(N), low(N), high(N), x(N);
  for (SizeValueType n = 0; n < count; ++n)
  {
    SizeValueType rest = n;
    for (unsigned int d = 0; d < N; ++d)
    {
      node[d] = long(rest % SizeValueType(nodes[d]));
      rest /= SizeValueType(nodes[d]);
      const long centre = std::min(node[d] * step + step / 2, long(m_Size[d]) - 1);
      low[d] = std::max(0L, centre - half);
      high[d] = std::min(long(m_Size[d]) - 1, centre + half);
      x[d] = low[d];
    }
    std::vector<double> box;
    for (bool more = true; more;)
    {
      SizeValueType pixel = 0, stride = 1;
      for (unsigned int d = 0; d < N; ++d)
      {
        pixel += SizeValueType(x[d]) * stride;
        stride *= m_Size[d];
      }
      box.push_back(noise[pixel]);
      more = false;
      for (unsigned int d = 0; d < N && !more; ++d)
      {
        more = ++x[d] <= high[d];
        if (!more)
        {
          x[d] = low[d];
        }
      }
    }
    std::nth_element(box.begin(), box.begin() + box.size() / 2, box.end());
    medians[n] = box[box.size() / 2];
  }
  std::vector<double> local(noise.size());
  for (SizeValueType p = 0; p < noise.size(); ++p)
  {
    SizeValueType rest = p, index = 0, stride = 1;
    for (unsigned int d = 0; d < N; ++d)
    {
      index += SizeValueType(long(rest % m_Size[d]) / step) * stride;
      rest /= m_Size[d];
      stride *= SizeValueType(nodes[d]);
    }
    local[p] = medians[index];
  }
  return local;
}

template <typename TReal>
std::vector<double>
CellAppearancePursuit<TReal>::Centred(const std::vector<double> & trace)
{
  const double mean = std::accumulate(trace.begin(), trace.end(), 0.0) / double(std::max<size_t>(1, trace.size()));
  std::vector<double> centred(trace.size());
  double              energy = 0.0;
  for (size_t t = 0; t < trace.size(); ++t)
  {
    centred[t] = trace[t] - mean;
    energy += centred[t] * centred[t];
  }
  for (double & v : centred)
  {
    v = energy > 0.0 ? v / std::sqrt(energy) : 0.0;
  }
  return centred;
}

template <typename TReal>
void
CellAppearancePursuit<TReal>::Project(const TReal * R, SizeValueType frames, const Cell & cell,
                                      std::vector<double> & trace) const
{
  const SizeValueType P = Pixels();
  trace.assign(frames, 0.0);
  this->ForEachPixel(cell, [&](SizeValueType pixel, double h) {
    for (SizeValueType t = 0; t < frames; ++t)
    {
      trace[t] += h * static_cast<double>(R[pixel + t * P]);
    }
  });
}

template <typename TReal>
double
CellAppearancePursuit<TReal>::Overlap(const Cell & a, const Cell & b) const
{
  for (unsigned int d = 0; d < m_Size.size(); ++d)
  {
    if (std::abs(a.Position[d] - b.Position[d]) >= long(m_Window))
    {
      return 0.0;
    }
  }
  std::vector<std::pair<SizeValueType, double>> first;
  this->ForEachPixel(a, [&](SizeValueType pixel, double h) { first.emplace_back(pixel, h); });
  double sum = 0.0;
  size_t i = 0;
  this->ForEachPixel(b, [&](SizeValueType pixel, double h) {
    while (i < first.size() && first[i].first < pixel)
    {
      ++i;
    }
    if (i < first.size() && first[i].first == pixel)
    {
      sum += first[i].second * h;
    }
  });
  return sum;
}

template <typename TReal>
void
CellAppearancePursuit<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Appearances: " << m_Appearances.size() << " of window " << m_Window << std::endl;
  os << indent << "MaximumNumberOfCells: " << m_MaximumNumberOfCells << std::endl;
  os << indent << "MinimumSignificance: " << m_MinimumSignificance << std::endl;
  os << indent << "MaximumTraceCorrelation: " << m_MaximumTraceCorrelation << std::endl;
}
} // namespace itk

#endif
