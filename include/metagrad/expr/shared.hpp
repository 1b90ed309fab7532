// SPDX-License-Identifier: MIT
// shared_expr<E>: an expression that a graph uses more than once, held once. Expressions hold
// their args by value, so a value used twice is two copies of its whole subtree, and a graph that
// reuses values layer after layer (a residual's x, layer norm's centred input, attention's
// projections) grows exponentially in object size with its depth: one transformer block on
// (2,3,4) was a 152 KB object, its derivative expressions megabytes of stack. share(e) puts e in
// one pooled, reference-counted block; copies of the result are a pointer and the extents.
//
// What the rest of the library does with one (the type's E is still the subexpression's type,
// so shapes and derivative rules are checked at compile time as before):
//   - eval and transformations trace it (autodiff/trace.hpp): computed once, into a cached node
//     that its copies share, and the reverse pass sums their cotangents and walks below it once;
//   - forward mode builds its tangent once per trace (autodiff/forward.hpp);
//   - anything else sees through it to E.
#pragma once
#include <atomic>
#include <new>
#include <utility>

#include "../detail/pool.hpp"
#include "expression.hpp"
#include "tensor.hpp"

namespace metagrad {

template <class E>
struct shared_expr : expr_tag {
  using value_type = value_t<E>;
  using shape_type = shape_t<E>;
  using device_type = device_t<E>;
  using inner_type = E;
  static constexpr std::size_t rank = shape_type::rank;

  extents<rank> ext;

  explicit shared_expr(E e) : ext(e.ext), block_(make_block(std::move(e))) {}
  shared_expr(shared_expr const& o) noexcept : ext(o.ext), block_(o.block_) { retain(); }
  shared_expr(shared_expr&& o) noexcept : ext(o.ext), block_(std::exchange(o.block_, nullptr)) {}
  shared_expr& operator=(shared_expr o) noexcept {
    std::swap(block_, o.block_);
    ext = o.ext;
    return *this;
  }
  ~shared_expr() { release(); }

  /// The subexpression all copies share.
  E const& inner() const { return block_->expr; }
  /// Identifies the shared subexpression: equal for copies of one share(e).
  void const* key() const { return block_; }

 private:
  struct block {
    E expr;
    std::atomic<int> refs;
  };
  static block* make_block(E&& e) {
    void* p = detail::block_cache::allocate(sizeof(block));
    try {
      return new (p) block{std::move(e), {1}};
    } catch (...) {
      detail::block_cache::deallocate(p, sizeof(block));
      throw;
    }
  }
  void retain() const noexcept {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      block_->~block();
      detail::block_cache::deallocate(block_, sizeof(block));
    }
    block_ = nullptr;
  }
  block* block_;
};

template <class E>
inline constexpr bool is_shared_expr = false;
template <class E>
inline constexpr bool is_shared_expr<shared_expr<E>> = true;

/// e as one value the graph may use many times, e.g. auto h = share(norm(x)); y = h + ff(h);
/// (a leaf, or a value already shared, is returned as it is: copying those is free).
template <expression_like X>
auto share(X const& x) {
  auto e = as_expr(x);
  using E = decltype(e);
  if constexpr (is_shared_expr<E> || is_leaf<E>)
    return e;
  else
    return shared_expr<E>(std::move(e));
}

}  // namespace metagrad
