// SPDX-License-Identifier: MIT
// sin(x), elementwise.  d sin(x) = cos(x) dx;  vjp: g*cos(x).
#pragma once
#include <cmath>

#include "cos.hpp"
#include "mul.hpp"

namespace metagrad {

struct sin_op : elementwise_unary<sin_op> {
  static constexpr char const* name = "sin";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::sin;
    return sin(x);
  }
  static auto jvp(sin_op, auto const&, auto const& x, auto const& dx) { return dx * cos(x); }
  static auto vjp(sin_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * cos(x));
  }
};

template <expression_like X>
auto sin(X const& x) {
  return make_unary<sin_op>(x);
}

}  // namespace metagrad
