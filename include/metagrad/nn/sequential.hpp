// SPDX-License-Identifier: MIT
// sequential(layers...): layers applied in order, as keras.Sequential / torch.nn.Sequential.
// The model's type is a flat list of its layers; the shape entering layer K is computed at compile
// time from the model's input shape, so parameters are inferred and a wrong layer for its input is
// a compile error naming the layer's position. Parameters are a tuple with one tree per layer,
// named as PyTorch's nn.Sequential names them ("0.weight", "0.bias", "2.weight", ...).
// e.g. auto model = sequential(dense<128>{}, relu{}, dense<10>{});
//      auto params = model.init<shape<dyn, 784>>(rng{42});  auto logits = model(params, x);
#pragma once
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cost.hpp"
#include "layers.hpp"
#include "mode.hpp"

namespace metagrad::nn {

/// Named in the diagnostic when layer Position (from 0) of a sequential model cannot take the
/// shape entering it, with what the layer expects (L::expects<In>, layer.hpp), e.g.
/// sequential_layer_rejects_input<4, conv2d<16, 5>, shape<-1, 864>, expects_rank<4>>.
template <std::size_t Position, class Layer, class InputShape, class Expects>
struct sequential_layer_rejects_input {
  static constexpr bool value = false;
};

namespace detail {
template <class...>
struct type_list {};

/// Instantiated only for a layer that rejects its input: the one error, naming the position, the
/// layer, the shape and the expectation (g++ prints them in the first line, "In instantiation
/// of", and in the note; clang in the error line). In passes through unchanged so that no
/// further errors follow from it.
template <std::size_t Position, class L, class In, class Expects>
consteval bool check_layer_input() {
  // If the compiler points here: layer Position (from 0) of the model cannot take the shape In
  // entering it; Expects says what it needs, e.g. expects_rank<4> for a conv after flatten.
  static_assert(sequential_layer_rejects_input<Position, L, In, Expects>::value,
                "sequential: a layer cannot take the shape entering it; the diagnostic names "
                "sequential_layer_rejects_input<position from 0, layer, input shape, what the "
                "layer expects>");
  return true;
}
/// The shape leaving layer L (at Position) for input In.
template <bool Accepted, std::size_t Position, class L, class In>
struct layer_output {
  using type = typename L::template output<In>;
};
template <std::size_t Position, class L, class In>
struct layer_output<false, Position, L, In> {
  static_assert(check_layer_input<Position, L, In, typename expects_of<L, In>::type>());
  using type = In;
};

/// The shapes entering each layer: In, then each layer's output in turn (one instantiation per
/// layer, so compile cost grows linearly with depth).
template <class In, class List, class... Layers>
struct shapes_through;
template <class In, class... Done>
struct shapes_through<In, type_list<Done...>> {
  using inputs = type_list<Done...>;
  using output = In;
};
template <class In, class... Done, class L, class... Rest>
struct shapes_through<In, type_list<Done...>, L, Rest...> {
  using next =
      shapes_through<typename layer_output<L::template accepts<In>, sizeof...(Done), L, In>::type,
                     type_list<Done..., In>, Rest...>;
  using inputs = typename next::inputs;
  using output = typename next::output;
};

/// Element K of a list in one step, whatever K (no recursion over the list): the list derives
/// from indexed<0, T0>, indexed<1, T1>, ..., and a call picks the base with index K. The
/// indexed list is built once per list, so looking up every K of an N-element list costs O(N),
/// where peeling one element per step would cost O(N^2) instantiations.
template <std::size_t K, class T>
struct indexed {
  using type = T;
};
template <class Is, class... Ts>
struct indexed_list;
template <std::size_t... K, class... Ts>
struct indexed_list<std::index_sequence<K...>, Ts...> : indexed<K, Ts>... {};
template <std::size_t K, class T>
indexed<K, T> pick(indexed<K, T> const&);  // declared only: used in decltype
template <std::size_t K, class List>
struct at;
template <std::size_t K, class... Ts>
struct at<K, type_list<Ts...>> {
  using type = typename decltype(pick<K>(
      std::declval<indexed_list<std::index_sequence_for<Ts...>, Ts...>>()))::type;
};

}  // namespace detail

template <class... Layers>
struct sequential_model {
  std::tuple<Layers...> layers;
  static constexpr std::size_t size = sizeof...(Layers);

  template <class In>
  using shapes = detail::shapes_through<In, detail::type_list<>, Layers...>;
  /// The shape entering layer K for model input In.
  template <std::size_t K, class In>
  using input_of = typename detail::at<K, typename shapes<In>::inputs>::type;
  /// The model's output shape for input In.
  template <class In>
  using output = typename shapes<In>::output;
  template <std::size_t K>
  using layer_t = typename detail::at<K, detail::type_list<Layers...>>::type;
  /// Whether layer K takes the shape entering it for model input In (if not, the model does not
  /// compile, and the error names the layer).
  template <std::size_t K, class In>
  static constexpr bool accepts_at = layer_t<K>::template accepts<input_of<K, In>>;

  template <class T, class In, class K = std::index_sequence_for<Layers...>>
  struct params_of;
  template <class T, class In, std::size_t... K>
  struct params_of<T, In, std::index_sequence<K...>> {
    using type = std::tuple<typename detail::params_if_accepted<accepts_at<K, In>, layer_t<K>, T,
                                                                input_of<K, In>>::type...>;
  };
  /// The parameter tree for element type T and input In: one tree per layer.
  template <class T, class In>
  using params = typename params_of<T, In>::type;

  template <class T, class In, class K = std::index_sequence_for<Layers...>>
  struct state_of;
  template <class T, class In, std::size_t... K>
  struct state_of<T, In, std::index_sequence<K...>> {
    using type = std::tuple<layer_state_t<layer_t<K>, T, input_of<K, In>>...>;
  };
  /// The model's state (batch norm's running statistics; see mode.hpp): one tree per layer.
  template <class T, class In>
  using state = typename state_of<T, In>::type;

  /// The number of parameters for input In: a constant, e.g. static_assert(m.param_count<In> ==
  /// 101770).
  template <class In>
  static constexpr index_t param_count = []<std::size_t... K>(std::index_sequence<K...>) {
    return (index_t{0} + ... + layer_t<K>::template param_count<input_of<K, In>>);
  }
  (std::index_sequence_for<Layers...>{});
  /// Floating-point operations of one example's forward pass (multiply-adds count two); dyn
  /// when a layer's count depends on a dyn extent (a sequence's length).
  template <class In>
  static constexpr index_t flops = []<std::size_t... K>(std::index_sequence<K...>) {
    index_t n = 0;
    ((n = detail::cost_sum(n, layer_t<K>::template flops<input_of<K, In>>)), ...);
    return n;
  }
  (std::index_sequence_for<Layers...>{});
  /// Values one example's activations hold (each layer's output), e.g. for memory planning; dyn
  /// as flops.
  template <class In>
  static constexpr index_t activations = []<std::size_t... K>(std::index_sequence<K...>) {
    index_t n = 0;
    ((n = detail::cost_sum(
          n, nn::detail::per_example<typename layer_t<K>::template output<input_of<K, In>>>())),
     ...);
    return n;
  }
  (std::index_sequence_for<Layers...>{});
  /// Those values in bytes, for element type T.
  template <class In, class T = float>
  static constexpr index_t activation_bytes = detail::bytes_of<T>(activations<In>);

  /// Parameters for input shape In (element type T, float by default); layer K draws from
  /// r.fold_in(K), so adding a layer does not change the others' values.
  template <class In, class T = float>
  params<T, In> init(rng r) const {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return params<T, In>{init_layer<K, T, In>(r.fold_in(K))...};
    }
    (std::index_sequence_for<Layers...>{});
  }

  /// The state for input In as PyTorch initialises it (running means 0, variances 1).
  template <class In, class T = float>
  state<T, In> init_state() const {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return state<T, In>{init_state_of<K, T, In>()...};
    }
    (std::index_sequence_for<Layers...>{});
  }

  /// The model applied to x in eval mode: an expression (evaluate it, or differentiate it).
  template <class P, expression_like X>
  auto operator()(P const& p, X const& x) const {
    return apply<0>(p, as_expr(x));
  }
  /// The model applied to x in a mode: nn::training(key, state) or nn::inference(state).
  template <class P, expression_like X, mode M>
  auto operator()(P const& p, X const& x, M const& m) const {
    return apply<0>(p, as_expr(x), m);
  }

  /// One training step's update of the state (batch norm's running statistics) from the batch x:
  /// the training forward pass with the step's key, run layer by layer on concrete values up to
  /// the last layer with state, each such layer folding in the batch it sees. Nothing for models
  /// without state. e.g. model.update_state(params, x, state, key) after value_and_grad.
  template <class P, expression_like X, class St>
  void update_state(P const& p, X const& x, St& s, rng key) const {
    update_state(p, x, s, train_mode{key});
  }
  template <class P, expression_like X, class St>
  void update_state(P const& p, X const& x, St& s, train_mode const& m) const {
    if constexpr (holds_state<St>) update_from<0>(p, as_expr(x), s, m);
  }

  /// Calls f(name, tensor) for every parameter, named as torch.nn.Sequential's state_dict.
  template <class P, class F>
  static void for_each_named(P&& p, F&& f) {
    detail::for_each_layers_named<false, Layers...>(p, f);
  }
  /// Calls f(name, tensor) for every state tensor ("1.running_mean"), as in the state_dict.
  template <class St, class F>
  static void for_each_state_named(St&& s, F&& f) {
    detail::for_each_layers_named<true, Layers...>(s, f);
  }

  /// A table like keras' model.summary() for input In and element type T: layer, output shape,
  /// parameters, FLOPs and activation bytes (of its output) per example; then the totals.
  template <class In, class T = float>
  static std::string summary() {
    std::string s =
        "layer                output shape         params        FLOPs/example activation "
        "bytes/example\n";
    [&]<std::size_t... K>(std::index_sequence<K...>) { (row<K, In, T>(s), ...); }
    (std::index_sequence_for<Layers...>{});
    s += "total parameters: " + std::to_string(param_count<In>) +
         ", forward FLOPs per example: " + detail::cost_string(flops<In>) +
         ", activation values per example: " + detail::cost_string(activations<In>) + " (" +
         detail::cost_string(activation_bytes<In, T>) + " bytes)\n";
    return s;
  }

 private:
  template <std::size_t K, class T, class In>
  auto init_layer(rng r) const {
    return detail::init_if_accepted<accepts_at<K, In>, T, input_of<K, In>>(
        metagrad::detail::element<K>(layers), r);
  }
  template <std::size_t K, class T, class In>
  auto init_state_of() const {
    using L = layer_t<K>;
    if constexpr (requires { typename L::template state<T, input_of<K, In>>; })
      return metagrad::detail::element<K>(layers).template init_state<T, input_of<K, In>>();
    else
      return std::tuple<>{};
  }
  template <std::size_t K, class P, class H, class St>
  void update_from(P const& p, H const& h, St& s, train_mode const& m) const {
    auto const& layer = metagrad::detail::element<K>(layers);
    auto const mk = m.template at<K>();
    if constexpr (holds_state<std::tuple_element_t<K, St>>)
      layer.update_state(metagrad::detail::element<K>(p), h, metagrad::detail::element<K>(s), mk);
    if constexpr (K + 1 < size) {
      if constexpr (holds_state_from<K + 1, St>()) {
        auto next = eval(detail::call_in_mode(layer, metagrad::detail::element<K>(p), h, mk));
        update_from<K + 1>(p, as_expr(next), s, m);
      }
    }
  }
  // A layer that rejects the shape entering it is not called: its layer_output names it (position,
  // layer, shape, what it expects; instantiated once, here or by shapes<In> already), and calling
  // it would only add errors from inside the layer (its parameters are an empty tuple then) and
  // from everything built on its result.
  template <std::size_t K, class P, class X>
  auto apply(P const& p, X const& x) const {
    if constexpr (K == size) {
      return x;
    } else if constexpr (!layer_t<K>::template accepts<shape_t<X>>) {
      (void)sizeof(detail::layer_output<false, K, layer_t<K>, shape_t<X>>);  // the one error
      return x;
    } else {
      return apply<K + 1>(p,
                          metagrad::detail::element<K>(layers)(metagrad::detail::element<K>(p), x));
    }
  }
  template <std::size_t K, class P, class X, class M>
  auto apply(P const& p, X const& x, M const& m) const {
    if constexpr (K == size) {
      return x;
    } else if constexpr (!layer_t<K>::template accepts<shape_t<X>>) {
      (void)sizeof(detail::layer_output<false, K, layer_t<K>, shape_t<X>>);  // the one error
      return x;
    } else {
      return apply<K + 1>(
          p,
          detail::call_in_mode(metagrad::detail::element<K>(layers),
                               metagrad::detail::element<K>(p), x, m.template at<K>()),
          m);
    }
  }

  template <std::size_t K, class In, class T>
  static void row(std::string& s) {
    using L = layer_t<K>;
    using Out = typename L::template output<input_of<K, In>>;
    detail::summary_row(
        s, std::to_string(K) + " " + std::string(L::name), dims_string(Out::dims, "B"),
        {L::template param_count<input_of<K, In>>, L::template flops<input_of<K, In>>,
         detail::bytes_of<T>(detail::per_example<Out>())});
  }
};

/// A model of layers applied in order, e.g. sequential(dense<128>{}, relu{}, dense<10>{}).
template <class... Layers>
auto sequential(Layers... layers) {
  return sequential_model<Layers...>{{layers...}};
}

}  // namespace metagrad::nn
