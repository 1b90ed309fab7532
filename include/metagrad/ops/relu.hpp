// SPDX-License-Identifier: MIT
// relu(x) = max(x, 0), elementwise.  d relu = [x > 0] dx (0 at 0, as PyTorch);  vjp: g*[x > 0].
#pragma once
#include "compare.hpp"
#include "mul.hpp"

namespace metagrad {

struct relu_op : elementwise_unary<relu_op> {
  static constexpr char const* name = "relu";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x > T(0) ? x : T(0);
  }
  static auto jvp(relu_op, auto const&, auto const& x, auto const& dx) { return dx * (x > 0); }
  static auto vjp(relu_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * (x > 0));
  }
};

template <expression_like X>
auto relu(X const& x) {
  return make_unary<relu_op>(x);
}

}  // namespace metagrad
