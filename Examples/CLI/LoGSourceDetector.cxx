// LoGSourceDetector: the plain baseline the source-localization evaluation compares against —
// multi-scale, scale-normalised Laplacian of Gaussian (itk::LaplacianRecursiveGaussianImageFilter),
// local maxima of the strongest response over scales, threshold relative to the response's
// robust noise level (1.4826 MAD).
#include "CSCCommandLine.h"
#include "itkLaplacianRecursiveGaussianImageFilter.h"
#include "itkRobustStandardDeviation.h"
#include <fstream>

namespace
{
using csc::Kind;
using csc::Parameter;

csc::ToolDescription
Description()
{
  return { "LoGSourceDetector",
           "LoG Source Detector",
           "Usage: LoGSourceDetector --input image --sigmas 1,2,3 --threshold T --output-sources sources.csv",
           "The plain baseline of source localization: multi-scale, scale-normalised Laplacian of Gaussian, local "
           "maxima of the strongest response over scales, thresholded relative to the response's robust noise "
           "level.",
           { { "Detection",
               "Input, scales and threshold.",
               { Parameter(Kind::Image, "input", "Input image", "2-D or 3-D image").Positional(0),
                 Parameter(Kind::File, "output-sources", "Sources (CSV)", "x,y[,z],amplitude,sigma")
                   .Output(".csv")
                   .Positional(1),
                 Parameter(Kind::FloatVector,
                           "sigmas",
                           "Scales",
                           "scales in pixels (scale-normalised responses; the strongest wins per pixel)")
                   .Hint("S,.."),
                 Parameter(Kind::Float,
                           "threshold",
                           "Threshold",
                           "a maximum is kept when its response exceeds T times the response's noise level")
                   .Default("3")
                   .Hint("T") } } },
           { { Kind::Integer, "numberOfSources", "Sources found", "the number of sources reported" } } };
}
/** Finite pixels, and scales the recursive Gaussian resolves on this image: from half a pixel
 * (below, it degenerates) to a quarter of the smallest side. */
template <typename TImage>
void
CheckInput(const TImage * image, const std::vector<double> & sigmas)
{
  const auto   size = image->GetLargestPossibleRegion().GetSize();
  const size_t n = image->GetLargestPossibleRegion().GetNumberOfPixels();
  const auto * pixels = image->GetBufferPointer();
  for (size_t i = 0; i < n; ++i)
  {
    if (!std::isfinite(pixels[i]))
    {
      throw csc::UsageError("the input has a non-finite pixel (" + std::to_string(pixels[i]) + ") at offset " +
                            std::to_string(i) + "; mask or replace it first");
    }
  }
  const double smallestSide = *std::min_element(size.begin(), size.end());
  if (smallestSide < 4)
  {
    throw csc::UsageError("the input is too small for LoG detection (at least 4 pixels along every axis)");
  }
  for (const double sigma : sigmas)
  {
    if (!(sigma >= 0.5 && sigma <= smallestSide / 4))
    {
      throw csc::UsageError("--sigmas: " + std::to_string(sigma) + " is outside [0.5, " +
                            std::to_string(smallestSide / 4) + "] pixels (half a pixel to a quarter of the image)");
    }
  }
}

template <unsigned int VDimension>
int
Run(const csc::Arguments & args)
{
  using ImageType = itk::Image<float, VDimension>;
  csc::DeclareTextOutput(args, "--output-sources");
  const auto   sigmas = csc::ParseNumberList(args.Required("--sigmas"), "--sigmas");
  const double threshold = args.Number("--threshold");
  const auto   image = csc::ReadImageInput<ImageType>(args.Required("--input"), "input");
  const auto   region = image->GetLargestPossibleRegion();
  const size_t n = region.GetNumberOfPixels();
  CheckInput(image.GetPointer(), sigmas);
  std::vector<float> best(n, -std::numeric_limits<float>::infinity());
  std::vector<float> bestSigma(n, 0);
  for (const double sigma : sigmas)
  {
    auto log = itk::LaplacianRecursiveGaussianImageFilter<ImageType, ImageType>::New();
    log->SetInput(image);
    log->SetSigma(sigma);
    log->SetNormalizeAcrossScale(true);
    log->Update();
    const float * response = log->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < n; ++i)
    {
      if (-response[i] > best[i]) // bright blobs have a negative Laplacian
      {
        best[i] = -response[i];
        bestSigma[i] = static_cast<float>(sigma);
      }
    }
  }
  std::vector<float> samples(best);
  std::nth_element(samples.begin(), samples.begin() + n / 2, samples.end());
  const double median = samples[n / 2];
  const double noise = itk::RobustStandardDeviation(samples);
  if (!(noise > 0))
  {
    throw csc::UsageError("the input's LoG response has no noise (robust level 0: a constant or nearly constant "
                          "image?), so a threshold relative to the noise is undefined");
  }
  const double level = median + threshold * noise;

  std::array<size_t, VDimension> size{}, stride{};
  size_t                         s = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] = region.GetSize(d);
    stride[d] = s;
    s *= size[d];
  }
  csc::WriteTextOutput(args.Required("--output-sources"), [&](std::ostream & out) {
    const char * axes[] = { "x", "y", "z" };
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      out << axes[d] << ",";
    }
    out << "amplitude,sigma\n";
    size_t found = 0;
    for (size_t i = 0; i < n; ++i)
    {
      if (best[i] <= level)
      {
        continue;
      }
      std::array<long, VDimension> index;
      size_t                       rest = i;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        index[d] = static_cast<long>(rest % size[d]);
        rest /= size[d];
      }
      bool   isMaximum = true;
      double offset[VDimension] = {};
      for (unsigned int d = 0; d < VDimension && isMaximum; ++d)
      {
        const float before = index[d] > 0 ? best[i - stride[d]] : -std::numeric_limits<float>::infinity();
        const float after =
          index[d] + 1 < static_cast<long>(size[d]) ? best[i + stride[d]] : -std::numeric_limits<float>::infinity();
        isMaximum = best[i] > before && best[i] >= after;
        // Sub-pixel: the vertex of the parabola through the three responses.
        const double curvature = double(before) - 2.0 * best[i] + after;
        if (std::isfinite(curvature) && curvature < 0)
        {
          offset[d] = std::clamp(0.5 * (double(before) - after) / curvature, -0.5, 0.5);
        }
      }
      if (!isMaximum)
      {
        continue;
      }
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        out << index[d] + offset[d] << ",";
      }
      out << best[i] << "," << bestSigma[i] << "\n";
      ++found;
    }
    std::cout << found << " sources\n";
    csc::SlicerReport::Instance().Set("numberOfSources", double(found));
  });
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  return csc::Main(
    Description(),
    argc,
    argv,
    [](const csc::Arguments & args) { return Run<2>(args); },
    [](const csc::Arguments & args) { return Run<3>(args); });
}
