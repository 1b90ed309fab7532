// SPDX-License-Identifier: MIT
// permute on cpu: a 2-D transpose is Eigen's; other permutations walk the output in order,
// reading the input with permuted strides. Trailing axes a permutation leaves in place, e.g.
// the feature axis of (1, 0, 2) (a scan's batch-major <-> time-major) or (0, 2, 1, 3)
// (attention's heads), are contiguous runs in both: each is copied whole.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <array>

#include "../../eval/evaluate.hpp"
#include "../../ops/permute.hpp"

namespace metagrad {

template <auto Perm>
struct kernel<permute_op<Perm>, device::cpu> {
  template <class T, std::size_t R, class X>
  static void run(permute_op<Perm>, T* dst, extents<R> const& out, X const& x) {
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    if constexpr (R == 2 && Perm[0] == 1) {
      Eigen::Map<matrix>(dst, out[0], out[1]) =
          Eigen::Map<matrix const>(x.ptr, out[1], out[0]).transpose();
    } else {
      // Axes [K, R) stay in place: one run of `run` elements per index of the outer axes [0, K).
      constexpr std::size_t K = [] {
        std::size_t k = R;
        while (k > 0 && static_cast<std::size_t>(Perm[k - 1]) == k - 1) --k;
        return k;
      }();
      auto in = x.ext.strides();
      std::array<index_t, R> s{}, idx{};
      for (std::size_t d = 0; d < R; ++d) s[d] = in[static_cast<std::size_t>(Perm[d])];
      index_t run = 1;
      for (std::size_t d = K; d < R; ++d) run *= out[d];
      if (run == 0) return;  // an empty trailing axis: nothing to copy
      index_t n = out.size() / run, off = 0;
      for (index_t i = 0; i < n; ++i) {
        if constexpr (K == R)
          dst[i] = x.ptr[off];
        else
          std::copy_n(x.ptr + off, run, dst + i * run);
        for (std::size_t d = K; d-- > 0;) {
          off += s[d];
          if (++idx[d] < out[d]) break;
          off -= s[d] * idx[d];
          idx[d] = 0;
        }
      }
    }
  }
};

}  // namespace metagrad
