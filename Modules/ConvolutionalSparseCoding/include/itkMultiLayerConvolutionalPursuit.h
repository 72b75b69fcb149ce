#ifndef itkMultiLayerConvolutionalPursuit_h
#define itkMultiLayerConvolutionalPursuit_h

#include "itkConvolutionalSparseCodingEnums.h"
#include "itkMultiLayerFISTASolver.h"
#include <vector>

namespace itk
{
/** \class MultiLayerConvolutionalPursuit
 * \brief Finds every layer's sparse maps of a multi-layer convolutional model
 * s = D_1 gamma_1, gamma_{j-1} = D_j gamma_j (Papyan, Romano and Elad, "Convolutional neural
 * networks analyzed via convolutional sparse coding", JMLR 18, 2017).
 *
 * Pursuits:
 * - LayeredThresholding: gamma_j = prox_{lambda_j g}(D_j^T gamma_{j-1}) (gamma_0 = s), one shot;
 *   with the non-negative l1 prox it is a CNN's forward pass (ReLU with bias -lambda_j).
 * - LayeredBasisPursuit: gamma_j = argmin 1/2 ||gamma_{j-1} - D_j gamma||^2 + lambda_j g(gamma),
 *   layer after layer (ibid., Sec. 5): the first layer by the FISTA solver, the deeper ones
 *   (targets of K_{j-1} channels) by the one-layer MultiLayerFISTASolver.
 * - MLISTA, MLFISTA: the multi-layer basis pursuit by MultiLayerFISTASolver (Sulam, Aberdam,
 *   Beck and Elad, IEEE TPAMI 42(8), 2020).
 *
 * The solvers own their loops: IterationEvent of this object fires after each of their
 * iterations (GetStage() says which layer layered BP is at), Stop() ends the current solve and
 * Run() then returns without solving the layers below.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT MultiLayerConvolutionalPursuit : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MultiLayerConvolutionalPursuit);

  using Self = MultiLayerConvolutionalPursuit;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(MultiLayerConvolutionalPursuit, Object);

  using RealType = TReal;
  using PursuitEnum = ConvolutionalSparseCodingEnums::MultiLayerPursuit;
  using MultiLayerSolverType = MultiLayerFISTASolver<TReal>;
  using LayerOperatorType = typename MultiLayerSolverType::LayerOperatorType;
  using LayerList = typename MultiLayerSolverType::LayerList;
  using ProximalOperatorType = ProximalOperator<TReal>;
  using SolverType = SparseCodingSolverBase<TReal>;
  using StatisticsType = SparseCodingIterationStatistics;

  /** D_1 .. D_L on one domain; D_1's channels are the signal's. */
  void
  SetLayers(const LayerList & layers);
  /** lambda_1 .. lambda_L, one per layer, each finite and >= 0. */
  void
  SetLambdas(const std::vector<double> & lambdas);
  itkGetConstReferenceMacro(Lambdas, std::vector<double>);
  /** Default MLFISTA. */
  itkSetEnumMacro(Pursuit, PursuitEnum);
  itkGetConstMacro(Pursuit, PursuitEnum);
  /** The prox of g, the same at every layer (L1 or NonNegativeL1); required. */
  itkSetConstObjectMacro(ProximalOperator, ProximalOperatorType);
  /** Per solve (one per layer in layered BP). Default 200. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);
  /** The solvers' relative-change stop. Default 1e-4. */
  itkSetMacro(RelativeTolerance, double);
  itkGetConstMacro(RelativeTolerance, double);

  /** The signal: D_1's channels of image-sized arrays, one after another (copied). */
  void
  SetSignal(const RealType * channels);

  /** Runs the pursuit. */
  void
  Run();
  /** Ends the current solve after its iteration (from an observer). */
  void
  Stop();
  bool
  GetStopped() const
  {
    return m_Stopped;
  }

  /** Layer j's maps (1-based) after Run(): K_j image-sized maps. */
  const std::vector<RealType> &
  GetLayerMaps(unsigned int layer) const;
  /** The solver running (or last run); nullptr for layered thresholding. */
  const SolverType *
  GetCurrentSolver() const
  {
    return m_CurrentSolver.GetPointer();
  }
  /** Layered BP: the layer being solved (1-based); otherwise 1. */
  unsigned int
  GetStage() const
  {
    return m_Stage;
  }
  /** Fraction of the pursuit done, 0 to 1. */
  double
  GetProgress() const;
  /** Each solve's statistics, in order: per layer for layered BP, one for ML-(F)ISTA, none for
   * layered thresholding. */
  itkGetConstReferenceMacro(SolveStatistics, std::vector<StatisticsType>);

protected:
  MultiLayerConvolutionalPursuit() = default;
  ~MultiLayerConvolutionalPursuit() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  void
  RunLayeredThresholding();
  void
  RunLayeredBasisPursuit();
  void
  RunMultiLayerSolver();
  /** Runs \c solver with this object's observer; returns false when stopped. */
  bool
  RunSolver(SolverType & solver);

  LayerList                                   m_Layers;
  std::vector<double>                         m_Lambdas;
  PursuitEnum                                 m_Pursuit{ PursuitEnum::MLFISTA };
  typename ProximalOperatorType::ConstPointer m_ProximalOperator;
  unsigned int                                m_MaximumNumberOfIterations{ 200 };
  double                                      m_RelativeTolerance{ 1e-4 };

  std::vector<RealType>              m_Signal;
  std::vector<std::vector<RealType>> m_Maps;
  typename SolverType::Pointer       m_CurrentSolver;
  unsigned int                       m_Stage{ 1 };
  bool                               m_Stopped{ false };
  bool                               m_Done{ false };
  std::vector<StatisticsType>        m_SolveStatistics;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMultiLayerConvolutionalPursuit.hxx"
#endif

#endif
