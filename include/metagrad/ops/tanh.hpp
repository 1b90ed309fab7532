// SPDX-License-Identifier: MIT
// tanh(x), elementwise.  d tanh(x) = (1 - y²) dx;  vjp: g*(1 - y²).
#pragma once
#include <cmath>

#include "square.hpp"
#include "sub.hpp"

namespace metagrad {

struct tanh_op : elementwise_unary<tanh_op> {
  static constexpr char const* name = "tanh";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::tanh;
    return tanh(x);
  }
  static auto jvp(tanh_op, auto const& y, auto const&, auto const& dx) {
    return dx * (1 - square(y));
  }
  static auto vjp(tanh_op, auto const& g, auto const& y, auto const&) {
    return detail::make_flat_tuple(g * (1 - square(y)));
  }
};

template <expression_like X>
auto tanh(X const& x) {
  return make_unary<tanh_op>(x);
}

}  // namespace metagrad
