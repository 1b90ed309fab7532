// SPDX-License-Identifier: MIT
// Elementwise ops as Eigen array expressions, so fused loops use Eigen's vectorised exp, tanh,
// logistic, ... The default wraps the op's scalar `apply` (unaryExpr / binaryExpr); ops with a
// vectorised Eigen counterpart are listed below.
#pragma once
#include <Eigen/Core>

#include "../../ops/add.hpp"
#include "../../ops/compare.hpp"
#include "../../ops/div.hpp"
#include "../../ops/exp.hpp"
#include "../../ops/identity.hpp"
#include "../../ops/log.hpp"
#include "../../ops/mul.hpp"
#include "../../ops/neg.hpp"
#include "../../ops/relu.hpp"
#include "../../ops/sigmoid.hpp"
#include "../../ops/square.hpp"
#include "../../ops/sub.hpp"
#include "../../ops/tanh.hpp"
#include "../../ops/broadcast_to.hpp"

namespace metagrad::cpu {

template <class Op>
struct eigen_op {
  template <class A>
  static auto apply(Op const& op, A const& a) {
    using T = typename A::Scalar;
    return a.unaryExpr([op](T x) { return op.apply(x); });
  }
  template <class A, class B>
  static auto apply(Op const& op, A const& a, B const& b) {
    using T = typename A::Scalar;
    return a.binaryExpr(b, [op](T x, T y) { return op.apply(x, y); });
  }
  template <class A, class B, class C>
  static auto apply(Op const& op, A const& a, B const& b, C const& c) {
    using T = typename A::Scalar;
    // Eigen has no ternary expression: evaluate through a nullary functor over the indices.
    return A::NullaryExpr(a.size(), [op, a, b, c](Eigen::Index i) -> T {
      return op.apply(a.coeff(i), b.coeff(i), c.coeff(i));
    });
  }
};

/// Ops whose value is their argument: the fused loop reads the argument directly.
template <class Op>
inline constexpr bool is_identity = false;
template <>
inline constexpr bool is_identity<stop_gradient_op> = true;
template <int L, std::size_t I>
inline constexpr bool is_identity<bind_op<L, I>> = true;
template <class S>
inline constexpr bool is_identity<broadcast_to_op<S>> = true;

template <class Op>
  requires is_identity<Op>
struct eigen_op<Op> {
  template <class A>
  static auto apply(Op const&, A const& a) {
    return a;
  }
};

template <comparison C>
struct eigen_op<compare_op<C>> {
  template <class A, class B>
  static auto apply(compare_op<C>, A const& a, B const& b) {
    using T = typename A::Scalar;
    if constexpr (C == comparison::less) return (a < b).template cast<T>();
    else if constexpr (C == comparison::less_equal) return (a <= b).template cast<T>();
    else if constexpr (C == comparison::greater) return (a > b).template cast<T>();
    else if constexpr (C == comparison::greater_equal) return (a >= b).template cast<T>();
    else if constexpr (C == comparison::equal) return (a == b).template cast<T>();
    else return (a != b).template cast<T>();
  }
};

// clang-format off
template <> struct eigen_op<neg_op> { static auto apply(neg_op, auto const& a) { return -a; } };
template <> struct eigen_op<exp_op> { static auto apply(exp_op, auto const& a) { return a.exp(); } };
template <> struct eigen_op<log_op> { static auto apply(log_op, auto const& a) { return a.log(); } };
template <> struct eigen_op<tanh_op> { static auto apply(tanh_op, auto const& a) { return a.tanh(); } };
template <> struct eigen_op<sigmoid_op> { static auto apply(sigmoid_op, auto const& a) { return a.logistic(); } };
template <> struct eigen_op<square_op> { static auto apply(square_op, auto const& a) { return a.square(); } };
template <> struct eigen_op<relu_op> {
  template <class A> static auto apply(relu_op, A const& a) { return a.max(typename A::Scalar(0)); }
};
template <> struct eigen_op<add_op> { static auto apply(add_op, auto const& a, auto const& b) { return a + b; } };
template <> struct eigen_op<sub_op> { static auto apply(sub_op, auto const& a, auto const& b) { return a - b; } };
template <> struct eigen_op<mul_op> { static auto apply(mul_op, auto const& a, auto const& b) { return a * b; } };
template <> struct eigen_op<div_op> { static auto apply(div_op, auto const& a, auto const& b) { return a / b; } };
// clang-format on

}  // namespace metagrad::cpu
