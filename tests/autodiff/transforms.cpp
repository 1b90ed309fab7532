// grad, value_and_grad, vjp, jvp and their compositions: second derivatives against PyTorch
// (forward-over-reverse and reverse-over-reverse), argument subsets, reuse, dyn extents.
#include "reference/second_order.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

TEST_CASE(
    "hvp of sum(tanh(x @ w)) matches PyTorch, forward-over-reverse and reverse-over-reverse") {
  namespace r = ref::hvp_tanh_matmul;
  using SX = mg::shape<3, 4>;
  auto x = from<SX>(r::x);
  auto w = from<mg::shape<4, 2>>(r::w);
  auto v = from<SX>(r::v);
  auto f = [&](auto const& x) { return mg::sum(mg::tanh(mg::matmul(x, w))); };

  auto [value, g] = mg::value_and_grad(f)(x);
  mgt::check_close(value, r::value, 1e-12, 1e-12, "value");
  mgt::check_close(g, r::grad_x, 1e-12, 1e-12, "grad");

  mgt::check_close(mg::hvp(f, x, v), r::hvp, 1e-10, 1e-12, "jvp of grad");
  auto g_dot_v = [&](auto const& x) { return mg::sum(mg::grad(f)(x) * v); };
  mgt::check_close(mg::grad(g_dot_v)(x), r::hvp, 1e-10, 1e-12, "grad of grad");
}

TEST_CASE("hvp of sum(sigmoid(x) * x * x) matches PyTorch") {
  namespace r = ref::hvp_sigmoid_mul;
  using S = mg::shape<5>;
  auto f = [](auto const& x) { return mg::sum(mg::sigmoid(x) * x * x); };
  auto x = from<S>(r::x);
  auto v = from<S>(r::v);
  mgt::check_close(mg::grad(f)(x), r::grad_x, 1e-12, 1e-12, "grad");
  mgt::check_close(mg::hvp(f, x, v), r::hvp, 1e-10, 1e-12, "hvp");
}

TEST_CASE("second derivative of a scalar function: grad(grad(f))") {
  auto f = [](auto const& t) { return t * t * t - 2.0 * t; };  // f'' = 6t
  mg::tensor<double, mg::shape<>> t{1.5};
  auto d2 = mg::grad(mg::grad(f))(t);
  CHECK(d2.item() == doctest::Approx(9.0));
  auto d3 = mg::grad(mg::grad(mg::grad(f)))(t);
  CHECK(d3.item() == doctest::Approx(6.0));
}

TEST_CASE("jvp of jvp: the mixed second directional derivative u^T H v") {
  auto f = [](auto const& x) { return mg::sum(mg::exp(x) * x); };  // H = diag(e^x (x + 2))
  mg::tensor<double, mg::shape<3>> x{0.1, -0.4, 0.7}, u{1, 2, 3}, v{-1, 0.5, 2};
  auto dfv = [&](auto const& y) { return mg::jvp(f, std::tuple{y}, std::tuple{v}).second; };
  auto uhv = mg::jvp(dfv, std::tuple{x}, std::tuple{u}).second.item();
  double want = 0;
  for (int i = 0; i < 3; ++i) want += u(i) * std::exp(x(i)) * (x(i) + 2) * v(i);
  CHECK(uhv == doctest::Approx(want).epsilon(1e-12));
}

TEST_CASE("gradients w.r.t. a subset of arguments; reused and unused arguments") {
  mg::tensor<double, mg::shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
  mg::tensor<double, mg::shape<3>> b{0.5, -1, 2};
  mg::tensor<double, mg::shape<2>> unused{7, 8};
  auto f = [](auto const& a, auto const& b, auto const&) { return mg::sum(a * b * a + b); };
  auto [da, db, du] = mg::grad<0, 1, 2>(f)(a, b, unused);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) CHECK(da(i, j) == doctest::Approx(2 * a(i, j) * b(j)));
  for (int j = 0; j < 3; ++j)
    CHECK(db(j) == doctest::Approx(a(0, j) * a(0, j) + a(1, j) * a(1, j) + 2));
  CHECK(du(0) == 0);
  CHECK(du(1) == 0);
  auto only_b = mg::grad<1>(f)(a, b, unused);
  CHECK(only_b(2) == doctest::Approx(db(2)));
  mgt::check_grads([](auto const& a, auto const& b) { return a * b * a + b; }, a, b);
}

TEST_CASE("vjp gives the value and a pullback for a non-scalar output") {
  mg::tensor<double, mg::shape<2, 2>> x{{1, 2}, {3, 4}};
  auto [y, pullback] = mg::vjp([](auto const& x) { return mg::exp(x) * 2.0; }, x);
  CHECK(y(1, 1) == doctest::Approx(2 * std::exp(4.0)));
  mg::tensor<double, mg::shape<2, 2>> ct{{1, 0}, {0, 1}};
  auto [dx] = pullback(ct);
  CHECK(dx(0, 0) == doctest::Approx(2 * std::exp(1.0)));
  CHECK(dx(0, 1) == 0);
  mg::tensor<double, mg::shape<2, 2>> const wrong_ct{};
  CHECK_NOTHROW(pullback(wrong_ct));
}

TEST_CASE("dyn batch: gradients through a run-time batch extent") {
  mg::tensor<double, mg::shape<mg::dyn, 3>> x{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  mg::tensor<double, mg::shape<3, 2>> w{{0.1, 0.2}, {0.3, -0.4}, {0.5, 0.6}};
  auto f = [&](auto const& w) { return mg::mean(mg::tanh(mg::matmul(x, w))); };
  auto g = mg::grad(f)(w);
  CHECK(g.shape() == mg::extents<2>{{3, 2}});
  mgt::check_grads([&](auto const& w) { return mg::tanh(mg::matmul(x, w)); }, w);
  mg::tensor<double, mg::shape<mg::dyn, mg::dyn>> bad{{1, 2, 3, 4}};  // K = 4 at run time
  CHECK_THROWS_WITH_AS(mg::matmul(bad, w), doctest::Contains("matmul: inner dimensions differ"),
                       mg::shape_error);
}

TEST_CASE("the gradient in float agrees with double") {
  auto xd = mgt::random<mg::shape<4, 5>>(3);
  auto wd = mgt::random<mg::shape<5, 3>>(4);
  mg::tensor<float, mg::shape<4, 5>> xf;
  mg::tensor<float, mg::shape<5, 3>> wf;
  for (int i = 0; i < xd.size(); ++i) xf.data()[i] = static_cast<float>(xd.data()[i]);
  for (int i = 0; i < wd.size(); ++i) wf.data()[i] = static_cast<float>(wd.data()[i]);
  auto f = [](auto const& x, auto const& w) { return mg::sum(mg::sigmoid(mg::matmul(x, w)) * 3); };
  auto gd = mg::grad<1>(f)(xd, wd);
  auto gf = mg::grad<1>(f)(xf, wf);
  mgt::check_close(gf, gd, 1e-5, 1e-6, "float vs double");
}
