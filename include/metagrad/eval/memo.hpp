// SPDX-License-Identifier: MIT
// memo: an identity op over a costly elementwise node (exp, tanh, sigmoid, ...) whose copies all
// share one slot. A fused loop runs in chunks of memo_chunk elements and computes a memo's value
// once per chunk, into its slot, however many copies of it the expression holds: the
// common-subexpression elimination of the backward pass, where derivative rules read a node's
// value (tanh's y in g*(1 - y²)) next to the forward expression itself. trace() inserts memos.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>

#include "../ops/elementwise.hpp"
#include "scratch.hpp"

namespace metagrad {

/// Elements per chunk of a fused loop that holds memos (a slot is this many values).
inline constexpr index_t memo_chunk = 2048;

/// A memo's slot is `data` (memo_chunk values) and `*stamp`, the chunk whose values it holds.
/// The op holds the data pointer itself, not behind the stamp's: a fused loop copies the tree
/// into locals (registers), and a pointer read through another would be read again after each
/// packet store.
struct memo_op : elementwise_unary<memo_op> {
  static constexpr char const* name = "memo";
  static constexpr zero_rule zeros = zero_rule::any;
  std::uint64_t* stamp = nullptr;
  void* data = nullptr;

  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x;
  }
  static auto jvp(memo_op, auto const&, auto const&, auto const& dx) { return dx; }
  static auto vjp(memo_op, auto const& g, auto const&, auto const&) {
    return detail::make_flat_tuple(g);
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

/// Where a slot's values start within a 4 KiB page. A fused loop reads its leaves and writes a
/// slot in step, and the CPU takes a load to depend on an earlier store whose address has the
/// same low 12 bits ("4K aliasing"): a leaf that starts a few hundred bytes before a slot, modulo
/// 4096, stalls every load. Large buffers start near a page boundary (glibc's malloc 16 bytes
/// past it, metagrad's pool 64, page-aligned ones 0), and so did slots, just after them; half a
/// page away is as far as a slot can be from all of them.
inline constexpr std::size_t memo_page = 4096, memo_page_offset = memo_page / 2;

/// Wraps x, a costly elementwise node, in a memo with a fresh slot in scratch memory.
template <class X>
auto memoize(X const& x) {
  using T = value_t<X>;
  auto* stamp = new (scratch::take<std::uint64_t>(1)) std::uint64_t{0};
  auto* raw =
      scratch::take<std::byte>(static_cast<std::size_t>(memo_chunk) * sizeof(T) + memo_page);
  auto const at = reinterpret_cast<std::uintptr_t>(raw) % memo_page;
  return node<memo_op, X>{{},
                          extents_member<shape_t<X>>(x.ext),
                          memo_op{{}, stamp, raw + (memo_page + memo_page_offset - at) % memo_page},
                          {{{x}}}};
}

/// A fresh stamp for each chunk a fused loop evaluates.
inline std::uint64_t next_chunk_stamp() {
  thread_local std::uint64_t stamp = 0;
  return ++stamp;
}
}  // namespace detail

}  // namespace metagrad
