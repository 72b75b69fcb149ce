#!/usr/bin/env bash
# Space-time deconvolution at a real field of view (issue 14; BENCHMARKS.md, "Calcium imaging"):
# time, peak resident memory against the movie's size, and the cells scored against the
# generator's ground truth.
#   calcium_movie_benchmark.sh BUILD_DIR SHARED_DIR WORK_DIR [SIZE] [FRAMES] [CELLS] [TOOL OPTIONS...]
# Writes WORK_DIR/movie (a split folder: seq_00.mha, SIZE x SIZE x FRAMES float, default
# 512 x 512 x 2000 = 2.1 GB, made by the shared generator with its ground truth), runs
# SpaceTimeDeconvolution on it (K = CELLS, default 600; J = L = 2; 60-frame responses) under
# /usr/bin/time, and scores the cells with ../shared/tools/score_ca.py. Options after CELLS go to
# the tool (e.g. --tile-size 256). A movie already made at that size is reused. Long: not part
# of ctest.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shared=$(cd "$2" && pwd)
work=$3
size=${4:-512}
frames=${5:-2000}
cells=${6:-600}
shift $(($# < 6 ? $# : 6))
options=("$@")
here=$(cd "$(dirname "$0")" && pwd)
tool=$build/Examples/SpaceTimeDeconvolution
[[ -x $tool ]] || { echo "missing $tool: build the project first" >&2; exit 2; }
mkdir -p "$work"
rm -rf "$work/out"
if [[ ! -f $work/movie/.made-${size}x$frames ]]; then
  rm -rf "$work/movie"
  /usr/bin/python3 "$here/make_large_calcium_movie.py" "$shared" "$work/movie" --size "$size" --frames "$frames"
  touch "$work/movie/.made-${size}x$frames"
fi
mkdir -p "$work/out"
movie_bytes=$(stat -c %s "$work/movie/seq_00.mha")
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$tool" --input "$work/movie/seq_00.mha" --cells "$cells" \
  --appearances 2 --responses 2 --response-length 60 \
  --output-spikes "$work/out/seq_00_spikes.csv" --output-cells "$work/out/seq_00_cells.csv" \
  --output-labels "$work/out/seq_00_labels.mha" --report "$work/out/seq_00_report.json" ${options[@]+"${options[@]}"}
read -r seconds kib < "$work/time.txt"
/usr/bin/python3 "$shared/tools/score_ca.py" cells --split-dir "$work/movie" --det-dir "$work/out" \
  --out "$work/scores.json" > "$work/score.log"
echo "options: ${options[*]-none}"
/usr/bin/python3 - "$work/scores.json" "$seconds" "$kib" "$movie_bytes" "$size" "$frames" <<'PY'
import json, sys
scores, seconds, kib, movie, size, frames = sys.argv[1:]
s = json.load(open(scores))
seq = s['per_sequence']['seq_00']
rss = float(kib) * 1024
print('movie %sx%sx%s: %.1f s, peak RSS %.2f GB = %.2fx the movie (%.2f GB)'
      % (size, size, frames, float(seconds), rss / 1e9, rss / float(movie), float(movie) / 1e9))
print('cells: %d true, %d found, F1 %.3f, centre RMSE %.2f px, mean IoU %.3f; spikes over matched cells: '
      'mean accuracy %.3f' % (seq['n_true'], seq['n_det'], seq['f1'], seq['center_rmse'], seq['mean_iou'],
                              seq['spikes_matched']['mean_accuracy']))
PY
