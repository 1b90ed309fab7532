#!/usr/bin/env bash
# THE test command (CI runs it through .ci/run). Stages:
#   1. Release build (Ninja) + every ctest: compile-fail, examples, docs snippets, headers, clang
#      warnings on the docs and examples (scripts/check_clang.sh, when clang++ is found), and the
#      unit tests the sanitizer build leaves out (the transformer block's; METAGRAD_UNIT_TESTS in
#      tests/CMakeLists.txt). The others are built and run once, in stage 2: building them here
#      too made this stage 964 s of a clean-clone run; it takes 331 s without them. Docs
#      snippets at -O1 (METAGRAD_CHECK_OPT in CMakeLists.txt)
#   2. Debug -O0 build with ASan+UBSan, unit tests only (-O0 compiles these TUs 3x faster than -O1;
#      no debug info: the names of deep expression types make -g's DWARF take over 20 GB of
#      compiler memory for one TU; reports still name the functions, without line numbers).
#      UBSan's null and alignment checks are left out: on every reference binding and member
#      access they cost 1.36x in compile time (CMakeLists.txt, METAGRAD_SANITIZE_EXCLUDE), and
#      a null pointer that is read is still reported by ASan. Nor its pointer-overflow check, on
#      every pointer arithmetic expression: it was nearly all of UBSan's remaining compile time
#      (tests/autodiff/transforms.cpp 40.6 -> 34.8 s, ASan alone 35.3; nn/losses.cpp 45.6 ->
#      42.1), and an access out of bounds, wrapped or not, is still ASan's to report
#   3. the libFuzzer targets of tests/fuzz (scripts/fuzz.sh, clang), a minute each, all three at
#      once, beside stage 2's test run (one process: the other core is free)
#   4. install into a temp prefix, then build and run tests/install_consumer against it
# Exits non-zero on the first failure; ends with one "N passed, 0 failed" line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2
passed=0

banner() { printf '\n==================== %s ====================\n' "$*"; }

# Generator only on a fresh build dir: re-passing a different one to an existing cache fails.
generator_args() {
  if [[ ! -f "$1/CMakeCache.txt" ]]; then echo "-G Ninja"; fi
}

# Runs ctest, echoing its output, and adds its test count to $passed.
run_ctest() {
  local log
  log=$(mktemp)
  ctest --test-dir "$1" --output-on-failure "${@:2}" 2>&1 | tee "$log"
  local n
  n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]\+\).*/\1/p' "$log" | tail -n1)
  rm -f "$log"
  passed=$((passed + ${n:-0}))
}

banner "dependencies"
bash scripts/install_deps.sh

banner "Release build"
start=$SECONDS
# shellcheck disable=SC2046
cmake -S . -B build $(generator_args build) -DCMAKE_BUILD_TYPE=Release \
  -DMETAGRAD_UNIT_TESTS=not-sanitized
cmake --build build -j "$jobs"
echo "Release configure+build took $((SECONDS - start)) s"

banner "Release tests"
run_ctest build -j "$jobs"

banner "ASan+UBSan build (Debug, -O0)"
start=$SECONDS
# shellcheck disable=SC2046
cmake -S . -B build-asan $(generator_args build-asan) \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g0 -O0" \
  -DMETAGRAD_SANITIZE=ON -DMETAGRAD_SANITIZE_EXCLUDE=null,alignment,pointer-overflow \
  -DMETAGRAD_BUILD_EXAMPLES=OFF -DMETAGRAD_BUILD_COMPILE_FAIL_TESTS=OFF
cmake --build build-asan -j "$jobs"
echo "ASan configure+build took $((SECONDS - start)) s"

# The unit test binary is one process, so the fuzz stage (its clang build, then three fuzzers)
# runs beside it on the other core; its output is printed when both are done.
banner "ASan+UBSan unit tests, and beside them the fuzz targets (libFuzzer, clang: IDX, CSV, safetensors readers)"
start=$SECONDS
fuzz_log=$(mktemp)
bash scripts/fuzz.sh "${METAGRAD_FUZZ_SECONDS:-60}" >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$fuzz_pid" 2>/dev/null || true' EXIT  # a failed test run stops the fuzz script (fuzzers it started end within their minute)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  run_ctest build-asan
echo "ASan+UBSan unit tests took $((SECONDS - start)) s"
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
trap - EXIT
banner "fuzz output"
cat "$fuzz_log"
rm -f "$fuzz_log"
if [[ $fuzz_status -ne 0 ]]; then
  echo "fuzz: failed (exit $fuzz_status)"
  exit 1
fi
passed=$((passed + 3))
echo "ASan+UBSan unit tests and fuzz build+run took $((SECONDS - start)) s"

banner "install + consumer"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install build --prefix "$prefix/install"
cmake -S tests/install_consumer -B "$prefix/consumer-build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix/install"
cmake --build "$prefix/consumer-build" -j "$jobs"
run_ctest "$prefix/consumer-build"

banner "summary"
echo "${passed} passed, 0 failed"
