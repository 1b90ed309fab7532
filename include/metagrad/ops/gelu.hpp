// SPDX-License-Identifier: MIT
// gelu(x), elementwise, as torch's gelu(x, approximate=...):
//   exact (default):  x Φ(x) = x/2 (1 + erf(x/√2));          d gelu = (Φ(x) + x φ(x)) dx
//   tanh:             x/2 (1 + tanh(k (x + c x³))), k = √(2/π), c = 0.044715
// The derivative gelu' is a second op (gelu_grad_op) whose own derivative is a composite:
//   exact: gelu'' = φ(x) (2 - x²),  φ(x) = exp(-x²/2)/√(2π)
//   tanh:  gelu'' = (1 - t²)(u' - x t u'² + 3kc x²),  t = tanh(u), u = k(x + c x³), u' = k(1 + 3c
//   x²)
// vjp: g * gelu'(x).
#pragma once
#include <cmath>
#include <numbers>

#include "exp.hpp"
#include "mul.hpp"
#include "square.hpp"
#include "sub.hpp"
#include "tanh.hpp"

namespace metagrad {

enum class gelu_form { erf, tanh };
template <gelu_form F>
struct gelu_form_tag {
  static constexpr gelu_form value = F;
};

/// How gelu is computed, as PyTorch's `approximate`: gelu(x) or gelu(x, gelu_approximation::tanh).
struct gelu_approximation {
  static constexpr gelu_form_tag<gelu_form::erf> none{};
  static constexpr gelu_form_tag<gelu_form::tanh> tanh{};
};

namespace detail::gelu_constants {
inline constexpr double inv_sqrt2 = std::numbers::sqrt2 / 2;                            // 1/√2
inline constexpr double inv_sqrt_2pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;  // 1/√(2π)
inline constexpr double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;             // √(2/π)
inline constexpr double c = 0.044715;
}  // namespace detail::gelu_constants

/// gelu'(x), the derivative of gelu_op<F>.
template <gelu_form F>
struct gelu_grad_op : elementwise_unary<gelu_grad_op<F>> {
  static constexpr char const* name = "gelu_grad";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    namespace g = detail::gelu_constants;
    using std::erf, std::exp, std::tanh;
    if constexpr (F == gelu_form::erf) {
      return T(0.5) * (T(1) + erf(x * T(g::inv_sqrt2))) +
             x * exp(T(-0.5) * x * x) * T(g::inv_sqrt_2pi);
    } else {
      T t = tanh(T(g::k) * (x + T(g::c) * x * x * x));
      T du = T(g::k) * (T(1) + T(3 * g::c) * x * x);
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
    }
  }
  static auto second(auto const& x) {
    namespace g = detail::gelu_constants;
    auto x2 = square(x);
    if constexpr (F == gelu_form::erf) {
      return exp(x2 * -0.5) * (2 - x2) * g::inv_sqrt_2pi;
    } else {
      auto t = tanh((x + x2 * x * g::c) * g::k);
      auto du = (x2 * (3 * g::c) + 1) * g::k;
      return (1 - square(t)) * (du - x * t * square(du) + x2 * (3 * g::k * g::c));
    }
  }
  static auto jvp(gelu_grad_op, auto const&, auto const& x, auto const& dx) {
    return dx * second(x);
  }
  static auto vjp(gelu_grad_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * second(x));
  }
};

template <gelu_form F>
struct gelu_op : elementwise_unary<gelu_op<F>> {
  static constexpr char const* name = "gelu";
  static constexpr bool costly = true;  // worth computing once per block (eval/memo.hpp)
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    namespace g = detail::gelu_constants;
    using std::erf, std::tanh;
    if constexpr (F == gelu_form::erf)
      return T(0.5) * x * (T(1) + erf(x * T(g::inv_sqrt2)));
    else
      return T(0.5) * x * (T(1) + tanh(T(g::k) * (x + T(g::c) * x * x * x)));
  }
  static auto jvp(gelu_op, auto const&, auto const& x, auto const& dx) {
    return dx * make_node(gelu_grad_op<F>{}, x);
  }
  static auto vjp(gelu_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(g * make_node(gelu_grad_op<F>{}, x));
  }
};

/// Gaussian error linear unit, e.g. gelu(x) (exact) or gelu(x, gelu_approximation::tanh).
template <expression_like X, gelu_form F = gelu_form::erf>
auto gelu(X const& x, gelu_form_tag<F> = {}) {
  return make_unary<gelu_op<F>>(x);
}

}  // namespace metagrad
