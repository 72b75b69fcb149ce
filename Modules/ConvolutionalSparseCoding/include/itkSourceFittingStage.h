#ifndef itkSourceFittingStage_h
#define itkSourceFittingStage_h

#include "itkSourceMapDetector.h"
#include "itkSourceModelFitter.h"
#include <algorithm>
#include <vector>

namespace itk
{
/** The coding solution of source localization as the detection and fitting stages take it:
 * the image and weights, its grid and first index, the boundary, the reconstruction, the K
 * coefficient maps and the source map in flux units (for detection), and the coding foreground
 * and background (replaced by the fitted ones). Arrays are image-sized (the coefficients K
 * images one after another), x fastest. */
template <typename TReal, unsigned int VDimension>
struct SourceCodingSolution
{
  const TReal *                            Signal{ nullptr };
  const TReal *                            Weights{ nullptr };
  std::array<SizeValueType, VDimension>    Size{};
  std::array<double, VDimension>           Origin{};
  ConvolutionalSparseCodingEnums::Boundary Boundary{ ConvolutionalSparseCodingEnums::Boundary::ZeroPadded };
  bool                                     CoefficientsBeyondImage{ false };
  const TReal *                            Reconstruction{ nullptr };
  const TReal *                            Coefficients{ nullptr };
  const TReal *                            SourceMap{ nullptr };
  TReal *                                  Foreground{ nullptr };
  TReal *                                  Background{ nullptr };
};

/** The fitting stage of GroupSparseSourceLocalizationFilter: the foreground kernels become the
 * fitter's source kernels and the others its background operator; the candidates (source-map
 * maxima, brightest first) start sources with their group's first kernel (the fitter tries
 * every kernel). Returns every fitted source (positions in the image's index space, flux,
 * group, RMS radius, fitted SNR), brightest first, and writes the fitted foreground and
 * background over the coding ones; returns nothing when the fitter's progress callback stopped
 * it (fitter.GetAborted()).
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
typename SourceMapDetector<TReal, VDimension>::DetectionListType
FitSourcesFromCoding(SourceModelFitter<TReal, VDimension> & fitter, const SourceKernelSet<TReal, VDimension> & kernels,
                     const std::vector<std::vector<unsigned int>> &                           groups,
                     const SourceCodingSolution<TReal, VDimension> &                          solution,
                     const typename SourceMapDetector<TReal, VDimension>::DetectionListType & candidates)
{
  using FitterType = SourceModelFitter<TReal, VDimension>;
  using OperatorType = MultiChannelFourierConvolution<TReal>;
  const unsigned int  K = kernels.GetNumberOfKernels();
  const SizeValueType taps = kernels.Taps;
  // Foreground kernels for the fitter (its kernel j is dictionary kernel sourceKernels[j]);
  // the others form the background operator.
  std::vector<unsigned int> sourceKernels, groupOfKernel(K, 0);
  std::vector<bool>         foreground(K, false);
  for (size_t p = 0; p < groups.size(); ++p)
  {
    for (const unsigned int k : groups[p])
    {
      groupOfKernel[k] = static_cast<unsigned int>(p);
      foreground[k] = true;
    }
  }
  std::vector<TReal> sourceTaps, backgroundTaps;
  unsigned int       backgroundCount = 0;
  for (unsigned int k = 0; k < K; ++k)
  {
    auto & target = foreground[k] ? sourceTaps : backgroundTaps;
    target.insert(target.end(), kernels.Values.begin() + k * taps, kernels.Values.begin() + (k + 1) * taps);
    if (foreground[k])
    {
      sourceKernels.push_back(k);
    }
    else
    {
      ++backgroundCount;
    }
  }
  typename OperatorType::SizeType operatorImageSize(solution.Size.begin(), solution.Size.end());
  typename OperatorType::SizeType operatorKernelSize(kernels.Size.begin(), kernels.Size.end());
  typename OperatorType::Pointer  background;
  if (backgroundCount > 0)
  {
    background = OperatorType::Create(
      operatorImageSize, backgroundTaps.data(), operatorKernelSize, backgroundCount, solution.Boundary);
  }
  SizeValueType pixels = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    pixels *= solution.Size[d];
  }
  fitter.SetImage(solution.Signal, solution.Size);
  fitter.SetWeights(solution.Weights);
  fitter.SetSourceKernels(sourceTaps.data(), kernels.Size, static_cast<unsigned int>(sourceKernels.size()));
  fitter.SetBackgroundOperator(background.GetPointer(), solution.CoefficientsBeyondImage);
  fitter.SetInitialModel(solution.Foreground, solution.Background);

  std::vector<unsigned int> firstFitterKernelOfGroup(groups.size(), 0);
  for (size_t j = sourceKernels.size(); j-- > 0;)
  {
    firstFitterKernelOfGroup[groupOfKernel[sourceKernels[j]]] = static_cast<unsigned int>(j);
  }
  std::vector<typename FitterType::Candidate> starts;
  for (const auto & candidate : candidates)
  {
    typename FitterType::Candidate start;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      start.Position[d] = candidate.Index[d] - solution.Origin[d];
    }
    start.Kernel = firstFitterKernelOfGroup[candidate.Group];
    starts.push_back(start);
  }
  fitter.Fit(starts);
  typename SourceMapDetector<TReal, VDimension>::DetectionListType fitted;
  if (fitter.GetAborted())
  {
    return fitted;
  }
  for (const auto & source : fitter.GetSources())
  {
    typename SourceMapDetector<TReal, VDimension>::Detection detection;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      detection.Index[d] = source.Position[d] + solution.Origin[d];
    }
    detection.Brightness = source.Flux;
    detection.Group = groupOfKernel[sourceKernels[source.Kernel]];
    detection.EffectiveSize = fitter.GetKernelSize(source.Kernel);
    detection.SignalToNoise = source.SignalToNoise;
    fitted.push_back(detection);
  }
  fitter.GetForeground(solution.Foreground);
  std::copy_n(fitter.GetBackground().data(), pixels, solution.Background);
  return fitted;
}
} // namespace itk

#endif
