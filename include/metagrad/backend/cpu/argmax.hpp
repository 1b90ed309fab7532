// SPDX-License-Identifier: MIT
// argmax on cpu: the input as (outer, red, inner) blocks; each block scans its red rows once,
// keeping the best index per inner column (rows are contiguous, so the scan streams memory).
#pragma once
#include "../../eval/evaluate.hpp"
#include "../../ops/argmax.hpp"

namespace metagrad {

template <bool Keep, int Axis>
struct kernel<argmax_op<Keep, Axis>, device::cpu> {
  template <std::size_t R, class X>
  static void run(argmax_op<Keep, Axis>, index_t* dst, extents<R> const&, X const& x) {
    index_t outer = 1, red = x.ext[Axis], inner = 1;
    for (std::size_t d = 0; d < X::rank; ++d) {
      if (static_cast<int>(d) < Axis)
        outer *= x.ext[d];
      else if (static_cast<int>(d) > Axis)
        inner *= x.ext[d];
    }
    for (index_t o = 0; o < outer; ++o) {
      auto const* block = x.ptr + o * red * inner;
      index_t* out = dst + o * inner;
      std::fill_n(out, inner, index_t(0));
      for (index_t r = 1; r < red; ++r) {
        auto const* row = block + r * inner;
        for (index_t i = 0; i < inner; ++i) {
          auto best = block[out[i] * inner + i], v = row[i];
          // Strictly greater keeps the first of equal values; a NaN wins over any number.
          if (v > best || (v != v && best == best)) out[i] = r;
        }
      }
    }
  }
};

}  // namespace metagrad
