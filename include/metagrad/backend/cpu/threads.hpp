// SPDX-License-Identifier: MIT
// Thread count of the cpu policy, set through the API: Eigen's GEMM and OpenMP loops use it, and
// so does the BLAS that large GEMMs go to (METAGRAD_CBLAS) when it is OpenBLAS, whose own thread
// pool (its pthread build) would otherwise use every core whatever the count set here.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <type_traits>

#include "../../config.hpp"
#include "../../shape/shape.hpp"
#if METAGRAD_HAS_OPENMP
#include <omp.h>
#endif
#if METAGRAD_CBLAS
#include <cblas.h>  // OpenBLAS's declares openblas_set_num_threads and defines OPENBLAS_VERSION
#if defined(OPENBLAS_VERSION)
// Weak: OpenBLAS's header may be paired with a libblas.so that lacks the function (Debian's
// alternatives); then it is null here and only Eigen and OpenMP get the count.
extern "C" [[gnu::weak]] void openblas_set_num_threads(int);
#endif
#endif

namespace metagrad {

/// Threads used by cpu kernels (1 = serial), e.g. set_num_threads(2). With OpenMP this is the
/// calling thread's OpenMP thread count (omp_set_num_threads), which Eigen's GEMM follows too;
/// products too small to gain from threads run on one (detail::parallel_min_work).
inline void set_num_threads(int n) {
  if (n < 1) n = 1;
#if METAGRAD_HAS_OPENMP
  omp_set_num_threads(n);
  // Eigen then reads OpenMP's count (its own, once set, would override it for every thread).
  Eigen::setNbThreads(0);
#endif
#if METAGRAD_CBLAS && defined(OPENBLAS_VERSION)
  if (&openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
#endif
}
/// Threads cpu kernels use now.
inline int num_threads() {
#if METAGRAD_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace detail {
/// Multiply-adds below which an Eigen product runs on one thread. Eigen splits a GEMM from 50k
/// multiply-adds per thread; measured on a 2-core machine (docs/performance.md, 2026-12-06), a
/// (16, 64) x (64, 256) product took 1.4x as long on two threads as on one and (16, 256) x (256,
/// 64) 2x. (32, 784) x (784, 128) (3.2M) took about as long alone, yet inside the 784-128-10
/// step at batch 32 its two products on two threads made the step 166-169 us instead of 191-193
/// (stop 19), so products split from 2M.
inline constexpr index_t parallel_min_work = index_t{1} << 21;

/// For its lifetime, kernels on the calling thread run on one thread when `work` multiply-adds
/// are below parallel_min_work (OpenMP's count is per thread: other threads are not affected).
class threads_for_work {
 public:
  explicit threads_for_work([[maybe_unused]] index_t work) {
#if METAGRAD_HAS_OPENMP
    if (work < parallel_min_work) {
      int n = omp_get_max_threads();
      if (n > 1) saved_ = n, omp_set_num_threads(1);
    }
#endif
  }
  threads_for_work(threads_for_work const&) = delete;
  threads_for_work& operator=(threads_for_work const&) = delete;
  ~threads_for_work() {
#if METAGRAD_HAS_OPENMP
    if (saved_ > 0) omp_set_num_threads(saved_);
#endif
  }

 private:
  [[maybe_unused]] int saved_ = 0;
};
/// Multiply-adds (in all) from which a loop over independent items (a batch's images) runs on
/// several threads: starting them costs a few microseconds, about 100k multiply-adds' time.
inline constexpr index_t parallel_items_min_work = index_t{1} << 18;

/// Threads a loop over `items` independent items of `work` in all runs on (for for_ranges): the
/// cpu policy's count, at most one per item; one below min_work (parallel_items_min_work
/// multiply-adds, or parallel_min_elements for elementwise loops) or inside a parallel region
/// already.
inline int item_threads([[maybe_unused]] index_t items, [[maybe_unused]] index_t work,
                        [[maybe_unused]] index_t min_work = parallel_items_min_work) {
#if METAGRAD_HAS_OPENMP
  if (items < 2 || work < min_work || omp_in_parallel()) return 1;
  return static_cast<int>(std::min<index_t>(omp_get_max_threads(), items));
#else
  return 1;
#endif
}

/// Elements from which an elementwise loop or a pool splits among threads (item_threads' work
/// for them is their element count). Where the data is in the caller's cache, a split moves half
/// of it to another core and back: measured on a 2-core machine (docs/performance.md, 2026-12-06
/// stop 19), relu(x + b) run over and over (each core keeping its half) broke even at 16k floats
/// and won from 32k, yet splitting the 100k-element SGD update of a 784x128 weight made the
/// 784-128-10 step at batch 16 145 us instead of 113; LeNet's 150k-element loops gain.
inline constexpr index_t parallel_min_elements = index_t{1} << 17;

/// for_ranges' parallel path, one function for every caller: the kernels that split their work
/// are instantiated per expression and shape, and each would otherwise bring an OpenMP region of
/// its own. Out of line also because where a region and the serial call of a kernel's body share
/// one function, g++ keeps the body's variables in memory in both (the serial LeNet step ran
/// 10-30% slower).
[[gnu::noinline]] inline void for_ranges_parallel(index_t items, int threads,
                                                  void (*f)(void*, index_t, index_t, int),
                                                  void* context) {
#if METAGRAD_HAS_OPENMP
#pragma omp parallel num_threads(threads)
  {
    index_t const t = omp_get_thread_num(), n = omp_get_num_threads();
    f(context, items * t / n, items * (t + 1) / n, static_cast<int>(t));
  }
#else
  (void)threads;
  f(context, 0, items, 0);
#endif
}

/// Splits [0, items) into `threads` contiguous ranges (item_threads) and calls f(begin, end,
/// slot) for each on its own thread, slot in [0, threads): the slot picks the thread's part of
/// scratch memory the caller took beforehand. One thread: f(0, items, 0) on the caller, the
/// loop inside f compiled as if there were no threads. f must not throw.
template <class F>
void for_ranges(index_t items, int threads, F&& f) {
  if (threads > 1) {
    using G = std::remove_reference_t<F>;
    return for_ranges_parallel(
        items, threads,
        [](void* g, index_t begin, index_t end, int slot) {
          (*static_cast<G*>(g))(begin, end, slot);
        },
        const_cast<void*>(static_cast<void const*>(std::addressof(f))));
  }
  f(index_t{0}, items, 0);
}
}  // namespace detail

}  // namespace metagrad
