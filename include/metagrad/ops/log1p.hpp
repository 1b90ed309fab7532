// SPDX-License-Identifier: MIT
// log1p(x) = log(1 + x), elementwise, accurate near 0.  d log1p(x) = dx / (1 + x);  vjp: g/(1 + x).
#pragma once
#include <cmath>

#include "add.hpp"
#include "div.hpp"

namespace metagrad {

struct log1p_op : elementwise_unary<log1p_op> {
  static constexpr char const* name = "log1p";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::log1p;
    return log1p(x);
  }
  static auto jvp(log1p_op, auto const&, auto const& x, auto const& dx) { return dx / (x + 1); }
  static auto vjp(log1p_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g / (x + 1));
  }
};

template <expression_like X>
auto log1p(X const& x) {
  return make_unary<log1p_op>(x);
}

}  // namespace metagrad
