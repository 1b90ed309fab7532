// SPDX-License-Identifier: MIT
// cos(x), elementwise.  d cos(x) = -sin(x) dx;  vjp: -g*sin(x).
// (sin.hpp and cos.hpp include each other: each rule names the other op, found when instantiated.)
#pragma once
#include <cmath>

#include "mul.hpp"
#include "neg.hpp"
#include "sin.hpp"

namespace metagrad {

struct cos_op : elementwise_unary<cos_op> {
  static constexpr char const* name = "cos";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::cos;
    return cos(x);
  }
  static auto jvp(cos_op, auto const&, auto const& x, auto const& dx) { return -(dx * sin(x)); }
  static auto vjp(cos_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(-(g * sin(x)));
  }
};

template <expression_like X>
auto cos(X const& x) {
  return make_unary<cos_op>(x);
}

}  // namespace metagrad
