#ifndef itkSourceKernelBank_hxx
#define itkSourceKernelBank_hxx

#include "itkSourceKernelBank.h"
#include "itkImageFileReader.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

namespace itk
{
namespace SourceKernelBankDetail
{
inline std::vector<std::string>
Split(const std::string & text, char separator)
{
  std::vector<std::string> parts;
  std::string              part;
  std::istringstream       stream(text);
  while (std::getline(stream, part, separator))
  {
    const auto first = part.find_first_not_of(" \t");
    const auto last = part.find_last_not_of(" \t");
    parts.push_back(first == std::string::npos ? std::string() : part.substr(first, last - first + 1));
  }
  return parts;
}

/** A number, or a fraction a/b. */
inline double
ParseNumber(const std::string & text, const std::string & term)
{
  const auto slash = text.find('/');
  try
  {
    size_t       used = 0;
    const double value = std::stod(text.substr(0, slash), &used);
    if (used != text.substr(0, slash).size())
    {
      throw std::invalid_argument(text);
    }
    if (slash == std::string::npos)
    {
      return value;
    }
    const double denominator = std::stod(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1 || denominator == 0)
    {
      throw std::invalid_argument(text);
    }
    return value / denominator;
  }
  catch (const std::exception &)
  {
    itkGenericExceptionMacro("Kernel bank term '" << term << "': '" << text << "' is not a number");
  }
}
} // namespace SourceKernelBankDetail

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::PixelIntegratedGaussian(double sigma, unsigned int maximumRadius) -> Kernel
{
  if (!(sigma > 0) || !std::isfinite(sigma))
  {
    itkGenericExceptionMacro("A Gaussian kernel needs a positive sigma, got " << sigma);
  }
  unsigned int radius = static_cast<unsigned int>(std::ceil(4.0 * sigma));
  if (maximumRadius > 0)
  {
    radius = std::min(radius, maximumRadius);
  }
  const unsigned int  width = 2 * radius + 1;
  std::vector<double> profile(width);
  const double        scale = 1.0 / (sigma * std::sqrt(2.0));
  for (unsigned int i = 0; i < width; ++i)
  {
    const double offset = static_cast<double>(i) - radius;
    profile[i] = 0.5 * (std::erf((offset + 0.5) * scale) - std::erf((offset - 0.5) * scale));
  }
  Kernel kernel;
  kernel.Size.Fill(width);
  kernel.Name = "gauss:" + std::to_string(sigma);
  SizeValueType taps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    taps *= width;
  }
  kernel.Values.resize(taps);
  for (SizeValueType t = 0; t < taps; ++t)
  {
    double        value = 1.0;
    SizeValueType rest = t;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      value *= profile[rest % width];
      rest /= width;
    }
    kernel.Values[t] = static_cast<RealType>(value);
  }
  return kernel;
}

namespace SourceKernelBankDetail
{
/** A radially defined kernel, integrated over each pixel with 8 samples per axis. */
template <typename TKernel, unsigned int VDimension, typename TProfile>
TKernel
Radial(double outerRadius, const std::string & name, TProfile && inside)
{
  const unsigned int radius = static_cast<unsigned int>(std::ceil(outerRadius + 0.5));
  const unsigned int width = 2 * radius + 1;
  constexpr int      samples = 8;
  TKernel            kernel;
  kernel.Size.Fill(width);
  kernel.Name = name;
  SizeValueType taps = 1;
  SizeValueType subTaps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    taps *= width;
    subTaps *= samples;
  }
  kernel.Values.assign(taps, 0);
  for (SizeValueType t = 0; t < taps; ++t)
  {
    double sum = 0;
    for (SizeValueType u = 0; u < subTaps; ++u)
    {
      double        distance2 = 0;
      SizeValueType rest = t;
      SizeValueType subRest = u;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const double coordinate =
          static_cast<double>(rest % width) - radius - 0.5 + (static_cast<double>(subRest % samples) + 0.5) / samples;
        rest /= width;
        subRest /= samples;
        distance2 += coordinate * coordinate;
      }
      sum += inside(std::sqrt(distance2)) ? 1.0 : 0.0;
    }
    kernel.Values[t] = static_cast<typename decltype(kernel.Values)::value_type>(sum / subTaps);
  }
  return kernel;
}
} // namespace SourceKernelBankDetail

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::Disk(double radius) -> Kernel
{
  if (!(radius > 0) || !std::isfinite(radius))
  {
    itkGenericExceptionMacro("A disk kernel needs a positive radius, got " << radius);
  }
  return SourceKernelBankDetail::Radial<Kernel, VDimension>(
    radius, "disk:" + std::to_string(radius), [radius](double r) { return r <= radius; });
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::Ring(double radius, double width) -> Kernel
{
  if (!(radius > 0) || !(width > 0) || !std::isfinite(radius + width))
  {
    itkGenericExceptionMacro("A ring kernel needs a positive radius and width, got " << radius << " and " << width);
  }
  return SourceKernelBankDetail::Radial<Kernel, VDimension>(
    radius + 0.5 * width, "ring:" + std::to_string(radius), [radius, width](double r) {
      return std::abs(r - radius) <= 0.5 * width;
    });
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::Exemplar(const ImageType * image, const typename ImageType::IndexType & center,
                                                  unsigned int radius) -> Kernel
{
  const auto                     region = image->GetLargestPossibleRegion();
  typename ImageType::RegionType patch;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    patch.SetIndex(d, center[d] - static_cast<IndexValueType>(radius));
    patch.SetSize(d, 2 * radius + 1);
  }
  if (!region.IsInside(patch))
  {
    itkGenericExceptionMacro("The exemplar patch of half-width " << radius << " around " << center
                                                                 << " does not fit in the image " << region);
  }
  Kernel kernel;
  kernel.Size = patch.GetSize();
  std::ostringstream name;
  name << "exemplar:" << center;
  kernel.Name = name.str();
  std::vector<double> border;
  for (IndexValueType t = 0; t < static_cast<IndexValueType>(patch.GetNumberOfPixels()); ++t)
  {
    typename ImageType::IndexType index;
    SizeValueType                 rest = t;
    bool                          onBorder = false;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const SizeValueType offset = rest % patch.GetSize(d);
      rest /= patch.GetSize(d);
      index[d] = patch.GetIndex(d) + static_cast<IndexValueType>(offset);
      onBorder = onBorder || offset == 0 || offset + 1 == patch.GetSize(d);
    }
    const RealType value = image->GetPixel(index);
    kernel.Values.push_back(value);
    if (onBorder)
    {
      border.push_back(value);
    }
  }
  std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
  const double level = border[border.size() / 2];
  double       sum = 0;
  for (auto & value : kernel.Values)
  {
    value = static_cast<RealType>(std::max(0.0, value - level));
    sum += value;
  }
  if (!(sum > 0))
  {
    itkGenericExceptionMacro("The exemplar at " << center << " is not brighter than its surroundings");
  }
  return kernel;
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::Upsampled(const Kernel & kernel, double factor) -> Kernel
{
  if (!(factor > 0) || !std::isfinite(factor))
  {
    itkGenericExceptionMacro("An up-sampling factor must be positive, got " << factor);
  }
  Kernel result;
  result.Name = kernel.Name + "*" + std::to_string(factor);
  SizeValueType taps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const SizeValueType radius = kernel.Size[d] / 2;
    result.Size[d] = 2 * static_cast<SizeValueType>(std::lround(radius * factor)) + 1;
    taps *= result.Size[d];
  }
  result.Values.assign(taps, 0);
  double sourceSum = 0, resultSum = 0;
  for (const auto value : kernel.Values)
  {
    sourceSum += value;
  }
  for (SizeValueType t = 0; t < taps; ++t)
  {
    // Multilinear interpolation of the source at the point this tap maps back to.
    std::array<double, VDimension>         position;
    std::array<IndexValueType, VDimension> base;
    SizeValueType                          rest = t;
    bool                                   inside = true;
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      const double offset = static_cast<double>(rest % result.Size[d]) - static_cast<double>(result.Size[d] / 2);
      rest /= result.Size[d];
      position[d] = offset / factor + static_cast<double>(kernel.Size[d] / 2);
      base[d] = static_cast<IndexValueType>(std::floor(position[d]));
      inside = inside && position[d] > -1 && position[d] < static_cast<double>(kernel.Size[d]);
    }
    if (!inside)
    {
      continue;
    }
    double value = 0;
    for (unsigned int corner = 0; corner < (1u << VDimension); ++corner)
    {
      double        weight = 1;
      SizeValueType offset = 0, stride = 1;
      bool          valid = true;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const IndexValueType i = base[d] + ((corner >> d) & 1u);
        const double         fraction = position[d] - static_cast<double>(base[d]);
        weight *= ((corner >> d) & 1u) ? fraction : 1.0 - fraction;
        valid = valid && i >= 0 && i < static_cast<IndexValueType>(kernel.Size[d]);
        offset += static_cast<SizeValueType>(std::max<IndexValueType>(i, 0)) * stride;
        stride *= kernel.Size[d];
      }
      if (valid)
      {
        value += weight * kernel.Values[offset];
      }
    }
    result.Values[t] = static_cast<RealType>(value);
    resultSum += value;
  }
  if (resultSum != 0)
  {
    for (auto & value : result.Values)
    {
      value = static_cast<RealType>(value * sourceSum / resultSum);
    }
  }
  return result;
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::Shifted(const Kernel & kernel, const std::array<double, VDimension> & shift)
  -> Kernel
{
  // Keys' cubic convolution weights, a = -1/2.
  auto keys = [](double t) {
    t = std::abs(t);
    if (t < 1)
    {
      return (1.5 * t - 2.5) * t * t + 1;
    }
    if (t < 2)
    {
      return ((-0.5 * t + 2.5) * t - 4) * t + 2;
    }
    return 0.0;
  };
  Kernel             result = kernel;
  std::ostringstream name;
  name << kernel.Name << "+(";
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    name << (d ? "," : "") << shift[d];
  }
  result.Name = name.str() + ")";
  // Separable: shift along one axis at a time.
  std::vector<double> values(kernel.Values.begin(), kernel.Values.end());
  SizeValueType       stride = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    const long          length = static_cast<long>(kernel.Size[d]);
    std::vector<double> shifted(values.size(), 0.0);
    if (shift[d] != 0)
    {
      for (SizeValueType t = 0; t < values.size(); ++t)
      {
        const long i = static_cast<long>((t / stride) % kernel.Size[d]);
        // Value at i comes from the source at i - shift.
        const double from = static_cast<double>(i) - shift[d];
        const long   base = static_cast<long>(std::floor(from));
        double       sum = 0;
        for (long j = base - 1; j <= base + 2; ++j)
        {
          if (j >= 0 && j < length)
          {
            sum += keys(from - static_cast<double>(j)) * values[t + (j - i) * static_cast<long>(stride)];
          }
        }
        shifted[t] = sum;
      }
      values.swap(shifted);
    }
    stride *= kernel.Size[d];
  }
  for (SizeValueType t = 0; t < values.size(); ++t)
  {
    result.Values[t] = static_cast<RealType>(values[t]);
  }
  return result;
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::FromImage(const ImageType * image, const std::string & name) -> Kernel
{
  Kernel kernel;
  kernel.Name = name;
  kernel.Size = image->GetLargestPossibleRegion().GetSize();
  kernel.Values.assign(image->GetBufferPointer(),
                       image->GetBufferPointer() + image->GetLargestPossibleRegion().GetNumberOfPixels());
  return kernel;
}

template <typename TRealType, unsigned int VDimension>
unsigned int
SourceKernelBank<TRealType, VDimension>::AddGroup(const std::vector<Kernel> & kernels)
{
  if (kernels.empty())
  {
    itkExceptionMacro("A group needs at least one kernel");
  }
  std::vector<unsigned int> group;
  for (const auto & kernel : kernels)
  {
    group.push_back(static_cast<unsigned int>(m_Kernels.size()));
    m_Kernels.push_back(kernel);
  }
  m_Groups.push_back(group);
  this->Modified();
  return static_cast<unsigned int>(m_Groups.size() - 1);
}

template <typename TRealType, unsigned int VDimension>
void
SourceKernelBank<TRealType, VDimension>::AddBackground(const std::vector<Kernel> & kernels)
{
  m_Kernels.insert(m_Kernels.end(), kernels.begin(), kernels.end());
  this->Modified();
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::SubpixelCopies(const std::string & term, const std::vector<double> & numbers,
                                                        const std::vector<Kernel> & previous) const
  -> std::vector<Kernel>
{
  std::vector<Kernel> kernels;
  if (previous.empty() || numbers.size() != 1 || numbers[0] < 2 || numbers[0] > 16 ||
      numbers[0] != std::floor(numbers[0]))
  {
    itkExceptionMacro("Kernel bank term '" << term
                                           << "' needs an integer N from 2 to 16 (N^dimension shifted copies of each "
                                              "kernel) and a term before it");
  }
  const unsigned int steps = static_cast<unsigned int>(numbers[0]);
  unsigned int       combinations = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    combinations *= steps;
  }
  for (const auto & kernel : previous)
  {
    for (unsigned int c = 1; c < combinations; ++c)
    {
      std::array<double, VDimension> shift;
      unsigned int                   rest = c;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        shift[d] = static_cast<double>(rest % steps) / steps;
        rest /= steps;
      }
      kernels.push_back(Shifted(kernel, shift));
    }
  }

  return kernels;
}

template <typename TRealType, unsigned int VDimension>
void
SourceKernelBank<TRealType, VDimension>::CheckKernelSide(const std::string & term, double side,
                                                         const ImageType * image) const
{
  double limit = 4097;
  if (image != nullptr)
  {
    const auto size = image->GetLargestPossibleRegion().GetSize();
    limit = static_cast<double>(*std::min_element(size.begin(), size.end()));
  }
  if (!(side <= limit))
  {
    itkExceptionMacro("Kernel bank term '" << term << "' makes kernels of " << side << " pixels per axis, more than "
                                           << (image ? "the image's smallest side, " : "the largest kernel, ") << limit
                                           << " pixels");
  }
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::ExemplarOfTerm(const std::string & term, const std::vector<double> & numbers,
                                                        const ImageType * image) const -> Kernel
{
  if (image == nullptr)
  {
    itkExceptionMacro("Kernel bank term '" << term << "' needs the image");
  }
  if (numbers.size() != VDimension && numbers.size() != VDimension + 1)
  {
    itkExceptionMacro("Kernel bank term '" << term << "' needs " << VDimension
                                           << " index coordinates and optionally a radius");
  }
  typename ImageType::IndexType center;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    center[d] = static_cast<IndexValueType>(std::lround(numbers[d]));
  }
  const unsigned int radius = numbers.size() > VDimension ? static_cast<unsigned int>(numbers[VDimension]) : 7u;
  return Exemplar(image, center, radius);
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::KernelsOfTerm(const std::string & term, const ImageType * image,
                                                       const std::vector<Kernel> & previous, bool background) const
  -> std::vector<Kernel>
{
  using namespace SourceKernelBankDetail;
  const auto colon = term.find(':');
  if (colon == std::string::npos)
  {
    itkExceptionMacro("Kernel bank term '" << term << "' has no ':' (expected e.g. gauss:1,2)");
  }
  const std::string   kind = term.substr(0, colon);
  const std::string   arguments = term.substr(colon + 1);
  std::vector<double> numbers;
  std::vector<Kernel> kernels;
  if (kind != "file")
  {
    for (const auto & part : Split(arguments, ','))
    {
      numbers.push_back(ParseNumber(part, term));
    }
    if (numbers.empty())
    {
      itkExceptionMacro("Kernel bank term '" << term << "' has no numbers");
    }
  }
  unsigned int cap = 0;
  if (background && image != nullptr)
  {
    const auto size = image->GetLargestPossibleRegion().GetSize();
    cap = static_cast<unsigned int>(*std::min_element(size.begin(), size.end()) / 4);
  }
  if (kind == "gauss")
  {
    for (const double sigma : numbers)
    {
      const double radius = std::ceil(4.0 * sigma);
      this->CheckKernelSide(term, 2 * (cap > 0 ? std::min(radius, double(cap)) : radius) + 1, image);
      kernels.push_back(PixelIntegratedGaussian(sigma, cap));
    }
  }
  else if (kind == "disk")
  {
    for (const double radius : numbers)
    {
      this->CheckKernelSide(term, 2 * std::ceil(radius + 0.5) + 1, image);
      kernels.push_back(Disk(radius));
    }
  }
  else if (kind == "ring")
  {
    for (const double radius : numbers)
    {
      const double width = std::max(1.0, 0.3 * radius);
      this->CheckKernelSide(term, 2 * std::ceil(radius + 0.5 * width + 0.5) + 1, image);
      kernels.push_back(Ring(radius, width));
    }
  }
  else if (kind == "exemplar")
  {
    kernels.push_back(this->ExemplarOfTerm(term, numbers, image));
  }
  else if (kind == "upsample")
  {
    if (previous.empty() || numbers.size() != 1)
    {
      itkExceptionMacro("Kernel bank term '" << term << "' needs one factor and a term before it to up-sample");
    }
    for (const auto & kernel : previous)
    {
      const double largest = *std::max_element(kernel.Size.begin(), kernel.Size.end());
      this->CheckKernelSide(term, 2 * std::round(std::floor(largest / 2) * numbers[0]) + 1, image);
      kernels.push_back(Upsampled(kernel, numbers[0]));
    }
  }
  else if (kind == "subpixel")
  {
    kernels = this->SubpixelCopies(term, numbers, previous);
  }
  else if (kind == "file")
  {
    typename ImageType::Pointer kernelImage;
    try
    {
      // ITK would drop an extra axis or mix the channels of a vector image without a word.
      auto io = ImageIOFactory::CreateImageIO(arguments.c_str(), IOFileModeEnum::ReadMode);
      if (io)
      {
        io->SetFileName(arguments);
        io->ReadImageInformation();
        for (unsigned int d = VDimension; d < io->GetNumberOfDimensions(); ++d)
        {
          if (io->GetDimensions(d) != 1)
          {
            itkExceptionMacro("the kernel file is " << io->GetNumberOfDimensions() << "-D, a " << VDimension
                                                    << "-D kernel is needed");
          }
        }
        if (io->GetNumberOfComponents() != 1)
        {
          itkExceptionMacro("the kernel file has " << io->GetNumberOfComponents()
                                                   << " components per pixel, a scalar kernel is needed");
        }
      }
      kernelImage = ReadImage<ImageType>(arguments);
    }
    catch (const ExceptionObject & error)
    {
      itkExceptionMacro("Kernel bank term '" << term << "': cannot read the kernel file: " << error.GetDescription());
    }
    kernels.push_back(FromImage(kernelImage, arguments));
  }
  else
  {
    itkExceptionMacro("Kernel bank term '"
                      << term << "': unknown kind '" << kind
                      << "' (gauss, disk, ring, exemplar, upsample, subpixel, file, background:...)");
  }
  return kernels;
}

template <typename TRealType, unsigned int VDimension>
void
SourceKernelBank<TRealType, VDimension>::AddFromDescription(const std::string & description, const ImageType * image)
{
  std::vector<Kernel> previous;
  int                 previousGroup = -1; // -1: background or none
  for (const auto & rawTerm : SourceKernelBankDetail::Split(description, ';'))
  {
    if (rawTerm.empty())
    {
      continue;
    }
    const bool        background = rawTerm.rfind("background:", 0) == 0;
    const std::string term = background ? rawTerm.substr(11) : rawTerm;
    const bool        upsample = term.rfind("upsample:", 0) == 0 || term.rfind("subpixel:", 0) == 0;
    auto              kernels = this->KernelsOfTerm(term, image, previous, background);
    if (upsample && previousGroup >= 0 && !background)
    {
      for (const auto & kernel : kernels)
      {
        m_Groups[previousGroup].push_back(static_cast<unsigned int>(m_Kernels.size()));
        m_Kernels.push_back(kernel);
      }
      this->Modified();
    }
    else if (background || upsample)
    {
      this->AddBackground(kernels);
      previousGroup = -1;
    }
    else
    {
      previousGroup = static_cast<int>(this->AddGroup(kernels));
    }
    previous = kernels;
  }
  if (m_Kernels.empty())
  {
    itkExceptionMacro("The kernel bank description '" << description << "' names no kernel");
  }
  if (m_Groups.empty())
  {
    itkExceptionMacro("The kernel bank description '"
                      << description << "' has only background terms: add a source term (e.g. gauss:1.5)");
  }
}

template <typename TRealType, unsigned int VDimension>
auto
SourceKernelBank<TRealType, VDimension>::GetDictionary() const -> typename DictionaryImageType::Pointer
{
  if (m_Kernels.empty())
  {
    itkExceptionMacro("The kernel bank is empty");
  }
  KernelSizeType size;
  size.Fill(1);
  for (const auto & kernel : m_Kernels)
  {
    for (unsigned int d = 0; d < VDimension; ++d)
    {
      size[d] = std::max(size[d], kernel.Size[d]);
    }
  }
  typename DictionaryImageType::RegionType region;
  SizeValueType                            taps = 1;
  for (unsigned int d = 0; d < VDimension; ++d)
  {
    size[d] |= 1u; // odd, so that every kernel's centre tap has one place
    region.SetSize(d, size[d]);
    taps *= size[d];
  }
  region.SetSize(VDimension, m_Kernels.size());
  auto dictionary = DictionaryImageType::New();
  dictionary->SetRegions(region);
  dictionary->Allocate(true);
  RealType * out = dictionary->GetBufferPointer();
  for (size_t k = 0; k < m_Kernels.size(); ++k)
  {
    const Kernel & kernel = m_Kernels[k];
    for (SizeValueType t = 0; t < kernel.Values.size(); ++t)
    {
      SizeValueType rest = t, offset = 0, stride = 1;
      for (unsigned int d = 0; d < VDimension; ++d)
      {
        const SizeValueType i = rest % kernel.Size[d] + size[d] / 2 - kernel.Size[d] / 2;
        rest /= kernel.Size[d];
        offset += i * stride;
        stride *= size[d];
      }
      out[k * taps + offset] = kernel.Values[t];
    }
  }
  return dictionary;
}

template <typename TRealType, unsigned int VDimension>
void
SourceKernelBank<TRealType, VDimension>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "Kernels: " << m_Kernels.size() << std::endl;
  for (size_t k = 0; k < m_Kernels.size(); ++k)
  {
    os << indent.GetNextIndent() << k << ": " << m_Kernels[k].Name << " " << m_Kernels[k].Size << std::endl;
  }
  os << indent << "Groups: " << m_Groups.size() << std::endl;
}
} // namespace itk

#endif
