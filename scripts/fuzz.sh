#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang++ (a build dir of their own, build-fuzz)
# and runs each for N seconds (default 20) on a temp copy of its seed corpus, so the committed
# corpus never grows. Fails on any finding (crash, leak, UB, timeout, out-of-memory).
# Usage: scripts/fuzz.sh [seconds-per-target]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-20}
build=${METAGRAD_FUZZ_BUILD_DIR:-build-fuzz}
cxx=${METAGRAD_FUZZ_CXX:-clang++}

gen=()
if [[ ! -f "$build/CMakeCache.txt" ]]; then gen=(-G Ninja); fi
cmake -S . -B "$build" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMETAGRAD_BUILD_FUZZ=ON -DMETAGRAD_BUILD_TESTS=OFF -DMETAGRAD_BUILD_EXAMPLES=OFF \
  -DMETAGRAD_INSTALL=OFF -DMETAGRAD_USE_OPENMP=OFF
cmake --build "$build" -j 2
bin=$(cd "$build" && pwd)/tests/fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
targets=(idx csv safetensors)

# One target's run, its output in $work/$t/log; its exit status is libFuzzer's.
run_target() {
  local t=$1
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp -r tests/fuzz/corpus/"$t"/. "$work/$t/corpus/"
  (cd "$work/$t" &&
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      "$bin/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" corpus \
      >"$work/$t/log" 2>&1)
}

# The targets run at the same time, each for $seconds of wall time (on a 2-core machine, three
# targets share the two cores), then each is reported in turn.
echo "fuzz: ${targets[*]}, $seconds s each, all at once"
pids=()
for t in "${targets[@]}"; do
  run_target "$t" &
  pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if ! wait "${pids[$i]}"; then
    tail -n 60 "$work/$t/log"
    for a in "$work/$t"/artifacts/*; do
      [[ -e "$a" ]] || continue
      echo "finding: $(basename "$a") (base64 below)"
      base64 "$a" | head -c 4096
      echo
    done
    echo "fuzz_$t: FAILED"
    failed=1
    continue
  fi
  grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$t/log" | tail -n 2 || true
  echo "fuzz_$t: ok, no finding"
done
[[ $failed -eq 0 ]] || exit 1
echo "fuzz: ${#targets[@]} targets, $seconds s each, no finding"
