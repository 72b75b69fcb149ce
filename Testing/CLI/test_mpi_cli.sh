#!/usr/bin/env bash
# The tools' --mpi mode on localhost, run by ctest: mpirun -np 2 gives the files and the source
# list of one process over the same tiles (each tile is the same solve: equal up to the rounding
# of FFTW plans measured in another process, bit for bit on a quiet machine), with --tile-size and
# with one slab per rank; --mpi-global on 2 and 3 ranks solves one problem over the slabs (one
# process's objective, to 1e-4); DictionaryLearning --mpi on 2 ranks learns the dictionary of one process
# (to float rounding) and hands MPI the bytes README's formula counts; errors stop every rank and
# leave nothing.
#   test_mpi_cli.sh BUILD_DIR SHARED_DIR
# Skips (exit 0, saying why) only where the tools were built without MPI.
set -uo pipefail
build=$(cd "$1" && pwd)
bin=$build/Examples
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CSC=$bin/ConvolutionalSparseCoding
GSSL=$bin/GroupSparseSourceLocalization
DL=$bin/DictionaryLearning
stack=${2:-}/cases/dl_train_hp.mha
[[ -f $stack ]] || { echo "missing $stack: give the shared data folder (beside the project) as the second argument" >&2; exit 1; }
if ! grep -q CSC_WITH_MPI "$build/Examples/CMakeFiles/ConvolutionalSparseCoding.dir/flags.make" 2>/dev/null; then
  echo "SKIPPED: the tools were built without MPI (install libopenmpi-dev, configure with -DCSC_USE_MPI=ON)"
  exit 0
fi
command -v mpirun > /dev/null || { echo "the tools have MPI but mpirun is missing (install openmpi-bin)" >&2; exit 1; }
# Root in containers and more ranks than cores need these; a bare localhost needs no network.
mpi=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader)
export OMPI_MCA_rmaps_base_oversubscribe=1
failures=0
fail() {
  echo "FAIL [$1]: $2" >&2
  [[ -f $work/err ]] && sed 's/^/    stderr: /' "$work/err" | tail -5 >&2
  failures=$((failures + 1))
}

mkdir -p "$work/data"
"$python" "$(dirname "$0")/make_robustness_inputs.py" "$work/data" > /dev/null || { echo "cannot make inputs" >&2; exit 1; }
img=$work/data/big.mha # 512 x 512
cd "$work"

# Coding: 16 tiles on 1 process, the same tiles on 2 ranks; then one slab per rank.
csc=("$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 0.1 --boundary zeropadded --max-iterations 30)
"${csc[@]}" --tile-size 128 --output-coefficients x1.mha --output-reconstruction r1.mha > out 2> err || fail csc-one "exit $?"
"${mpi[@]}" -np 2 "${csc[@]}" --tile-size 128 --mpi --output-coefficients x2.mha --output-reconstruction r2.mha \
  --report j2.json > out 2> err || fail csc-mpi "exit $?"
same() { # same A B: equal images up to float rounding (1e-5 of the largest value)
  "$python" - "$1" "$2" <<'PY'
import sys
import numpy as np
def mha(path):
    raw = open(path, 'rb').read()
    start = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    return raw[:start], np.frombuffer(raw[start:], dtype=np.float32)
(ha, a), (hb, b) = mha(sys.argv[1]), mha(sys.argv[2])
assert ha == hb and a.shape == b.shape
# 1e-5 on a quiet machine; a busy one measures other FFTW plans in each process (1.0006e-5 seen).
assert np.abs(a - b).max() <= 3e-5 * np.abs(a).max(), np.abs(a - b).max() / np.abs(a).max()
PY
}
same x1.mha x2.mha || fail csc-mpi "the coefficients of 2 ranks differ from 1 process's"
same r1.mha r2.mha || fail csc-mpi "the reconstruction of 2 ranks differs from 1 process's"
[[ $("$python" -c "import json; print(json.load(open('j2.json'))['tiling']['ranks'])") == 2 ]] || fail csc-mpi "report ranks"
"${mpi[@]}" -np 2 "${csc[@]}" --mpi --output-coefficients xs.mha --output-reconstruction rs.mha > out 2> err || fail csc-mpi-slabs "exit $?"
"${csc[@]}" --tile-size 512 --output-coefficients xw.mha --output-reconstruction rw.mha > out 2> err || fail csc-whole-tile "exit $?"
# One slab per rank is a 512 x 256 tile grown by its halo: its model is close to the whole image's
# (30 iterations: the solves themselves are not converged).
"$python" - <<'PY' || fail csc-mpi-slabs "slabs differ from the whole image"
import numpy as np
def mha(path):
    raw = open(path, 'rb').read()
    start = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    return np.frombuffer(raw[start:], dtype=np.float32)
assert mha('xs.mha').shape == mha('xw.mha').shape
a, b = mha('rs.mha'), mha('rw.mha')
assert np.abs(a - b).max() <= 0.02 * np.abs(b).max(), np.abs(a - b).max() / np.abs(b).max()
PY

# One problem over the ranks' slabs (--mpi-global, halos exchanged every iteration): the objective
# and the coefficients of one process on the whole image, with 2 and 3 ranks.
global=("$CSC" --input "$work/data/image.mha" --dictionary "$work/data/dictionary.mha" --lambda 0.1
  --boundary zeropadded --solver fista --max-iterations 1000 --tolerance 0 --halo 2)
"${global[@]}" --output-coefficients g1.mha --output-reconstruction r1.mha --report g1.json > out 2> err ||
  fail mpi-global-one "exit $?"
for ranks in 2 3; do
  "${mpi[@]}" -np $ranks "${global[@]}" --mpi --mpi-global --output-coefficients g$ranks.mha \
    --output-reconstruction r$ranks.mha --report g$ranks.json > out 2> err || fail "mpi-global-$ranks" "exit $?"
  "$python" - $ranks <<'PY' || fail "mpi-global-$ranks" "another solution than one process's"
import json, sys
import numpy as np
def mha(path):
    raw = open(path, 'rb').read()
    start = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    return np.frombuffer(raw[start:], dtype=np.float32)
ranks = sys.argv[1]
one, many = json.load(open('g1.json')), json.load(open('g%s.json' % ranks))
a, b = mha('g1.mha'), mha('g%s.mha' % ranks)
ra, rb = mha('r1.mha'), mha('r%s.mha' % ranks)
relative = abs(one['objective'] - many['objective']) / one['objective']
coefficients = np.linalg.norm(a - b) / np.linalg.norm(a)
model = np.abs(ra - rb).max() / np.abs(ra).max()
print('--mpi-global on %s ranks: objective %.9g vs %.9g (relative %.1e); coefficients %.1e (relative L2), '
      'model %.1e (max, of the largest value)' % (ranks, many['objective'], one['objective'], relative,
                                                   coefficients, model))
assert many['tiling']['mpi_global'] and many['tiling']['ranks'] == int(ranks)
assert many['iterations'] == one['iterations'] == 1000
assert relative <= 1e-4, relative
# The ranks step by the largest slab's estimate of L, one process by the whole image's: the
# iterates differ until converged (measured: coefficients 1.1e-2, model 3.6e-4 after 1000
# iterations on 3 ranks). At one step they are the same (SlabHaloExchange GTests).
assert coefficients <= 5e-2 and model <= 2e-3, (coefficients, model)
PY
done

# Sources: the same list from 2 ranks as from 1 process over the same 16 tiles.
gssl=("$GSSL" --input "$img" --kernels "gauss:1.5;background:gauss:4" --lambda 1 --max-iterations 60 --tile-size 128)
"${gssl[@]}" --output-sources s1.csv --output-source-map m1.mha > out 2> err || fail gssl-one "exit $?"
"${mpi[@]}" -np 2 "${gssl[@]}" --mpi --output-sources s2.csv --output-source-map m2.mha > out 2> err || fail gssl-mpi "exit $?"
same m1.mha m2.mha || fail gssl-mpi "the source maps differ"
"$python" - <<'PY' || fail gssl-mpi "the source lists differ"
import numpy as np
a, b = (np.loadtxt(name, delimiter=',', skiprows=1, usecols=(0, 1)) for name in ('s1.csv', 's2.csv'))
assert a.shape == b.shape, (a.shape, b.shape)
a, b = a[np.lexsort(a.T)], b[np.lexsort(b.T)]
assert np.abs(a - b).max() <= 1e-3, np.abs(a - b).max()
PY
(($(wc -l < s1.csv) > 10)) || fail gssl-mpi "only $(wc -l < s1.csv) lines of sources"

# Sources from one problem over 2 ranks' slabs (--mpi-global): the whole image's list and objective.
gglobal=("$GSSL" --input "$img" --kernels "gauss:1.5;background:gauss:4" --lambda 1 --solver fista --max-iterations 300
  --halo 2)
"${gglobal[@]}" --output-sources sg1.csv --report sg1.json > out 2> err || fail gssl-global-one "exit $?"
"${mpi[@]}" -np 2 "${gglobal[@]}" --mpi --mpi-global --output-sources sg2.csv --report sg2.json > out 2> err ||
  fail gssl-mpi-global "exit $?"
"$python" - <<'PY' || fail gssl-mpi-global "another source list or objective than the whole image's"
import json
import numpy as np
a, b = (np.loadtxt(name, delimiter=',', skiprows=1, usecols=(0, 1)) for name in ('sg1.csv', 'sg2.csv'))
one, two = json.load(open('sg1.json')), json.load(open('sg2.json'))
assert a.shape == b.shape and len(a) > 10, (a.shape, b.shape)
a, b = a[np.lexsort(a.T)], b[np.lexsort(b.T)]
print('GroupSparseSourceLocalization --mpi-global on 2 ranks: %d sources, largest shift %.1e px, objective %.9g vs %.9g'
      % (len(a), np.abs(a - b).max(), two['objective'], one['objective']))
assert np.abs(a - b).max() <= 1e-3, np.abs(a - b).max()
assert abs(one['objective'] - two['objective']) <= 1e-4 * one['objective']
PY

# Dictionary learning: SPORCO's 5 training images, 3 on rank 0 and 2 on rank 1.
dl=("$DL" --input "$stack" --kernels 8 --kernel-size 8,8 --lambda 0.1 --zero-mean --iterations 10)
"${dl[@]}" --output-dictionary d1.mha --report dj1.json > out 2> err || fail dl-one "exit $?"
"${mpi[@]}" -np 2 "${dl[@]}" --mpi --output-dictionary d2.mha --report dj2.json > out 2> err || fail dl-mpi "exit $?"
"$python" - <<'PY' || fail dl-mpi "2 ranks learned another dictionary, or the byte count is off"
import json, sys
import numpy as np
def read(path):
    raw = open(path, 'rb').read()
    marker = b'ElementDataFile = LOCAL\n'
    return np.frombuffer(raw[raw.index(marker) + len(marker):], dtype=np.float32)
one, two = read('d1.mha'), read('d2.mha')
r1, r2 = json.load(open('dj1.json')), json.load(open('dj2.json'))
difference = np.abs(one - two).max()
print('dictionary learning, 1 process vs 2 ranks: max |d1 - d2| %.2e, objectives %.9g %.9g'
      % (difference, r1['objective'], r2['objective']))
assert difference <= 1e-4, difference
assert abs(r1['objective'] - r2['objective']) <= 1e-5 * r1['objective']
assert r2['training_images'] == 5 and r2['mpi']['ranks'] == 2, r2
# Per outer iteration: F (K(K+1)/2 + K) complex floats reduce-scattered, K F gathered per
# dictionary step (2), 3 sums; once: the size check (1 + 2 N doubles) and the kernels' usage (K).
F, K, N, steps, iterations = 256 * 129, 8, 2, 2, 10
expected = iterations * (8 * F * (K * (K + 1) // 2 + K) + steps * 8 * K * F + 24) + 8 * (1 + 2 * N) + 8 * K
assert r2['mpi']['collective_bytes'] == expected, (r2['mpi'], expected)
PY
ls d2.mha > /dev/null && [[ $(ls | grep -c '^d2') == 1 ]] || fail dl-mpi "rank 1 wrote outputs too"

# Errors stop every rank, with the reason, and leave no output or staged piece.
mkdir -p errors && cd errors
"${mpi[@]}" -np 3 "${csc[@]}" --tile-size 512 --mpi --output-coefficients x.mha > ../out 2> ../err
status=$?
((status != 0)) || fail mpi-more-ranks-than-tiles "exit 0"
grep -q "3 ranks needs at least as many tiles, but the image splits into 1" ../err || fail mpi-more-ranks-than-tiles "message"
[[ -z $(ls -A) ]] || fail mpi-more-ranks-than-tiles "left behind: $(ls -A)"
"${mpi[@]}" -np 2 "${csc[@]}" --tile-size 128 --mpi --output-coefficients x.mha --output-reconstruction r.nrrd > ../out 2> ../err
((status = $?)) || fail mpi-bad-output "exit 0"
grep -q "uncompressed MetaImage" ../err || fail mpi-bad-output "message"
[[ -z $(ls -A) ]] || fail mpi-bad-output "left behind: $(ls -A)"
for case in "--mpi --mpi-global:--solver fista" "--mpi-global:--mpi without --tile-size" \
  "--mpi --mpi-global --solver admm:--solver fista" "--mpi --mpi-global --solver fista --halo 1:--halo 2 or more"; do
  # shellcheck disable=SC2086
  "${mpi[@]}" -np 2 "${csc[@]}" ${case%%:*} --output-coefficients x.mha > ../out 2> ../err
  (($? == 2)) || fail "csc ${case%%:*}" "exit status not 2"
  grep -q -- "${case#*:}" ../err || fail "csc ${case%%:*}" "message"
  [[ -z $(ls -A) ]] || fail "csc ${case%%:*}" "left behind: $(ls -A)"
done
# Halos taller than a neighbour's core: every rank stops with the reason.
"${mpi[@]}" -np 3 "$CSC" --input "$work/data/image.mha" --gaussian-dictionary 2 --boundary zeropadded --solver fista \
  --mpi --mpi-global --halo 6 --output-coefficients x.mha > ../out 2> ../err
(($? != 0)) || fail mpi-global-thin-slabs "exit 0"
grep -q "reach beyond each other's cores" ../err || fail mpi-global-thin-slabs "message"
[[ -z $(ls -A) ]] || fail mpi-global-thin-slabs "left behind: $(ls -A)"
"${mpi[@]}" -np 6 "${dl[@]}" --mpi --output-dictionary d.mha > ../out 2> ../err
(($? != 0)) || fail dl-more-ranks-than-images "exit 0"
grep -q "6 ranks needs at least as many training images, but there are 5" ../err || fail dl-more-ranks-than-images "message"
[[ -z $(ls -A) ]] || fail dl-more-ranks-than-images "left behind: $(ls -A)"
for case in "--online" "--boundary zeropadded"; do
  # shellcheck disable=SC2086
  "${mpi[@]}" -np 2 "${dl[@]}" --mpi $case --output-dictionary d.mha > ../out 2> ../err
  (($? == 2)) || fail "dl-mpi $case" "exit status not 2"
  grep -q -- "--mpi" ../err || fail "dl-mpi $case" "message"
  [[ -z $(ls -A) ]] || fail "dl-mpi $case" "left behind: $(ls -A)"
done
cd ..

echo "MPI cases: $failures failed"
((failures == 0))
