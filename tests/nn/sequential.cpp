// sequential models: inferred parameter shapes, compile-time totals, PyTorch names and init
// bounds, gradients through a model against finite differences, and a small fit.
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("sequential infers parameter shapes and counts them at compile time") {
  auto model = nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{});
  using In = mg::shape<mg::dyn, 784>;
  using M = decltype(model);
  static_assert(M::param_count<In> == 784 * 128 + 128 + 128 * 10 + 10);  // 101770, as PyTorch
  static_assert(std::is_same_v<M::output<In>, mg::shape<mg::dyn, 10>>);
  static_assert(M::flops<In> == 2 * 784 * 128 + 128 + 2 * 128 * 10);
  auto params = model.init<In>(mg::rng{42});
  auto const& w0 = std::get<0>(std::get<0>(params));
  static_assert(
      std::is_same_v<std::remove_cvref_t<decltype(w0)>, mg::tensor<float, mg::shape<128, 784>>>);
  // PyTorch's default bound for Linear: 1/sqrt(fan_in).
  float bound = 1.0f / std::sqrt(784.0f), lo = 1, hi = -1;
  for (float v : w0) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo >= -bound);
  CHECK(hi < bound);
  CHECK(hi - lo > 1.9f * bound);  // the whole range is used
  // Same seed, same parameters; layer 2 differs from layer 0.
  auto again = model.init<In>(mg::rng{42});
  CHECK(std::equal(w0.begin(), w0.end(), std::get<0>(std::get<0>(again)).begin()));
  std::vector<std::string> names;
  M::for_each_named(params, [&](std::string n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  auto text = M::summary<In>();
  CHECK(text.find("0 dense") != std::string::npos);
  CHECK(text.find("[B, 128]") != std::string::npos);
  CHECK(text.find("101770") != std::string::npos);
}

TEST_CASE("sequential summary: FLOPs and activation bytes per example, per layer and in total") {
  auto model = nn::sequential(nn::dense<16>{}, nn::relu{}, nn::dense<2>{});
  using In = mg::shape<mg::dyn, 2>;
  using M = decltype(model);
  // dense<16>: 2*2*16 FLOPs, 16 values out; relu: 16, 16; dense<2>: 2*16*2, 2.
  static_assert(M::flops<In> == 64 + 16 + 64);
  static_assert(M::activations<In> == 16 + 16 + 2);
  static_assert(M::activation_bytes<In> == 4 * 34);
  static_assert(M::activation_bytes<In, double> == 8 * 34);
  CHECK(M::summary<In>() ==
        "layer                output shape         params        FLOPs/example activation "
        "bytes/example\n"
        "0 dense              [B, 16]              48            64            64\n"
        "1 relu               [B, 16]              0             16            64\n"
        "2 dense              [B, 2]               34            64            8\n"
        "total parameters: 82, forward FLOPs per example: 144, activation values per example: 34 "
        "(136 bytes)\n");
  // The bytes follow the element type.
  auto text = M::summary<In, double>();
  CHECK(text.find("0 dense              [B, 16]              48            64            128\n") !=
        std::string::npos);
  CHECK(text.find("2 dense              [B, 2]               34            64            16\n") !=
        std::string::npos);
  CHECK(text.find("activation values per example: 34 (272 bytes)\n") != std::string::npos);
}

TEST_CASE("gradients through a sequential model pass finite differences") {
  auto model = nn::sequential(nn::dense<3>{}, nn::tanh{}, nn::dense<2>{}, nn::sigmoid{});
  using In = mg::shape<4, 5>;
  auto params = model.init<In, double>(mg::rng{7});
  auto x = mgt::random<In>(3);
  auto& w0 = std::get<0>(std::get<0>(params));
  auto& b0 = std::get<1>(std::get<0>(params));  // not a binding: clang 14 cannot capture one
  auto& w2 = std::get<0>(std::get<2>(params));
  auto& b2 = std::get<1>(std::get<2>(params));  // not a binding: clang 14 cannot capture one
  mgt::check_grads(
      // forward_as_tuple: expressions view the tensors they read, so the tree must not copy them.
      [&](auto const& a, auto const& b, auto const& c, auto const& d) {
        return model(std::forward_as_tuple(std::forward_as_tuple(a, b), std::tuple{},
                                           std::forward_as_tuple(c, d), std::tuple{}),
                     x);
      },
      w0, b0, w2, b2);
  // The tree gradient equals the per-leaf one.
  auto loss = [&](auto const& p) { return mg::sum(model(p, x)); };
  auto g = mg::grad(loss)(params);
  auto g_flat = mg::grad<0>([&](auto const& a) {
    return mg::sum(model(std::forward_as_tuple(std::forward_as_tuple(a, b0), std::tuple{},
                                               std::forward_as_tuple(w2, b2), std::tuple{}),
                         x));
  })(w0);
  mgt::check_close(std::get<0>(std::get<0>(g)), g_flat, 1e-12, 1e-12, "tree vs flat");
}

TEST_CASE("flatten and a declared input width") {
  auto model = nn::sequential(nn::flatten{}, nn::dense<4, 12>{}, nn::leaky_relu{0.2});
  using In = mg::shape<mg::dyn, 3, 4>;
  static_assert(std::is_same_v<decltype(model)::input_of<1, In>, mg::shape<mg::dyn, 12>>);
  auto params = model.init<In, double>(mg::rng{1});
  mg::tensor<double, In> x(mg::extents<3>{{5, 3, 4}});
  auto y = mg::eval(model(params, x));
  CHECK(y.shape() == mg::extents<2>{{5, 4}});
}

TEST_CASE("a dyn sequence length makes the per-example totals dyn, not a sum with -1") {
  auto model = nn::sequential(nn::lstm<8>{}, nn::last_step{}, nn::dense<3>{});
  using M = decltype(model);
  using Dyn = mg::shape<mg::dyn, mg::dyn, 4>;  // (B, T, 4), T not known
  static_assert(M::flops<Dyn> == mg::dyn);
  static_assert(M::activations<Dyn> == mg::dyn);
  static_assert(M::activation_bytes<Dyn> == mg::dyn);
  CHECK(M::summary<Dyn>().find("forward FLOPs per example: dyn, activation values per example: "
                               "dyn (dyn bytes)") != std::string::npos);
  // With T known, the totals are the layers' counts added.
  using Static = mg::shape<mg::dyn, 5, 4>;
  static_assert(M::flops<Static> == nn::lstm<8>::flops<Static> + 0 + 2 * 8 * 3);
  static_assert(M::activations<Static> == 5 * 8 + 8 + 3);
}
