// SPDX-License-Identifier: MIT
// Reverse mode over a small static graph (eval/small.hpp): the forward pass computes every node
// into values<E> on the stack; the walk back calls each op's vjp rule on those values and
// computes each cotangent into an array of its own before passing it down. A small graph is a
// tree with no shared node (the general path shares them), so each node's cotangent comes from
// its one parent and only the arguments' sums are accumulated. Nothing is allocated but the
// result tensors; nothing goes through scratch memory or the trace's registries.
#pragma once
#include <array>

#include "../eval/small.hpp"
#include "backward.hpp"

namespace metagrad::detail::small {

template <int L, class E, class G, class Acc>
void backward(values<E> const& s, E const& e, G const& g, Acc& acc);

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
    if constexpr (graph<CT>)
      evaluate(buf.data(), ct);
    else
      evaluate_into(buf.data(), ct);  // a rule's op without a small kernel: the general path
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

}  // namespace metagrad::detail::small
