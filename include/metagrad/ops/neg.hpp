// SPDX-License-Identifier: MIT
// -x, elementwise.  d(-x) = -dx;  vjp: -g.
#pragma once
#include "elementwise.hpp"

namespace metagrad {

struct neg_op : elementwise_unary<neg_op> {
  static constexpr char const* name = "neg";
  static constexpr zero_rule zeros = zero_rule::any;
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return -x;
  }
  static auto jvp(neg_op, auto const&, auto const&, auto const& dx) { return -dx; }
  static auto vjp(neg_op, auto const& g, auto const&, auto const&) {
    return detail::make_flat_tuple(-g);
  }
};

template <expression_like X>
auto operator-(X const& x) {
  return make_unary<neg_op>(x);
}
template <expression_like X>
auto neg(X const& x) {
  return -x;
}

}  // namespace metagrad
