// SPDX-License-Identifier: MIT
// dropout_mask on cpu: one Philox block per four elements; an element is kept when its 32 random
// bits are at or above p * 2^32 (so P(zero) = p up to 2^-32), and a kept one is 1/(1-p).
#pragma once
#include <cstdint>

#include "../../eval/evaluate.hpp"
#include "../../ops/dropout_mask.hpp"

namespace metagrad {

template <>
struct kernel<dropout_mask_op, device::cpu> {
  template <class T, std::size_t R, class X>
  static void run(dropout_mask_op op, T* dst, extents<R> const& e, X const&) {
    auto const threshold = static_cast<std::uint64_t>(op.p * 4294967296.0);
    T const kept = static_cast<T>(1 / (1 - op.p));
    auto const n = static_cast<std::uint64_t>(e.size());
    for (std::uint64_t block = 0; block * 4 < n; ++block) {
      auto const bits = op.key.bits(block);
      for (std::uint64_t w = 0; w < 4 && block * 4 + w < n; ++w)
        dst[block * 4 + w] = bits[w] >= threshold ? kept : T(0);
    }
  }
};

}  // namespace metagrad
