"""DictionaryLearner from Python on the shared training set: the learned dictionary's shape
and kernel norms, a learning curve that falls (IterationEvent observed from Python)."""
import os

import itk
import numpy as np

from csc_test_support import check, shared_dir

cases = os.path.join(shared_dir(), "cases")
training = itk.array_from_image(itk.imread(os.path.join(cases, "dl_train_hp.mha"), itk.F))
initial = itk.imread(os.path.join(cases, "dl_D0_8x8x32.mha"), itk.F)
check(training.shape == (5, 256, 256), f"training set {training.shape}")

learner = itk.DictionaryLearner[itk.Image[itk.F, 2], itk.F].New()
for i in range(2):
    learner.AddTrainingImage(itk.image_from_array(training[i, :128, :128].copy()))
learner.SetInitialDictionary(initial)
learner.SetLambda(0.1)
learner.SetNumberOfIterations(8)
curve = []
learner.AddObserver(itk.IterationEvent(), lambda: curve.append(learner.GetObjective()))
learner.Update()
dictionary = itk.array_from_image(learner.GetOutput())
check(dictionary.shape == (32, 8, 8), f"learned dictionary (K, h, w) {dictionary.shape}")
norms = np.sqrt((dictionary.astype(np.float64) ** 2).sum(axis=(1, 2)))
check(np.all(norms <= 1 + 1e-5) and norms.max() > 0.99, f"kernel l2 norms in [{norms.min():.3f}, {norms.max():.5f}]")
check(len(curve) == 8 and learner.GetIteration() == 8, f"{len(curve)} IterationEvents")
check(curve[-1] < 0.9 * curve[0], f"the objective fell from {curve[0]:.3f} to {curve[-1]:.3f}")
maps = itk.array_from_image(learner.GetCoefficientMaps(0))
check(maps.shape == (32, 128, 128), f"coefficient maps of image 0 {maps.shape}")

# The distributed update (DiCoDiLe's statistics, ProcessCommunicator) on one process learns the
# same dictionary from the same images; MPI ranks would pass a communicator over their ranks.
shared = itk.DictionaryLearner[itk.Image[itk.F, 2], itk.F].New()
for i in range(2):
    shared.AddTrainingImage(itk.image_from_array(training[i, :128, :128].copy()))
shared.SetInitialDictionary(initial)
shared.SetLambda(0.1)
shared.SetNumberOfIterations(8)
communicator = itk.ProcessCommunicator.New()
shared.SetCommunicator(communicator)
shared.Update()
difference = np.abs(itk.array_from_image(shared.GetOutput()) - dictionary).max()
check(difference < 1e-4, f"distributed update on one process: max kernel difference {difference:.2e}")
check(communicator.GetBytesCommunicated() > 0, "the communicator counted the statistics")
