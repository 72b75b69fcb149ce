"""Writes the small good and broken input files of the command-line robustness suite.

    make_robustness_inputs.py FOLDER
"""
import sys
import zlib

import numpy as np

folder = sys.argv[1]
rng = np.random.default_rng(7)


def scene(n):
    """A few Gaussian spots on a flat background, with noise."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    image = 10.0 + rng.normal(0, 1, (n, n))
    for cx, cy in rng.uniform(6, n - 6, (max(4, n // 12), 2)):
        image += 40 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 1.5**2))
    return image.astype(np.float32)


def mha(name, array, element='MET_FLOAT', channels=1, compressed=None, data_file='LOCAL', payload=None):
    dims = list(array.shape[::-1]) if channels == 1 else list(array.shape[-2::-1])
    header = f'ObjectType = Image\nNDims = {len(dims)}\nDimSize = {" ".join(map(str, dims))}\n'
    header += f'ElementType = {element}\n'
    if channels > 1:
        header += f'ElementNumberOfChannels = {channels}\n'
    data = array.tobytes() if payload is None else payload
    if compressed is not None:
        header += f'CompressedData = True\nCompressedDataSize = {len(compressed)}\n'
        data = compressed
    header += f'ElementDataFile = {data_file}\n'
    with open(f'{folder}/{name}', 'wb') as f:
        f.write(header.encode())
        if data_file == 'LOCAL':
            f.write(data)


image = scene(64)
mha('image.mha', image)
mha('big.mha', scene(512))
with open(f'{folder}/image.nrrd', 'wb') as f:
    f.write(b'NRRD0004\ntype: float\ndimension: 2\nsizes: 64 64\nencoding: raw\nendian: little\n\n')
    f.write(image.tobytes())
mha('truncated.mha', image, payload=image.tobytes()[:8000])
mha('double_header.mha', image, element='MET_DOUBLE')
stream = zlib.compress(image.tobytes())
mha('corrupt_stream.mha', image, compressed=stream[:200] + bytes(60) + stream[260:])
mha('five_channels.mha', np.repeat(image[..., None], 5, axis=2), channels=5)
mha('missing_data_file.mha', image, data_file='no_such_file.raw')
nan = image.copy()
nan[10, 20] = np.nan
mha('nan.mha', nan)
inf = image.copy()
inf[30, 5] = np.inf
mha('inf.mha', inf)
mha('constant.mha', np.full((64, 64), 5, np.float32))
mha('huge_values.mha', (image * 1e36).astype(np.float32))
mha('zeros.mha', np.zeros((64, 64), np.float32))
kernels = rng.normal(0, 1, (2, 5, 5)).astype(np.float32)
mha('dictionary.mha', kernels)
mha('dictionary_huge.mha', (kernels * 1e30).astype(np.float32))
mha('dictionary_nan.mha', np.where(np.arange(50).reshape(2, 5, 5) == 3, np.nan, kernels).astype(np.float32))
mha('weights_extra_axis.mha', np.ones((2, 64, 64), np.float32))
mha('weights_small.mha', np.ones((32, 32), np.float32))
mha('kernel_extra_axis.mha', np.ones((3, 5, 5), np.float32))
with open(f'{folder}/not_an_image.mha', 'w') as f:
    f.write('hello\n')
open(f'{folder}/empty.mha', 'wb').close()
# Multi-layer dictionaries: numpy axes reversed from ITK's [x, y, channel, kernel].
mha('ml_d1.mha', rng.normal(0, 1, (4, 1, 7, 7)).astype(np.float32))
mha('ml_d1_3d.mha', rng.normal(0, 1, (4, 7, 7)).astype(np.float32))
mha('ml_d2.mha', rng.normal(0, 1, (6, 4, 5, 5)).astype(np.float32))
mha('ml_d2_three_channels.mha', rng.normal(0, 1, (6, 3, 5, 5)).astype(np.float32))
# Calcium traces: 20 traces x 200 frames (numpy [time, trace]), spikes through an exponential.
spikes = rng.poisson(0.1, (20, 200)).astype(float)
calcium = np.zeros_like(spikes)
for t in range(200):
    calcium[:, t] = spikes[:, t] + (0.93 * calcium[:, t - 1] if t else 0.0)
traces = calcium + rng.normal(0, 0.2, calcium.shape)
mha('traces.mha', traces.T.astype(np.float32))
mha('traces_3d.mha', traces.T.reshape(200, 4, 5).astype(np.float32))
np.savetxt(f'{folder}/traces.csv', traces, delimiter=',', header='a header row', comments='')
with open(f'{folder}/traces_ragged.csv', 'w') as f:
    f.write('1,2,3\n4,5\n')
with open(f'{folder}/traces_text.csv', 'w') as f:
    f.write('1,2,3\n4,five,6\n')
with open(f'{folder}/responses.csv', 'w') as f:
    f.write('frame,time_s,response_0\n' + ''.join(f'{k},{k / 30},{0.93 ** k}\n' for k in range(30)))

# A calcium movie: 40 x 40 pixels x 80 frames (numpy [time, y, x]), two disk cells firing through
# an exponential decay on a flat background with noise; and a copy with one NaN.
frames = np.arange(80)
movie = np.full((80, 40, 40), 10.0) + rng.normal(0, 0.3, (80, 40, 40))
my, mx = np.mgrid[0:40, 0:40]
for cx, cy, first in ((12, 14, 3), (28, 26, 9)):
    disk = 1.0 / (1.0 + np.exp((np.hypot(mx - cx, my - cy) - 3.0) / 0.7))
    activity = np.zeros(80)
    for t0 in range(first, 80, 13):
        activity[t0:] += np.exp(-(frames[t0:] - t0) / 5.0)
    movie += 10.0 * 0.6 * activity[:, None, None] * disk[None]
mha('movie.mha', movie.astype(np.float32))
movie_nan = movie.copy()
movie_nan[40, 20, 20] = np.nan
mha('movie_nan.mha', movie_nan.astype(np.float32))
