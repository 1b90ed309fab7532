#!/usr/bin/env bash
# Builds and runs the benchmarks (bench/README.md):
#   1. the Google Benchmark programs bench/*.cpp (Release, -DMETAGRAD_BUILD_BENCH=ON), each with
#      5 repetitions, then a table per task of every contender's median time (eigen, libtorch,
#      ...) and its ratio to metagrad's;
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

banner "every contender against metagrad (medians of 5)"
python3 - "$results"/*.json <<'EOF'
import json, re, sys

# Benchmarks are named BM_<task>_<contender>[/<arg>...][/real_time]: every BM_<task>_metagrad
# makes a task, and BM_<task>_<anything> with the same arguments (e.g. the thread count:
# BM_mlp_small_b32_eigen/2 with BM_mlp_small_b32_metagrad/2) is a contender in it.
# Every contender's median is printed with its ratio to metagrad's.
medians = {}
for path in sys.argv[1:]:
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            medians[b["run_name"]] = b
def split(name):  # "BM_x_eigen/2/real_time" => ("BM_x_eigen", "/2")
    base, *args = name.split("/")
    return base, "".join("/" + a for a in args if a != "real_time")
rows = {}
for name in medians:
    base, args = split(name)
    if base.endswith("_metagrad"):
        rows[base[len("BM_"):-len("_metagrad")] + args] = {}
for name, b in medians.items():
    base, args = split(name)
    for task in rows:
        prefix = "BM_" + task[:len(task) - len(args)] + "_"
        if task.endswith(args) and base.startswith(prefix):
            rows[task][base[len(prefix):]] = b
print(f"{'task':<24} {'contender':<16} {'real time':>13} {'ratio':>7} {'cpu time':>13} {'ratio':>7}")
for task in sorted(rows):
    group = rows[task]
    if "metagrad" not in group or len(group) < 2:
        continue
    ref = group["metagrad"]
    for who in ["metagrad"] + sorted(w for w in group if w != "metagrad"):
        b = group[who]
        unit = b["time_unit"]
        print(f"{task:<24} {who:<16} {b['real_time']:>10.3f} {unit:<2} "
              f"{b['real_time'] / ref['real_time']:>6.2f}x {b['cpu_time']:>10.3f} {unit:<2} "
              f"{b['cpu_time'] / ref['cpu_time']:>6.2f}x")
    print()
print("ratio = contender / metagrad: above 1 means metagrad is faster")
EOF

if [[ $run_compile == 1 ]]; then
  banner "compile time"
  bash bench/compile/run.sh
fi
