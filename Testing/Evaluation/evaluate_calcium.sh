#!/usr/bin/env bash
# Runs sparse temporal deconvolution (STD) on the 1-D traces of a split folder laid out like
# ../shared/data/ca/dev and writes OUT_DIR/spikes_1d.csv (trace,frame,count), ready for
# `../shared/tools/score_ca.py traces --split-dir SPLIT_DIR --est-spikes OUT_DIR/spikes_1d.csv`.
#
#   Testing/Evaluation/evaluate_calcium.sh SPLIT_DIR OUT_DIR
#
# The response is learned (not given); its length is 2 s at the split's frame rate
# (manifest.json fps, default 30), chosen on the dev split. Also written: OUT_DIR/responses_1d.csv,
# OUT_DIR/raster_1d.png and OUT_DIR/report_1d.json.
# The movies (seq_*.mha) are not processed: this build has no space-time filter yet, and the
# script says so instead of writing stand-in cell lists.
# The tools are taken from $CSC_BUILD_DIR (default: build/ at the project root).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,14p' "$0" >&2
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
movies=0
for movie in "$split"/seq_*.mha; do
  [[ $movie == *_labels.mha ]] || movies=$((movies + 1))
done
if [[ $movies -gt 0 ]]; then
  echo "note: $movies movie(s) in $split not processed: the space-time (movie) filter is not built yet" >&2
fi
