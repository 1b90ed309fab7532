// SPDX-License-Identifier: MIT
// Evaluation: an expression is computed into memory by
//   - prepare: every non-elementwise subexpression is computed once into scratch memory, leaving
//     a tree of elementwise ops over leaves;
//   - the device's elementwise kernel: that tree in one fused loop (backend/<device>/);
//   - kernel<Op, Device>::run for the others (matmul, reductions, ...), on materialized args.
// reshape of data already in memory is free: only its extents change.
#pragma once
#include <algorithm>
#include <tuple>

#include "../device/kernel.hpp"
#include "../expr/node.hpp"
#include "../expr/shared.hpp"
#include "../expr/tensor.hpp"
#include "../ops/identity.hpp"
#include "../ops/reduce.hpp"
#include "../ops/reshape.hpp"
#include "scratch.hpp"
#include "small.hpp"

namespace metagrad {

/// Fused evaluation of an elementwise tree over leaves; specialised per device.
template <class Device>
struct elementwise_kernel {
  static_assert(detail::always_false<Device>,
                "no elementwise kernel for this device: specialize elementwise_kernel<Device> in "
                "backend/<device>/");
};

template <class E>
void evaluate_into(value_t<E>* dst, E const& e);

namespace detail {
/// A reduction over every axis of an elementwise expression: devices may fold it in the fused
/// loop instead of writing the expression out first.
template <class E>
inline constexpr bool full_reduction_of_elementwise = false;
template <class Kind, bool Keep, auto Axes, class X>
requires is_node<X>
inline constexpr bool full_reduction_of_elementwise<node<reduce_op<Kind, Keep, Axes>, X>> =
    Axes.size() == X::rank && is_elementwise_op<typename X::op_type>;

/// An identity-valued node over data in memory (a differentiated parameter as matmul's operand):
/// reading it needs no copy.
template <class E>
constexpr bool identity_over_memory() {
  if constexpr (is_node<E>) {
    if constexpr (identity_valued<typename E::op_type>) {
      using A = std::tuple_element_t<0, decltype(E::args)>;
      return view_leaf<A> || identity_over_memory<A>();
    }
  }
  return false;
}
}  // namespace detail

/// The expression as a view of memory: itself when it is one, else computed into scratch.
template <class E>
auto materialize(E const& e) {
  using V = tensor_view<value_t<E>, shape_t<E>, device_t<E>>;
  if constexpr (view_leaf<E>) {
    return static_cast<V const&>(e);  // a view, or derived from one (not as_view: see prepare)
  } else if constexpr (is_shared_expr<E>) {
    return materialize(e.inner());
  } else if constexpr (reshape_node<E> || detail::identity_over_memory<E>()) {
    auto inner = materialize(detail::get<0>(e.args));
    return V(inner.ptr, e.ext);
  } else {
    auto* p = detail::scratch::take<value_t<E>>(static_cast<std::size_t>(e.ext.size()));
    evaluate_into(p, e);
    return V(p, e.ext);
  }
}

namespace detail {
/// prepare(e), whose args are args (e.args; a leaf's are none). One function per node type,
/// taking the args' index pack: each function on a node's type is a symbol spelling its whole
/// subexpression, and a walk that tells leaves from nodes in a function of its own has two.
template <class E, std::size_t... I, class... A>
auto prepared(E const& e,
              [[maybe_unused]] flat_tuple_base<std::index_sequence<I...>, A...> const& args) {
  if constexpr (view_leaf<E>) {
    // A view, or derived from one (a trace's cached node): its base, without a call to
    // materialize or as_view (functions on a cached node's type, spelling the graph below it).
    return static_cast<tensor_view<value_t<E>, shape_t<E>, device_t<E>> const&>(e);
  } else if constexpr (identity_over_memory<E>()) {
    return materialize(e);
  } else if constexpr (is_leaf<E>) {
    return e;
  } else if constexpr (is_shared_expr<E>) {
    return materialize(e.inner());
  } else if constexpr (is_elementwise_op<typename E::op_type>) {
    return node<typename E::op_type,
                decltype(prepared(std::declval<A const&>(), std::declval<A const&>().args))...>{
        {},
        extents_member<shape_t<E>>(e.ext),
        e.op,
        {{{prepared(static_cast<flat_slot<I, A> const&>(args).value,
                    static_cast<flat_slot<I, A> const&>(args).value.args)}...}}};
  } else {
    return materialize(e);
  }
}
}  // namespace detail

/// The same expression with every non-elementwise subexpression materialized, and whatever
/// reads memory as it is a plain view of it: a trace's cached node, an argument's mark over a
/// tensor (their ops and args are the derivative rules' business, not the kernel's, whose
/// instantiation they would make unique to one place in one graph).
template <class E>
auto prepare(E const& e) {
  return detail::prepared(e, e.args);
}

namespace detail {
template <class... T>
struct node_types {};
template <class... A, class... B>
constexpr node_types<A..., B...> operator+(node_types<A...>, node_types<B...>) {
  return {};  // defined: -O0 calls it (a declaration alone warns when A holds a local type)
}

template <class E>
auto non_elementwise_nodes();
template <class... A>
auto non_elementwise_nodes_of(flat_tuple<A...> const*) {
  return (node_types<>{} + ... + non_elementwise_nodes<A>());
}
/// The types of E's non-elementwise nodes, one entry per node (for decltype).
template <class E>
auto non_elementwise_nodes() {
  if constexpr (is_leaf<E>) {
    return node_types<>{};
  } else if constexpr (is_shared_expr<E>) {
    // The graph uses it more than once: a repeat by definition (and no need to look inside,
    // where a type walk would meet it once per use).
    return node_types<E, E>{};
  } else {
    using below =
        decltype(non_elementwise_nodes_of(static_cast<decltype(E::args) const*>(nullptr)));
    if constexpr (is_elementwise_op<typename E::op_type>)
      return below{};
    else
      return node_types<E>{} + below{};
  }
}
/// Whether E's elementwise tree reads only leaves: its evaluation takes no scratch memory.
template <class E>
inline constexpr bool elementwise_over_leaves =
    std::is_same_v<decltype(non_elementwise_nodes<E>()), node_types<>>;
}  // namespace detail

template <class E>
void evaluate_into(value_t<E>* dst, E const& e) {
  using D = device_t<E>;
  auto n = static_cast<std::size_t>(e.ext.size());
  if constexpr (is_leaf<E>) {
    detail::write_leaf(dst, e, n);
  } else if constexpr (is_shared_expr<E>) {
    evaluate_into(dst, e.inner());
  } else if constexpr (reshape_node<E>) {
    evaluate_into(dst, detail::get<0>(e.args));
  } else if constexpr (detail::elementwise_over_leaves<E>) {
    elementwise_kernel<D>::assign(dst, prepare(e));  // a small update's cost is in its overhead
  } else if constexpr (is_elementwise_op<typename E::op_type>) {
    detail::scratch_scope scope;
    elementwise_kernel<D>::assign(dst, prepare(e));
  } else if constexpr (detail::full_reduction_of_elementwise<E>) {
    detail::scratch_scope scope;
    auto x = prepare(detail::get<0>(e.args));
    if constexpr (elementwise_kernel<D>::template folds<decltype(x)>)
      dst[0] = elementwise_kernel<D>::template reduce_all<typename E::op_type>(x);
    else
      kernel<typename E::op_type, D>::run(e.op, dst, e.ext, materialize(x));
  } else {
    detail::scratch_scope scope;
    detail::unpack(e.args, [&](auto const&... a) {
      kernel<typename E::op_type, D>::run(e.op, dst, e.ext, materialize(a)...);
    });
  }
}

namespace detail {
/// Whether E's op has a kernel that adds its result into memory (kernel::accumulate).
template <class E>
constexpr bool kernel_accumulates() {
  if constexpr (!is_node<E>) {
    return false;
  } else if constexpr (is_elementwise_op<typename E::op_type> || reshape_node<E>) {
    return false;
  } else {
    return []<class... A>(flat_tuple<A...> const*) {
      return requires(value_t<E> * d, E const& e,
                      decltype(materialize(std::declval<A const&>()))... v) {
        kernel<typename E::op_type, device_t<E>>::accumulate(e.op, d, e.ext, v...);
      };
    }(static_cast<decltype(E::args) const*>(nullptr));
  }
}
}  // namespace detail

/// dst += e, for e that does not read dst (a cotangent summed over an argument's uses): through
/// the op's kernel when it adds into its output (matmul: a GEMM with beta = 1, no temporary),
/// else as the fused dst + e.
template <class E>
void accumulate_into(value_t<E>* dst, E const& e) {
  if constexpr (detail::kernel_accumulates<E>()) {
    detail::scratch_scope scope;
    detail::unpack(e.args, [&](auto const&... a) {
      kernel<typename E::op_type, device_t<E>>::accumulate(e.op, dst, e.ext, materialize(a)...);
    });
  } else {
    evaluate_into(dst, tensor_view<value_t<E>, shape_t<E>, device_t<E>>(dst, e.ext) + e);
  }
}

namespace detail {
template <class U, class... T>
inline constexpr std::size_t count_of = (std::size_t{0} + ... + std::is_same_v<U, T>);
/// Whether a type occurs twice: each type's count sums to the number of nodes when none does.
template <class... T>
constexpr bool repeats(node_types<T...>) {
  return (std::size_t{0} + ... + count_of<T, T...>) > sizeof...(T);
}

/// Whether two non-elementwise nodes of E have one type: only then can two of them be copies of
/// one subexpression (the logits a loss reads three times), worth a trace that shares them.
template <class E>
inline constexpr bool may_repeat_a_node = repeats(decltype(non_elementwise_nodes<E>()){});

/// evaluate_into (or a small static graph's evaluation), with equal copies of a non-elementwise
/// subexpression computed once when E can hold such copies (evaluate_shared is
/// autodiff/trace.hpp's, found when instantiated, by argument lookup); a trace costs compile time,
/// so only then.
template <class E>
void evaluate_once(value_t<E>* dst, E const& e) {
  // A small static graph on the stack (eval/small.hpp; a repeat is recomputed, which costs less
  // than sharing it), unless it is one elementwise tree over leaves with a costly op, which the
  // fused loop computes in packets without writing each node out (tanh(x) * sigmoid(x) over 64
  // floats: 21 ns against 25; without a costly op, as an update w - lr * g, the small path is
  // the faster).
  if constexpr (small::graph<E> && !(elementwise_over_leaves<E> && small::has_costly_op<E>()))
    small::evaluate(dst, e);
  else if constexpr (may_repeat_a_node<E>)
    evaluate_shared(dst, e);
  else
    evaluate_into(dst, e);
}
}  // namespace detail

/// Computes an expression into a new tensor, e.g. auto y = eval(tanh(matmul(x, w)));
template <expression_like E>
auto eval(E const& expr) {
  auto e = as_expr(expr);
  using X = decltype(e);
  tensor<value_t<X>, shape_t<X>, device_t<X>> out(e.ext, detail::uninitialized_t{});
  detail::evaluate_once(out.data(), e);
  return out;
}

/// Computes an expression into an existing tensor of the same shape (no allocation).
template <class T, class S, class D, expression_like E>
void eval_into(tensor<T, S, D>& out, E const& expr) {
  auto e = as_expr(expr);
  using X = decltype(e);
  if constexpr (!(S::is_static && std::is_same_v<S, shape_t<X>>))
    if (e.ext != out.shape())
      detail::throw_shape_error("eval_into: destination extents differ", out.shape(), " vs ",
                                e.ext);
  detail::evaluate_once(out.data(), e);
}

}  // namespace metagrad
