// SPDX-License-Identifier: MIT
// residual(layers...): y = x + f(x), f the layers applied in order (a skip connection, as in
// ResNet and transformer blocks). f must give back the shape it was given. Its parameters and
// state are those of sequential(layers...), named under the block's position: "3.0.weight".
// e.g. sequential(dense<64>{}, relu{}, residual(dense<64>{}, relu{}, dense<64>{}), dense<10>{})
#pragma once
#include "sequential.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: the layers of a residual block change the shape they are given.
template <class InputShape, class BodyOutputShape>
struct residual_body_changes_shape {
  static constexpr bool value = false;
};

template <class... Layers>
struct residual_block {
  using body_type = sequential_model<Layers...>;
  static constexpr std::string_view name = "residual";
  static constexpr std::array<std::string_view, 0> param_names{};
  body_type body;

  template <class S>
  static constexpr bool accepts = true;  // the body names its own layer that rejects S
  template <class S>
  static constexpr bool check() {
    using Out = typename body_type::template output<S>;
    static_assert(std::is_same_v<Out, S> || residual_body_changes_shape<S, Out>::value,
                  "residual: the block's layers must give back the shape they are given");
    return true;
  }
  template <class S>
  using output = std::conditional_t<check<S>(), S, S>;
  template <class T, class S>
  using params = typename body_type::template params<T, S>;
  template <class T, class S>
  using state = typename body_type::template state<T, S>;
  template <class S>
  static constexpr index_t param_count = body_type::template param_count<S>;
  template <class S>
  static constexpr index_t flops = body_type::template flops<S> + detail::per_example<S>();

  template <class T, class S>
  params<T, S> init(rng r) const {
    return body.template init<S, T>(r);
  }
  template <class T, class S>
  state<T, S> init_state() const {
    return body.template init_state<S, T>();
  }
  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    auto e = share(x);  // read twice: by the body and by the sum
    return e + body(p, e);
  }
  template <class P, class X, mode M>
  auto operator()(P const& p, X const& x, M const& m) const {
    auto e = share(x);
    return e + body(p, e, m);
  }
  /// Folds the batch x into the body's state (see sequential_model::update_state).
  template <class P, class X, class St>
  void update_state(P const& p, X const& x, St& s, train_mode const& m) const {
    body.update_state(p, x, s, m);
  }
  template <class P, class F>
  static void for_each_named(P& p, F&& f) {
    body_type::for_each_named(p, f);
  }
  template <class St, class F>
  static void for_each_state_named(St& s, F&& f) {
    body_type::for_each_state_named(s, f);
  }
};

/// A skip connection around layers, e.g. residual(dense<64>{}, relu{}, dense<64>{}).
template <class... Layers>
auto residual(Layers... layers) {
  return residual_block<Layers...>{{{layers...}}};
}

}  // namespace metagrad::nn
