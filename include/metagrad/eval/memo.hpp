// SPDX-License-Identifier: MIT
// memo: an identity op over a costly elementwise node (exp, tanh, sigmoid, ...) whose copies all
// share one slot. A fused loop runs in chunks of memo_chunk elements and computes a memo's value
// once per chunk, into its slot, however many copies of it the expression holds: the
// common-subexpression elimination of the backward pass, where derivative rules read a node's
// value (tanh's y in g*(1 - y²)) next to the forward expression itself. trace() inserts memos.
#pragma once
#include <cstdint>
#include <new>

#include "../ops/elementwise.hpp"
#include "scratch.hpp"

namespace metagrad {

/// Elements per chunk of a fused loop that holds memos (a slot is this many values).
inline constexpr index_t memo_chunk = 2048;

struct memo_slot {
  std::uint64_t stamp = 0;  // the chunk whose values `data` holds
  void* data = nullptr;
};

struct memo_op : elementwise_unary<memo_op> {
  static constexpr char const* name = "memo";
  static constexpr zero_rule zeros = zero_rule::any;
  memo_slot* slot = nullptr;

  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x;
  }
  static auto jvp(memo_op, auto const&, auto const&, auto const& dx) { return dx; }
  static auto vjp(memo_op, auto const& g, auto const&, auto const&) {
    return detail::flat_tuple{g};
  }
};

template <class E>
inline constexpr bool is_memo = false;
template <class X>
inline constexpr bool is_memo<node<memo_op, X>> = true;

namespace detail {
template <class Op>
concept costly_op = requires {
  Op::costly;
};

/// Wraps x, a costly elementwise node, in a memo with a fresh slot in scratch memory.
template <class X>
auto memoize(X const& x) {
  auto* slot = new (scratch::take<memo_slot>(1)) memo_slot{};
  slot->data = scratch::take<value_t<X>>(static_cast<std::size_t>(memo_chunk));
  return node<memo_op, X>(memo_op{{}, slot}, x);
}

/// A fresh stamp for each chunk a fused loop evaluates.
inline std::uint64_t next_chunk_stamp() {
  thread_local std::uint64_t stamp = 0;
  return ++stamp;
}
}  // namespace detail

}  // namespace metagrad
