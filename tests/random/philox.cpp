// SPDX-License-Identifier: MIT
// rng (Philox4x32-10): Random123's known-answer vectors, the (seed, counter) mapping, and
// statistical checks of uniform, normal, below and shuffle.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include <metagrad/random/philox.hpp>

namespace mg = metagrad;
using words = std::array<std::uint32_t, 4>;

TEST_CASE("philox4x32_10 reproduces Random123's known-answer vectors") {
  // kat_vectors of Random123 1.09 (philox4x32 10 rounds).
  CHECK(mg::detail::philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(mg::detail::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                  {0xffffffff, 0xffffffff}) ==
        words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(mg::detail::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                                  {0xa4093822, 0x299f31d0}) ==
        words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
  // It is constexpr: a compile-time check of the first vector.
  static_assert(mg::detail::philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5);
}

TEST_CASE("rng::bits maps (counter, seed) to Philox's words as documented") {
  // Reference values from an independent Python Philox with ctr = {lo, hi, 0, 0}, key = {lo, hi}.
  CHECK(mg::rng(0).bits(0) == words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(mg::rng(42).bits(7) == words{0x5bbd83b1, 0x68784c85, 0x172067aa, 0x2e6b75b7});
  CHECK(mg::rng(0x0123456789abcdefULL).bits(0xfedcba9876543210ULL) ==
        words{0x2c03a599, 0xd8a290fc, 0x4339955b, 0x8784c033});
}

TEST_CASE("next_u32 walks the blocks of bits in order; same seed, same sequence") {
  mg::rng a(42), b(42), c(43);
  std::vector<std::uint32_t> seq;
  for (int i = 0; i < 12; ++i) seq.push_back(a.next_u32());
  for (std::uint64_t blk = 0; blk < 3; ++blk)
    for (int w = 0; w < 4; ++w) CHECK(seq[blk * 4 + w] == a.bits(blk)[w]);
  for (int i = 0; i < 12; ++i) CHECK(b.next_u32() == seq[i]);
  int same = 0;
  for (int i = 0; i < 12; ++i) same += c.next_u32() == seq[i];
  CHECK(same == 0);
}

TEST_CASE("fold_in gives distinct, reproducible streams") {
  mg::rng r(7);
  CHECK(r.fold_in(0).key != r.fold_in(1).key);
  CHECK(r.fold_in(0).key != r.key);
  CHECK(r.fold_in(5).key == mg::rng(7).fold_in(5).key);
  CHECK(r.fold_in(5).key != mg::rng(8).fold_in(5).key);
  auto s0 = r.fold_in(0), s1 = r.fold_in(1);
  int same = 0;
  for (int i = 0; i < 64; ++i) same += s0.next_u32() == s1.next_u32();
  CHECK(same == 0);
}

TEST_CASE_TEMPLATE("uniform stays in [lo, hi) with the right mean and variance", T, float, double) {
  mg::rng r(1);
  int const n = 200'000;
  double sum = 0, sq = 0;
  T const lo = -2, hi = 3;
  int outside = 0;
  for (int i = 0; i < n; ++i) {
    T const v = r.uniform<T>(lo, hi);
    outside += !(v >= lo && v < hi);
    sum += v, sq += double(v) * v;
  }
  CHECK(outside == 0);
  double const mean = sum / n, var = sq / n - mean * mean;
  // U(-2, 3): mean 0.5, variance 25/12; standard error of the mean sqrt(25/12/n) ~ 0.0032.
  CHECK(std::abs(mean - 0.5) < 5 * std::sqrt(25.0 / 12 / n));
  CHECK(var == doctest::Approx(25.0 / 12).epsilon(0.01));
  // Defaults are [0, 1).
  T const u = r.uniform<T>();
  CHECK((u >= 0 && u < 1));
}

TEST_CASE("uniform<int> covers [lo, hi) including negative bounds") {
  mg::rng r(3);
  std::array<int, 5> count{};
  for (int i = 0; i < 5000; ++i) {
    int const v = r.uniform<int>(-2, 3);
    REQUIRE(v >= -2);
    REQUIRE(v < 3);
    ++count[static_cast<std::size_t>(v + 2)];
  }
  for (int c : count) CHECK(c > 800);
  CHECK_THROWS_AS(r.uniform<int>(3, 3), std::invalid_argument);
}

TEST_CASE_TEMPLATE("normal has the requested mean and standard deviation", T, float, double) {
  mg::rng r(2);
  int const n = 200'000;
  std::vector<T> v(n);
  r.fill_normal(v.data(), v.size(), T(1.5), T(0.5));
  double sum = 0, sq = 0, fourth = 0;
  for (T x : v) sum += x;
  double const mean = sum / n;
  for (T x : v) sq += (x - mean) * (x - mean), fourth += std::pow(x - mean, 4);
  double const var = sq / n;
  CHECK(std::abs(mean - 1.5) < 5 * 0.5 / std::sqrt(n));
  CHECK(std::sqrt(var) == doctest::Approx(0.5).epsilon(0.01));
  CHECK(fourth / n / (var * var) == doctest::Approx(3.0).epsilon(0.03));  // normal kurtosis
  CHECK(std::all_of(v.begin(), v.end(), [](T x) { return std::isfinite(x); }));
}

TEST_CASE("below is unbiased: chi-square over 7 bins") {
  mg::rng r(11);
  std::uint64_t const k = 7;
  int const n = 70'000;
  std::array<int, 7> count{};
  for (int i = 0; i < n; ++i) {
    auto const v = r.below(k);
    REQUIRE(v < k);  // before indexing count
    ++count[v];
  }
  double chi2 = 0, expected = double(n) / k;
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 22.46);  // chi-square with 6 degrees of freedom, p = 0.001
  CHECK(r.below(1) == 0);
  CHECK_THROWS_AS(r.below(0), std::invalid_argument);
  // The 64-bit path (n > 2^32) stays in range.
  std::uint64_t const big = (std::uint64_t{1} << 40) + 3;
  int outside = 0;
  for (int i = 0; i < 1000; ++i) outside += r.below(big) >= big;
  CHECK(outside == 0);
}

TEST_CASE("fill_uniform matches repeated uniform calls") {
  mg::rng a(9), b(9);
  std::vector<float> v(100);
  a.fill_uniform(v.data(), v.size(), -1.f, 1.f);
  for (float x : v) CHECK(x == b.uniform<float>(-1.f, 1.f));
}

TEST_CASE("shuffle is a permutation, deterministic per seed, and moves every position") {
  std::vector<int> base(1000);
  std::iota(base.begin(), base.end(), 0);
  auto a = base, b = base, c = base;
  mg::rng(5).shuffle(a.begin(), a.end());
  mg::rng(5).shuffle(b.begin(), b.end());
  mg::rng(6).shuffle(c.begin(), c.end());
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != base);
  CHECK(std::is_permutation(a.begin(), a.end(), base.begin()));
  // Over many shuffles of 4 items, each item lands in position 0 about a quarter of the time.
  mg::rng r(8);
  std::array<int, 4> first{};
  for (int t = 0; t < 8000; ++t) {
    std::array<int, 4> s{0, 1, 2, 3};
    r.shuffle(s.begin(), s.end());
    ++first[static_cast<std::size_t>(s[0])];
  }
  double chi2 = 0;
  for (int f : first) chi2 += (f - 2000.0) * (f - 2000.0) / 2000.0;
  CHECK(chi2 < 16.27);  // 3 degrees of freedom, p = 0.001
}
