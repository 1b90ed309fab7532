#!/usr/bin/env bash
# The main job: install deps, build Release, run the main example.
# Extra arguments are passed on to the example.
set -euo pipefail

# The example to run: examples/<name>.cpp or examples/<name>/main.cpp.
MAIN_EXAMPLE=fashion_mnist

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install_deps.sh

generator=()
[[ -f build/CMakeCache.txt ]] || generator=(-G Ninja)
# METAGRAD_NATIVE: the example is compiled for this machine's CPU (it runs where it is built).
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DMETAGRAD_NATIVE=ON
cmake --build build -j 2 --target "example_${MAIN_EXAMPLE}"

exec "build/examples/${MAIN_EXAMPLE}" "$@"
