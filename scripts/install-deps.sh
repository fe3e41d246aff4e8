#!/usr/bin/env bash
# Installs every Debian package that building, testing and demoing GAN Compression Studio needs.
# Idempotent: when everything is present it only queries dpkg and exits.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format
  # engine
  # OpenBLAS takes over libblas.so.3 (Debian otherwise leaves LibTorch and NumPy on the slow reference BLAS)
  libtorch-dev libopenblas0-pthread libblas-dev libgloo-dev libspdlog-dev libfmt-dev nlohmann-json3-dev zlib1g-dev libopencv-dev
  # GUI
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev libgl-dev libxkbcommon-dev fonts-dejavu-core
  # tests, fixtures, screenshots and demo data
  python3 python3-torch python3-numpy python3-scipy xvfb xauth dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
