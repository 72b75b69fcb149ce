"""SparseTemporalDeconvolutionFilter from Python: spikes planted in noisy calcium traces (an
image traces x frames, frames along the last ITK axis) are recovered with the learned response."""
import itk
import numpy as np

from csc_test_support import check

rng = np.random.default_rng(3)
TRACES, FRAMES, TAU, SIGMA = 40, 600, 15.0, 0.25
counts = (rng.random((FRAMES, TRACES)) < 0.02).astype(np.float64)
counts += (rng.random((FRAMES, TRACES)) < 0.2) * counts  # some doubles
kernel = np.exp(-np.arange(60) / TAU)
traces = np.stack([np.convolve(counts[:, p], kernel)[:FRAMES] for p in range(TRACES)], axis=1)
traces += rng.normal(0.0, SIGMA, traces.shape)
# numpy (frames, traces) is the ITK image (x = trace, y = frame): time is the last ITK axis.
image = itk.image_view_from_array(traces.astype(np.float64))
std = itk.SparseTemporalDeconvolutionFilter[itk.Image[itk.D, 2]].New()
std.SetInput(image)
std.SetResponseLength(60)
std.Update()
estimated = itk.array_from_image(std.GetOutput())
check(estimated.shape == counts.shape, f"spike counts image {estimated.shape}")


def matched(truth, found, tolerance=2):
    """Spikes matched one-to-one within +-tolerance frames (score_ca.py's greedy sweep)."""
    t = np.repeat(np.arange(len(truth)), truth.astype(int))
    e = np.repeat(np.arange(len(found)), np.round(found).astype(int))
    i = j = tp = 0
    while i < len(t) and j < len(e):
        if e[j] < t[i] - tolerance:
            j += 1
        elif e[j] > t[i] + tolerance:
            i += 1
        else:
            tp, i, j = tp + 1, i + 1, j + 1
    return tp, len(t), len(e)


tp, n_true, n_found = np.sum([matched(counts[:, p], estimated[:, p]) for p in range(TRACES)], axis=0)
accuracy = tp / (n_true + n_found - tp)
check(accuracy >= 0.9, f"spike accuracy {accuracy:.3f} ({tp} matched, {n_true} planted, {n_found} found)")
response = np.array(list(std.GetResponses()[0]))
truth = kernel / np.linalg.norm(kernel)
check(response @ truth > 0.99, f"learned response . true response = {response @ truth:.4f}")
check(abs(np.median(list(std.GetNoiseLevels())) - SIGMA) < 0.03,
      f"median noise level {np.median(list(std.GetNoiseLevels())):.3f} (planted {SIGMA})")
