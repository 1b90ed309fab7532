// SPDX-License-Identifier: MIT
// Weight initializers on dense and conv2d layers: for every initializer kind, the bound (uniform)
// and the standard deviation against torch.nn.init's formulas with PyTorch's fans (a conv weight
// (O, C/groups, KH, KW) has fan_in = C/groups*KH*KW, fan_out = O*KH*KW), biases by PyTorch's
// default rule whatever the kind, and the same weights for the same seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <metagrad/nn/conv2d.hpp>
#include <metagrad/nn/dense.hpp>
#include <vector>

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

constexpr std::array<nn::initializer, 5> all_kinds{
    nn::initializer::pytorch, nn::initializer::glorot_uniform, nn::initializer::glorot_normal,
    nn::initializer::he_uniform, nn::initializer::he_normal};

// What a kind promises, written from torch.nn.init's formulas rather than from the library's.
struct law {
  bool uniform;  // U(-bound, bound) if true, else N(0, stddev^2)
  double bound;  // 0 for a normal law
  double stddev;
};
law law_of(nn::initializer kind, double fan_in, double fan_out) {
  auto uniform = [](double bound) { return law{true, bound, bound / std::sqrt(3.0)}; };
  auto normal = [](double stddev) { return law{false, 0, stddev}; };
  switch (kind) {
    case nn::initializer::pytorch:  // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5))
      return uniform(std::sqrt(3.0) * std::sqrt(2.0 / 6.0) / std::sqrt(fan_in));
    case nn::initializer::glorot_uniform:  // xavier_uniform_, gain 1
      return uniform(std::sqrt(6.0 / (fan_in + fan_out)));
    case nn::initializer::glorot_normal:  // xavier_normal_, gain 1
      return normal(std::sqrt(2.0 / (fan_in + fan_out)));
    case nn::initializer::he_uniform:  // kaiming_uniform_(a=0): gain sqrt(2), fan_in mode
      return uniform(std::sqrt(2.0) * std::sqrt(3.0 / fan_in));
    case nn::initializer::he_normal:  // kaiming_normal_: gain sqrt(2) / sqrt(fan_in)
      return normal(std::sqrt(2.0 / fan_in));
  }
  return {};
}

// Checks the sample w against the law of `kind`. With at least 9216 values the sample standard
// deviation is within 1.1% of the true one (one sigma), so 3% holds, while a wrong fan, a missing
// sqrt or a missing gain changes it by 20% or more.
template <class R>
void check_law(R const& w, nn::initializer kind, double fan_in, double fan_out) {
  law const l = law_of(kind, fan_in, fan_out);
  double n = 0, sum = 0, sq = 0, max_abs = 0;
  for (float v : w)
    n += 1, sum += v, sq += double(v) * v, max_abs = std::max(max_abs, std::abs(double(v)));
  REQUIRE(n >= 9216);
  double const mean = sum / n, stddev = std::sqrt(sq / n - mean * mean);
  CAPTURE(static_cast<int>(kind));
  CAPTURE(l.stddev);
  CAPTURE(stddev);
  CHECK(std::abs(mean) < 5 * l.stddev / std::sqrt(n));
  // Relative errors by hand: doctest::Approx's default scale of 1 would make a tolerance absolute,
  // and vacuous for values near 0.05.
  CHECK(std::abs(stddev / l.stddev - 1) < 0.03);
  if (l.uniform) {
    CAPTURE(l.bound);
    CHECK(max_abs <= l.bound);
    CHECK(max_abs > 0.99 * l.bound);  // P(all below) = 0.99^n, negligible
  } else {
    // Beyond two standard deviations: 4.55% of a normal law, none of a uniform law of that
    // stddev (its bound is sqrt(3) stddev), so this tells the two apart.
    double beyond = 0;
    for (float v : w) beyond += std::abs(double(v)) > 2 * l.stddev;
    CHECK(std::abs(beyond / n - 0.0455) < 0.01);
  }
}

// A bias follows PyTorch's default for Linear and Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class R>
void check_bias(R const& b, double fan_in) {
  double const bound = 1 / std::sqrt(fan_in);
  double max_abs = 0;
  for (float v : b) max_abs = std::max(max_abs, std::abs(double(v)));
  CHECK(max_abs <= bound);
  CHECK(max_abs > 0.8 * bound);  // 128 values or more: P(all below) = 0.8^128, negligible
}

template <class T>
std::vector<float> values(T const& t) {
  return std::vector<float>(t.begin(), t.end());
}

}  // namespace

TEST_CASE("dense (512,256): each initializer's law, PyTorch's bias, the same weights per seed") {
  using In = mg::shape<mg::dyn, 256>;  // weight (512,256): fan_in 256, fan_out 512
  std::vector<float> first_bias;
  for (auto kind : all_kinds) {
    nn::dense<512> layer{.init_kind = kind};
    auto p = layer.init<float, In>(mg::rng{7});
    check_law(std::get<0>(p), kind, 256, 512);
    check_bias(std::get<1>(p), 256);
    // The bias does not depend on the weight's kind: it has its own stream of the key.
    if (first_bias.empty()) first_bias = values(std::get<1>(p));
    CHECK(values(std::get<1>(p)) == first_bias);

    auto again = layer.init<float, In>(mg::rng{7});
    CHECK(values(std::get<0>(again)) == values(std::get<0>(p)));
    CHECK(values(std::get<1>(again)) == values(std::get<1>(p)));
    auto other = layer.init<float, In>(mg::rng{8});
    CHECK(values(std::get<0>(other)) != values(std::get<0>(p)));

    // A struct model's dense_params are initialised as the layer is.
    auto fc = nn::dense_params<float, 512, 256>::init(mg::rng{7}, kind);
    CHECK(values(fc.weight) == values(std::get<0>(p)));
    CHECK(values(fc.bias) == values(std::get<1>(p)));
  }
}

TEST_CASE("conv2d (128,64,3,3): each initializer's law with PyTorch's fans and bias") {
  using In = mg::shape<1, 64, 5, 5>;  // weight (128,64,3,3): fan_in 64*9, fan_out 128*9
  for (auto kind : all_kinds) {
    nn::conv2d<128, 3> layer{.init_kind = kind};
    auto p = layer.init<float, In>(mg::rng{11});
    check_law(std::get<0>(p), kind, 64 * 9, 128 * 9);
    check_bias(std::get<1>(p), 64 * 9);
    auto again = layer.init<float, In>(mg::rng{11});
    CHECK(values(std::get<0>(again)) == values(std::get<0>(p)));
    CHECK(values(std::get<1>(again)) == values(std::get<1>(p)));
  }
}

TEST_CASE("grouped conv2d (128,8,3,3), groups 4: fan_in counts C/groups, fan_out does not divide") {
  using In = mg::shape<1, 32, 5, 5>;  // weight (128,32/4,3,3): fan_in 8*9, fan_out 128*9
  for (auto kind : all_kinds) {
    nn::conv2d<128, 3, mg::conv2d_params{.groups = 4}> layer{.init_kind = kind};
    auto p = layer.init<float, In>(mg::rng{12});
    check_law(std::get<0>(p), kind, 8 * 9, 128 * 9);
    check_bias(std::get<1>(p), 8 * 9);
  }
}

TEST_CASE("init:: functions fill a span as the layers do") {
  std::vector<float> w(20000);
  mg::rng r{3};
  nn::init::glorot_normal(std::span<float>(w), 100, 300, r);
  check_law(w, nn::initializer::glorot_normal, 100, 300);
  nn::init::he_uniform(std::span<float>(w), 50, r);
  check_law(w, nn::initializer::he_uniform, 50, 0);
}
