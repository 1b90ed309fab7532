// SPDX-License-Identifier: MIT
// Powers, elementwise, as torch.pow:
//   pow(x, p), p a number:   y = x^p.  Stored as c*x^p (c = 1), so the derivative is again one:
//                            d(c x^p) = (c p) x^(p-1) dx, and 0 when c p == 0 (PyTorch: 0 for p ==
//                            0).
//   pow(a, b), both tensors: (..) ^ (..) => broadcast shape, NumPy broadcasting.
//                            d(a^b) = b a^(b-1) da + y log(a) db   (0 where b == 0, resp. where
//                            a == 0 and b >= 0, as PyTorch);  vjp: sums of g times those to a, b.
#pragma once
#include <cmath>

#include "compare.hpp"
#include "log.hpp"
#include "mul.hpp"
#include "sub.hpp"
#include "where.hpp"

namespace metagrad {

struct pow_scalar_op : elementwise_unary<pow_scalar_op> {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(pow_scalar_op const& a, pow_scalar_op const& b) {
    return a.exponent == b.exponent && a.scale == b.scale;
  }
  static constexpr char const* name = "pow";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  double exponent = 1;
  double scale = 1;  // y = scale * x^exponent: derivatives of powers stay powers
  template <class T>
  METAGRAD_HOST_DEVICE T apply(T x) const {
    using std::pow;
    return scale == 0 ? T(0) : T(scale) * pow(x, T(exponent));
  }
  /// The derivative c p x^(p-1), as one op.
  pow_scalar_op derivative() const { return {{}, exponent - 1, scale * exponent}; }
  static auto jvp(pow_scalar_op op, auto const&, auto const& x, auto const& dx) {
    return dx * make_node(op.derivative(), x);
  }
  static auto vjp(pow_scalar_op op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * make_node(op.derivative(), x));
  }
};

struct pow_op : elementwise_binary<pow_op> {
  static constexpr char const* name = "pow";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    using std::pow;
    return pow(a, b);
  }
  /// dy/da = b a^(b-1), 0 where b == 0.
  static auto d_base(auto const& a, auto const& b) {
    return where(equal(b, 0), 0, b * make_node(pow_op{}, a, b - 1));
  }
  /// dy/db = y log(a), 0 where a == 0 and b >= 0.
  static auto d_exponent(auto const& y, auto const& a, auto const& b) {
    return where(equal(a, 0) * (b >= 0), 0, y * log(a));
  }
  static auto jvp(pow_op, auto const& y, auto const& a, auto const& b, auto const& da,
                  auto const& db) {
    return da * d_base(a, b) + db * d_exponent(y, a, b);
  }
  static auto vjp(pow_op, auto const& g, auto const& y, auto const& a, auto const& b) {
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(g * d_base(a, b), a.ext),
                                   sum_to<shape_t<decltype(b)>>(g * d_exponent(y, a, b), b.ext));
  }
};

/// x^p elementwise, with broadcasting when both are tensors, e.g. pow(x, 2.5), pow(a, b),
/// pow(2.0, x).
template <class A, class B>
requires operands<A, B>
auto pow(A const& a, B const& b) {
  if constexpr (std::is_arithmetic_v<B>)
    return make_unary(a, pow_scalar_op{{}, double(b), 1});
  else
    return make_binary<pow_op>(a, b);
}

}  // namespace metagrad
