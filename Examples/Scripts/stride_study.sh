#!/usr/bin/env bash
# The stride study of deconvolutional networks (Schultz, Paiton, Lu and Kenyon, "Replicating
# kernels with a short stride allows sparse reconstructions with fewer independent kernels",
# arXiv:1406.4205), reproduced with DictionaryLearning (LCA coding, strides) and
# ConvolutionalSparseCoding:
#   1. 32 kernels at strides 1, 2, 4, 8, 16;
#   2. 2x overcompleteness: 2, 8, 32, 128, 512 kernels at strides 1, 2, 4, 8, 16;
#   3. patch sizes 8, 16, 32 at stride 4 with 32 kernels.
# Kernels are 16x16 (15x15 at stride 1, as the paper), learned with LCA at lambda 0.05 (15 outer
# iterations of 20 LCA steps per image, continuing the state) on the
# top-left 128x128 crops of the five high-pass training images (../shared/cases/dl_train_hp.mha),
# then each dictionary codes a held-out crop (the bottom-right 128x128 of images 1 and 4) with
# LCA at lambda 0.025, 0.05, 0.075, 0.1: % inactive coefficients and % error ||s - Ax|| / ||s||.
#
#   stride_study.sh [OUT_DIR]        (default output/stride_study; ITERATIONS=N outer iterations)
#
# Writes results.csv, results.md (tables and the two findings), scatter_*.png (error against
# sparsity, coloured by stride: the paper's Figs. 5, 8, 11) and a kernel mosaic per run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/output/stride_study}
shared=${CSC_SHARED_DIR:-$root/../shared}
build=${BUILD_DIR:-$root/build}
iterations=${ITERATIONS:-15}
python=/usr/bin/python3
[ -f "$shared/cases/dl_train_hp.mha" ] || { echo "missing $shared/cases/dl_train_hp.mha" >&2; exit 1; }
bash "$root/.ci/build.sh" --target DictionaryLearning ConvolutionalSparseCoding > /dev/null
if ! "$python" -c "import matplotlib" 2> /dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-matplotlib
fi
mkdir -p "$out/runs"
start=$(date +%s)
"$python" "$root/Examples/Scripts/stride_study.py" crops "$shared/cases/dl_train_hp.mha" "$out"

# run K STRIDE PATCH: learns, then codes the held-out crops at the four lambdas (a run shared by
# two experiments is made once).
run() {
  local K=$1 F=$2 P=$3
  local name=K${K}_F${F}_P${P} dir=$out/runs/K${K}_F${F}_P${P}
  mkdir -p "$dir"
  local t0=$(date +%s)
  if [ -f "$dir/coding_0.1_4.json" ]; then
    return
  fi
  if [ ! -f "$dir/dictionary.mha" ]; then
    "$build/Examples/DictionaryLearning" --input "$out/train.mha" --kernels "$K" --kernel-size "$P,$P" \
      --lambda 0.05 --solver lca --coding-iterations 20 --stride "$F" --iterations "$iterations" --zero-mean \
      --seed 1 --output-dictionary "$dir/dictionary.mha" --output-mosaic "$dir/mosaic.png" \
      --report "$dir/learning.json" > "$dir/learning.log" 2>&1 || {
      cat "$dir/learning.log" >&2
      exit 1
    }
  fi
  for lambda in 0.025 0.05 0.075 0.1; do
    for test in 1 4; do
      "$build/Examples/ConvolutionalSparseCoding" --input "$out/test$test.mha" --dictionary "$dir/dictionary.mha" \
        --lambda "$lambda" --solver lca --stride "$F" --max-iterations 300 --tolerance 1e-4 \
        --output-coefficients "$dir/x.mha" --report "$dir/coding_${lambda}_$test.json" > /dev/null 2>&1 || {
        echo "coding failed: $name lambda $lambda" >&2
        exit 1
      }
    done
  done
  rm -f "$dir/x.mha"
  echo "$name: $(($(date +%s) - t0)) s"
}

for F in 1 2 4 8 16; do
  P=16
  [ "$F" = 1 ] && P=15
  run 32 "$F" "$P"
  run $((2 * F * F)) "$F" "$P"
done
for P in 8 16 32; do
  run 32 4 "$P"
done
"$python" "$root/Examples/Scripts/stride_study.py" analyse "$out"
echo "stride study: $(($(date +%s) - start)) s; results in $out/results.md"
