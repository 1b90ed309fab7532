// A subexpression used several times (copies in the expression tree, or equal ones written
// twice) is computed once by trace, and the reverse pass sums its uses' cotangents before it
// walks below it once; the gradients are those of the plain formula.
#include <cmath>
#include <vector>

#include "support/check.hpp"

namespace mg = metagrad;

namespace {
mg::tensor<double, mg::shape<3, 4>> make_x() {
  mg::tensor<double, mg::shape<3, 4>> x;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) x(i, j) = 0.1 * (i + 1) - 0.05 * j * j + 0.02 * i * j;
  return x;
}
mg::tensor<double, mg::shape<4, 2>> make_w() {
  mg::tensor<double, mg::shape<4, 2>> w;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j) w(i, j) = 0.3 - 0.1 * i + 0.25 * j;
  return w;
}
}  // namespace

TEST_CASE("trace computes copies of a subexpression once: they share one value") {
  auto x = make_x();
  auto w = make_w();
  auto m = mg::matmul(x, w);
  auto e = m + m * mg::matmul(x, w);  // two copies of m and one equal expression written again
  mg::detail::scratch_scope scope;
  auto t = mg::trace(e);
  auto const& first = mg::detail::get<0>(t.args);
  auto const& product = mg::detail::get<1>(t.args);
  CHECK(first.ptr == mg::detail::get<0>(product.args).ptr);
  CHECK(first.ptr == mg::detail::get<1>(product.args).ptr);
}

TEST_CASE("a reverse pass's trace keeps a costly elementwise node; eval's memoizes it") {
  auto x = make_x();
  auto w = make_w();
  auto t = mg::tanh(mg::matmul(x, w));
  auto e = t * mg::sigmoid(t);
  mg::detail::scratch_scope scope;
  // eval's: computed once per chunk of the fused loop that reads it, never stored whole.
  auto fused = mg::trace(e);
  static_assert(mg::is_memo<std::remove_cvref_t<decltype(mg::detail::get<0>(fused.args))>>);
  // grad's, vjp's, jvp's and scan's: computed once, kept for the cotangents that read it.
  auto kept = mg::trace<mg::detail::costly_nodes::keep>(e);
  using K = std::remove_cvref_t<decltype(mg::detail::get<0>(kept.args))>;
  static_assert(mg::is_cached<K> && std::is_same_v<typename K::op_type, mg::tanh_op>);
  auto const& tv = mg::detail::get<0>(kept.args);
  auto m = mg::eval(mg::matmul(x, w));
  for (int i = 0; i < 6; ++i) CHECK(tv.ptr[i] == doctest::Approx(std::tanh(m.data()[i])));
  auto plain = mg::eval(e), from_fused = mg::eval(fused), from_kept = mg::eval(kept);
  for (int i = 0; i < 6; ++i) {
    CHECK(from_fused.data()[i] == plain.data()[i]);
    CHECK(from_kept.data()[i] == plain.data()[i]);
  }
  // Gradients through it (read by several cotangents) against finite differences.
  mgt::check_grads(
      [](auto const& x, auto const& w) {
        auto t = mg::tanh(mg::matmul(x, w));
        return mg::sum(t * mg::sigmoid(t) + mg::exp(t) * t);
      },
      x, w);
}

TEST_CASE("a traced node is a view and a pointer, however deep the graph below it") {
  // Derivative expressions copy the trace's nodes wherever a rule reads them; a node that held
  // its args by value made each copy one of its whole subtree.
  auto x = make_x();
  auto w = make_w();
  mg::tensor<double, mg::shape<2, 2>> v{{0.5, -0.25}, {0.75, 1.0}};
  auto h = mg::tanh(mg::matmul(x, w));  // (3, 2)
  auto deep = mg::matmul(mg::tanh(mg::matmul(mg::tanh(mg::matmul(h, v)), v)), v);
  mg::detail::scratch_scope scope;
  auto shallow_t = mg::trace(mg::matmul(x, w));
  auto deep_t = mg::trace(deep);
  CHECK(sizeof(deep_t) == sizeof(shallow_t));
  CHECK(sizeof(deep_t) <= sizeof(mg::tensor_view<double, mg::shape<3, 2>>) + sizeof(void*));
  // Its args are still there for the derivative rules: the matmul's rhs is v.
  CHECK(mg::detail::get<1>(deep_t.args).ptr == v.data());
  auto const& below = mg::detail::get<0>(deep_t.args);  // tanh(...), traced
  auto expected = mg::eval(mg::tanh(mg::matmul(mg::tanh(mg::matmul(h, v)), v)));
  auto got = mg::eval(below);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) CHECK(got(i, j) == doctest::Approx(expected(i, j)));
}

TEST_CASE("scratch objects: destroyed, newest first, when their scope hands the memory back") {
  struct probe {
    std::vector<int>* log;
    int id;
    ~probe() { log->push_back(id); }
  };
  std::vector<int> log;
  {
    mg::detail::scratch_scope outer;
    mg::detail::scratch::make<probe>(&log, 1);
    {
      mg::detail::scratch_scope inner;
      mg::detail::scratch::make<probe>(&log, 2);
      mg::detail::scratch::make<probe>(&log, 3);
    }
    CHECK(log == std::vector<int>{3, 2});
    auto* p = mg::detail::scratch::make<probe>(&log, 4);
    CHECK(p->id == 4);
  }
  CHECK(log == std::vector<int>{3, 2, 4, 1});
}

TEST_CASE("the gradient through a subexpression used three times is the sum of its uses") {
  auto x = make_x();
  auto w = make_w();
  // f(w) = Σ m + Σ m² + Σ tanh(m), m = x w: df/dm = 1 + 2m + 1 - tanh²(m); df/dw = xᵀ df/dm
  auto f = [&](auto const& w) {
    auto m = mg::matmul(x, w);
    return mg::sum(m) + mg::sum(m * m) + mg::sum(mg::tanh(m));
  };
  auto [value, g] = mg::value_and_grad(f)(w);
  double expect_value = 0;
  mg::tensor<double, mg::shape<4, 2>> expect;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 2; ++j) expect(k, j) = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      double m = 0;
      for (int k = 0; k < 4; ++k) m += x(i, k) * w(k, j);
      expect_value += m + m * m + std::tanh(m);
      double d = 1 + 2 * m + 1 - std::tanh(m) * std::tanh(m);
      for (int k = 0; k < 4; ++k) expect(k, j) += x(i, k) * d;
    }
  CHECK(value.item() == doctest::Approx(expect_value).epsilon(1e-12));
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 2; ++j) CHECK(g(k, j) == doctest::Approx(expect(k, j)).epsilon(1e-12));
}

TEST_CASE("shared nodes at several depths: each walked once, after all of its uses") {
  auto x = make_x();
  auto w = make_w();
  mg::tensor<double, mg::shape<2, 2>> v{{0.5, -0.25}, {0.125, 0.75}};
  // m = x w is used directly and through n = tanh(m) v, which is itself used twice.
  auto f = [&](auto const& w, auto const& v) {
    auto m = mg::matmul(x, w);
    auto n = mg::matmul(mg::tanh(m), v);
    return mg::sum(n * n) + mg::sum(n) + mg::sum(m);
  };
  auto [value, g] = mg::value_and_grad<0, 1>(f)(w, v);
  // by hand: dn = 2n + 1; dv = tanh(m)ᵀ dn; dm = (dn vᵀ)(1 - tanh²m) + 1; dw = xᵀ dm
  double m[3][2], t[3][2], n[3][2], expect_value = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      m[i][j] = 0;
      for (int k = 0; k < 4; ++k) m[i][j] += x(i, k) * w(k, j);
      t[i][j] = std::tanh(m[i][j]);
    }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      n[i][j] = t[i][0] * v(0, j) + t[i][1] * v(1, j);
      expect_value += n[i][j] * n[i][j] + n[i][j] + m[i][j];
    }
  double dv[2][2] = {}, dw[4][2] = {};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      double dn_j[2] = {2 * n[i][0] + 1, 2 * n[i][1] + 1};
      for (int a = 0; a < 2; ++a) dv[j][a] += t[i][j] * dn_j[a];
      double dm = (dn_j[0] * v(j, 0) + dn_j[1] * v(j, 1)) * (1 - t[i][j] * t[i][j]) + 1;
      for (int k = 0; k < 4; ++k) dw[k][j] += x(i, k) * dm;
    }
  CHECK(value.item() == doctest::Approx(expect_value).epsilon(1e-12));
  auto const& gw = std::get<0>(g);
  auto const& gv = std::get<1>(g);
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 2; ++j) CHECK(gw(k, j) == doctest::Approx(dw[k][j]).epsilon(1e-12));
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) CHECK(gv(a, b) == doctest::Approx(dv[a][b]).epsilon(1e-12));
}
