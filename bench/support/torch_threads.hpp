// SPDX-License-Identifier: MIT
// LibTorch's thread count, set through its API and through that of the BLAS its GEMMs go to.
// Debian's LibTorch calls OpenBLAS through libblas.so.3; with the pthread build of OpenBLAS
// (libopenblas0-pthread, the default alternative), torch::set_num_threads does not reach
// OpenBLAS's own thread pool, and a "one-thread" LibTorch step ran its GEMMs on every core
// (mlp_wide: 186% CPU, 3.4 ms, against 4.6 ms on one core). openblas_set_num_threads is
// declared weak: it is null when the BLAS behind libblas.so.3 is not OpenBLAS.
#pragma once
#include <torch/torch.h>

extern "C" [[gnu::weak]] void openblas_set_num_threads(int);

namespace metagrad_bench {
inline void set_torch_threads(int n) {
  torch::set_num_threads(n);
  if (&openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
}
}  // namespace metagrad_bench
