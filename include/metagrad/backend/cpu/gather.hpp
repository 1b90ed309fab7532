// SPDX-License-Identifier: MIT
// take_along_axis, take and their transposes (scatter_add, index_add) on cpu. Operands are seen
// as (outer, n, inner) about the axis; every index is checked (std::out_of_range) before use.
// The adds run serially, so repeated indices accumulate without races.
#pragma once
#include <algorithm>

#include "../../eval/evaluate.hpp"
#include "../../ops/gather.hpp"

namespace metagrad {

template <std::size_t Axis>
struct kernel<take_along_axis_op<Axis>, device::cpu> {
  // (outer, n, inner) x idx (outer, m, inner) => (outer, m, inner)
  template <class T, std::size_t R, class X, class I>
  static void run(take_along_axis_op<Axis>, T* dst, extents<R> const& out, X const& x,
                  I const& idx) {
    auto [outer, inner] = detail::outer_inner(out, Axis);
    index_t n = x.ext[Axis], m = out[Axis];
    for (index_t o = 0; o < outer; ++o)
      for (index_t j = 0; j < m; ++j)
        for (index_t k = 0; k < inner; ++k) {
          index_t at = (o * m + j) * inner + k;
          index_t i =
              detail::checked_index("take_along_axis", static_cast<index_t>(idx.ptr[at]), Axis, n);
          dst[at] = x.ptr[(o * n + i) * inner + k];
        }
  }
};

template <std::size_t Axis, index_t Dim>
struct kernel<scatter_add_op<Axis, Dim>, device::cpu> {
  // g (outer, m, inner), idx (outer, m, inner) => (outer, n, inner)
  template <class T, std::size_t R, class G, class I>
  static void run(scatter_add_op<Axis, Dim>, T* dst, extents<R> const& out, G const& g,
                  I const& idx) {
    auto [outer, inner] = detail::outer_inner(out, Axis);
    index_t n = out[Axis], m = g.ext[Axis];
    std::fill_n(dst, out.size(), T(0));
    for (index_t o = 0; o < outer; ++o)
      for (index_t j = 0; j < m; ++j)
        for (index_t k = 0; k < inner; ++k) {
          index_t at = (o * m + j) * inner + k;
          index_t i =
              detail::checked_index("scatter_add", static_cast<index_t>(idx.ptr[at]), Axis, n);
          dst[(o * n + i) * inner + k] += g.ptr[at];
        }
  }
};

template <std::size_t Axis>
struct kernel<take_op<Axis>, device::cpu> {
  // (outer, n, inner) x idx (m) => (outer, m, inner), m = idx.size()
  template <class T, std::size_t R, class X, class I>
  static void run(take_op<Axis>, T* dst, extents<R> const&, X const& x, I const& idx) {
    auto [outer, inner] = detail::outer_inner(x.ext, Axis);
    index_t n = x.ext[Axis], m = idx.ext.size();
    for (index_t o = 0; o < outer; ++o)
      for (index_t j = 0; j < m; ++j) {
        index_t i = detail::checked_index("take", static_cast<index_t>(idx.ptr[j]), Axis, n);
        std::copy_n(x.ptr + (o * n + i) * inner, inner, dst + (o * m + j) * inner);
      }
  }
};

template <std::size_t Axis, index_t Dim>
struct kernel<index_add_op<Axis, Dim>, device::cpu> {
  // g (outer, m, inner), idx (m) => (outer, n, inner)
  template <class T, std::size_t R, class G, class I>
  static void run(index_add_op<Axis, Dim>, T* dst, extents<R> const& out, G const& g,
                  I const& idx) {
    auto [outer, inner] = detail::outer_inner(out, Axis);
    index_t n = out[Axis], m = idx.ext.size();
    std::fill_n(dst, out.size(), T(0));
    for (index_t o = 0; o < outer; ++o)
      for (index_t j = 0; j < m; ++j) {
        index_t i = detail::checked_index("index_add", static_cast<index_t>(idx.ptr[j]), Axis, n);
        T const* src = g.ptr + (o * m + j) * inner;
        T* row = dst + (o * n + i) * inner;
        for (index_t k = 0; k < inner; ++k) row[k] += src[k];
      }
  }
};

}  // namespace metagrad
