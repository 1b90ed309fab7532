// SPDX-License-Identifier: MIT
// concat and concat_part on cpu: every operand seen as (outer, n_i, inner) about the axis; for
// each outer index, operand i is one contiguous block of n_i·inner elements in the result.
#pragma once
#include <algorithm>

#include "../../eval/evaluate.hpp"
#include "../../ops/concat.hpp"
#include "../../ops/scatter_add.hpp"

namespace metagrad {

template <std::size_t Axis>
struct kernel<concat_op<Axis>, device::cpu> {
  template <class T, std::size_t R, class... X>
  static void run(concat_op<Axis>, T* dst, extents<R> const& out, X const&... xs) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    auto const oi = detail::outer_inner(out, Axis);
    index_t outer = oi.first, inner = oi.second, total = out[Axis] * inner, offset = 0;
    auto place = [&](auto const& x) {
      index_t block = x.ext[Axis] * inner;
      for (index_t o = 0; o < outer; ++o)
        std::copy_n(x.ptr + o * block, block, dst + o * total + offset);
      offset += block;
    };
    (place(xs), ...);
  }
};

template <std::size_t Axis, std::size_t I, auto Dims>
struct kernel<concat_part_op<Axis, I, Dims>, device::cpu> {
  template <class T, std::size_t R, class Y>
  static void run(concat_part_op<Axis, I, Dims> op, T* dst, extents<R> const& out, Y const& y) {
    auto [outer, inner] = detail::outer_inner(out, Axis);
    index_t total = y.ext[Axis] * inner, block = out[Axis] * inner, offset = op.offset() * inner;
    for (index_t o = 0; o < outer; ++o)
      std::copy_n(y.ptr + o * total + offset, block, dst + o * block);
  }
};

}  // namespace metagrad
