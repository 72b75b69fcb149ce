#ifndef itkCSCTestHelpers_h
#define itkCSCTestHelpers_h

#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkMultiChannelFourierConvolution.h"
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

namespace csctest
{
/** Deterministic random values in [-1, 1). */
template <typename T>
std::vector<T>
RandomVector(size_t n, unsigned int seed)
{
  std::mt19937                     generator(seed);
  std::uniform_real_distribution<> uniform(-1.0, 1.0);
  std::vector<T>                   values(n);
  for (auto & v : values)
  {
    v = static_cast<T>(uniform(generator));
  }
  return values;
}

template <typename T>
double
Dot(const std::vector<T> & a, const std::vector<T> & b)
{
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
  {
    sum += double(a[i]) * double(b[i]);
  }
  return sum;
}

inline size_t
Product(const std::vector<itk::SizeValueType> & size)
{
  size_t n = 1;
  for (auto s : size)
  {
    n *= s;
  }
  return n;
}

template <typename T>
typename itk::MultiChannelFourierConvolution<T>::Pointer
MakeOperator(const std::vector<itk::SizeValueType> & imageSize, const std::vector<itk::SizeValueType> & kernelSize,
             const std::vector<T> & kernels, unsigned int K, itk::ConvolutionalSparseCodingEnums::Boundary boundary)
{
  return itk::MultiChannelFourierConvolution<T>::Create(
    imageSize, kernels.data(), kernelSize, K, boundary, FFTW_ESTIMATE);
}

/** ||B||^2 of a linear map by power iteration on B^T B: \c normal(v, out) writes B^T B v;
 * \c iterations steps from a random start of \c n values. Approaches the norm from below. */
template <typename TNormal>
double
PowerIterationNormSquared(TNormal && normal, size_t n, int iterations)
{
  auto                v = RandomVector<double>(n, 99);
  std::vector<double> w(n);
  double              estimate = 0;
  for (int iteration = 0; iteration < iterations; ++iteration)
  {
    normal(v, w);
    const double norm = std::sqrt(Dot(w, w));
    estimate = norm / std::sqrt(Dot(v, v));
    for (size_t i = 0; i < n; ++i)
    {
      v[i] = w[i] / norm;
    }
  }
  return estimate;
}

/** The shared folder beside the project; tests that need it fail when it is missing. */
inline std::string
SharedDirectory()
{
  const char * fromEnvironment = std::getenv("CSC_SHARED_DIR");
  return fromEnvironment ? std::string(fromEnvironment) : std::string(CSC_SHARED_DIR);
}

/** An image of ../shared/cases; throws when the shared folder is missing. */
template <unsigned int VDimension>
typename itk::Image<float, VDimension>::Pointer
ReadSharedCase(const std::string & name)
{
  const std::string path = SharedDirectory() + "/cases/" + name;
  if (!std::ifstream(path).good())
  {
    throw std::runtime_error("missing shared test data: " + path + " (../shared must sit beside the project)");
  }
  return itk::ReadImage<itk::Image<float, VDimension>>(path);
}
} // namespace csctest

#endif
