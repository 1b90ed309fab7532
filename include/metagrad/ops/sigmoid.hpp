// SPDX-License-Identifier: MIT
// sigmoid(x) = 1 / (1 + exp(-x)), elementwise.  d sigmoid = y(1-y) dx;  vjp: g*y*(1-y).
#pragma once
#include <cmath>

#include "mul.hpp"
#include "sub.hpp"

namespace metagrad {

struct sigmoid_op : elementwise_unary<sigmoid_op> {
  static constexpr char const* name = "sigmoid";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::exp;
    return x >= T(0) ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x));
  }
  static auto jvp(sigmoid_op, auto const& y, auto const&, auto const& dx) {
    return dx * (y * (1 - y));
  }
  static auto vjp(sigmoid_op, auto const& g, auto const& y, auto const&) {
    return detail::make_flat_tuple(g * (y * (1 - y)));
  }
};

template <expression_like X>
auto sigmoid(X const& x) {
  return make_unary<sigmoid_op>(x);
}

}  // namespace metagrad
