// SPDX-License-Identifier: MIT
// Elementwise ops on lanes: one value of type T, or one SIMD packet of Ts (Eigen's packet types,
// as wide as the instruction set compiled for). The fused loop (elementwise.hpp) evaluates a
// tree packet by packet with these, and the tail of a block value by value. They call Eigen's
// scalar functors (scalar_exp_op, scalar_logistic_op, ...) whose packetOp is Eigen's vectorised
// exp, tanh, logistic, ...: the same functions Eigen's array expressions call, without
// instantiating an expression and its evaluators per fused tree (a fourth of the compile time
// per kernel). A functor's scalar operator() gives the tail the packet's own formula.
//
// packet_op<Op>::apply(op, x...) takes and returns lanes of one type; vectorizes<T> says whether
// it has a packet form for T. The default applies the op's scalar `apply`, so an op with no entry
// here works in fused loops, value by value.
#pragma once
#include <Eigen/Core>
#include <type_traits>
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
#include "../../ops/sqrt.hpp"
#include "../../ops/square.hpp"
#include "../../ops/sub.hpp"
#include "../../ops/tanh.hpp"
#include "../../ops/where.hpp"

#include "packet_warnings_off.hpp"

namespace metagrad::cpu {

namespace ei = Eigen::internal;

/// The SIMD packet of T (T itself where Eigen has none).
template <class T>
using packet_t = typename ei::packet_traits<T>::type;

/// The value type of lanes V (a packet's, or V itself).
template <class V>
using lane_value_t = typename ei::unpacket_traits<V>::type;

/// Lane helpers: every lane x; load and store at p (unaligned).
template <class V, class T>
V broadcast_lanes(T x) {
  if constexpr (std::is_arithmetic_v<V>)
    return static_cast<V>(x);
  else
    return ei::pset1<V>(x);
}
template <class V, class T>
V load_lanes(T const* p) {
  if constexpr (std::is_arithmetic_v<V>)
    return static_cast<V>(*p);
  else
    return ei::ploadu<V>(p);
}
template <class T, class V>
void store_lanes(T* p, V const& v) {
  if constexpr (std::is_arithmetic_v<V>)
    *p = v;
  else
    ei::pstoreu(p, v);
}

/// An Eigen functor applied to lanes: operator() on a value, packetOp on a packet.
template <class F, class... V>
auto functor_apply(F const& f, V const&... x) {
  if constexpr ((std::is_arithmetic_v<V> && ...))
    return f(x...);
  else
    return f.packetOp(x...);
}

/// An op whose lanes are computed by one Eigen functor F of the value type.
template <template <class> class F>
struct unary_functor {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<F<T>>::PacketAccess;
  template <class Op, class V>
  static V apply(Op const&, V const& x) {
    return functor_apply(F<lane_value_t<V>>{}, x);
  }
};
template <template <class, class> class F>
struct binary_functor {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<F<T, T>>::PacketAccess;
  template <class Op, class V>
  static V apply(Op const&, V const& a, V const& b) {
    using T = lane_value_t<V>;
    return functor_apply(F<T, T>{}, a, b);
  }
};

/// The default: the op's scalar apply, value by value.
template <class Op>
struct packet_op {
  template <class T>
  static constexpr bool vectorizes = false;
  template <class... T>
  static auto apply(Op const& op, T const&... x) {
    return op.apply(x...);
  }
};

/// Ops whose value is their argument's (and broadcast_to, which the fused loop reads through
/// the leaf's stride 0): the fused loop reads the argument directly.
template <class Op>
inline constexpr bool is_identity = metagrad::detail::identity_valued<Op>;
template <class S>
inline constexpr bool is_identity<broadcast_to_op<S>> = true;

template <class Op>
requires is_identity<Op>
struct packet_op<Op> {
  template <class T>
  static constexpr bool vectorizes = true;
  template <class V>
  static V apply(Op const&, V const& a) {
    return a;
  }
};

// clang-format off
template <> struct packet_op<neg_op> : unary_functor<ei::scalar_opposite_op> {};
template <> struct packet_op<exp_op> : unary_functor<ei::scalar_exp_op> {};
template <> struct packet_op<log_op> : unary_functor<ei::scalar_log_op> {};
template <> struct packet_op<log1p_op> : unary_functor<ei::scalar_log1p_op> {};
template <> struct packet_op<tanh_op> : unary_functor<ei::scalar_tanh_op> {};
template <> struct packet_op<sigmoid_op> : unary_functor<ei::scalar_logistic_op> {};
template <> struct packet_op<square_op> : unary_functor<ei::scalar_square_op> {};
template <> struct packet_op<sqrt_op> : unary_functor<ei::scalar_sqrt_op> {};
template <> struct packet_op<rsqrt_op> : unary_functor<ei::scalar_rsqrt_op> {};
template <> struct packet_op<abs_op> : unary_functor<ei::scalar_abs_op> {};
template <> struct packet_op<sin_op> : unary_functor<ei::scalar_sin_op> {};
template <> struct packet_op<cos_op> : unary_functor<ei::scalar_cos_op> {};
template <> struct packet_op<add_op> : binary_functor<ei::scalar_sum_op> {};
template <> struct packet_op<sub_op> : binary_functor<ei::scalar_difference_op> {};
template <> struct packet_op<mul_op> : binary_functor<ei::scalar_product_op> {};
template <> struct packet_op<div_op> : binary_functor<ei::scalar_quotient_op> {};
template <> struct packet_op<pow_op> : binary_functor<ei::scalar_pow_op> {};
// clang-format on

/// Lanes of max(x, y) and min(x, y) that give NaN where either is NaN (torch.maximum, clamp).
template <class T>
using max_nan = ei::scalar_max_op<T, T, Eigen::PropagateNaN>;
template <class T>
using min_nan = ei::scalar_min_op<T, T, Eigen::PropagateNaN>;

template <>
struct packet_op<relu_op> {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<ei::scalar_max_op<T, T>>::PacketAccess;
  template <class V>
  static V apply(relu_op, V const& a) {
    using T = lane_value_t<V>;
    return functor_apply(ei::scalar_max_op<T, T>{}, a, broadcast_lanes<V>(T(0)));
  }
};

template <comparison C>
struct packet_op<extremum_op<C>> {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<max_nan<T>>::PacketAccess;
  template <class V>
  static V apply(extremum_op<C>, V const& a, V const& b) {
    using T = lane_value_t<V>;
    if constexpr (C == comparison::greater)
      return functor_apply(max_nan<T>{}, a, b);
    else
      return functor_apply(min_nan<T>{}, a, b);
  }
};

template <>
struct packet_op<clamp_op> {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<max_nan<T>>::PacketAccess;
  template <class V>
  static V apply(clamp_op op, V const& a) {
    using T = lane_value_t<V>;
    V lo = functor_apply(max_nan<T>{}, a, broadcast_lanes<V>(T(op.lo)));
    return functor_apply(min_nan<T>{}, lo, broadcast_lanes<V>(T(op.hi)));
  }
};

/// Comparisons give 1 or 0: on packets, the all-ones mask of a true lane anded with 1.
template <comparison C>
struct packet_op<compare_op<C>> {
  template <class T>
  static constexpr bool vectorizes =
      std::is_floating_point_v<T>&& ei::packet_traits<T>::HasCmp != 0;
  template <class V>
  static V apply(compare_op<C> op, V const& a, V const& b) {
    using T = lane_value_t<V>;
    if constexpr (std::is_same_v<V, T>) {
      return op.apply(a, b);
    } else {
      V const one = ei::pset1<V>(T(1));
      if constexpr (C == comparison::less)
        return ei::pand(ei::pcmp_lt(a, b), one);
      else if constexpr (C == comparison::less_equal)
        return ei::pand(ei::pcmp_le(a, b), one);
      else if constexpr (C == comparison::greater)
        return ei::pand(ei::pcmp_lt(b, a), one);
      else if constexpr (C == comparison::greater_equal)
        return ei::pand(ei::pcmp_le(b, a), one);
      else if constexpr (C == comparison::equal)
        return ei::pand(ei::pcmp_eq(a, b), one);
      else
        return ei::pandnot(one, ei::pcmp_eq(a, b));
    }
  }
};

template <>
struct packet_op<leaky_relu_op> {
  template <class T>
  static constexpr bool vectorizes =
      std::is_floating_point_v<T>&& ei::packet_traits<T>::HasCmp != 0;
  template <class V>
  static V apply(leaky_relu_op op, V const& a) {
    using T = lane_value_t<V>;
    if constexpr (std::is_same_v<V, T>)
      return a > T(0) ? a : a * T(op.negative_slope);
    else
      return ei::pselect(ei::pcmp_lt(ei::pzero(a), a), a,
                         ei::pmul(a, ei::pset1<V>(T(op.negative_slope))));
  }
};

template <>
struct packet_op<where_op> {
  template <class T>
  static constexpr bool vectorizes =
      std::is_floating_point_v<T>&& ei::packet_traits<T>::HasCmp != 0;
  template <class V>
  static V apply(where_op, V const& c, V const& a, V const& b) {
    using T = lane_value_t<V>;
    if constexpr (std::is_same_v<V, T>)
      return c != T(0) ? a : b;
    else
      return ei::pselect(ei::pcmp_eq(c, ei::pzero(c)), b, a);
  }
};

template <>
struct packet_op<pow_scalar_op> {
  template <class T>
  static constexpr bool vectorizes = ei::functor_traits<ei::scalar_pow_op<T, T>>::PacketAccess;
  template <class V>
  static V apply(pow_scalar_op op, V const& a) {
    using T = lane_value_t<V>;
    // scale 0 (a derivative of x^0): x^0 * 0 is 0 for every x, with no 0 * inf.
    V p = functor_apply(ei::scalar_pow_op<T, T>{}, a,
                        broadcast_lanes<V>(T(op.scale == 0 ? 0 : op.exponent)));
    return functor_apply(ei::scalar_product_op<T, T>{}, p, broadcast_lanes<V>(T(op.scale)));
  }
};

/// Arithmetic on lanes for the formulas below.
template <class V>
V lanes_add(V const& a, V const& b) {
  using T = lane_value_t<V>;
  return functor_apply(ei::scalar_sum_op<T, T>{}, a, b);
}
template <class V>
V lanes_mul(V const& a, V const& b) {
  using T = lane_value_t<V>;
  return functor_apply(ei::scalar_product_op<T, T>{}, a, b);
}
template <class V>
V lanes_scale(V const& a, double c) {
  using T = lane_value_t<V>;
  return lanes_mul(a, broadcast_lanes<V>(T(c)));
}
template <class V>
V lanes_plus(V const& a, double c) {
  using T = lane_value_t<V>;
  return lanes_add(a, broadcast_lanes<V>(T(c)));
}

/// gelu's inner function of a, whose derivative both gelu and its gradient need: erf(a / √2), or
/// tanh(k (a + c a³)) for the tanh form; gelu(a) = a (inner + 1) / 2.
template <gelu_form F, class V>
V gelu_inner(V const& a) {
  using T = lane_value_t<V>;
  namespace g = metagrad::detail::gelu_constants;
  if constexpr (F == gelu_form::erf)
    return functor_apply(ei::scalar_erf_op<T>{}, lanes_scale(a, g::inv_sqrt2));
  else
    return functor_apply(
        ei::scalar_tanh_op<T>{},
        lanes_scale(lanes_add(a, lanes_scale(lanes_mul(lanes_mul(a, a), a), g::c)), g::k));
}

template <gelu_form F>
struct packet_op<gelu_op<F>> {
  template <class T>
  static constexpr bool vectorizes =
      F == gelu_form::erf ? ei::functor_traits<ei::scalar_erf_op<T>>::PacketAccess
                          : ei::functor_traits<ei::scalar_tanh_op<T>>::PacketAccess;
  template <class V>
  static V apply(gelu_op<F>, V const& a) {
    return lanes_scale(lanes_mul(a, lanes_plus(gelu_inner<F>(a), 1)), 0.5);
  }
};

template <gelu_form F>
struct packet_op<gelu_grad_op<F>> {
  template <class T>
  static constexpr bool vectorizes = packet_op<gelu_op<F>>::template vectorizes<T>&&
      ei::functor_traits<ei::scalar_exp_op<T>>::PacketAccess;
  template <class V>
  static V apply(gelu_grad_op<F>, V const& a) {
    using T = lane_value_t<V>;
    namespace g = metagrad::detail::gelu_constants;
    V const u = gelu_inner<F>(a);  // erf(a / √2), or t = tanh(k (a + c a³))
    V const half_u_plus_1 = lanes_scale(lanes_plus(u, 1), 0.5);
    if constexpr (F == gelu_form::erf) {
      // (u + 1) / 2 + a exp(-a² / 2) / √(2π)
      V d = functor_apply(ei::scalar_exp_op<T>{}, lanes_scale(lanes_mul(a, a), -0.5));
      return lanes_add(half_u_plus_1, lanes_scale(lanes_mul(a, d), g::inv_sqrt_2pi));
    } else {
      // (t + 1) / 2 + a (1 - t²) du / 2, du = k (3 c a² + 1)
      V du = lanes_scale(lanes_plus(lanes_scale(lanes_mul(a, a), 3 * g::c), 1), g::k);
      V one_minus_t2 = lanes_plus(lanes_scale(lanes_mul(u, u), -1), 1);
      return lanes_add(half_u_plus_1, lanes_scale(lanes_mul(lanes_mul(a, one_minus_t2), du), 0.5));
    }
  }
};

}  // namespace metagrad::cpu

#include "packet_warnings_on.hpp"
