// SPDX-License-Identifier: MIT
// What elementwise ops share: the shape rule (unary: same shape; binary: NumPy broadcasting),
// lifting scalars to constants, and make_unary / make_binary that user functions call.
// Backends fuse elementwise chains into one loop from each op's scalar `apply`.
#pragma once
#include <concepts>

#include "../expr/node.hpp"
#include "../shape/rules.hpp"
#include "fwd.hpp"

namespace metagrad {

template <class Derived>
struct elementwise_unary : elementwise_tag {
  static constexpr zero_rule zeros = zero_rule::never;
  template <class S>
  using result_shape = S;
  template <class S>
  extents<S::rank> result_extents(extents<S::rank> const& e) const {
    return e;
  }
};

template <class Derived>
struct elementwise_binary : elementwise_tag {
  template <class A, class B>
  using result_shape = broadcast_shape<A, B>;
  template <class A, class B>
  auto result_extents(extents<A::rank> const& a, extents<B::rank> const& b) const {
    return broadcast_extents<A, B>(Derived::name, a, b);
  }
};

/// An operand of an arithmetic op: an expression, a tensor, or a plain number.
template <class X>
concept operand = expression_like<X> || std::is_arithmetic_v<X>;

template <class A, class B>
concept operands = operand<A> && operand<B> &&(expression_like<A> || expression_like<B>);

namespace detail {
/// A number becomes constant<T, shape<>> with the value type of the other operand.
template <class Other, class X>
auto lift(X const& x) {
  if constexpr (std::is_arithmetic_v<X>) {
    using O = expr_t<Other>;
    return constant<value_t<O>, shape<>, device_t<O>>(static_cast<value_t<O>>(x));
  } else {
    return as_expr(x);
  }
}
}  // namespace detail

template <class Op, class X>
auto make_unary(X const& x, Op op = {}) {
  return make_node(op, as_expr(x));
}

template <class Op, class A, class B>
auto make_binary(A const& a, B const& b, Op op = {}) {
  auto x = detail::lift<B>(a);
  auto y = detail::lift<A>(b);
  static_assert(check_broadcast<shape_t<decltype(x)>, shape_t<decltype(y)>, Op>());
  return make_node(op, x, y);
}

/// e broadcast to the extents of a (possibly larger) result, or e itself when shapes agree.
template <class Shape, class E>
auto fit(E const& e, extents<Shape::rank> const& target) {
  if constexpr (std::same_as<shape_t<E>, Shape>)
    return e;
  else if constexpr (is_zero<E>)
    return zero<value_t<E>, Shape, device_t<E>>(target);
  else
    return broadcast_to<Shape>(e, target);
}

}  // namespace metagrad
