// SPDX-License-Identifier: MIT
// Train and eval modes. A model computes a different graph when training (dropout draws masks,
// batch norm normalises by the batch's statistics and updates its running ones) than when
// predicting, so the mode is a type: model(params, x) and model(params, x, nn::inference(state))
// build the eval graph, model(params, x, nn::training(key)) the training one.
//   - key: the random key of this step (dropout); layer K of a sequential model draws from
//     key.fold_in(K), so a step's masks depend only on the key and the layer's position;
//   - state: the model's variables that are not trained (batch norm's running statistics), a
//     tree made by model.init_state<In>(), one entry per layer, read in eval mode. Building a
//     graph has no side effects (transformations may build one several times): a training step
//     updates the state explicitly with model.update_state(params, x, state, key), which runs
//     the training forward pass once more, layer by layer, on the batch the gradient saw.
// e.g. auto state = model.init_state<In>();
//      auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x, nn::training(key)),
//      y); };  auto [l, g] = value_and_grad(loss)(params);  model.update_state(params, x, state,
//      key);  opt.step(params, g);  ...  auto logits = eval(model(params, xt,
//      nn::inference(state)));
#pragma once
#include <tuple>
#include <type_traits>

#include "../detail/meta.hpp"
#include "../random/philox.hpp"

namespace metagrad::nn {

/// Training: dropout draws its masks from key; batch norm normalises by the batch's statistics.
struct train_mode {
  rng key{0};

  /// The mode as layer K of a sequential model sees it: its own key.
  template <std::size_t K>
  train_mode at() const {
    return {key.fold_in(K)};
  }
};

template <class State = std::tuple<>>
struct eval_mode {
  using state_type = State;
  State const* state = nullptr;

  template <std::size_t K>
  auto at() const {
    if constexpr (std::tuple_size_v<State> == 0)
      return eval_mode<std::tuple<>>{nullptr};
    else
      return eval_mode<std::tuple_element_t<K, State>>{state ? &metagrad::detail::element<K>(*state)
                                                             : nullptr};
  }
};

template <class M>
inline constexpr bool is_train_mode = std::is_same_v<M, train_mode>;
template <class M>
inline constexpr bool is_eval_mode = false;
template <class S>
inline constexpr bool is_eval_mode<eval_mode<S>> = true;
template <class M>
concept mode = is_train_mode<M> || is_eval_mode<M>;

/// The training mode of one step, whose dropout masks come from key.
inline train_mode training(rng key) { return {key}; }
/// The eval mode with the model's state (batch norm's running statistics).
template <class State>
eval_mode<State> inference(State const& state) {
  return {&state};
}

namespace detail {
/// A layer's state tree for element type T and input S: L::state<T, S>, or none.
template <class L, class T, class S>
struct layer_state {
  using type = std::tuple<>;
};
template <class L, class T, class S>
requires requires { typename L::template state<T, S>; }
struct layer_state<L, T, S> {
  using type = typename L::template state<T, S>;
};

/// Calls layer(p, x, m) when the layer depends on the mode, else layer(p, x).
template <class L, class P, class X, class M>
auto call_in_mode(L const& layer, P const& p, X const& x, M const& m) {
  if constexpr (requires { layer(p, x, m); })
    return layer(p, x, m);
  else
    return layer(p, x);
}
}  // namespace detail

/// Whether a state tree holds any tensor (most layers' state is std::tuple<>).
template <class St>
inline constexpr bool holds_state = true;
template <class... E>
inline constexpr bool holds_state<std::tuple<E...>> = (holds_state<E> || ...);

/// Whether a container's state trees from layer (node) K on hold any tensor: a pass that updates
/// state (update_state) stops after the last layer that has some.
template <std::size_t K, class St>
constexpr bool holds_state_from() {
  return []<std::size_t... J>(std::index_sequence<J...>) {
    return (holds_state<std::tuple_element_t<K + J, St>> || ...);
  }
  (std::make_index_sequence<std::tuple_size_v<St> - K>{});
}

template <class L, class T, class S>
using layer_state_t = typename detail::layer_state<L, T, S>::type;

}  // namespace metagrad::nn
