#!/usr/bin/env bash
# The main job: installs what is missing, builds, and sparse-codes the shipped Hubble Deep Field
# crop with a generated Gaussian-derivative dictionary. Outputs go to ${OUT_DIR:-output/}.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT_DIR:-$root/output}
bash "$root/.ci/build.sh" --target ConvolutionalSparseCoding
mkdir -p "$out"
"${BUILD_DIR:-$root/build}/Examples/ConvolutionalSparseCoding" \
  --input "$root/Examples/Data/hubble_deep_field_crop.mha" \
  --gaussian-dictionary 1,2,4 --lambda 20 --nonnegative --max-iterations 300 \
  --output-coefficients "$out/hubble_coefficients.mha" \
  --output-reconstruction "$out/hubble_reconstruction.mha" \
  --output-dictionary "$out/gaussian_dictionary.mha" \
  --output-picture "$out/hubble_panel.png" \
  --report "$out/hubble_report.json"
echo "Outputs are in $out"
