#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# The tests read ../shared (beside the project) and fail when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if [ ! -d "$root/../shared/cases" ]; then
  echo "error: $root/../shared/cases is missing; the tests need the shared data beside the project" >&2
  exit 1
fi
bash "$root/.ci/build.sh"
cd "$build"
ctest --output-on-failure -j 2 --timeout 900
