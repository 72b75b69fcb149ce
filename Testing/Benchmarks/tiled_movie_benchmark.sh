#!/usr/bin/env bash
# Space-time deconvolution in tiles against the whole frame (issue 16; BENCHMARKS.md,
# "Space-time deconvolution in tiles"): SpaceTimeDeconvolution with the evaluation's settings
# (evaluate_calcium.sh) on every movie of a calcium split, whole and with --tile-size TILE for
# each halo, then the cells scored against the truth (score_ca.py cells) and the tiled cell lists
# compared with the whole one: cells within 0.5 px and 2 px of a whole-frame cell, extra, missing.
#   tiled_movie_benchmark.sh BUILD_DIR SHARED_DIR SPLIT_DIR WORK_DIR [TILE] [HALOS]
# Defaults: TILE 64, HALOS "1 2 3" (appearance radii). Not part of ctest.
set -euo pipefail
if [[ $# -lt 4 ]]; then
  sed -n '2,8p' "$0" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shared=$(cd "$2" && pwd)
split=$(cd "$3" && pwd)
work=$4
tile=${5:-64}
halos=${6:-1 2 3}
tool=$build/Examples/SpaceTimeDeconvolution
[[ -x $tool ]] || { echo "missing $tool: build the project first" >&2; exit 2; }
compgen -G "$split/seq_*.mha" > /dev/null || { echo "no seq_*.mha movie in $split" >&2; exit 2; }
mkdir -p "$work"
fps=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('fps', 30.0))" \
  "$split/manifest.json" 2>/dev/null || echo 30)
frames=$(/usr/bin/python3 -c "import sys; print(max(2, round(2.0 * float(sys.argv[1]))))" "$fps")

run() { # run NAME [extra arguments]: every movie into $work/NAME
  local name=$1 seconds=0
  shift
  mkdir -p "$work/$name"
  for movie in "$split"/seq_*.mha; do
    local seq
    seq=$(basename "$movie" .mha)
    [[ $seq == *_labels ]] && continue
    "$tool" --input "$movie" --appearances 4 --appearance-size 21 --responses 2 --iterations 3 \
      --response-length "$frames" --frame-rate "$fps" --output-spikes "$work/$name/${seq}_spikes.csv" \
      --output-cells "$work/$name/${seq}_cells.csv" --output-labels "$work/$name/${seq}_labels.mha" \
      --report "$work/$name/${seq}_report.json" "$@" > "$work/$name/$seq.log" 2>&1 ||
      { cat "$work/$name/$seq.log" >&2; exit 1; }
  done
}

run whole
for halo in $halos; do
  run "halo$halo" --tile-size "$tile" --halo "$halo"
done

/usr/bin/python3 - "$shared" "$split" "$work" "$tile" $halos <<'PY'
import csv, glob, json, math, os, subprocess, sys
shared, split, work, tile = sys.argv[1:5]
halos = sys.argv[5:]

def cells(path):
    return [(float(r['x']), float(r['y'])) for r in csv.DictReader(open(path))]

def score(folder):
    out = subprocess.run(['/usr/bin/python3', os.path.join(shared, 'tools', 'score_ca.py'), 'cells',
                          '--split-dir', split, '--det-dir', folder], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout[out.stdout.index('{'):])
    return s['mean_f1'], s['spikes_mean_accuracy']

def seconds(folder):
    return sum(json.load(open(p))['seconds'] for p in glob.glob(os.path.join(folder, '*_report.json')))

whole = os.path.join(work, 'whole')
f1, spikes = score(whole)
print('%-14s cell F1 %.3f  spike accuracy %.3f  %6.1f s' % ('whole', f1, spikes, seconds(whole)))
for halo in halos:
    folder = os.path.join(work, 'halo' + halo)
    near = close = extra = missing = total = 0
    for path in sorted(glob.glob(os.path.join(whole, 'seq_*_cells.csv'))):
        w, t = cells(path), cells(os.path.join(folder, os.path.basename(path)))
        total += len(w)
        for c in t:
            d = min((math.hypot(c[0] - x[0], c[1] - x[1]) for x in w), default=math.inf)
            near += d <= 0.5
            close += d <= 2.0
            extra += d > 2.0
        missing += sum(min((math.hypot(c[0] - x[0], c[1] - x[1]) for x in t), default=math.inf) > 2.0 for c in w)
    f1, spikes = score(folder)
    print('%-14s cell F1 %.3f  spike accuracy %.3f  %6.1f s  against whole: %d/%d within 0.5 px, %d within 2 px, '
          '%d extra, %d missing' % ('tiles %s, halo %s' % (tile, halo), f1, spikes, seconds(folder), near, total,
                                    close, extra, missing))
PY
