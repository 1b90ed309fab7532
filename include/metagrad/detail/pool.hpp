// SPDX-License-Identifier: MIT
// A caching allocator for tensor storage, as PyTorch's: freed blocks are kept per size and
// handed out again, so a training step that repeats the same shapes allocates nothing after
// its first run. Blocks are 64-byte aligned for SIMD.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace metagrad::detail {

class block_cache {
 public:
  static block_cache& local() {
    thread_local block_cache cache;
    return cache;
  }
  block_cache() { free_.reserve(64); }
  block_cache(block_cache const&) = delete;
  block_cache& operator=(block_cache const&) = delete;
  ~block_cache() {
    for (auto& [bytes, blocks] : free_)
      for (void* p : blocks) std::free(p);
  }

  void* acquire(std::size_t bytes) {
    bytes = round(bytes);
    auto& list = bucket(bytes);
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      return p;
    }
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc{};
    ++fresh_;
    return p;
  }
  /// Blocks taken from the system so far (not from the cache): flat in a steady state.
  std::size_t fresh_blocks() const { return fresh_; }

  void release(void* p, std::size_t bytes) { bucket(round(bytes)).push_back(p); }

 private:
  static std::size_t round(std::size_t bytes) { return bytes == 0 ? 64 : (bytes + 63) / 64 * 64; }
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
};

/// Owning, pooled storage for n elements of T (trivially copyable element types only).
template <class T>
class buffer {
 public:
  buffer() = default;
  explicit buffer(std::size_t n)
      : data_(n ? static_cast<T*>(block_cache::local().acquire(n * sizeof(T))) : nullptr),
        size_(n) {}
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
    if (data_) block_cache::local().release(data_, size_ * sizeof(T));
    data_ = nullptr;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace metagrad::detail
