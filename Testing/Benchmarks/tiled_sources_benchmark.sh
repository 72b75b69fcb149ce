#!/usr/bin/env bash
# Source lists from tiles against the whole image (issue 16; BENCHMARKS.md, "Source lists from
# tiles"): GroupSparseSourceLocalization with the evaluation's star settings on a seamless
# synthetic star field (make_star_field.py), whole and with --tile-size TILE, side by side (one
# thread each), then the lists compared: sources within 0.1 px and 1 px, extra and missing, and
# the differences by distance to the nearest tile border and in units of each source's own position
# uncertainty (sqrt(2) size / SNR, the Cramer-Rao bound of a Gaussian of that RMS radius), and both
# lists against the field's truth (F1 one-to-one within 2 px, position errors).
#   tiled_sources_benchmark.sh BUILD_DIR SHARED_DIR WORK_DIR [SIZE] [TILE] [ITERATIONS]
# Defaults: 2048 (16 tiles of 512), 300 iterations. Long: not part of ctest.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shared=$(cd "$2" && pwd)
work=$3
size=${4:-2048}
tile=${5:-512}
iterations=${6:-300}
here=$(cd "$(dirname "$0")" && pwd)
tool=$build/Examples/GroupSparseSourceLocalization
[[ -x $tool ]] || { echo "missing $tool: build the project first" >&2; exit 2; }
mkdir -p "$work"
image=$work/field$size.mha
/usr/bin/python3 "$here/make_star_field.py" "$shared" "$image" --size "$size"
split=$shared/data/sl/dev
bank=$(/usr/bin/python3 - "$split" <<'PY'
import json, os, sys
split = sys.argv[1]
kernels = json.load(open(os.path.join(split, 'kernels.json')))
print(';'.join('file:' + os.path.join(split, k['file'])
               for _, k in sorted(kernels.items(), key=lambda i: i[1]['id']) if k['family'] == 'stars'))
PY
)
args=(--input "$image" --kernels "$bank;background:gauss:12" --lambda 40 --threshold 4.5 --neighborhood-radius 1
  --merge-radius 1.5 --kernel-normalization l2 --brightness coefficients --fit-sources --max-iterations "$iterations")
export ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1
/usr/bin/time -f "whole: %e s, peak RSS %M KB" -o "$work/whole.time" "$tool" "${args[@]}" \
  --output-sources "$work/whole.csv" --report "$work/whole.json" > "$work/whole.log" 2>&1 &
/usr/bin/time -f "tiles: %e s, peak RSS %M KB" -o "$work/tiles.time" "$tool" "${args[@]}" --tile-size "$tile" \
  --output-sources "$work/tiles.csv" --report "$work/tiles.json" > "$work/tiles.log" 2>&1 &
wait
cat "$work/whole.time" "$work/tiles.time"
/usr/bin/python3 - "$work/whole.csv" "$work/tiles.csv" "$tile" "$size" "${image%.mha}_gt.csv" <<'PY'
import csv, sys
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
load = lambda p, keys: np.array([[float(r[k]) for k in keys] for r in csv.DictReader(open(p))]).reshape(-1, len(keys))
whole, tiles, tile, size = load(sys.argv[1], 'xy'), load(sys.argv[2], 'xy'), int(sys.argv[3]), int(sys.argv[4])
wholeSNR, tilesSNR = load(sys.argv[1], ['size', 'snr']), load(sys.argv[2], ['size', 'snr'])
def matched(a, b, radius, pairs_out=None):
    # One-to-one pairs within radius (minimum total distance among pairs closer than radius).
    pairs = cKDTree(a).query_ball_tree(cKDTree(b), radius)
    rows = sorted({i for i, js in enumerate(pairs) if js})
    cols = sorted({j for js in pairs for j in js})
    if not rows:
        return np.zeros(len(a), bool)
    cost = np.full((len(rows), len(cols)), 1e6)
    ci = {j: c for c, j in enumerate(cols)}
    for r, i in enumerate(rows):
        for j in pairs[i]:
            cost[r, ci[j]] = np.hypot(*(a[i] - b[j]))
    rr, cc = linear_sum_assignment(cost)
    ok = np.zeros(len(a), bool)
    for r, c in zip(rr, cc):
        if cost[r, c] <= radius:
            ok[rows[r]] = True
            if pairs_out is not None:
                pairs_out.append((rows[r], cols[c]))
    return ok
pairs = []
near01, near1 = matched(whole, tiles, 0.1), matched(whole, tiles, 1.0, pairs)
print('whole %d sources, tiles %d; within 0.1 px %d (%.2f %%), within 1 px %d; extra in tiles %d, missing %d'
      % (len(whole), len(tiles), near01.sum(), 100.0 * near01.sum() / len(whole), near1.sum(),
         len(tiles) - matched(tiles, whole, 1.0).sum(), len(whole) - near1.sum()))
inner = [t for t in range(tile, size, tile)]
distance = np.array([min([abs(x - t) for t in inner] + [abs(y - t) for t in inner] + [1e9]) for x, y in whole])
for lo, hi in [(0, 16), (16, 64), (64, 1e9)]:
    m = (distance >= lo) & (distance < hi)
    print('  %g-%g px from a tile border: %d sources, %d not within 0.1 px' % (lo, hi, m.sum(), (m & ~near01).sum()))
# Each shift against the position uncertainty of the source (the larger of its two estimates).
sigma = lambda v: np.sqrt(2.0) * v[:, 0] / np.maximum(v[:, 1], 1e-9)
shifted = [(i, j) for i, j in pairs if not near01[i]]
if shifted:
    i, j = map(np.array, zip(*shifted))
    ratio = np.hypot(*(whole[i] - tiles[j]).T) / np.maximum(sigma(wholeSNR[i]), sigma(tilesSNR[j]))
    print('  shifted by 0.1-1 px: %d, by %.2f-%.2f of their position uncertainty (median %.2f); %d by more than 1'
          % (len(ratio), ratio.min(), ratio.max(), np.median(ratio), (ratio > 1).sum()))
# Both lists against the field's truth: one-to-one within 2 px.
truth = load(sys.argv[5], 'xy')
for name, found in (('whole', whole), ('tiles', tiles)):
    hits = []
    matched(found, truth, 2.0, hits)
    error = np.array([np.hypot(*(found[a] - truth[b])) for a, b in hits])
    precision, recall = len(hits) / max(len(found), 1), len(hits) / max(len(truth), 1)
    print('  %s against the truth: F1 %.4f, error median %.3f px, mean %.3f px' % (
        name, 2 * precision * recall / max(precision + recall, 1e-12), np.median(error), error.mean()))
extra = ~matched(tiles, whole, 1.0)
print('  SNR of the extra: %s; of the missing: %s' % (
    ' '.join('%.1f' % v for v in np.sort(tilesSNR[extra, 1])),
    ' '.join('%.1f' % v for v in np.sort(wholeSNR[~near1, 1]))))
PY
