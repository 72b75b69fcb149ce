#ifndef itkSourceKernelBank_h
#define itkSourceKernelBank_h

#include "itkImage.h"
#include "itkObject.h"
#include "itkObjectFactory.h"
#include <array>
#include <string>
#include <vector>

namespace itk
{
/** \class SourceKernelBank
 * \brief Builds the kernel bank and groups of GroupSparseSourceLocalizationFilter, so that
 * users need not hand-craft kernels.
 *
 * Kernels: pixel-integrated isotropic Gaussians (the Gaussian integrated over each pixel with
 * erf, as the CGSC paper does: del Aguila Pla and Jalden, "Convolutional group-sparse coding
 * and source localization", IEEE ICASSP 2018), disks and rings (spots; pixel-integrated by 8 samples per axis),
 * a patch cut from the image around an exemplar source (minus the median of the patch border,
 * clipped at 0), an up-sampled copy of a kernel (multilinear interpolation; larger sources of
 * the same shape) and any N-D image read from a file. Every kernel has an odd size with its
 * centre tap in the middle. The dictionary stacks them, each centred in the largest size.
 *
 * Each Add call makes one foreground group of the kernels it adds, or adds background kernels
 * (no group). A description string does the same in one line, terms separated by ';':
 *
 *     gauss:1,2,5            one group of Gaussians, sigma 1, 2 and 5 pixels
 *     disk:3,5  ring:5,7     one group of disks / rings of these radii (ring width 0.3 r, >= 1)
 *     exemplar:120,88[,r]    one group with the patch of half-width r (default 7) at that index
 *     upsample:4/3           adds copies of the previous term's kernels up-sampled by 4/3
 *     subpixel:2             adds copies of the previous term's kernels shifted by every
 *                            combination of 0, 1/2 pixel per axis (the paper's shifted versions;
 *                            subpixel:N uses steps of 1/N), to the same group
 *     file:psf.mha           one group with the kernel read from the file
 *     background:gauss:50    background kernel(s), any of the terms above after "background:"
 *
 * Background Gaussians are truncated at 4 sigma and at a quarter of the smallest image size.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TRealType, unsigned int VDimension>
class ITK_TEMPLATE_EXPORT SourceKernelBank : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SourceKernelBank);

  using Self = SourceKernelBank;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(SourceKernelBank, Object);

  static constexpr unsigned int ImageDimension = VDimension;
  using RealType = TRealType;
  using ImageType = Image<RealType, VDimension>;
  using DictionaryImageType = Image<RealType, VDimension + 1>;
  using KernelSizeType = Size<VDimension>;
  using GroupListType = std::vector<std::vector<unsigned int>>;

  /** One kernel: values with x fastest, its size (odd along every axis) and a name. */
  struct Kernel
  {
    std::vector<RealType> Values;
    KernelSizeType        Size;
    std::string           Name;
  };

  static Kernel
  PixelIntegratedGaussian(double sigma, unsigned int maximumRadius = 0);
  static Kernel
  Disk(double radius);
  static Kernel
  Ring(double radius, double width);
  static Kernel
  Exemplar(const ImageType * image, const typename ImageType::IndexType & center, unsigned int radius);
  static Kernel
  Upsampled(const Kernel & kernel, double factor);
  static Kernel
  FromImage(const ImageType * image, const std::string & name);
  /** The kernel moved by a sub-pixel shift per axis (cubic convolution interpolation, Keys
   * a = -1/2), on the same grid: a source between pixels is then one coefficient away. */
  static Kernel
  Shifted(const Kernel & kernel, const std::array<double, VDimension> & shift);

  /** Adds the kernels as one foreground group; returns its index. */
  unsigned int
  AddGroup(const std::vector<Kernel> & kernels);
  /** Adds background (ungrouped) kernels. */
  void
  AddBackground(const std::vector<Kernel> & kernels);
  /** Appends the kernels a description names (see the class comment). \c image is needed for
   * exemplars and for the size cap of background Gaussians. */
  void
  AddFromDescription(const std::string & description, const ImageType * image);

  unsigned int
  GetNumberOfKernels() const
  {
    return static_cast<unsigned int>(m_Kernels.size());
  }
  const std::vector<Kernel> &
  GetKernels() const
  {
    return m_Kernels;
  }
  /** Foreground groups of kernel indices, for GroupSparseSourceLocalizationFilter::SetGroups. */
  const GroupListType &
  GetGroups() const
  {
    return m_Groups;
  }
  /** The kernels stacked along the last axis, each centred in the largest size. */
  typename DictionaryImageType::Pointer
  GetDictionary() const;

protected:
  SourceKernelBank() = default;
  ~SourceKernelBank() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  /** The kernels one term (no "background:" prefix) names; \c previous is the last term's. */
  std::vector<Kernel>
  KernelsOfTerm(const std::string & term, const ImageType * image, const std::vector<Kernel> & previous,
                bool background) const;
  /** "subpixel:N": each kernel of the previous term shifted by every multiple of 1/N pixel. */
  std::vector<Kernel>
  SubpixelCopies(const std::string & term, const std::vector<double> & numbers,
                 const std::vector<Kernel> & previous) const;
  /** "exemplar:x,y[,r]": the image patch about an index. */
  Kernel
  ExemplarOfTerm(const std::string & term, const std::vector<double> & numbers, const ImageType * image) const;
  /** Refuses, before anything is allocated, a kernel of \c side pixels per axis that the image
   * (or, without one, 4097 pixels) cannot hold. */
  void
  CheckKernelSide(const std::string & term, double side, const ImageType * image) const;

  std::vector<Kernel> m_Kernels;
  GroupListType       m_Groups;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSourceKernelBank.hxx"
#endif

#endif
