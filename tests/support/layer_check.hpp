// SPDX-License-Identifier: MIT
// Test helpers for layers: a layer's value, vjp and jvp (w.r.t. its input and every parameter)
// against a PyTorch reference case of tests/reference/layers.hpp (make_layer_reference.py).
#pragma once
#include <algorithm>
#include <array>

#include "check.hpp"

namespace mgt {

/// The reference array a as a double tensor of its static shape S, e.g. ref<r::x_shape>(r::x).
template <auto const& S, class U, std::size_t N>
auto ref(U const (&a)[N]) {
  return from<shape_of<S>>(a);
}

/// A copy of t whose shape type is S (some extents dyn), e.g. to run a layer on (B,dyn,E).
template <class S, class X>
auto with_shape(X const& t) {
  mg::tensor<typename X::value_type, S> r(t.shape());
  std::copy(t.begin(), t.end(), r.begin());
  return r;
}

/// A parameter tree of type P filled from one row-major array per tensor (a case's
/// param_values, param_grads or param_tans).
template <class P, std::size_t N>
P tree_from(std::array<double const*, N> const& arrays) {
  static_assert(std::tuple_size_v<P> == N, "the reference case has another number of parameters");
  P p;
  mg::detail::static_for<N>([&](auto k) {
    auto& t = std::get<k>(p);
    std::copy(arrays[k], arrays[k] + t.size(), t.begin());
  });
  return p;
}

/// layer(params, x) as a function of x and each parameter, for check_reference and check_grads.
template <class Layer>
auto layer_fn(Layer const& layer) {
  return [layer](auto const& x, auto const&... ps) {
    return layer(std::forward_as_tuple(ps...), mg::as_expr(x));
  };
}

/// Value, vjp and jvp of layer(params, x) w.r.t. x and every parameter against a reference case
/// R (ref::<case>::arrays), for input shape In (the case's x_shape, or with dyn extents).
/// The parameters' shapes come from the layer: a parameter of the wrong size fails to match.
template <class R, class In = shape_of<R::x_shape>, class Layer>
void check_layer_reference(Layer const& layer) {
  using P = typename Layer::template params<double, In>;
  auto x = with_shape<In>(from<shape_of<R::x_shape>>(R::x));
  auto p = tree_from<P>(R::param_values);
  auto g = tree_from<P>(R::param_grads);
  auto t = tree_from<P>(R::param_tans);
  auto gx = with_shape<In>(from<shape_of<R::x_shape>>(R::grad_x));
  auto tx = with_shape<In>(from<shape_of<R::x_shape>>(R::tan_x));
  auto cot = with_shape<typename Layer::template output<In>>(from<shape_of<R::out_shape>>(R::cot));
  std::apply(
      [&](auto const&... grads) {
        check_reference(layer_fn(layer), std::tuple_cat(std::tuple{x}, p), R::out, cot,
                        std::tuple_cat(std::tuple{tx}, t), R::jvp_out, gx, grads...);
      },
      g);
}

}  // namespace mgt
