#!/usr/bin/env bash
# Builds and runs the benchmarks (bench/README.md):
#   1. the Google Benchmark programs bench/*.cpp (Release, -DMETAGRAD_BUILD_BENCH=ON), each with
#      5 repetitions, then a table of metagrad/eigen ratios of the median times;
#   2. the compile-time benchmark bench/compile/run.sh.
#
#   usage: scripts/bench.sh [--no-compile]
#   env:   BUILD (build dir, default build-bench), JOBS (2), RESULTS (json output dir, default
#          $BUILD/results)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${BUILD:-build-bench}
jobs=${JOBS:-2}
results=${RESULTS:-$build/results}
run_compile=1
[[ ${1:-} == --no-compile ]] && run_compile=0

banner() { printf '\n==================== %s ====================\n' "$*"; }

banner "build"
generator=()
[[ -f "$build/CMakeCache.txt" ]] || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DMETAGRAD_BUILD_BENCH=ON \
  -DMETAGRAD_BUILD_TESTS=OFF -DMETAGRAD_BUILD_EXAMPLES=OFF -DMETAGRAD_INSTALL=OFF >/dev/null
targets=()
for src in bench/*.cpp; do targets+=("bench_$(basename "$src" .cpp)"); done
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

banner "run"
mkdir -p "$results"
for t in "${targets[@]}"; do
  "$build/bench/$t" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/$t.json" --benchmark_out_format=json
done

banner "metagrad / eigen (medians of 5)"
python3 - "$results"/*.json <<'EOF'
import json, sys

medians = {}
for path in sys.argv[1:]:
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            medians[b["run_name"]] = b
print(f"{'task':<24} {'metagrad':>12} {'eigen':>12} {'ratio':>7}   {'(cpu time)':>22}")
for name in sorted(medians):
    if not name.endswith("_metagrad"):
        continue
    task = name[len("BM_"):-len("_metagrad")]
    other = f"BM_{task}_eigen"
    if other not in medians:
        continue
    m, e = medians[name], medians[other]
    unit = m["time_unit"]
    print(f"{task:<24} {m['real_time']:>9.3f} {unit:<2} {e['real_time']:>9.3f} {unit:<2} "
          f"{m['real_time'] / e['real_time']:>6.2f}x   "
          f"{m['cpu_time']:.3f} / {e['cpu_time']:.3f} = {m['cpu_time'] / e['cpu_time']:.2f}x")
EOF

if [[ $run_compile == 1 ]]; then
  banner "compile time"
  bash bench/compile/run.sh
fi
