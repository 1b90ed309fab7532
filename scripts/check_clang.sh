#!/usr/bin/env bash
# The documentation's programs and the examples compile under clang with the project's warnings as
# errors (clang++ -fsyntax-only; instantiating the templates, which a header check alone does
# not). CI builds and runs everything with g++, so this is what keeps a clang user's -Wall build
# of metagrad's headers clean (clang warns where g++ does not, e.g. -Wmissing-braces).
# ctest runs it as clang_warnings when clang++ is found.
#   usage: bash scripts/check_clang.sh [clang++]      (JOBS: parallel compiles, default nproc)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cxx=${1:-clang++}
jobs=${JOBS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_one() {
  local cxx=$1 root=$2 src=$3 err
  err=$(mktemp)
  if ! "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror \
    -DMETAGRAD_SEPARATE_COMPILATION -I"$root/include" -isystem /usr/include/eigen3 "$src" \
    2>"$err"; then
    echo "clang warnings or errors: ${src#"$root/"}"
    grep -m 3 -E 'error|warning' "$err" | cut -c1-300 || true
  fi
  rm -f "$err"
}
export -f check_one

find "$root/docs" "$root/examples" -name '*.cpp' | sort >"$tmp/sources"
n=$(wc -l <"$tmp/sources")
xargs -P "$jobs" -I{} bash -c 'check_one "$@"' _ "$cxx" "$root" {} <"$tmp/sources" | tee "$tmp/report"
failed=$(grep -c '^clang warnings or errors:' "$tmp/report" || true)
echo "$((n - failed)) of $n programs compile cleanly with $cxx -Wall -Wextra -Wpedantic -Werror"
[[ $failed -eq 0 ]]
