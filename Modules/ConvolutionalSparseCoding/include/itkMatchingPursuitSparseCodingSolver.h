#ifndef itkMatchingPursuitSparseCodingSolver_h
#define itkMatchingPursuitSparseCodingSolver_h

#include "itkSparseCodingSolverBase.h"
#include <limits>

namespace itk
{
/** \class MatchingPursuitSparseCodingSolver
 * \brief Convolutional matching pursuit (MP) and orthogonal matching pursuit (OMP): greedy
 * l0 pursuits that add one atom (a kernel at a position) per iteration.
 *
 * Each iteration picks the atom of largest normalised correlation |c_k(p)| / ||w h_k(. - p)||
 * with the weighted residual, c = A^T W^2 (s - A x) (with a non-negative prox, such as
 * NonNegativeL1ProximalOperator, the largest positive one), and adds c_k(p) / ||w h_k(. - p)||^2
 * to x_k(p) (Mallat and Zhang, "Matching pursuits with time-frequency dictionaries", IEEE TSP
 * 41(12), 1993). With Orthogonal on, the amplitudes of the new atom and of every atom whose
 * footprint overlaps it are then refitted jointly by least squares (Pati, Rezaiifar and
 * Krishnaprasad, "Orthogonal matching pursuit", Asilomar 1993) -- locally, so that thousands of
 * atoms cost thousands of small solves; with a non-negative prox an atom whose refit turns
 * negative is dropped and the rest refitted.
 *
 * After a change at p only the correlations within a kernel's reach of p change: they are
 * updated from the kernels' cross-correlations (computed once by the operator) where the
 * atom's footprint has unit weight, and by direct sums elsewhere (the border of a zero-padded
 * domain, given weights). The best atom is found through per-block maxima in a tournament tree,
 * so a pick rescans only the blocks the change touched (LocalUpdates off: every correlation is
 * recomputed by FFT after each pick, the naive method, for checks and benchmarks).
 *
 * With ExclusionCellSize, at most one atom is picked per cell of the domain (the constraint
 * "at most one location per cell" of space-time deconvolution).
 *
 * Stops after MaximumNumberOfAtoms picks (0: MaximumNumberOfIterations), when the residual norm
 * ||w (s - A x)|| falls to ResidualTolerance times ||w s||, when the best normalised correlation
 * falls below MinimumCorrelation, or when nothing can be added. Lambda only weighs the penalty
 * in the reported objective; the prox must be separable. The RelativeTolerance is not used.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT MatchingPursuitSparseCodingSolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MatchingPursuitSparseCodingSolver);

  using Self = MatchingPursuitSparseCodingSolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(MatchingPursuitSparseCodingSolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::OperatorType;
  using typename Superclass::RealBufferType;

  /** OMP: refit the amplitudes of the atoms around each pick. Default off (MP). */
  itkSetMacro(Orthogonal, bool);
  itkGetConstMacro(Orthogonal, bool);
  itkBooleanMacro(Orthogonal);
  /** Picks at most; 0 (default) uses MaximumNumberOfIterations. */
  itkSetMacro(MaximumNumberOfAtoms, unsigned int);
  itkGetConstMacro(MaximumNumberOfAtoms, unsigned int);
  /** Stop once ||w r|| <= this times ||w s||. Default 0 (off). */
  itkSetMacro(ResidualTolerance, double);
  itkGetConstMacro(ResidualTolerance, double);
  /** Stop once the best normalised correlation is below this. Default 0 (off). */
  itkSetMacro(MinimumCorrelation, double);
  itkGetConstMacro(MinimumCorrelation, double);
  /** At most one pick per cell of this many pixels along every axis (cells tile the domain from
   * its first pixel); an atom is not picked twice either. 0 (default): no exclusion. */
  itkSetMacro(ExclusionCellSize, unsigned int);
  itkGetConstMacro(ExclusionCellSize, unsigned int);
  /** Update the correlations locally (default) or recompute them all after each pick. */
  itkSetMacro(LocalUpdates, bool);
  itkGetConstMacro(LocalUpdates, bool);
  itkBooleanMacro(LocalUpdates);

  /** One pick: kernel, domain pixel, and the normalised correlation it was picked at. */
  struct Pick
  {
    double        Score{ -std::numeric_limits<double>::infinity() };
    unsigned int  Kernel{ 0 };
    SizeValueType Pixel{ 0 };
  };
  /** The picks of the last Solve(), in order. */
  const std::vector<Pick> &
  GetPicks() const
  {
    return m_Picks;
  }

  unsigned int
  IterationLimit() const override
  {
    return m_MaximumNumberOfAtoms > 0 ? m_MaximumNumberOfAtoms : this->GetMaximumNumberOfIterations();
  }

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_X.data();
  }

protected:
  MatchingPursuitSparseCodingSolver() = default;
  ~MatchingPursuitSparseCodingSolver() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  LightObject::Pointer
  InternalClone() const override;

  void
  Initialize() override;
  void
  Iterate() override;
  bool
  Converged() const override
  {
    return m_Exhausted;
  }

private:
  /** Atom energies ||w h_k(. - p)||^2, the unit-weight pixels, the kernels' cross-correlations
   * and the lag offsets. */
  void
  PrepareGeometry();
  /** The domain pixel p + lag l (wrapped per axis). */
  SizeValueType
  Shifted(SizeValueType p, SizeValueType l) const;
  /** Whether every pixel of the footprint of an atom at p has unit weight. */
  bool
  UnitWeightFootprint(SizeValueType p) const;
  /** x_k(p) += delta: the correlations, the residual energy, the penalty, the touched blocks. */
  void
  ChangeAtom(unsigned int k, SizeValueType p, double delta);
  /** <w h_i(. - p), w h_j(. - q)> by direct summation over the footprint of the first atom. */
  double
  AtomProduct(unsigned int i, SizeValueType p, unsigned int j, SizeValueType q) const;
  /** OMP: joint least-squares refit of the atoms overlapping a pick at p. */
  void
  RefitAround(SizeValueType p);
  void
  RescoreBlock(SizeValueType block);
  /** Rescores the touched blocks and the tree above them. */
  void
  UpdateMaxima();
  /** Blocks every pixel of the exclusion cell holding p (and rescores their blocks). */
  void
  ExcludeCellOf(SizeValueType p);
  /** Recomputes every correlation (LocalUpdates off). */
  void
  RecomputeCorrelations();
  void
  RecordStatistics();

  bool         m_Orthogonal{ false };
  unsigned int m_MaximumNumberOfAtoms{ 0 };
  double       m_ResidualTolerance{ 0.0 };
  double       m_MinimumCorrelation{ 0.0 };
  bool         m_LocalUpdates{ true };
  unsigned int m_ExclusionCellSize{ 0 };

  bool                       m_NonNegative{ false };
  bool                       m_Exhausted{ false };
  RealBufferType             m_X;
  RealBufferType             m_Correlation;
  RealBufferType             m_Image;       // one-channel domain scratch of the residual transforms
  std::vector<double>        m_Energy;      // K x n, or K values when uniform
  std::vector<double>        m_InverseNorm; // 1 / sqrt(energy); 0 where an atom cannot be picked
  bool                       m_UniformEnergy{ true };
  std::vector<uint8_t>       m_UnitWeight;       // domain pixels with w^2 == 1
  std::vector<double>        m_CrossCorrelation; // KernelCrossCorrelations()
  std::vector<long>          m_LagSteps;         // per lag, per axis
  std::vector<long>          m_TapSteps;         // per tap, per axis: tap - centre
  SizeValueType              m_Lags{ 0 };
  std::vector<Pick>          m_BlockBest;
  std::vector<SizeValueType> m_Tree;
  std::vector<uint8_t>       m_BlockTouched;
  std::vector<SizeValueType> m_TouchedBlocks;
  std::vector<Pick>          m_Picks;
  std::vector<uint8_t>       m_Excluded; // domain pixels of cells already picked from
  double                     m_ResidualEnergy{ 0 };
  double                     m_SignalEnergy{ 0 };
  double                     m_Penalty{ 0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMatchingPursuitSparseCodingSolver.hxx"
#endif

#endif
