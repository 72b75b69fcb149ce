#ifndef itkGroupSparseSourceLocalizationFilter_hxx
#define itkGroupSparseSourceLocalizationFilter_hxx

#include "itkGroupSparseSourceLocalizationFilter.h"
#include "itkKernelGeometry.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>

namespace itk
{
template <typename TInputImage, typename TRealType>
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GroupSparseSourceLocalizationFilter()
{
  this->SetNumberOfRequiredOutputs(6);
  for (DataObjectPointerArraySizeType index = 2; index < 6; ++index)
  {
    this->SetNthOutput(index, this->MakeOutput(index));
  }
  this->SetBoundaryCondition(ConvolutionalSparseCodingEnums::Boundary::ZeroPadded);
  this->SetCoefficientsBeyondBorder(true);
  this->SetMaximumNumberOfIterations(300);
  m_SourceFitter = SourceFitterType::New();
}

template <typename TInputImage, typename TRealType>
DataObject::Pointer
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::MakeOutput(DataObjectPointerArraySizeType index)
{
  if (index == 3)
  {
    return CoefficientImageType::New().GetPointer();
  }
  if (index == 2 || index == 4 || index == 5)
  {
    return RealImageType::New().GetPointer();
  }
  return Superclass::MakeOutput(index);
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::EffectiveGroups(unsigned int numberOfKernels) const
  -> GroupListType
{
  if (!m_Groups.empty())
  {
    return m_Groups;
  }
  GroupListType groups(numberOfKernels);
  for (unsigned int k = 0; k < numberOfKernels; ++k)
  {
    groups[k] = { k };
  }
  return groups;
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::CreateProximalOperator() const ->
  typename ProximalOperatorType::Pointer
{
  auto         prox = NonNegativeGroupL2ProximalOperator<RealType>::New();
  const auto * dictionary = this->GetDictionary();
  prox->SetGroups(this->EffectiveGroups(
    static_cast<unsigned int>(dictionary->GetLargestPossibleRegion().GetSize()[ImageDimension])));
  return prox.GetPointer();
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
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
  for (size_t p = 0; p < m_Groups.size(); ++p)
  {
    if (m_Groups[p].empty())
    {
      itkExceptionMacro("Group " << p << " is empty: every group needs at least one kernel");
    }
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateOutputInformation()
{
  Superclass::GenerateOutputInformation();
  const InputImageType * input = this->GetInput();
  for (RealImageType * image : { this->GetSourceMap(), this->GetForeground(), this->GetBackground() })
  {
    image->CopyInformation(input);
    image->SetLargestPossibleRegion(input->GetLargestPossibleRegion());
  }
  const SizeValueType K = this->GetDictionary()->GetLargestPossibleRegion().GetSize()[ImageDimension];
  const CoefficientImageType * coefficients = this->GetOutput(0);
  CoefficientImageType *       groupMaps = this->GetGroupMaps();
  groupMaps->CopyInformation(coefficients);
  auto region = coefficients->GetLargestPossibleRegion();
  region.SetSize(ImageDimension, this->EffectiveGroups(static_cast<unsigned int>(K)).size());
  groupMaps->SetLargestPossibleRegion(region);
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::PrepareKernels(std::vector<RealType> & kernels,
                                                                             SizeValueType           taps,
                                                                             unsigned int numberOfKernels) const
{
  // Group errors name the groups, before any work is done.
  auto prox = NonNegativeGroupL2ProximalOperator<RealType>::New();
  prox->SetGroups(this->EffectiveGroups(numberOfKernels));
  prox->Validate(numberOfKernels);

  const auto kernelSize = this->GetDictionary()->GetLargestPossibleRegion().GetSize();
  m_KernelL2Norms.assign(numberOfKernels, 0.0);
  m_KernelSizes.assign(numberOfKernels, 0.0);
  m_KernelFluxFactors.assign(numberOfKernels, 1.0);
  m_KernelOffsets.assign(numberOfKernels, std::array<double, ImageDimension>{});
  for (unsigned int k = 0; k < numberOfKernels; ++k)
  {
    RealType * h = kernels.data() + k * taps;
    double     l1 = 0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      l1 += std::abs(h[t]);
    }
    double l2Given = 0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      l2Given += double(h[t]) * h[t];
    }
    const double scale = m_KernelNormalization == NormalizationEnum::L1   ? 1.0 / l1
                         : m_KernelNormalization == NormalizationEnum::L2 ? 1.0 / std::sqrt(l2Given)
                                                                          : 1.0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      h[t] = static_cast<RealType>(h[t] * scale);
    }
    l1 *= scale;
    double l2 = 0;
    for (SizeValueType t = 0; t < taps; ++t)
    {
      l2 += double(h[t]) * h[t];
    }
    // The centroid offset from the centre tap (a sub-pixel shifted copy's shift) and the size.
    const auto shape = ComputeKernelShape<ImageDimension>(h, kernelSize);
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      m_KernelOffsets[k][d] = shape.Centroid[d] - static_cast<double>(kernelSize[d] / 2);
    }
    m_KernelL2Norms[k] = std::sqrt(l2) / l1;
    m_KernelFluxFactors[k] = l1;
    m_KernelSizes[k] = shape.RMSRadius;
  }
  m_Kernels = kernels;
  m_KernelTaps = taps;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    m_KernelSize[d] = kernelSize[d];
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GenerateAdditionalOutputs(
  const MultiChannelFourierConvolution<RealType> & op,
  const std::vector<RealType> &                    signal)
{
  const unsigned int  K = op.GetNumberOfKernels();
  const SizeValueType n = signal.size();
  const GroupListType groups = this->EffectiveGroups(K);
  std::vector<bool>   foreground(K, false);
  for (const auto & group : groups)
  {
    for (const unsigned int k : group)
    {
      foreground[k] = true;
    }
  }
  const RealType * x = this->GetOutput(0)->GetBufferPointer();

  auto allocate = [](auto * image) {
    image->SetBufferedRegion(image->GetLargestPossibleRegion());
    image->Allocate();
    return image->GetBufferPointer();
  };
  RealType * sourceMap = allocate(this->GetSourceMap());
  RealType * groupMaps = allocate(this->GetGroupMaps());
  std::fill_n(sourceMap, n, RealType(0));
  std::fill_n(groupMaps, n * groups.size(), RealType(0));
  for (size_t p = 0; p < groups.size(); ++p)
  {
    for (const unsigned int k : groups[p])
    {
      const RealType flux = static_cast<RealType>(m_KernelFluxFactors[k]);
      for (SizeValueType i = 0; i < n; ++i)
      {
        groupMaps[p * n + i] += flux * x[k * n + i];
        sourceMap[i] += flux * x[k * n + i];
      }
    }
  }

  // Foreground by one forward transform of the foreground maps; background by linearity.
  RealType *       fg = allocate(this->GetForeground());
  RealType *       bg = allocate(this->GetBackground());
  const RealType * reconstruction = this->GetReconstruction()->GetBufferPointer();
  {
    std::vector<RealType> masked(x, x + K * n);
    for (unsigned int k = 0; k < K; ++k)
    {
      if (!foreground[k])
      {
        std::fill_n(masked.begin() + k * n, n, RealType(0));
      }
    }
    op.ApplyForward(masked.data(), fg);
  }
  for (SizeValueType i = 0; i < n; ++i)
  {
    bg[i] = reconstruction[i] - fg[i];
  }

  // Robust noise level of the residual over the pixels the data term counts.
  std::vector<double> residual;
  residual.reserve(n);
  const RealImageType * weights = this->GetWeights();
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (weights == nullptr || weights->GetBufferPointer()[i] > 0)
    {
      residual.push_back(double(signal[i]) - reconstruction[i]);
    }
  }
  m_NoiseSigma = RobustStandardDeviation(residual);
  // The residual, to which DebiasedBrightness adds each source's own model in turn.
  std::vector<RealType> residualData(n);
  for (SizeValueType i = 0; i < n; ++i)
  {
    residualData[i] = signal[i] - reconstruction[i];
  }
  if (!m_SourceFitting)
  {
    this->DetectSources(groups, residualData.data(),
                        { m_DetectionThreshold, m_ThresholdMode, m_MergeRadiusFactor, m_MinimumContrast,
                          m_DebiasBrightness });
    return;
  }
  this->DetectSources(groups, residualData.data(),
                      { m_CandidateThreshold, ThresholdEnum::SignalToNoise, 0.0, 0.0, false });
  this->FitSources(groups, signal);
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::FitSources(const GroupListType &         groups,
                                                                        const std::vector<RealType> & signal)
{
  const InputImageType * input = this->GetInput();
  const auto             region = input->GetLargestPossibleRegion();
  const SizeValueType    n = region.GetNumberOfPixels();
  const unsigned int     K = static_cast<unsigned int>(m_KernelFluxFactors.size());

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
  std::vector<RealType> sourceTaps, backgroundTaps;
  unsigned int          backgroundCount = 0;
  for (unsigned int k = 0; k < K; ++k)
  {
    auto & target = foreground[k] ? sourceTaps : backgroundTaps;
    target.insert(target.end(), m_Kernels.begin() + k * m_KernelTaps, m_Kernels.begin() + (k + 1) * m_KernelTaps);
    if (foreground[k])
    {
      sourceKernels.push_back(k);
    }
    else
    {
      ++backgroundCount;
    }
  }
  typename SourceFitterType::SizeArrayType imageSize, kernelSize;
  typename MultiChannelFourierConvolution<RealType>::SizeType operatorImageSize(ImageDimension),
    operatorKernelSize(ImageDimension);
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    imageSize[d] = region.GetSize(d);
    kernelSize[d] = m_KernelSize[d];
    operatorImageSize[d] = imageSize[d];
    operatorKernelSize[d] = kernelSize[d];
  }
  typename MultiChannelFourierConvolution<RealType>::Pointer background;
  if (backgroundCount > 0)
  {
    background = MultiChannelFourierConvolution<RealType>::New();
    background->SetImageSize(operatorImageSize);
    background->SetDictionary(backgroundTaps.data(), operatorKernelSize, backgroundCount);
    background->SetBoundary(this->GetBoundaryCondition());
    background->Initialize();
  }

  SourceFitterType & fitter = *m_SourceFitter;
  fitter.SetImage(signal.data(), imageSize);
  fitter.SetWeights(this->GetWeights() ? this->GetWeights()->GetBufferPointer() : nullptr);
  fitter.SetSourceKernels(sourceTaps.data(), kernelSize, static_cast<unsigned int>(sourceKernels.size()));
  fitter.SetBackgroundOperator(background.GetPointer(), this->GetCoefficientsBeyondBorder());
  fitter.SetInitialModel(this->GetForeground()->GetBufferPointer(), this->GetBackground()->GetBufferPointer());
  const double share = this->GetSolverProgressShare();
  fitter.SetProgressCallback([this, share](double fraction) {
    this->UpdateProgress(static_cast<float>(share + (1 - share) * fraction));
    return !this->GetAbortGenerateData();
  });

  // Candidates brightest first (m_Sources is sorted so); the fitter tries every kernel.
  std::vector<unsigned int> firstFitterKernelOfGroup(groups.size(), 0);
  for (size_t j = sourceKernels.size(); j-- > 0;)
  {
    firstFitterKernelOfGroup[groupOfKernel[sourceKernels[j]]] = static_cast<unsigned int>(j);
  }
  std::vector<typename SourceFitterType::Candidate> candidates;
  for (const Source & source : m_Sources)
  {
    typename SourceFitterType::Candidate candidate;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      candidate.Position[d] = source.Index[d] - static_cast<double>(region.GetIndex(d));
    }
    candidate.Kernel = firstFitterKernelOfGroup[source.Group];
    candidates.push_back(candidate);
  }
  fitter.Fit(candidates);
  fitter.SetProgressCallback(nullptr);
  if (fitter.GetAborted())
  {
    ProcessAborted exception(__FILE__, __LINE__);
    exception.SetDescription("GroupSparseSourceLocalizationFilter aborted by the user");
    throw exception;
  }

  m_Sources.clear();
  for (const auto & fitted : fitter.GetSources())
  {
    Source source;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      source.Index[d] = fitted.Position[d] + static_cast<double>(region.GetIndex(d));
    }
    source.Brightness = fitted.Flux;
    source.Group = groupOfKernel[sourceKernels[fitted.Kernel]];
    source.EffectiveSize = fitter.GetKernelSize(fitted.Kernel);
    source.SignalToNoise = fitted.SignalToNoise;
    const double statistic = m_ThresholdMode == ThresholdEnum::Absolute ? source.Brightness : source.SignalToNoise;
    if (statistic >= m_DetectionThreshold)
    {
      input->TransformContinuousIndexToPhysicalPoint(source.Index, source.Point);
      m_Sources.push_back(source);
    }
  }
  fitter.GetForeground(this->GetForeground()->GetBufferPointer());
  std::copy_n(fitter.GetBackground().data(), n, this->GetBackground()->GetBufferPointer());
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::DetectSources(const GroupListType &       groups,
                                                                           RealType *                  residualData,
                                                                           const DetectionSettings &   settings)
{
  m_Sources.clear();
  const InputImageType * input = this->GetInput();
  const auto             region = input->GetLargestPossibleRegion();
  const SizeValueType    n = region.GetNumberOfPixels();
  const RealType *       y = this->GetSourceMap()->GetBufferPointer();
  const RealType *       x = this->GetOutput(0)->GetBufferPointer();
  const int              r = static_cast<int>(m_NeighborhoodRadius);

  std::array<SizeValueType, ImageDimension> size{}, stride{};
  SizeValueType                             s = 1;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    size[d] = region.GetSize(d);
    stride[d] = s;
    s *= size[d];
  }
  // Offsets of the box, as per-axis deltas.
  std::vector<std::array<int, ImageDimension>> box;
  {
    std::array<int, ImageDimension> delta;
    delta.fill(-r);
    while (true)
    {
      box.push_back(delta);
      unsigned int d = 0;
      while (d < ImageDimension && ++delta[d] > r)
      {
        delta[d] = -r;
        ++d;
      }
      if (d == ImageDimension)
      {
        break;
      }
    }
  }

  std::array<SizeValueType, ImageDimension> index{};
  std::vector<SizeValueType>                neighbours;
  for (SizeValueType i = 0; i < n; ++i)
  {
    const RealType value = y[i];
    if (!(value > 0))
    {
      continue;
    }
    SizeValueType rest = i;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      index[d] = rest % size[d];
      rest /= size[d];
    }
    neighbours.clear();
    bool isMaximum = true;
    for (const auto & delta : box)
    {
      SizeValueType q = 0;
      bool          inside = true;
      for (unsigned int d = 0; d < ImageDimension; ++d)
      {
        const long coordinate = static_cast<long>(index[d]) + delta[d];
        if (coordinate < 0 || coordinate >= static_cast<long>(size[d]))
        {
          inside = false;
          break;
        }
        q += static_cast<SizeValueType>(coordinate) * stride[d];
      }
      if (!inside)
      {
        continue;
      }
      // Plateaus: the first pixel in raster order wins.
      if (y[q] > value || (y[q] == value && q < i))
      {
        isMaximum = false;
        break;
      }
      neighbours.push_back(q);
    }
    if (!isMaximum)
    {
      continue;
    }

    // The centroid of the light the box's coefficients put into the image: each coefficient at
    // its pixel plus its kernel's centroid offset (zero for a centred kernel, the shift for a
    // sub-pixel shifted copy).
    Source                             source;
    double                             brightness = 0;
    std::array<double, ImageDimension> centroid{};
    for (const SizeValueType q : neighbours)
    {
      brightness += y[q];
      std::array<double, ImageDimension> pixel;
      SizeValueType                      rest = q;
      for (unsigned int d = 0; d < ImageDimension; ++d)
      {
        pixel[d] = static_cast<double>(rest % size[d]);
        rest /= size[d];
      }
      for (const auto & group : groups)
      {
        for (const unsigned int k : group)
        {
          const double weight = m_KernelFluxFactors[k] * x[k * n + q];
          for (unsigned int d = 0; d < ImageDimension; ++d)
          {
            centroid[d] += weight * (pixel[d] + m_KernelOffsets[k][d]);
          }
        }
      }
    }
    double bestSum = -1;
    for (size_t p = 0; p < groups.size(); ++p)
    {
      double sum = 0;
      for (const unsigned int k : groups[p])
      {
        for (const SizeValueType q : neighbours)
        {
          sum += m_KernelFluxFactors[k] * x[k * n + q];
        }
      }
      if (sum > bestSum)
      {
        bestSum = sum;
        source.Group = static_cast<unsigned int>(p);
      }
    }
    double effectiveSize = 0, l2 = 0;
    for (const unsigned int k : groups[source.Group])
    {
      double share = 0;
      for (const SizeValueType q : neighbours)
      {
        share += m_KernelFluxFactors[k] * x[k * n + q];
      }
      const double alpha = bestSum > 0 ? share / bestSum : 0.0;
      effectiveSize += alpha * m_KernelSizes[k];
      l2 += alpha * m_KernelL2Norms[k];
    }
    source.Brightness = brightness;
    source.EffectiveSize = effectiveSize;
    source.SignalToNoise = m_NoiseSigma > 0 ? brightness * l2 / m_NoiseSigma : 0.0;
    std::array<double, ImageDimension> position;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      position[d] = centroid[d] / brightness;
    }
    if (settings.DebiasBrightness)
    {
      source.Brightness = this->DebiasedBrightness(groups[source.Group], neighbours, position, size, residualData);
    }
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      source.Index[d] = region.GetIndex(d) + position[d];
    }
    m_Sources.push_back(source);
  }
  std::stable_sort(m_Sources.begin(), m_Sources.end(),
                   [](const Source & a, const Source & b) { return a.Brightness > b.Brightness; });

  // A large source's coefficients may form several maxima: a maximum closer to a brighter one
  // than MergeRadiusFactor times their larger size joins it (fluxes add, positions average).
  // Accepted sources are binned on a grid of cells as wide as the largest reach, so each
  // candidate looks at the 3^N cells around it only.
  SourceListType merged;
  {
    SourceGrid grid(m_Sources, settings.MergeRadiusFactor);
    for (const Source & candidate : m_Sources)
    {
      // The brightest accepted source in reach (the lowest index) takes the candidate.
      size_t hostIndex = merged.size();
      grid.ForEachInReach(candidate, merged, settings.MergeRadiusFactor,
                          [&hostIndex](size_t index) { hostIndex = std::min(hostIndex, index); });
      if (hostIndex == merged.size())
      {
        grid.Add(candidate, merged.size());
        merged.push_back(candidate);
        continue;
      }
      Source * host = &merged[hostIndex];
      // Positions average with the coefficient evidence (the SNR); a debiased brightness already
      // fits the host's kernel to the light around it, so only coefficient sums add up.
      const double weight = host->SignalToNoise + candidate.SignalToNoise;
      if (weight > 0)
      {
        for (unsigned int d = 0; d < ImageDimension; ++d)
        {
          host->Index[d] =
            (host->Index[d] * host->SignalToNoise + candidate.Index[d] * candidate.SignalToNoise) / weight;
        }
      }
      if (!settings.DebiasBrightness)
      {
        host->Brightness += candidate.Brightness;
      }
      host->SignalToNoise = weight;
    }
  }
  m_Sources.clear();
  for (Source & source : merged)
  {
    const double statistic = settings.Mode == ThresholdEnum::Absolute ? source.Brightness : source.SignalToNoise;
    if (statistic >= settings.Threshold)
    {
      input->TransformContinuousIndexToPhysicalPoint(source.Index, source.Point);
      m_Sources.push_back(source);
    }
  }
  std::stable_sort(m_Sources.begin(), m_Sources.end(),
                   [](const Source & a, const Source & b) { return a.Brightness > b.Brightness; });
  if (settings.MinimumContrast > 0)
  {
    // Brightest first: a source is compared with every brighter source in reach.
    SourceGrid     grid(m_Sources, m_ContrastRadiusFactor);
    SourceListType kept;
    for (size_t i = 0; i < m_Sources.size(); ++i)
    {
      const Source & source = m_Sources[i];
      bool           artefact = false;
      grid.ForEachInReach(source, m_Sources, m_ContrastRadiusFactor, [&](size_t index) {
        artefact = artefact || source.Brightness < settings.MinimumContrast * m_Sources[index].Brightness;
      });
      grid.Add(source, i);
      if (!artefact)
      {
        kept.push_back(source);
      }
    }
    m_Sources.swap(kept);
  }
}

template <typename TInputImage, typename TRealType>
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::SourceGrid::SourceGrid(const SourceListType & sources,
                                                                                    double radiusFactor)
{
  double largestSize = 0;
  for (const Source & source : sources)
  {
    largestSize = std::max(largestSize, source.EffectiveSize);
  }
  m_Cell = std::max(1.0, radiusFactor * largestSize);
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::SourceGrid::BinOf(const Source & source) const -> Bin
{
  Bin bin;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    bin[d] = static_cast<long>(std::floor(source.Index[d] / m_Cell));
  }
  return bin;
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::SourceGrid::Add(const Source & source, size_t index)
{
  m_Bins[this->BinOf(source)].push_back(index);
}

template <typename TInputImage, typename TRealType>
template <typename TVisit>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::SourceGrid::ForEachInReach(const Source & source,
                                                                                        const SourceListType & added,
                                                                                        double radiusFactor,
                                                                                        TVisit && visit) const
{
  // Cells are as wide as the largest reach, so the 3^N cells around the source hold them all.
  const Bin home = this->BinOf(source);
  for (unsigned int neighbour = 0; neighbour < std::pow(3, ImageDimension); ++neighbour)
  {
    Bin          bin = home;
    unsigned int rest = neighbour;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      bin[d] += static_cast<long>(rest % 3) - 1;
      rest /= 3;
    }
    const auto found = m_Bins.find(bin);
    if (found == m_Bins.end())
    {
      continue;
    }
    for (const size_t index : found->second)
    {
      const Source & other = added[index];
      const double   reach = radiusFactor * std::max(other.EffectiveSize, source.EffectiveSize);
      double         distance2 = 0;
      for (unsigned int d = 0; d < ImageDimension; ++d)
      {
        distance2 += (other.Index[d] - source.Index[d]) * (other.Index[d] - source.Index[d]);
      }
      if (distance2 <= reach * reach)
      {
        visit(index);
      }
    }
  }
}

template <typename TInputImage, typename TRealType>
template <typename TVisit>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::ForEachKernelTap(
  unsigned int                                      kernel,
  const std::array<long, ImageDimension> &          p,
  const std::array<SizeValueType, ImageDimension> & size,
  TVisit &&                                         visit) const
{
  const RealType * h = m_Kernels.data() + kernel * m_KernelTaps;
  ForEachKernelTapInImage<ImageDimension>(p, m_KernelSize, size,
                                          [&](SizeValueType offset, SizeValueType t) { visit(offset, h[t]); });
}

template <typename TInputImage, typename TRealType>
double
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::DebiasedBrightness(
  const GroupType &                                 group,
  const std::vector<SizeValueType> &                neighbours,
  const std::array<double, ImageDimension> &        position,
  const std::array<SizeValueType, ImageDimension> & size,
  RealType *                                        residual)
{
  const RealType * x = this->GetOutput(0)->GetBufferPointer();
  const SizeValueType n = this->GetInput()->GetLargestPossibleRegion().GetNumberOfPixels();
  auto pixelOf = [&size](SizeValueType q) {
    std::array<long, ImageDimension> p;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      p[d] = static_cast<long>(q % size[d]);
      q /= size[d];
    }
    return p;
  };
  // The group's kernel with the largest flux in the box stands for the source.
  unsigned int dominant = group.front();
  double       largest = -1;
  for (const unsigned int k : group)
  {
    double share = 0;
    for (const SizeValueType q : neighbours)
    {
      share += m_KernelFluxFactors[k] * x[k * n + q];
    }
    if (share > largest)
    {
      largest = share;
      dominant = k;
    }
  }
  // Add the source's own model to the residual (removed again below), so that its neighbours'
  // light stays out of the fit.
  auto addOwnModel = [&](RealType sign) {
    for (const unsigned int k : group)
    {
      for (const SizeValueType q : neighbours)
      {
        const RealType coefficient = sign * x[k * n + q];
        if (coefficient != 0)
        {
          this->ForEachKernelTap(k, pixelOf(q), size,
                                 [&](SizeValueType offset, RealType tap) { residual[offset] += coefficient * tap; });
        }
      }
    }
  };
  auto response = [&](const std::array<long, ImageDimension> & p) {
    double sum = 0;
    this->ForEachKernelTap(dominant, p, size,
                           [&](SizeValueType offset, RealType tap) { sum += double(tap) * residual[offset]; });
    return sum;
  };
  addOwnModel(RealType(1));
  // Least squares at the peak of the parabola through the responses around the nearest pixel.
  std::array<long, ImageDimension> p;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    p[d] = std::lround(position[d]);
  }
  const double centre = response(p);
  double       peak = centre;
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    auto before = p, after = p;
    --before[d];
    ++after[d];
    const double a = response(before), b = response(after);
    const double curvature = a - 2 * centre + b;
    if (curvature < 0)
    {
      peak -= (a - b) * (a - b) / (8 * curvature);
    }
  }
  addOwnModel(RealType(-1));
  const double l2 = m_KernelL2Norms[dominant], flux = m_KernelFluxFactors[dominant];
  return std::max(0.0, peak / (l2 * l2 * flux));
}

template <typename TInputImage, typename TRealType>
auto
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::GetSourcePointSet() const ->
  typename SourcePointSetType::Pointer
{
  auto pointSet = SourcePointSetType::New();
  for (size_t i = 0; i < m_Sources.size(); ++i)
  {
    const Source &                              source = m_Sources[i];
    typename SourcePointSetType::PointType     point;
    typename SourcePointSetType::PixelType     data;
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      point[d] = source.Point[d];
    }
    data[0] = source.Brightness;
    data[1] = source.Group;
    data[2] = source.EffectiveSize;
    data[3] = source.SignalToNoise;
    pointSet->SetPoint(i, point);
    pointSet->SetPointData(i, data);
  }
  return pointSet;
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::WriteSourcesCSV(std::ostream &         os,
                                                                              const SourceListType & sources)
{
  const char * axes[] = { "x", "y", "z", "t" };
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    os << (d < 4 ? axes[d] : "axis") << (d >= 4 ? std::to_string(d) : std::string()) << ",";
  }
  for (unsigned int d = 0; d < ImageDimension; ++d)
  {
    os << "physical_" << (d < 4 ? axes[d] : "axis") << ",";
  }
  os << "amplitude,group,size,snr\n";
  os << std::setprecision(10);
  for (const Source & source : sources)
  {
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      os << source.Index[d] << ",";
    }
    for (unsigned int d = 0; d < ImageDimension; ++d)
    {
      os << source.Point[d] << ",";
    }
    os << source.Brightness << "," << source.Group << "," << source.EffectiveSize << "," << source.SignalToNoise
       << "\n";
  }
}

template <typename TInputImage, typename TRealType>
void
GroupSparseSourceLocalizationFilter<TInputImage, TRealType>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Groups: " << m_Groups.size() << (m_Groups.empty() ? " (one per kernel)" : "") << std::endl;
  os << indent << "KernelNormalization: " << m_KernelNormalization << std::endl;
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
  os << indent << "Sources: " << m_Sources.size() << std::endl;
  os << indent << "NoiseSigma: " << m_NoiseSigma << std::endl;
}
} // namespace itk

#endif
