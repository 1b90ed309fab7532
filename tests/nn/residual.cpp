// SPDX-License-Identifier: MIT
// residual(layers...): y = x + f(x). Its value against the block's layers applied by hand, and
// the gradients of the parameters inside and around the block, and of the input (which reaches
// the output both through the skip and through f), against finite differences.
#include <tuple>

#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("residual: x + f(x), and its gradients pass finite differences") {
  auto model =
      nn::sequential(nn::dense<4>{}, nn::residual(nn::dense<3>{}, nn::tanh{}, nn::dense<4>{}),
                     nn::relu{}, nn::dense<2>{});
  using In = mg::shape<3, 5>;
  using M = decltype(model);
  static_assert(std::is_same_v<M::input_of<1, In>, mg::shape<3, 4>>);
  static_assert(std::is_same_v<M::output<In>, mg::shape<3, 2>>);
  static_assert(M::param_count<In> == (5 * 4 + 4) + (4 * 3 + 3) + (3 * 4 + 4) + (4 * 2 + 2));
  auto params = model.init<In, double>(mg::rng{3});
  auto x = mgt::random<In>(4);

  auto& w0 = std::get<0>(std::get<0>(params));
  auto& b0 = std::get<1>(std::get<0>(params));
  auto& block = std::get<1>(params);
  auto& w1 = std::get<0>(std::get<0>(block));
  auto& b1 = std::get<1>(std::get<0>(block));
  auto& w2 = std::get<0>(std::get<2>(block));
  auto& b2 = std::get<1>(std::get<2>(block));
  auto& w3 = std::get<0>(std::get<3>(params));
  auto& b3 = std::get<1>(std::get<3>(params));

  // The value: h + dense(tanh(dense(h))) with h = dense(x), by hand.
  auto h = mg::eval(mg::matmul(x, mg::transpose(w0)) + b0);
  auto f =
      mg::eval(mg::matmul(mg::tanh(mg::matmul(h, mg::transpose(w1)) + b1), mg::transpose(w2)) + b2);
  auto want = mg::eval(mg::matmul(mg::relu(h + f), mg::transpose(w3)) + b3);
  mgt::check_close(mg::eval(model(params, x)), want, 1e-12, 1e-12, "residual value");

  // Gradients of the block's parameters, of the layer before it, and of the input.
  mgt::check_grads(
      [&](auto const& a, auto const& b, auto const& c, auto const& d, auto const& xx) {
        return model(
            std::forward_as_tuple(std::forward_as_tuple(w0, b0),
                                  std::forward_as_tuple(std::forward_as_tuple(a, b), std::tuple{},
                                                        std::forward_as_tuple(c, d)),
                                  std::tuple{}, std::forward_as_tuple(w3, b3)),
            xx);
      },
      w1, b1, w2, b2, x);
  mgt::check_grads(
      [&](auto const& a, auto const& b) {
        return model(std::forward_as_tuple(std::forward_as_tuple(a, b), block, std::tuple{},
                                           std::forward_as_tuple(w3, b3)),
                     x);
      },
      w0, b0);
}
