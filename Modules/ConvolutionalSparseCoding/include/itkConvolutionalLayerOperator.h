#ifndef itkConvolutionalLayerOperator_h
#define itkConvolutionalLayerOperator_h

#include "itkMultiChannelFourierConvolution.h"
#include <vector>

namespace itk
{
/** \class ConvolutionalLayerOperator
 * \brief One layer of a multi-layer convolutional model: K coefficient maps to C signal
 * channels, and its adjoint.
 *
 * \f[ D: \{x_k\}_{k=1}^K \mapsto \{ \textstyle\sum_k h_{c,k} \circledast x_k \}_{c=1}^C, \qquad
 *     D^T: \{y_c\} \mapsto \{ \textstyle\sum_c h_{c,k}^\flat \circledast y_c \}_k \f]
 * as in multi-layer convolutional sparse coding, where layer j's dictionary maps its K_j maps
 * into the K_{j-1} channels of the layer above (Papyan, Romano and Elad, "Convolutional neural
 * networks analyzed via convolutional sparse coding", JMLR 18, 2017; Sulam, Aberdam, Beck and
 * Elad, "On multi-layer basis pursuit, efficient algorithms and convolutional neural
 * networks", IEEE TPAMI 42(8), 2020). With C = 1 it is the MultiChannelFourierConvolution.
 *
 * It is made of C MultiChannelFourierConvolution operators on one domain, one per signal
 * channel, and uses their transforms and spectral products: D costs K forward and C inverse
 * FFTs, D^T C forward and K inverse (not C (K + 1)).
 *
 * Kernel layout: kernel k's channel c at (k C + c) * taps, taps x fastest (an (N+2)-D image
 * [x, y, (z,) channel, kernel]). Channels and maps are planar, spaced GetSpatialStride() on the
 * domain; the Apply* entry points take contiguous image-sized arrays.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TReal>
class ITK_TEMPLATE_EXPORT ConvolutionalLayerOperator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ConvolutionalLayerOperator);

  using Self = ConvolutionalLayerOperator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(ConvolutionalLayerOperator, Object);

  using RealType = TReal;
  using ChannelOperatorType = MultiChannelFourierConvolution<TReal>;
  using SizeType = typename ChannelOperatorType::SizeType;
  using BoundaryEnum = typename ChannelOperatorType::BoundaryEnum;
  using ComplexType = typename ChannelOperatorType::ComplexType;
  using RealBufferType = typename ChannelOperatorType::RealBufferType;
  using ComplexBufferType = typename ChannelOperatorType::ComplexBufferType;

  /** An initialised layer: image grid, \c maps kernels of \c channels channels each. */
  static Pointer
  Create(const SizeType & imageSize, const RealType * kernels, const SizeType & kernelSize, unsigned int maps,
         unsigned int channels, BoundaryEnum boundary,
         unsigned int planRigor = ChannelOperatorType::AutomaticPlanRigor);

  unsigned int
  GetNumberOfMaps() const
  {
    return m_NumberOfMaps;
  }
  unsigned int
  GetNumberOfChannels() const
  {
    return static_cast<unsigned int>(m_Channels.size());
  }
  /** The operator of signal channel c (kernels h_{c,k}, k = 1..K): domain, layouts, threads. */
  const ChannelOperatorType &
  GetChannelOperator(unsigned int c) const
  {
    return *m_Channels[c];
  }

  /** y = D x on the domain: x K maps, y C channels. */
  void
  Forward(const RealType * x, RealType * y) const;
  /** x = D^T y on the domain. */
  void
  Adjoint(const RealType * y, RealType * x) const;
  /** The same between contiguous image-sized arrays (K maps, C channels). */
  void
  ApplyForward(const RealType * xImage, RealType * yImage) const;
  void
  ApplyAdjoint(const RealType * yImage, RealType * xImage) const;

  /** ||D||^2 on the periodic domain: per frequency the largest eigenvalue of H(f)^H H(f)
   * (H(f) the C x K kernel spectra), by power iteration x1.02, capped by the trace. */
  double
  GetSpectralNormSquared() const
  {
    return m_SpectralNormSquared;
  }

protected:
  ConvolutionalLayerOperator() = default;
  ~ConvolutionalLayerOperator() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  void
  ComputeSpectralNorm();

  std::vector<typename ChannelOperatorType::Pointer> m_Channels;
  unsigned int                                       m_NumberOfMaps{ 0 };
  double                                             m_SpectralNormSquared{ 0 };
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkConvolutionalLayerOperator.hxx"
#endif

#endif
