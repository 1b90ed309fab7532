#!/usr/bin/env bash
# Every public header compiles on its own (it includes what it uses): g++ -fsyntax-only of a TU
# that includes just that header, with the project's warnings as errors, one compiler per core.
# ctest runs it as headers_standalone.
#   usage: bash scripts/check_headers.sh [compiler]     (default: g++; JOBS: parallel checks,
#          default nproc)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cxx=${1:-g++}
jobs=${JOBS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One header: prints "not standalone: <header>" and its first errors when it fails.
check_one() {
  local root=$1 cxx=$2 tmp=$3 h=$4
  local rel=${h#"$root/include/"} dir
  dir=$(mktemp -d "$tmp/h.XXXXXX")
  printf '#include <%s>\n' "$rel" >"$dir/tu.cpp"
  # src.hpp is only for METAGRAD_SEPARATE_COMPILATION builds (it says so with an #error otherwise).
  local mode=()
  [[ $rel == metagrad/src.hpp ]] && mode=(-DMETAGRAD_SEPARATE_COMPILATION)
  if ! "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror "${mode[@]}" \
    -I"$root/include" -isystem /usr/include/eigen3 "$dir/tu.cpp" 2>"$dir/err"; then
    echo "not standalone: $rel"
    grep -m 3 'error' "$dir/err" || true
  fi
}
export -f check_one

find "$root/include/metagrad" -name '*.hpp' | sort >"$tmp/headers"
n=$(wc -l <"$tmp/headers")
xargs -P "$jobs" -I{} bash -c 'check_one "$@"' _ "$root" "$cxx" "$tmp" {} <"$tmp/headers" \
  | tee "$tmp/report"
failed=$(grep -c '^not standalone:' "$tmp/report" || true)
echo "$((n - failed)) of $n headers compile on their own"
[[ $failed -eq 0 ]]
