#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds Examples/Standalone (an outside project)
# against it with find_package(ConvolutionalSparseCoding), and runs it:
#   test_install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
for f in include/ConvolutionalSparseCoding/itkConvolutionalSparseCodingImageFilter.h \
  lib/cmake/ConvolutionalSparseCoding/ConvolutionalSparseCodingConfig.cmake \
  bin/ConvolutionalSparseCoding bin/GroupSparseSourceLocalization bin/DictionaryLearning; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root/Examples/Standalone" -B "$work/standalone" -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" \
  > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/standalone" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/standalone/LocalizePlantedSources"
# The installed tools run from the prefix.
"$work/prefix/bin/ConvolutionalSparseCoding" --help > /dev/null
echo "installed tree: headers, tools and package work from an outside project"
