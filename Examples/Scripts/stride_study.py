"""The stride study's data preparation and analysis (see stride_study.sh).

    stride_study.py crops TRAINING_STACK.mha OUT_DIR   training and held-out crops
    stride_study.py analyse OUT_DIR                    results.csv, results.md, scatter_*.png
"""
import glob
import json
import os
import re
import sys

import numpy as np

LAMBDAS = (0.025, 0.05, 0.075, 0.1)
TESTS = (1, 4)
CROP = 128


def read_mha(path):
    """An uncompressed float MetaImage with its data in the file: (array, dims)."""
    with open(path, 'rb') as f:
        raw = f.read()
    end = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    header = dict(line.split(' = ', 1) for line in raw[:end].decode().splitlines() if ' = ' in line)
    if header.get('CompressedData', 'False') == 'True' or header['ElementType'] != 'MET_FLOAT':
        raise SystemExit(f'{path}: an uncompressed MET_FLOAT MetaImage is needed')
    dims = [int(v) for v in header['DimSize'].split()]
    return np.frombuffer(raw[end:], np.float32).reshape(dims[::-1]), dims


def write_mha(path, array):
    dims = list(array.shape[::-1])
    header = (f'ObjectType = Image\nNDims = {len(dims)}\nDimSize = {" ".join(map(str, dims))}\n'
              'ElementType = MET_FLOAT\nElementDataFile = LOCAL\n')
    with open(path, 'wb') as f:
        f.write(header.encode())
        f.write(np.ascontiguousarray(array, np.float32).tobytes())


def crops(stack_path, out):
    stack, dims = read_mha(stack_path)  # [image, y, x]
    if len(dims) != 3 or dims[0] < 2 * CROP or dims[1] < 2 * CROP:
        raise SystemExit(f'{stack_path}: a stack of images of at least {2 * CROP}^2 is needed')
    write_mha(f'{out}/train.mha', stack[:, :CROP, :CROP])
    for t in TESTS:
        write_mha(f'{out}/test{t}.mha', stack[t, -CROP:, -CROP:])


def support_radius(kernel, fraction=0.9):
    """The radius around the kernel's energy centre that holds \\c fraction of its energy."""
    energy = kernel.astype(np.float64) ** 2
    total = energy.sum()
    if total == 0:
        return 0.0
    y, x = np.mgrid[0:kernel.shape[0], 0:kernel.shape[1]]
    cy, cx = (energy * y).sum() / total, (energy * x).sum() / total
    r = np.hypot(y - cy, x - cx).ravel()
    order = np.argsort(r)
    cumulative = np.cumsum(energy.ravel()[order]) / total
    return float(r[order][np.searchsorted(cumulative, fraction)])


def load_runs(out):
    runs = []
    for folder in sorted(glob.glob(f'{out}/runs/K*_F*_P*')):
        K, F, P = (int(v) for v in re.match(r'K(\d+)_F(\d+)_P(\d+)', os.path.basename(folder)).groups())
        learning = json.load(open(f'{folder}/learning.json'))
        kernels, _ = read_mha(f'{folder}/dictionary.mha')
        radii = [support_radius(k) for k in kernels]
        points = []
        for lam in LAMBDAS:
            reports = [json.load(open(f'{folder}/coding_{lam}_{t}.json')) for t in TESTS]
            inactive = np.mean([r['inactive_fraction'] for r in reports])
            error = np.mean([r['relative_error'] for r in reports])
            points.append((lam, 100 * inactive, 100 * error))
        runs.append(dict(K=K, F=F, P=P, points=points, radius=float(np.median(radii)),
                         seconds=learning.get('seconds', learning.get('learning_seconds', float('nan'))),
                         folder=os.path.basename(folder)))
    return runs


def experiments(runs):
    find = {(r['K'], r['F'], r['P']): r for r in runs}
    patch = lambda F: 15 if F == 1 else 16
    return {
        '1: 32 kernels, strides 1-16': [find.get((32, F, patch(F))) for F in (1, 2, 4, 8, 16)],
        '2: 2x overcompleteness (K = 2 F^2)': [find.get((2 * F * F, F, patch(F))) for F in (1, 2, 4, 8, 16)],
        '3: patch sizes at stride 4, 32 kernels': [find.get((32, 4, P)) for P in (8, 16, 32)],
    }


def scatter(path, title, runs):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(runs)))
    for run, colour in zip(runs, colours):
        inactive = [p[1] for p in run['points']]
        error = [p[2] for p in run['points']]
        ax.plot(inactive, error, 'o-', color=colour,
                label=f"stride {run['F']}, K {run['K']}, {run['P']}x{run['P']}")
    ax.set_xlabel('% inactive coefficients')
    ax.set_ylabel('% error ||s - Ax|| / ||s||')
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def analyse(out):
    runs = load_runs(out)
    with open(f'{out}/results.csv', 'w') as f:
        f.write('kernels,stride,patch,overcompleteness,lambda,inactive_percent,error_percent,support_radius90\n')
        for r in runs:
            for lam, inactive, error in r['points']:
                f.write(f"{r['K']},{r['F']},{r['P']},{r['K'] / r['F'] ** 2:g},{lam},{inactive:.3f},{error:.3f},"
                        f"{r['radius']:.2f}\n")
    lines = ['# Stride study (deconvolutional networks, arXiv:1406.4205), reproduced', '',
             f'Training: top-left {CROP}x{CROP} crops of the five images of `dl_train_hp.mha`; '
             f'held-out: bottom-right crops of images {TESTS}. LCA at lambda 0.05 for learning; '
             'the columns are the means over the held-out crops of LCA codes at each lambda.', '']
    groups = experiments(runs)
    for index, (title, members) in enumerate(groups.items(), start=1):
        members = [m for m in members if m is not None]
        lines += [f'## Experiment {title}', '', f'![scatter](scatter_{index}.png)', '',
                  '| stride | K | patch | K/F^2 | lambda | % inactive | % error | 90 % energy radius | mosaic |',
                  '|---|---|---|---|---|---|---|---|---|']
        for r in members:
            for lam, inactive, error in r['points']:
                lines.append(f"| {r['F']} | {r['K']} | {r['P']} | {r['K'] / r['F'] ** 2:g} | {lam} | {inactive:.2f} | "
                             f"{error:.2f} | {r['radius']:.2f} | [png](runs/{r['folder']}/mosaic.png) |")
        lines.append('')
        scatter(f'{out}/scatter_{index}.png', f'Experiment {title}', members)
    lines += findings(groups)
    with open(f'{out}/results.md', 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines[-12:]))


def findings(groups):
    """The paper's two claims, judged from the numbers."""
    lines = ['## Findings', '']
    over = [m for m in list(groups.values())[1] if m is not None]
    if len(over) == 5:
        wide = over[-1]
        text = []
        holds = True
        for short in over[:2]:
            for (lam, a_in, a_err), (_, b_in, b_err) in zip(short['points'], wide['points']):
                # "Approach": no more than 10 % more error at no lower sparsity, or the reverse trade.
                ok = (a_err <= 1.1 * b_err and a_in >= b_in - 2.0) or (a_err <= b_err and a_in >= b_in - 5.0)
                holds = holds and ok
            text.append(f"stride {short['F']} with {short['K']} kernels: error " +
                        ', '.join(f'{p[2]:.1f}' for p in short['points']) + ' %, inactive ' +
                        ', '.join(f'{p[1]:.1f}' for p in short['points']) + ' %')
        text.append(f"stride 16 with 512 kernels: error " + ', '.join(f'{p[2]:.1f}' for p in wide['points']) +
                    ' %, inactive ' + ', '.join(f'{p[1]:.1f}' for p in wide['points']) + ' %')
        lines += [f"(a) With 2x overcompleteness, strides 1-2 with 2-8 kernels approach 512 non-overlapping "
                  f"kernels: **{'holds' if holds else 'does not hold'} here** (at lambda "
                  f"{', '.join(map(str, LAMBDAS))}; 'approach' = at most 10 % more relative error at no lower "
                  'sparsity, point by point).', ''] + [f'- {t}' for t in text] + ['']
    patches = [m for m in list(groups.values())[2] if m is not None]
    if len(patches) == 3:
        radii = [p['radius'] for p in patches]
        holds = abs(radii[2] - radii[1]) <= 0.2 * radii[1]
        lines += [f"(b) Learned kernels keep a natural support independent of the patch size: "
                  f"**{'holds' if holds else 'does not hold'} here** between 16x16 and 32x32 (median radius "
                  f"holding 90 % of a kernel's energy: " +
                  ', '.join(f"{p['P']}x{p['P']} {p['radius']:.2f} px" for p in patches) +
                  '; 8x8 patches cannot hold a support wider than 4 px). A radius near half the patch means the '
                  'kernels fill their patch: look at the mosaics.', '']
    return lines


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'crops':
        crops(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'analyse':
        analyse(sys.argv[2])
    else:
        raise SystemExit(__doc__)
