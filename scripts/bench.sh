#!/usr/bin/env bash
# Builds and runs the benchmarks (bench/README.md):
#   1. the Google Benchmark programs bench/*.cpp (Release, -DMETAGRAD_BUILD_BENCH=ON), each with
#      5 repetitions, then a table per task of every contender's median time (eigen, libtorch,
#      dlib, ...), its ratio to metagrad's and its heap allocations per step;
#   2. when python3 can import torch (or jax): the Python peers of bench/peers/ (PyTorch eager,
#      torch.compile, JAX jit), whose JSON joins the same table, and a PyTorch epoch;
#   3. the compile-time benchmark bench/compile/run.sh.
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
# metagrad on OpenBLAS: whichever bench_<name>_openblas bench/CMakeLists.txt defined (when it
# found OpenBLAS), read from the build file so the list of programs lives in one place.
mapfile -t blas_targets < <(sed -n 's|^build bench/\(bench_[A-Za-z0-9_]*_openblas\):.*|\1|p' \
  "$build/build.ninja" | sort -u)
targets+=("${blas_targets[@]}")
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
# The optional C++ contenders are built when found; say which are missing and how to get them.
if ! grep -q 'Torch_DIR:PATH=/' "$build/CMakeCache.txt"; then
  echo "bench: LibTorch not found (apt-get install libtorch-dev): no libtorch contenders" >&2
fi
if ! grep -q 'dlib_DIR:PATH=/' "$build/CMakeCache.txt"; then
  echo "bench: dlib not found (apt-get install libdlib-dev): no dlib contenders" >&2
fi

# Debian's OpenBLAS 0.3.21 does not know AMD Zen 4/5 and runs its Haswell (AVX2) kernels there,
# which cap it at half the AVX-512 FMA peak; on an AVX-512 CPU use its SkylakeX kernels (for the
# direct cblas_sgemm contender and for LibTorch, which calls OpenBLAS through libblas.so.3).
# Set OPENBLAS_CORETYPE yourself to override.
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SKYLAKEX
fi

banner "run"
mkdir -p "$results"
for t in "${targets[@]}"; do
  if [[ $t == *_openblas ]]; then
    # Only metagrad's benchmarks, renamed BM_<task>_metagrad_openblas: a contender of the task.
    "$build/bench/$t" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_filter='_metagrad(/|$)' --benchmark_out="$results/$t.json.tmp" \
      --benchmark_out_format=json
    sed -E 's/_metagrad(\/|")/_metagrad_openblas\1/g' "$results/$t.json.tmp" >"$results/$t.json"
    rm "$results/$t.json.tmp"
    continue
  fi
  "$build/bench/$t" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/$t.json" --benchmark_out_format=json
done

# The Python peers (bench/peers/, PyTorch eager and torch.compile, JAX jit) when installed:
# their JSON lands next to the C++ results and joins the same table.
if python3 -c 'import torch' 2>/dev/null; then
  banner "peers: PyTorch"
  for fw in torch torch_compile; do
    for t in 1 2; do
      python3 bench/peers/peers.py --framework "$fw" --threads "$t" --out "$results/peer_${fw}_$t.json" ||
        echo "bench: peers.py --framework $fw --threads $t failed" >&2
    done
  done
  banner "epoch: PyTorch eager (bench/peers/fashion_mnist_mlp.py), seconds per epoch"
  for t in 1 2; do
    echo "threads $t:"
    python3 bench/peers/fashion_mnist_mlp.py --epochs 3 --threads "$t" || true
  done
fi
if python3 -c 'import jax' 2>/dev/null; then
  banner "peers: JAX"
  for t in 1 2; do
    python3 bench/peers/peers.py --framework jax --threads "$t" --out "$results/peer_jax_$t.json" ||
      echo "bench: peers.py --framework jax --threads $t failed" >&2
  done
fi

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
# A time in seconds: contenders report in different units (the OR gate's C++ steps in ns, the
# Python peers' in us), and a ratio of the bare numbers was off by their factor.
def seconds(b, key):
    return b[key] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
# allocs/step: heap allocations per timed iteration after warm-up (bench/support/alloc_count.hpp;
# "-" for the Python peers, which do not count them).
print(f"{'task':<24} {'contender':<16} {'real time':>13} {'ratio':>7} {'cpu time':>13} {'ratio':>7}"
      f" {'allocs/step':>12}")
for task in sorted(rows):
    group = rows[task]
    if "metagrad" not in group or len(group) < 2:
        continue
    ref = group["metagrad"]
    for who in ["metagrad"] + sorted(w for w in group if w != "metagrad"):
        b = group[who]
        unit = b["time_unit"]
        print(f"{task:<24} {who:<16} {b['real_time']:>10.3f} {unit:<2} "
              f"{seconds(b, 'real_time') / seconds(ref, 'real_time'):>6.2f}x "
              f"{b['cpu_time']:>10.3f} {unit:<2} "
              f"{seconds(b, 'cpu_time') / seconds(ref, 'cpu_time'):>6.2f}x "
              + (f"{b['allocs_per_step']:>12.4g}" if "allocs_per_step" in b else f"{'-':>12}"))
    print()
print("ratio = contender / metagrad: above 1 means metagrad is faster")

# gemm: every contender's GFLOP/s (median) and its fraction of the FMA peak measured in the same
# run (BM_fma_peak_avx512, else _avx2). Two figures each: by wall time (the GFLOPS counter; on a
# busy machine it counts the time other jobs hold the core), and by CPU time (flops / CPU time of
# the timing thread: the undisturbed figure, exact for one thread; at 2 threads the worker
# thread's CPU time is not counted, so only the wall-time figure is meaningful there). The peak
# of t threads is the FMA loop's GFLOPS run on t threads at once (Google Benchmark sums a rate
# counter over the threads: it is already all t cores' figure).
def cpu_seconds(b):
    return seconds(b, "cpu_time")
peak = {}
for isa in ("avx2", "avx512"):  # the widest one measured wins
    for name, b in medians.items():
        m = re.match(rf"BM_fma_peak_{isa}/.*threads:(\d+)", name)
        if m:
            t = int(m.group(1))
            # by CPU time for one thread only (how a busy machine splits CPU time among the
            # benchmark's threads is not reliable)
            peak[t] = (isa, b["GFLOPS"],
                       b["flop_per_iter"] * 1e-9 / cpu_seconds(b) if t == 1 else float("nan"))
gemm = {}
for name, b in medians.items():
    m = re.match(r"BM_gemm_(\w+)/n:(\d+)/threads:(\d+)", name)
    if m:
        gemm.setdefault((int(m.group(3)), int(m.group(2))), {})[m.group(1)] = (
            b["GFLOPS"], b["flop_per_iter"] * 1e-9 / cpu_seconds(b))
if gemm:
    print()
    for t, (isa, wall, cpu) in sorted(peak.items()):
        print(f"FMA peak, {t} thread(s), {isa}: {wall:.1f} GFLOP/s by wall time"
              + (f", {cpu:.1f} by CPU time" if t == 1 else ""))
    who = sorted({w for g in gemm.values() for w in g}, key=lambda w: (w != "metagrad", w))
    print(f"{'gemm, GFLOP/s (% of peak)':<26}" + "".join(f"{w + ' wall':>18}{w + ' cpu':>18}" for w in who))
    for (t, n), g in sorted(gemm.items()):
        _, pw, pc = peak.get(t, (None, float("nan"), float("nan")))
        cells = ""
        for w in who:
            if w not in g:
                cells += f"{'-':>18}{'-':>18}"
                continue
            gw, gc = g[w]
            cells += f"{gw:>9.1f} ({100 * gw / pw:>4.0f}%)"
            cells += f"{gc:>9.1f} ({100 * gc / pc:>4.0f}%)" if t == 1 else f"{'-':>18}"
        print(f"n={n:<5} threads={t:<12}" + cells)
    print("% = GFLOP/s / FMA peak of the same thread count, wall with wall, cpu with cpu")
EOF

if [[ $run_compile == 1 ]]; then
  banner "compile time"
  bash bench/compile/run.sh
fi
