// share(e): a value a graph uses many times is held once. A chain that reuses its value three
// times per level is 3^depth copies without it; with it, copies are a pointer, eval and the
// transformations compute each shared value once, and the results are those of the plain formula.
#include <cmath>

#include "support/check.hpp"

namespace mg = metagrad;

namespace {
/// x, then depth levels of h -> tanh(h) * h + 0.01 * sum(h): each level reads h three times.
template <int Depth, class X>
auto chain(X const& x) {
  if constexpr (Depth == 0) {
    return mg::as_expr(x);
  } else {
    auto h = mg::share(chain<Depth - 1>(x));
    return mg::tanh(h) * h + mg::sum(h, mg::keepdims) * 0.01;
  }
}
constexpr int depth = 8;

/// The same chain in plain C++ (the formula the test compares against).
double chain_loop(double const* x0, int n, int levels) {
  std::vector<double> h(x0, x0 + n);
  for (int k = 0; k < levels; ++k) {
    double s = 0;
    for (double v : h) s += v;
    for (double& v : h) v = std::tanh(v) * v + 0.01 * s;
  }
  double total = 0;
  for (double v : h) total += v;
  return total;
}

auto loss = [](auto const& x) { return mg::sum(chain<depth>(x)); };
}  // namespace

TEST_CASE("share: copies are small, and eval computes the formula") {
  mg::tensor<double, mg::shape<4>> x{0.3, -0.2, 0.5, 0.1};
  auto e = loss(x);
  // Without share this object would hold 3^8 copies of x's view.
  CHECK(sizeof(e) < 1024);
  CHECK(mg::eval(e).item() == doctest::Approx(chain_loop(x.data(), 4, depth)).epsilon(1e-12));
}

TEST_CASE("share: trace computes a shared value once, and its copies read it") {
  mg::tensor<double, mg::shape<2, 2>> a{{1, 2}, {3, 4}};
  auto h = mg::share(mg::matmul(a, a) + 1.0);
  auto e = h * h;
  mg::detail::scratch_scope scope;
  auto t = mg::trace(e);
  auto const& left = mg::detail::get<0>(t.args);
  auto const& right = mg::detail::get<1>(t.args);
  CHECK(left.key() == right.key());
  CHECK(left.inner().ptr == right.inner().ptr);
  CHECK(left.inner().ptr[3] == 23.0);  // (a a)(1,1) + 1 = 3*2 + 4*4 + 1
}

TEST_CASE("share: grad and jvp through a deep shared chain match finite differences") {
  mg::tensor<double, mg::shape<4>> x{0.3, -0.2, 0.5, 0.1};
  mg::tensor<double, mg::shape<4>> v{1.0, 0.5, -0.25, 2.0};
  auto g = mg::grad(loss)(x);
  double const eps = 1e-6;
  double gv = 0;
  for (int i = 0; i < 4; ++i) {
    mg::tensor<double, mg::shape<4>> xp = x, xm = x;
    xp(i) += eps;
    xm(i) -= eps;
    double fd = (chain_loop(xp.data(), 4, depth) - chain_loop(xm.data(), 4, depth)) / (2 * eps);
    CHECK(g(i) == doctest::Approx(fd).epsilon(1e-7));
    gv += g(i) * v(i);
  }
  auto [y, dy] = mg::jvp(loss, std::tuple{x}, std::tuple{v});
  CHECK(y.item() == doctest::Approx(chain_loop(x.data(), 4, depth)).epsilon(1e-12));
  CHECK(dy.item() == doctest::Approx(gv).epsilon(1e-10));
}

// Second order composes through share (shallow: grad of grad walks a shared value once per use,
// so its cost grows with the number of paths). In the sanitizer build too, now that it has no
// debug info: with -g this test exhausted the compiler's memory (23 GB); with -g0 it compiles
// in 16 s and 0.7 GB.
TEST_CASE("share: grad of grad and hvp through a shared value match finite differences") {
  mg::tensor<double, mg::shape<4>> x{0.3, -0.2, 0.5, 0.1};
  mg::tensor<double, mg::shape<4>> v{1.0, 0.5, -0.25, 2.0};
  double const eps = 1e-6;
  auto shallow = [](auto const& x) { return mg::sum(chain<1>(x)); };
  mgt::check_grads([&](auto const& x) { return mg::sum(mg::grad(shallow)(x) * x); }, x);
  auto hv = mg::hvp(shallow, x, v);
  auto gp = mg::grad(shallow)(mg::eval(x + eps * v));
  auto gm = mg::grad(shallow)(mg::eval(x - eps * v));
  for (int i = 0; i < 4; ++i)
    CHECK(hv(i) == doctest::Approx((gp(i) - gm(i)) / (2 * eps)).epsilon(1e-6));
}

TEST_CASE("share: a leaf or a shared value is returned as it is") {
  mg::tensor<float, mg::shape<3>> x{1, 2, 3};
  static_assert(std::is_same_v<decltype(mg::share(x)), decltype(x.view())>);
  auto s = mg::share(x + 1.0f);
  static_assert(std::is_same_v<decltype(mg::share(s)), decltype(s)>);
  CHECK(mg::share(s).key() == s.key());
  auto copy = s;
  CHECK(copy.key() == s.key());
  CHECK(mg::eval(copy + s)(2) == 8.0f);
}
