// SPDX-License-Identifier: MIT
// Elementwise ops as Eigen array expressions, so fused loops use Eigen's vectorised exp, tanh,
// logistic, ... The default wraps the op's scalar `apply` (unaryExpr / binaryExpr); ops with a
// vectorised Eigen counterpart are listed below.
#pragma once
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>  // erf, for gelu

#include "../../ops/abs.hpp"
#include "../../ops/add.hpp"
#include "../../ops/broadcast_to.hpp"
#include "../../ops/clamp.hpp"
#include "../../ops/compare.hpp"
#include "../../ops/cos.hpp"
#include "../../ops/div.hpp"
#include "../../ops/exp.hpp"
#include "../../ops/gelu.hpp"
#include "../../ops/identity.hpp"
#include "../../ops/leaky_relu.hpp"
#include "../../ops/log.hpp"
#include "../../ops/log1p.hpp"
#include "../../ops/maximum.hpp"
#include "../../ops/minimum.hpp"
#include "../../ops/mul.hpp"
#include "../../ops/neg.hpp"
#include "../../ops/pow.hpp"
#include "../../ops/relu.hpp"
#include "../../ops/rsqrt.hpp"
#include "../../ops/sigmoid.hpp"
#include "../../ops/sin.hpp"
#include "../../ops/softplus.hpp"
#include "../../ops/sqrt.hpp"
#include "../../ops/square.hpp"
#include "../../ops/sub.hpp"
#include "../../ops/tanh.hpp"
#include "../../ops/where.hpp"

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

// Elementwise math beyond arithmetic (ops/log1p.hpp ... ops/where.hpp).
// clang-format off
template <> struct eigen_op<log1p_op> { static auto apply(log1p_op, auto const& a) { return a.log1p(); } };
template <> struct eigen_op<sqrt_op> { static auto apply(sqrt_op, auto const& a) { return a.sqrt(); } };
template <> struct eigen_op<rsqrt_op> { static auto apply(rsqrt_op, auto const& a) { return a.rsqrt(); } };
template <> struct eigen_op<abs_op> { static auto apply(abs_op, auto const& a) { return a.abs(); } };
template <> struct eigen_op<sin_op> { static auto apply(sin_op, auto const& a) { return a.sin(); } };
template <> struct eigen_op<cos_op> { static auto apply(cos_op, auto const& a) { return a.cos(); } };
// clang-format on

template <>
struct eigen_op<pow_scalar_op> {
  template <class A>
  static auto apply(pow_scalar_op op, A const& a) {
    using T = typename A::Scalar;
    // scale 0 (a derivative of x^0): x^0 * 0 is 0 for every x, with no 0 * inf.
    return a.pow(T(op.scale == 0 ? 0 : op.exponent)) * T(op.scale);
  }
};
template <>
struct eigen_op<pow_op> {
  static auto apply(pow_op, auto const& a, auto const& b) { return a.pow(b); }
};

template <>
struct eigen_op<leaky_relu_op> {
  template <class A>
  static auto apply(leaky_relu_op op, A const& a) {
    using T = typename A::Scalar;
    return (a > T(0)).select(a, a * T(op.negative_slope));
  }
};

template <>
struct eigen_op<clamp_op> {
  template <class A>
  static auto apply(clamp_op op, A const& a) {
    using T = typename A::Scalar;
    using max_nan = Eigen::internal::scalar_max_op<T, T, Eigen::PropagateNaN>;
    using min_nan = Eigen::internal::scalar_min_op<T, T, Eigen::PropagateNaN>;
    auto lo = A::PlainObject::Constant(a.size(), T(op.lo));
    auto hi = A::PlainObject::Constant(a.size(), T(op.hi));
    return a.binaryExpr(lo, max_nan()).binaryExpr(hi, min_nan());
  }
};

template <comparison C>
struct eigen_op<extremum_op<C>> {
  template <class A, class B>
  static auto apply(extremum_op<C>, A const& a, B const& b) {
    using T = typename A::Scalar;
    if constexpr (C == comparison::greater)
      return a.binaryExpr(b, Eigen::internal::scalar_max_op<T, T, Eigen::PropagateNaN>());
    else
      return a.binaryExpr(b, Eigen::internal::scalar_min_op<T, T, Eigen::PropagateNaN>());
  }
};

template <>
struct eigen_op<where_op> {
  template <class C, class A, class B>
  static auto apply(where_op, C const& c, A const& a, B const& b) {
    using T = typename C::Scalar;
    return (c != T(0)).select(a, b);
  }
};

template <gelu_form F>
struct eigen_op<gelu_op<F>> {
  template <class A>
  static auto apply(gelu_op<F>, A const& a) {
    using T = typename A::Scalar;
    namespace g = metagrad::detail::gelu_constants;
    if constexpr (F == gelu_form::erf)
      return a * ((a * T(g::inv_sqrt2)).erf() + T(1)) * T(0.5);
    else
      return a * (((a + a.cube() * T(g::c)) * T(g::k)).tanh() + T(1)) * T(0.5);
  }
};

template <gelu_form F>
struct eigen_op<gelu_grad_op<F>> {
  template <class A>
  static auto apply(gelu_grad_op<F>, A const& a) {
    using T = typename A::Scalar;
    namespace g = metagrad::detail::gelu_constants;
    if constexpr (F == gelu_form::erf) {
      return ((a * T(g::inv_sqrt2)).erf() + T(1)) * T(0.5) +
             a * (a.square() * T(-0.5)).exp() * T(g::inv_sqrt_2pi);
    } else {
      auto t = ((a + a.cube() * T(g::c)) * T(g::k)).tanh();
      auto du = (a.square() * T(3 * g::c) + T(1)) * T(g::k);
      return (t + T(1)) * T(0.5) + a * (T(1) - t.square()) * du * T(0.5);
    }
  }
};

}  // namespace metagrad::cpu
