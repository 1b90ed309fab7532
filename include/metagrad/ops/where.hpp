// SPDX-License-Identifier: MIT
// where(cond, a, b) = a where cond != 0 else b, elementwise, with NumPy broadcasting of all three:
// (..) ? (..) : (..) => broadcast shape. cond is a 0/1 mask in the value type, e.g. x > 0.
// d where = where(cond, da, db) (cond gets none);  vjp: (0, sum_to(where(cond, g, 0), a),
// sum_to(where(cond, 0, g), b)).
#pragma once
#include "elementwise.hpp"

namespace metagrad {

struct where_op : elementwise_tag {
  static constexpr char const* name = "where";
  /// One operation per value (nn/cost.hpp).
  template <class Out, class... Args>
  static constexpr index_t flops = detail::per_example_size<Out>();
  template <class C, class A, class B>
  using result_shape = typename broadcast_all<C, A, B>::type;
  template <class C, class A, class B>
  auto result_extents(extents<C::rank> const& c, extents<A::rank> const& a,
                      extents<B::rank> const& b) const {
    return broadcast_extents<broadcast_shape<C, A>, B>(name, broadcast_extents<C, A>(name, c, a),
                                                       b);
  }
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T c, T a, T b) {
    return c != T(0) ? a : b;
  }
  static auto jvp(where_op, auto const&, auto const& c, auto const&, auto const&, auto const&,
                  auto const& da, auto const& db) {
    return where(c, da, db);
  }
  static auto vjp(where_op, auto const& g, auto const&, auto const& c, auto const& a,
                  auto const& b) {
    return detail::make_flat_tuple(zeros_like(c),
                                   sum_to<shape_t<decltype(a)>>(where(c, g, 0), a.ext),
                                   sum_to<shape_t<decltype(b)>>(where(c, 0, g), b.ext));
  }
};

namespace detail {
/// A branch of where: a number takes the value type of the other branch (else of cond).
template <class C, class Other, class X>
auto lift_branch(X const& x) {
  if constexpr (std::is_arithmetic_v<Other>)
    return lift<C>(x);
  else
    return lift<Other>(x);
}
}  // namespace detail

/// a where cond != 0, else b; all three broadcast, e.g. where(x > 0, x, 0.1 * x).
/// Either branch may be a number. Where both branches are symbolic zeros, so is the result.
template <expression_like C, class A, class B>
requires operand<A> && operand<B>
auto where(C const& cond, A const& a, B const& b) {
  auto c = as_expr(cond);
  auto x = detail::lift_branch<C, B>(a);
  auto y = detail::lift_branch<C, A>(b);
  using SC = shape_t<decltype(c)>;
  using SX = shape_t<decltype(x)>;
  using SY = shape_t<decltype(y)>;
  static_assert(std::same_as<value_t<decltype(c)>, value_t<decltype(x)>> &&
                    std::same_as<value_t<decltype(x)>, value_t<decltype(y)>>,
                "where: cond, a and b must have one value type (cond is a 0/1 mask, e.g. x > 0)");
  static_assert(check_broadcast<SC, SX>() && check_broadcast<broadcast_shape<SC, SX>, SY>());
  if constexpr (is_zero<decltype(x)> && is_zero<decltype(y)>) {
    using N = node<where_op, decltype(c), decltype(x), decltype(y)>;
    return zero<value_t<N>, shape_t<N>, device_t<N>>(
        where_op{}.result_extents<SC, SX, SY>(c.ext, x.ext, y.ext));
  } else {
    return make_node(where_op{}, c, x, y);
  }
}

}  // namespace metagrad
