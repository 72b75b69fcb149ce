#ifndef itkMultiLayerFISTASolver_h
#define itkMultiLayerFISTASolver_h

#include "itkConvolutionalLayerOperator.h"
#include "itkSparseCodingSolverBase.h"
#include <vector>

namespace itk
{
/** \class MultiLayerFISTASolver
 * \brief ML-ISTA and ML-FISTA: multi-layer convolutional basis pursuit through a chain of
 * convolutional layers.
 *
 * For layers D_1, ..., D_L (ConvolutionalLayerOperator: D_j maps K_j maps into K_{j-1}
 * channels) and a target s of K_0 channels it approaches
 * \f[ \min_{\gamma_L} \tfrac12 \| w \odot (D_1 \gamma_1 - s) \|_2^2
 *     + \sum_{j=1}^{L} \lambda_j\, g(\gamma_j), \qquad \gamma_{j-1} = D_j \gamma_j, \f]
 * the multi-layer basis pursuit of Sulam, Aberdam, Beck and Elad, "On multi-layer basis
 * pursuit, efficient algorithms and convolutional neural networks", IEEE TPAMI 42(8), 2020,
 * by its ML-ISTA iteration, generalised to L layers: with \f$\hat\gamma_L\f$ the current
 * (ML-FISTA: extrapolated) deepest maps and \f$\hat\gamma_{j-1} = D_j \hat\gamma_j\f$,
 * \f[ v_1 = \mathrm{prox}_{\mu_1 \lambda_1 g}(\hat\gamma_1 - \mu_1 D_1^T W^2 (D_1 \hat\gamma_1 - s)),
 *     \quad v_j = \mathrm{prox}_{\mu_j \lambda_j g}(\hat\gamma_j - \mu_j D_j^T
 *     (\hat\gamma_{j-1} - v_{j-1}) / \mu_{j-1}), \f]
 * and the new deepest maps are v_L; steps \f$\mu_1 = 1 / (\|D_1\|^2 \max w^2)\f$,
 * \f$\mu_j = \mu_{j-1} / \|D_j\|^2\f$ (the paper's t <= mu / ||D_2||^2). ML-FISTA
 * (Accelerated, the default) adds Nesterov momentum on the deepest maps, restarted when the
 * objective rises. With one layer it is ISTA / FISTA on a target of K_0 channels, which is
 * what layered basis pursuit needs below the first layer.
 *
 * The base class's operator is the first layer's channel-0 operator (domain, padding, support,
 * threads); the statistics' Objective is the sum above at gamma_j composed from the deepest
 * maps, and Penalty is \f$\sum_j \lambda_j g(\gamma_j)\f$ (lambdas included).
 * GetCoefficients() gives gamma_1; GetLayerCoefficients() any layer. No strides, no warm start.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT MultiLayerFISTASolver : public SparseCodingSolverBase<TReal>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MultiLayerFISTASolver);

  using Self = MultiLayerFISTASolver;
  using Superclass = SparseCodingSolverBase<TReal>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(MultiLayerFISTASolver, SparseCodingSolverBase);

  using typename Superclass::RealType;
  using typename Superclass::RealBufferType;
  using typename Superclass::ProximalOperatorType;
  using LayerOperatorType = ConvolutionalLayerOperator<TReal>;
  using LayerList = std::vector<typename LayerOperatorType::ConstPointer>;

  /** Throws unless \c layers is a chain: at least one, none null, D_j's channels equal to
   * D_{j-1}'s maps, one domain. */
  static void
  CheckLayers(const LayerList & layers);
  /** D_1, ..., D_L on one domain, D_j's channels equal to D_{j-1}'s maps (CheckLayers()). Sets
   * the base class's operator. */
  void
  SetLayers(const LayerList & layers);
  const LayerList &
  GetLayers() const
  {
    return m_Layers;
  }

  /** lambda_1, ..., lambda_L, each finite and >= 0. Default: the base class's Lambda for every
   * layer. */
  void
  SetLayerLambdas(const std::vector<double> & lambdas);
  itkGetConstReferenceMacro(LayerLambdas, std::vector<double>);

  /** The target s: K_0 image-sized channels one after another (K_0 = D_1's channels). */
  void
  SetTarget(const RealType * channels);

  /** ML-FISTA (true, default) or ML-ISTA. */
  itkSetMacro(Accelerated, bool);
  itkGetConstMacro(Accelerated, bool);
  itkBooleanMacro(Accelerated);

  /** Layer j's maps (1-based), K_j image-sized maps: the deepest maps for j = L, else composed
   * from them (gamma_j = D_{j+1} gamma_{j+1}). */
  void
  GetLayerCoefficients(unsigned int layer, RealType * maps) const;

  const RealType *
  GetDomainCoefficients() const override
  {
    return m_Gamma.front().data();
  }
  /** D_1 gamma_1 on the image: K_0 channels. */
  void
  GetReconstruction(RealType * channels) const override;
  /** Not defined by gamma_1 alone: raises an exception (use EvaluateLayeredObjective()). */
  double
  EvaluateObjective(const RealType * coefficients) const override;
  /** The objective at K_L image-sized deepest maps. */
  double
  EvaluateLayeredObjective(const RealType * deepestMaps) const;

  void
  ReleaseWorkBuffers() override;

protected:
  MultiLayerFISTASolver() = default;
  ~MultiLayerFISTASolver() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  LightObject::Pointer
  InternalClone() const override;

  void
  Initialize() override;
  void
  Iterate() override;
  bool
  Converged() const override;

private:
  unsigned int
  NumberOfLayers() const
  {
    return static_cast<unsigned int>(m_Layers.size());
  }
  /** K_j (j = 0: the target's channels). */
  unsigned int
  Maps(unsigned int j) const;
  /** layers[j - 1] = gamma_j = D_{j+1} gamma_{j+1} for j < L, from layers[L - 1] (domain). */
  void
  ComposeDown(std::vector<RealBufferType> & layers) const;
  /** Fills fidelity, penalty and objective at m_Gamma. */
  void
  EvaluateStatistics();
  /** 1/2 ||w (D_1 gamma_1 - s)||^2; leaves W^2 (D_1 gamma_1 - s) in \c residual (K_0 domain
   * channels) and, if \c gradient, D_1^T of it there. */
  double
  FirstLayerResidual(const RealType * gamma1, RealType * residual, RealType * gradient) const;
  /** v = prox_{step lambda_j g}(hat - step grad) in place in \c grad (layer index i = j - 1);
   * the deepest layer is confined to the support, the composed ones live on the domain. */
  void
  ProximalStep(unsigned int i, const RealType * hat, RealType * grad, double step) const;
  /** g(gamma_j) for layer index i = j - 1. */
  double
  LayerPenalty(unsigned int i, const RealType * maps) const;

  LayerList           m_Layers;
  std::vector<double> m_LayerLambdas;
  bool                m_Accelerated{ true };

  RealBufferType              m_Target; // K_0 channels on the domain
  std::vector<double>         m_Steps;  // mu_1 .. mu_L
  std::vector<RealBufferType> m_Gamma;  // gamma_1 .. gamma_L, gamma_L the iterate
  std::vector<RealBufferType> m_Hat;    // hat gamma_1 .. hat gamma_L (extrapolated)
  std::vector<RealBufferType> m_Work;   // per layer: gradient, then v_j, then (hat - v) / mu
  RealBufferType              m_PreviousDeepest;
  RealBufferType              m_Residual;    // W^2 (D_1 gamma_1 - s) at m_Gamma, K_0 channels
  RealBufferType              m_HatResidual; // the same at the extrapolated point
  NesterovMomentum            m_Momentum;
  double                      m_PreviousObjective{ 0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMultiLayerFISTASolver.hxx"
#endif

#endif
