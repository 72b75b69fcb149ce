#!/usr/bin/env bash
# Runs the calcium evaluation on a split folder laid out like ../shared/data/ca/dev:
# - sparse temporal deconvolution (STD) of traces_1d.mha -> OUT_DIR/spikes_1d.csv (trace,frame,count)
#   (also responses_1d.csv, raster_1d.png, report_1d.json);
# - sparse space-time deconvolution of every movie seq_*.mha -> OUT_DIR/<name>_cells.csv (id,x,y,...),
#   OUT_DIR/<name>_labels.mha, OUT_DIR/<name>_spikes.csv (cell_id,frame,count,...)
#   (also <name>_overlay.png, <name>_report.json).
# Score with ../shared/tools/score_ca.py traces --split-dir SPLIT_DIR --est-spikes OUT_DIR/spikes_1d.csv
# and score_ca.py cells --split-dir SPLIT_DIR --det-dir OUT_DIR.
#
#   Testing/Evaluation/evaluate_calcium.sh SPLIT_DIR OUT_DIR
#
# Settings chosen on the dev split: responses learned (not given), 2 s long at the split's frame
# rate (manifest.json fps, default 30); movies with J = 4 appearances of 21 pixels, L = 2
# responses, 3 outer iterations, the filter's defaults otherwise (K = 50 at most, significance 7).
# The number of cells is not given: the significance test decides it.
# The tools are taken from $CSC_BUILD_DIR (default: build/ at the project root).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,20p' "$0" >&2
  exit 2
fi
split=$(cd "$1" && pwd)
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CSC_BUILD_DIR:-$root/build}
deconvolve=$build/Examples/SpaceTimeDeconvolution
[[ -x $deconvolve ]] || { echo "missing $deconvolve: build the project first (bash Testing/run_tests.sh)" >&2; exit 2; }
[[ -f $split/traces_1d.mha ]] || { echo "no traces_1d.mha in $split" >&2; exit 2; }
mkdir -p "$out"

fps=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('fps', 30.0))" \
  "$split/manifest.json" 2>/dev/null || echo 30)
response_seconds=2.0
frames=$(/usr/bin/python3 -c "import sys; print(max(2, round(float(sys.argv[1]) * float(sys.argv[2]))))" \
  "$fps" "$response_seconds")

"$deconvolve" --input-traces "$split/traces_1d.mha" --response-length "$frames" --frame-rate "$fps" \
  --output-spikes "$out/spikes_1d.csv" --output-responses "$out/responses_1d.csv" \
  --output-raster "$out/raster_1d.png" --report "$out/report_1d.json"

shopt -s nullglob
for movie in "$split"/seq_*.mha; do
  name=$(basename "$movie" .mha)
  [[ $name == *_labels ]] && continue
  echo "== $name" >&2
  "$deconvolve" --input "$movie" --appearances 4 --appearance-size 21 --responses 2 --iterations 3 \
    --response-length "$frames" --frame-rate "$fps" \
    --output-spikes "$out/${name}_spikes.csv" --output-cells "$out/${name}_cells.csv" \
    --output-labels "$out/${name}_labels.mha" --output-overlay "$out/${name}_overlay.png" \
    --report "$out/${name}_report.json"
done
