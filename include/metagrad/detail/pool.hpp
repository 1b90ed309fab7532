// SPDX-License-Identifier: MIT
// A caching allocator for tensor storage, as PyTorch's: freed blocks are kept per size and
// handed out again, so a training step that repeats the same shapes allocates nothing after
// its first run. Blocks are 64-byte aligned for SIMD.
//
// The cache is thread_local, so it is destroyed when its thread ends, and on the main thread
// that is before objects of static storage duration: a global or function-local static tensor
// is freed after its thread's cache is gone. `allocate` and `deallocate` go straight to the
// system once the cache is gone (the flag is a trivially destructible thread_local, readable
// until the thread's storage is released).
//
// Under AddressSanitizer (METAGRAD_ASAN) the blocks the cache keeps are poisoned until handed out
// again: reading a tensor's memory after the tensor was freed is reported, as it would be if the
// block had gone back to the system.
#pragma once
#include <array>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "../config.hpp"
#if METAGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace metagrad::detail {

/// Marks a cached block unusable (poison) or usable again (unpoison) for AddressSanitizer.
inline void poison_block([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if METAGRAD_ASAN
  __asan_poison_memory_region(p, bytes);
#endif
}
inline void unpoison_block([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if METAGRAD_ASAN
  __asan_unpoison_memory_region(p, bytes);
#endif
}

class block_cache {
 public:
  static block_cache& local() {
    thread_local block_cache cache;
    return cache;
  }
  /// A block of at least `bytes` from this thread's cache, or from the system once it is gone.
  /// (The smallest blocks' path is inlined: a small graph's step takes and returns one per
  /// gradient, and a call saving six registers cost more than the rest.)
  static void* allocate(std::size_t bytes) {
    if (!gone_)
      if (void* p = local().take_small(round(bytes))) return p;
    return allocate_any(bytes);
  }
  /// Returns a block `allocate` gave (on any thread) to this thread's cache, or to the system.
  static void deallocate(void* p, std::size_t bytes) noexcept {
    if (!gone_ && local().keep_small(p, round(bytes))) return;
    deallocate_any(p, bytes);
  }

  block_cache() { free_.reserve(64); }
  block_cache(block_cache const&) = delete;
  block_cache& operator=(block_cache const&) = delete;
  ~block_cache() {
    gone_ = true;
    for (std::size_t c = 0; c < small_classes; ++c)
      for (std::size_t i = 0; i < small_[c].n; ++i) {
        unpoison_block(small_[c].blocks[i], (c + 1) * 64);
        std::free(small_[c].blocks[i]);
      }
    for (auto& [bytes, blocks] : free_)
      for (void* p : blocks) {
        unpoison_block(p, bytes);
        std::free(p);
      }
  }

  void* acquire(std::size_t bytes) {
    bytes = round(bytes);
    if (void* p = take_small(bytes)) return p;
    auto& list = bucket(bytes);
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      unpoison_block(p, bytes);
      return p;
    }
    ++fresh_;
    return system_block(bytes);
  }
  /// Blocks taken from the system so far (not from the cache): flat in a steady state.
  std::size_t fresh_blocks() const { return fresh_; }

  void release(void* p, std::size_t bytes) noexcept {
    bytes = round(bytes);
    if (keep_small(p, bytes)) return;
    // A bucket's push_back may allocate; if it cannot, the block goes back to the system.
    try {
      bucket(bytes).push_back(p);
      poison_block(p, bytes);
    } catch (...) {
      std::free(p);
    }
  }

 private:
  static std::size_t round(std::size_t bytes) { return bytes == 0 ? 64 : (bytes + 63) / 64 * 64; }
  static void* system_block(std::size_t rounded) {
    void* p = std::aligned_alloc(64, rounded);
    if (!p) throw std::bad_alloc{};
    return p;
  }
  [[gnu::noinline]] static void* allocate_any(std::size_t bytes) {
    if (gone_) return system_block(round(bytes));
    return local().acquire(bytes);
  }
  [[gnu::noinline]] static void deallocate_any(void* p, std::size_t bytes) noexcept {
    if (gone_) return std::free(p);
    local().release(p, bytes);
  }
  /// A kept block of `rounded` bytes when it is a small one and one is kept, else null.
  void* take_small(std::size_t rounded) noexcept {
    if (rounded > small_classes * 64) return nullptr;
    auto& s = small_[rounded / 64 - 1];
    if (s.n == 0) return nullptr;
    void* p = s.blocks[--s.n];
    unpoison_block(p, rounded);
    return p;
  }
  /// Keeps p (`rounded` bytes) when it is a small block and its stack has room.
  bool keep_small(void* p, std::size_t rounded) noexcept {
    if (rounded > small_classes * 64) return false;
    auto& s = small_[rounded / 64 - 1];
    if (s.n == s.blocks.size()) return false;
    s.blocks[s.n++] = p;
    poison_block(p, rounded);
    return true;
  }
  static inline thread_local bool gone_ = false;
  // A program uses few distinct sizes: a linear search beats hashing here.
  std::vector<void*>& bucket(std::size_t bytes) {
    for (auto& [b, list] : free_)
      if (b == bytes) return list;
    free_.emplace_back(bytes, std::vector<void*>{});
    free_.back().second.reserve(16);
    return free_.back().second;
  }
  std::vector<std::pair<std::size_t, std::vector<void*>>> free_;
  std::size_t fresh_ = 0;
  // The smallest blocks (up to 256 bytes: small tensors, a small graph's gradients, a loss) are
  // kept first in fixed stacks per size, taken and given back with no search and no vector.
  static constexpr std::size_t small_classes = 4;
  struct small_stack {
    std::array<void*, 32> blocks{};
    std::size_t n = 0;
  };
  std::array<small_stack, small_classes> small_{};
};

/// Owning, pooled storage for n elements of T (trivially copyable element types only).
template <class T>
class buffer {
 public:
  buffer() = default;
  explicit buffer(std::size_t n)
      : data_(n ? static_cast<T*>(block_cache::allocate(n * sizeof(T))) : nullptr), size_(n) {}
  buffer(buffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  buffer& operator=(buffer&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = o.data_, size_ = o.size_;
      o.data_ = nullptr, o.size_ = 0;
    }
    return *this;
  }
  buffer(buffer const&) = delete;
  buffer& operator=(buffer const&) = delete;
  ~buffer() { reset(); }

  T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  void reset() {
    if (data_) block_cache::deallocate(data_, size_ * sizeof(T));
    data_ = nullptr;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace metagrad::detail
