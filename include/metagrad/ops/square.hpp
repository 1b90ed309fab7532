// SPDX-License-Identifier: MIT
// x*x, elementwise.  d x² = 2x dx;  vjp: 2*g*x.
#pragma once
#include "mul.hpp"

namespace metagrad {

struct square_op : elementwise_unary<square_op> {
  static constexpr char const* name = "square";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x * x;
  }
  static auto jvp(square_op, auto const&, auto const& x, auto const& dx) { return dx * (x * 2); }
  static auto vjp(square_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * (x * 2));
  }
};

template <expression_like X>
auto square(X const& x) {
  return make_unary<square_op>(x);
}

}  // namespace metagrad
