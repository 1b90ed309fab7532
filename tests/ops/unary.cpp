// Unary elementwise ops: values and derivatives against PyTorch, and finite differences.
#include "reference/elementwise.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;
using S34 = mg::shape<3, 4>;

#define UNARY_REFERENCE_CASE(NAME, EXPR)                                            \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                           \
    namespace r = ref::NAME;                                                        \
    auto f = [](auto x) { return EXPR; };                                           \
    mgt::check_reference(f, std::tuple{from<S34>(r::x)}, r::out, from<S34>(r::cot), \
                         std::tuple{from<S34>(r::tan_x)}, r::jvp_out, r::grad_x);   \
  }

UNARY_REFERENCE_CASE(exp, mg::exp(x))
UNARY_REFERENCE_CASE(log, mg::log(x))
UNARY_REFERENCE_CASE(log1p, mg::log1p(x))
UNARY_REFERENCE_CASE(sqrt, mg::sqrt(x))
UNARY_REFERENCE_CASE(rsqrt, mg::rsqrt(x))
UNARY_REFERENCE_CASE(abs, mg::abs(x))
UNARY_REFERENCE_CASE(sin, mg::sin(x))
UNARY_REFERENCE_CASE(cos, mg::cos(x))
UNARY_REFERENCE_CASE(tanh, mg::tanh(x))
UNARY_REFERENCE_CASE(sigmoid, mg::sigmoid(x))
UNARY_REFERENCE_CASE(relu, mg::relu(x))
UNARY_REFERENCE_CASE(square, mg::square(x))
UNARY_REFERENCE_CASE(leaky_relu, mg::leaky_relu(x, ref::leaky_relu::negative_slope))
UNARY_REFERENCE_CASE(gelu, mg::gelu(x))
UNARY_REFERENCE_CASE(gelu_tanh, mg::gelu(x, mg::gelu_approximation::tanh))
UNARY_REFERENCE_CASE(softplus, mg::softplus(x))
UNARY_REFERENCE_CASE(clamp, mg::clamp(x, ref::clamp::clamp_min, ref::clamp::clamp_max))
UNARY_REFERENCE_CASE(pow_scalar, mg::pow(x, ref::pow_scalar::exponent))

TEST_CASE("unary ops pass finite differences") {
  auto x = mgt::random<mg::shape<2, 5>>(3, -2, 2);
  auto pos = mgt::random<mg::shape<2, 5>>(4, 0.3, 3);
  auto away = mgt::from<mg::shape<2, 5>>({-1.7, -0.9, -0.4, -0.15, 0.12, 0.3, 0.55, 0.8, 1.3, 2.1});
  SUBCASE("smooth") {
    mgt::check_grads([](auto x) { return mg::sin(x) * mg::cos(x * 2); }, x);
    mgt::check_grads([](auto x) { return mg::gelu(x) + mg::gelu(x, mg::gelu_approximation::tanh); },
                     x);
    mgt::check_grads([](auto x) { return mg::softplus(x * 3); }, x);
    mgt::check_grads([](auto x) { return mg::exp(x) + mg::tanh(x) * mg::sigmoid(x); }, x);
  }
  SUBCASE("positive domain") {
    mgt::check_grads([](auto x) { return mg::log1p(x) + mg::log(x) + mg::square(x); }, pos);
    mgt::check_grads([](auto x) { return mg::sqrt(x) * mg::rsqrt(x + 1); }, pos);
    mgt::check_grads([](auto x) { return mg::pow(x, 2.5) + mg::pow(x, -1.5); }, pos);
  }
  SUBCASE("kinks, away from them") {
    mgt::check_grads([](auto x) { return mg::abs(x) + mg::relu(x) * 2; }, away);
    mgt::check_grads([](auto x) { return mg::leaky_relu(x, 0.2) + mg::clamp(x, -0.5, 1.0); }, away);
  }
  SUBCASE("integer powers of negative numbers") {
    mgt::check_grads([](auto x) { return mg::pow(x, 3.0) + mg::pow(x, 2.0); }, x);
  }
}
