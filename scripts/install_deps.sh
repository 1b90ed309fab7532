#!/usr/bin/env bash
# Installs everything metagrad needs on Debian 12. Idempotent, and a no-op (no apt-get
# update) when all packages are already there, so CI pays for apt only on a fresh machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++ clang
  libeigen3-dev doctest-dev libclang-rt-14-dev zlib1g-dev libbenchmark-dev
  libopenblas-dev dataset-fashion-mnist ca-certificates
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi

echo "install_deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
