// matmul through the BLAS (built with METAGRAD_CBLAS=1 and linked to one): every transpose
// combination, folded and broadcast batches, float and double, against a plain triple loop; small
// products (Eigen's path) in the same program; gradients against finite differences.
#include "support/check.hpp"

namespace mg = metagrad;
static_assert(METAGRAD_CBLAS == 1, "this test is built with the BLAS path on");

namespace {
/// C = op(A) op(B) in long double, row-major, for the reference.
template <class T>
std::vector<long double> reference(T const* a, T const* b, mg::index_t m, mg::index_t k,
                                   mg::index_t n, bool ta, bool tb) {
  std::vector<long double> c(static_cast<std::size_t>(m * n));
  for (mg::index_t i = 0; i < m; ++i)
    for (mg::index_t j = 0; j < n; ++j) {
      long double s = 0;
      for (mg::index_t p = 0; p < k; ++p)
        s += static_cast<long double>(ta ? a[p * m + i] : a[i * k + p]) *
             static_cast<long double>(tb ? b[j * k + p] : b[p * n + j]);
      c[static_cast<std::size_t>(i * n + j)] = s;
    }
  return c;
}
template <class C>
void check_against(C const& got, std::vector<long double> const& want, double tol) {
  REQUIRE(static_cast<std::size_t>(got.size()) == want.size());
  int bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i)
    bad += std::fabs(static_cast<double>(got.data()[i]) - static_cast<double>(want[i])) >
           tol * (1 + std::fabs(static_cast<double>(want[i])));
  CHECK(bad == 0);
}

template <class T>
void every_transpose() {
  constexpr mg::index_t m = 70, k = 50, n = 40;  // 140000 multiply-adds: the BLAS path
  double const tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;
  auto a = mgt::random<mg::shape<m, k>, T>(1);
  auto at = mgt::random<mg::shape<k, m>, T>(2);
  auto b = mgt::random<mg::shape<k, n>, T>(3);
  auto bt = mgt::random<mg::shape<n, k>, T>(4);
  check_against(mg::eval(mg::matmul(a, b)), reference(a.data(), b.data(), m, k, n, false, false),
                tol);
  check_against(mg::eval(mg::matmul(a, mg::transpose(bt))),
                reference(a.data(), bt.data(), m, k, n, false, true), tol);
  check_against(mg::eval(mg::matmul(mg::transpose(at), b)),
                reference(at.data(), b.data(), m, k, n, true, false), tol);
  check_against(mg::eval(mg::matmul(mg::transpose(at), mg::transpose(bt))),
                reference(at.data(), bt.data(), m, k, n, true, true), tol);
  // Run-time extents: the same through dyn shapes.
  mg::tensor<T, mg::shape<mg::dyn, k>> ad(mg::extents<2>{{m, k}});
  std::copy(a.begin(), a.end(), ad.begin());
  check_against(mg::eval(mg::matmul(ad, b)), reference(a.data(), b.data(), m, k, n, false, false),
                tol);
}
}  // namespace

TEST_CASE("matmul on the BLAS: every transpose, float and double, static and dyn") {
  every_transpose<float>();
  every_transpose<double>();
}

TEST_CASE("matmul on the BLAS: a folded batch, a broadcast batch, and small products on Eigen") {
  auto x = mgt::random<mg::shape<3, 40, 30>>(5);
  auto w = mgt::random<mg::shape<30, 35>>(6);
  auto y = mg::eval(mg::matmul(x, w));  // (120, 30) x (30, 35), one GEMM
  check_against(y, reference(x.data(), w.data(), 120, 30, 35, false, false), 1e-12);
  auto wb = mgt::random<mg::shape<3, 30, 35>>(7);
  auto yb = mg::eval(mg::matmul(x, wb));  // one GEMM per batch entry
  for (mg::index_t i = 0; i < 3; ++i) {
    auto want = reference(x.data() + i * 1200, wb.data() + i * 1050, 40, 30, 35, false, false);
    for (mg::index_t j = 0; j < 40 * 35; ++j)
      CHECK(yb.data()[i * 1400 + j] ==
            doctest::Approx(static_cast<double>(want[static_cast<std::size_t>(j)])).epsilon(1e-12));
  }
  auto s = mgt::random<mg::shape<5, 4>>(8);
  auto t = mgt::random<mg::shape<4, 3>>(9);
  check_against(mg::eval(mg::matmul(s, t)), reference(s.data(), t.data(), 5, 4, 3, false, false),
                1e-12);
}

TEST_CASE("matmul on the BLAS: gradients against finite differences") {
  auto a = mgt::random<mg::shape<40, 30>>(10);
  auto b = mgt::random<mg::shape<30, 32>>(11);
  mgt::check_grads([](auto const& x, auto const& y) { return mg::tanh(mg::matmul(x, y)); }, a, b);
}

#if defined(OPENBLAS_VERSION)
TEST_CASE("set_num_threads sets OpenBLAS's thread count too") {
  int const before = mg::num_threads();
  mg::set_num_threads(1);
  CHECK(openblas_get_num_threads() == 1);
  mg::set_num_threads(2);
  CHECK(openblas_get_num_threads() == 2);
  mg::set_num_threads(before);
}
#endif
