#ifndef itkSourceDetector_hxx
#define itkSourceDetector_hxx

#include "itkSourceDetector.h"
#include "itkRobustStandardDeviation.h"
#include <algorithm>
#include <cmath>

namespace itk
{
template <typename TReal, unsigned int VDimension>
void
SourceDetector<TReal, VDimension>::Validate(const SizeArrayType & imageSize) const
{
  if (!std::isfinite(m_DetectionThreshold))
  {
    itkExceptionMacro("DetectionThreshold must be finite, got " << m_DetectionThreshold);
  }
  if (!(m_MergeRadiusFactor >= 0) || !std::isfinite(m_MergeRadiusFactor))
  {
    itkExceptionMacro("MergeRadiusFactor must be finite and non-negative, got " << m_MergeRadiusFactor);
  }
  if (!std::isfinite(m_CandidateThreshold))
  {
    itkExceptionMacro("CandidateThreshold must be finite, got " << m_CandidateThreshold);
  }
  if (m_SourceFitting && m_ThresholdMode == ThresholdEnum::SignalToNoise && !(m_DetectionThreshold > 0))
  {
    itkExceptionMacro("With SourceFitting the DetectionThreshold (a signal-to-noise ratio) must be positive, got "
                      << m_DetectionThreshold);
  }
  if (!(m_MinimumContrast >= 0 && m_MinimumContrast < 1))
  {
    itkExceptionMacro("MinimumContrast must lie in [0, 1), got " << m_MinimumContrast);
  }
  if (!(m_ContrastRadiusFactor > 0) || !std::isfinite(m_ContrastRadiusFactor))
  {
    itkExceptionMacro("ContrastRadiusFactor must be finite and positive, got " << m_ContrastRadiusFactor);
  }
  // A neighbourhood wider than the image only costs memory (the neighbour grid's cells).
  const SizeValueType largest = *std::max_element(imageSize.begin(), imageSize.end());
  if (m_NeighborhoodRadius > largest)
  {
    itkExceptionMacro("NeighborhoodRadius (" << m_NeighborhoodRadius << ") exceeds the image's largest side ("
                                             << largest << ")");
  }
}

template <typename TReal, unsigned int VDimension>
auto
SourceDetector<TReal, VDimension>::MapSettings() const -> typename MapDetectorType::Settings
{
  typename MapDetectorType::Settings settings;
  settings.NeighborhoodRadius = m_NeighborhoodRadius;
  settings.ContrastRadiusFactor = m_ContrastRadiusFactor;
  if (m_SourceFitting)
  {
    // Candidates for the fitter: every maximum above a low coefficient SNR, not merged.
    settings.Threshold = m_CandidateThreshold;
    settings.MergeRadiusFactor = 0;
    settings.DebiasBrightness = false;
  }
  else
  {
    settings.Threshold = m_DetectionThreshold;
    settings.Mode = m_ThresholdMode;
    settings.MergeRadiusFactor = m_MergeRadiusFactor;
    settings.MinimumContrast = m_MinimumContrast;
    settings.DebiasBrightness = m_DebiasBrightness;
  }
  return settings;
}

template <typename TReal, unsigned int VDimension>
auto
SourceDetector<TReal, VDimension>::Detect(const KernelSetType & kernels, const GroupListType & groups,
                                          const SolutionType & solution, std::function<bool(double)> progress)
  -> DetectionListType
{
  m_Aborted = false;
  SizeValueType n = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    n *= solution.Size[d];
  }
  // The residual (to which debiasing adds each source's own model in turn), and its robust
  // noise level over the pixels the data term counts.
  std::vector<TReal>  residual(n);
  std::vector<double> counted;
  counted.reserve(n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    residual[i] = solution.Signal[i] - solution.Reconstruction[i];
    if (solution.Weights == nullptr || solution.Weights[i] > 0)
    {
      counted.push_back(double(solution.Signal[i]) - solution.Reconstruction[i]);
    }
  }
  m_NoiseSigma = RobustStandardDeviation(counted);
  const MapDetectorType detector(
    kernels, groups, solution.Coefficients, solution.SourceMap, solution.Size, solution.Origin, m_NoiseSigma);
  DetectionListType detections = detector.Detect(this->MapSettings(), residual.data());
  if (!m_SourceFitting)
  {
    return detections;
  }
  m_SourceFitter->SetProgressCallback(std::move(progress));
  const DetectionListType fitted = FitSourcesFromCoding(*m_SourceFitter, kernels, groups, solution, detections);
  m_SourceFitter->SetProgressCallback(nullptr);
  m_Aborted = m_SourceFitter->GetAborted();
  // Reported from the detection threshold on the fitted statistic; brightest first as fitted.
  DetectionListType kept;
  for (const auto & source : fitted)
  {
    const double statistic = m_ThresholdMode == ThresholdEnum::Absolute ? source.Brightness : source.SignalToNoise;
    if (statistic >= m_DetectionThreshold)
    {
      kept.push_back(source);
    }
  }
  return kept;
}

template <typename TReal, unsigned int VDimension>
void
SourceDetector<TReal, VDimension>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "DetectionThreshold: " << m_DetectionThreshold << std::endl;
  os << indent << "ThresholdMode: " << m_ThresholdMode << std::endl;
  os << indent << "NeighborhoodRadius: " << m_NeighborhoodRadius << std::endl;
  os << indent << "MergeRadiusFactor: " << m_MergeRadiusFactor << std::endl;
  os << indent << "MinimumContrast: " << m_MinimumContrast << std::endl;
  os << indent << "ContrastRadiusFactor: " << m_ContrastRadiusFactor << std::endl;
  os << indent << "DebiasBrightness: " << m_DebiasBrightness << std::endl;
  os << indent << "SourceFitting: " << m_SourceFitting << std::endl;
  os << indent << "CandidateThreshold: " << m_CandidateThreshold << std::endl;
  os << indent << "SourceFitter: " << m_SourceFitter.GetPointer() << std::endl;
  os << indent << "NoiseSigma: " << m_NoiseSigma << std::endl;
}
} // namespace itk

#endif
