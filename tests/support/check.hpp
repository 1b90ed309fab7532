// SPDX-License-Identifier: MIT
// Test helpers: tensors from reference arrays, closeness checks, and JAX-style check_grads
// (reverse and forward mode against central finite differences, in double precision).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>

#include <metagrad/metagrad.hpp>

namespace mgt {
namespace mg = metagrad;

template <auto const& A, std::size_t... I>
mg::shape<A[I]...> shape_of_impl(std::index_sequence<I...>);
/// The static shape of a reference array's `_shape`, e.g. shape_of<r::x_shape> = shape<2, 3, 6, 6>.
template <auto const& A>
using shape_of = decltype(shape_of_impl<A>(std::make_index_sequence<std::size(A)>{}));

/// A tensor of shape S from a reference array (row-major), converted to T.
template <class S, class T = double, class U, std::size_t N>
mg::tensor<T, S> from(U const (&a)[N]) {
  static_assert(S::static_size == static_cast<mg::index_t>(N), "reference array size != shape");
  mg::tensor<T, S> t;
  for (std::size_t i = 0; i < N; ++i) t.data()[i] = static_cast<T>(a[i]);
  return t;
}

/// Whether two tensors hold the same elements, bit for bit (e.g. one thread's result and two's).
template <class A, class B>
bool same_bits(A const& a, B const& b) {
  return a.size() == b.size() && std::equal(a.data(), a.data() + a.size(), b.data());
}

/// A tensor of shape S and run-time extents e (S's dyn entries taken from e) with deterministic
/// values in [lo, hi): the same values, row-major, as random<S'>(seed) for the static shape S'
/// of those extents.
template <class S, class T = double>
mg::tensor<T, S> random(mg::extents<S::rank> e, unsigned seed, double lo = -1, double hi = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  mg::tensor<T, S> t(e);
  for (auto& v : t) v = static_cast<T>(d(gen));
  return t;
}
/// A tensor of static shape S with deterministic values in [lo, hi).
template <class S, class T = double>
mg::tensor<T, S> random(unsigned seed, double lo = -1, double hi = 1) {
  return random<S, T>(mg::static_extents<S>(), seed, lo, hi);
}

/// A tensor shaped like t (run-time extents included) with deterministic values in [lo, hi).
template <class X>
auto random_like(X const& t, unsigned seed, double lo = -1, double hi = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  mg::tensor<typename X::value_type, typename X::shape_type> r(t.shape());
  for (auto& v : r) v = static_cast<typename X::value_type>(d(gen));
  return r;
}

template <class X, class Y>
void check_close(X const& got, Y const* want, mg::index_t n, double rtol, double atol,
                 std::string const& what) {
  REQUIRE(got.size() == n);
  int bad = 0;
  for (mg::index_t i = 0; i < n; ++i) {
    double g = static_cast<double>(got.data()[i]), w = static_cast<double>(want[i]);
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      if (bad++ < 5) FAIL_CHECK(what << ": element " << i << " is " << g << ", expected " << w);
    }
  }
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " of " << n << " elements differ");
}
template <class X, class Y>
void check_close(X const& got, Y const& want, double rtol, double atol, std::string const& what) {
  if constexpr (std::is_array_v<Y>)
    check_close(got, want, static_cast<mg::index_t>(std::size(want)), rtol, atol, what);
  else {
    REQUIRE(got.shape() == want.shape());
    check_close(got, want.data(), want.size(), rtol, atol, what);
  }
}

/// Checks f's value, vjp (with cotangent cot) and jvp (with tangents) against reference values.
template <class F, class... In, class Out, class Cot, class... Tan, class JvpOut, class... Grads>
void check_reference(F f, std::tuple<In...> const& inputs, Out const& out, Cot const& cot,
                     std::tuple<Tan...> const& tangents, JvpOut const& jvp_out,
                     Grads const&... grads) {
  double rtol = 1e-10, atol = 1e-12;
  auto [value, pullback] = std::apply([&](auto const&... x) { return mg::vjp(f, x...); }, inputs);
  check_close(value, out, rtol, atol, "value");
  auto got = pullback(cot);
  int i = 0;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((check_close(std::get<I>(got), grads, rtol, atol, "vjp of input " + std::to_string(i++))),
     ...);
  }
  (std::index_sequence_for<Grads...>{});
  auto [v2, tangent_out] = mg::jvp(f, inputs, tangents);
  check_close(v2, out, rtol, atol, "jvp value");
  check_close(tangent_out, jvp_out, rtol, atol, "jvp");
}

/// Reverse and forward mode of f against central finite differences at args (double tensors).
template <class F, class... Args>
void check_grads(F f, Args const&... args) {
  auto y = mg::eval(f(args...));
  auto cot = random_like(y, 7);
  constexpr double h = 1e-6, rtol = 1e-6, atol = 1e-7;
  auto scalar = [&](auto const&... a) {
    auto v = mg::eval(f(a...));
    double s = 0;
    for (mg::index_t i = 0; i < v.size(); ++i) s += v.data()[i] * cot.data()[i];
    return s;
  };
  auto [value, pullback] = mg::vjp(f, args...);
  auto grads = pullback(cot);
  auto tangents = std::tuple{random_like(args, 11 + sizeof(Args))...};
  // Not a structured binding: clang 14 cannot capture one (CHECK_MESSAGE captures jv below).
  auto jvp_pair = mg::jvp(f, std::tuple<Args const&...>{args...}, tangents);
  auto const& v2 = jvp_pair.first;
  auto const& jv = jvp_pair.second;
  check_close(v2, y, 1e-12, 1e-12, "jvp value");

  // Reverse mode: each gradient element by central differences.
  std::tuple<Args...> work{args...};
  mg::detail::static_for<sizeof...(Args)>([&](auto k) {
    auto& x = std::get<k>(work);
    auto const& g = std::get<k>(grads);
    for (mg::index_t i = 0; i < x.size(); ++i) {
      double keep = x.data()[i];
      x.data()[i] = keep + h;
      double up = std::apply(scalar, work);
      x.data()[i] = keep - h;
      double down = std::apply(scalar, work);
      x.data()[i] = keep;
      double num = (up - down) / (2 * h);
      CHECK_MESSAGE(std::fabs(g.data()[i] - num) <= atol + rtol * std::fabs(num) * 10,
                    "vjp of arg " << k << " element " << i << ": " << g.data()[i]
                                  << " vs finite difference " << num);
    }
  });

  // Forward mode: the whole jvp against a central difference along the tangents.
  auto shifted = [&](double s) {
    return std::apply(
        [&](auto const&... t) {
          return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return mg::eval(f(mg::eval(std::get<I>(std::tie(args...)) + t * s)...));
          }
          (std::index_sequence_for<Args...>{});
        },
        tangents);
  };
  auto up = shifted(h), down = shifted(-h);
  for (mg::index_t i = 0; i < jv.size(); ++i) {
    double num = (up.data()[i] - down.data()[i]) / (2 * h);
    CHECK_MESSAGE(std::fabs(jv.data()[i] - num) <= atol + rtol * std::fabs(num) * 10,
                  "jvp element " << i << ": " << jv.data()[i] << " vs finite difference " << num);
  }
}

}  // namespace mgt

/// One PyTorch case of a binary op: value, vjp and jvp of EXPR (in a, b) against ref::NAME.
#define MGT_BINARY_REFERENCE_CASE(NAME, EXPR, SA, SB, SO)                                          \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                                          \
    namespace r = ref::NAME;                                                                       \
    auto f = [](auto a, auto b) { return EXPR; };                                                  \
    mgt::check_reference(f, std::tuple{mgt::from<SA>(r::a), mgt::from<SB>(r::b)}, r::out,          \
                         mgt::from<SO>(r::cot),                                                    \
                         std::tuple{mgt::from<SA>(r::tan_a), mgt::from<SB>(r::tan_b)}, r::jvp_out, \
                         r::grad_a, r::grad_b);                                                    \
  }
