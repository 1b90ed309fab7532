// SPDX-License-Identifier: MIT
// sqrt(x), elementwise.  d sqrt(x) = dx / (2y);  vjp: g/(2y).
#pragma once
#include <cmath>

#include "div.hpp"

namespace metagrad {

struct sqrt_op : elementwise_unary<sqrt_op> {
  static constexpr char const* name = "sqrt";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::sqrt;
    return sqrt(x);
  }
  static auto jvp(sqrt_op, auto const& y, auto const&, auto const& dx) { return dx / (y * 2); }
  static auto vjp(sqrt_op, auto const& g, auto const& y, auto const&) {
    return detail::make_flat_tuple(g / (y * 2));
  }
};

template <expression_like X>
auto sqrt(X const& x) {
  return make_unary<sqrt_op>(x);
}

}  // namespace metagrad
