// The cpu policy's GEMM (backend/cpu/gemm.hpp) against a double-precision triple loop: every
// transpose, overwrite and accumulate, strided operands, sizes around the register tile and the
// cache blocks (edges, depth 0 and 1, several depth slices and column blocks), float and double,
// one and two threads (the same bits). This file is also compiled with -mavx2 -mfma and with
// -march=native into binaries of their own (tests/CMakeLists.txt), so that each vector width's
// kernel runs: the main test binary is built for the baseline instruction set (SSE2), where
// matmul and conv2d use Eigen's GEMM but this test calls metagrad's directly.
#include <cmath>
#include <random>
#include <vector>

#include "support/check.hpp"

namespace mg = metagrad;
using mg::index_t;

namespace {

/// One product: op(A) (m x k) op(B) (k x n) into C (m x n), each with a row stride wider than
/// its rows (the padding must stay untouched). Returns C and checks it against the triple loop.
template <class T>
std::vector<T> check_product(bool ta, bool tb, bool add, index_t m, index_t n, index_t k,
                             index_t b_pad = 1) {
  std::mt19937 gen(static_cast<unsigned>(m * 131 + n * 17 + k * 3 + ta + 2 * tb + 4 * add));
  std::uniform_real_distribution<double> d(-1, 1);
  index_t const lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + b_pad, ldc = n + 2;
  std::vector<T> a(static_cast<std::size_t>((ta ? k : m) * lda)),
      b(static_cast<std::size_t>((tb ? n : k) * ldb)), c(static_cast<std::size_t>(m * ldc));
  for (auto& v : a) v = static_cast<T>(d(gen));
  for (auto& v : b) v = static_cast<T>(d(gen));
  for (auto& v : c) v = static_cast<T>(d(gen));
  std::vector<T> const before = c;
  mg::detail::gemm<T>({ta, tb, add, m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc});
  double worst = 0;
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < n; ++j) {
      double s = add ? double(before[std::size_t(i * ldc + j)]) : 0.0;
      for (index_t p = 0; p < k; ++p)
        s += double(a[std::size_t(ta ? p * lda + i : i * lda + p)]) *
             double(b[std::size_t(tb ? j * ldb + p : p * ldb + j)]);
      worst = std::max(worst, std::abs(double(c[std::size_t(i * ldc + j)]) - s));
    }
    for (index_t j = n; j < ldc; ++j)  // the row's padding
      REQUIRE(c[std::size_t(i * ldc + j)] == before[std::size_t(i * ldc + j)]);
  }
  double const tol = (std::is_same_v<T, float> ? 2e-6 : 1e-14) * double(k + 1);
  INFO("ta " << ta << " tb " << tb << " add " << add << " m " << m << " n " << n << " k " << k);
  CHECK(worst <= tol);
  return c;
}

template <class T>
void check_sizes(std::initializer_list<index_t> ms, std::initializer_list<index_t> ns,
                 std::initializer_list<index_t> ks) {
  for (index_t m : ms)
    for (index_t n : ns)
      for (index_t k : ks)
        for (int f = 0; f < 8; ++f) check_product<T>(f & 1, f & 2, f & 4, m, n, k);
}

}  // namespace

TEST_CASE("gemm: every transpose and edge against a triple loop, float") {
  using B = mg::detail::gemm_blocking<float>;
  mg::set_num_threads(1);
  // Around the tile (mr rows, nr columns: two vectors of lanes), a depth of 0, 1 and past one
  // slice (kc).
  check_sizes<float>({1, B::mr - 1, B::mr, B::mr + 1, 3 * B::mr + 5},
                     {1, B::lanes, B::nr - 1, B::nr, B::nr + 3, B::nr + B::lanes, 2 * B::nr + 7},
                     {0, 1, 7, B::kc + 9});
  // More than one block of columns (nc).
  check_product<float>(false, false, false, 5, B::nc + B::nr + 3, 20);
  check_product<float>(false, true, true, 5, B::nc + 1, 20);
  // Empty products (a batch of no rows) leave C as it is.
  for (int f = 0; f < 8; ++f) {
    check_product<float>(f & 1, f & 2, f & 4, 0, 7, 5);
    check_product<float>(f & 1, f & 2, f & 4, 7, 0, 5);
    check_product<float>(f & 1, f & 2, f & 4, 0, 0, 0);
  }
  // B's rows 2 KB apart and many row panels: B is packed although not transposed.
  for (bool add : {false, true}) {
    check_product<float>(false, false, add, 6 * B::mr + 1, 500, 40, 12);
    check_product<double>(false, false, add, 6 * mg::detail::gemm_blocking<double>::mr + 1, 250, 40,
                          6);
  }
}

TEST_CASE("gemm: every transpose and edge against a triple loop, double") {
  using B = mg::detail::gemm_blocking<double>;
  mg::set_num_threads(1);
  check_sizes<double>({1, B::mr, B::mr + 1, 2 * B::mr + 3}, {1, B::nr, B::nr + 3, 2 * B::nr + 1},
                      {0, 1, 9, B::kc + 3});
}

TEST_CASE("gemm: two threads give one thread's bits") {
  // Large enough to split (parallel_min_work multiply-adds): by rows, then by columns.
  for (auto [m, n, k] : {std::array<index_t, 3>{300, 40, 200}, {24, 700, 150}}) {
    for (int f = 0; f < 8; ++f) {
      mg::set_num_threads(1);
      auto const one = check_product<float>(f & 1, f & 2, f & 4, m, n, k);
      mg::set_num_threads(2);
      auto const two = check_product<float>(f & 1, f & 2, f & 4, m, n, k);
      mg::set_num_threads(1);
      CHECK(one == two);
    }
  }
}

TEST_CASE("gemm: a transposed B in invariant memory is packed once per loop, and only then") {
  // B^T (n x k) spans two depth slices and two column blocks; a loop (invariant_scope) packs
  // each block once and reuses it, with the same bits as packing it every time.
  using B = mg::detail::gemm_blocking<float>;
  index_t const m = 5, n = B::nc + B::nr + 3, k = B::kc + 7;
  std::vector<float> a(std::size_t(m * k)), b(std::size_t(n * k));
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& v : a) v = d(gen);
  for (auto& v : b) v = d(gen);
  auto product = [&](std::vector<float> const& bt) {
    std::vector<float> c(std::size_t(m * n));
    mg::detail::gemm<float>({false, true, false, m, n, k, a.data(), k, bt.data(), k, c.data(), n});
    return c;
  };
  mg::set_num_threads(1);
  auto const fresh = product(b);
  auto& kept = mg::detail::gemm_kept_packs<float>::local();
  {
    mg::tensor_view<float, mg::shape<mg::dyn>> param(b.data(), mg::extents<1>{{index_t(b.size())}});
    mg::detail::invariant_scope loop(param);
    CHECK(product(b) == fresh);
    std::size_t const blocks = kept.entries.size();
    CHECK(blocks == 4);  // two depth slices x two column blocks
    CHECK(product(b) == fresh);
    CHECK(kept.entries.size() == blocks);  // reused, not packed again
    // Memory outside the registered range is packed on every call: a copy that changes
    // between calls gives the new product.
    auto other = b;
    other[0] += 1.0f;
    auto const changed = product(other);
    CHECK(changed != fresh);
    CHECK(kept.entries.size() == blocks);
  }
  // The loop is over: the parameter changes (an optimizer step), and the next loop packs anew.
  b[0] += 1.0f;
  auto const updated = product(b);
  {
    mg::tensor_view<float, mg::shape<mg::dyn>> param(b.data(), mg::extents<1>{{index_t(b.size())}});
    mg::detail::invariant_scope loop(param);
    CHECK(product(b) == updated);
  }
  CHECK(updated != fresh);
}

TEST_CASE("gemm: A read in place or packed, the same bits") {
  // Panels of at most gemm_in_place_rows rows of an untransposed A are read in place, unless A's
  // rows are a multiple of 4 KB apart: then they are packed. Both sum in the same order.
  index_t const m = 5, n = 40, k = 300;
  auto product = [&](index_t lda) {
    std::vector<float> a(std::size_t(m * lda)), b(std::size_t(k * n)), c(std::size_t(m * n));
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> d(-1, 1);
    for (index_t i = 0; i < m; ++i)
      for (index_t p = 0; p < k; ++p) a[std::size_t(i * lda + p)] = d(gen);
    for (auto& v : b) v = d(gen);
    mg::detail::gemm<float>(
        {false, false, false, m, n, k, a.data(), lda, b.data(), n, c.data(), n});
    return c;
  };
  mg::set_num_threads(1);
  CHECK(product(1024) == product(1027));  // 4 KB apart: packed; else in place
  CHECK(product(1024) == product(k));
}
