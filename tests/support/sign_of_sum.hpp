// A small sequence task that a recurrent or attention model must learn from its inputs: sequences
// of T values uniform in [-1, 1), labelled by whether their sum is positive. Trains a model with
// two output logits by Adam at batch B and reports the loss and the held-out accuracy.
#pragma once
#include "check.hpp"

namespace mgt {

struct task_result {
  float first_loss = 0, last_loss = 0;
  int right = 0, total = 0;
};

template <metagrad::index_t T, metagrad::index_t B, class Model>
task_result train_sign_of_sum(Model const& model, metagrad::rng init, float lr, int steps) {
  namespace mg = metagrad;
  using In = mg::shape<B, T, 1>;
  auto params = model.template init<In, float>(init);
  mg::optim::adam opt{.lr = lr};
  mg::rng data{11};
  auto batch = [&](mg::tensor<float, In>& x, mg::tensor<mg::index_t, mg::shape<B>>& y) {
    data.fill_uniform(x.data(), static_cast<std::size_t>(x.size()), -1.0f, 1.0f);
    for (mg::index_t b = 0; b < B; ++b) {
      float s = 0;
      for (mg::index_t t = 0; t < T; ++t) s += x(b, t, 0);
      y(b) = s > 0 ? 1 : 0;
    }
  };
  mg::tensor<float, In> x;
  mg::tensor<mg::index_t, mg::shape<B>> y;
  auto loss = [&](auto const& p) { return mg::nn::cross_entropy(model(p, x), y); };
  task_result r;
  for (int step = 0; step < steps; ++step) {
    batch(x, y);
    auto [l, g] = mg::value_and_grad(loss)(params);
    if (step == 0) r.first_loss = l();
    r.last_loss = l();
    opt.step(params, g);
  }
  for (int k = 0; k < 8; ++k) {
    batch(x, y);
    auto logits = mg::eval(model(params, x));
    for (mg::index_t b = 0; b < B; ++b, ++r.total)
      r.right += (logits(b, 1) > logits(b, 0)) == (y(b) == 1) ? 1 : 0;
  }
  MESSAGE("loss " << r.first_loss << " -> " << r.last_loss << ", held-out accuracy " << r.right
                  << "/" << r.total);
  return r;
}

}  // namespace mgt
