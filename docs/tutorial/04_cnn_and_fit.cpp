// docs/tutorial/04_cnn_and_fit.md, compiled and run by CI: a small CNN told apart horizontal from
// vertical bars in 8x8 images, trained with train::fit, early stopping and a checkpoint that a
// second run resumes from.
#include <cstdio>
#include <filesystem>

#include <metagrad/metagrad.hpp>
#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using Image = mg::shape<1, 8, 8>;

/// n images with one bright bar, horizontal (label 0) or vertical (label 1), and noise.
mg::data::dataset<float, Image> bars(mg::index_t n, std::uint64_t seed) {
  mg::rng r{seed};
  mg::tensor<float, mg::shape<mg::dyn, 1, 8, 8>> x(mg::extents<4>{{n, 1, 8, 8}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    auto label = static_cast<mg::index_t>(r.below(2)), at = static_cast<mg::index_t>(r.below(8));
    for (mg::index_t h = 0; h < 8; ++h)
      for (mg::index_t w = 0; w < 8; ++w)
        x(i, 0, h, w) = ((label == 0 ? h : w) == at ? 1.0f : 0.0f) + 0.3f * r.uniform<float>();
    y(i) = label;
  }
  return {std::move(x), std::move(y), {"horizontal", "vertical"}};
}

int main() {
  auto tr = bars(512, 1), te = bars(128, 2);
  // [model]
  auto model = nn::sequential(nn::conv2d<4, 3, mg::conv2d_params{.padding = 1}>{}, nn::relu{},
                              nn::max_pool2d<2>{},                                      // (B,4,4,4)
                              nn::conv2d<8, 3>{}, nn::relu{}, nn::global_avg_pool2d{},  // (B,8)
                              nn::dense<2>{});
  using In = mg::shape<mg::dyn, 1, 8, 8>;
  static_assert(decltype(model)::param_count<In> == (4 * 9 + 4) + (8 * 4 * 9 + 8) + (2 * 8 + 2));
  std::printf("%s", decltype(model)::summary<In>().c_str());
  // [model]

  // [fit]
  auto params = model.init<In>(mg::rng{0});
  mg::optim::adam adam{.lr = 1e-2f};
  train::early_stopping stop{.patience = 3};
  train::checkpointer save("bars.safetensors", model, adam);
  auto history =
      train::fit(model, params, adam, tr, &te, {.epochs = 4, .batch_size = 32}, stop, save);
  // [fit]

  // [resume]
  auto again = model.init<In>(mg::rng{42});  // another model of the same kind ...
  mg::optim::adam adam2{.lr = 1e-2f};
  int epoch = train::load_checkpoint("bars.safetensors", model, again, adam2);  // ... takes it up
  auto more = train::fit(model, again, adam2, tr, &te,
                         {.epochs = 4, .batch_size = 32, .first_epoch = epoch + 1});
  // [resume]
  std::filesystem::remove("bars.safetensors");
  std::printf("validation accuracy after %d epochs: %.1f%%\n", more.back().epoch,
              100 * more.back().val_accuracy);
  return more.back().val_accuracy > 0.9 && history.size() == 4 ? 0 : 1;
}
