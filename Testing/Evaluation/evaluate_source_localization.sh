#!/usr/bin/env bash
# Runs source localization on every <name>.mha of a split folder laid out like
# ../shared/data/sl/dev and writes OUT_DIR/<name>.csv (x,y,amplitude in the data's pixel
# coordinates), ready for ../shared/tools/score_sl.py.
#
#   Testing/Evaluation/evaluate_source_localization.sh SPLIT_DIR OUT_DIR [--method csc|log]
#
# Stars and spots are told apart by the file name prefix (star_ / spot_); the kernel bank of a
# family is every kernel kernels.json lists for it (SPLIT_DIR/kernels), plus a broad background
# Gaussian. The settings per family below were chosen on the dev split only.
# --method log runs the plain Laplacian-of-Gaussian baseline (LoGSourceDetector) instead.
# The tools are taken from $CSC_BUILD_DIR (default: build/ at the project root).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
split=$(cd "$1" && pwd)
out=$2
method=csc
if [[ $# -ge 4 && $3 == --method ]]; then
  method=$4
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CSC_BUILD_DIR:-$root/build}
localize=$build/Examples/GroupSparseSourceLocalization
log_detector=$build/Examples/LoGSourceDetector
for tool in "$localize" "$log_detector"; do
  [[ -x $tool ]] || { echo "missing $tool: build the project first (bash Testing/run_tests.sh)" >&2; exit 2; }
done
[[ -f $split/kernels.json ]] || { echo "no kernels.json in $split" >&2; exit 2; }
mkdir -p "$out"

# Family settings (chosen on sl/dev).
# lambda in image units against unit-l2 kernels; threshold a signal-to-noise ratio; background
# Gaussian sigma; non-maximum suppression radius; merge factor; deblending contrast (sources fainter
# than this fraction of a brighter one within 4 sizes are dropped; see GroupSparseSourceLocalization --help).
# subpixel: each kernel's group also holds its copies shifted by 1/N pixel steps (1 = none).
# fit: 1 fits the sources (--fit-sources: continuous positions, unshrunk fluxes, a Poisson noise model;
# the threshold is then the fitted SNR, and merging and contrast are the fitter's own tests).
star_lambda=40;  star_threshold=4.5;  star_background=12;  star_radius=1;  star_merge=1.5;  star_contrast=0;    star_subpixel=1;  star_fit=1
spot_lambda=60;  spot_threshold=2.5;  spot_background=12;  spot_radius=2;  spot_merge=2;    spot_contrast=0;    spot_subpixel=1;  spot_fit=0
log_star_sigmas=1,2,3;  log_star_threshold=5
log_spot_sigmas=3,5,7;  log_spot_threshold=2.5

# The kernel description of a family: file:<kernel> per kernel of kernels.json, one group each
# (with its sub-pixel shifted copies when the family's subpixel setting is above 1).
bank() {
  /usr/bin/python3 - "$split" "$1" "$2" <<'PY'
import json, os, sys
split, family, subpixel = sys.argv[1], sys.argv[2], int(sys.argv[3])
kernels = json.load(open(os.path.join(split, 'kernels.json')))
suffix = ';subpixel:%d' % subpixel if subpixel > 1 else ''
terms = ['file:' + os.path.join(split, k['file']) + suffix
         for _, k in sorted(kernels.items(), key=lambda item: item[1]['id']) if k['family'] == family]
print(';'.join(terms))
PY
}
star_bank=$(bank stars "$star_subpixel")
spot_bank=$(bank spots "$spot_subpixel")

shopt -s nullglob
count=0
for image in "$split"/*.mha; do
  name=$(basename "$image" .mha)
  case $name in
    star_*) family=star ;;
    spot_*) family=spot ;;
    *) continue ;;
  esac
  csv=$out/$name.csv
  if [[ $method == log ]]; then
    sigmas=log_${family}_sigmas; threshold=log_${family}_threshold
    "$log_detector" --input "$image" --sigmas "${!sigmas}" --threshold "${!threshold}" --output-sources "$csv.full" > /dev/null
  else
    lambda=${family}_lambda; threshold=${family}_threshold; background=${family}_background; kernels=${family}_bank
    radius=${family}_radius; merge=${family}_merge; contrast=${family}_contrast; fit=${family}_fit
    fitting=()
    [[ ${!fit} == 1 ]] && fitting=(--fit-sources)
    "$localize" --input "$image" --kernels "${!kernels};background:gauss:${!background}" --lambda "${!lambda}" \
      --threshold "${!threshold}" --neighborhood-radius "${!radius}" --merge-radius "${!merge}" --min-contrast "${!contrast}" \
      --kernel-normalization l2 --brightness coefficients "${fitting[@]}" --output-sources "$csv.full" > /dev/null
  fi
  # Keep the columns the scorer reads.
  awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; print "x,y,amplitude"; next }
           { print $col["x"] "," $col["y"] "," $col["amplitude"] }' "$csv.full" > "$csv"
  rm -f "$csv.full"
  count=$((count + 1))
  echo "$name: $(($(wc -l < "$csv") - 1)) sources"
done
[[ $count -gt 0 ]] || { echo "no star_*.mha or spot_*.mha in $split" >&2; exit 2; }
