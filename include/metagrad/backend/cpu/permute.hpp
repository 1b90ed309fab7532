// SPDX-License-Identifier: MIT
// permute on cpu: a 2-D transpose is Eigen's; other permutations walk the output in order,
// reading the input with permuted strides.
#pragma once
#include <Eigen/Core>

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
      auto in = x.ext.strides();
      std::array<index_t, R> s{}, idx{};
      for (std::size_t d = 0; d < R; ++d) s[d] = in[static_cast<std::size_t>(Perm[d])];
      index_t n = out.size(), off = 0;
      for (index_t i = 0; i < n; ++i) {
        dst[i] = x.ptr[off];
        for (std::size_t d = R; d-- > 0;) {
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
