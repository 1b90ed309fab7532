// SPDX-License-Identifier: MIT
// rsqrt(x) = 1 / sqrt(x), elementwise.  d rsqrt(x) = -y³/2 dx;  vjp: -g*y³/2.
#pragma once
#include <cmath>

#include "mul.hpp"
#include "square.hpp"

namespace metagrad {

struct rsqrt_op : elementwise_unary<rsqrt_op> {
  static constexpr char const* name = "rsqrt";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    using std::sqrt;
    return T(1) / sqrt(x);
  }
  static auto jvp(rsqrt_op, auto const& y, auto const&, auto const& dx) {
    return dx * (square(y) * y * -0.5);
  }
  static auto vjp(rsqrt_op, auto const& g, auto const& y, auto const&) {
    return detail::make_flat_tuple(g * (square(y) * y * -0.5));
  }
};

template <expression_like X>
auto rsqrt(X const& x) {
  return make_unary<rsqrt_op>(x);
}

}  // namespace metagrad
