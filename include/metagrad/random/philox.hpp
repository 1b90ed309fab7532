// SPDX-License-Identifier: MIT
// rng: the counter-based Philox4x32-10 generator (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC'11; Random123's philox.h). A (seed, counter) pair names four 32-bit words, so
// the same seed gives the same numbers on every device and streams split without shared state.
#pragma once
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace metagrad {

namespace detail {
/// One Philox4x32 bijection of `ctr` under `key`, 10 rounds, exactly as Random123's
/// philox4x32_R(10, ctr, key). e.g. philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5.
constexpr std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> c,
                                                     std::array<std::uint32_t, 2> k) {
  constexpr std::uint64_t m0 = 0xD2511F53, m1 = 0xCD9E8D57;  // round multipliers
  constexpr std::uint32_t w0 = 0x9E3779B9, w1 = 0xBB67AE85;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    if (round > 0)
      k[0] += w0, k[1] += w1;  // the key is bumped between rounds, not before the first
    std::uint64_t const p0 = m0 * c[0], p1 = m1 * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
  }
  return c;
}
constexpr std::uint32_t lo32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
constexpr std::uint32_t hi32(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }
}  // namespace detail

/// A deterministic random generator: stateless blocks by counter (bits) plus sequential draws.
/// e.g. rng r{42}; float w = r.normal<float>(0.f, 0.1f); auto layer1 = r.fold_in(1);
struct rng {
  // Mapping to Philox's words: key = {lo32(seed), hi32(seed)}; a draw counter c is the 4x32
  // counter {lo32(c), hi32(c), 0, 0}. fold_in uses the counter {lo32(d), hi32(d), 1, 0}, a
  // different input of the same bijection, so a derived key never equals a block of draws.
  std::uint64_t key = 0;

  explicit rng(std::uint64_t seed) : key(seed) {}

  /// An independent stream derived from this key and `data` (JAX's fold_in), e.g. one per layer.
  /// e.g. rng w1 = r.fold_in(0), w2 = r.fold_in(1);
  rng fold_in(std::uint64_t data) const {
    auto const b = detail::philox4x32_10({detail::lo32(data), detail::hi32(data), 1, 0}, words());
    return rng(std::uint64_t{b[0]} | std::uint64_t{b[1]} << 32);
  }

  /// Philox4x32-10 of (counter, key), independent of any draws made. e.g. r.bits(0)[3].
  std::array<std::uint32_t, 4> bits(std::uint64_t counter) const {
    return detail::philox4x32_10({detail::lo32(counter), detail::hi32(counter), 0, 0}, words());
  }

  /// The next 32 random bits: the words of bits(0), then of bits(1), ... in order.
  std::uint32_t next_u32() {
    if (word_ == 4) block_ = bits(counter_++), word_ = 0;
    return block_[word_++];
  }

  /// Uniform in [lo, hi): floating T uses 24 (float) or 53 (double) random bits; integral T is
  /// below(hi - lo) + lo. e.g. r.uniform<float>(-0.5f, 0.5f); r.uniform<int>(0, 6).
  template <class T>
  T uniform(T lo = 0, T hi = 1) {
    if constexpr (std::integral<T>) {
      if (!(lo < hi)) throw std::invalid_argument("rng::uniform: expected lo < hi");
      auto const span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
      return static_cast<T>(static_cast<std::uint64_t>(lo) + below(span));
    } else {
      static_assert(std::floating_point<T>, "rng::uniform: T must be an integral or floating type");
      T const u = static_cast<T>(unit<T>());
      T const v = lo + (hi - lo) * u;
      return v < hi ? v : std::nextafter(hi, lo);  // rounding can reach hi for u close to 1
    }
  }

  /// Normal deviate by Box-Muller; the second value of each pair is kept for the next call.
  /// e.g. r.normal<double>(0, 1).
  template <std::floating_point T>
  T normal(T mean = 0, T stddev = 1) {
    if (has_spare_) {
      has_spare_ = false;
      return mean + stddev * static_cast<T>(spare_);
    }
    auto const [z0, z1] = box_muller();
    spare_ = z1, has_spare_ = true;
    return mean + stddev * static_cast<T>(z0);
  }

  /// A uniform integer in [0, n), without modulo bias (rejection). e.g. r.below(10).
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("rng::below: expected n > 0, found 0");
    if (n <= (std::uint64_t{1} << 32)) {
      // Accept x < limit, the largest multiple of n not above 2^32: every residue equally often.
      std::uint64_t const limit = (std::uint64_t{1} << 32) / n * n;
      for (;;)
        if (std::uint64_t const x = next_u32(); x < limit) return x % n;
    }
    std::uint64_t const reject_below = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      std::uint64_t const x = std::uint64_t{next_u32()} | std::uint64_t{next_u32()} << 32;
      if (x >= reject_below) return x % n;
    }
  }

  /// Fills out[0, n) with uniform values in [lo, hi). e.g. r.fill_uniform(w.data(), w.size(), -a,
  /// a).
  template <class T>
  void fill_uniform(T* out, std::size_t n, T lo, T hi) {
    for (std::size_t i = 0; i < n; ++i) out[i] = uniform<T>(lo, hi);
  }

  /// Fills out[0, n) with normal values. e.g. r.fill_normal(w.data(), w.size(), 0.f, 0.02f).
  template <class T>
  void fill_normal(T* out, std::size_t n, T mean, T stddev) {
    for (std::size_t i = 0; i < n; ++i) out[i] = normal<T>(mean, stddev);
  }

  /// Fisher-Yates shuffle with below(), so a seed gives the same permutation everywhere
  /// (std::shuffle's algorithm is implementation-defined). e.g. r.shuffle(v.begin(), v.end()).
  template <std::random_access_iterator It>
  void shuffle(It first, It last) {
    using std::swap;
    auto const n = static_cast<std::uint64_t>(last - first);
    for (std::uint64_t i = n; i > 1; --i) {
      auto const j = below(i);
      swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
    }
  }

 private:
  std::array<std::uint32_t, 2> words() const { return {detail::lo32(key), detail::hi32(key)}; }

  // A value in [0, 1) with as many random bits as T's mantissa holds, so the cast to T is exact.
  template <class T>
  double unit() {
    if constexpr (std::numeric_limits<T>::digits <= 24) {
      return static_cast<double>(next_u32() >> 8) * 0x1p-24;
    } else {
      std::uint64_t const hi = next_u32() >> 5, lo = next_u32() >> 6;  // 27 + 26 = 53 bits
      return static_cast<double>(hi << 26 | lo) * 0x1p-53;
    }
  }

  std::pair<double, double> box_muller() {
    double const u1 = 1.0 - unit<double>();  // (0, 1]: log(u1) stays finite
    double const u2 = unit<double>();
    double const r = std::sqrt(-2.0 * std::log(u1));
    double const t = 2.0 * std::numbers::pi * u2;
    return {r * std::cos(t), r * std::sin(t)};
  }

  std::uint64_t counter_ = 0;  // next block for next_u32
  std::array<std::uint32_t, 4> block_{};
  int word_ = 4;  // next word of block_; 4 = exhausted
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace metagrad
