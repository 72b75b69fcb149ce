#!/usr/bin/env bash
# End-to-end checks of the source-localization command line, run by ctest:
#   test_source_localization_cli.sh BUILD_DIR SHARED_DIR
# 1. the evaluation script on a two-image split (one star field, fitted; one spot image) laid out
#    like sl/dev, scored by the shared scorer: F1 must reach 0.95 (stars) and 0.85 (spots);
# 2. the CLI's outputs (CSV header, overlay PNG, report) on the star field, with and without
#    source fitting;
# 3. bad input exits 2 or 1 with a message and leaves no output behind.
set -euo pipefail
build=$1
shared=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
dev=$shared/data/sl/dev
[[ -d $dev ]] || { echo "missing $dev: the shared data must sit beside the project" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

split=$work/split
mkdir -p "$split"
ln -s "$dev/kernels" "$dev/kernels.json" "$split/"
for name in star_09 spot_04; do
  ln -s "$dev/$name.mha" "$dev/${name}_gt.csv" "$split/"
done
CSC_BUILD_DIR=$build bash "$root/Testing/Evaluation/evaluate_source_localization.sh" "$split" "$work/det"
for name in star_09:0.95 spot_04:0.85; do
  image=${name%%:*}; floor=${name##*:}
  f1=$(/usr/bin/python3 "$shared/tools/score_sl.py" --gt "$dev/${image}_gt.csv" --det "$work/det/$image.csv" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["f1"])')
  echo "$image F1 $f1 (floor $floor)"
  /usr/bin/python3 -c "import sys; sys.exit(0 if $f1 >= $floor else 1)" || { echo "F1 below $floor" >&2; exit 1; }
done

tool=$build/Examples/GroupSparseSourceLocalization
"$tool" --input "$dev/star_09.mha" --kernels "gauss:1,2;background:gauss:12" --kernel-normalization l2 \
  --lambda 30 --output-sources "$work/s.csv" --output-overlay "$work/s.png" --report "$work/s.json" > /dev/null
head -1 "$work/s.csv" | grep -q '^x,y,physical_x,physical_y,amplitude,group,size,snr$'
[[ $(wc -l < "$work/s.csv") -gt 50 ]]
[[ $(head -c 4 "$work/s.png" | tail -c 3) == PNG ]]
grep -q '"sources":' "$work/s.json"
# Source fitting: fitted noise model in the report, sources with fitted SNR >= the threshold.
"$tool" --input "$dev/star_09.mha" --kernels "gauss:1,2;background:gauss:12" --kernel-normalization l2 \
  --lambda 30 --fit-sources --threshold 6 --output-sources "$work/f.csv" --report "$work/f.json" > /dev/null
grep -q '"fitted_noise_variance"' "$work/f.json"
grep -q '"fit_sources": true' "$work/f.json"
[[ $(wc -l < "$work/f.csv") -gt 50 ]]
awk -F, 'NR > 1 && $8 < 6 { bad = 1 } END { exit bad }' "$work/f.csv"

expect_failure() { # expected exit code, then the command
  local code=$1; shift
  set +e; "$@" > "$work/out.txt" 2>&1; local got=$?; set -e
  [[ $got -eq $code ]] || { echo "expected exit $code, got $got: $*" >&2; cat "$work/out.txt" >&2; exit 1; }
  grep -q 'GroupSparseSourceLocalization: error:' "$work/out.txt"
}
expect_failure 2 "$tool" --input "$work/missing.mha" --kernels gauss:1 --lambda 1 --output-sources "$work/bad.csv"
expect_failure 2 "$tool" --input "$dev/star_09.mha" --kernels gauss:1 --output-sources "$work/bad.csv"
expect_failure 1 "$tool" --input "$dev/star_09.mha" --kernels "blob:3" --lambda 1 --output-sources "$work/bad.csv"
expect_failure 1 "$tool" --input "$dev/star_09.mha" --kernels "gauss:1,2" --groups "0;0,1" --lambda 1 \
  --output-sources "$work/bad.csv"
expect_failure 2 "$tool" --input "$dev/star_09.mha" --kernels gauss:1 --lambda 1 --model-threshold 2 \
  --output-sources "$work/bad.csv"
expect_failure 2 "$tool" --input "$dev/star_09.mha" --kernels gauss:1 --lambda 1 --fit-sources --model-threshold 0 \
  --output-sources "$work/bad.csv"
[[ ! -e $work/bad.csv ]] && ! ls "$work"/bad.partial* > /dev/null 2>&1
echo "source localization CLI: all checks passed"
