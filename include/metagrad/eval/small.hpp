// SPDX-License-Identifier: MIT
// Small static graphs: when every node of an expression has a static shape of at most
// METAGRAD_SMALL_GRAPH_ELEMENTS values (the OR gate's 2-2-1 network, a 3x3 rotation), the
// general evaluation - a plan of scratch memory, prepared trees, registries of shared values, a
// kernel per node sized at run time - costs far more than the arithmetic. Such a graph is instead
// computed node by node into arrays on the stack whose sizes are constants, by loops whose trip
// counts are constants, all of it inlined into the caller: what a hand-written fixed-size Eigen
// step compiles to. The device says which nodes it computes this way (small_kernel<Device>,
// specialised by backend/<device>/small.hpp); a graph with any other node takes the general path.
//
// values<E> mirrors E's tree: one array per node, none for a leaf (read where it is) or an
// identity-valued node (its argument's value). autodiff/small.hpp walks the same tree backwards.
#pragma once
#include <algorithm>
#include <array>

#include "../expr/node.hpp"
#include "../expr/tensor.hpp"
#include "../ops/identity.hpp"
#include "memo.hpp"

#ifndef METAGRAD_SMALL_GRAPH_ELEMENTS
/// The most values a node of a small static graph may have (0: no graph is small). Set it the
/// same in every translation unit of a program.
#define METAGRAD_SMALL_GRAPH_ELEMENTS 64
#endif

// g++ 12 reports the arrays of values<E> as maybe-uninitialized where forward() fills them through
// a reference and a caller reads them after (-O1 and up): the analysis does not follow the fill.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace metagrad {

/// A device's kernels for the nodes of small static graphs: accepts<N> says whether it computes
/// node N (whose args are leaves) into a small array, run(dst, n) does. None by default.
template <class Device>
struct small_kernel {
  template <class N>
  static constexpr bool accepts = false;
};

namespace detail::small {

inline constexpr index_t max_elements = METAGRAD_SMALL_GRAPH_ELEMENTS;

template <class S>
inline constexpr bool small_shape = S::is_static&& S::static_size <= max_elements;

/// How a node of E is read once computed: a leaf as it is, an identity-valued node as its
/// argument, any other node as a view of its array.
template <class E>
struct value_view {
  using type = E;
};
template <class Op, class... A>
struct value_view<node<Op, A...>> {
  using type =
      tensor_view<value_t<node<Op, A...>>, shape_t<node<Op, A...>>, device_t<node<Op, A...>>>;
};
template <class Op, class A>
requires identity_valued<Op>
struct value_view<node<Op, A>> : value_view<A> {
};
template <class E>
using value_view_t = typename value_view<E>::type;

/// Node N with its args read as computed values: what small_kernel<D>::run is given.
template <class N>
struct over_values;
template <class Op, class... A>
struct over_values<node<Op, A...>> {
  using type = node<Op, value_view_t<A>...>;
};

/// The most bytes a small graph's values (values<E>) may take on the stack. Its nodes are small,
/// but a composed transformation's graph can have many: the expression of grad(f) repeats f's
/// forward nodes, and jvp(grad(f)) or grad(grad(f)) computes it. A graph over this takes the
/// general path. The frame holds more than the values: jvp's tangents beside them (as many
/// bytes again at most) and the reverse walk's cotangent arrays, so a step's frame can reach
/// about twice this (63 KB measured with -fstack-usage for a 30 KB graph).
inline constexpr std::size_t max_stack_bytes = 32 * 1024;

template <class E>
struct values;

template <class E>
constexpr bool graph_fn();
/// Whether E is a small static graph (see the file comment). Once per type.
template <class E>
inline constexpr bool graph = graph_fn<E>();
template <class E>
constexpr bool graph_fn() {
  if constexpr (is_leaf<E>) {
    return small_shape<shape_t<E>>;
  } else if constexpr (is_node<E>) {
    if constexpr (!small_shape<shape_t<E>>)
      return false;
    else if constexpr (![]<class... A>(flat_tuple<A...> const*) {
                         return (graph<A> && ...);
                       }(static_cast<decltype(E::args) const*>(nullptr)))
      return false;
    else if constexpr (!identity_valued<typename E::op_type> &&
                       !small_kernel<device_t<E>>::template accepts<typename over_values<E>::type>)
      return false;
    else
      return sizeof(values<E>) <= max_stack_bytes;
  } else {
    return false;  // a shared or cached subexpression: the general path shares it
  }
}

/// Whether E has a costly elementwise op (exp, tanh, sigmoid, ...: memo.hpp's costly_op).
template <class E>
constexpr bool has_costly_op() {
  if constexpr (is_node<E>)
    return costly_op<typename E::op_type> || []<class... A>(flat_tuple<A...> const*) {
      return (has_costly_op<A>() || ...);
    }(static_cast<decltype(E::args) const*>(nullptr));
  else
    return false;
}

/// The computed values of E's nodes, in E's shape.
template <class E>
struct values {};
template <class Op, class... A>
struct values<node<Op, A...>> {
  using N = node<Op, A...>;
  flat_tuple<values<A>...> kids;
  std::array<value_t<N>, identity_valued<Op> ? 0 : std::size_t(shape_t<N>::static_size)> v;
};

template <class E>
auto view_of(values<E> const& s, E const& e) {
  if constexpr (is_leaf<E>) {
    return e;
  } else if constexpr (identity_valued<typename E::op_type>) {
    return view_of(get<0>(s.kids), get<0>(e.args));
  } else {
    return value_view_t<E>(s.v.data());
  }
}

/// Node e with its args replaced by their computed values in kids.
template <class Op, class... A, class Kids>
auto node_over(Kids const& kids, node<Op, A...> const& e) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return
        typename over_values<node<Op, A...>>::type{{},
                                                   extents_member<shape_t<node<Op, A...>>>(e.ext),
                                                   e.op,
                                                   {{{view_of(get<I>(kids), get<I>(e.args))}...}}};
  }
  (std::index_sequence_for<A...>{});
}

template <class Op, class... A, class Kids>
void forward_args(Kids& kids, node<Op, A...> const& e);

/// Computes every node of e into s.
template <class E>
void forward(values<E>& s, E const& e) {
  if constexpr (is_node<E>) {
    forward_args(s.kids, e);
    if constexpr (!identity_valued<typename E::op_type>)
      small_kernel<device_t<E>>::run(s.v.data(), node_over(s.kids, e));
  }
}
template <class Op, class... A, class Kids>
void forward_args(Kids& kids, node<Op, A...> const& e) {
  [&]<std::size_t... I>(std::index_sequence<I...>) { (forward(get<I>(kids), get<I>(e.args)), ...); }
  (std::index_sequence_for<A...>{});
}

/// dst = e. An elementwise root is computed straight into dst (each value reads its operands at
/// its own position, so dst may be one of them, as in w - lr * g); any other root goes through
/// an array first, as dst may be its operand.
template <class E>
[[gnu::flatten]] void evaluate(value_t<E>* dst, E const& e) {
  using T = value_t<E>;
  constexpr auto n = std::size_t(shape_t<E>::static_size);
  if constexpr (is_leaf<E>) {
    write_leaf(dst, e, n);
  } else if constexpr (identity_valued<typename E::op_type>) {
    evaluate(dst, get<0>(e.args));
  } else {
    decltype(values<E>::kids) kids;
    forward_args(kids, e);
    if constexpr (is_elementwise_op<typename E::op_type>) {
      small_kernel<device_t<E>>::run(dst, node_over(kids, e));
    } else {
      std::array<T, n> out;
      small_kernel<device_t<E>>::run(out.data(), node_over(kids, e));
      std::copy_n(out.data(), n, dst);
    }
  }
}

}  // namespace detail::small

/// Whether E (an expression or a tensor) is a small static graph: grad, value_and_grad, jvp and
/// eval compute it on the stack (eval and eval_into keep one elementwise tree over leaves with a
/// costly op, such as tanh(x) * sigmoid(x), in the fused loop instead).
template <class E>
inline constexpr bool is_small_graph = detail::small::graph<expr_t<E>>;

}  // namespace metagrad

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
