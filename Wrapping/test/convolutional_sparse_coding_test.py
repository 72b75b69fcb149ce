"""ConvolutionalSparseCodingImageFilter from Python (numpy in and out), float and double: the
shared barbara case reaches SPORCO's optimum F* (as the C++ solver test asserts), the objective
re-evaluated in numpy agrees, and the functional form equals the object form."""
import os

import itk
import numpy as np

from csc_test_support import check, circular_synthesis, shared_dir

cases = os.path.join(shared_dir(), "cases")
F_STAR = 43.626046434578  # barbara_hp_256, G:12x12x36, lambda 0.05 (cases/README.md)
LAMBDA = 0.05
image_array = itk.array_from_image(itk.imread(os.path.join(cases, "barbara_hp_256.mha"), itk.F))
dictionary_array = itk.array_from_image(itk.imread(os.path.join(cases, "dict_G_12x12x36.mha"), itk.F))
check(dictionary_array.shape == (36, 12, 12), f"dictionary as numpy (K, h, w): {dictionary_array.shape}")
Enums = itk.ConvolutionalSparseCodingEnums

for pixel, dtype in ((itk.F, np.float32), (itk.D, np.float64)):
    image = itk.image_view_from_array(image_array.astype(dtype))
    dictionary = itk.image_view_from_array(dictionary_array.astype(dtype))
    csc = itk.ConvolutionalSparseCodingImageFilter[itk.Image[pixel, 2], pixel].New()
    csc.SetInput(image)
    csc.SetDictionary(dictionary)
    csc.SetLambda(LAMBDA)
    csc.SetSolver(Enums.Solver_ADMM)
    csc.SetBoundaryCondition(Enums.Boundary_Periodic)
    csc.SetMaximumNumberOfIterations(400)
    csc.SetRelativeTolerance(1e-7)
    iterations = []
    csc.AddObserver(itk.IterationEvent(), lambda: iterations.append(csc.GetObjective()))
    csc.Update()
    x = itk.array_from_image(csc.GetCoefficients()).astype(np.float64)
    check(x.shape == (36, 256, 256), f"{pixel}: coefficient maps (K, H, W) {x.shape}")
    residual = circular_synthesis(dictionary_array.astype(np.float64), x) - image_array
    objective = 0.5 * np.sum(residual ** 2) + LAMBDA * np.abs(x).sum()
    check(F_STAR * (1 - 1e-5) <= objective <= F_STAR * (1 + 1e-4),
          f"{pixel}: numpy objective {objective:.9f} within 1e-4 of F* {F_STAR} "
          f"after {csc.GetIteration()} iterations")
    check(abs(csc.GetObjective() - objective) <= 1e-4 * objective,
          f"{pixel}: the filter's objective {csc.GetObjective():.9f} is the numpy one")
    check(len(iterations) == csc.GetIteration() and iterations[-1] == csc.GetObjective(),
          f"{pixel}: one IterationEvent per iteration ({len(iterations)})")
    reconstruction = itk.array_from_image(csc.GetReconstruction())
    check(np.max(np.abs(reconstruction - (residual + image_array))) < 1e-3,
          f"{pixel}: the reconstruction output is sum_k d_k * x_k")

# The functional (snake_case) form runs the same filter: equal outputs.
image = itk.image_view_from_array(image_array[:96, :96].copy())
dictionary = itk.image_view_from_array(dictionary_array)
functional = itk.convolutional_sparse_coding_image_filter(
    image, dictionary=dictionary, lambda_=LAMBDA, maximum_number_of_iterations=30)
objectform = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New(
    image, Dictionary=dictionary, Lambda=LAMBDA, MaximumNumberOfIterations=30)
objectform.Update()
# Two outputs: the functional form returns (coefficient maps, reconstruction).
check(isinstance(functional, tuple) and len(functional) == 2, "the functional form returns both outputs")
difference = np.max(np.abs(itk.array_from_image(functional[0]) - itk.array_from_image(objectform.GetOutput())))
check(difference == 0.0, f"functional form == object form (max difference {difference})")

# Bad input reaches Python as an exception naming the problem.
bad = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New(image, Lambda=LAMBDA)
try:
    bad.Update()
    raise AssertionError("a filter without a dictionary updated")
except RuntimeError as error:
    check("ictionary" in str(error), f"missing dictionary -> RuntimeError: {str(error).splitlines()[-1][:90]}")
