// SPDX-License-Identifier: MIT
// leaky_relu(x, s) = x if x > 0 else s*x, elementwise (s = negative_slope, stored in the op).
// d leaky_relu = ([x > 0] (1 - s) + s) dx (s at 0, as PyTorch);  vjp: g*([x > 0] (1 - s) + s).
#pragma once
#include "add.hpp"
#include "compare.hpp"
#include "mul.hpp"

namespace metagrad {

struct leaky_relu_op : elementwise_unary<leaky_relu_op> {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(leaky_relu_op const& a, leaky_relu_op const& b) {
    return a.negative_slope == b.negative_slope;
  }
  static constexpr char const* name = "leaky_relu";
  double negative_slope = 0.01;
  template <class T>
  METAGRAD_HOST_DEVICE T apply(T x) const {
    return x > T(0) ? x : x * T(negative_slope);
  }
  static auto slope(leaky_relu_op op, auto const& x) {
    return (x > 0) * (1 - op.negative_slope) + op.negative_slope;
  }
  static auto jvp(leaky_relu_op op, auto const&, auto const& x, auto const& dx) {
    return dx * slope(op, x);
  }
  static auto vjp(leaky_relu_op op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * slope(op, x));
  }
};

/// x where x > 0, else negative_slope * x, e.g. leaky_relu(x, 0.2).
template <expression_like X>
auto leaky_relu(X const& x, double negative_slope = 0.01) {
  return make_unary(x, leaky_relu_op{{}, negative_slope});
}

}  // namespace metagrad
