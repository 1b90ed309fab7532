// SPDX-License-Identifier: MIT
// Thread count of the cpu policy, set through the API: Eigen's GEMM and OpenMP loops use it.
#pragma once
#include <Eigen/Core>

#include "../../config.hpp"
#if METAGRAD_HAS_OPENMP
#include <omp.h>
#endif

namespace metagrad {

/// Threads used by cpu kernels (1 = serial), e.g. set_num_threads(2).
inline void set_num_threads(int n) {
  if (n < 1) n = 1;
  Eigen::setNbThreads(n);
#if METAGRAD_HAS_OPENMP
  omp_set_num_threads(n);
#endif
}
/// Threads cpu kernels use now.
inline int num_threads() { return Eigen::nbThreads(); }

}  // namespace metagrad
