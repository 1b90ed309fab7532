// SPDX-License-Identifier: MIT
// Zero-copy views of Eigen objects, so existing Eigen code enters graphs without copying.
// A row-major matrix (M,N) is a tensor_view of shape (M,N); a column-major one is the transpose of
// a (N,M) view, which is the same memory. Eigen::Dynamic (-1) is metagrad's dyn.
#pragma once
#include <Eigen/Core>

#include "../../ops/permute.hpp"

namespace metagrad {

/// e.g. Eigen::MatrixXf m(32, 784); auto x = view(m);  // (32,784), reads m's memory
template <class Derived>
auto view(Eigen::DenseBase<Derived> const& m) {
  using T = typename Derived::Scalar;
  constexpr index_t rows = Derived::RowsAtCompileTime, cols = Derived::ColsAtCompileTime;
  constexpr bool row_major = Derived::IsRowMajor;
  auto const& d = m.derived();
  if (d.innerStride() != 1 || d.outerStride() != d.innerSize())
    throw shape_error("view: the Eigen object is not contiguous (inner stride " +
                      std::to_string(d.innerStride()) + ", outer stride " +
                      std::to_string(d.outerStride()) + ")");
  if constexpr (row_major || cols == 1) {
    return tensor_view<T, shape<rows, cols>>(d.data(), extents<2>{{d.rows(), d.cols()}});
  } else {
    return transpose(tensor_view<T, shape<cols, rows>>(d.data(), extents<2>{{d.cols(), d.rows()}}));
  }
}

}  // namespace metagrad
