#ifndef itkCellAppearancePursuit_h
#define itkCellAppearancePursuit_h

#include "itkMultiChannelFourierConvolution.h"
#include "itkMultiThreaderBase.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include <vector>

namespace itk
{
/** \class CellAppearancePursuit
 * \brief Cells in a movie by convolutional matching pursuit over space: each cell is one of J
 * spatial appearances H_j at one location p with its own trace c(t),
 *   R(x, t) ~ sum_k H_{j_k}(x - p_k) c_k(t),
 * the spatial l0 step of sparse space-time deconvolution (Peter, Hofmann, Kirschbaum, Hamprecht
 * et al., NIPS 2014: sum_j ||D_{k,j}||_0 <= 1 per cell).
 *
 * With the trace free, adding the cell (p, j) lowers ||R - model||^2 by
 * sum_t <H_j(. - p), R_t>^2 / ||H_j||^2, so the greedy step picks the largest such energy, measured
 * against noise: a candidate's significance is z = ln(E / ((T - 1) sigma_j(p)^2)) / sqrt(2 / (T - 1)),
 * E the temporal variance of its correlation trace <H_j(. - p), R_t> times T - 1 (the trace's
 * mean, a background error, is not evidence of a cell), sigma_j(p)^2 = sum_u H_j(u)^2 sigma(p + u)^2
 * that trace's noise variance from the pixels' noise levels sigma (TraceNoiseLevels, from their
 * spectra, pooled by a local median), so that a cell's own signal does not enter it. The log
 * makes the chi-square ratio nearly normal for short and long sequences alike. The pursuit stops
 * below MinimumSignificance or at MaximumNumberOfCells.
 *
 * The correlations of every frame with every appearance are computed once by FFT (zero outside
 * the image); after a pick they are updated locally from the appearances' cross-correlations, as
 * convolutional matching pursuit does. Appearances are (2 c + 1)^N windows anchored at their centre
 * c; a cell may lie partly outside the image.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal = float>
class ITK_TEMPLATE_EXPORT CellAppearancePursuit : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CellAppearancePursuit);

  using Self = CellAppearancePursuit;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(CellAppearancePursuit, Object);

  using RealType = TReal;
  using AppearanceType = std::vector<double>;

  struct Cell
  {
    std::vector<long> Position; // the appearance's centre, pixel index per spatial axis
    unsigned int      Appearance{ 0 };
    double            Significance{ 0.0 };
  };

  /** Spatial grid (x fastest), every axis at least one pixel. */
  void
  SetImageSize(const std::vector<SizeValueType> & size);
  const std::vector<SizeValueType> &
  GetImageSize() const
  {
    return m_Size;
  }
  /** Appearances: each (window)^N values, x fastest, window odd, finite, not all zero. */
  void
  SetAppearances(const std::vector<AppearanceType> & appearances, unsigned int window);

  /** Default 50. */
  itkSetMacro(MaximumNumberOfCells, unsigned int);
  itkGetConstMacro(MaximumNumberOfCells, unsigned int);
  /** Default 7: above pure noise (at most 3.5 to 4.8 over 2304 candidates, 80 to 450 frames) and
   * the model errors bright cells leave (at most 6 on the dev movies, where true cells scored 8 to
   * 75 and one 5.1); chosen on the dev movies. */
  itkSetMacro(MinimumSignificance, double);
  itkGetConstMacro(MinimumSignificance, double);
  /** A pick whose trace correlates above this with the trace of a cell less than 2 W - 1 away is that cell's
   * model error: its energy is removed but no cell is added (default 0.5; independent cells'
   * traces correlate far less, echoes of a cell's model error -0.9 to 0.9 on the dev movies). */
  itkSetMacro(MaximumTraceCorrelation, double);
  itkGetConstMacro(MaximumTraceCorrelation, double);

  /** The cells of R (pixel p of frame t at R[p + t * P]), strongest first. */
  std::vector<Cell>
  Detect(const TReal * R, SizeValueType frames, MultiThreaderBase * threader) const;
  /** The same for a movie that is not stored: valueAt(p, t) returns R's value (called
   * twice per value, in any order, from several threads). The pursuit's memory is then its J
   * correlation arrays (J movies of float) without a copy of R. */
  template <typename TValueAt>
  std::vector<Cell>
  DetectIn(const TValueAt & valueAt, SizeValueType frames, MultiThreaderBase * threader) const;

  /** <H(. - p), R_t> for every t, zero outside the image. */
  void
  Project(const TReal * R, SizeValueType frames, const Cell & cell, std::vector<double> & trace) const;
  /** sum_x H(x - p) G(x - q) over the image, for the appearances of two cells. */
  double
  Overlap(const Cell & a, const Cell & b) const;
  /** Calls visit(pixel, value) for every pixel of the cell's appearance inside the image. */
  template <typename TVisit>
  void
  ForEachPixel(const Cell & cell, TVisit && visit) const;

protected:
  CellAppearancePursuit() = default;
  ~CellAppearancePursuit() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  SizeValueType
  Pixels() const;
  /** The state of one Detect(): correlations, the appearances' cross-correlations, noise levels
   * and significance of every candidate. */
  struct SearchState
  {
    SizeValueType                    Frames{ 0 };
    std::vector<std::vector<float>>  Correlations;
    std::vector<double>              Cross; // the operator's KernelCrossCorrelations()
    SizeValueType                    Lags{ 0 };
    std::vector<std::vector<double>> Noise, Score;
    double                           Spread{ 1.0 };
  };
  template <typename TValueAt>
  void
  InitialiseSearch(SearchState & state, const TValueAt & valueAt, SizeValueType frames,
                   MultiThreaderBase * threader) const;
  double
  Significance(const SearchState & state, SizeValueType j, SizeValueType p) const;
  /** Removes a pick with this trace from every correlation it reaches, re-scoring them. */
  void
  RemovePick(SearchState & state, const Cell & pick, const std::vector<double> & trace,
             MultiThreaderBase * threader) const;
  bool
  IsEcho(const std::vector<Cell> & cells, const std::vector<std::vector<double>> & traces, const Cell & pick,
         const std::vector<double> & centred) const;
  /** Per-pixel noise levels pooled over a neighbourhood (median of a box of 2 W + 1). */
  std::vector<double>
  LocalNoise(const std::vector<double> & noise) const;
  /** The trace minus its mean, scaled to unit norm. */
  static std::vector<double>
  Centred(const std::vector<double> & trace);
  using OperatorType = MultiChannelFourierConvolution<double>;
  /** corr[j][p T + t] = <H_j(. - p), R_t>: the operator's adjoint (zero boundary) on every
   * frame, stored position-major (each candidate's trace contiguous: the pursuit's updates and
   * scores run along time). */
  template <typename TValueAt>
  std::vector<std::vector<float>>
  Correlate(const OperatorType & op, const TValueAt & valueAt, SizeValueType frames) const;

  std::vector<SizeValueType>  m_Size;
  std::vector<AppearanceType> m_Appearances;
  unsigned int                m_Window{ 1 };
  unsigned int                m_MaximumNumberOfCells{ 50 };
  double                      m_MinimumSignificance{ 7.0 };
  double                      m_MaximumTraceCorrelation{ 0.5 };
};

template <typename TReal>
template <typename TVisit>
void
CellAppearancePursuit<TReal>::ForEachPixel(const Cell & cell, TVisit && visit) const
{
  const unsigned int     N = static_cast<unsigned int>(m_Size.size());
  const long             c = long(m_Window / 2);
  const AppearanceType & H = m_Appearances[cell.Appearance];
  std::vector<long>      u(N, 0);
  for (SizeValueType i = 0; i < H.size(); ++i)
  {
    SizeValueType pixel = 0, stride = 1;
    bool          inside = true;
    for (unsigned int d = 0; d < N && inside; ++d)
    {
      const long x = cell.Position[d] + u[d] - c;
      inside = x >= 0 && x < long(m_Size[d]);
      pixel += SizeValueType(x) * stride;
      stride *= m_Size[d];
    }
    if (inside && H[i] != 0.0)
    {
      visit(pixel, H[i]);
    }
    for (unsigned int d = 0; d < N && ++u[d] == long(m_Window); ++d)
    {
      u[d] = 0;
    }
  }
}
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkCellAppearancePursuit.hxx"
#endif

#endif
