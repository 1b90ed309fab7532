// SPDX-License-Identifier: MIT
// The cost of an expression, read from its type at compile time: FLOPs per example, the sum of
// each node's op's cost rule (flops<Out, Args...>, next to the op: matmul 2*K per output value,
// conv2d 2*C/G*KH*KW, pooling one per window element, reductions one per input value,
// elementwise ops one per value, a contraction's bias add and data movement none; see
// ops/elementwise.hpp), and activation values per example, what evaluating it writes to memory:
// the result, every non-elementwise node but a reshape, and every elementwise tree a
// non-elementwise node reads (a reshape passes its reader's need on). Per example means per
// unit of the leading dyn extent (the batch); values without one (a parameter's transpose) are
// no example's and count none. A node that occurs twice in the tree counts twice (the type
// cannot tell one value read twice from two equal-shaped ones), as an evaluation without a
// trace computes it twice. module<S> (module.hpp) reports these for a struct model's forward.
// e.g. static_assert(nn::expression_cost<decltype(expr)>.flops == 2 * 784 * 128);
#pragma once
#include <algorithm>
#include <string>

#include "../expr/shared.hpp"
#include "../ops/reshape.hpp"
#include "../shape/shape.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: an op in a costed expression has no flops<Out, Args...> rule.
template <class Op>
struct op_has_no_cost_rule {
  static constexpr bool value = false;
};

/// FLOPs and activation values per example (dyn when an extent other than the batch is dyn).
struct cost_totals {
  index_t flops = 0;
  index_t activations = 0;
};

namespace detail {
constexpr index_t cost_sum(index_t a, index_t b) { return a == dyn || b == dyn ? dyn : a + b; }
constexpr cost_totals operator+(cost_totals a, cost_totals b) {
  return {cost_sum(a.flops, b.flops), cost_sum(a.activations, b.activations)};
}

template <class Op, class Out, class... Args>
concept has_cost_rule = requires {
  Op::template flops<Out, Args...>;
};

/// What node N itself costs, its arguments not included; Read: a non-elementwise node reads it
/// (or it is the result), so its value is written to memory even when it is elementwise.
template <bool Read, class N>
struct node_cost;
template <bool Read, class Op, class... Args>
struct node_cost<Read, metagrad::node<Op, Args...>> {
  using N = metagrad::node<Op, Args...>;
  using Out = typename N::shape_type;
  static constexpr bool elementwise = is_elementwise_op<Op>;
  /// Whether the node's arguments are read as written values (a reshape passes Read on).
  static constexpr bool args_read = reshape_node<N> ? Read : !elementwise;
  static constexpr bool stored = !reshape_node<N> && (Read || !elementwise);
  static constexpr cost_totals own{Op::template flops<Out, Args...>,
                                   stored ? metagrad::detail::per_example_size<Out>() : 0};
};

template <bool Read, class E>
constexpr cost_totals cost_of(E const*) {
  return {};  // a leaf: in memory already (a view), or a constant
}
/// A shared value: what it holds, written to memory (trace computes it once).
template <bool Read, class E>
constexpr cost_totals cost_of(shared_expr<E> const*) {
  return cost_of<true>(static_cast<E const*>(nullptr));
}
/// The cost of a node and the nodes below it.
template <bool Read, class Op, class... Args>
constexpr cost_totals cost_of(metagrad::node<Op, Args...> const*) {
  using N = metagrad::node<Op, Args...>;
  using Out = typename N::shape_type;
  static_assert(has_cost_rule<Op, Out, Args...> || op_has_no_cost_rule<Op>::value,
                "cost: an op of the expression has no cost rule; give its op struct "
                "flops<Out, Args...> (see ops/elementwise.hpp)");
  if constexpr (!has_cost_rule<Op, Out, Args...>) {
    return {};
  } else {
    using C = node_cost<Read, N>;
    return (C::own + ... + cost_of<C::args_read>(static_cast<Args const*>(nullptr)));
  }
}

/// Values of T as bytes (dyn stays dyn).
template <class T>
constexpr index_t bytes_of(index_t values) {
  return values == dyn ? dyn : values * static_cast<index_t>(sizeof(T));
}

/// Appends a row per non-elementwise node but a reshape, arguments first: op, output shape
/// ("[B, 128]"), FLOPs and bytes written per example (values of T); adds the elementwise nodes'
/// costs to fused. The rows and fused add up to cost_of's totals.
template <class T, bool Read, class E>
void cost_rows(std::string&, cost_totals&, E const*) {}
template <class T, bool Read, class E>
void cost_rows(std::string& s, cost_totals& fused, shared_expr<E> const*) {
  cost_rows<T, true>(s, fused, static_cast<E const*>(nullptr));
}
template <class T, bool Read, class Op, class... Args>
void cost_rows(std::string& s, cost_totals& fused, metagrad::node<Op, Args...> const*) {
  using N = metagrad::node<Op, Args...>;
  if constexpr (has_cost_rule<Op, typename N::shape_type, Args...>) {
    using C = node_cost<Read, N>;
    (cost_rows<T, C::args_read>(s, fused, static_cast<Args const*>(nullptr)), ...);
    if constexpr (C::elementwise)
      fused = fused + C::own;
    else if constexpr (!reshape_node<N>)
      summary_row(s, Op::name, dims_string(N::shape_type::dims, "B"),
                  {C::own.flops, bytes_of<T>(C::own.activations)});
  }
}
}  // namespace detail

/// The cost of evaluating an expression of type E, per example (see the top of this file).
template <class E>
inline constexpr cost_totals expression_cost =
    detail::cost_of<true>(static_cast<E const*>(nullptr));

/// A table of E's non-elementwise nodes (op, output shape, FLOPs and bytes it writes per
/// example), arguments first, then one row for its elementwise ops, which evaluation fuses into
/// loops (the bytes of the values among them that are written: the result, and what a
/// non-elementwise node reads). The bytes add up to expression_cost<E>.activations values.
template <class E>
std::string cost_table() {
  std::string s =
      "op                   output shape         FLOPs/example activation bytes/example\n";
  cost_totals fused{};
  detail::cost_rows<value_t<E>, true>(s, fused, static_cast<E const*>(nullptr));
  detail::summary_row(s, "elementwise (fused)", "",
                      {fused.flops, detail::bytes_of<value_t<E>>(fused.activations)});
  return s;
}

}  // namespace metagrad::nn
