// SPDX-License-Identifier: MIT
// Identity-valued ops: stop_gradient (derivative zero) and bind<Level, Index> (autodiff's mark
// for argument Index of the transformation at nesting Level; identity for everyone else).
#pragma once
#include "elementwise.hpp"

namespace metagrad {

struct stop_gradient_op : elementwise_unary<stop_gradient_op> {
  static constexpr char const* name = "stop_gradient";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x;
  }
  static auto jvp(stop_gradient_op, auto const& y, auto const&, auto const&) {
    return zeros_like(y);
  }
  static auto vjp(stop_gradient_op, auto const&, auto const&, auto const& x) {
    return detail::make_flat_tuple(zeros_like(x));
  }
};

/// The value of x, with no derivative flowing through it.
template <expression_like X>
auto stop_gradient(X const& x) {
  return make_unary<stop_gradient_op>(x);
}

template <int Level, std::size_t Index>
struct bind_op : elementwise_unary<bind_op<Level, Index>> {
  static constexpr char const* name = "bind";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr int level = Level;
  static constexpr std::size_t index = Index;
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x;
  }
  static auto jvp(bind_op, auto const&, auto const&, auto const& dx) { return dx; }
  static auto vjp(bind_op, auto const& g, auto const&, auto const&) {
    return detail::make_flat_tuple(g);
  }
};

namespace detail {
/// Ops whose value is their argument's (autodiff's marks, stop_gradient): evaluation reads the
/// argument itself.
template <class Op>
inline constexpr bool identity_valued = false;
template <>
inline constexpr bool identity_valued<stop_gradient_op> = true;
template <int L, std::size_t K>
inline constexpr bool identity_valued<bind_op<L, K>> = true;
}  // namespace detail

}  // namespace metagrad
