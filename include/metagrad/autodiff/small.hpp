// SPDX-License-Identifier: MIT
// Reverse and forward mode over a small static graph (eval/small.hpp): the forward pass computes
// every node into values<E> on the stack.
// - Reverse: the walk back calls each op's vjp rule on those values and computes each cotangent
//   into an array of its own before passing it down. A small graph is a tree with no shared node
//   (the general path shares them), so each node's cotangent comes from its one parent and only
//   the arguments' sums are accumulated.
// - Forward: the walk up calls each op's jvp rule on those values and its arguments' tangents and
//   computes each node's tangent into an array of its own (tangents<L, E>, beside values<E>).
// Nothing is allocated but the result tensors; nothing goes through scratch memory or the trace's
// registries.
#pragma once
#include <array>

#include "../eval/small.hpp"
#include "backward.hpp"

namespace metagrad::detail::small {

template <int L, class E, class G, class Acc>
void backward(values<E> const& s, E const& e, G const& g, Acc& acc);

/// dst = e for a rule's result: on the stack when it is a small graph, else by the general path
/// (a rule may use an op that has no small kernel).
template <class X>
void evaluate_rule(value_t<X>* dst, X const& x) {
  if constexpr (graph<X>)
    evaluate(dst, x);
  else
    evaluate_into(dst, x);
}

/// The cotangent ct of argument a (values s) passed down: as it is when reading it costs nothing
/// (a leaf, or the argument is a mark that only adds it up), else computed into an array first.
template <int L, class A, class CT, class Acc>
void backward_arg(values<A> const& s, A const& a, CT const& ct, Acc& acc) {
  if constexpr (!depends_on<A, L> || is_zero<CT> || std::is_same_v<CT, no_cotangent>) {
    return;
  } else if constexpr (is_leaf<CT> || is_bind_at<A, L>) {
    backward<L>(s, a, ct, acc);
  } else {
    using T = value_t<CT>;
    using S = shape_t<CT>;
    std::array<T, std::size_t(S::static_size)> buf;
    evaluate_rule(buf.data(), ct);
    backward<L>(s, a, tensor_view<T, S, device_t<CT>>(buf.data()), acc);
  }
}

/// Cotangent g of node e (values s) down to the arguments of level L.
template <int L, class E, class G, class Acc>
void backward(values<E> const& s, E const& e, G const& g, Acc& acc) {
  if constexpr (!depends_on<E, L> || is_zero<G>) {
    return;
  } else if constexpr (is_bind_at<E, L>) {
    acc.template add<bind_index<E, L>::index>(g);
  } else if constexpr (is_node<E>) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      auto cts =
          E::op_type::vjp(e.op, g, view_of(s, e), view_of(get<I>(s.kids), get<I>(e.args))...);
      (backward_arg<L>(get<I>(s.kids), get<I>(e.args), get<I>(cts), acc), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
  }
}

/// value_and_grad (WithValue) or grad at level L of out, a small graph with a scalar value: the
/// gradients of acc's arguments, and the value first when asked for. Flattened: every call in it
/// is inlined, as in a hand-written step (the OR gate's step: 95 ns to 76 ns).
template <bool WithValue, int L, class E, class Acc>
[[gnu::flatten]] auto value_and_grad(E const& out, Acc acc) {
  using T = value_t<E>;
  values<E> s;
  forward(s, out);
  backward<L>(s, out, constant<T, shape_t<E>, device_t<E>>(T(1)), acc);
  acc.finish();
  if constexpr (WithValue) {
    tensor<T, shape_t<E>, device_t<E>> value(out.ext, uninitialized_t{});
    evaluate(value.data(), view_of(s, out));
    return std::pair{std::move(value), std::move(acc.grads)};
  } else {
    return std::move(acc.grads);
  }
}

/// The tangents at level L of E's nodes, in E's shape: an array for each node that depends on
/// level L, except a mark of level L (its tangent is the one given).
template <int L, class E>
struct tangents {};
template <int L, class Op, class... A>
struct tangents<L, node<Op, A...>> {
  using N = node<Op, A...>;
  flat_tuple<tangents<L, A>...> kids;
  std::array<value_t<N>,
             depends_on<N, L> && !is_bind_at<N, L> ? std::size_t(shape_t<N>::static_size) : 0>
      t;
};

/// The tangent of e as a rule reads it: the symbolic zero when e does not depend on level L (the
/// rules fold it away), the given tangent for a mark, else a view of its array.
template <int L, class E, class Tans>
auto tangent_view(tangents<L, E> const& t, E const& e, Tans const& tans) {
  if constexpr (!depends_on<E, L>)
    return zeros_like(e);
  else if constexpr (is_bind_at<E, L>)
    return std::get<bind_index<E, L>::index>(tans);
  else
    return tensor_view<value_t<E>, shape_t<E>, device_t<E>>(t.t.data());
}

/// Computes the tangent of every node of e (values s) that depends on level L into t.
template <int L, class E, class Tans>
void tangent_forward(values<E> const& s, tangents<L, E>& t, E const& e, Tans const& tans) {
  if constexpr (is_node<E> && depends_on<E, L> && !is_bind_at<E, L>) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (tangent_forward<L>(get<I>(s.kids), get<I>(t.kids), get<I>(e.args), tans), ...);
      evaluate_rule(t.t.data(),
                    E::op_type::jvp(e.op, view_of(s, e), view_of(get<I>(s.kids), get<I>(e.args))...,
                                    tangent_view<L>(get<I>(t.kids), get<I>(e.args), tans)...));
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
  }
}

/// jvp at level L of out, a small graph, along tans (one expression per mark of level L): its
/// value and its tangent.
template <int L, class E, class Tans>
[[gnu::flatten]] auto value_and_tangent(E const& out, Tans const& tans) {
  using R = tensor<value_t<E>, shape_t<E>, device_t<E>>;
  values<E> s;
  forward(s, out);
  tangents<L, E> t;
  tangent_forward<L>(s, t, out, tans);
  R value(out.ext, uninitialized_t{});
  evaluate(value.data(), view_of(s, out));
  R derivative(out.ext, uninitialized_t{});
  evaluate_rule(derivative.data(), tangent_view<L>(t, out, tans));
  return std::pair{std::move(value), std::move(derivative)};
}

}  // namespace metagrad::detail::small
