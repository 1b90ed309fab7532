// SPDX-License-Identifier: MIT
// What every expression is: a value with value_type, shape_type, device_type, rank and run-time
// extents `ext`. Leaves (expr/leaf.hpp) hold data; nodes (expr/node.hpp) hold an op and args.
#pragma once
#include <concepts>
#include <type_traits>

#include "../detail/flat_tuple.hpp"
#include "../shape/shape.hpp"

namespace metagrad {

/// Base of every expression type (leaves and nodes). A leaf's args are none (a node's own args
/// hide these), so a walk reads every expression's args alike: e.args gives the index pack a
/// function over them deduces, with no call to tell leaves from nodes first (each such call is
/// one more function per node type, a symbol spelling its whole subexpression).
struct expr_tag {
  static constexpr detail::flat_tuple<> args{};
};

template <class E>
concept tensor_expression = std::derived_from<std::remove_cvref_t<E>, expr_tag>;

/// Marks elementwise ops: backends fuse chains of them into one loop.
struct elementwise_tag {};

template <class Op>
inline constexpr bool is_elementwise_op = std::derived_from<Op, elementwise_tag>;

/// How an op's result folds when some args are the symbolic zero (autodiff/zero handling):
/// `any`: zero if any arg is zero (mul, matmul, linear unary ops); `all`: zero if all are (add);
/// `never`: nonlinear ops (exp(0) == 1).
enum class zero_rule { never, any, all };

template <class E>
using value_t = typename std::remove_cvref_t<E>::value_type;
template <class E>
using shape_t = typename std::remove_cvref_t<E>::shape_type;
template <class E>
using device_t = typename std::remove_cvref_t<E>::device_type;

}  // namespace metagrad
