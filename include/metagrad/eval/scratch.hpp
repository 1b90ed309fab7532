// SPDX-License-Identifier: MIT
// Scratch memory for intermediate results: a per-thread stack of pooled blocks. A scratch_scope
// gives back, on exit, every block taken inside it; the blocks return to the block cache, so a
// repeated evaluation takes the same blocks again and allocates nothing.
#pragma once
#include <cstddef>
#include <vector>

#include "../detail/pool.hpp"

namespace metagrad::detail {

class scratch {
 public:
  template <class T>
  static T* take(std::size_t n) {
    auto& s = stack();
    s.emplace_back(n * sizeof(T));
    return reinterpret_cast<T*>(s.back().data());
  }
  static std::size_t mark() { return stack().size(); }
  static void release(std::size_t mark) {
    auto& s = stack();
    while (s.size() > mark) s.pop_back();
  }

 private:
  static std::vector<buffer<std::byte>>& stack() {
    thread_local std::vector<buffer<std::byte>> s = [] {
      std::vector<buffer<std::byte>> v;
      v.reserve(1024);
      return v;
    }();
    return s;
  }
};

/// Returns the scratch blocks taken during its lifetime.
class scratch_scope {
 public:
  scratch_scope() : mark_(scratch::mark()) {}
  scratch_scope(scratch_scope const&) = delete;
  scratch_scope& operator=(scratch_scope const&) = delete;
  ~scratch_scope() { scratch::release(mark_); }

 private:
  std::size_t mark_;
};

}  // namespace metagrad::detail
