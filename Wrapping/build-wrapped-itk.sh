#!/usr/bin/env bash
# Proof of the Python wrapping on a machine whose ITK has none (Debian's):
#   1. ITK 5.2.1 from Debian's source package, with Python wrapping restricted to the modules
#      and types this module needs, built and installed in CACHE_DIR (reused when already there);
#   2. this module configured against ITK's build tree with wrapping on (ITK builds external
#      modules only against a build tree), built: its Python modules land in that tree's itk package;
#   3. the Python tests under Wrapping/test run (ctest -L python).
# Usage: bash Wrapping/build-wrapped-itk.sh CACHE_DIR [MODULE_BUILD_DIR]
# Each step's wall time goes to CACHE_DIR/times.log. About 1.5 hours for step 1 on a 2-core
# machine (../shared/BUILD_NOTES.md); steps 2-3 take minutes.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 CACHE_DIR [MODULE_BUILD_DIR]" >&2; exit 2; }
mkdir -p "$1"
cache=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
module_build=${2:-$cache/module-build}
itk_version=5.2.1
prefix=$cache/itk-$itk_version-python
python=/usr/bin/python3
jobs=$(nproc)
log=$cache/times.log

step() { # step NAME COMMAND...: runs and records the wall time
  local name=$1 t0 t1
  shift
  t0=$(date +%s)
  echo "== $name ($(date -u +%H:%M:%S))"
  "$@"
  t1=$(date +%s)
  printf '%-28s %6d s\n' "$name" $((t1 - t0)) | tee -a "$log"
}

install_packages() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    # The source package needs a deb-src entry; the same mirror as the binary packages.
    $sudo tee /etc/apt/sources.list.d/itk-csc-deb-src.sources > /dev/null << 'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    dpkg-dev swig4.0 castxml python3-dev python3-numpy libfftw3-dev cmake g++ make ccache \
    libeigen3-dev libtclap-dev nlohmann-json3-dev zlib1g-dev > /dev/null
}

fetch_itk_source() {
  mkdir -p "$cache/src"
  ls "$cache"/src/insighttoolkit5-*/CMakeLists.txt > /dev/null 2>&1 ||
    (cd "$cache/src" && apt-get source -qq insighttoolkit5 > /dev/null)
  local dir
  dir=$(find "$cache/src" -maxdepth 1 -type d -name "insighttoolkit5-*" | head -1)
  [ -n "$dir" ] || { echo "apt-get source insighttoolkit5 gave no source folder" >&2; exit 1; }
  # ITK 5.2.1 uses np.bool, which numpy 1.24 (Debian's) removed.
  sed -i 's/\bnp\.bool\b/np.bool_/g' "$dir/Wrapping/Generators/Python/itk/support/types.py"
  ln -sfn "$dir" "$cache/itk-source"
}

configure_itk() {
  # Only the modules this module and its Python tests need (ITKMesh: ITKCommon's wrapping includes
  # itkMeshRegion.h); float and double, and unsigned short for the movie filter's cell labels (as
  # ITK's own wheels); image dimensions from CSC_WRAP_IMAGE_DIMS (default 2;3;4: the 3-D filters'
  # dictionaries and coefficient maps are 4-D images; "2;3" builds in about two thirds of the
  # time but leaves the 3-D filters unwrapped). MinSizeRel: ITK's Python modules get LTO in Release builds, which
  # doubles their link time; this module's own code is compiled by its own (Release) build.
  cmake -S "$cache/itk-source" -B "$cache/itk-build" -G "Unix Makefiles" \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_RPATH="$prefix/lib" \
    -DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=ON \
    -DITK_BUILD_DEFAULT_MODULES=OFF -DITKGroup_Core=OFF \
    -DModule_ITKCommon=ON -DModule_ITKFFT=ON -DModule_ITKIOImageBase=ON -DModule_ITKIOMeta=ON \
    -DModule_ITKBridgeNumPy=ON -DModule_ITKMesh=ON \
    -DITK_USE_FFTWF=ON -DITK_USE_FFTWD=ON -DITK_USE_SYSTEM_FFTW=ON \
    -DITK_WRAP_PYTHON=ON -DITK_USE_SYSTEM_SWIG=ON -DITK_USE_SYSTEM_CASTXML=ON \
    -DSWIG_EXECUTABLE=/usr/bin/swig4.0 -DCASTXML_EXECUTABLE=/usr/bin/castxml \
    -DPython3_EXECUTABLE=$python -DITK_FORBID_DOWNLOADS=ON \
    -DITK_WRAP_float=ON -DITK_WRAP_double=ON -DITK_WRAP_vector_float=ON \
    -DITK_WRAP_unsigned_char=OFF -DITK_WRAP_unsigned_short=ON -DITK_WRAP_signed_short=OFF \
    -DITK_WRAP_covariant_vector_float=OFF -DITK_WRAP_rgb_unsigned_char=OFF \
    -DITK_WRAP_rgba_unsigned_char=OFF -DITK_WRAP_complex_float=OFF \
    -DITK_WRAP_IMAGE_DIMS="${CSC_WRAP_IMAGE_DIMS:-2;3;4}" > "$cache/itk-configure.log" 2>&1 || {
    tail -40 "$cache/itk-configure.log"
    exit 1
  }
}

build_itk() {
  nice -n 5 cmake --build "$cache/itk-build" -j "$jobs" > "$cache/itk-build.log" 2>&1 || {
    tail -40 "$cache/itk-build.log"
    exit 1
  }
  cmake --install "$cache/itk-build" > "$cache/itk-install.log" 2>&1
  touch "$prefix/.complete"
}

configure_module() {
  # This module's wrapping writes into ITK's build tree, and a header change does not regenerate
  # those files there (CastXML's output, SWIG's typedefs): remove them, so that every build
  # generates them from the sources it builds.
  local wrap name
  for wrap in "$root"/Wrapping/*.wrap; do
    name=$(basename "$wrap" .wrap)
    rm -f "$cache/itk-build/Wrapping/$name.xml" "$cache/itk-build/Wrapping/$name.cxx" \
      "$cache/itk-build/Wrapping/Typedefs/$name".* "$cache/itk-build/Wrapping/Typedefs/${name}SwigInterface.h" \
      "$cache/itk-build/Wrapping/Typedefs/python/${name}_ext.i"
  done
  cmake -S "$root" -B "$module_build" -DCMAKE_BUILD_TYPE=Release \
    -DITK_DIR="$cache/itk-build" -DBUILD_TESTING=ON -DCSC_BUILD_CXX_TESTS=OFF \
    -DCSC_BUILD_COMMAND_LINE_TOOLS=OFF -DPython3_EXECUTABLE=$python \
    -DITK_USE_SYSTEM_SWIG=ON -DSWIG_EXECUTABLE=/usr/bin/swig4.0 \
    -DITK_USE_SYSTEM_CASTXML=ON -DCASTXML_EXECUTABLE=/usr/bin/castxml \
    -DITK_USE_KWSTYLE=OFF -DITK_USE_CLANG_FORMAT=OFF -DITK_FORBID_DOWNLOADS=ON > "$module_build.configure.log" 2>&1 || {
    tail -40 "$module_build.configure.log"
    exit 1
  }
}

build_module() {
  cmake --build "$module_build" -j "$jobs" > "$module_build.build.log" 2>&1 || {
    tail -40 "$module_build.build.log"
    exit 1
  }
}

run_python_tests() {
  (cd "$module_build" && ctest -L python --output-on-failure)
}

if [ -f "$prefix/.complete" ]; then
  echo "== wrapped ITK $itk_version found in $prefix (delete it to rebuild)"
else
  echo "# $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
  step "install packages" install_packages
  step "fetch ITK source" fetch_itk_source
  step "configure ITK" configure_itk
  step "build+install ITK" build_itk
fi
step "configure module" configure_module
step "build module" build_module
step "python tests" run_python_tests
