// Convolution, pooling and reshape layers: shapes and parameter counts inferred at compile time
// (LeNet-5's, as torchinfo reports them), PyTorch's init bounds, gradients through a small CNN
// against finite differences, and the layer-position check of sequential.
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {
auto lenet() {
  return nn::sequential(nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>{}, nn::relu{},
                        nn::max_pool2d<2>{}, nn::conv2d<16, 5>{}, nn::relu{}, nn::max_pool2d<2>{},
                        nn::flatten{}, nn::dense<120>{}, nn::relu{}, nn::dense<84>{}, nn::relu{},
                        nn::dense<10>{});
}
}  // namespace

TEST_CASE("LeNet-5: every shape and parameter count known at compile time") {
  using M = decltype(lenet());
  using In = mg::shape<mg::dyn, 1, 28, 28>;
  static_assert(std::is_same_v<M::input_of<1, In>, mg::shape<mg::dyn, 6, 28, 28>>);
  static_assert(std::is_same_v<M::input_of<3, In>, mg::shape<mg::dyn, 6, 14, 14>>);
  static_assert(std::is_same_v<M::input_of<6, In>, mg::shape<mg::dyn, 16, 5, 5>>);
  static_assert(std::is_same_v<M::input_of<7, In>, mg::shape<mg::dyn, 400>>);
  static_assert(std::is_same_v<M::output<In>, mg::shape<mg::dyn, 10>>);
  // torch: 156 + 2416 + 48120 + 10164 + 850.
  static_assert(M::param_count<In> == 61706);
  using P = M::params<float, In>;
  static_assert(std::is_same_v<std::tuple_element_t<0, std::tuple_element_t<3, P>>,
                               mg::tensor<float, mg::shape<16, 6, 5, 5>>>);
  auto params = lenet().init<In>(mg::rng{3});
  // Conv2d's default bound is 1/sqrt(C*KH*KW) = 1/sqrt(150) for the second convolution.
  auto const& w3 = std::get<0>(std::get<3>(params));
  float bound = 1.0f / std::sqrt(150.0f), lo = 1, hi = -1;
  for (float v : w3) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo >= -bound);
  CHECK(hi < bound);
  CHECK(hi - lo > 1.9f * bound);
  std::vector<std::string> names;
  M::for_each_named(params, [&](std::string n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight",
                                          "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"});
  auto text = M::summary<In>();
  CHECK(text.find("0 conv2d") != std::string::npos);
  CHECK(text.find("[B, 6, 28, 28]") != std::string::npos);
  CHECK(text.find("2 max_pool2d") != std::string::npos);
  CHECK(text.find("[B, 400]") != std::string::npos);
  // A dyn batch of 3 runs forward.
  mg::tensor<float, In> x(mg::extents<4>{{3, 1, 28, 28}});
  auto y = mg::eval(lenet()(params, x));
  CHECK(y.shape() == mg::extents<2>{{3, 10}});
}

TEST_CASE("gradients through conv, pools, global pooling and reshape pass finite differences") {
  auto model = nn::sequential(
      nn::reshape<2, 6, 6>{}, nn::conv2d<3, 3, mg::conv2d_params{.stride = 1, .padding = 1}>{},
      nn::tanh{}, nn::avg_pool2d<2>{}, nn::conv2d<4, mg::hw_pair{2, 1}>{},
      nn::max_pool2d<mg::hw_pair{2, 1}, 1>{}, nn::global_avg_pool2d{}, nn::dense<2>{});
  using In = mg::shape<2, 72>;
  using M = decltype(model);
  static_assert(std::is_same_v<M::input_of<4, In>, mg::shape<2, 3, 3, 3>>);
  static_assert(std::is_same_v<M::input_of<6, In>, mg::shape<2, 4, 1, 3>>);
  static_assert(std::is_same_v<M::output<In>, mg::shape<2, 2>>);
  auto params = model.init<In, double>(mg::rng{5});
  auto x = mgt::random<In>(9);
  auto& w1 = std::get<0>(std::get<1>(params));
  auto& b1 = std::get<1>(std::get<1>(params));  // not a binding: clang 14 cannot capture one
  auto& w4 = std::get<0>(std::get<4>(params));
  auto& b4 = std::get<1>(std::get<4>(params));  // not a binding: clang 14 cannot capture one
  auto& w7 = std::get<0>(std::get<7>(params));
  auto& b7 = std::get<1>(std::get<7>(params));  // not a binding: clang 14 cannot capture one
  mgt::check_grads(
      [&](auto const& a, auto const& b, auto const& c, auto const& d, auto const& xx) {
        return model(std::forward_as_tuple(std::tuple{}, std::forward_as_tuple(a, b), std::tuple{},
                                           std::tuple{}, std::forward_as_tuple(c, d), std::tuple{},
                                           std::tuple{}, std::forward_as_tuple(w7, b7)),
                     xx);
      },
      w1, b1, w4, b4, x);
}

TEST_CASE("grouped convolution: parameters and output") {
  auto model = nn::sequential(nn::conv2d<6, 3, mg::conv2d_params{.groups = 2}>{});
  using In = mg::shape<mg::dyn, 4, 5, 5>;
  using M = decltype(model);
  static_assert(M::param_count<In> == 6 * 2 * 9 + 6);
  static_assert(std::is_same_v<M::output<In>, mg::shape<mg::dyn, 6, 3, 3>>);
}

TEST_CASE("accepts: the check sequential uses to name a layer's position") {
  using conv = nn::conv2d<6, 5>;
  static_assert(conv::accepts<mg::shape<mg::dyn, 1, 28, 28>>);
  static_assert(!conv::accepts<mg::shape<mg::dyn, 784>>);      // a conv on a flat vector
  static_assert(!conv::accepts<mg::shape<mg::dyn, 1, 4, 4>>);  // kernel larger than the input
  static_assert(nn::dense<10, 128>::accepts<mg::shape<mg::dyn, 128>>);
  static_assert(!nn::dense<10, 128>::accepts<mg::shape<mg::dyn, 784>>);
  static_assert(!nn::max_pool2d<2>::accepts<mg::shape<mg::dyn, 1, 1, 1>>);
  static_assert(!nn::flatten::accepts<mg::shape<7>>);
  static_assert(!nn::reshape<1, 28, 28>::accepts<mg::shape<mg::dyn, 100>>);
}
