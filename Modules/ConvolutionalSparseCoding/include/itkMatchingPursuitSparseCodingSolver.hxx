#ifndef itkMatchingPursuitSparseCodingSolver_hxx
#define itkMatchingPursuitSparseCodingSolver_hxx

#include "itkMatchingPursuitSparseCodingSolver.h"
#include "itk_eigen.h"
#include ITK_EIGEN(Dense)
#include <algorithm>
#include <cmath>
#include <numeric>

namespace itk
{
namespace
{
constexpr SizeValueType PursuitBlock = 64;
} // namespace

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::Initialize()
{
  const auto & prox = *this->GetProximalOperator();
  if (!prox.IsSeparable())
  {
    itkExceptionMacro("Matching pursuit needs a separable penalty (l1, non-negative l1 or l0), not "
                      << prox.GetNameOfClass());
  }
  if (!(m_ResidualTolerance >= 0) || !(m_MinimumCorrelation >= 0) || !std::isfinite(m_MinimumCorrelation))
  {
    itkExceptionMacro("ResidualTolerance and MinimumCorrelation must be finite and non-negative, got "
                      << m_ResidualTolerance << " and " << m_MinimumCorrelation);
  }
  m_NonNegative = prox.IsNonNegative();
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  m_X = op.AllocateSpatial(K);
  this->CopyInitialCoefficients(m_X.data());
  m_Correlation = op.AllocateSpatial(K);
  m_Image = op.AllocateSpatial(1);
  m_SignalEnergy = 2 * this->ResidualCorrelation(nullptr, nullptr, m_Image.data());
  const bool warm = std::any_of(m_X.data(), m_X.data() + m_X.size(), [](RealType v) { return v != 0; });
  m_ResidualEnergy = 2 * this->ResidualCorrelation(warm ? m_X.data() : nullptr, m_Correlation.data(), m_Image.data());
  m_Penalty = prox.Evaluate(m_X.data(), op.GetSpatialStride(), K, 0, n);
  this->PrepareGeometry();

  const SizeValueType blocks = (n + PursuitBlock - 1) / PursuitBlock;
  SizeValueType       leaves = 1;
  while (leaves < blocks)
  {
    leaves *= 2;
  }
  m_BlockBest.assign(blocks + 1, Pick()); // the last: an empty sentinel
  m_Tree.assign(2 * leaves, blocks);
  m_BlockTouched.assign(blocks, 1);
  m_TouchedBlocks.resize(blocks);
  for (SizeValueType b = 0; b < blocks; ++b)
  {
    m_TouchedBlocks[b] = b;
  }
  this->UpdateMaxima();
  m_Picks.clear();
  m_Excluded.assign(m_ExclusionCellSize > 0 ? n : 0, 0);
  m_Exhausted = false;
  this->RecordStatistics();
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::PrepareGeometry()
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const auto &         M = op.GetKernelSize();
  const unsigned int   dimension = M.size();
  SizeValueType        taps = 1;
  m_Lags = 1;
  for (unsigned int a = 0; a < dimension; ++a)
  {
    taps *= M[a];
    m_Lags *= 2 * M[a] - 1;
  }
  m_TapSteps.resize(taps * dimension);
  for (SizeValueType t = 0; t < taps; ++t)
  {
    SizeValueType rest = t;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      m_TapSteps[t * dimension + a] = static_cast<long>(rest % M[a]) - static_cast<long>(M[a] / 2);
      rest /= M[a];
    }
  }
  m_LagSteps.resize(m_Lags * dimension);
  for (SizeValueType l = 0; l < m_Lags; ++l)
  {
    SizeValueType rest = l;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      m_LagSteps[l * dimension + a] = static_cast<long>(rest % (2 * M[a] - 1)) - (static_cast<long>(M[a]) - 1);
      rest /= 2 * M[a] - 1;
    }
  }
  m_CrossCorrelation = m_LocalUpdates ? op.KernelCrossCorrelations() : std::vector<double>();

  // Atom energies: ||h_k||^2 without weights, else the correlation of w^2 with h_k^2.
  const SizeValueType n = op.GetNumberOfDomainPixels();
  const RealType *    w2 = this->IsWeighted() ? this->GetSquaredWeights() : nullptr;
  m_UniformEnergy = w2 == nullptr;
  m_UnitWeight.assign(w2 ? n : 0, 0);
  for (SizeValueType i = 0; w2 && i < n; ++i)
  {
    m_UnitWeight[i] = w2[i] == RealType(1);
  }
  const auto &       kernels = op.GetKernels();
  std::vector<TReal> squared(kernels.size());
  std::transform(kernels.begin(), kernels.end(), squared.begin(), [](TReal h) { return h * h; });
  if (m_UniformEnergy)
  {
    m_Energy.assign(K, 0.0);
    m_InverseNorm.assign(K, 0.0);
    for (unsigned int k = 0; k < K; ++k)
    {
      m_Energy[k] = std::accumulate(squared.begin() + k * taps, squared.begin() + (k + 1) * taps, 0.0);
      m_InverseNorm[k] = m_Energy[k] > 0 ? 1 / std::sqrt(m_Energy[k]) : 0.0;
    }
    return;
  }
  auto energyOperator = OperatorType::Create(
    op.GetDomainSize(), squared.data(), M, K, ConvolutionalSparseCodingEnums::Boundary::Periodic, FFTW_ESTIMATE);
  RealBufferType weights = energyOperator->AllocateSpatial(1);
  RealBufferType energies = energyOperator->AllocateSpatial(K);
  std::copy_n(w2, n, weights.data());
  energyOperator->Adjoint(weights.data(), energies.data());
  // Rounding leaves tiny energies where a footprint misses every weighted pixel: those atoms
  // cannot explain anything.
  double largest = 0;
  for (unsigned int k = 0; k < K; ++k)
  {
    for (SizeValueType i = 0; i < n; ++i)
    {
      largest = std::max(largest, double(energies[k * energyOperator->GetSpatialStride() + i]));
    }
  }
  m_Energy.assign(SizeValueType(K) * n, 0.0);
  for (unsigned int k = 0; k < K; ++k)
  {
    for (SizeValueType i = 0; i < n; ++i)
    {
      const double e = energies[k * energyOperator->GetSpatialStride() + i];
      m_Energy[k * n + i] = e > 1e-6 * largest ? e : 0.0;
    }
  }
  // Zero where an atom cannot be picked: outside the support, or explaining no weighted pixel.
  const uint8_t * support = this->GetSupportMask();
  m_InverseNorm.assign(m_Energy.size(), 0.0);
  for (SizeValueType j = 0; j < m_Energy.size(); ++j)
  {
    const bool allowed = support == nullptr || support[j % n];
    m_InverseNorm[j] = allowed && m_Energy[j] > 0 ? 1 / std::sqrt(m_Energy[j]) : 0.0;
  }
}

template <typename TReal>
SizeValueType
MatchingPursuitSparseCodingSolver<TReal>::Shifted(SizeValueType p, SizeValueType l) const
{
  const auto &       D = this->GetOperator()->GetDomainSize();
  const unsigned int dimension = D.size();
  SizeValueType      index = 0, stride = 1;
  for (unsigned int a = 0; a < dimension; ++a)
  {
    const long extent = static_cast<long>(D[a]);
    const long c = static_cast<long>(p % D[a]) + m_LagSteps[l * dimension + a];
    p /= D[a];
    index += static_cast<SizeValueType>(((c % extent) + extent) % extent) * stride;
    stride *= D[a];
  }
  return index;
}

template <typename TReal>
bool
MatchingPursuitSparseCodingSolver<TReal>::UnitWeightFootprint(SizeValueType p) const
{
  if (m_UnitWeight.empty())
  {
    return true;
  }
  const auto &        D = this->GetOperator()->GetDomainSize();
  const unsigned int  dimension = D.size();
  const SizeValueType taps = m_TapSteps.size() / dimension;
  for (SizeValueType t = 0; t < taps; ++t)
  {
    SizeValueType rest = p, index = 0, stride = 1;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      const long extent = static_cast<long>(D[a]);
      const long c = static_cast<long>(rest % D[a]) + m_TapSteps[t * dimension + a];
      rest /= D[a];
      index += static_cast<SizeValueType>(((c % extent) + extent) % extent) * stride;
      stride *= D[a];
    }
    if (!m_UnitWeight[index])
    {
      return false;
    }
  }
  return true;
}

template <typename TReal>
double
MatchingPursuitSparseCodingSolver<TReal>::AtomProduct(unsigned int i, SizeValueType p, unsigned int j,
                                                      SizeValueType q) const
{
  const OperatorType & op = *this->GetOperator();
  const auto &         D = op.GetDomainSize();
  const auto &         M = op.GetKernelSize();
  const unsigned int   dimension = D.size();
  const SizeValueType  taps = m_TapSteps.size() / dimension;
  const TReal *        hi = op.GetKernels().data() + i * taps;
  const TReal *        hj = op.GetKernels().data() + j * taps;
  const RealType *     w2 = m_UnitWeight.empty() ? nullptr : this->GetSquaredWeights();
  double               sum = 0;
  for (SizeValueType t = 0; t < taps; ++t)
  {
    SizeValueType restP = p, restQ = q, pixel = 0, stride = 1, u = 0, tapStride = 1;
    bool          inside = true;
    for (unsigned int a = 0; a < dimension && inside; ++a)
    {
      const long extent = static_cast<long>(D[a]);
      const long x = (static_cast<long>(restP % D[a]) + m_TapSteps[t * dimension + a] + extent) % extent;
      long       offset = (x - static_cast<long>(restQ % D[a]) + extent) % extent; // x - q, wrapped
      offset = offset >= extent / 2 + 1 ? offset - extent : offset;
      const long tap = offset + static_cast<long>(M[a] / 2);
      inside = tap >= 0 && tap < static_cast<long>(M[a]);
      restP /= D[a];
      restQ /= D[a];
      pixel += static_cast<SizeValueType>(x) * stride;
      u += static_cast<SizeValueType>(std::max(0L, tap)) * tapStride;
      stride *= D[a];
      tapStride *= M[a];
    }
    if (inside)
    {
      sum += (w2 ? double(w2[pixel]) : 1.0) * double(hi[t]) * double(hj[u]);
    }
  }
  return sum;
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::ChangeAtom(unsigned int k, SizeValueType p, double delta)
{
  const OperatorType & op = *this->GetOperator();
  const unsigned int   K = op.GetNumberOfKernels();
  const SizeValueType  stride = op.GetSpatialStride();
  const auto &         prox = *this->GetProximalOperator();
  RealType &           x = m_X[k * stride + p];
  const RealType       before = x;
  x = static_cast<RealType>(before + delta);
  m_Penalty += prox.EvaluateChannel(k, &x, 0, 1) - prox.EvaluateChannel(k, &before, 0, 1);
  const double energy = m_UniformEnergy ? m_Energy[k] : m_Energy[k * op.GetNumberOfDomainPixels() + p];
  // ||r - delta a||^2 = ||r||^2 - 2 delta <a, W^2 r> + delta^2 ||w a||^2.
  m_ResidualEnergy -= delta * (2 * m_Correlation[k * stride + p] - delta * energy);
  if (!m_LocalUpdates)
  {
    return;
  }
  const bool fast = this->UnitWeightFootprint(p);
  for (SizeValueType l = 0; l < m_Lags; ++l)
  {
    const SizeValueType q = this->Shifted(p, l);
    for (unsigned int kk = 0; kk < K; ++kk)
    {
      const double product =
        fast ? m_CrossCorrelation[(SizeValueType(kk) * K + k) * m_Lags + l] : this->AtomProduct(k, p, kk, q);
      m_Correlation[kk * stride + q] -= static_cast<RealType>(delta * product);
    }
    const SizeValueType block = q / PursuitBlock;
    if (!m_BlockTouched[block])
    {
      m_BlockTouched[block] = 1;
      m_TouchedBlocks.push_back(block);
    }
  }
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::RefitAround(SizeValueType p)
{
  const OperatorType &                                op = *this->GetOperator();
  const unsigned int                                  K = op.GetNumberOfKernels();
  const SizeValueType                                 stride = op.GetSpatialStride();
  std::vector<std::pair<unsigned int, SizeValueType>> atoms;
  for (SizeValueType l = 0; l < m_Lags; ++l)
  {
    const SizeValueType q = this->Shifted(p, l);
    for (unsigned int kk = 0; kk < K; ++kk)
    {
      if (m_X[kk * stride + q] != 0)
      {
        atoms.emplace_back(kk, q);
      }
    }
  }
  const Eigen::Index S = static_cast<Eigen::Index>(atoms.size());
  if (S < 2)
  {
    return; // one atom: the MP step is already its least-squares amplitude
  }
  Eigen::MatrixXd gram(S, S);
  Eigen::VectorXd current(S), rhs(S);
  for (Eigen::Index i = 0; i < S; ++i)
  {
    current(i) = m_X[atoms[i].first * stride + atoms[i].second];
    for (Eigen::Index j = i; j < S; ++j)
    {
      gram(i, j) = gram(j, i) = this->AtomProduct(atoms[i].first, atoms[i].second, atoms[j].first, atoms[j].second);
    }
  }
  for (Eigen::Index i = 0; i < S; ++i)
  {
    rhs(i) = m_Correlation[atoms[i].first * stride + atoms[i].second] + gram.row(i).dot(current);
  }
  // Least squares on the active atoms; with x >= 0, atoms whose amplitude turns negative leave.
  std::vector<uint8_t> active(S, 1);
  Eigen::VectorXd      refit = Eigen::VectorXd::Zero(S);
  for (bool again = true; again;)
  {
    again = false;
    std::vector<Eigen::Index> index;
    for (Eigen::Index i = 0; i < S; ++i)
    {
      if (active[i])
      {
        index.push_back(i);
      }
    }
    Eigen::MatrixXd g(index.size(), index.size());
    Eigen::VectorXd b(index.size());
    for (size_t a = 0; a < index.size(); ++a)
    {
      b(a) = rhs(index[a]);
      for (size_t c = 0; c < index.size(); ++c)
      {
        g(a, c) = gram(index[a], index[c]);
      }
    }
    const Eigen::VectorXd solution = g.ldlt().solve(b);
    if (!solution.allFinite())
    {
      return; // dependent atoms: keep the MP amplitudes
    }
    refit.setZero();
    for (size_t a = 0; a < index.size(); ++a)
    {
      refit(index[a]) = solution(a);
      if (m_NonNegative && solution(a) < 0)
      {
        active[index[a]] = 0;
        again = true;
      }
    }
  }
  for (Eigen::Index i = 0; i < S; ++i)
  {
    if (refit(i) != current(i))
    {
      this->ChangeAtom(atoms[i].first, atoms[i].second, refit(i) - current(i));
    }
  }
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::RescoreBlock(SizeValueType block)
{
  const OperatorType & op = *this->GetOperator();
  const SizeValueType  n = op.GetNumberOfDomainPixels();
  const SizeValueType  begin = block * PursuitBlock, end = std::min(n, begin + PursuitBlock);
  Pick                 best;
  best.Score = 0; // only atoms that explain something
  for (unsigned int k = 0; k < op.GetNumberOfKernels(); ++k)
  {
    const RealType * c = m_Correlation.data() + k * op.GetSpatialStride();
    const double *   inverse = m_UniformEnergy ? nullptr : m_InverseNorm.data() + k * n;
    const double     uniform = m_UniformEnergy ? m_InverseNorm[k] : 0.0;
    for (SizeValueType p = begin; p < end; ++p)
    {
      if (!m_Excluded.empty() && m_Excluded[p])
      {
        continue;
      }
      const double score = (m_NonNegative ? double(c[p]) : std::abs(double(c[p]))) * (inverse ? inverse[p] : uniform);
      if (score > best.Score)
      {
        best = Pick{ score, k, p };
      }
    }
  }
  m_BlockBest[block] = best;
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::UpdateMaxima()
{
  const SizeValueType leaves = m_Tree.size() / 2;
  for (const SizeValueType block : m_TouchedBlocks)
  {
    this->RescoreBlock(block);
    m_BlockTouched[block] = 0;
    SizeValueType node = leaves + block;
    m_Tree[node] = block;
    for (node /= 2; node >= 1; node /= 2)
    {
      const SizeValueType left = m_Tree[2 * node], right = m_Tree[2 * node + 1];
      m_Tree[node] = m_BlockBest[right].Score > m_BlockBest[left].Score ? right : left;
    }
  }
  m_TouchedBlocks.clear();
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::ExcludeCellOf(SizeValueType p)
{
  const auto &       D = this->GetOperator()->GetDomainSize();
  const unsigned int dimension = D.size();
  // The cell's first pixel and extent per axis, then every pixel of it.
  std::vector<SizeValueType> first(dimension), extent(dimension), strides(dimension);
  SizeValueType              rest = p, stride = 1, count = 1;
  for (unsigned int a = 0; a < dimension; ++a)
  {
    const SizeValueType c = rest % D[a];
    rest /= D[a];
    first[a] = c - c % m_ExclusionCellSize;
    extent[a] = std::min<SizeValueType>(m_ExclusionCellSize, D[a] - first[a]);
    strides[a] = stride;
    stride *= D[a];
    count *= extent[a];
  }
  for (SizeValueType j = 0; j < count; ++j)
  {
    SizeValueType restJ = j, pixel = 0;
    for (unsigned int a = 0; a < dimension; ++a)
    {
      pixel += (first[a] + restJ % extent[a]) * strides[a];
      restJ /= extent[a];
    }
    m_Excluded[pixel] = 1;
    const SizeValueType block = pixel / PursuitBlock;
    if (!m_BlockTouched[block])
    {
      m_BlockTouched[block] = 1;
      m_TouchedBlocks.push_back(block);
    }
  }
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::RecomputeCorrelations()
{
  const bool warm = std::any_of(m_X.data(), m_X.data() + m_X.size(), [](RealType v) { return v != 0; });
  m_ResidualEnergy = 2 * this->ResidualCorrelation(warm ? m_X.data() : nullptr, m_Correlation.data(), m_Image.data());
  for (SizeValueType b = 0; b + 1 < m_BlockBest.size(); ++b)
  {
    if (!m_BlockTouched[b])
    {
      m_BlockTouched[b] = 1;
      m_TouchedBlocks.push_back(b);
    }
  }
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::Iterate()
{
  const Pick best = m_BlockBest[m_Tree[1]];
  if (m_Exhausted || !(best.Score > 0) || best.Score < m_MinimumCorrelation)
  {
    m_Exhausted = true;
    return;
  }
  const OperatorType & op = *this->GetOperator();
  const double         energy =
    m_UniformEnergy ? m_Energy[best.Kernel] : m_Energy[best.Kernel * op.GetNumberOfDomainPixels() + best.Pixel];
  this->ChangeAtom(best.Kernel, best.Pixel, m_Correlation[best.Kernel * op.GetSpatialStride() + best.Pixel] / energy);
  m_Picks.push_back(best);
  if (m_ExclusionCellSize > 0)
  {
    this->ExcludeCellOf(best.Pixel);
  }
  if (m_Orthogonal)
  {
    if (!m_LocalUpdates)
    {
      this->RecomputeCorrelations(); // the refit reads the correlations after the pick
    }
    this->RefitAround(best.Pixel);
  }
  if (!m_LocalUpdates)
  {
    this->RecomputeCorrelations();
  }
  this->UpdateMaxima();
  if (m_ResidualEnergy < 1e-8 * m_SignalEnergy)
  {
    // Below the precision of the running sum (||s||^2 minus the picks' shares): measure it.
    m_ResidualEnergy = 2 * this->ResidualCorrelation(m_X.data(), nullptr, m_Image.data());
  }
  this->RecordStatistics();
  const Pick next = m_BlockBest[m_Tree[1]];
  m_Exhausted = std::sqrt(std::max(0.0, m_ResidualEnergy)) <= m_ResidualTolerance * std::sqrt(m_SignalEnergy) ||
                !(next.Score > 0) || next.Score < m_MinimumCorrelation;
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::RecordStatistics()
{
  auto & stats = this->m_Statistics;
  stats.DataFidelity = 0.5 * std::max(0.0, m_ResidualEnergy);
  stats.Penalty = m_Penalty;
  stats.Objective = stats.DataFidelity + this->GetLambda() * m_Penalty;
  stats.PrimalResidual = m_SignalEnergy > 0 ? std::sqrt(std::max(0.0, m_ResidualEnergy) / m_SignalEnergy) : 0.0;
  stats.DualResidual = 0;
  stats.StepOrPenaltyParameter = m_Picks.empty() ? 0.0 : m_Picks.back().Score;
}

template <typename TReal>
LightObject::Pointer
MatchingPursuitSparseCodingSolver<TReal>::InternalClone() const
{
  LightObject::Pointer pointer = Superclass::InternalClone();
  Self &               clone = Superclass::template CloneAs<Self>(pointer);
  clone.m_Orthogonal = m_Orthogonal;
  clone.m_MaximumNumberOfAtoms = m_MaximumNumberOfAtoms;
  clone.m_ResidualTolerance = m_ResidualTolerance;
  clone.m_MinimumCorrelation = m_MinimumCorrelation;
  clone.m_LocalUpdates = m_LocalUpdates;
  clone.m_ExclusionCellSize = m_ExclusionCellSize;
  return pointer;
}

template <typename TReal>
void
MatchingPursuitSparseCodingSolver<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Orthogonal: " << m_Orthogonal << std::endl;
  os << indent << "MaximumNumberOfAtoms: " << m_MaximumNumberOfAtoms << std::endl;
  os << indent << "ResidualTolerance: " << m_ResidualTolerance << std::endl;
  os << indent << "MinimumCorrelation: " << m_MinimumCorrelation << std::endl;
  os << indent << "LocalUpdates: " << m_LocalUpdates << std::endl;
  os << indent << "ExclusionCellSize: " << m_ExclusionCellSize << std::endl;
  os << indent << "Picks: " << m_Picks.size() << std::endl;
}
} // namespace itk

#endif
