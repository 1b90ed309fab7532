// SPDX-License-Identifier: MIT
// |x|, elementwise.  d|x| = sign(x) dx (0 at 0, as PyTorch);  vjp: g*sign(x).
#pragma once
#include <cmath>

#include "compare.hpp"
#include "mul.hpp"
#include "sub.hpp"

namespace metagrad {

struct abs_op : elementwise_unary<abs_op> {
  static constexpr char const* name = "abs";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::abs;
    return abs(x);
  }
  static auto sign(auto const& x) { return (x > 0) - (x < 0); }
  static auto jvp(abs_op, auto const&, auto const& x, auto const& dx) { return dx * sign(x); }
  static auto vjp(abs_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * sign(x));
  }
};

template <expression_like X>
auto abs(X const& x) {
  return make_unary<abs_op>(x);
}

}  // namespace metagrad
