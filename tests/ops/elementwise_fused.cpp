// A fused chain of the elementwise ops (one loop, Eigen's vectorised float functions) in float
// against the same chain in double: value and gradient.
#include "support/check.hpp"

namespace mg = metagrad;

TEST_CASE("a fused chain of elementwise ops in float matches double") {
  using S = mg::shape<4, 37>;  // not a multiple of the SIMD width: the tail is exercised too
  auto xd = mgt::random<S>(5, -3, 3);
  mg::tensor<float, S> xf;
  for (mg::index_t i = 0; i < xd.size(); ++i) xf.data()[i] = static_cast<float>(xd.data()[i]);
  auto f = [](auto x) {
    auto r = mg::rsqrt(mg::abs(x) + 1);
    return mg::softplus(mg::sin(x) * mg::gelu(x)) + mg::sqrt(mg::abs(x) + 1) -
           mg::pow(mg::clamp(x, -0.5, 0.5), 2.0) + mg::where(x > 0, mg::leaky_relu(x), mg::cos(x)) +
           mg::maximum(x, r) * mg::minimum(x, -r) + mg::gelu(x, mg::gelu_approximation::tanh) +
           mg::pow(mg::abs(x) + 0.5, mg::tanh(x));
  };
  mgt::check_close(mg::eval(f(xf)), mg::eval(f(xd)), 1e-5, 1e-5, "float value");
  auto sum_f = [&](auto x) { return mg::sum(f(x)); };
  mgt::check_close(mg::grad(sum_f)(xf), mg::grad(sum_f)(xd), 1e-4, 1e-4, "float gradient");
}
