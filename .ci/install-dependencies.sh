#!/usr/bin/env bash
# Installs the Debian packages the module builds and tests with, when any is missing.
set -euo pipefail
# python3-numpy and python3-scipy: the shared scorers (evaluation script, a test) and the robustness
# suite's test files; zlib: the tools check compressed MetaImage streams; OpenMPI: the tools' --mpi mode.
packages=(cmake g++ make ccache libinsighttoolkit5-dev libfftw3-dev libeigen3-dev googletest libgtest-dev
  libtclap-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-scipy zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
