// SPDX-License-Identifier: MIT
// Reverse mode: cotangents flow from the output to the arguments of the transformation at level L
// by each op's vjp rule, in reverse topological order (a tree walk over the expression's type).
//   - eager: over a traced expression; cotangents are materialized where they are shared (at a
//     cached node, or an elementwise node with several dependent args) and otherwise stay
//     symbolic, so elementwise chains of the backward pass fuse; arguments accumulate into buffers.
//   - symbolic: builds the cotangent of each argument as an expression (for grad of grad).
#pragma once
#include <array>
#include <tuple>

#include "trace.hpp"

namespace metagrad {

namespace detail {

template <class E, int L>
constexpr std::size_t dependent_args() {
  if constexpr (has_args<E>)
    return []<class... A>(std::tuple<A...> const*) { return ((depends_on<A, L> ? 1u : 0u) + ... + 0u); }(
        static_cast<decltype(E::args) const*>(nullptr));
  else return 0;
}

/// The op's vjp rule: one cotangent per arg.
template <class E, class G>
auto call_vjp(E const& e, G const& g) {
  return std::apply([&](auto const&... a) { return E::op_type::vjp(e.op, g, value_of(e), a...); },
                    e.args);
}

}  // namespace detail

/// Sums eagerly computed cotangents into one tensor per argument.
template <class... Tensors>
struct grad_accumulator {
  std::tuple<Tensors...> grads;
  std::array<bool, sizeof...(Tensors)> written{};

  template <std::size_t K, class G>
  void add(G const& g) {
    auto& t = std::get<K>(grads);
    if (!written[K]) evaluate_into(t.data(), g), written[K] = true;
    else evaluate_into(t.data(), t.view() + g);
  }
  /// Arguments no cotangent reached are zero.
  void finish() {
    detail::static_for<sizeof...(Tensors)>([&](auto k) {
      if (!written[k]) std::fill_n(std::get<k>(grads).data(), std::get<k>(grads).size(), 0);
    });
  }
};

template <int L, class E, class G, class Acc>
void backward(E const& e, G const& g, Acc& acc) {
  if constexpr (!depends_on<E, L> || is_zero<G>) {
    return;
  } else if constexpr (is_bind_at<E, L>) {
    acc.template add<detail::bind_index<E, L>::index>(g);
  } else {
    auto go = [&](auto const& gm) {
      auto cts = detail::call_vjp(e, gm);
      detail::static_for<std::tuple_size_v<decltype(e.args)>>(
          [&](auto i) { backward<L>(std::get<i>(e.args), std::get<i>(cts), acc); });
    };
    if constexpr (is_cached<E> || detail::dependent_args<E, L>() > 1) go(materialize(g));
    else go(g);
  }
}

/// No cotangent reached this argument (yet).
struct no_cotangent {};

namespace detail {
template <class A, class B>
auto add_cotangents(A const& a, B const& b) {
  if constexpr (std::is_same_v<A, no_cotangent>) return b;
  else if constexpr (std::is_same_v<B, no_cotangent>) return a;
  else return a + b;
}
template <class... A, class... B>
auto add_cotangent_tuples(std::tuple<A...> const& a, std::tuple<B...> const& b) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple{add_cotangents(std::get<I>(a), std::get<I>(b))...};
  }(std::index_sequence_for<A...>{});
}
template <class S>
auto fold_cotangents(S const& s) {
  return s;
}
template <class S, class P, class... Rest>
auto fold_cotangents(S const& s, P const& p, Rest const&... rest) {
  return fold_cotangents(add_cotangent_tuples(s, p), rest...);
}
template <std::size_t N>
auto no_cotangents() {
  return tuple_generate<N>([](auto) { return no_cotangent{}; });
}
}  // namespace detail

/// The cotangents of the N arguments of level L, as expressions (no_cotangent where none flows).
template <int L, std::size_t N, class E, class G>
auto backward_symbolic(E const& e, G const& g) {
  if constexpr (!depends_on<E, L> || is_zero<G>) {
    return detail::no_cotangents<N>();
  } else if constexpr (is_bind_at<E, L>) {
    constexpr std::size_t k = detail::bind_index<E, L>::index;
    return detail::tuple_generate<N>([&](auto i) {
      if constexpr (i == k) return g;
      else return no_cotangent{};
    });
  } else {
    auto cts = detail::call_vjp(e, g);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::fold_cotangents(detail::no_cotangents<N>(),
                                     backward_symbolic<L, N>(std::get<I>(e.args), std::get<I>(cts))...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
  }
}

}  // namespace metagrad
