#!/usr/bin/env bash
# Every public header compiles on its own (it includes what it uses): g++ -fsyntax-only of a TU
# that includes just that header, with the project's warnings as errors. ctest runs it as
# headers_standalone.
#   usage: bash scripts/check_headers.sh [compiler]     (default: g++)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cxx=${1:-g++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
n=0
while IFS= read -r h; do
  rel=${h#"$root/include/"}
  printf '#include <%s>\n' "$rel" >"$tmp/tu.cpp"
  if ! "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$root/include" \
    -isystem /usr/include/eigen3 "$tmp/tu.cpp" 2>"$tmp/err"; then
    echo "not standalone: $rel"
    grep -m 3 'error' "$tmp/err" || true
    failed=$((failed + 1))
  fi
  n=$((n + 1))
done < <(find "$root/include/metagrad" -name '*.hpp' | sort)
echo "$((n - failed)) of $n headers compile on their own"
[[ $failed -eq 0 ]]
