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

namespace detail {
/// Cost rules (summed by nn/cost.hpp): each op's flops<Out, Args...> is its forward pass's
/// floating-point operations per example, for result shape Out and argument expression types
/// Args; a multiply-add counts two. The values per example of S: the product of its extents
/// after a leading dyn (the batch), 0 without one (a parameter's value is no example's), dyn if
/// another extent is dyn.
template <class S>
constexpr index_t per_example_size() {
  if constexpr (S::rank == 0) {
    return 0;
  } else {
    if (S::dims[0] != dyn) return 0;
    index_t n = 1;
    for (std::size_t i = 1; i < S::rank; ++i) n = S::dims[i] == dyn ? dyn : n * S::dims[i];
    return n;
  }
}
/// a * b, dyn if either is.
constexpr index_t cost_product(index_t a, index_t b) { return a == dyn || b == dyn ? dyn : a * b; }
/// Whether E is a node of a contraction (its op says `contracts`: matmul, conv2d), whose bias
/// add the FLOP count leaves out.
template <class E>
inline constexpr bool is_contraction = false;
template <class E>
requires requires { E::op_type::contracts; }
inline constexpr bool is_contraction<E> = true;
}  // namespace detail

template <class Derived>
struct elementwise_unary : elementwise_tag {
  /// One operation per value.
  template <class Out, class... Args>
  static constexpr index_t flops = detail::per_example_size<Out>();
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
  /// One operation per value.
  template <class Out, class... Args>
  static constexpr index_t flops = detail::per_example_size<Out>();
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

/// (Where the operands are expressions they are copied as they are, X(x), not through as_expr or
/// lift: a function instantiated on an expression's type is a symbol spelling the whole
/// subexpression, at every node built. A copy, not a reference: the step of a small graph keeps
/// a tree built from fresh copies in registers, and one built from references to the caller's
/// nodes went through memory, twice as slow for the OR gate.)
template <class Op, class X>
auto make_unary(X const& x, Op op = {}) {
  if constexpr (tensor_expression<X>)
    return make_node(op, X(x));
  else
    return make_node(op, as_expr(x));
}

template <class Op, class A, class B>
auto make_binary(A const& a, B const& b, Op op = {}) {
  if constexpr (tensor_expression<A> && tensor_expression<B>) {
    static_assert(check_broadcast<shape_t<A>, shape_t<B>, Op>());
    return make_node(op, A(a), B(b));
  } else {
    auto x = detail::lift<B>(a);
    auto y = detail::lift<A>(b);
    static_assert(check_broadcast<shape_t<decltype(x)>, shape_t<decltype(y)>, Op>());
    return make_node(op, x, y);
  }
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
