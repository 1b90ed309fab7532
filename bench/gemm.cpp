// SPDX-License-Identifier: MIT
// Square SGEMM C = A B, n = 256, 512, 1024, 2048, row-major float32, at 1 and 2 threads, and the
// CPU's FMA peak measured in the same run (issue 4's gemm task):
//   - metagrad: eval_into(c, matmul(a, b)) into a preallocated (dyn, dyn) tensor;
//     mg::set_num_threads;
//   - eigen:    c.noalias() = a * b with row-major Eigen matrices; Eigen::setNbThreads;
//   - openblas: cblas_sgemm (when CMake finds libopenblas); openblas_set_num_threads;
//   - libtorch: torch::mm_out into a preallocated tensor (when CMake finds Torch);
//     torch::set_num_threads and OpenBLAS's count (support/torch_threads.hpp);
//   - fma_peak_avx512 / fma_peak_avx2: 16 independent FMA chains on 512-bit (or 256-bit)
//     registers, unrolled, one thread per benchmark thread: the GFLOP/s one core (or two) can
//     reach at all. scripts/bench.sh prints each GEMM's fraction of it.
// Every GEMM reports GFLOP/s (2n^3 flops per product) as the counter "GFLOPS". Setup checks that
// all contenders give the same product (max abs diff against metagrad's, relative to |C|_max).

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>
#include <vector>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif
#if METAGRAD_BENCH_WITH_TORCH
#include "support/torch_threads.hpp"
#endif

namespace mg = metagrad;

namespace {

using mat = mg::tensor<float, mg::shape<mg::dyn, mg::dyn>>;
using emat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A and B for size n, uniform in [-1, 1), the same for every contender.
struct operands {
  mat a, b;
  explicit operands(mg::index_t n) : a(mg::extents<2>{{n, n}}), b(mg::extents<2>{{n, n}}) {
    mg::rng r{static_cast<std::uint64_t>(n)};
    for (auto& v : a) v = r.uniform<float>(-1.0f, 1.0f);
    for (auto& v : b) v = r.uniform<float>(-1.0f, 1.0f);
  }
};

void set_flops(benchmark::State& state, mg::index_t n) {
  double flops = 2.0 * double(n) * double(n) * double(n);
  state.counters["GFLOPS"] =
      benchmark::Counter(flops * 1e-9 * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["threads"] = static_cast<double>(state.range(1));
  state.counters["flop_per_iter"] = flops;
}

// ---------------------------------------------------------------------------------------------
// the kernels under test
// ---------------------------------------------------------------------------------------------
void gemm_metagrad(mat& c, operands const& o) { mg::eval_into(c, mg::matmul(o.a, o.b)); }

void gemm_eigen(emat& c, emat const& a, emat const& b) { c.noalias() = a * b; }

#if METAGRAD_BENCH_WITH_OPENBLAS
void gemm_openblas(float* c, float const* a, float const* b, int n) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
}
#endif

#if METAGRAD_BENCH_WITH_TORCH
torch::Tensor as_torch(mat const& m) {
  return torch::from_blob(const_cast<float*>(m.data()), {m.shape()[0], m.shape()[1]}).clone();
}
#endif

// ---------------------------------------------------------------------------------------------
// agreement (once per size, one thread)
// ---------------------------------------------------------------------------------------------
void agree(char const* who, mg::index_t n, float const* ref, float const* other) {
  auto count = static_cast<std::size_t>(n * n);
  float diff = 0, scale = 0;
  for (std::size_t i = 0; i < count; ++i) {
    diff = std::max(diff, std::abs(ref[i] - other[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  std::fprintf(stderr, "gemm n=%lld: max|metagrad - %s| = %.2e (max|C| %.2e)\n",
               static_cast<long long>(n), who, double(diff), double(scale));
  if (!(diff <= 1e-5f * scale * std::sqrt(float(n)))) {
    std::fprintf(stderr, "gemm: metagrad and %s disagree; aborting\n", who);
    std::abort();
  }
}

void check_agreement(mg::index_t n) {
  static std::vector<mg::index_t> checked;
  if (std::find(checked.begin(), checked.end(), n) != checked.end()) return;
  checked.push_back(n);
  mg::set_num_threads(1);
  operands o(n);
  mat c(mg::extents<2>{{n, n}});
  gemm_metagrad(c, o);
  emat ea = Eigen::Map<emat const>(o.a.data(), n, n), eb = Eigen::Map<emat const>(o.b.data(), n, n);
  emat ec(n, n);
  gemm_eigen(ec, ea, eb);
  agree("eigen", n, c.data(), ec.data());
#if METAGRAD_BENCH_WITH_OPENBLAS
  openblas_set_num_threads(1);
  std::vector<float> bc(static_cast<std::size_t>(n * n));
  gemm_openblas(bc.data(), o.a.data(), o.b.data(), static_cast<int>(n));
  agree("openblas", n, c.data(), bc.data());
#endif
#if METAGRAD_BENCH_WITH_TORCH
  metagrad_bench::set_torch_threads(1);
  auto tc = torch::mm(as_torch(o.a), as_torch(o.b)).contiguous();
  agree("libtorch", n, c.data(), tc.data_ptr<float>());
#endif
}

// ---------------------------------------------------------------------------------------------
// benchmarks: Args({n, threads})
// ---------------------------------------------------------------------------------------------
void BM_gemm_metagrad(benchmark::State& state) {
  auto n = static_cast<mg::index_t>(state.range(0));
  check_agreement(n);
  mg::set_num_threads(static_cast<int>(state.range(1)));
  operands o(n);
  mat c(mg::extents<2>{{n, n}});
  gemm_metagrad(c, o);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      gemm_metagrad(c, o);
      benchmark::DoNotOptimize(c.data());
      benchmark::ClobberMemory();
    }
  }
  mg::set_num_threads(1);
  set_flops(state, n);
}

void BM_gemm_eigen(benchmark::State& state) {
  auto n = static_cast<mg::index_t>(state.range(0));
  check_agreement(n);
  Eigen::setNbThreads(static_cast<int>(state.range(1)));
  operands o(n);
  emat a = Eigen::Map<emat const>(o.a.data(), n, n), b = Eigen::Map<emat const>(o.b.data(), n, n);
  emat c(n, n);
  gemm_eigen(c, a, b);
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      gemm_eigen(c, a, b);
      benchmark::DoNotOptimize(c.data());
      benchmark::ClobberMemory();
    }
  }
  Eigen::setNbThreads(1);
  set_flops(state, n);
}

#if METAGRAD_BENCH_WITH_OPENBLAS
void BM_gemm_openblas(benchmark::State& state) {
  auto n = static_cast<mg::index_t>(state.range(0));
  check_agreement(n);
  openblas_set_num_threads(static_cast<int>(state.range(1)));
  operands o(n);
  std::vector<float> c(static_cast<std::size_t>(n * n));
  gemm_openblas(c.data(), o.a.data(), o.b.data(), static_cast<int>(n));
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      gemm_openblas(c.data(), o.a.data(), o.b.data(), static_cast<int>(n));
      benchmark::DoNotOptimize(c.data());
      benchmark::ClobberMemory();
    }
  }
  openblas_set_num_threads(1);
  set_flops(state, n);
}
#endif

#if METAGRAD_BENCH_WITH_TORCH
void BM_gemm_libtorch(benchmark::State& state) {
  auto n = static_cast<mg::index_t>(state.range(0));
  check_agreement(n);
  metagrad_bench::set_torch_threads(static_cast<int>(state.range(1)));
  operands o(n);
  auto a = as_torch(o.a), b = as_torch(o.b);
  auto c = torch::empty({n, n});
  torch::mm_out(c, a, b);
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      torch::mm_out(c, a, b);
      benchmark::DoNotOptimize(c.data_ptr<float>());
      benchmark::ClobberMemory();
    }
  }
  metagrad_bench::set_torch_threads(1);
  set_flops(state, n);
}
#endif

void gemm_args(benchmark::internal::Benchmark* b) {
  for (int t : {1, 2})
    for (int n : {256, 512, 1024, 2048}) b->Args({n, t});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->ArgNames({"n", "threads"});
}
BENCHMARK(BM_gemm_metagrad)->Apply(gemm_args);
BENCHMARK(BM_gemm_eigen)->Apply(gemm_args);
#if METAGRAD_BENCH_WITH_OPENBLAS
BENCHMARK(BM_gemm_openblas)->Apply(gemm_args);
#endif
#if METAGRAD_BENCH_WITH_TORCH
BENCHMARK(BM_gemm_libtorch)->Apply(gemm_args);
#endif

// ---------------------------------------------------------------------------------------------
// FMA peak: `chains` independent accumulators (more than FMA latency x FMA ports, so the FMA
// units never wait on a result), each updated acc = acc * m + k in a loop unrolled by the
// compiler; 2 flops per lane per FMA. Threads(t) runs it on t benchmark threads at once; Google
// Benchmark sums a rate counter over the threads, so "GFLOPS" is the peak of t cores together
// (514.9 at two threads against 256.8 at one, 2026-12-06).
// ---------------------------------------------------------------------------------------------
constexpr int chains = 16;
constexpr long long fma_iters = 1 << 20;

template <class V, int Lanes, class Fma, class Set>
void fma_peak(benchmark::State& state, Fma fma, Set set) {
  V acc[chains];
  for (int i = 0; i < chains; ++i) acc[i] = set(1.0f + 1e-3f * float(i));
  V const m = set(0.999999f), k = set(1e-7f);
  for (auto _ : state) {
    for (long long it = 0; it < fma_iters; ++it) {
#pragma GCC unroll 16
      for (int i = 0; i < chains; ++i) acc[i] = fma(acc[i], m, k);
    }
    for (int i = 0; i < chains; ++i) benchmark::DoNotOptimize(acc[i]);
  }
  double flops = 2.0 * Lanes * chains * double(fma_iters) * double(state.iterations());
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  // One thread's flops per iteration: with the CPU time (which a busy machine does not inflate
  // as it does the wall time) it gives the peak of an undisturbed core.
  state.counters["flop_per_iter"] =
      benchmark::Counter(2.0 * Lanes * chains * double(fma_iters), benchmark::Counter::kAvgThreads);
}

#if defined(__AVX512F__)
void BM_fma_peak_avx512(benchmark::State& state) {
  fma_peak<__m512, 16>(
      state, [](__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); },
      [](float v) { return _mm512_set1_ps(v); });
}
BENCHMARK(BM_fma_peak_avx512)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif
#if defined(__AVX2__) && defined(__FMA__)
void BM_fma_peak_avx2(benchmark::State& state) {
  fma_peak<__m256, 8>(
      state, [](__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); },
      [](float v) { return _mm256_set1_ps(v); });
}
BENCHMARK(BM_fma_peak_avx2)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

}  // namespace
