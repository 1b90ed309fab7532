// Losses against PyTorch (value, vjp and jvp; tests/reference/losses.hpp) and finite differences.
#include <metagrad/metagrad.hpp>

#include "reference/losses.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
using mgt::from;
using mgt::shape_of;

TEST_CASE("cross_entropy with integer labels matches PyTorch") {
  namespace r = ref::cross_entropy;
  auto labels = from<shape_of<r::labels_shape>, mg::index_t>(r::labels);
  mgt::check_reference(
      [&](auto z) { return nn::cross_entropy(z, labels); },
      std::tuple{from<shape_of<r::logits_shape>>(r::logits)}, r::out, from<mg::shape<>>(r::cot),
      std::tuple{from<shape_of<r::tan_logits_shape>>(r::tan_logits)}, r::jvp_out, r::grad_logits);
}

TEST_CASE("cross_entropy with label smoothing matches PyTorch") {
  namespace r = ref::cross_entropy_smooth;
  auto labels = from<shape_of<r::labels_shape>, mg::index_t>(r::labels);
  mgt::check_reference(
      [&](auto z) { return nn::cross_entropy(z, labels, 0.1); },
      std::tuple{from<shape_of<r::logits_shape>>(r::logits)}, r::out, from<mg::shape<>>(r::cot),
      std::tuple{from<shape_of<r::tan_logits_shape>>(r::tan_logits)}, r::jvp_out, r::grad_logits);
}

TEST_CASE("cross_entropy with probability targets equals the one-hot integer form") {
  namespace r = ref::cross_entropy_smooth;
  using S = shape_of<r::logits_shape>;
  auto logits = from<S>(r::logits);
  mg::tensor<double, S> onehot;
  for (int i = 0; i < 4; ++i) onehot(i, static_cast<int>(r::labels[i])) = 1;
  auto labels = from<shape_of<r::labels_shape>, mg::index_t>(r::labels);
  double smoothed = mg::eval(nn::cross_entropy(logits, onehot, 0.1)).item();
  CHECK(smoothed == doctest::Approx(r::out[0]).epsilon(1e-12));
  double plain = mg::eval(nn::cross_entropy(logits, onehot)).item();
  CHECK(plain == doctest::Approx(mg::eval(nn::cross_entropy(logits, labels)).item()));
  mgt::check_grads([&](auto z, auto t) { return nn::cross_entropy(z, t, 0.2); }, logits,
                   mg::eval(mg::softmax(onehot)));
}

TEST_CASE("nll_loss, mse_loss and binary_cross_entropy_with_logits match PyTorch") {
  {
    namespace r = ref::nll;
    auto labels = from<shape_of<r::labels_shape>, mg::index_t>(r::labels);
    mgt::check_reference(
        [&](auto lp) { return nn::nll_loss(lp, labels); },
        std::tuple{from<shape_of<r::logp_shape>>(r::logp)}, r::out, from<mg::shape<>>(r::cot),
        std::tuple{from<shape_of<r::tan_logp_shape>>(r::tan_logp)}, r::jvp_out, r::grad_logp);
  }
  {
    namespace r = ref::mse;
    auto target = from<shape_of<r::target_shape>>(r::target);
    mgt::check_reference(
        [&](auto x) { return nn::mse_loss(x, target); },
        std::tuple{from<shape_of<r::x_shape>>(r::x)}, r::out, from<mg::shape<>>(r::cot),
        std::tuple{from<shape_of<r::tan_x_shape>>(r::tan_x)}, r::jvp_out, r::grad_x);
  }
  {
    namespace r = ref::binary_cross_entropy_logits;
    auto target = from<shape_of<r::target_shape>>(r::target);
    mgt::check_reference(
        [&](auto z) { return nn::binary_cross_entropy_with_logits(z, target); },
        std::tuple{from<shape_of<r::logits_shape>>(r::logits)}, r::out, from<mg::shape<>>(r::cot),
        std::tuple{from<shape_of<r::tan_logits_shape>>(r::tan_logits)}, r::jvp_out, r::grad_logits);
  }
}

TEST_CASE("binary_cross_entropy, l1 and huber: values by hand and finite differences") {
  mg::tensor<double, mg::shape<4>> p{0.1, 0.6, 0.9, 0.3};
  mg::tensor<double, mg::shape<4>> t{0.0, 1.0, 1.0, 0.5};
  double want = 0;
  for (int i = 0; i < 4; ++i) want -= t(i) * std::log(p(i)) + (1 - t(i)) * std::log(1 - p(i));
  CHECK(mg::eval(nn::binary_cross_entropy(p, t)).item() == doctest::Approx(want / 4));
  // PyTorch clamps the logs at -100: p = 0 with target 1 costs 100, not inf.
  mg::tensor<double, mg::shape<1>> zero{0.0}, one{1.0};
  CHECK(mg::eval(nn::binary_cross_entropy(zero, one)).item() == doctest::Approx(100));
  // The logits form agrees with the probability form.
  mg::tensor<double, mg::shape<4>> z{-2.0, 0.4, 2.2, -0.8};
  CHECK(mg::eval(nn::binary_cross_entropy_with_logits(z, t)).item() ==
        doctest::Approx(mg::eval(nn::binary_cross_entropy(mg::sigmoid(z), t)).item()));
  CHECK(mg::eval(nn::l1_loss<nn::reduction::sum>(p, t)).item() ==
        doctest::Approx(0.8));  // .1 + .4 + .1 + .2
  // Huber with delta 1: d = (-1.5, 0.5) -> (1.5 - 0.5, 0.125).
  mg::tensor<double, mg::shape<2>> x{-1.0, 1.0}, y{0.5, 0.5};
  CHECK(mg::eval(nn::huber_loss<nn::reduction::sum>(x, y)).item() == doctest::Approx(1.125));
  auto none = mg::eval(nn::huber_loss<nn::reduction::none>(x, y, 2.0));
  CHECK(none(0) == doctest::Approx(1.125));
  mgt::check_grads([&](auto a) { return nn::binary_cross_entropy(mg::sigmoid(a), t); }, z);
  mgt::check_grads([&](auto a) { return nn::huber_loss(a, y, 0.7); },
                   mg::tensor<double, mg::shape<2>>{-1.0, 0.9});
  mgt::check_grads([&](auto a) { return nn::l1_loss(a, t); }, z);
}

TEST_CASE("cross_entropy over a dyn batch, and a label out of range throws") {
  mg::tensor<float, mg::shape<mg::dyn, 3>> z(mg::extents<2>{{2, 3}});
  z(0, 0) = 1, z(1, 2) = 2;
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{2}});
  y(0) = 0, y(1) = 2;
  auto v = mg::eval(nn::cross_entropy<nn::reduction::none>(z, y));
  CHECK(v.shape() == mg::extents<1>{{2}});
  CHECK(v(0) == doctest::Approx(std::log(std::exp(1.0) + 2) - 1));
  y(1) = 3;
  CHECK_THROWS_AS(mg::eval(nn::cross_entropy(z, y)), std::out_of_range);
}
