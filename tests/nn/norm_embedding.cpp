// layer_norm and embedding layers: values against a direct computation, gradients against
// finite differences, PyTorch's init, and embedding's gradient adding up repeated indices.
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("layer_norm: values, init and gradients") {
  using In = mg::shape<3, 4>;
  nn::layer_norm ln;
  auto params = ln.init<double, In>(mg::rng{0});
  CHECK(std::get<0>(params)(2) == 1.0);  // weight ones, bias zeros, as torch.nn.LayerNorm
  CHECK(std::get<1>(params)(2) == 0.0);
  auto x = mgt::random<In>(1, -2, 3);
  auto y = mg::eval(ln(params, mg::as_expr(x)));
  for (mg::index_t i = 0; i < 3; ++i) {
    double m = 0, v = 0;
    for (mg::index_t j = 0; j < 4; ++j) m += x(i, j) / 4;
    for (mg::index_t j = 0; j < 4; ++j) v += (x(i, j) - m) * (x(i, j) - m) / 4;  // biased
    for (mg::index_t j = 0; j < 4; ++j)
      CHECK(y(i, j) == doctest::Approx((x(i, j) - m) / std::sqrt(v + 1e-5)).epsilon(1e-12));
  }
  auto w = mgt::random<mg::shape<4>>(2), b = mgt::random<mg::shape<4>>(3);
  mgt::check_grads(
      [&](auto const& xx, auto const& ww, auto const& bb) {
        return ln(std::forward_as_tuple(ww, bb), mg::as_expr(xx));
      },
      x, w, b);
  static_assert(nn::layer_norm::param_count<mg::shape<mg::dyn, 16>> == 32);
}

TEST_CASE("embedding: lookup, N(0,1) init, and a scatter-add gradient") {
  auto model = nn::sequential(nn::embedding<5, 3>{}, nn::flatten{}, nn::dense<2>{});
  using In = mg::shape<mg::dyn, 4>;  // 4 tokens per example
  using M = decltype(model);
  static_assert(std::is_same_v<M::input_of<1, In>, mg::shape<mg::dyn, 4, 3>>);
  static_assert(M::param_count<In> == 15 + 12 * 2 + 2);
  auto params = model.init<In, double>(mg::rng{4});
  auto const& table = std::get<0>(std::get<0>(params));
  mg::tensor<mg::index_t, In> tokens{{0, 4, 4, 1}, {2, 2, 2, 2}};
  auto looked = mg::eval(nn::embedding<5, 3>{}(std::get<0>(params), mg::as_expr(tokens)));
  CHECK(looked(0, 1, 2) == table(4, 2));
  CHECK(looked(1, 3, 0) == table(2, 0));
  // d sum(lookup) / d table counts how often each row was used.
  auto g = mg::grad([&](auto const& t) {
    return mg::sum(nn::embedding<5, 3>{}(std::forward_as_tuple(t), mg::as_expr(tokens)));
  })(table);
  CHECK(g(0, 0) == 1.0);
  CHECK(g(2, 1) == 4.0);
  CHECK(g(3, 2) == 0.0);
  CHECK(g(4, 0) == 2.0);
  // A big table's values look standard normal.
  auto big = nn::embedding<1000, 10>{}.init<double, In>(mg::rng{1});
  double m = 0, v = 0;
  for (double e : std::get<0>(big)) m += e / 10000;
  for (double e : std::get<0>(big)) v += (e - m) * (e - m) / 10000;
  CHECK(std::fabs(m) < 0.05);
  CHECK(v == doctest::Approx(1.0).epsilon(0.05));
}
