#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer: builds the module into ${ASAN_BUILD_DIR:-build-asan}
# with both sanitizers and runs the unit tests and the command-line robustness suite under them.
# Any report fails the run (halt_on_error). CI runs it after the tests; by hand:
#   bash .ci/sanitizers.sh
# (about 15 minutes on 2 cores from a cold ccache).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
# ccache hits across clones despite the debug information's absolute paths.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
bash "$root/.ci/install-dependencies.sh"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > "$build.configure.log" 2>&1 || {
  cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
# The unit tests, the robustness suite and the source-localization and dictionary-learning tool
# tests (their --evaluate and tiled paths: a stride copy there was undefined behaviour that only
# a sanitizer saw). Left to the Release build: the MPI runs (OpenMPI's own allocations are not
# ours to audit), the Slicer-style runs and the installed package (the parser and the install).
ctest --output-on-failure -j 2 --timeout 3000 -E "MPICommandLine|SlicerCommandLineModules|InstalledPackage"
