// A struct model's cost, read from the type of its forward's expression (nn/cost.hpp): FLOPs per
// example equal the same sequential model's (an MLP, LeNet-5), activation values are what eval
// writes to memory, and summary<In>() lists the non-elementwise ops.
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
using mg::dyn;

namespace {
struct mlp {
  nn::dense_params<float, 128, 784> fc1;
  nn::dense_params<float, 10, 128> fc2;
  static constexpr auto parameters = mg::fields(&mlp::fc1, "fc1", &mlp::fc2, "fc2");
  static auto forward(auto const& x, auto const& fc1, auto const& fc2) {
    return nn::dense<10>{}(fc2, mg::relu(nn::dense<128>{}(fc1, x)));
  }
};

/// LeNet-5 as tests/nn/conv_layers.cpp's sequential one, written as a forward over plain tensors.
struct lenet {
  mg::tensor<float, mg::shape<6, 1, 5, 5>> c1w;
  mg::tensor<float, mg::shape<6>> c1b;
  mg::tensor<float, mg::shape<16, 6, 5, 5>> c2w;
  mg::tensor<float, mg::shape<16>> c2b;
  nn::dense_params<float, 120, 400> fc1;
  nn::dense_params<float, 84, 120> fc2;
  nn::dense_params<float, 10, 84> fc3;
  static constexpr auto parameters =
      mg::fields(&lenet::c1w, "c1w", &lenet::c1b, "c1b", &lenet::c2w, "c2w", &lenet::c2b, "c2b",
                 &lenet::fc1, "fc1", &lenet::fc2, "fc2", &lenet::fc3, "fc3");
  static auto forward(auto const& x, auto const& c1w, auto const& c1b, auto const& c2w,
                      auto const& c2b, auto const& fc1, auto const& fc2, auto const& fc3) {
    nn::max_pool2d<2> pool;
    std::tuple<> none;
    auto h1 = pool(none, mg::relu(nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>{}(
                             std::forward_as_tuple(c1w, c1b), x)));
    auto h2 = pool(none, mg::relu(nn::conv2d<16, 5>{}(std::forward_as_tuple(c2w, c2b), h1)));
    auto d1 = mg::relu(nn::dense<120>{}(fc1, nn::flatten{}(none, h2)));
    return nn::dense<10>{}(fc3, mg::relu(nn::dense<84>{}(fc2, d1)));
  }
};

auto lenet_sequential() {
  return nn::sequential(nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>{}, nn::relu{},
                        nn::max_pool2d<2>{}, nn::conv2d<16, 5>{}, nn::relu{}, nn::max_pool2d<2>{},
                        nn::flatten{}, nn::dense<120>{}, nn::relu{}, nn::dense<84>{}, nn::relu{},
                        nn::dense<10>{});
}
}  // namespace

TEST_CASE("module: FLOPs per example from the forward's type equal the sequential model's") {
  using In = mg::shape<dyn, 784>;
  using M = nn::module<mlp>;
  auto seq = nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{});
  static_assert(M::flops<In> == decltype(seq)::flops<In>);
  static_assert(M::flops<In> == 2 * 784 * 128 + 128 + 2 * 128 * 10);
  // Written to memory per example: matmul 1 (128), the relu that matmul 2 reads (128), matmul 2
  // (10) and the result, its bias added (10). The sequential count is each layer's output.
  static_assert(M::activations<In> == 128 + 128 + 10 + 10);
  static_assert(decltype(seq)::activations<In> == 128 + 128 + 10);
  // Nothing is costed per example without a batch axis.
  static_assert(nn::expression_cost<mg::tensor_view<float, mg::shape<128, 784>>>.flops == 0);
  static_assert(M::activation_bytes<In> == 4 * 276);
  // Each row's bytes are what it writes per example (float): the matmuls' outputs, and, fused,
  // the relu a matmul reads and the result; they add up to the total.
  auto text = M::summary<In>();
  CHECK(text.find("matmul               [B, 128]             200704        512\n") !=
        std::string::npos);
  CHECK(text.find("matmul               [B, 10]              2560          40\n") !=
        std::string::npos);
  CHECK(text.find("fc1.weight           [128, 784]           100352\n") != std::string::npos);
  CHECK(text.find("elementwise (fused)                       128           552\n") !=
        std::string::npos);
  CHECK(text.find("total parameters: 101770, forward FLOPs per example: 203392, activation values "
                  "per example: 276 (1104 bytes)\n") != std::string::npos);
}

TEST_CASE("module: a LeNet-5 struct costs what the sequential LeNet-5 costs") {
  using In = mg::shape<dyn, 1, 28, 28>;
  using M = nn::module<lenet>;
  using S = decltype(lenet_sequential());
  static_assert(M::param_count == S::param_count<In>);
  static_assert(M::flops<In> == S::flops<In>);
  // conv 2*25 per output (6*28*28), relu, pool 4 per output (6*14*14), conv 2*150 (16*10*10),
  // relu, pool (16*5*5), then the dense layers: 2*400*120, 120, 2*120*84, 84, 2*84*10.
  static_assert(M::flops<In> == 2 * 25 * 4704 + 4704 + 4 * 1176 + 2 * 150 * 1600 + 1600 + 4 * 400 +
                                    2 * 400 * 120 + 120 + 2 * 120 * 84 + 84 + 2 * 84 * 10);
  // Written: conv 1, the relu pool 1 reads, pool 1, conv 2, its relu, pool 2 (whose flatten is a
  // view), each matmul and the relu the next reads, and the result.
  static_assert(M::activations<In> ==
                4704 + 4704 + 1176 + 1600 + 1600 + 400 + 120 + 120 + 84 + 84 + 10 + 10);
  // The expression the struct computes is the one the sequential model builds.
  lenet p{};
  auto params = lenet_sequential().init<In>(mg::rng{3});
  p.c1w = std::get<0>(std::get<0>(params)), p.c1b = std::get<1>(std::get<0>(params));
  p.c2w = std::get<0>(std::get<3>(params)), p.c2b = std::get<1>(std::get<3>(params));
  p.fc1 = {std::get<0>(std::get<7>(params)), std::get<1>(std::get<7>(params))};
  p.fc2 = {std::get<0>(std::get<9>(params)), std::get<1>(std::get<9>(params))};
  p.fc3 = {std::get<0>(std::get<11>(params)), std::get<1>(std::get<11>(params))};
  mg::tensor<float, In> x(mg::extents<4>{{2, 1, 28, 28}});
  for (mg::index_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.01f * static_cast<float>(i));
  auto a = mg::eval(M{}(p, x)), b = mg::eval(lenet_sequential()(params, x));
  CHECK(std::equal(a.begin(), a.end(), b.begin()));
  static_assert(
      std::is_same_v<M::expression<In>, decltype(lenet_sequential()(params, mg::as_expr(x)))>);
  auto text = M::summary<In>();
  CHECK(text.find("conv2d               [B, 6, 28, 28]       235200        18816\n") !=
        std::string::npos);
  CHECK(text.find("max_pool2d           [B, 16, 5, 5]        1600          1600\n") !=
        std::string::npos);
}
