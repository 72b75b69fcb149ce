"""ConvolutionalSparseCodingImageFilter from Python (numpy in and out), float and double: the
shared barbara case reaches SPORCO's optimum F* (as the C++ solver test asserts), the objective
re-evaluated in numpy agrees, and the functional form equals the object form; a 3-D volume meets
the optimality conditions; a solver with a one-process halo exchange solves the plain problem."""
import os

import itk
import numpy as np

from csc_test_support import check, circular_adjoint, circular_synthesis, shared_dir

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

# 3-D: a volume and 3-D kernels (the dictionary and the coefficient maps are 4-D images), ADMM
# with the periodic boundary, checked by the optimality (KKT) conditions of the l1 problem in numpy.
rng = np.random.default_rng(11)
kernels = rng.normal(0.0, 1.0, (3, 5, 5, 5))
kernels /= np.linalg.norm(kernels.reshape(3, -1), axis=1)[:, None, None, None]
planted = np.where(rng.random((3, 20, 24, 28)) < 0.01, rng.uniform(1.0, 3.0, (3, 20, 24, 28)), 0.0)
volume_array = circular_synthesis(kernels, planted) + rng.normal(0.0, 0.05, (20, 24, 28))
volume = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.D, 3], itk.D].New(
    itk.image_view_from_array(volume_array), Dictionary=itk.image_view_from_array(kernels), Lambda=0.1,
    Solver=Enums.Solver_ADMM, BoundaryCondition=Enums.Boundary_Periodic, MaximumNumberOfIterations=2000,
    RelativeTolerance=1e-9)
volume.Update()
x3 = itk.array_from_image(volume.GetCoefficients())
check(x3.shape == (3, 20, 24, 28), f"3-D coefficient maps (K, D, H, W) {x3.shape}")
correlation = circular_adjoint(kernels, volume_array - circular_synthesis(kernels, x3))
support = np.abs(x3) > 1e-6
on_support = np.abs(correlation[support] - 0.1 * np.sign(x3[support])).max()
off_support = np.abs(correlation[~support]).max()
check(support.sum() > 50 and on_support <= 2e-3 and off_support <= 0.1 * (1 + 2e-2),
      f"3-D KKT: |A^T r - lambda sign x| <= {on_support:.1e} on the {support.sum()} non-zeros, "
      f"|A^T r| <= {off_support:.4f} (lambda 0.1) elsewhere, after {volume.GetIteration()} iterations")

# A FISTA solver given a halo exchange over one process (the slab is the whole image) solves the
# plain problem: the object the tools' --mpi-global mode gives each rank.
plain = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New(
    image, Dictionary=dictionary, Lambda=LAMBDA, MaximumNumberOfIterations=50,
    BoundaryCondition=Enums.Boundary_ZeroPadded, Solver=Enums.Solver_FISTA)
plain.Update()
exchange = itk.SlabHaloExchange[itk.F].New()
exchange.SetCommunicator(itk.ProcessCommunicator.New())
fista = itk.FISTASparseCodingSolver[itk.F].New()
fista.SetHaloExchange(exchange)
slab = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New(
    image, Dictionary=dictionary, Lambda=LAMBDA, MaximumNumberOfIterations=50,
    BoundaryCondition=Enums.Boundary_ZeroPadded)
slab.SetSolver(fista)
slab.Update()
check(abs(slab.GetObjective() - plain.GetObjective()) <= 1e-6 * plain.GetObjective(),
      f"one-process slab objective {slab.GetObjective():.6f} == plain FISTA {plain.GetObjective():.6f}")

# Bad input reaches Python as an exception naming the problem.
bad = itk.ConvolutionalSparseCodingImageFilter[itk.Image[itk.F, 2], itk.F].New(image, Lambda=LAMBDA)
try:
    bad.Update()
    raise AssertionError("a filter without a dictionary updated")
except RuntimeError as error:
    check("ictionary" in str(error), f"missing dictionary -> RuntimeError: {str(error).splitlines()[-1][:90]}")
