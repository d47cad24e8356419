#!/usr/bin/env bash
#===- scripts/install-deps.sh - Install dlc's Debian dependencies ---------===#
#
# Installs only the Debian 12 packages that are missing, non-interactively:
# one `apt-get update`, then one `apt-get install -y`. Safe to run repeatedly;
# it does nothing (and needs no network) when everything is present.
# `--bench` adds what bench/ needs: torchvision (resnet18) and Node.js/npm
# (ONNX Runtime from npm). clang and its runtime libraries (libFuzzer, ASan,
# UBSan) build tests/fuzz, which `make test` runs.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkgconf binutils
  llvm-19-dev libmlir-19-dev mlir-19-tools
  libhalide14-0-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libonnx-testdata python3-onnx python3-numpy python3-torch
  libprotobuf-dev libopenblas-dev
  clang libclang-rt-dev
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torchvision)
  command -v npm > /dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if ((EUID != 0)); then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
