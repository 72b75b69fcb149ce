#!/usr/bin/env bash
# DictionaryLearning --mpi benchmark (issue 16; BENCHMARKS.md, "MPI: dictionary learning"): the
# wall time of one process against 2 ranks, one thread each, interleaved over ROUNDS rounds, on
# two cases:
#   sporco: SPORCO's 5 training images (256 x 256), K = 32 kernels of 8 x 8, 20 iterations;
#   many:   32 crops of 128 x 128 from barbara_hp_full, K = 16 kernels of 8 x 8, 20 iterations.
# Also the distributed update on one rank (its K x K solves against the one process's I x I ones)
# and the bytes each rank handed to MPI (the report's mpi.collective_bytes).
#   mpi_learning_benchmark.sh BUILD_DIR SHARED_DIR WORK_DIR [ROUNDS]
set -euo pipefail
build=$(cd "$1" && pwd)
shared=$(cd "$2" && pwd)
work=$3
rounds=${4:-2}
mkdir -p "$work"
dl=$build/Examples/DictionaryLearning
[[ -x $dl ]] || { echo "missing $dl: build the project first" >&2; exit 2; }
mpi=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader -x ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1)
export ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1

/usr/bin/python3 - "$shared/cases/barbara_hp_full.mha" "$work/many.mha" <<'PY'
import sys
import zlib
import numpy as np
raw = open(sys.argv[1], 'rb').read()
marker = b'ElementDataFile = LOCAL\n'
i = raw.index(marker) + len(marker)
header = raw[:i].decode()
body = zlib.decompress(raw[i:]) if 'CompressedData = True' in header else raw[i:]
nx, ny = [int(v) for v in [l for l in header.splitlines() if l.startswith('DimSize')][0].split('=')[1].split()]
image = np.frombuffer(body, dtype=np.float32).reshape(ny, nx)
crops = [image[y:y + 128, x:x + 128] for y in range(0, ny - 127, 112) for x in range(0, nx - 127, 72)][:32]
assert len(crops) == 32, len(crops)
with open(sys.argv[2], 'wb') as f:
    f.write(('ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n'
             'CompressedData = False\nDimSize = 128 128 32\nElementType = MET_FLOAT\n'
             'ElementDataFile = LOCAL\n').encode())
    np.stack(crops).astype(np.float32).tofile(f)
PY

seconds() { /usr/bin/python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['learning_seconds'])" "$1"; }
run_case() {
  local name=$1; shift
  local args=("$dl" "$@" --iterations 20 --lambda 0.1 --zero-mean --kernel-size 8,8)
  for round in $(seq "$rounds"); do
    "${args[@]}" --output-dictionary "$work/$name-one.mha" --report "$work/$name-one.json" > /dev/null
    "${mpi[@]}" -np 1 "${args[@]}" --mpi --output-dictionary "$work/$name-r1.mha" --report "$work/$name-r1.json" > /dev/null
    "${mpi[@]}" -np 2 "${args[@]}" --mpi --output-dictionary "$work/$name-r2.mha" --report "$work/$name-r2.json" > /dev/null
    echo "$name round $round: 1 process $(seconds "$work/$name-one.json") s, 1 rank --mpi" \
      "$(seconds "$work/$name-r1.json") s, 2 ranks --mpi $(seconds "$work/$name-r2.json") s"
  done
  /usr/bin/python3 - "$work/$name" <<'PY'
import json, sys
import numpy as np
base = sys.argv[1]
def read(path):
    raw = open(path, 'rb').read()
    marker = b'ElementDataFile = LOCAL\n'
    return np.frombuffer(raw[raw.index(marker) + len(marker):], dtype=np.float32)
r2 = json.load(open(base + '-r2.json'))
print('  max |d(1 process) - d(2 ranks)| = %.2e; objectives %.9g and %.9g; %d bytes to MPI per rank'
      % (np.abs(read(base + '-one.mha') - read(base + '-r2.mha')).max(),
         json.load(open(base + '-one.json'))['objective'], r2['objective'], r2['mpi']['collective_bytes']))
PY
}
run_case sporco --input "$shared/cases/dl_train_hp.mha" --kernels 32
run_case many --input "$work/many.mha" --kernels 16
