// docs/tutorial/07_modes_and_state.md, compiled and run by CI: a model with batch norm, dropout
// and a residual block, trained by hand (train mode, update_state) and with train::fit, then
// evaluated in eval mode with its running statistics and checkpointed with them.
#include <cstdio>
#include <filesystem>

#include <metagrad/metagrad.hpp>
#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using Sample = mg::shape<8>;
using In = mg::shape<mg::dyn, 8>;

/// n points of 8 features, offset and scaled (batch norm's job); the label is the sign of a
/// fixed mix of the features.
mg::data::dataset<float, Sample> points(mg::index_t n, std::uint64_t seed) {
  mg::rng r{seed};
  mg::tensor<float, In> x(mg::extents<2>{{n, 8}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    float mix = 0;
    for (mg::index_t j = 0; j < 8; ++j) {
      float v = r.normal<float>(0.f, 1.f);
      x(i, j) = 10.f + 3.f * v;
      mix += (j % 2 ? 1.f : -0.5f) * v;
    }
    y(i) = mix > 0;
  }
  return {std::move(x), std::move(y)};
}

int main() {
  auto tr = points(1024, 1), te = points(256, 2);
  // [model]
  auto model = nn::sequential(nn::batch_norm{}, nn::dense<32>{}, nn::relu{},
                              nn::residual(nn::dense<32>{}, nn::batch_norm{}, nn::relu{}),
                              nn::dropout{0.1}, nn::dense<2>{});
  using M = decltype(model);
  auto params = model.init<In>(mg::rng{0});
  auto state = model.init_state<In>();  // running means 0, variances 1
  M::for_each_state_named(state, [](std::string const& name, auto const& t) {
    std::printf("state %s %s\n", name.c_str(), mg::dims_string(t.shape().d).c_str());
  });
  // [model]

  // [step]
  mg::optim::adam adam{.lr = 1e-2f};
  mg::rng keys{7};
  std::uint64_t step = 0;
  for (auto const batch : mg::data::batch_loader(tr, {.batch_size = 32})) {
    auto key = keys.fold_in(step++);  // this step's dropout masks
    auto loss = [&](auto const& p) {
      return nn::cross_entropy(model(p, batch.x, nn::training(key)), batch.y);
    };
    auto [value, grads] = mg::value_and_grad(loss)(params);
    model.update_state(params, batch.x, state, key);  // the running statistics, once per step
    adam.step(params, grads);
  }
  auto logits = mg::eval(model(params, te.features, nn::inference(state)));  // eval mode
  // [step]
  std::printf("logits of the first test point: %.3f %.3f\n", logits(0, 0), logits(0, 1));

  // [fit]
  train::checkpointer save("modes.safetensors", model, adam);  // with the state fit hands it
  auto history =
      train::fit(model, params, state, adam, tr, &te, {.epochs = 5, .batch_size = 32}, save);
  auto scores = train::evaluate(model, params, state, te);
  // [fit]
  std::printf("test accuracy %.1f%%\n", 100 * scores.accuracy);
  // The checkpoint holds the running statistics: loaded with them, the model scores the same.
  auto again = model.init<In>(mg::rng{42});
  auto again_state = model.init_state<In>();
  mg::optim::adam adam2{.lr = 1e-2f};
  int epoch = train::load_checkpoint("modes.safetensors", model, again, again_state, adam2);
  bool const same =
      epoch == 5 && train::evaluate(model, again, again_state, te).loss == scores.loss;
  std::filesystem::remove("modes.safetensors");
  return history.back().val_accuracy > 0.9 && same ? 0 : 1;
}
