#ifndef itkMultiLayerConvolutionalSparseCodingImageFilter_h
#define itkMultiLayerConvolutionalSparseCodingImageFilter_h

#include "itkImage.h"
#include "itkImageToImageFilter.h"
#include "itkMultiLayerConvolutionalPursuit.h"
#include "itkMultiLayerKernelComposition.h"
#include <vector>

namespace itk
{
/** \class MultiLayerConvolutionalSparseCodingImageFilter
 * \brief Multi-layer convolutional sparse coding of an N-D image: every layer's sparse maps
 * of s = D_1 gamma_1, gamma_1 = D_2 gamma_2, ..., gamma_{L-1} = D_L gamma_L.
 *
 * The multi-layer convolutional sparse model of Papyan, Romano and Elad ("Convolutional neural
 * networks analyzed via convolutional sparse coding", JMLR 18, 2017), with the pursuits of
 * MultiLayerConvolutionalPursuit: layered thresholding (with Nonnegative, a CNN's forward pass:
 * ReLU(D_j^T gamma_{j-1} - lambda_j)), layered basis pursuit, and ML-ISTA / ML-FISTA on the
 * multi-layer basis pursuit (Sulam, Aberdam, Beck and Elad, IEEE TPAMI 42(8), 2020).
 *
 * Inputs: the image (input 0) and one dictionary per layer (SetDictionary(j, d), j = 0 for
 * the first layer): an (N+2)-D image [x, y, (z,) channel, kernel], kernel origin at its centre.
 * Layer 1's dictionary has one channel; layer j's has as many channels as layer j-1 has kernels.
 * Dictionaries are plain arrays in the image's pixel units (their geometry is ignored).
 *
 * Outputs: for each layer j (0-based), output j holds its maps as an (N+1)-D image (the image
 * grid times K_j, as ConvolutionalSparseCodingImageFilter's coefficients), and output L + j
 * the effective dictionary D_1 * ... * D_{j+1}: K_j single-channel kernels as an (N+1)-D image
 * whose last axis indexes them, so that layer j's maps code the image directly through it.
 *
 * With ZeroPadded, every layer's kernels are zero-padded to the effective kernel size of the
 * deepest layer, so that all layers share one domain large enough for the whole chain.
 * IterationEvent fires after each solver iteration (each layer, in layered thresholding),
 * ProgressEvent with it; AbortGenerateData stops the pursuit and raises ProcessAborted.
 *
 * \ingroup ConvolutionalSparseCoding
 */
template <typename TInputImage, typename TRealType = float>
class ITK_TEMPLATE_EXPORT MultiLayerConvolutionalSparseCodingImageFilter
  : public ImageToImageFilter<TInputImage, Image<TRealType, TInputImage::ImageDimension + 1>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MultiLayerConvolutionalSparseCodingImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;

  using InputImageType = TInputImage;
  using RealType = TRealType;
  using CoefficientImageType = Image<RealType, ImageDimension + 1>;
  using DictionaryImageType = Image<RealType, ImageDimension + 2>;

  using Self = MultiLayerConvolutionalSparseCodingImageFilter;
  using Superclass = ImageToImageFilter<InputImageType, CoefficientImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(MultiLayerConvolutionalSparseCodingImageFilter, ImageToImageFilter);

  using BoundaryEnum = ConvolutionalSparseCodingEnums::Boundary;
  using PursuitEnum = ConvolutionalSparseCodingEnums::MultiLayerPursuit;
  using PursuitType = MultiLayerConvolutionalPursuit<RealType>;
  using StatisticsType = SparseCodingIterationStatistics;

  /** Layer \c layer's dictionary (0-based); layers must be given without gaps. */
  void
  SetDictionary(unsigned int layer, const DictionaryImageType * dictionary);
  const DictionaryImageType *
  GetDictionary(unsigned int layer) const;
  /** The number of dictionaries given. */
  unsigned int
  GetNumberOfLayers() const
  {
    return m_NumberOfLayers;
  }

  /** One lambda >= 0 per layer. Required. */
  void
  SetLambdas(const std::vector<double> & lambdas)
  {
    if (m_Lambdas != lambdas)
    {
      m_Lambdas = lambdas;
      this->Modified();
    }
  }
  itkGetConstReferenceMacro(Lambdas, std::vector<double>);
  /** Default MLFISTA. */
  itkSetEnumMacro(Pursuit, PursuitEnum);
  itkGetConstMacro(Pursuit, PursuitEnum);
  /** Non-negative maps (the non-negative l1 prox; a ReLU in layered thresholding). Default off. */
  itkSetMacro(Nonnegative, bool);
  itkGetConstMacro(Nonnegative, bool);
  itkBooleanMacro(Nonnegative);
  /** Periodic (default) or ZeroPadded. */
  itkSetEnumMacro(BoundaryCondition, BoundaryEnum);
  itkGetConstMacro(BoundaryCondition, BoundaryEnum);
  /** Per solve (per layer in layered basis pursuit). Default 200. */
  itkSetMacro(MaximumNumberOfIterations, unsigned int);
  itkGetConstMacro(MaximumNumberOfIterations, unsigned int);
  /** Relative change to stop at; 0 disables. Default 1e-4. */
  itkSetMacro(RelativeTolerance, double);
  itkGetConstMacro(RelativeTolerance, double);

  /** Layer \c layer's maps (0-based): output \c layer. */
  CoefficientImageType *
  GetLayerCoefficients(unsigned int layer);
  /** The effective dictionary of layer \c layer (0-based): output L + layer. */
  CoefficientImageType *
  GetEffectiveDictionary(unsigned int layer);

  /** The pursuit of the last update (statistics per solve, the running solver). */
  const PursuitType *
  GetPursuitObject() const
  {
    return m_PursuitObject.GetPointer();
  }
  /** The running (or last) solver's iteration and objective; 0 in layered thresholding. */
  unsigned int
  GetIteration() const;
  double
  GetObjective() const;

  using DataObjectPointerArraySizeType = ProcessObject::DataObjectPointerArraySizeType;
  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

protected:
  MultiLayerConvolutionalSparseCodingImageFilter();
  ~MultiLayerConvolutionalSparseCodingImageFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  void
  VerifyPreconditions() ITKv5_CONST override;
  void
  VerifyInputInformation() ITKv5_CONST override;
  void
  GenerateOutputInformation() override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

private:
  using LayerKernels = ConvolutionalLayerKernels<RealType>;
  /** Layer j's kernels, checked: finite, no all-zero kernel, no larger than the image. */
  LayerKernels
  ReadLayerKernels(unsigned int layer) const;
  /** Writes \c values (an image grid times \c maps) into output \c index with the image's
   * geometry, or (effective dictionaries) as plain arrays. */
  void
  FillOutput(DataObjectPointerArraySizeType index, const std::vector<RealType> & values);

  unsigned int        m_NumberOfLayers{ 0 };
  std::vector<double> m_Lambdas;
  PursuitEnum         m_Pursuit{ PursuitEnum::MLFISTA };
  bool                m_Nonnegative{ false };
  BoundaryEnum        m_BoundaryCondition{ BoundaryEnum::Periodic };
  unsigned int        m_MaximumNumberOfIterations{ 200 };
  double              m_RelativeTolerance{ 1e-4 };

  typename PursuitType::Pointer m_PursuitObject;
};
} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMultiLayerConvolutionalSparseCodingImageFilter.hxx"
#endif

#endif
