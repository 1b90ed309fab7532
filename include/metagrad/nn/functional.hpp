// SPDX-License-Identifier: MIT
// functional<In...>(nodes...).outputs(refs...): any graph of layers with several inputs and
// outputs, as Keras's functional API. The graph is a flat list of nodes, each a layer and the
// references it reads: nn::in<I> (model input I), nn::in<"name"> (the input declared as
// nn::input<"name", Shape>) or nn::at<K> (the output of node K < this one).
// Shapes flow from the inputs at compile time, so parameters are inferred, and a layer that cannot
// take what reaches it is one compile error naming its node and the shapes. Parameters and state
// are tuples with one tree per node, named as "K.weight". A node's value that more than one
// reference reads (later nodes, outputs) is shared (expr/shared.hpp): held once, computed once.
//   auto model = nn::functional<In0, In1>(
//                    nn::node(nn::dense<32>{}, nn::in<0>),              // node 0
//                    nn::node(nn::dense<32>{}, nn::in<1>),              // node 1
//                    nn::node(nn::merge_add{}, nn::at<0>, nn::at<1>),   // node 2
//                    nn::node(nn::relu{}, nn::at<2>),                   // node 3
//                    nn::node(nn::dense<10>{}, nn::at<3>),              // node 4
//                    nn::node(nn::dense<1>{}, nn::at<3>))               // node 5
//                    .outputs(nn::at<4>, nn::at<5>);
//   auto [logits, score] = model(params, x0, x1);   // a tuple when there are several outputs
// Inputs declared nn::input<"image", In0>, nn::input<"meta", In1> are read by name,
// nn::in<"image">, and the summary shows the names; the call still takes them in order.
#pragma once
#include <array>
#include <string>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../expr/shared.hpp"
#include "../ops/concat.hpp"
#include "cost.hpp"
#include "layer.hpp"
#include "mode.hpp"

namespace metagrad::nn {

/// A named input of a functional model, in place of its shape: e.g.
/// nn::functional<nn::input<"image", shape<dyn, 784>>, nn::input<"meta", shape<dyn, 4>>>(...).
template <metagrad::detail::fixed_string Name, class Shape>
struct input {
  static_assert(!Name.view().empty(), "functional: an input's name is not empty");
  static constexpr auto key = Name;
  using shape = Shape;
};

/// What nn::in<...> takes: an input's position, nn::in<0>, or its name, nn::in<"image">.
template <std::size_t N>
struct input_key {
  std::size_t index = 0;
  metagrad::detail::fixed_string<N> name;
  static constexpr bool named = N > 1;
  constexpr input_key(std::size_t i) requires(N == 1) : index(i), name("") {}
  constexpr input_key(char const (&s)[N]) : name(s) {
    static_assert(N > 1, "functional: nn::in<\"\"> names no input; give a name or a position");
  }
};
input_key(std::size_t)->input_key<1>;
template <std::size_t N>
input_key(char const (&)[N]) -> input_key<N>;

template <input_key Key>
struct input_ref {
  static constexpr auto key = Key;
};
template <std::size_t K>
struct node_ref {
  static constexpr std::size_t index = K;
};
/// Model input I (or the input named so), and the output of node K, as a node's arguments.
template <input_key Key>
inline constexpr input_ref<Key> in{};
template <std::size_t K>
inline constexpr node_ref<K> at{};

template <class Layer, class... Refs>
struct graph_node {
  Layer layer;
};
/// A node of a functional model: layer applied to the values refs name.
template <class Layer, class... Refs>
constexpr graph_node<Layer, Refs...> node(Layer layer, Refs...) {
  static_assert(sizeof...(Refs) >= 1, "functional: a node reads at least one value");
  return {layer};
}

namespace detail {
template <class Ref>
inline constexpr bool is_input_ref = false;
template <auto Key>
inline constexpr bool is_input_ref<input_ref<Key>> = true;

/// A functional model's input as declared: a shape (unnamed), or nn::input<"name", Shape>.
template <class In>
struct input_decl {
  static constexpr metagrad::detail::fixed_string key{""};
  using shape = In;
};
template <metagrad::detail::fixed_string Name, class Shape>
struct input_decl<input<Name, Shape>> : input<Name, Shape> {};

/// The position of the first input named name among In..., or sizeof...(In).
template <class... In>
constexpr std::size_t input_named(std::string_view name) {
  constexpr std::array<std::string_view, sizeof...(In)> names{input_decl<In>::key.view()...};
  std::size_t i = 0;
  while (i < names.size() && (names[i].empty() || names[i] != name)) ++i;
  return i;
}
/// The position of an input that shares its name with an earlier one, or sizeof...(In).
template <class... In>
constexpr std::size_t input_named_twice() {
  constexpr std::array<std::string_view, sizeof...(In)> names{input_decl<In>::key.view()...};
  for (std::size_t j = 0; j < names.size(); ++j)
    if (input_named<In...>(names[j]) < j) return j;
  return names.size();
}

/// FLOPs per example of merging N values of shape S elementwise: N - 1 per value.
template <class S, std::size_t N>
constexpr index_t merge_flops() {
  constexpr index_t n = per_example<S>();
  return n == dyn ? dyn : static_cast<index_t>(N - 1) * n;
}
}  // namespace detail

/// Layers that merge several values of the same shape (Keras's Add, Multiply, Concatenate).
/// Their flops take every input shape, as output does.
struct merge_add : stateless {
  static constexpr std::string_view name = "add";
  template <class S, class... More>
  using output = S;
  template <class S, class... More>
  static constexpr index_t flops = detail::merge_flops<S, 1 + sizeof...(More)>();
  template <class P, expression_like... X>
  auto operator()(P const&, X const&... x) const {
    return (as_expr(x) + ...);
  }
};
struct merge_multiply : stateless {
  static constexpr std::string_view name = "multiply";
  template <class S, class... More>
  using output = S;
  template <class S, class... More>
  static constexpr index_t flops = detail::merge_flops<S, 1 + sizeof...(More)>();
  template <class P, expression_like... X>
  auto operator()(P const&, X const&... x) const {
    return (as_expr(x) * ...);
  }
};
/// Concatenation along Axis (the last by default), e.g. merge_concat<>{} of (B,32) and (B,16).
template <int Axis = -1>
struct merge_concat : stateless {
  static constexpr std::string_view name = "concat";
  template <class S, class... More>
  using output = shape_t<decltype(metagrad::concat<Axis>(std::declval<zero<float, S>>(),
                                                         std::declval<zero<float, More>>()...))>;
  template <class S, class... More>
  static constexpr index_t flops = 0;  // data movement
  template <class P, expression_like... X>
  auto operator()(P const&, X const&... x) const {
    return metagrad::concat<Axis>(as_expr(x)...);
  }
};

/// Named in the diagnostic when node K of a functional model cannot take its input shapes, with
/// what the layer expects of the first (L::expects, layer.hpp), e.g.
/// functional_node_rejects_input<2, conv2d<8, 3>, expects_rank<4>, shape<-1, 784>>.
template <std::size_t Node, class Layer, class Expects, class... InputShapes>
struct functional_node_rejects_input {
  static constexpr bool value = false;
};
/// Named in the diagnostic when node K reads a node that is not before it.
template <std::size_t Node, std::size_t Read>
struct functional_node_reads_a_later_node {
  static constexpr bool value = false;
};
/// Named in the diagnostic when node K reads nn::in<"name"> and no input has that name.
template <std::size_t Node, metagrad::detail::fixed_string Name>
struct functional_node_reads_no_input_named {
  static constexpr bool value = false;
};
/// Named in the diagnostic when two inputs of a functional model have the same name.
template <metagrad::detail::fixed_string Name>
struct functional_inputs_share_the_name {
  static constexpr bool value = false;
};

template <class Inputs, class Outputs, class... Nodes>
struct functional_model;

template <class... In, class... Out, class... Nodes>
struct functional_model<std::tuple<In...>, std::tuple<Out...>, Nodes...> {
  std::tuple<Nodes...> nodes;
  static constexpr std::size_t size = sizeof...(Nodes);
  using input_shapes = std::tuple<typename detail::input_decl<In>::shape...>;
  /// The inputs' names as nn::input declared them ("" for an input given by its shape alone).
  static constexpr std::array<std::string_view, sizeof...(In)> input_names{
      detail::input_decl<In>::key.view()...};

 private:
  template <class N>
  struct parts;
  template <class L, class... R>
  struct parts<graph_node<L, R...>> {
    using layer = L;
    using refs = std::tuple<R...>;
  };
  template <std::size_t K>
  using node_t = std::tuple_element_t<K, std::tuple<Nodes...>>;
  template <std::size_t K>
  using layer_at = typename parts<node_t<K>>::layer;
  template <std::size_t K>
  using refs_at = typename parts<node_t<K>>::refs;

  template <std::size_t K, class Refs>
  struct node_shapes_impl;

 public:
  /// Node K's first input shape and its output shape, and its layer's FLOPs per example.
  template <std::size_t K>
  struct node_shapes {
    using impl = node_shapes_impl<K, typename parts<node_t<K>>::refs>;
    using input = typename impl::first;
    using output = typename impl::output;
    static constexpr index_t flops = impl::flops;
  };

 private:
  /// The position of the input nn::in<Key> reads, in node K.
  template <std::size_t K, auto Key>
  static constexpr std::size_t input_index() {
    if constexpr (!Key.named) {
      static_assert(Key.index < sizeof...(In),
                    "functional: nn::in<I> names an input the model has not");
      return Key.index < sizeof...(In) ? Key.index : 0;  // one error, not a cascade
    } else {
      constexpr std::size_t i = detail::input_named<In...>(Key.name.view());
      static_assert(i < sizeof...(In) || functional_node_reads_no_input_named<K, Key.name>::value,
                    "functional: a node reads nn::in<\"name\"> of a name no input has (the note "
                    "names functional_node_reads_no_input_named<node from 0, name>)");
      return i < sizeof...(In) ? i : 0;
    }
  }
  template <std::size_t K, class Ref>
  struct shape_of_ref;
  template <std::size_t K, auto Key>
  struct shape_of_ref<K, input_ref<Key>> {
    using type = std::tuple_element_t<input_index<K, Key>(), input_shapes>;
  };
  template <std::size_t K, std::size_t J>
  struct shape_of_ref<K, node_ref<J>> {
    static_assert(J < K || functional_node_reads_a_later_node<K, J>::value,
                  "functional: a node reads nn::at<J> of a node that is not before it");
    using type = typename node_shapes<(J < K ? J : 0)>::output;
  };

  template <std::size_t K, class... R>
  struct node_shapes_impl<K, std::tuple<R...>> {
    using L = layer_at<K>;
    using first = typename shape_of_ref<K, std::tuple_element_t<0, std::tuple<R...>>>::type;
    static constexpr bool accepted = [] {
      if constexpr (sizeof...(R) == 1)
        return L::template accepts<first>;
      else
        return true;
    }();
    /// The shape leaving the node; a layer that rejects its input is one error here, and the
    /// first shape passes on so that no further errors follow from it.
    template <bool A, class Dummy = void>
    struct out {
      // If the compiler points here: node K's layer cannot take the shapes reaching it; the
      // diagnostic says what the layer expects of the first (e.g. expects_rank<4>).
      static_assert(functional_node_rejects_input<K, L, typename detail::expects_of<L, first>::type,
                                                  typename shape_of_ref<K, R>::type...>::value,
                    "functional: a node's layer cannot take the shapes reaching it (the note names "
                    "functional_node_rejects_input<node from 0, layer, what the layer expects, "
                    "input shapes>)");
      using type = first;
    };
    template <class Dummy>
    struct out<true, Dummy> {
      using type = typename L::template output<typename shape_of_ref<K, R>::type...>;
    };
    using output = typename out<accepted>::type;
    /// The layer's flops of every shape reaching it (a merge's), or of the first.
    static constexpr index_t flops = [] {
      if constexpr (requires { L::template flops<typename shape_of_ref<K, R>::type...>; })
        return L::template flops<typename shape_of_ref<K, R>::type...>;
      else
        return L::template flops<first>;
    }();
  };

 public:
  template <class T, class K = std::index_sequence_for<Nodes...>>
  struct params_of;
  template <class T, std::size_t... K>
  struct params_of<T, std::index_sequence<K...>> {
    using type =
        std::tuple<typename detail::params_if_accepted<node_shapes<K>::impl::accepted, layer_at<K>,
                                                       T, typename node_shapes<K>::input>::type...>;
    using state = std::tuple<layer_state_t<layer_at<K>, T, typename node_shapes<K>::input>...>;
  };
  /// One parameter tree per node (std::tuple<> for layers without parameters).
  template <class T = float>
  using params = typename params_of<T>::type;
  /// One state tree per node (batch norm's running statistics; see mode.hpp).
  template <class T = float>
  using state = typename params_of<T>::state;

  /// Per-example totals, constants: e.g. static_assert(M::param_count == 2410).
  static constexpr index_t param_count = []<std::size_t... K>(std::index_sequence<K...>) {
    return (index_t{0} + ... + layer_at<K>::template param_count<typename node_shapes<K>::input>);
  }
  (std::index_sequence_for<Nodes...>{});
  /// FLOPs and activation values per example: dyn when a node's count depends on a dyn extent.
  static constexpr index_t flops = []<std::size_t... K>(std::index_sequence<K...>) {
    index_t n = 0;
    ((n = detail::cost_sum(n, node_shapes<K>::flops)), ...);
    return n;
  }
  (std::index_sequence_for<Nodes...>{});
  static constexpr index_t activations = []<std::size_t... K>(std::index_sequence<K...>) {
    index_t n = 0;
    ((n = detail::cost_sum(n, detail::per_example<typename node_shapes<K>::output>())), ...);
    return n;
  }
  (std::index_sequence_for<Nodes...>{});
  /// The activation values (each node's output) in bytes, for element type T: e.g.
  /// static_assert(M::activation_bytes<> == 4 * M::activations).
  template <class T = float>
  static constexpr index_t activation_bytes = detail::bytes_of<T>(activations);

  /// The model with outputs refs (nodes), e.g. .outputs(nn::at<4>, nn::at<5>).
  template <std::size_t... K>
  constexpr auto outputs(node_ref<K>...) const {
    static_assert(((K < size) && ...), "functional: an output names a node the model has not");
    return functional_model<std::tuple<In...>, std::tuple<node_ref<K>...>, Nodes...>{nodes};
  }

  /// Parameters, node K drawing from r.fold_in(K) (as sequential's layer K).
  template <class T = float>
  params<T> init(rng r) const {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return params<T>{detail::init_if_accepted<node_shapes<K>::impl::accepted, T,
                                                typename node_shapes<K>::input>(
          metagrad::detail::element<K>(nodes).layer, r.fold_in(K))...};
    }
    (std::index_sequence_for<Nodes...>{});
  }
  template <class T = float>
  state<T> init_state() const {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return state<T>{init_state_of<K, T>()...};
    }
    (std::index_sequence_for<Nodes...>{});
  }

  /// The model on its inputs, in eval mode, or in a mode given last: one expression per output
  /// (a tuple when there are several).
  template <class P, class... Args>
  auto operator()(P const& p, Args const&... args) const {
    static_assert(sizeof...(Out) >= 1, "functional: name the model's outputs with .outputs(...)");
    auto all = std::forward_as_tuple(args...);
    if constexpr (sizeof...(Args) > 0 &&
                  mode<std::remove_cvref_t<
                      std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>>>) {
      static_assert(sizeof...(Args) - 1 == sizeof...(In), "functional: one argument per input");
      auto const& m = metagrad::detail::element<sizeof...(Args) - 1>(all);
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return finish(run<0>(
            p, metagrad::detail::make_flat_tuple(as_expr(metagrad::detail::element<I>(all))...),
            metagrad::detail::flat_tuple<>{}, &m));
      }
      (std::make_index_sequence<sizeof...(In)>{});
    } else {
      static_assert(sizeof...(Args) == sizeof...(In), "functional: one argument per input");
      eval_mode<> const plain{};  // layers without state see eval mode; batch norm asks for state
      return finish(run<0>(p, metagrad::detail::make_flat_tuple(as_expr(args)...),
                           metagrad::detail::flat_tuple<>{}, &plain));
    }
  }

  /// One training step's update of the state from the batch x (a single-input model): the
  /// training pass node by node on concrete values (see sequential_model::update_state).
  template <class P, expression_like X, class St>
  void update_state(P const& p, X const& x, St& s, rng key) const {
    if constexpr (holds_state<St>)
      update_from<0>(p, metagrad::detail::make_flat_tuple(as_expr(x)),
                     metagrad::detail::flat_tuple<>{}, s, train_mode{key});
  }

  /// Calls f(name, tensor) for every parameter, named "K.weight" by node.
  template <class P, class F>
  static void for_each_named(P&& p, F&& f) {
    detail::for_each_layers_named<false, typename parts<Nodes>::layer...>(p, f);
  }
  template <class St, class F>
  static void for_each_state_named(St&& s, F&& f) {
    detail::for_each_layers_named<true, typename parts<Nodes>::layer...>(s, f);
  }

  /// A table like keras' model.summary() for element type T: node, layer, inputs, output shape,
  /// parameters, FLOPs and activation bytes (of its output) per example; then the totals.
  template <class T = float>
  static std::string summary() {
    std::string s =
        "node layer            reads          output shape         params        FLOPs/example "
        "activation bytes/example\n";
    [&]<std::size_t... K>(std::index_sequence<K...>) { (row<K, T>(s), ...); }
    (std::index_sequence_for<Nodes...>{});
    s += "total parameters: " + std::to_string(param_count) +
         ", forward FLOPs per example: " + detail::cost_string(flops) +
         ", activation values per example: " + detail::cost_string(activations) + " (" +
         detail::cost_string(activation_bytes<T>) + " bytes)\n";
    return s;
  }

 private:
  template <std::size_t K, class T>
  auto init_state_of() const {
    using L = layer_at<K>;
    using S = typename node_shapes<K>::input;
    if constexpr (requires { typename L::template state<T, S>; })
      return metagrad::detail::element<K>(nodes).layer.template init_state<T, S>();
    else
      return std::tuple<>{};
  }
  // The inputs and the node values so far are flat_tuples (detail/flat_tuple.hpp): the values
  // are expressions, whose types std::tuple's constructors take exponential time on.
  template <std::size_t K, class Ref, class Xs, class Vals>
  static auto const& value_of(Xs const& xs, Vals const& vals) {
    if constexpr (detail::is_input_ref<Ref>)
      return metagrad::detail::get<input_index<K, Ref::key>()>(xs);
    else
      return metagrad::detail::get<Ref::index>(vals);
  }
  /// vals with v appended.
  template <class Vals, class V>
  static auto append(Vals const& vals, V v) {
    return metagrad::detail::unpack(vals, [&](auto const&... a) {
      return metagrad::detail::make_flat_tuple(a..., std::move(v));
    });
  }
  /// How many references read node K's value: later nodes' and the outputs.
  template <std::size_t K, class... R>
  static constexpr std::size_t count_reads(std::tuple<R...> const*) {
    return (std::size_t{0} + ... + (std::is_same_v<R, node_ref<K>> ? 1 : 0));
  }
  template <std::size_t K>
  static constexpr std::size_t reads_of =
      count_reads<K>(static_cast<std::tuple<Out...> const*>(nullptr)) +
      (std::size_t{0} + ... +
       count_reads<K>(static_cast<typename parts<Nodes>::refs const*>(nullptr)));
  template <std::size_t K, class P, class Xs, class Vals, class M>
  auto node_value(P const& p, Xs const& xs, Vals const& vals, M const* m) const {
    auto const& layer = metagrad::detail::element<K>(nodes).layer;
    auto const mk = m->template at<K>();
    return [&]<class... R>(std::tuple<R...>*) {
      // A layer that rejects what reaches it is not called: node_shapes names it (the one
      // error), and calling it would only add errors from inside it and from what reads it.
      if constexpr (!node_shapes<K>::impl::accepted)
        return value_of<K, std::tuple_element_t<0, std::tuple<R...>>>(xs, vals);
      else if constexpr (requires {
                           layer(metagrad::detail::element<K>(p), value_of<K, R>(xs, vals)..., mk);
                         })
        return layer(metagrad::detail::element<K>(p), value_of<K, R>(xs, vals)..., mk);
      else
        return layer(metagrad::detail::element<K>(p), value_of<K, R>(xs, vals)...);
    }(static_cast<refs_at<K>*>(nullptr));
  }
  template <std::size_t K, class P, class Xs, class Vals, class M>
  auto run(P const& p, Xs const& xs, Vals const& vals, M const* m) const {
    if constexpr (K == size)
      return vals;
    else if constexpr (reads_of<K> > 1)
      return run<K + 1>(p, xs, append(vals, share(node_value<K>(p, xs, vals, m))), m);
    else
      return run<K + 1>(p, xs, append(vals, node_value<K>(p, xs, vals, m)), m);
  }
  template <class Vals>
  static auto finish(Vals const& vals) {
    if constexpr (sizeof...(Out) == 1)
      return metagrad::detail::get<std::tuple_element_t<0, std::tuple<Out...>>::index>(vals);
    else
      return std::tuple{metagrad::detail::get<Out::index>(vals)...};
  }
  template <std::size_t K, class P, class Xs, class Vals, class St>
  void update_from(P const& p, Xs const& xs, Vals const& vals, St& s, train_mode const& m) const {
    if constexpr (K < size && holds_state_from<K, St>()) {  // nothing to update after the last
      auto const& layer = metagrad::detail::element<K>(nodes).layer;
      [&]<class... R>(std::tuple<R...>*) {
        if constexpr (holds_state<std::tuple_element_t<K, St>>)
          layer.update_state(metagrad::detail::element<K>(p), value_of<K, R>(xs, vals)...,
                             metagrad::detail::element<K>(s), m.template at<K>());
      }(static_cast<refs_at<K>*>(nullptr));
      auto v = eval(node_value<K>(p, xs, vals, &m));
      // Keeps concrete values: later nodes read them as tensors.
      auto next = append(vals, std::move(v));
      update_from<K + 1>(p, xs, next, s, m);
    }
  }
  /// An input by its name if it has one, else in0, in1, ...; a node's value as at0, at1, ...
  template <std::size_t K, class R>
  static std::string read_label() {
    if constexpr (detail::is_input_ref<R>) {
      constexpr std::size_t i = input_index<K, R::key>();
      return input_names[i].empty() ? "in" + std::to_string(i) : std::string(input_names[i]);
    } else {
      return "at" + std::to_string(R::index);
    }
  }
  template <std::size_t K, class T>
  static void row(std::string& s) {
    using L = layer_at<K>;
    using S = typename node_shapes<K>::input;
    using Y = typename node_shapes<K>::output;
    std::string reads;
    [&]<class... R>(std::tuple<R...>*) {
      ((reads += (reads.empty() ? "" : ",") + read_label<K, R>()), ...);
    }(static_cast<refs_at<K>*>(nullptr));
    auto pad = [](std::string v, std::size_t n) {
      v.resize(std::max(v.size(), n), ' ');
      return v;
    };
    detail::summary_row(s,
                        pad(std::to_string(K), 5) + pad(std::string(L::name), 17) + pad(reads, 15),
                        dims_string(Y::dims, "B"),
                        {L::template param_count<S>, node_shapes<K>::flops,
                         detail::bytes_of<T>(detail::per_example<Y>())});
  }
};

/// A functional model over inputs of shapes In... (batch first), each a shape or a named
/// nn::input<"name", Shape>, e.g.
/// nn::functional<shape<dyn, 784>>(nn::node(nn::dense<10>{}, nn::in<0>)).outputs(nn::at<0>).
template <class... In, class... Nodes>
constexpr auto functional(Nodes... nodes) {
  static_assert(sizeof...(In) >= 1, "functional: give the input shapes, functional<In...>(...)");
  constexpr std::size_t twice = detail::input_named_twice<In...>();
  static_assert(
      twice == sizeof...(In) ||
          functional_inputs_share_the_name<detail::input_decl<
              std::tuple_element_t<twice % sizeof...(In), std::tuple<In...>>>::key>::value,
      "functional: two inputs have the same name (the note names "
      "functional_inputs_share_the_name<name>)");
  return functional_model<std::tuple<In...>, std::tuple<>, Nodes...>{{nodes...}};
}

}  // namespace metagrad::nn
