// SPDX-License-Identifier: MIT
// clamp(x, lo, hi) = min(max(x, lo), hi), elementwise (bounds stored in the op; hi wins when
// lo > hi, and NaN propagates, as torch.clamp).
// d clamp = [lo <= x <= hi] dx (1 on the bounds, as PyTorch);  vjp: g*[lo <= x <= hi].
#pragma once
#include <limits>

#include "compare.hpp"
#include "mul.hpp"

namespace metagrad {

struct clamp_op : elementwise_unary<clamp_op> {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(clamp_op const& a, clamp_op const& b) {
    return a.lo == b.lo && a.hi == b.hi;
  }
  static constexpr char const* name = "clamp";
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  template <class T>
  METAGRAD_HOST_DEVICE T apply(T x) const {
    T y = x < T(lo) ? T(lo) : x;
    return y > T(hi) ? T(hi) : y;
  }
  static auto inside(clamp_op op, auto const& x) { return (x >= op.lo) * (x <= op.hi); }
  static auto jvp(clamp_op op, auto const&, auto const& x, auto const& dx) {
    return dx * inside(op, x);
  }
  static auto vjp(clamp_op op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * inside(op, x));
  }
};

/// x limited to [lo, hi], e.g. clamp(x, -1.0, 1.0); an infinite bound clamps one side only.
template <expression_like X>
auto clamp(X const& x, double lo, double hi) {
  return make_unary(x, clamp_op{{}, lo, hi});
}

}  // namespace metagrad
