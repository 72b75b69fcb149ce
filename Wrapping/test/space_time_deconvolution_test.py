"""SpaceTimeDeconvolutionFilter from Python: a 2-D+t movie (numpy (frames, rows, columns), time the
last ITK axis) of three planted cells over a smooth, slowly varying background gives three
labelled cells at the planted places, their traces, and the background; a 3-D+t movie runs."""
import itk
import numpy as np

from csc_test_support import check

SIZE, FRAMES, WINDOW = 64, 300, 15
rng = np.random.default_rng(5)
response = np.exp(-np.arange(40) / 8.0)
response /= np.linalg.norm(response)
y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
cells = [(18, 20), (44, 42), (42, 16)]  # (x, y)
activity = np.zeros((FRAMES, SIZE, SIZE))
truth = []
for k, (cx, cy) in enumerate(cells):
    spikes = np.zeros(FRAMES)
    spikes[7 + 9 * k:290:23 + 5 * k] = 1.0
    trace = 0.5 * np.convolve(spikes, response)[:FRAMES]
    truth.append(trace)
    shape = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 3.0 ** 2))
    shape[np.maximum(np.abs(x - cx), np.abs(y - cy)) > WINDOW // 2] = 0.0
    activity += trace[:, None, None] * (shape / np.linalg.norm(shape))[None]
spatial = 10.0 + 0.05 * x + 0.03 * y
temporal = 1.0 + 0.05 * np.sin(0.05 * np.arange(FRAMES))
movie = spatial[None] * temporal[:, None, None] * (1.0 + activity)
movie += rng.normal(0.0, 0.01, movie.shape)

image = itk.image_view_from_array(movie.astype(np.float32))
sttd = itk.SpaceTimeDeconvolutionFilter[itk.Image[itk.F, 3]].New()
sttd.SetInput(image)
sttd.SetNumberOfCells(10)
sttd.SetNumberOfAppearances(2)
sttd.SetAppearanceSize(WINDOW)
sttd.SetResponseLength(40)
iterations = []
sttd.AddObserver(itk.IterationEvent(), lambda: iterations.append(1))
sttd.Update()

labels = itk.array_from_image(sttd.GetLabelImage())
check(labels.shape == (SIZE, SIZE), f"label image (rows, columns) {labels.shape}")
found = sorted(set(np.unique(labels)) - {0})
check(len(found) == 3, f"three cells labelled: {found}")
order = []
for cx, cy in cells:
    label = int(labels[cy, cx])
    check(label in found, f"the planted centre ({cx}, {cy}) carries a label ({label})")
    ys, xs = np.nonzero(labels == label)
    check(np.hypot(xs.mean() - cx, ys.mean() - cy) <= 1.0,
          f"its footprint's centroid ({xs.mean():.2f}, {ys.mean():.2f}) is within 1 px")
    order.append(label - 1)
traces = np.array(list(sttd.GetTraces()), dtype=np.float64).reshape(FRAMES, -1)
check(traces.shape[1] == 3, f"traces: frames x cells {traces.shape}")
for k, cell in enumerate(order):
    r = np.corrcoef(traces[:, cell], truth[k])[0, 1]
    check(r >= 0.95, f"cell {k}: its trace correlates {r:.3f} with the planted activity")
spike_table = np.array([list(row) for row in sttd.GetSpikeTable()])  # cell, frame, count, amplitude, response
for k, cell in enumerate(order):
    planted_frames = list(range(7 + 9 * k, 290, 23 + 5 * k))
    rows = spike_table[spike_table[:, 0] == cell]
    frames = sorted(int(f) for f, n in zip(rows[:, 1], rows[:, 2]) for _ in range(int(n)))
    check(frames == planted_frames, f"cell {k}: the spikes are the {len(planted_frames)} planted frames ({frames[:4]}...)")
background = itk.array_from_image(sttd.GetSpatialBackground())
relative = (np.abs(background * np.mean(list(sttd.GetTemporalBackground())) - spatial * temporal.mean()).max()
            / spatial.mean())
check(relative < 0.05, f"background B_s * mean(b_t) within {relative:.3f} of the planted one")
check(len(iterations) == sttd.GetNumberOfIterations(), f"one IterationEvent per outer iteration ({len(iterations)})")
steps = list(sttd.GetBlockObjectives())
check(all(b <= a for a, b in zip(steps, steps[1:])) and steps[-1] < steps[0]
      and sttd.GetNumberOfRejectedSteps() < len(steps) - 1,
      f"F never rises over the {len(steps) - 1} block steps ({steps[0]:.4g} -> {steps[-1]:.4g}, "
      f"{sttd.GetNumberOfRejectedSteps()} undone)")

# Streaming: the left half of the frame (all frames) is solved on itself grown by two appearance
# radii (14 pixels); it owns one planted cell, and the output is that half.
half = itk.SpaceTimeDeconvolutionFilter[itk.Image[itk.F, 3]].New(
    image, NumberOfCells=10, NumberOfAppearances=2, AppearanceSize=WINDOW, ResponseLength=40, HaloRadii=2.0)
region = itk.ImageRegion[3]()
region.SetIndex([0, 0, 0])
region.SetSize([32, SIZE, FRAMES])
half.GetOutput().SetRequestedRegion(region)
half.GetOutput().Update()
check(list(half.GetOutput().GetBufferedRegion().GetSize()) == [32, SIZE, FRAMES],
      f"streamed: the output holds the requested half ({half.GetOutput().GetBufferedRegion().GetSize()})")
check(list(image.GetRequestedRegion().GetSize()) == [46, SIZE, FRAMES],
      f"streamed: the input was asked for the half grown by 14 pixels ({image.GetRequestedRegion().GetSize()})")
half_traces = np.array(list(half.GetTraces()), dtype=np.float64).reshape(FRAMES, -1)
check(half_traces.shape[1] == 1, f"streamed: the left half owns one cell ({half_traces.shape[1]})")
r = np.corrcoef(half_traces[:, 0], truth[0])[0, 1]
check(r >= 0.95, f"streamed: its trace correlates {r:.3f} with the planted activity of cell 0")
check(half.GetLabelImage().GetPixel([18, 20]) == 1, "streamed: the owned cell's label is on its centre")

# 3-D+t: a tiny volume movie with one cell runs and labels it.
zz, yy, xx = np.mgrid[0:20, 0:20, 0:20].astype(np.float64)
blob = np.exp(-((xx - 10) ** 2 + (yy - 9) ** 2 + (zz - 10) ** 2) / (2 * 2.0 ** 2))
spikes = np.zeros(120)
spikes[5::17] = 1.0
trace = 0.5 * np.convolve(spikes, response)[:120]
volume_movie = 10.0 * (1.0 + trace[:, None, None, None] * (blob / np.linalg.norm(blob))[None])
volume_movie += rng.normal(0.0, 0.01, volume_movie.shape)
# A view shares the numpy buffer: both must outlive the update (an inline view's buffer does not).
volume_image = itk.image_view_from_array(volume_movie.astype(np.float32))
volume = itk.SpaceTimeDeconvolutionFilter[itk.Image[itk.F, 4]].New(
    volume_image, NumberOfCells=3, NumberOfAppearances=1, AppearanceSize=9, ResponseLength=40)
volume.Update()
volume_labels = itk.array_from_image(volume.GetLabelImage())
check(volume_labels.shape == (20, 20, 20) and volume_labels[10, 9, 10] > 0,
      f"3-D+t: the planted cell's centre is labelled ({volume_labels[10, 9, 10]})")
