// SPDX-License-Identifier: MIT
// exp(x), elementwise.  d exp(x) = y dx;  vjp: g*y.
#pragma once
#include <cmath>

#include "mul.hpp"

namespace metagrad {

struct exp_op : elementwise_unary<exp_op> {
  static constexpr char const* name = "exp";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::exp;
    return exp(x);
  }
  static auto jvp(exp_op, auto const& y, auto const&, auto const& dx) { return dx * y; }
  static auto vjp(exp_op, auto const& g, auto const& y, auto const&) {
    return detail::make_flat_tuple(g * y);
  }
};

template <expression_like X>
auto exp(X const& x) {
  return make_unary<exp_op>(x);
}

}  // namespace metagrad
