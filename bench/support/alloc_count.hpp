// SPDX-License-Identifier: MIT
// Heap allocations per benchmark step (issue 4: "no heap allocation inside a training step after
// warm-up, for every task"). Include this header in exactly one TU of a benchmark program (each
// bench/*.cpp is its own program): it replaces glibc's malloc family with counting wrappers that
// forward to glibc's own (__libc_malloc ...), so every allocation of the process is counted: C++
// operator new (libstdc++'s calls malloc), Eigen's aligned_malloc, std::aligned_alloc,
// posix_memalign, and the allocations of LibTorch, OpenBLAS and the thread pools, on every thread.
//
//   for (int i = 0; i < 3; ++i) net.step();           // warm-up
//   {
//     metagrad_bench::allocations_per_step count(state);
//     for (auto _ : state) net.step();
//   }  // sets the counter allocs_per_step = allocations in the loop / iterations
//
// free is not counted (only allocations are), realloc is counted as one allocation.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
// clang's mm_malloc.h (included by the x86 intrinsics headers, e.g. through Eigen or dlib)
// redeclares posix_memalign without noexcept; a redeclaration after the definition below would
// be an error in clang, one before it is not.
#if __has_include(<mm_malloc.h>)
#include <mm_malloc.h>
#endif

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);
}

namespace metagrad_bench {

/// Every allocation of the process since it started, all threads.
inline std::atomic<unsigned long long> heap_allocations{0};

inline void count_one() { heap_allocations.fetch_add(1, std::memory_order_relaxed); }

/// Counts the allocations from its construction to its destruction and sets the benchmark
/// counter allocs_per_step to their number divided by the state's iterations (times
/// steps_per_iteration, e.g. the batches of an epoch); construct it just before the timed loop,
/// after warm-up, and let it end just after the loop.
class allocations_per_step {
 public:
  explicit allocations_per_step(benchmark::State& state, double steps_per_iteration = 1)
      : state_(state),
        steps_(steps_per_iteration),
        start_(heap_allocations.load(std::memory_order_relaxed)) {}
  allocations_per_step(allocations_per_step const&) = delete;
  allocations_per_step& operator=(allocations_per_step const&) = delete;
  ~allocations_per_step() {
    auto n = heap_allocations.load(std::memory_order_relaxed) - start_;
    auto it = state_.iterations();
    state_.counters["allocs_per_step"] =
        it > 0 ? static_cast<double>(n) / (static_cast<double>(it) * steps_) : 0.0;
  }

 private:
  benchmark::State& state_;
  double steps_;
  unsigned long long start_;
};

}  // namespace metagrad_bench

// The replacements (glibc lets a program define its own malloc family, "Replacing malloc" in its
// manual; these forward to glibc's allocator, so free and malloc_usable_size stay consistent).
extern "C" {
void* malloc(std::size_t size) noexcept {
  metagrad_bench::count_one();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  metagrad_bench::count_one();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  metagrad_bench::count_one();
  return __libc_realloc(p, size);
}
void free(void* p) noexcept { __libc_free(p); }
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  metagrad_bench::count_one();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  metagrad_bench::count_one();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  metagrad_bench::count_one();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr && size != 0) return ENOMEM;
  *out = p;
  return 0;
}
}
