// logsumexp, softmax, log_softmax: values and derivatives against PyTorch and finite differences,
// stability for inputs like ±1000, and a dyn batch.
#include <cmath>

#include "reference/reduce.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using S234 = mg::shape<2, 3, 4>;
using S23 = mg::shape<2, 3>;
using S214 = mg::shape<2, 1, 4>;

// One PyTorch case: EXPR on x of shape (2,3,4), giving shape OUT.
#define SOFTMAX_REFERENCE_CASE(NAME, OUT, EXPR)                                             \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                                   \
    namespace r = ref::NAME;                                                                \
    mgt::check_reference([](auto x) { return EXPR; }, std::tuple{from<S234>(r::x)}, r::out, \
                         from<OUT>(r::cot), std::tuple{from<S234>(r::tan_x)}, r::jvp_out,   \
                         r::grad_x);                                                        \
  }

SOFTMAX_REFERENCE_CASE(logsumexp_axis2, S23, mg::logsumexp<2>(x))
SOFTMAX_REFERENCE_CASE(logsumexp_axis1_keep, S214, mg::logsumexp<1>(x, mg::keepdims))
SOFTMAX_REFERENCE_CASE(softmax_axis2, S234, mg::softmax(x))
SOFTMAX_REFERENCE_CASE(softmax_axis0, S234, mg::softmax<0>(x))
SOFTMAX_REFERENCE_CASE(log_softmax_axis2, S234, mg::log_softmax<-1>(x))

TEST_CASE("logsumexp, softmax and log_softmax pass finite differences") {
  auto x = mgt::random<S234>(21, -2, 2);
  mgt::check_grads([](auto x) { return mg::logsumexp(x); }, x);
  mgt::check_grads([](auto x) { return mg::logsumexp<0, 2>(x); }, x);
  mgt::check_grads([](auto x) { return mg::logsumexp<-1>(x, mg::keepdims); }, x);
  mgt::check_grads([](auto x) { return mg::softmax(x); }, x);
  mgt::check_grads([](auto x) { return mg::softmax<1>(x); }, x);
  mgt::check_grads([](auto x) { return mg::log_softmax<0>(x); }, x);
  mgt::check_grads([](auto x) { return mg::log_softmax(x); }, x);
  // Second order: the Hessian of logsumexp is diag(p) - p pᵀ (p = softmax), applied to v.
  mg::tensor<double, mg::shape<4>> z{0.5, -1.0, 2.0, 0.25}, v{1.0, 2.0, -1.0, 0.5};
  auto h = mg::hvp([](auto z) { return mg::logsumexp(z); }, z, v);
  auto p = mg::eval(mg::softmax(z));
  double pv = 0;
  for (int i = 0; i < 4; ++i) pv += p(i) * v(i);
  for (int i = 0; i < 4; ++i) CHECK(h(i) == doctest::Approx(p(i) * v(i) - p(i) * pv));
}

TEST_CASE("logsumexp and softmax do not overflow for inputs like ±1000") {
  mg::tensor<float, mg::shape<2, 3>> x{{1000, 1000, 999}, {-1000, -1000, -1001}};
  auto lse = mg::eval(mg::logsumexp<1>(x));
  double want = std::log(2 + std::exp(-1.0));
  CHECK(lse(0) == doctest::Approx(1000 + want));
  CHECK(lse(1) == doctest::Approx(-1000 + want));
  auto all = mg::eval(mg::logsumexp(x));
  CHECK(all.item() == doctest::Approx(1000 + want));
  auto y = mg::eval(mg::softmax(x));
  auto ly = mg::eval(mg::log_softmax(x));
  double e = std::exp(-1.0), p_hi = 1 / (2 + e), p_lo = e / (2 + e);
  for (int i = 0; i < 2; ++i) {
    CHECK(y(i, 0) == doctest::Approx(p_hi));
    CHECK(y(i, 1) == doctest::Approx(p_hi));
    CHECK(y(i, 2) == doctest::Approx(p_lo));
    CHECK(ly(i, 2) == doctest::Approx(std::log(p_lo)));
  }
  // Gradients at extreme inputs are finite too.
  auto g = mg::grad([](auto x) { return mg::sum(mg::log_softmax(x) * mg::softmax<0>(x)); })(x);
  for (float v : g) CHECK(std::isfinite(v));
  auto [v, dy] = mg::jvp([](auto x) { return mg::softmax(x); }, std::tuple{x}, std::tuple{x});
  for (float d : dy) CHECK(std::isfinite(d));
  for (float s : v) CHECK(std::isfinite(s));
}

TEST_CASE("softmax over a dyn batch") {
  mg::tensor<float, mg::shape<mg::dyn, 5>> x(mg::extents<2>{{7, 5}});
  for (mg::index_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7) % 11) - 5.0f;
  auto y = mg::eval(mg::softmax(x));
  static_assert(std::same_as<typename decltype(y)::shape_type, mg::shape<mg::dyn, 5>>);
  REQUIRE(y.shape() == mg::extents<2>{{7, 5}});
  for (int i = 0; i < 7; ++i) {
    double row = 0, z = 0;
    for (int j = 0; j < 5; ++j) z += std::exp(static_cast<double>(x(i, j)));
    for (int j = 0; j < 5; ++j) {
      row += y(i, j);
      CHECK(y(i, j) == doctest::Approx(std::exp(static_cast<double>(x(i, j))) / z).epsilon(1e-5));
    }
    CHECK(row == doctest::Approx(1).epsilon(1e-5));
  }
  // A loss over the dyn batch differentiates; each row of the gradient of sum(log_softmax)
  // is 1 - 5 softmax.
  auto g = mg::grad([](auto x) { return mg::sum(mg::log_softmax(x)); })(x);
  REQUIRE(g.shape() == x.shape());
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 5; ++j) CHECK(g(i, j) == doctest::Approx(1 - 5 * y(i, j)).epsilon(1e-4));
  // Over the dyn axis itself.
  auto y0 = mg::eval(mg::softmax<0>(x));
  for (int j = 0; j < 5; ++j) {
    double col = 0;
    for (int i = 0; i < 7; ++i) col += y0(i, j);
    CHECK(col == doctest::Approx(1).epsilon(1e-5));
  }
}

TEST_CASE("softmax: shape_error on mismatched dyn extents downstream") {
  mg::tensor<float, mg::shape<mg::dyn, 5>> x(mg::extents<2>{{7, 5}}), w(mg::extents<2>{{6, 5}});
  try {
    (void)(mg::softmax(x) * w);
    FAIL("expected a shape_error");
  } catch (mg::shape_error const& e) {
    CHECK(std::string(e.what()).find("[7, 5] and [6, 5]") != std::string::npos);
  }
  CHECK_THROWS_AS((void)mg::eval(mg::log_softmax(x) - w), mg::shape_error);
}
