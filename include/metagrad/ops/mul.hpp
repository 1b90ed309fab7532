// SPDX-License-Identifier: MIT
// a * b elementwise with NumPy broadcasting.
// d(a*b) = da*b + a*db;  vjp: (sum_to(g*b, a), sum_to(g*a, b)).
#pragma once
#include "add.hpp"

namespace metagrad {

struct mul_op : elementwise_binary<mul_op> {
  static constexpr char const* name = "mul";
  static constexpr zero_rule zeros = zero_rule::any;
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    return a * b;
  }
  static auto jvp(mul_op, auto const&, auto const& a, auto const& b, auto const& da,
                  auto const& db) {
    return da * b + a * db;
  }
  static auto vjp(mul_op, auto const& g, auto const&, auto const& a, auto const& b) {
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(g * b, a.ext),
                                   sum_to<shape_t<decltype(b)>>(g * a, b.ext));
  }
};

template <class A, class B>
requires operands<A, B>
auto operator*(A const& a, B const& b) { return make_binary<mul_op>(a, b); }
template <class A, class B>
requires operands<A, B>
auto mul(A const& a, B const& b) { return a * b; }

}  // namespace metagrad
