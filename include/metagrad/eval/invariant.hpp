// SPDX-License-Identifier: MIT
// Invariant memory: memory a loop promises not to change while it runs (scan's parameters, which
// every step reads and none writes). Kernels may keep work derived from it across the loop's
// iterations instead of redoing it each time: the cpu GEMM keeps its packing of a transposed
// parameter (an LSTM step's h W_hh^T packed W_hh^T once per step, an eighth of the forward
// sweep). Kept work is valid while the set of ranges it was derived under is unchanged: every
// registration and every release changes `epoch`, which tells kernels to drop what they kept.
// Per thread: a kernel running on another thread sees no ranges, and keeps nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace metagrad::detail {

struct invariant_memory {
  struct range {
    void const* begin;
    void const* end;
  };
  std::vector<range> ranges;
  std::uint64_t epoch = 0;

  static invariant_memory& local() {
    thread_local invariant_memory m;
    return m;
  }
  /// Whether [p, p + bytes) lies in one registered range.
  bool holds(void const* p, std::size_t bytes) const {
    auto const* b = static_cast<std::byte const*>(p);
    for (auto const& r : ranges)
      if (b >= static_cast<std::byte const*>(r.begin) &&
          b + bytes <= static_cast<std::byte const*>(r.end))
        return true;
    return false;
  }
};

/// Registers the memory of views (anything with .ptr and .ext.size()) as invariant for the
/// scope's lifetime.
class invariant_scope {
 public:
  template <class... V>
  explicit invariant_scope(V const&... views) : size_(invariant_memory::local().ranges.size()) {
    auto& m = invariant_memory::local();
    (m.ranges.push_back({views.ptr, views.ptr + views.ext.size()}), ...);
    ++m.epoch;
  }
  invariant_scope(invariant_scope const&) = delete;
  invariant_scope& operator=(invariant_scope const&) = delete;
  ~invariant_scope() {
    auto& m = invariant_memory::local();
    m.ranges.resize(size_);
    ++m.epoch;
  }

 private:
  std::size_t size_;
};

}  // namespace metagrad::detail
