#ifndef itkRobustStandardDeviation_h
#define itkRobustStandardDeviation_h

#include <algorithm>
#include <cmath>
#include <vector>

namespace itk
{
/** The noise level of samples that are mostly Gaussian noise with some outliers (sources,
 * model misfit): 1.4826 times the median absolute deviation from the median, which equals the
 * standard deviation for Gaussian samples and ignores up to half of them being outliers.
 * Reorders \c values; returns 0 for none.
 * \ingroup ConvolutionalSparseCoding */
template <typename TValue>
double
RobustStandardDeviation(std::vector<TValue> & values)
{
  if (values.empty())
  {
    return 0.0;
  }
  auto median = [&values]() {
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return static_cast<double>(values[values.size() / 2]);
  };
  const double center = median();
  for (auto & value : values)
  {
    value = static_cast<TValue>(std::abs(static_cast<double>(value) - center));
  }
  return 1.4826 * median();
}
} // namespace itk

#endif
