// Unary elementwise ops at their edges: kinks (PyTorch's choices), large inputs, NaN.
#include "support/check.hpp"

namespace mg = metagrad;

TEST_CASE("unary ops at their kinks follow PyTorch") {
  auto x = mgt::from<mg::shape<5>>({-1.0, -0.5, 0.0, 0.5, 1.0});
  auto g = [&x](auto f) { return mg::grad([f](auto v) { return mg::sum(f(v)); })(x); };
  // abs'(0) = 0, relu'(0) = 0, leaky_relu'(0) = slope, clamp' = 1 on its bounds, softplus'(0) =
  // 1/2.
  double abs_d[] = {-1, -1, 0, 1, 1}, relu_d[] = {0, 0, 0, 1, 1}, leaky_d[] = {0.2, 0.2, 0.2, 1, 1};
  double clamp_d[] = {0, 1, 1, 1, 0}, pow0_d[] = {0, 0, 0, 0, 0}, pow1_d[] = {1, 1, 1, 1, 1};
  mgt::check_close(g([](auto x) { return mg::abs(x); }), abs_d, 0, 0, "abs'");
  mgt::check_close(g([](auto x) { return mg::relu(x); }), relu_d, 0, 0, "relu'");
  mgt::check_close(g([](auto x) { return mg::leaky_relu(x, 0.2); }), leaky_d, 0, 0, "leaky_relu'");
  mgt::check_close(g([](auto x) { return mg::clamp(x, -0.5, 0.5); }), clamp_d, 0, 0, "clamp'");
  // pow(x, 0)' = 0 and pow(x, 1)' = 1 everywhere, also at 0 (no 0 * inf).
  mgt::check_close(g([](auto x) { return mg::pow(x, 0.0); }), pow0_d, 0, 0, "pow(x, 0)'");
  mgt::check_close(g([](auto x) { return mg::pow(x, 1.0); }), pow1_d, 0, 0, "pow(x, 1)'");
  auto sp = g([](auto x) { return mg::softplus(x); });
  for (int i = 0; i < 5; ++i)
    CHECK(sp.data()[i] == doctest::Approx(1 / (1 + std::exp(-x.data()[i]))));
  // clamp with lo > hi gives hi, as torch.clamp.
  auto c = mg::eval(mg::clamp(x, 1.0, -1.0));
  for (int i = 0; i < 5; ++i) CHECK(c.data()[i] == -1.0);
}

TEST_CASE("softplus stays finite for large |x|") {
  auto x = mgt::from<mg::shape<4>>({-800.0, -30.0, 30.0, 800.0});
  auto [y, dy] = mg::value_and_grad([](auto x) { return mg::sum(mg::softplus(x)); })(x);
  auto v = mg::eval(mg::softplus(x));
  CHECK(v.data()[0] == 0.0);
  CHECK(v.data()[1] == doctest::Approx(std::exp(-30.0)));
  CHECK(v.data()[2] == doctest::Approx(30.0));
  CHECK(v.data()[3] == 800.0);
  double want[] = {0.0, std::exp(-30.0), 1.0, 1.0};
  mgt::check_close(dy, want, 1e-12, 1e-300, "softplus'");
  CHECK(std::isfinite(y.data()[0]));
}

TEST_CASE("NaN propagates through clamp") {
  auto x = mgt::from<mg::shape<3>>({std::nan(""), -2.0, 2.0});
  auto c = mg::eval(mg::clamp(x, -1.0, 1.0));
  CHECK(std::isnan(c.data()[0]));
  CHECK(c.data()[1] == -1.0);
  CHECK(c.data()[2] == 1.0);
}
