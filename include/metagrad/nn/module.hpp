// SPDX-License-Identifier: MIT
// module<S>: a user's own struct as a model, the third way to build one (after sequential and
// functional): S holds its parameters as members, lists them in one declaration line, and
// computes in a static forward that receives them in that order:
//   struct mlp {
//     nn::dense_params<float, 128, 784> fc1;
//     nn::dense_params<float, 10, 128> fc2;
//     static constexpr auto parameters = mg::fields(&mlp::fc1, "fc1", &mlp::fc2, "fc2");
//     static auto forward(auto const& x, auto const& fc1, auto const& fc2) {
//       return nn::dense<10>{}(fc2, mg::relu(nn::dense<128>{}(fc1, x)));
//     }
//   };
//   nn::module<mlp> model;  mlp params{...};  auto logits = eval(model(params, x));
// The struct is a parameter tree (expr/tree.hpp): grad, optimizers, fit and checkpoints take it
// as they take a sequential model's tuple; gradients come back as tuples in the fields' order;
// names are the fields' ("fc1.weight"), so PyTorch modules with the same attribute names
// exchange state_dicts with it. A forward taking a mode after x, forward(x, mode, fields...),
// gets nn::training(key) or nn::inference(...) (see mode.hpp); otherwise modes are ignored.
// Its cost for an input shape is read from the type of the expression forward returns (in eval
// mode; see cost.hpp): e.g. static_assert(nn::module<mlp>::flops<shape<dyn, 784>> == 203392);
// module<mlp>::summary<shape<dyn, 784>>() prints it with the parameters.
#pragma once
#include <string>
#include <utility>

#include "../expr/tree.hpp"
#include "cost.hpp"
#include "layer.hpp"
#include "mode.hpp"

namespace metagrad::nn {

namespace detail {
template <class Tree>
consteval index_t leaves_size() {
  if constexpr (is_tree_node<Tree>) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (index_t{0} + ... + leaves_size<tree_child_t<Tree, I>>());
    }
    (std::make_index_sequence<tree_arity<Tree>>{});
  } else {
    static_assert(Tree::shape_type::is_static, "module: parameters must have static shapes");
    return Tree::shape_type::static_size;
  }
}
/// The element type of a tree's first leaf (a parameter struct's first tensor's).
template <class Tree>
struct first_leaf_value {
  using type = typename Tree::value_type;
};
template <class Tree>
requires is_tree_node<Tree>
struct first_leaf_value<Tree> {
  using type = typename first_leaf_value<tree_child_t<Tree, 0>>::type;
};
}  // namespace detail

/// Named in the diagnostic: a struct model's cost is per example of a leading dyn (batch) extent.
template <class InputShape>
struct module_input_needs_dyn_batch {
  static constexpr bool value = false;
};

template <parameter_struct S>
struct module {
  static constexpr std::string_view name = "module";
  /// The number of parameters: a constant, e.g. static_assert(module<mlp>::param_count == 101770).
  static constexpr index_t param_count = detail::leaves_size<S>();

  /// The model applied to x (eval mode): p is an S, or the tuple a transformation makes of it.
  template <class P, expression_like X>
  auto operator()(P const& p, X const& x) const {
    return call(p, [&](auto const&... f) { return S::forward(as_expr(x), f...); });
  }
  /// The model applied to x in a mode, passed to forward(x, mode, fields...) if it takes one.
  template <class P, expression_like X, mode M>
  auto operator()(P const& p, X const& x, M const& m) const {
    return call(p, [&](auto const&... f) {
      if constexpr (requires { S::forward(as_expr(x), m, f...); })
        return S::forward(as_expr(x), m, f...);
      else
        return S::forward(as_expr(x), f...);
    });
  }

  /// The type of the expression the model computes (in eval mode) on an input of shape In.
  template <class In>
  using expression = decltype(std::declval<module const&>()(
      std::declval<S const&>(),
      std::declval<tensor_view<typename detail::first_leaf_value<S>::type, In> const&>(),
      eval_mode<>{}));
  /// What evaluating it costs per example (cost.hpp): FLOPs and activation values.
  template <class In>
  static constexpr cost_totals cost = [] {
    static_assert((In::rank >= 1 && In::dims[0] == dyn) || module_input_needs_dyn_batch<In>::value,
                  "module: costs are per example: the input shape's leading (batch) extent must "
                  "be dyn, e.g. shape<dyn, 784>");
    return expression_cost<expression<In>>;
  }();
  /// Floating-point operations of one example's forward pass (multiply-adds count two), read
  /// from the forward's expression type, e.g. static_assert(module<mlp>::flops<In> == 203392).
  template <class In>
  static constexpr index_t flops = cost<In>.flops;
  /// Values one example's forward pass writes to memory (what eval materializes: the result,
  /// and each non-elementwise node and its elementwise operands; see cost.hpp).
  template <class In>
  static constexpr index_t activations = cost<In>.activations;
  /// Those values in bytes (of the expression's element type), e.g. for memory planning.
  template <class In>
  static constexpr index_t activation_bytes =
      detail::bytes_of<value_t<expression<In>>>(cost<In>.activations);

  /// Calls f(name, tensor) for every parameter, named by field ("fc1.weight").
  template <class P, class F>
  static void for_each_named(P&& p, F&& f) {
    tree_for_each_named(std::forward<P>(p), std::forward<F>(f));
  }

  /// A table of the parameters: name, shape, count; then the total.
  static std::string summary() {
    return parameter_table() + "total parameters: " + std::to_string(param_count) + "\n";
  }
  /// A table like keras' model.summary() for input shape In: the forward's non-elementwise ops
  /// (op, output shape, FLOPs and activation bytes per example) and its fused elementwise ones,
  /// the parameters; then the totals, as sequential's summary gives them.
  template <class In>
  static std::string summary() {
    return cost_table<expression<In>>() + "\n" + parameter_table() +
           "total parameters: " + std::to_string(param_count) +
           ", forward FLOPs per example: " + detail::cost_string(flops<In>) +
           ", activation values per example: " + detail::cost_string(activations<In>) + " (" +
           detail::cost_string(activation_bytes<In>) + " bytes)\n";
  }

 private:
  static std::string parameter_table() {
    std::string s = "parameter            shape                count\n";
    add_rows<S>(s, "");
    return s;
  }
  template <class P, class F>
  static auto call(P const& p, F&& f) {
    if constexpr (std::is_same_v<P, S>)
      return std::apply(f, tree_ref(p));
    else
      return std::apply(f, p);
  }
  template <class Tree>
  static void add_rows(std::string& s, std::string const& prefix) {
    if constexpr (is_tree_node<Tree>) {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (add_rows<tree_child_t<Tree, I>>(
             s, (prefix.empty() ? "" : prefix + ".") + child_name<Tree, I>()),
         ...);
      }
      (std::make_index_sequence<tree_arity<Tree>>{});
    } else {
      detail::summary_row(s, prefix, dims_string(Tree::shape_type::dims),
                          {Tree::shape_type::static_size});
    }
  }
  template <class Tree, std::size_t I>
  static std::string child_name() {
    if constexpr (parameter_struct<Tree>)
      return std::string(Tree::parameters.names[I]);
    else
      return std::to_string(I);
  }
};

}  // namespace metagrad::nn
