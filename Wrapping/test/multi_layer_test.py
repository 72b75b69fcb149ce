"""MultiLayerConvolutionalSparseCodingImageFilter from Python: a planted two-layer model
s = D1 (D2 gamma2) (dictionaries as 4-D images, numpy (kernel, channel, h, w)) is explained by the
deepest layer's maps through the effective dictionary D1 * D2 that the filter outputs, and by the
first layer's maps through D1."""
import itk
import numpy as np

from csc_test_support import check, circular_synthesis

rng = np.random.default_rng(2)
D1 = np.abs(rng.normal(size=(4, 1, 7, 7)))
D1 /= np.linalg.norm(D1.reshape(4, -1), axis=1)[:, None, None, None]
D2 = np.abs(rng.normal(size=(5, 4, 9, 9)))
D2 /= np.linalg.norm(D2.reshape(5, -1), axis=1)[:, None, None, None]
gamma2 = np.where(rng.random((5, 64, 64)) < 0.004, rng.uniform(1.0, 2.0, (5, 64, 64)), 0.0)
gamma1 = np.stack([circular_synthesis(D2[:, c], gamma2) for c in range(4)])
signal = circular_synthesis(D1[:, 0], gamma1)

# Views share the numpy buffers, which must outlive the update: kept in variables.
arrays = [a.astype(np.float32) for a in (signal, D1, D2)]
image, first, second = (itk.image_view_from_array(a) for a in arrays)
ml = itk.MultiLayerConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New()
ml.SetInput(image)
ml.SetDictionary(0, first)
ml.SetDictionary(1, second)
ml.SetLambdas([1e-3, 1e-3])
ml.SetPursuit(itk.ConvolutionalSparseCodingEnums.MultiLayerPursuit_LayeredBasisPursuit)
ml.SetNonnegative(True)
ml.SetMaximumNumberOfIterations(3000)
ml.SetRelativeTolerance(1e-8)
ml.Update()
x1 = itk.array_from_image(ml.GetLayerCoefficients(0)).astype(np.float64)
x2 = itk.array_from_image(ml.GetLayerCoefficients(1)).astype(np.float64)
effective = itk.array_from_image(ml.GetEffectiveDictionary(1)).astype(np.float64)
check(x1.shape == (4, 64, 64) and x2.shape == (5, 64, 64), f"layer maps {x1.shape}, {x2.shape}")
check(effective.shape == (5, 15, 15), f"effective dictionary D1 * D2: {effective.shape} (7 + 9 - 1 taps)")
# The effective kernels compose the layers: coding through them equals coding through both.
through_both = circular_synthesis(D1[:, 0], np.stack([circular_synthesis(D2[:, c], x2) for c in range(4)]))
through_effective = circular_synthesis(effective, x2)
composition = np.abs(through_effective - through_both).max() / np.abs(through_both).max()
check(composition < 1e-5, f"D1 * D2 applied at once == layer by layer (to {composition:.1e})")
# Random non-negative kernels do not make the layers identifiable (the C++ GTests recover planted
# supports on a model built for it): the first layer fits the image to about 1e-4, and the
# deepest layer, which fits the first layer's maps with its own shrinkage, to about 4 %.
for name, model, bound in (("first layer through D1", circular_synthesis(D1[:, 0], x1), 1e-3),
                           ("deepest layer through D1 * D2", through_effective, 0.05)):
    error = np.linalg.norm(model - signal) / np.linalg.norm(signal)
    check(error < bound, f"{name} explains the image (relative error {error:.2e} < {bound})")
