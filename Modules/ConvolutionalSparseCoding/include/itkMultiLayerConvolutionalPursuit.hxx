#ifndef itkMultiLayerConvolutionalPursuit_hxx
#define itkMultiLayerConvolutionalPursuit_hxx

#include "itkMultiLayerConvolutionalPursuit.h"
#include "itkScopedObserver.h"
#include "itkFISTASparseCodingSolver.h"
#include <cmath>

namespace itk
{
template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::SetLayers(const LayerList & layers)
{
  MultiLayerSolverType::CheckLayers(layers);
  m_Layers = layers;
  m_Signal.clear();
  m_Maps.clear();
  this->Modified();
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::SetLambdas(const std::vector<double> & lambdas)
{
  for (size_t j = 0; j < lambdas.size(); ++j)
  {
    if (!(lambdas[j] >= 0) || !std::isfinite(lambdas[j]))
    {
      itkExceptionMacro("The lambda of layer " << j + 1 << " must be finite and non-negative, got " << lambdas[j]);
    }
  }
  m_Lambdas = lambdas;
  this->Modified();
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::SetSignal(const RealType * channels)
{
  if (m_Layers.empty())
  {
    itkExceptionMacro("SetLayers() must come before SetSignal()");
  }
  if (channels == nullptr)
  {
    itkExceptionMacro("The signal is null");
  }
  const SizeValueType n =
    SizeValueType(m_Layers[0]->GetNumberOfChannels()) * m_Layers[0]->GetChannelOperator(0).GetNumberOfImagePixels();
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (!std::isfinite(channels[i]))
    {
      itkExceptionMacro("The signal contains a non-finite value (NaN or Inf) at " << i);
    }
  }
  m_Signal.assign(channels, channels + n);
  this->Modified();
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::Stop()
{
  m_Stopped = true;
  if (m_CurrentSolver.IsNotNull())
  {
    m_CurrentSolver->StopSolving();
  }
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::Run()
{
  if (m_Layers.empty() || m_Signal.empty())
  {
    itkExceptionMacro("The pursuit needs its layers and its signal (SetLayers(), SetSignal())");
  }
  if (m_Lambdas.size() != m_Layers.size())
  {
    itkExceptionMacro("There are " << m_Lambdas.size() << " lambdas for " << m_Layers.size() << " layers");
  }
  if (m_ProximalOperator.IsNull())
  {
    itkExceptionMacro("The proximal operator is not set");
  }
  if (m_MaximumNumberOfIterations == 0)
  {
    itkExceptionMacro("MaximumNumberOfIterations must be at least 1");
  }
  m_Stopped = false;
  m_Done = false;
  m_Stage = 1;
  m_CurrentSolver = nullptr;
  m_SolveStatistics.clear();
  m_Maps.assign(m_Layers.size(), std::vector<RealType>());
  switch (m_Pursuit)
  {
    case PursuitEnum::LayeredThresholding:
      this->RunLayeredThresholding();
      break;
    case PursuitEnum::LayeredBasisPursuit:
      this->RunLayeredBasisPursuit();
      break;
    default:
      this->RunMultiLayerSolver();
  }
  m_Done = !m_Stopped;
}

template <typename TReal>
bool
MultiLayerConvolutionalPursuit<TReal>::RunSolver(SolverType & solver)
{
  m_CurrentSolver = &solver;
  solver.SetProximalOperator(m_ProximalOperator);
  solver.SetMaximumNumberOfIterations(m_MaximumNumberOfIterations);
  solver.SetRelativeTolerance(m_RelativeTolerance);
  {
    const ScopedObserver observer(
      solver, IterationEvent(), [this](const EventObject &) { this->InvokeEvent(IterationEvent()); });
    if (m_Stopped)
    {
      solver.StopSolving();
    }
    solver.Solve();
  }
  m_SolveStatistics.push_back(solver.GetStatistics());
  return !m_Stopped;
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::RunLayeredThresholding()
{
  const SizeValueType n = m_Layers[0]->GetChannelOperator(0).GetNumberOfImagePixels();
  const RealType *    above = m_Signal.data();
  for (size_t j = 0; j < m_Layers.size(); ++j)
  {
    const LayerOperatorType & layer = *m_Layers[j];
    const unsigned int        K = layer.GetNumberOfMaps();
    m_ProximalOperator->Validate(K);
    std::vector<RealType> & maps = m_Maps[j];
    maps.resize(SizeValueType(K) * n);
    layer.ApplyAdjoint(above, maps.data());
    m_ProximalOperator->Apply(maps.data(), n, K, 0, n, static_cast<RealType>(m_Lambdas[j]));
    above = maps.data();
    m_Stage = static_cast<unsigned int>(j + 1);
    this->InvokeEvent(IterationEvent());
  }
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::RunLayeredBasisPursuit()
{
  const SizeValueType n = m_Layers[0]->GetChannelOperator(0).GetNumberOfImagePixels();
  for (size_t j = 0; j < m_Layers.size() && !m_Stopped; ++j)
  {
    m_Stage = static_cast<unsigned int>(j + 1);
    const LayerOperatorType & layer = *m_Layers[j];
    m_Maps[j].resize(SizeValueType(layer.GetNumberOfMaps()) * n);
    if (j == 0 && layer.GetNumberOfChannels() == 1)
    {
      // A one-channel signal: the plain l1 problem of the FISTA solver.
      auto solver = FISTASparseCodingSolver<TReal>::New();
      solver->SetOperator(&layer.GetChannelOperator(0));
      solver->SetLambda(m_Lambdas[0]);
      solver->SetSignal(m_Signal.data());
      if (this->RunSolver(*solver))
      {
        solver->GetCoefficients(m_Maps[0].data());
      }
      continue;
    }
    auto solver = MultiLayerSolverType::New();
    solver->SetLayers(LayerList{ m_Layers[j] });
    solver->SetLambda(m_Lambdas[j]);
    solver->SetLayerLambdas({ m_Lambdas[j] });
    solver->SetTarget(j == 0 ? m_Signal.data() : m_Maps[j - 1].data());
    if (this->RunSolver(*solver))
    {
      solver->GetLayerCoefficients(1, m_Maps[j].data());
    }
  }
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::RunMultiLayerSolver()
{
  auto solver = MultiLayerSolverType::New();
  solver->SetLayers(m_Layers);
  solver->SetLambda(m_Lambdas[0]);
  solver->SetLayerLambdas(m_Lambdas);
  solver->SetAccelerated(m_Pursuit == PursuitEnum::MLFISTA);
  solver->SetTarget(m_Signal.data());
  const bool          finished = this->RunSolver(*solver);
  const SizeValueType n = m_Layers[0]->GetChannelOperator(0).GetNumberOfImagePixels();
  for (unsigned int j = 1; j <= m_Layers.size() && finished; ++j)
  {
    m_Maps[j - 1].resize(SizeValueType(m_Layers[j - 1]->GetNumberOfMaps()) * n);
    solver->GetLayerCoefficients(j, m_Maps[j - 1].data());
  }
}

template <typename TReal>
auto
MultiLayerConvolutionalPursuit<TReal>::GetLayerMaps(unsigned int layer) const -> const std::vector<RealType> &
{
  if (!m_Done || layer == 0 || layer > m_Maps.size())
  {
    itkExceptionMacro("No maps for layer " << layer << ": layers are 1 to " << m_Layers.size()
                                           << ", after a Run() that was not stopped");
  }
  return m_Maps[layer - 1];
}

template <typename TReal>
double
MultiLayerConvolutionalPursuit<TReal>::GetProgress() const
{
  if (m_Done)
  {
    return 1.0;
  }
  const double stages = m_Pursuit == PursuitEnum::LayeredBasisPursuit || m_Pursuit == PursuitEnum::LayeredThresholding
                          ? double(std::max<size_t>(1, m_Layers.size()))
                          : 1.0;
  double       within = 0;
  if (m_Pursuit == PursuitEnum::LayeredThresholding)
  {
    within = 1.0;
  }
  else if (m_CurrentSolver.IsNotNull())
  {
    within = std::min(1.0, double(m_CurrentSolver->GetIteration()) / std::max(1u, m_CurrentSolver->IterationLimit()));
  }
  const double stage = m_Pursuit == PursuitEnum::LayeredBasisPursuit || m_Pursuit == PursuitEnum::LayeredThresholding
                         ? double(m_Stage - 1)
                         : 0.0;
  return std::min(1.0, (stage + within) / stages);
}

template <typename TReal>
void
MultiLayerConvolutionalPursuit<TReal>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Layers: " << m_Layers.size() << std::endl;
  os << indent << "Lambdas:";
  for (double lambda : m_Lambdas)
  {
    os << " " << lambda;
  }
  os << std::endl;
  os << indent << "Pursuit: " << m_Pursuit << std::endl;
  os << indent << "MaximumNumberOfIterations: " << m_MaximumNumberOfIterations << std::endl;
  os << indent << "RelativeTolerance: " << m_RelativeTolerance << std::endl;
}
} // namespace itk

#endif
