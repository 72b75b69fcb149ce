#ifndef itkConvolutionalSparseCodingImageFilter_h
#define itkConvolutionalSparseCodingImageFilter_h

#include "itkConvolutionalSparseCodingFilterBase.h"
#include "itkL0ProximalOperator.h"
#include "itkL1ProximalOperator.h"
#include "itkNonNegativeL1ProximalOperator.h"

namespace itk
{
/** \class ConvolutionalSparseCodingImageFilter
 * \brief Convolutional sparse coding (convolutional basis pursuit denoising) of an N-D image.
 *
 * \f[ \min_x \tfrac12 \| w \odot (\textstyle\sum_k h_k \circledast x_k - s) \|_2^2
 *     + \lambda \sum_k \|x_k\|_1 \quad (x \ge 0 \text{ when NonNegative}) \f]
 * or, with the L0 Penalty, lambda times the number of non-zero coefficients (hard thresholding;
 * non-convex, the solvers stop at a stationary point).
 *
 * See ConvolutionalSparseCodingFilterBase for the inputs, outputs and parameters, and
 * ADMMSparseCodingSolver, FISTASparseCodingSolver, LCASparseCodingSolver and
 * ThresholdingSparseCodingSolver for the algorithms (the penalty's prox is LCA's transfer
 * function and the thresholding pursuit's threshold).
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

  using PenaltyEnum = ConvolutionalSparseCodingEnums::Penalty;
  /** The penalty g: L1 (default), NonNegativeL1 or L0. */
  itkSetEnumMacro(Penalty, PenaltyEnum);
  itkGetConstMacro(Penalty, PenaltyEnum);

  /** Constrain the coefficients to be non-negative: the NonNegativeL1 penalty (off: L1). */
  void
  SetNonNegative(bool nonNegative)
  {
    this->SetPenalty(nonNegative ? PenaltyEnum::NonNegativeL1 : PenaltyEnum::L1);
  }
  bool
  GetNonNegative() const
  {
    return m_Penalty == PenaltyEnum::NonNegativeL1;
  }
  itkBooleanMacro(NonNegative);

protected:
  ConvolutionalSparseCodingImageFilter() = default;
  ~ConvolutionalSparseCodingImageFilter() override = default;

  typename ProximalOperatorType::Pointer
  CreateProximalOperator() const override
  {
    switch (m_Penalty)
    {
      case PenaltyEnum::NonNegativeL1:
        return NonNegativeL1ProximalOperator<TRealType>::New().GetPointer();
      case PenaltyEnum::L0:
        return L0ProximalOperator<TRealType>::New().GetPointer();
      default:
        return L1ProximalOperator<TRealType>::New().GetPointer();
    }
  }

  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "Penalty: " << m_Penalty << std::endl;
  }

private:
  PenaltyEnum m_Penalty{ PenaltyEnum::L1 };
};
} // namespace itk

#endif
