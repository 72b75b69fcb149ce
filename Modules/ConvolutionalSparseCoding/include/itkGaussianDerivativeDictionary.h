#ifndef itkGaussianDerivativeDictionary_h
#define itkGaussianDerivativeDictionary_h

#include "itkImage.h"
#include "itkMemoryEstimate.h"
#include "itkMacro.h"
#include <cmath>
#include <vector>

namespace itk
{
/** \class GaussianDerivativeDictionary
 * \brief A small analytic dictionary: for each scale sigma, a Gaussian, its first derivative
 * along every axis and its Laplacian, each normalised to unit l2 norm.
 *
 * All kernels share one odd size, 2 ceil(3 sigma_max) + 1 per axis, so the dictionary is an
 * (N+1)-D image, last axis = kernel index, as the coding filters read it. It needs no
 * training, which makes it the module's default for a first look at an image.
 *
 *
 * Reference: Lindeberg, "Scale-space theory in computer vision", Kluwer, 1994 (Gaussian
 * derivatives as a fixed, multi-scale filter bank).
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal, unsigned int VDimension>
class GaussianDerivativeDictionary
{
public:
  using DictionaryImageType = Image<TReal, VDimension + 1>;

  static typename DictionaryImageType::Pointer
  Create(const std::vector<double> & sigmas)
  {
    if (sigmas.empty())
    {
      itkGenericExceptionMacro("GaussianDerivativeDictionary needs at least one sigma");
    }
    double largest = 0;
    for (double sigma : sigmas)
    {
      if (!(sigma > 0) || !std::isfinite(sigma))
      {
        itkGenericExceptionMacro("GaussianDerivativeDictionary: sigma must be positive, got " << sigma);
      }
      largest = std::max(largest, sigma);
    }
    const unsigned int scales = static_cast<unsigned int>(sigmas.size());
    std::ostringstream what;
    what << "GaussianDerivativeDictionary with sigma " << largest;
    CheckMemoryEstimate(
      std::pow(2 * std::ceil(3 * largest) + 1, VDimension) * (VDimension + 2) * scales * sizeof(TReal), what.str());
    const long   radius = static_cast<long>(std::ceil(3 * largest));
    const size_t side = 2 * radius + 1;
    size_t       taps = 1;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      taps *= side;
    }
    const unsigned int perScale = VDimension + 2;
    const unsigned int K = static_cast<unsigned int>(sigmas.size()) * perScale;

    auto                                   dictionary = DictionaryImageType::New();
    typename DictionaryImageType::SizeType size;
    size.Fill(side);
    size[VDimension] = K;
    dictionary->SetRegions(size);
    dictionary->Allocate(true);
    TReal * out = dictionary->GetBufferPointer();

    for (size_t s = 0; s < sigmas.size(); ++s)
    {
      const double sigma2 = sigmas[s] * sigmas[s];
      for (size_t t = 0; t < taps; ++t)
      {
        double offset[VDimension];
        double r2 = 0;
        size_t rest = t;
        for (unsigned int d = 0; d < VDimension; ++d)
        {
          offset[d] = static_cast<double>(static_cast<long>(rest % side) - radius);
          rest /= side;
          r2 += offset[d] * offset[d];
        }
        const double g = std::exp(-0.5 * r2 / sigma2);
        TReal *      kernels = out + s * perScale * taps;
        kernels[t] = static_cast<TReal>(g);
        for (unsigned int d = 0; d < VDimension; ++d)
        {
          kernels[(1 + d) * taps + t] = static_cast<TReal>(-offset[d] / sigma2 * g);
        }
        kernels[(1 + VDimension) * taps + t] = static_cast<TReal>((r2 / sigma2 - VDimension) / sigma2 * g);
      }
    }
    for (unsigned int k = 0; k < K; ++k)
    {
      double norm = 0;
      for (size_t t = 0; t < taps; ++t)
      {
        norm += double(out[k * taps + t]) * out[k * taps + t];
      }
      norm = std::sqrt(norm);
      for (size_t t = 0; t < taps; ++t)
      {
        out[k * taps + t] = static_cast<TReal>(out[k * taps + t] / norm);
      }
    }
    return dictionary;
  }
};
} // namespace itk

#endif
