// SPDX-License-Identifier: MIT
// log(x), elementwise (natural log).  d log(x) = dx / x;  vjp: g/x.
#pragma once
#include <cmath>

#include "div.hpp"

namespace metagrad {

struct log_op : elementwise_unary<log_op> {
  static constexpr char const* name = "log";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::log;
    return log(x);
  }
  static auto jvp(log_op, auto const&, auto const& x, auto const& dx) { return dx / x; }
  static auto vjp(log_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g / x);
  }
};

template <expression_like X>
auto log(X const& x) {
  return make_unary<log_op>(x);
}

}  // namespace metagrad
