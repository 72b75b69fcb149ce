#ifndef itkConvolutionalSparseCodingImageFilter_h
#define itkConvolutionalSparseCodingImageFilter_h

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"

namespace itk
{
/** \class ConvolutionalSparseCodingImageFilter
 * \brief Convolutional sparse coding (convolutional basis pursuit denoising) of an N-D image.
 *
 * \f[ \min_x \tfrac12 \| w \odot (\textstyle\sum_k h_k \circledast x_k - s) \|_2^2
 *     + \lambda \sum_k \|x_k\|_1 \quad (x \ge 0 \text{ when NonNegative}) \f]
 *
 * See ConvolutionalSparseCodingFilterBase for the inputs, outputs and parameters, and
 * ADMMSparseCodingSolver / FISTASparseCodingSolver for the algorithms.
 *
 * \sa Wohlberg, "Efficient algorithms for convolutional sparse representations", IEEE TIP 2016.
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TInputImage, typename TRealType = float>
class ITK_TEMPLATE_EXPORT ConvolutionalSparseCodingImageFilter
  : public ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ConvolutionalSparseCodingImageFilter);

  using Self = ConvolutionalSparseCodingImageFilter;
  using Superclass = ConvolutionalSparseCodingFilterBase<TInputImage, TRealType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(ConvolutionalSparseCodingImageFilter, ConvolutionalSparseCodingFilterBase);

  using typename Superclass::ProximalOperatorType;

  /** Constrain the coefficients to be non-negative. Default off. */
  itkSetMacro(NonNegative, bool);
  itkGetConstMacro(NonNegative, bool);
  itkBooleanMacro(NonNegative);

protected:
  ConvolutionalSparseCodingImageFilter() = default;
  ~ConvolutionalSparseCodingImageFilter() override = default;

  typename ProximalOperatorType::Pointer
  CreateProximalOperator() const override
  {
    if (m_NonNegative)
    {
      return NonNegativeL1ProximalOperator<TRealType>::New().GetPointer();
    }
    return L1ProximalOperator<TRealType>::New().GetPointer();
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "NonNegative: " << m_NonNegative << std::endl;
  }

private:
  bool m_NonNegative{ false };
};
} // namespace itk

#endif
