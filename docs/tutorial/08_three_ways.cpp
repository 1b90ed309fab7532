// docs/tutorial/08_three_ways.md, compiled and run by CI: one classifier built the three ways
// (sequential, functional, a struct of one's own), trained with train::fit, with summaries and
// compile-time totals.
#include <cstdio>

#include <metagrad/metagrad.hpp>
#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using Sample = mg::shape<4>;
using In = mg::shape<mg::dyn, 4>;

/// The label is which of the 3 first features is the largest.
mg::data::dataset<float, Sample> points(mg::index_t n, std::uint64_t seed) {
  mg::rng r{seed};
  mg::tensor<float, In> x(mg::extents<2>{{n, 4}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    for (mg::index_t j = 0; j < 4; ++j) x(i, j) = r.uniform<float>(-1, 1);
    y(i) = x(i, 0) > x(i, 1) ? (x(i, 0) > x(i, 2) ? 0 : 2) : (x(i, 1) > x(i, 2) ? 1 : 2);
  }
  return {std::move(x), std::move(y)};
}

// [struct]
struct classifier {
  nn::dense_params<float, 32, 4> fc1;
  nn::dense_params<float, 3, 32> fc2;
  static constexpr auto parameters = mg::fields(&classifier::fc1, "fc1", &classifier::fc2, "fc2");

  static auto forward(auto const& x, auto const& fc1, auto const& fc2) {
    return nn::dense<3>{}(fc2, mg::relu(nn::dense<32>{}(fc1, x)));
  }
};
// [struct]

int main() {
  auto tr = points(2000, 1), te = points(500, 2);
  train::fit_options o{.epochs = 8, .batch_size = 32, .show = train::progress::none};

  // [sequential]
  auto seq = nn::sequential(nn::dense<32>{}, nn::relu{}, nn::dense<3>{});
  static_assert(decltype(seq)::param_count<In> == (4 * 32 + 32) + (32 * 3 + 3));
  auto sp = seq.init<In>(mg::rng{0});
  // [sequential]

  // [functional]
  using Features = nn::input<"features", In>;  // an input with a name
  auto fun = nn::functional<Features>(nn::node(nn::dense<32>{}, nn::in<"features">),    // 0
                                      nn::node(nn::relu{}, nn::at<0>),                  // 1
                                      nn::node(nn::dense<32>{}, nn::at<1>),             // 2
                                      nn::node(nn::merge_add{}, nn::at<2>, nn::at<1>),  // 3: a skip
                                      nn::node(nn::relu{}, nn::at<3>),                  // 4
                                      nn::node(nn::dense<3>{}, nn::at<4>))              // 5
                 .outputs(nn::at<5>);
  using F = decltype(fun);
  static_assert(F::param_count == (4 * 32 + 32) + (32 * 32 + 32) + (32 * 3 + 3));
  static_assert(F::flops == 2592);                  // per example, as the summary shows
  static_assert(F::activation_bytes<> == 4 * 163);  // each node's output, float
  std::printf("%s", F::summary().c_str());
  auto fp = fun.init(mg::rng{0});
  // [functional]

  // [struct-use]
  nn::module<classifier> mod;
  classifier cp{decltype(classifier::fc1)::init(mg::rng{1}),
                decltype(classifier::fc2)::init(mg::rng{2})};
  using C = nn::module<classifier>;
  static_assert(C::param_count == (4 * 32 + 32) + (32 * 3 + 3));
  static_assert(C::flops<In> == decltype(seq)::flops<In>);  // read from forward's type
  std::printf("%s", C::summary<In>().c_str());
  // [struct-use]

  // [fit]
  mg::optim::adam a1{.lr = 1e-2f}, a2{.lr = 1e-2f}, a3{.lr = 1e-2f};
  auto h1 = train::fit(seq, sp, a1, tr, &te, o);
  auto h2 = train::fit(fun, fp, a2, tr, &te, o);
  auto h3 = train::fit(mod, cp, a3, tr, &te, o);
  // [fit]
  std::printf("test accuracy: sequential %.1f%%, functional %.1f%%, struct %.1f%%\n",
              100 * h1.back().val_accuracy, 100 * h2.back().val_accuracy,
              100 * h3.back().val_accuracy);
  bool const learnt =
      h1.back().val_accuracy > 0.9 && h2.back().val_accuracy > 0.9 && h3.back().val_accuracy > 0.9;
  return learnt ? 0 : 1;
}
