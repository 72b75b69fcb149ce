#!/usr/bin/python3
"""A seamless synthetic star field for streaming checks at sizes the dev split does not have.

  make_star_field.py SHARED_DIR OUT.mha [--size 2048] [--seed 7] [--density-of star_big]

Stars are drawn from a dev image's ground truth (default star_big: its kernels and l2
amplitudes, resampled), at uniform sub-pixel positions, as many per pixel as there; each is its
kernel (unit l2 norm, shifted by cubic splines) times the amplitude, on the dev split's sky
(B0 = 200 plus a few broad Gaussian blobs), with the dev split's noise: Gaussian of variance
read^2 + (sky + stars) / gain (read 7.07, gain 4: sigma 10 on the bare sky). The true list is
written beside the image (OUT_gt.csv: x,y,amp_l2,kernel). Mosaics of a dev image are not used:
their seams (a step in the sky, cut stars) make ill-posed sources on a line through the image.
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
from scipy import ndimage


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('shared_dir')
    ap.add_argument('out')
    ap.add_argument('--size', type=int, default=2048)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--density-of', default='star_big')
    a = ap.parse_args()
    split = os.path.join(a.shared_dir, 'data', 'sl', 'dev')
    sys.path.insert(0, os.path.join(a.shared_dir, 'tools', 'common'))
    try:
        from mha_io import read_mha, write_mha
    except ImportError:
        sys.exit('no tools/common/mha_io.py under %s: give the shared folder (../shared)' % a.shared_dir)
    if a.size < 64:
        sys.exit('--size must be at least 64')
    truth_path = os.path.join(split, a.density_of + '_gt.csv')
    if not os.path.isfile(truth_path) or not os.path.isfile(os.path.join(split, 'kernels.json')):
        sys.exit('no %s or kernels.json in %s: --density-of names a dev image with a truth list' % (truth_path, split))
    kernels_info = json.load(open(os.path.join(split, 'kernels.json')))
    kernels = {}
    for name, info in kernels_info.items():
        k = read_mha(os.path.join(split, info['file']))
        k = np.asarray(k[0] if isinstance(k, tuple) else k, np.float64)
        kernels[name] = k / np.sqrt((k * k).sum())
    truth = list(csv.DictReader(open(truth_path)))
    reference = read_mha(os.path.join(split, a.density_of + '.mha'))
    reference = reference[0] if isinstance(reference, tuple) else reference
    rng = np.random.default_rng(a.seed)
    n = a.size
    count = int(round(len(truth) * n * n / reference.size))
    picks = rng.integers(0, len(truth), count)
    xs, ys = rng.uniform(0, n - 1, count), rng.uniform(0, n - 1, count)
    stars = np.zeros((n, n))
    rows = []
    for i, (x, y) in zip(picks, zip(xs, ys)):
        name, amp = truth[i]['kernel'], float(truth[i]['amp_l2'])
        k = kernels[name]
        h, w = k.shape
        ix, iy = int(np.floor(x)), int(np.floor(y))
        patch = ndimage.shift(k, (y - iy, x - ix), order=3, mode='constant') * amp
        y0, x0 = iy - h // 2, ix - w // 2
        ya, xa = max(0, y0), max(0, x0)
        yb, xb = min(n, y0 + h), min(n, x0 + w)
        stars[ya:yb, xa:xb] += patch[ya - y0:yb - y0, xa - x0:xb - x0]
        rows.append((x, y, amp, name))
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    sky = np.full((n, n), 200.0)
    for _ in range(int(rng.integers(3, 7)) * max(1, n // 512)):
        s = rng.uniform(35, 65) * n / 1024
        sky += 200.0 * rng.uniform(0.3, 2.0) * np.exp(-((xx - rng.uniform(0, n)) ** 2 + (yy - rng.uniform(0, n)) ** 2) / (2 * s * s)) / 4
    variance = 7.0710678 ** 2 + np.maximum(sky + stars, 0) / 4.0
    image = sky + stars + rng.standard_normal((n, n)) * np.sqrt(variance)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    write_mha(a.out, image.astype(np.float32))
    with open(os.path.splitext(a.out)[0] + '_gt.csv', 'w') as f:
        f.write('x,y,amp_l2,kernel\n')
        for x, y, amp, name in rows:
            f.write('%.4f,%.4f,%.4f,%s\n' % (x, y, amp, name))
    print('wrote %s: %dx%d, %d stars' % (a.out, n, n, count))


if __name__ == '__main__':
    main()
