#!/usr/bin/env bash
# Streaming benchmark (issue 16; BENCHMARKS.md, "Streaming"): peak memory and time of a tiled run
# of ConvolutionalSparseCoding on a large image, and the overhead of tiling at a size that fits.
#   streaming_benchmark.sh BUILD_DIR WORK_DIR [SIZE] [TILE] [ITERATIONS]
# Makes a SIZE x SIZE float image (default 16384: 1 GiB) of Gaussian blobs on noise in WORK_DIR,
# codes it with 8 kernels (--gaussian-dictionary 1,2) tile by tile (TILE, default 1024; or
# budget:MIB, tiles the tool chooses for --memory-budget MIB), and
# reports seconds and peak resident memory (from /usr/bin/time). Then, at 2048 x 2048, the whole
# image beside the same image in 16 tiles. Long: not part of ctest.
set -euo pipefail
build=$(cd "$1" && pwd)
work=$2
size=${3:-16384}
tile=${4:-1024}
iterations=${5:-20}
mkdir -p "$work"
csc=$build/Examples/ConvolutionalSparseCoding
[[ -x $csc ]] || { echo "missing $csc: build the project first" >&2; exit 2; }

make_image() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(16)
header = ('ObjectType = Image\nNDims = 2\nBinaryData = True\nBinaryDataByteOrderMSB = False\n'
          'CompressedData = False\nOffset = 0 0\nElementSpacing = 1 1\nDimSize = %d %d\n'
          'ElementType = MET_FLOAT\nElementDataFile = LOCAL\n' % (n, n))
# Rows in bands of 256 so the generator holds a band, not the image: noise plus Gaussian blobs
# (sigma 1.5, one per 400 pixels) placed within the band.
yy, xx = np.mgrid[-6:7, -6:7]
blob = np.exp(-(xx ** 2 + yy ** 2) / (2 * 1.5 ** 2)).astype(np.float32)
with open(path, 'wb') as f:
    f.write(header.encode())
    for top in range(0, n, 256):
        band = rng.normal(0, 0.1, (256 + 12, n + 12)).astype(np.float32)
        for _ in range(256 * n // 400):
            y, x = rng.integers(0, 256), rng.integers(0, n)
            band[y:y + 13, x:x + 13] += rng.uniform(1, 5) * blob
        band[6:-6, 6:-6].tofile(f)
PY
}

run() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$csc" "$@" > "$work/$name.log"
  read -r seconds kilobytes < "$work/$name.time"
  printf '%-28s %9.1f s  peak RSS %7.0f MiB\n' "$name" "$seconds" "$((kilobytes / 1024))"
}

common=(--gaussian-dictionary 1,2 --lambda 0.5 --boundary zeropadded --max-iterations "$iterations" --tolerance 0)
[[ -s $work/large.mha ]] || make_image "$work/large.mha" "$size"
echo "image ${size}x${size} ($(du -m "$work/large.mha" | cut -f1) MiB), 8 kernels 13x13, $iterations ADMM iterations, $(nproc) cores"
if [[ $tile == budget:* ]]; then
  tiling=(--memory-budget "${tile#budget:}" --report "$work/large_report.json")
else
  tiling=(--tile-size "$tile")
fi
run "tiles-$tile" --input "$work/large.mha" "${common[@]}" "${tiling[@]}" \
  --output-coefficients "$work/large_x.mha" --output-reconstruction "$work/large_r.mha"
rm -f "$work/large_x.mha" "$work/large_r.mha"

# The overhead of tiling where the whole image fits.
[[ -s $work/fits.mha ]] || make_image "$work/fits.mha" 2048
run whole-2048 --input "$work/fits.mha" "${common[@]}" --output-coefficients "$work/fits_x.mha"
run tiles-512-of-2048 --input "$work/fits.mha" "${common[@]}" --tile-size 512 --output-coefficients "$work/fits_xt.mha"
rm -f "$work/fits_x.mha" "$work/fits_xt.mha"
