// SPDX-License-Identifier: MIT
// Scratch memory for intermediate results: a per-thread bump arena over chunks that are kept for
// the thread's lifetime. A scratch_scope hands back, on exit, everything taken inside it, so a
// repeated evaluation reuses the same memory and allocates nothing; taking is a pointer bump.
// arena<Tag> is the mechanism, one per thread and Tag: scratch is the evaluation's, and the
// reverse pass's saved forward values (autodiff/residuals.hpp) live in another, whose memory
// outlasts the scratch scopes of the forward that fills it. Objects can live there too (make):
// the ones that need a destructor get it when their memory is handed back.
#pragma once
#include <algorithm>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../detail/pool.hpp"

namespace metagrad::detail {

template <class Tag>
class arena {
 public:
  struct position {
    std::size_t chunk = 0, used = 0;
    std::size_t objects = 0;  // destructors registered (set by mark)
  };

  template <class T>
  static T* take(std::size_t n) {
    return reinterpret_cast<T*>(local().take(n * sizeof(T)));
  }
  /// A T made from args in the arena; destroyed when the memory is released (alignof(T) <= 64).
  template <class T, class... A>
  static T* make(A&&... args) {
    static_assert(alignof(T) <= 64, "arena: over-aligned type");
    auto& s = local();
    // Room first (doubling), so that registering the new object cannot fail after it is made.
    if constexpr (!std::is_trivially_destructible_v<T>)
      if (s.destructors.size() == s.destructors.capacity())
        s.destructors.reserve(std::max<std::size_t>(16, 2 * s.destructors.capacity()));
    T* p = new (s.take(sizeof(T))) T(std::forward<A>(args)...);
    if constexpr (!std::is_trivially_destructible_v<T>)
      s.destructors.push_back({p, [](void* q) { static_cast<T*>(q)->~T(); }});
    return p;
  }
  static position mark() {
    auto& s = local();
    position p = s.at;
    p.objects = s.destructors.size();
    return p;
  }
  /// Hands back what was taken after p, destroying the objects made there (newest first).
  static void release(position p) {
    auto& s = local();
    while (s.destructors.size() > p.objects) {
      auto d = s.destructors.back();
      s.destructors.pop_back();
      d.destroy(d.object);
    }
    s.at = p;
  }

 private:
  struct destructor {
    void* object;
    void (*destroy)(void*);
  };
  struct state {
    std::vector<buffer<std::byte>> chunks;
    std::vector<destructor> destructors;  // of the objects made, oldest first
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

/// Hands back the memory of arena A taken during its lifetime.
template <class A>
class arena_scope {
 public:
  arena_scope() : mark_(A::mark()) {}
  arena_scope(arena_scope const&) = delete;
  arena_scope& operator=(arena_scope const&) = delete;
  ~arena_scope() { A::release(mark_); }

 private:
  typename A::position mark_;
};

/// Hands back the scratch memory taken during its lifetime.
using scratch_scope = arena_scope<scratch>;

}  // namespace metagrad::detail
