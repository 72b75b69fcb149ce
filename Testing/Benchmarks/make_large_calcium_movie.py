#!/usr/bin/python3
"""Writes a split folder (like ../shared/data/ca/dev) holding one large calcium movie, seq_00,
made by the shared generator (make_ca_dev.py's make_sequence) with its ground truth, so that
SpaceTimeDeconvolution's time and memory can be measured and its cells scored at a real field
of view: score_ca.py cells --split-dir OUT_DIR --det-dir DETECTIONS.

  make_large_calcium_movie.py SHARED_DIR OUT_DIR [--size 512] [--frames 2000] [--snr-level mid] [--seed 99]

The movie is size x size x frames float32 (512 x 512 x 2000: 2.1 GB); the number of cells grows
with the area as the generator does (about 480 at 512^2).
"""
import argparse
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('shared_dir')
    ap.add_argument('out_dir')
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--frames', type=int, default=2000)
    ap.add_argument('--snr-level', default='mid', choices=['hi', 'mid', 'lo', 'vlo'])
    ap.add_argument('--seed', type=int, default=99)
    a = ap.parse_args()
    tools = os.path.join(a.shared_dir, 'tools')
    if not os.path.isfile(os.path.join(tools, 'make_ca_dev.py')):
        sys.exit('no make_ca_dev.py in %s: give the shared folder (../shared)' % tools)
    if a.size < 32 or a.frames < 100:
        sys.exit('--size must be >= 32 and --frames >= 100')
    sys.path.insert(0, tools)
    import make_ca_dev as generator
    # One split of one movie through the generator's own writer (files, ground truth, manifest).
    generator.SPLITS['large'] = dict(seed=a.seed, seqs=[('seq_00', a.size, a.snr_level)])
    generator.T_SEC = a.frames / float(generator.FPS)
    parent = os.path.dirname(os.path.abspath(a.out_dir))
    written = os.path.join(parent, 'large')  # the generator names the folder after the split
    for folder in {written, os.path.abspath(a.out_dir)}:
        if os.path.exists(folder):
            sys.exit('%s exists: give a new folder (files of another movie would mix in)' % folder)
    os.makedirs(parent, exist_ok=True)
    generator.build_split(parent, 'large', do_traces=False)
    if written != os.path.abspath(a.out_dir):
        os.rename(written, a.out_dir)
    print('wrote', a.out_dir, flush=True)


if __name__ == '__main__':
    main()
