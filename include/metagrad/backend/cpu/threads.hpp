// SPDX-License-Identifier: MIT
// Thread count of the cpu policy, set through the API: Eigen's GEMM and OpenMP loops use it, and
// so does the BLAS that large GEMMs go to (METAGRAD_CBLAS) when it is OpenBLAS, whose own thread
// pool (its pthread build) would otherwise use every core whatever the count set here.
#pragma once
#include <Eigen/Core>

#include "../../config.hpp"
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

/// Threads used by cpu kernels (1 = serial), e.g. set_num_threads(2).
inline void set_num_threads(int n) {
  if (n < 1) n = 1;
  Eigen::setNbThreads(n);
#if METAGRAD_HAS_OPENMP
  omp_set_num_threads(n);
#endif
#if METAGRAD_CBLAS && defined(OPENBLAS_VERSION)
  if (&openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
#endif
}
/// Threads cpu kernels use now.
inline int num_threads() { return Eigen::nbThreads(); }

}  // namespace metagrad
