// SPDX-License-Identifier: MIT
// Comparisons a < b, a > b, ... elementwise with broadcasting, giving 1 or 0 in the operands'
// value type (masks for where and for derivative rules). No derivative: both rules are zero.
#pragma once
#include "elementwise.hpp"

namespace metagrad {

enum class comparison { less, less_equal, greater, greater_equal, equal, not_equal };

template <comparison C>
struct compare_op : elementwise_binary<compare_op<C>> {
  static constexpr char const* name = "compare";
  static constexpr comparison cmp = C;
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    bool r = C == comparison::less            ? a < b
             : C == comparison::less_equal    ? a <= b
             : C == comparison::greater       ? a > b
             : C == comparison::greater_equal ? a >= b
             : C == comparison::equal         ? a == b
                                              : a != b;
    return r ? T(1) : T(0);
  }
  static auto jvp(compare_op, auto const& y, auto const&, auto const&, auto const&, auto const&) {
    return zeros_like(y);
  }
  static auto vjp(compare_op, auto const&, auto const&, auto const& a, auto const& b) {
    return detail::make_flat_tuple(zeros_like(a), zeros_like(b));
  }
};

template <class A, class B>
requires operands<A, B>
auto operator<(A const& a, B const& b) { return make_binary<compare_op<comparison::less>>(a, b); }
template <class A, class B>
requires operands<A, B>
auto operator<=(A const& a, B const& b) {
  return make_binary<compare_op<comparison::less_equal>>(a, b);
}
template <class A, class B>
requires operands<A, B>
auto operator>(A const& a, B const& b) {
  return make_binary<compare_op<comparison::greater>>(a, b);
}
template <class A, class B>
requires operands<A, B>
auto operator>=(A const& a, B const& b) {
  return make_binary<compare_op<comparison::greater_equal>>(a, b);
}
/// Elementwise equality as a 0/1 mask (not operator==, which would read as a bool).
template <class A, class B>
requires operands<A, B>
auto equal(A const& a, B const& b) { return make_binary<compare_op<comparison::equal>>(a, b); }
template <class A, class B>
requires operands<A, B>
auto not_equal(A const& a, B const& b) {
  return make_binary<compare_op<comparison::not_equal>>(a, b);
}

}  // namespace metagrad
