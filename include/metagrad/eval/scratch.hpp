// SPDX-License-Identifier: MIT
// Scratch memory for intermediate results: a per-thread bump arena over chunks that are kept for
// the thread's lifetime. A scratch_scope hands back, on exit, everything taken inside it, so a
// repeated evaluation reuses the same memory and allocates nothing; taking is a pointer bump.
// arena<Tag> is the mechanism, one per thread and Tag: scratch is the evaluation's, and the
// reverse pass's saved forward values (autodiff/residuals.hpp) live in another, whose memory
// outlasts the scratch scopes of the forward that fills it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "../detail/pool.hpp"

namespace metagrad::detail {

template <class Tag>
class arena {
 public:
  struct position {
    std::size_t chunk = 0, used = 0;
  };

  template <class T>
  static T* take(std::size_t n) {
    return reinterpret_cast<T*>(local().take(n * sizeof(T)));
  }
  static position mark() { return local().at; }
  static void release(position p) { local().at = p; }

 private:
  struct state {
    std::vector<buffer<std::byte>> chunks;
    position at;

    std::byte* take(std::size_t bytes) {
      bytes = (bytes + 63) / 64 * 64;
      while (at.chunk < chunks.size() && at.used + bytes > chunks[at.chunk].size())
        ++at.chunk, at.used = 0;
      if (at.chunk == chunks.size()) {
        std::size_t last = chunks.empty() ? 0 : chunks.back().size();
        chunks.emplace_back(std::max({bytes, std::size_t{1} << 20, 2 * last}));
        at.used = 0;
      }
      std::byte* p = chunks[at.chunk].data() + at.used;
      at.used += bytes;
      return p;
    }
  };
  static state& local() {
    thread_local state s;
    return s;
  }
};

using scratch = arena<struct scratch_tag>;

/// Hands back the scratch memory taken during its lifetime.
class scratch_scope {
 public:
  scratch_scope() : mark_(scratch::mark()) {}
  scratch_scope(scratch_scope const&) = delete;
  scratch_scope& operator=(scratch_scope const&) = delete;
  ~scratch_scope() { scratch::release(mark_); }

 private:
  scratch::position mark_;
};

}  // namespace metagrad::detail
