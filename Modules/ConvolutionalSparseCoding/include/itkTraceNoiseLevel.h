#ifndef itkTraceNoiseLevel_h
#define itkTraceNoiseLevel_h

#include "itkFFTWGlobalConfiguration.h"
#include "itkMacro.h"
#include "itkMultiThreaderBase.h"
#include <fftw3.h>
#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>
#include <vector>

namespace itk
{
/** The white-noise level sigma of every trace of a set, from the upper part of its spectrum:
 * sigma^2 = median_k |Y_k|^2 / T / ln 2 over the frequencies from lowestFrequency (in cycles
 * per frame, default 0.25) to 0.5. A calcium signal (spikes through a slow response) has little
 * power there, and the median (of exponentially distributed periodogram values: sigma^2 ln 2)
 * ignores the few frequencies where it has some -- the noise estimate of CaImAn and OASIS
 * (Pnevmatikakis et al., Neuron 89, 2016), with the median for their log-mean-exp.
 * Value t of trace p is valueAt(p, t), t < length; valueAt may compute it (a movie that is not
 * stored).
 * \ingroup ConvolutionalSparseCoding */
template <typename TValueAt>
std::vector<double>
TraceNoiseLevelsOf(const TValueAt & valueAt, SizeValueType count, SizeValueType length, MultiThreaderBase * threader,
                   double lowestFrequency = 0.25)
{
  std::vector<double> sigma(count, 0.0);
  if (length < 4 || count == 0)
  {
    return sigma;
  }
  fftw_plan plan;
  {
    std::vector<double>               in(length);
    std::vector<std::complex<double>> out(length / 2 + 1);
    const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
    plan = fftw_plan_dft_r2c_1d(
      int(length), in.data(), reinterpret_cast<fftw_complex *>(out.data()), FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  if (plan == nullptr)
  {
    itkGenericExceptionMacro("TraceNoiseLevels: FFTW could not plan a transform of " << length << " samples");
  }
  const SizeValueType first = std::min<SizeValueType>(length / 2, SizeValueType(std::ceil(lowestFrequency * length)));
  const SizeValueType chunks = std::min<SizeValueType>(count, 64);
  threader->ParallelizeArray(
    0,
    chunks,
    [&](SizeValueType chunk) {
      std::vector<double>               in(length);
      std::vector<std::complex<double>> out(length / 2 + 1);
      std::vector<double>               power;
      for (SizeValueType p = chunk * count / chunks; p < (chunk + 1) * count / chunks; ++p)
      {
        for (SizeValueType t = 0; t < length; ++t)
        {
          in[t] = static_cast<double>(valueAt(p, t));
        }
        fftw_execute_dft_r2c(plan, in.data(), reinterpret_cast<fftw_complex *>(out.data()));
        power.clear();
        for (SizeValueType k = std::max<SizeValueType>(first, 1); k <= length / 2; ++k)
        {
          power.push_back(std::norm(out[k]) / double(length));
        }
        std::nth_element(power.begin(), power.begin() + power.size() / 2, power.end());
        sigma[p] = std::sqrt(power[power.size() / 2] / std::log(2.0));
      }
    },
    nullptr);
  const std::lock_guard<std::mutex> lock(FFTWGlobalConfiguration::GetLockMutex());
  fftw_destroy_plan(plan);
  return sigma;
}

/** TraceNoiseLevelsOf for stored traces: trace p is traces[p + t * count].
 * \ingroup ConvolutionalSparseCoding */
template <typename TReal>
std::vector<double>
TraceNoiseLevels(const TReal * traces, SizeValueType count, SizeValueType length, MultiThreaderBase * threader,
                 double lowestFrequency = 0.25)
{
  return TraceNoiseLevelsOf([traces, count](SizeValueType p, SizeValueType t) { return traces[p + t * count]; },
                            count,
                            length,
                            threader,
                            lowestFrequency);
}
} // namespace itk

#endif
