#!/usr/bin/env bash
# The command-line tools under bad and edge inputs, run by ctest:
#   test_cli_robustness.sh BUILD_DIR
# Each case runs a tool in a fresh folder that receives its outputs and asserts the exit status,
# a message naming the problem, and what is left in the folder: nothing when the run fails (no
# output, no staged file), the outputs when it succeeds. The kinds: full disk, failures part-way
# and signals, small and zero lambda, number lists and integer ranges, sizes checked before
# memory is spent, broken input files, image formats, LoG checks, silent reinterpretations.
set -uo pipefail
build=$(cd "$1" && pwd)
bin=$build/Examples
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data"
"$python" "$(dirname "$0")/make_robustness_inputs.py" "$data" || { echo "cannot make the test inputs" >&2; exit 1; }

CSC=$bin/ConvolutionalSparseCoding
GSSL=$bin/GroupSparseSourceLocalization
DL=$bin/DictionaryLearning
LOG=$bin/LoGSourceDetector
MLCSC=$bin/MultiLayerConvolutionalSparseCoding
img=$data/image.mha
cases=0
failures=0
case_dir=

fail() {
  echo "FAIL [$1]: $2" >&2
  sed 's/^/    stderr: /' "$work/err" >&2
  failures=$((failures + 1))
}

# run NAME LIMIT -- command...: runs the command in a fresh case folder (ulimit -f LIMIT KiB
# unless LIMIT is -), stdout and stderr into $work/out and $work/err; sets $status.
run() {
  local name=$1 limit=$2
  shift 3
  cases=$((cases + 1))
  case_dir=$work/case$cases
  mkdir -p "$case_dir"
  if [[ $limit == - ]]; then
    (cd "$case_dir" && timeout 120 "$@") > "$work/out" 2> "$work/err"
    status=$?
  else
    # Through a pipe: the limit would also stop the tool's messages if they went to a file.
    (cd "$case_dir" && ulimit -f "$limit" && timeout 120 "$@" 2>&1) | cat > "$work/err"
    status=${PIPESTATUS[0]}
    : > "$work/out"
  fi
}

# refused NAME STATUS PATTERN [LIMIT] -- command...: the run fails with STATUS (or any
# non-zero status for "fail"), stderr matches PATTERN (extended regex, case-insensitive), and
# the case folder is left empty (hidden staging folders included).
refused() {
  local name=$1 want=$2 pattern=$3 limit=-
  shift 3
  if [[ $1 != -- ]]; then
    limit=$1
    shift
  fi
  run "$name" "$limit" "$@"
  if grep -Eq "Sanitizer|runtime error:" "$work/err"; then
    fail "$name" "a sanitizer report"
  elif [[ $want == fail && $status -eq 0 ]] || [[ $want != fail && $status -ne $want ]]; then
    fail "$name" "exit status $status, expected $want"
  elif ! grep -Eqi -- "$pattern" "$work/err"; then
    fail "$name" "the message does not match /$pattern/"
  elif [[ -n $(ls -A "$case_dir") ]]; then
    fail "$name" "left behind: $(ls -A "$case_dir" | tr '\n' ' ')"
  fi
}

# accepted NAME "FILES" -- command...: the run succeeds and writes every file in FILES, and
# nothing else (no staging folder).
accepted() {
  local name=$1 files=$2
  shift 2
  run "$name" - "$@"
  if [[ $status -ne 0 ]] || grep -Eq "Sanitizer|runtime error:" "$work/err"; then
    fail "$name" "exit status $status, expected 0"
    return
  fi
  for f in $files; do
    [[ -s $case_dir/$f ]] || fail "$name" "missing output $f"
  done
  if ls -A "$case_dir" | grep -q partial; then
    fail "$name" "a staging folder was left: $(ls -A "$case_dir" | tr '\n' ' ')"
  fi
}

# A JSON report's field (python, no jq on a bare machine).
json() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

csc=("$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 0.1 --max-iterations 5)
gssl=("$GSSL" --input "$img" --kernels "gauss:1.5;background:gauss:6" --lambda 1 --max-iterations 20)
dl=("$DL" --input "$img" --kernels 4 --kernel-size 5 --lambda 0.1 --iterations 3)
log=("$LOG" --input "$img" --sigmas 1,2)

# 1. A full disk (a file-size limit makes writes fail as ENOSPC does): no output, exit non-zero.
big=("$CSC" --input "$data/big.mha" --gaussian-dictionary 1,2 --lambda 0.1 --max-iterations 3)
refused csc-disk-full-coefficients fail "cannot write --output-coefficients.*disk full" 300 -- "${big[@]}" --output-coefficients x.mha --report r.json
refused csc-disk-full-several-outputs fail "cannot write --output-coefficients.*disk full" 1100 -- "${big[@]}" --output-reconstruction r.mha --output-coefficients x.mha --report r.json
refused csc-disk-full-at-declaration fail "cannot write --output-coefficients" 0 -- "${csc[@]}" --output-coefficients x.mha
refused gssl-disk-full-sources fail "cannot write --output-sources" 0 -- "${gssl[@]}" --output-sources s.csv
# The source list is written first and fits; the foreground does not: neither is left.
refused gssl-disk-full-second-output fail "cannot write --output-foreground.*disk full" 300 -- "$GSSL" --input "$data/big.mha" --kernels "gauss:1.5" --lambda 1 --max-iterations 3 --output-sources s.csv --output-foreground f.mha
refused dl-disk-full-dictionary fail "cannot write --output-dictionary" 0 -- "${dl[@]}" --output-dictionary d.mha
refused dl-disk-full-curve fail "cannot write --output-curve" 1 -- "$DL" --input "$img" --kernels 4 --kernel-size 5 --lambda 0.1 --iterations 300 --output-dictionary d.mha --output-curve c.csv
refused log-disk-full-sources fail "cannot write --output-sources" 0 -- "${log[@]}" --output-sources s.csv

# 2. Failures part-way: every output path is checked before the work, errors name the user's path.
refused csc-second-output-missing-folder 1 "--output-reconstruction 'nofolder/r.mha'.*does not exist" -- "${csc[@]}" --output-coefficients x.mha --output-reconstruction nofolder/r.mha
refused csc-float-output-as-jpeg 1 "--output-reconstruction 'r.jpg'.*JPEG" -- "${csc[@]}" --output-coefficients x.mha --output-reconstruction r.jpg
refused csc-no-writer-for-extension 1 "no image writer.*extension" -- "${csc[@]}" --output-coefficients x.unknownext
refused csc-output-is-a-folder 1 "is a folder" -- "${csc[@]}" --output-coefficients "$data"
refused csc-same-output-twice 1 "also the file of --output-coefficients" -- "${csc[@]}" --output-coefficients x.mha --output-reconstruction x.mha
refused gssl-overlay-as-mha-folder-missing 1 "--output-overlay.*does not exist" -- "${gssl[@]}" --output-sources s.csv --output-overlay none/o.png
refused gssl-map-as-png 1 "--output-source-map 'm.png'" -- "${gssl[@]}" --output-sources s.csv --output-source-map m.png
refused dl-dictionary-as-bmp 1 "--output-dictionary 'd.bmp'" -- "${dl[@]}" --output-dictionary d.bmp
refused dl-report-folder-missing 1 "--report 'none/r.json'.*does not exist" -- "${dl[@]}" --output-dictionary d.mha --report none/r.json
refused log-sources-folder-missing 1 "--output-sources 'none/s.csv'.*does not exist" -- "${log[@]}" --output-sources none/s.csv
# Checked before the solve: a long run with a bad second output fails at once.
start=$(date +%s)
refused csc-checks-outputs-before-solving 1 "does not exist" -- "$CSC" --input "$data/big.mha" --gaussian-dictionary 1,2,3 --lambda 0.01 --max-iterations 100000 --tolerance 0 --output-coefficients x.mha --output-picture none/p.png
(($(date +%s) - start < 10)) || fail csc-checks-outputs-before-solving "took $(($(date +%s) - start)) s: not checked before the solve"

# Signals: SIGINT while the coefficients are written, SIGTERM during the solve. Compressed, so
# that writing and checking last long enough for the signal to land inside them.
signal_case() {
  local name=$1 signal=$2 when=$3
  cases=$((cases + 1))
  case_dir=$work/case$cases
  mkdir -p "$case_dir"
  (cd "$case_dir" && exec "$CSC" --input "$data/big.mha" --gaussian-dictionary 1,2,3,4 --lambda 0.1 \
    --max-iterations "$4" --tolerance 0 --compress --output-coefficients x.mha --output-reconstruction r.mha) > "$work/out" 2> "$work/err" &
  local pid=$! waited=0
  while ((waited < 3000)); do
    if [[ $when == writing ]] && [[ -n $(find "$case_dir" -path '*partial*' -type f -size +1M 2>/dev/null) ]]; then
      break
    fi
    if [[ $when == solving ]] && ((waited >= 50)); then
      break
    fi
    sleep 0.01
    waited=$((waited + 1))
  done
  kill "-$signal" "$pid" 2>/dev/null
  wait "$pid"
  status=$?
  if ((status == 0)); then
    fail "$name" "exit status 0 after SIG$signal (the signal came too late?)"
  elif [[ -n $(ls -A "$case_dir") ]]; then
    fail "$name" "left behind: $(ls -A "$case_dir" | tr '\n' ' ')"
  fi
}
signal_case csc-sigint-while-writing INT writing 3
signal_case csc-sigterm-while-solving TERM solving 100000

# 3. Small and zero lambda: never a result worse than zero coefficients; too large values are named.
for lambda in 0 1e-6 1e-3; do
  accepted "csc-admm-lambda-$lambda" "x.mha r.json" -- "$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda "$lambda" --max-iterations 50 --tolerance 0 --output-coefficients x.mha --report r.json
  if [[ $status -eq 0 ]]; then
    first=$(json "$case_dir/r.json" "['history'][0]['objective']")
    last=$(json "$case_dir/r.json" "['objective']")
    "$python" -c "import sys; sys.exit(0 if $last < 1e-2 * $first else 1)" ||
      fail "csc-admm-lambda-$lambda" "objective $last is not below 1% of the zero coefficients' $first"
  fi
done
# Dictionary learning: finishes below the all-zero coefficients' objective (the coding report's
# iteration 0), or stops with a message saying what to change.
accepted zero-objective "r.json" -- "$CSC" --input "$img" --gaussian-dictionary 1 --lambda 0.1 --max-iterations 1 --output-coefficients x.mha --report r.json
zero=$(json "$case_dir/r.json" "['history'][0]['objective']")
run dl-lambda-1e-12 - -- "$DL" --input "$img" --kernels 4 --kernel-size 5 --lambda 1e-12 --iterations 20 --output-dictionary d.mha --output-curve c.csv
if [[ $status -eq 0 ]]; then
  "$python" -c "
import sys; rows=[l.split(',') for l in open(sys.argv[1]).read().split()[1:]]
sys.exit(0 if max(float(r[1]) for r in rows) <= $zero else 1)" "$case_dir/c.csv" || fail dl-lambda-1e-12 "an objective above the all-zero coefficients' $zero"
elif ! grep -q "diverged.*FISTA" "$work/err" || [[ -n $(ls -A "$case_dir") ]]; then
  fail dl-lambda-1e-12 "exit status $status without the divergence message, or outputs left"
fi
accepted csc-lambda-huge "x.mha" -- "$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 1e308 --max-iterations 5 --output-coefficients x.mha
refused csc-values-near-float-max 1 "overflows|rescale" -- "$CSC" --input "$data/huge_values.mha" --gaussian-dictionary 1 --lambda 0.1 --output-coefficients x.mha
refused csc-kernels-scaled-1e30 1 "too large|rescale|overflow" -- "$CSC" --input "$img" --dictionary "$data/dictionary_huge.mha" --lambda 0.1 --output-coefficients x.mha
refused csc-zero-image-weights-small 1 "weight image" -- "${csc[@]}" --weights "$data/weights_small.mha" --output-coefficients x.mha

# 4. Number lists parsed completely, integers range-checked before narrowing.
refused csc-sigmas-with-spaces 2 "separate the numbers with commas" -- "$CSC" --input "$img" --gaussian-dictionary "1 2 4" --lambda 0.1 --output-coefficients x.mha
refused csc-sigmas-with-semicolons 2 "separate the numbers with commas" -- "$CSC" --input "$img" --gaussian-dictionary "1;2;4" --lambda 0.1 --output-coefficients x.mha
refused csc-sigmas-trailing-comma 2 "comma-separated" -- "$CSC" --input "$img" --gaussian-dictionary "1,2," --lambda 0.1 --output-coefficients x.mha
refused csc-sigmas-garbage 2 "finite number.*'2x'" -- "$CSC" --input "$img" --gaussian-dictionary "1,2x" --lambda 0.1 --output-coefficients x.mha
refused csc-lambda-trailing-garbage 2 "--lambda needs a finite number" -- "$CSC" --input "$img" --gaussian-dictionary 1 --lambda 0.1abc --output-coefficients x.mha
refused csc-iterations-too-large 2 "--max-iterations must be an integer" -- "$CSC" --input "$img" --gaussian-dictionary 1 --lambda 0.1 --max-iterations 1e20 --output-coefficients x.mha
refused csc-iterations-negative 2 "--max-iterations must be an integer" -- "$CSC" --input "$img" --gaussian-dictionary 1 --lambda 0.1 --max-iterations -1 --output-coefficients x.mha
refused csc-unknown-solver 2 "--solver must be admm|fista|lca|threshold|mp|omp" -- "${csc[@]}" --solver omp2 --output-coefficients x.mha
refused csc-lca-step-zero 2 "--lca-step must be positive" -- "${csc[@]}" --solver lca --lca-step 0 --output-coefficients x.mha
refused csc-lca-step-without-lca 2 "--lca-step needs --solver lca" -- "${csc[@]}" --lca-step 0.1 --output-coefficients x.mha
refused csc-transfer-with-fista 2 "--transfer needs --solver lca or threshold" -- "${csc[@]}" --solver fista --transfer hard --output-coefficients x.mha
refused csc-transfer-and-nonnegative 2 "not both" -- "${csc[@]}" --solver lca --transfer hard --nonnegative --output-coefficients x.mha
refused csc-lca-step-diverges 1 "diverged.*LCA Step" -- "$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 0.1 --solver lca --lca-step 1e6 --max-iterations 300 --tolerance 0 --output-coefficients x.mha
refused csc-max-atoms-zero 2 "--max-atoms" -- "${csc[@]}" --solver mp --max-atoms 0 --output-coefficients x.mha
refused csc-max-atoms-without-mp 2 "--max-atoms needs --solver mp or omp" -- "${csc[@]}" --max-atoms 10 --output-coefficients x.mha
refused csc-residual-tolerance-negative 2 "--residual-tolerance must be at least 0" -- "${csc[@]}" --solver omp --residual-tolerance -1 --output-coefficients x.mha
accepted csc-omp-nonnegative "x.mha r.json" -- "${csc[@]}" --solver omp --nonnegative --max-atoms 20 --output-coefficients x.mha --report r.json
refused csc-exclusion-cell-zero 2 "--exclusion-cell" -- "${csc[@]}" --solver mp --exclusion-cell 0 --output-coefficients x.mha
accepted csc-mp-exclusion "x.mha" -- "${csc[@]}" --solver mp --exclusion-cell 8 --max-atoms 30 --output-coefficients x.mha
accepted csc-mp-residual "x.mha" -- "${csc[@]}" --solver mp --residual-tolerance 0.5 --output-coefficients x.mha
accepted csc-lca-hard "x.mha r.json" -- "${csc[@]}" --solver lca --transfer hard --output-coefficients x.mha --report r.json
accepted csc-threshold-nonnegative "x.mha r.json" -- "${csc[@]}" --solver threshold --transfer nonnegative --output-coefficients x.mha --report r.json
refused csc-stride-zero 2 "--stride needs integers from 1" -- "${csc[@]}" --stride 0 --output-coefficients x.mha
refused csc-stride-too-many 2 "--stride needs 1 or 2 integers" -- "${csc[@]}" --stride 2,2,2 --output-coefficients x.mha
refused csc-stride-larger-than-image 2 "--stride 100000 is larger than the image" -- "${csc[@]}" --stride 100000 --output-coefficients x.mha
accepted csc-stride-lca "x.mha p.png r.json" -- "${csc[@]}" --solver lca --stride 2,3 --output-coefficients x.mha --output-picture p.png --report r.json
refused gssl-groups-with-space 2 "separate the numbers with commas" -- "$GSSL" --input "$img" --kernels "gauss:1;gauss:2" --groups "0 1" --lambda 1 --output-sources s.csv
refused gssl-groups-out-of-range 2 "integers from 0" -- "$GSSL" --input "$img" --kernels "gauss:1;gauss:2" --groups "0;4294967296" --lambda 1 --output-sources s.csv
refused gssl-radius-wraps 2 "--neighborhood-radius must be an integer" -- "${gssl[@]}" --neighborhood-radius 4294967296 --output-sources s.csv
refused dl-kernel-size-with-space 2 "separate the numbers with commas" -- "$DL" --input "$img" --kernel-size "8 16" --lambda 0.1 --output-dictionary d.mha
refused dl-kernel-size-inf 2 "finite number" -- "$DL" --input "$img" --kernel-size inf --lambda 0.1 --output-dictionary d.mha
refused dl-seed-fraction 2 "--seed must be an integer" -- "${dl[@]}" --seed 1.5 --output-dictionary d.mha
refused dl-stride-zero 2 "--stride needs integers from 1" -- "${dl[@]}" --stride 0 --output-dictionary d.mha
refused dl-stride-larger-than-image 1 "stride along axis 0 .* is larger than the image" -- "${dl[@]}" --stride 100000 --output-dictionary d.mha
refused dl-hebbian-without-online 2 "--hebbian-rate needs --online" -- "${dl[@]}" --hebbian-rate 1 --output-dictionary d.mha
refused dl-hebbian-negative 2 "--hebbian-rate must be positive" -- "${dl[@]}" --online --hebbian-rate -1 --output-dictionary d.mha
accepted dl-lca-stride "d.mha r.json" -- "${dl[@]}" --solver lca --stride 2 --output-dictionary d.mha --report r.json
refused log-sigmas-with-space 2 "separate the numbers with commas" -- "$LOG" --input "$img" --sigmas "2 3" --output-sources s.csv

# 5. Sizes checked before memory is spent.
refused gssl-radius-beyond-image 1 "NeighborhoodRadius.*exceeds" -- "${gssl[@]}" --neighborhood-radius 1000000000 --output-sources s.csv
refused gssl-subpixel-1000 1 "subpixel:1000.*from 2 to 16" -- "$GSSL" --input "$img" --kernels "gauss:1;subpixel:1000" --lambda 1 --output-sources s.csv
refused gssl-gauss-huge 1 "gauss:1e9.*pixels per axis" -- "$GSSL" --input "$img" --kernels "gauss:1e9" --lambda 1 --output-sources s.csv
refused gssl-upsample-huge 1 "upsample:1e6.*pixels per axis" -- "$GSSL" --input "$img" --kernels "gauss:1;upsample:1e6" --lambda 1 --output-sources s.csv
refused csc-gaussian-dictionary-huge 1 "GiB of memory" -- "$CSC" --input "$img" --gaussian-dictionary 1e9 --lambda 0.1 --output-coefficients x.mha
refused dl-many-kernels 1 "100000 kernels.*GiB of memory" -- "$DL" --input "$data/big.mha" --kernels 100000 --kernel-size 8 --lambda 0.1 --output-dictionary d.mha
refused dl-kernels-larger-than-image 1 "larger than the training images" -- "$DL" --input "$img" --kernels 2 --kernel-size 100 --lambda 0.1 --output-dictionary d.mha

# 6. Broken input files, refused with the file and the problem named.
for tool in csc gssl log; do
  case $tool in
    csc) cmd=("$CSC" --gaussian-dictionary 1,2 --lambda 0.1 --output-coefficients x.mha) ;;
    gssl) cmd=("$GSSL" --kernels "gauss:1.5" --lambda 1 --output-sources s.csv) ;;
    log) cmd=("$LOG" --sigmas 1,2 --output-sources s.csv) ;;
  esac
  refused "$tool-truncated-pixels" 2 "truncated.mha.*(truncated|incomplete)" -- "${cmd[@]}" --input "$data/truncated.mha"
  refused "$tool-double-header-over-float" 2 "double_header.mha.*(truncated|incomplete)" -- "${cmd[@]}" --input "$data/double_header.mha"
  refused "$tool-corrupt-compressed-stream" 2 "corrupt_stream.mha.*(corrupt|truncated)" -- "${cmd[@]}" --input "$data/corrupt_stream.mha"
  refused "$tool-five-channels" 2 "5 components per pixel" -- "${cmd[@]}" --input "$data/five_channels.mha"
  refused "$tool-missing-data-file" 2 "no_such_file.raw.*cannot be read" -- "${cmd[@]}" --input "$data/missing_data_file.mha"
  refused "$tool-nan-pixel" fail "non-finite" -- "${cmd[@]}" --input "$data/nan.mha"
done
refused dl-truncated-training-image 2 "truncated.mha.*(truncated|incomplete)" -- "$DL" --input "$data/truncated.mha" --kernels 2 --kernel-size 5 --lambda 0.1 --output-dictionary d.mha
refused dl-online-truncated-file 2 "truncated.mha.*truncated" -- "$DL" --input "$img" "$data/truncated.mha" --online --kernels 2 --kernel-size 5 --lambda 0.1 --output-dictionary d.mha
refused dl-nan-training-image 1 "non-finite" -- "$DL" --input "$data/nan.mha" --kernels 2 --kernel-size 5 --lambda 0.1 --output-dictionary d.mha
refused csc-weights-extra-axis 2 "weights_extra_axis.mha.*3-D.*2-D image is needed" -- "${csc[@]}" --weights "$data/weights_extra_axis.mha" --output-coefficients x.mha
refused csc-dictionary-nan 1 "non-finite" -- "$CSC" --input "$img" --dictionary "$data/dictionary_nan.mha" --lambda 0.1 --output-coefficients x.mha
refused gssl-kernel-file-extra-axis 1 "kernel_extra_axis.mha" -- "$GSSL" --input "$img" --kernels "file:$data/kernel_extra_axis.mha" --lambda 1 --output-sources s.csv
refused csc-input-missing 2 "input file '.*no_such.mha' does not exist" -- "${csc[@]/$img/$data/no_such.mha}" --output-coefficients x.mha
refused csc-input-is-folder 2 "it is a folder" -- "$CSC" --input "$data" --gaussian-dictionary 1 --lambda 0.1 --output-coefficients x.mha
refused csc-input-not-an-image 2 "not an image format ITK can read|cannot read" -- "$CSC" --input "$data/not_an_image.mha" --gaussian-dictionary 1 --lambda 0.1 --output-coefficients x.mha
refused csc-input-empty-file 2 "not an image format ITK can read|cannot read" -- "$CSC" --input "$data/empty.mha" --gaussian-dictionary 1 --lambda 0.1 --output-coefficients x.mha

# 7. Image formats ITK provides, in and out.
accepted csc-nrrd-in-niigz-out "x.nii.gz r.nrrd" -- "$CSC" --input "$data/image.nrrd" --gaussian-dictionary 1,2 --lambda 0.1 --max-iterations 5 --output-coefficients x.nii.gz --output-reconstruction r.nrrd
accepted csc-tiff-out "r.tif x.mha" -- "${csc[@]}" --output-coefficients x.mha --output-reconstruction r.tif
accepted csc-mhd-out-with-raw "x.mhd x.raw" -- "${csc[@]}" --output-coefficients x.mhd
raw_mhd=$case_dir/x.mhd
accepted csc-mhd-out-compressed "x.mhd x.zraw" -- "${csc[@]}" --output-coefficients x.mhd --compress
zraw_mhd=$case_dir/x.mhd
accepted gssl-nrrd-in "s.csv m.nrrd" -- "$GSSL" --input "$data/image.nrrd" --kernels "gauss:1.5" --lambda 1 --output-sources s.csv --output-source-map m.nrrd
accepted dl-niigz-dictionary "d.nii.gz" -- "${dl[@]}" --output-dictionary d.nii.gz
for written in "$raw_mhd" "$zraw_mhd"; do
  accepted csc-reads-back-mhd "y.mha" -- "$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 0.1 --max-iterations 2 --initial-coefficients "$written" --output-coefficients y.mha
done

# 8. LoGSourceDetector checks its input and scales.
refused log-inf-pixel 2 "non-finite pixel \(inf\)" -- "$LOG" --input "$data/inf.mha" --sigmas 1,2 --output-sources s.csv
refused log-constant-image 2 "constant" -- "$LOG" --input "$data/constant.mha" --sigmas 1,2 --output-sources s.csv
refused log-sigma-inf 2 "finite number" -- "$LOG" --input "$img" --sigmas inf --output-sources s.csv
refused log-sigma-tiny 2 "outside \[0.5" -- "$LOG" --input "$img" --sigmas 1e-9 --output-sources s.csv
refused log-sigma-huge 2 "outside \[0.5" -- "$LOG" --input "$img" --sigmas 1e9 --output-sources s.csv
accepted log-good "s.csv" -- "$LOG" --input "$img" --sigmas 1,2 --output-sources s.csv

# 9. No silent reinterpretation.
refused gssl-background-only 1 "only background terms" -- "$GSSL" --input "$img" --kernels "background:gauss:6" --lambda 1 --output-sources s.csv
refused gssl-empty-groups 2 "--groups is empty" -- "${gssl[@]}" --groups "" --output-sources s.csv
refused gssl-flag-as-value 2 "--output-sources needs a value, but the next argument is the option --fit-sources" -- "${gssl[@]}" --output-sources --fit-sources
refused dl-kernels-disagree-with-initial 2 "disagree with the initial dictionary" -- "$DL" --input "$img" --kernels 7 --kernel-size 5 --initial-dictionary "$data/dictionary.mha" --lambda 0.1 --output-dictionary d.mha
refused csc-missing-weights-file 2 "weights file '.*nothere.mha' does not exist" -- "${csc[@]}" --weights "$data/nothere.mha" --output-coefficients x.mha
refused csc-missing-initial-coefficients 2 "initial coefficients file '.*nothere.mha' does not exist" -- "${csc[@]}" --initial-coefficients "$data/nothere.mha" --output-coefficients x.mha
refused csc-flag-twice 2 "--lambda is given twice" -- "${csc[@]}" --lambda 0.2 --output-coefficients x.mha
refused csc-two-dictionaries 2 "one of --dictionary and --gaussian-dictionary" -- "${csc[@]}" --dictionary "$data/dictionary.mha" --output-coefficients x.mha
refused gssl-fit-thresholds-without-fitting 2 "need --fit-sources" -- "${gssl[@]}" --model-threshold 4 --output-sources s.csv

# 10. The multi-layer tool: every pursuit, both first-layer layouts, chains that do not fit.
ml=("$MLCSC" --input "$img" --dictionaries "$data/ml_d1.mha,$data/ml_d2.mha" --max-iterations 5)
for pursuit in layered-thresholding layered-bp ml-ista ml-fista; do
  accepted "ml-$pursuit" "o_layer1.mha o_layer2.mha o_effective1.mha o_effective2.mha o_effective1.png o_effective2.png r.json" -- "${ml[@]}" --lambdas 0.1,0.05 --pursuit $pursuit --output-prefix o --report r.json
done
accepted ml-first-layer-3d-zeropadded "o_layer1.mha o_effective1.mha o_effective1.png" -- "$MLCSC" --input "$img" --dictionaries "$data/ml_d1_3d.mha" --lambdas 0.1 --boundary zeropadded --nonnegative --max-iterations 5 --output-prefix o
refused ml-lambda-count 2 "--lambdas gives 1 values for 2 dictionaries" -- "${ml[@]}" --lambdas 0.1 --output-prefix o
refused ml-negative-lambda 2 "--lambdas must be non-negative" -- "${ml[@]}" --lambdas 0.1,-1 --output-prefix o
refused ml-channels-do-not-chain 1 "do not chain: dictionary 2 .* has 3 channels, but dictionary 1 has 4 kernels" -- "$MLCSC" --input "$img" --dictionaries "$data/ml_d1.mha,$data/ml_d2_three_channels.mha" --lambdas 0.1,0.1 --output-prefix o
refused ml-second-layer-3d 2 "layer 2 dictionary .* is 3-D; it must be \(N\+2\)-D" -- "$MLCSC" --input "$img" --dictionaries "$data/ml_d1.mha,$data/ml_d1_3d.mha" --lambdas 0.1,0.1 --output-prefix o
refused ml-unknown-pursuit 2 "--pursuit" -- "${ml[@]}" --lambdas 0.1,0.1 --pursuit deep --output-prefix o
refused ml-empty-dictionary-entry 2 "empty entry" -- "$MLCSC" --input "$img" --dictionaries "$data/ml_d1.mha,,$data/ml_d2.mha" --lambdas 0.1,0.1,0.1 --output-prefix o
refused ml-missing-dictionary 2 "does not exist" -- "$MLCSC" --input "$img" --dictionaries "$data/nothere.mha" --lambdas 0.1 --output-prefix o
refused ml-nan-image 1 "non-finite" -- "$MLCSC" --input "$data/nan.mha" --dictionaries "$data/ml_d1.mha" --lambdas 0.1 --output-prefix o
refused ml-no-prefix 2 "--output-prefix is required" -- "${ml[@]}" --lambdas 0.1,0.1

# 11. Sparse temporal deconvolution: image and CSV traces, given responses, bad inputs.
STD=$bin/SpaceTimeDeconvolution
std=("$STD" --input-traces "$data/traces.mha" --response-length 30)
accepted std-traces "s.csv f.csv fit.mha raster.png r.json" -- "${std[@]}" --output-spikes s.csv --output-responses f.csv --output-fit fit.mha --output-raster raster.png --report r.json
[[ $(head -1 "$case_dir/s.csv") == trace,frame,count,time_s,amplitude,response ]] || fail std-traces "spikes CSV header: $(head -1 "$case_dir/s.csv")"
(($(wc -l < "$case_dir/s.csv") > 100)) || fail std-traces "only $(wc -l < "$case_dir/s.csv") spike rows"
accepted std-csv-traces "s.csv" -- "$STD" --input-traces "$data/traces.csv" --response-length 30 --output-spikes s.csv
accepted std-given-fixed-response "s.csv" -- "${std[@]}" --given-responses "$data/responses.csv" --fixed-responses --spike-unit 1 --output-spikes s.csv
refused std-nan 1 "non-finite" -- "$STD" --input-traces "$data/nan.mha" --response-length 3 --output-spikes s.csv
refused std-longer-response 1 "200 frames, fewer than the response length 300" -- "$STD" --input-traces "$data/traces.mha" --response-length 300 --output-spikes s.csv
refused std-zero-response-length 2 "--response-length must be an integer from 1" -- "$STD" --input-traces "$data/traces.mha" --response-length 0 --output-spikes s.csv
refused std-bad-frame-rate 2 "--frame-rate must be positive" -- "${std[@]}" --frame-rate 0 --output-spikes s.csv
refused std-3d-traces 2 "must be a 2-D image" -- "$STD" --input-traces "$data/traces_3d.mha" --response-length 30 --output-spikes s.csv
refused std-ragged-csv 1 "has 2 values on line 2 but 3" -- "$STD" --input-traces "$data/traces_ragged.csv" --response-length 2 --output-spikes s.csv
refused std-text-csv 1 "non-numeric value on line 2" -- "$STD" --input-traces "$data/traces_text.csv" --response-length 2 --output-spikes s.csv
refused std-missing-csv 1 "cannot read the input traces" -- "$STD" --input-traces "$data/none.csv" --response-length 2 --output-spikes s.csv
refused std-response-mismatch 2 "--given-responses has 1 responses of 30 frames; --responses and --response-length say 1 of 20" -- "$STD" --input-traces "$data/traces.mha" --response-length 20 --given-responses "$data/responses.csv" --output-spikes s.csv
refused std-fixed-without-given 2 "--fixed-responses needs --given-responses" -- "${std[@]}" --fixed-responses --output-spikes s.csv
refused std-no-spikes-output 2 "--output-spikes is required" -- "${std[@]}"
refused std-raster-folder-missing 1 "--output-raster 'none/r.png'.*does not exist" -- "${std[@]}" --output-spikes s.csv --output-raster none/r.png

# 12. Sparse space-time deconvolution of a movie: every output, bad parameters and inputs.
mov=("$STD" --input "$data/movie.mha" --response-length 15 --appearance-size 9)
accepted std-movie "s.csv c.csv l.mha tr.csv app.mha bg.mha fit.mha f.csv o.png r.json" -- "${mov[@]}" --output-spikes s.csv --output-cells c.csv --output-labels l.mha --output-traces tr.csv --output-appearances app.mha --output-background bg.mha --output-fit fit.mha --output-responses f.csv --output-overlay o.png --report r.json
[[ $(head -1 "$case_dir/c.csv") == id,x,y,physical_x,physical_y,appearance,mean_dff,spike_dff,significance,spikes ]] || fail std-movie "cells CSV header: $(head -1 "$case_dir/c.csv")"
(($(wc -l < "$case_dir/c.csv") == 3)) || fail std-movie "$(($(wc -l < "$case_dir/c.csv") - 1)) cells, not the 2 planted"
[[ $(json "$case_dir/r.json" "['mode']") == movie ]] || fail std-movie "report mode"
# In tiles of 20 pixels (cells at (12, 14) and (28, 26), one per tile): the same two cells, each
# once, the fit written piece by piece, and a report per tile.
accepted std-movie-tiled "s.csv c.csv l.mha fit.mha o.png r.json" -- "${mov[@]}" --tile-size 20 --output-spikes s.csv --output-cells c.csv --output-labels l.mha --output-fit fit.mha --output-overlay o.png --report r.json
(($(wc -l < "$case_dir/c.csv") == 3)) || fail std-movie-tiled "$(($(wc -l < "$case_dir/c.csv") - 1)) cells in tiles, not the 2 planted"
[[ $(json "$case_dir/r.json" "['tiles'].__len__()") == 4 ]] || fail std-movie-tiled "the report does not list 4 tiles"
"$python" - "$case_dir/c.csv" <<'PY' || fail std-movie-tiled "the tiled cells are not the planted ones"
import csv, math, sys
cells = [(float(r['x']), float(r['y'])) for r in csv.DictReader(open(sys.argv[1]))]
assert all(min(math.hypot(x - cx, y - cy) for x, y in cells) <= 1.0 for cx, cy in ((12, 14), (28, 26))), cells
PY
refused std-movie-tile-below-window 2 "--tile-size 5 is smaller than an appearance window \(9 pixels" -- "${mov[@]}" --tile-size 5 --output-spikes s.csv
refused std-movie-tiled-compressed-fit 2 "uncompressed MetaImage" -- "${mov[@]}" --tile-size 20 --output-spikes s.csv --output-fit fit.mha --compress
refused std-traces-tile-size 2 "--tile-size is an option of the movie mode" -- "${std[@]}" --output-spikes s.csv --tile-size 20
refused std-movie-and-traces 2 "give either --input .* or --input-traces" -- "${mov[@]}" --input-traces "$data/traces.mha" --output-spikes s.csv
refused std-movie-longer-response 1 "80 frames, fewer than the response length 100" -- "$STD" --input "$data/movie.mha" --response-length 100 --output-spikes s.csv --appearance-size 9
refused std-movie-even-appearance 1 "AppearanceSize must be odd" -- "$STD" --input "$data/movie.mha" --response-length 15 --appearance-size 8 --output-spikes s.csv
refused std-movie-appearance-too-large 1 "AppearanceSize 41 is larger than the frame" -- "$STD" --input "$data/movie.mha" --response-length 15 --appearance-size 41 --output-spikes s.csv
refused std-movie-zero-cells 2 "--cells must be an integer from 1" -- "${mov[@]}" --cells 0 --output-spikes s.csv
refused std-movie-nan 1 "non-finite" -- "$STD" --input "$data/movie_nan.mha" --response-length 15 --appearance-size 9 --output-spikes s.csv
refused std-movie-2d 2 "must be a 2-D\+t or 3-D\+t movie" -- "$STD" --input "$data/traces.mha" --response-length 15 --output-spikes s.csv
refused std-movie-bad-frame-rate 2 "--frame-rate must be positive" -- "${mov[@]}" --frame-rate -1 --output-spikes s.csv
refused std-traces-movie-output 2 "--output-labels is an option of the movie mode" -- "${std[@]}" --output-spikes s.csv --output-labels l.mha
refused std-movie-negative-lambda-tv 2 "--lambda-tv" -- "${mov[@]}" --lambda-tv -1 --output-spikes s.csv
refused std-movie-nan-significance 2 "--min-significance" -- "${mov[@]}" --min-significance nan --output-spikes s.csv
refused std-movie-labels-folder-missing 1 "--output-labels 'none/l.mha'.*does not exist" -- "${mov[@]}" --output-spikes s.csv --output-labels none/l.mha

# 13. Tile by tile (--tile-size): the same answer as the whole image, pieces pasted into staged
# files, and every setting that cannot stream refused before the work.
tiles_csc=("$CSC" --input "$img" --gaussian-dictionary 1,2 --lambda 0.1 --solver fista --max-iterations 1000 --tolerance 1e-7 --boundary zeropadded)
accepted csc-whole-for-tiles "x.mha r.mha" -- "${tiles_csc[@]}" --output-coefficients x.mha --output-reconstruction r.mha
whole_dir=$case_dir
accepted csc-tiles "x.mha r.mha t.json" -- "${tiles_csc[@]}" --tile-size 16 --halo 2 --output-coefficients x.mha --output-reconstruction r.mha --report t.json
"$python" - "$whole_dir" "$case_dir" <<'PY' || fail csc-tiles "the tiled reconstruction differs from the whole image's"
import sys
import numpy as np
def mha(path):
    raw = open(path, 'rb').read()
    start = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    return np.frombuffer(raw[start:], dtype=np.float32)
whole, tiled = (mha(folder + '/r.mha') for folder in sys.argv[1:])
assert whole.shape == tiled.shape, (whole.shape, tiled.shape)
difference = np.abs(whole - tiled).max() / np.abs(whole).max()
print("relative difference", difference); assert difference < 0.005, difference
PY
[[ $(json "$case_dir/t.json" "['tiling']['tile_size']") == 16 ]] || fail csc-tiles "report tiling"
accepted gssl-tiles "s.csv m.mha g.mha" -- "$GSSL" --input "$img" --kernels "gauss:1.5;background:gauss:3" --lambda 1 --max-iterations 20 --tile-size 32 --output-sources s.csv --output-source-map m.mha --output-group-maps g.mha
refused csc-tiles-periodic 2 "--tile-size needs --boundary zeropadded" -- "${csc[@]}" --tile-size 16 --output-coefficients x.mha
refused csc-tiles-not-stride-multiple 2 "--tile-size 15 must be a multiple of the stride" -- "${csc[@]}" --boundary zeropadded --stride 2 --tile-size 15 --output-coefficients x.mha
refused csc-tiles-smaller-than-kernel 2 "--tile-size 4 is smaller than a kernel" -- "${csc[@]}" --boundary zeropadded --tile-size 4 --output-coefficients x.mha
refused csc-tiles-zero 2 "--tile-size must be an integer from 1" -- "${csc[@]}" --boundary zeropadded --tile-size 0 --output-coefficients x.mha
refused csc-tiles-negative-halo 2 "--halo" -- "${csc[@]}" --boundary zeropadded --tile-size 16 --halo -1 --output-coefficients x.mha
refused csc-tiles-compressed 2 "uncompressed MetaImage" -- "${csc[@]}" --boundary zeropadded --tile-size 16 --compress --output-coefficients x.mha
refused csc-tiles-nrrd-output 2 "--output-reconstruction 'r.nrrd'.*uncompressed MetaImage" -- "${csc[@]}" --boundary zeropadded --tile-size 16 --output-coefficients x.mha --output-reconstruction r.nrrd
refused csc-tiles-picture 2 "--output-picture shows the whole image" -- "${csc[@]}" --boundary zeropadded --tile-size 16 --output-coefficients x.mha --output-picture p.png
refused gssl-tiles-exemplar 2 "exemplar kernels are cut from the image in memory" -- "$GSSL" --input "$img" --kernels "exemplar:20,20,3" --lambda 1 --tile-size 24 --output-sources s.csv
# --memory-budget: tiles chosen to fit, the peak within the budget; the same answer as those tiles
# given by --tile-size; a budget too small or given with --tile-size is refused.
# The budget is 33 MiB above what the process holds before it solves, read from the refusal of a
# budget too small: 48 MiB in a Release build, more under AddressSanitizer's shadow memory.
budget=("$CSC" --input "$data/big.mha" --gaussian-dictionary 1,2 --lambda 0.5 --boundary zeropadded --max-iterations 5)
refused csc-memory-budget-too-small 2 "--memory-budget 8 MiB is too small: the process holds [0-9]+ MiB already" -- "${budget[@]}" --memory-budget 8 --output-coefficients x.mha
held=$(sed -nE 's/.*the process holds ([0-9]+) MiB already.*/\1/p' "$work/err")
mib=$(( ${held:-15} + 33 ))
accepted csc-memory-budget "x.mha t.json" -- "${budget[@]}" --memory-budget "$mib" --output-coefficients x.mha --report t.json
budget_dir=$case_dir
edge=$(json "$budget_dir/t.json" "['tiling']['tile_size']")
peak=$(json "$budget_dir/t.json" "['peak_memory_mb']")
# AddressSanitizer's quarantine and shadow hold hundreds of MiB the program freed or never
# allocated, so the peak is asserted in the Release run only (sanitizers.sh sets ASAN_OPTIONS).
[[ -n ${ASAN_OPTIONS:-} ]] && peak=0
"$python" -c "import sys; e, p, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); assert 64 <= e < 512 and p <= b, (e, p, b)" \
  "$edge" "$peak" "$mib" || fail csc-memory-budget "tiles of $edge pixels, peak $peak MB for a budget of $mib MiB"
accepted csc-memory-budget-as-tiles "x.mha" -- "${budget[@]}" --tile-size "$edge" --output-coefficients x.mha
# Equal up to the rounding of FFTW plans, which a busy machine measures differently per process.
"$python" - "$budget_dir/x.mha" "$case_dir/x.mha" <<'PY' || fail csc-memory-budget "not the answer of --tile-size $edge"
import sys
import numpy as np
def mha(path):
    raw = open(path, 'rb').read()
    start = raw.index(b'ElementDataFile = LOCAL\n') + len(b'ElementDataFile = LOCAL\n')
    return raw[:start], np.frombuffer(raw[start:], dtype=np.float32)
(ha, a), (hb, b) = mha(sys.argv[1]), mha(sys.argv[2])
assert ha == hb and np.abs(a - b).max() <= 1e-4 * np.abs(a).max(), np.abs(a - b).max() / np.abs(a).max()
PY
refused csc-memory-budget-and-tiles 2 "give --tile-size or --memory-budget, not both" -- "${budget[@]}" --memory-budget 48 --tile-size 64 --output-coefficients x.mha
# A full disk half-way through the tiles: no output and no staged piece is left.
refused csc-tiles-disk-full fail "cannot write --output-coefficients.*disk full" 300 -- "${big[@]}" --boundary zeropadded --tile-size 128 --output-coefficients x.mha

echo "$cases cases, $failures failed"
((cases >= 60)) || { echo "the suite must hold at least 60 cases" >&2; exit 1; }
((failures == 0))
