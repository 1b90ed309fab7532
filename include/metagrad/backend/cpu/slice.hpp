// SPDX-License-Identifier: MIT
// slice and unslice on cpu: x seen as (outer, n, inner) about the axis; each picked index along
// the axis is one contiguous run of `inner` elements, copied (slice) or placed into zeros
// (unslice).
#pragma once
#include <Eigen/Core>
#include <algorithm>

#include "../../eval/evaluate.hpp"
#include "../../ops/scatter_add.hpp"
#include "../../ops/slice.hpp"

namespace metagrad {

template <std::size_t Axis, index_t Begin, index_t End, index_t Step>
struct kernel<slice_op<Axis, Begin, End, Step>, device::cpu> {
  template <class T, std::size_t R, class X>
  static void run(slice_op<Axis, Begin, End, Step>, T* dst, extents<R> const& out, X const& x) {
    auto [outer, inner] = detail::outer_inner(x.ext, Axis);
    index_t n = x.ext[Axis], m = out[Axis];
    index_t b = detail::slice_indices(Begin, End, Step, n).begin;
    for (index_t o = 0; o < outer; ++o)
      for (index_t k = 0; k < m; ++k)
        std::copy_n(x.ptr + ((o * n) + b + k * Step) * inner, inner, dst + (o * m + k) * inner);
  }
};

template <std::size_t Axis, index_t Begin, index_t End, index_t Step, index_t Dim>
struct kernel<unslice_op<Axis, Begin, End, Step, Dim>, device::cpu> {
  template <class T, std::size_t R, class G>
  static void run(unslice_op<Axis, Begin, End, Step, Dim> op, T* dst, extents<R> const& out,
                  G const& g) {
    std::fill_n(dst, out.size(), T(0));
    place<false>(op, dst, out, g);
  }
  /// dst += unslice(g): only the sliced positions are touched. A value sliced several times
  /// (an LSTM's four gates of one projection) sums its cotangents this way, without a zero-filled
  /// full-size temporary per slice.
  template <class T, std::size_t R, class G>
  static void accumulate(unslice_op<Axis, Begin, End, Step, Dim> op, T* dst, extents<R> const& out,
                         G const& g) {
    place<true>(op, dst, out, g);
  }

 private:
  template <bool Add, class T, std::size_t R, class G>
  static void place(unslice_op<Axis, Begin, End, Step, Dim> op, T* dst, extents<R> const& out,
                    G const& g) {
    auto [outer, inner] = detail::outer_inner(out, Axis);
    index_t n = op.full, m = g.ext[Axis];
    index_t b = detail::slice_indices(Begin, End, Step, n).begin;
    for (index_t o = 0; o < outer; ++o)
      for (index_t k = 0; k < m; ++k) {
        T const* src = g.ptr + (o * m + k) * inner;
        T* to = dst + ((o * n) + b + k * Step) * inner;
        if constexpr (Add)
          Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(to, inner) +=
              Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1> const>(src, inner);
        else
          std::copy_n(src, inner, to);
      }
  }
};

}  // namespace metagrad
