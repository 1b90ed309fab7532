// SPDX-License-Identifier: MIT
// fit: the training loop, as keras' model.fit. Each epoch shuffles the training set (a seed fixes
// every epoch's order), takes value_and_grad of the loss for each batch, steps the optimizer, then
// evaluates on the validation set; it shows a progress bar on a terminal (plain lines otherwise)
// and hands every epoch's figures to the callbacks, any of which can stop the run.
// The model runs in training mode (nn::training: dropout active, batch norm on batch statistics)
// with a key per step drawn from the seed, epoch and batch, so a run is reproducible and a resumed
// one draws the same masks; evaluation runs in eval mode. A model with state (batch norm's running
// statistics) is fitted with fit(model, params, state, optimizer, ...), which updates the state
// every step (model.update_state), evaluates with it and hands it to the callbacks that take it.
//   e.g. auto history = train::fit(model, params, adam, train, &test, {.epochs = 5, .batch_size =
//        64}, train::early_stopping{.patience = 2});
#pragma once
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../autodiff/transforms.hpp"
#include "../data/loader.hpp"
#include "../nn/losses.hpp"
#include "../nn/mode.hpp"
#include "../ops/argmax.hpp"

namespace metagrad::train {

/// The figures of one epoch. Accuracy is that of the largest logit, measured in eval mode at the
/// epoch's end; train_accuracy is measured when there is no validation data, or when
/// fit_options::train_accuracy asks for it (else it is 0). A run without validation data has
/// has_validation == false and its val_* are 0.
struct epoch_stats {
  int epoch = 0;  ///< from 1
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;
  bool has_validation = false;
  double seconds = 0;  ///< training time of the epoch (evaluation excluded)
};

/// The loss fit minimises, given logits (B,C) and integer labels (B): softmax cross-entropy.
struct softmax_cross_entropy {
  template <class Logits, class Labels>
  auto operator()(Logits const& logits, Labels const& labels) const {
    return nn::cross_entropy(logits, labels);
  }
};

enum class progress { automatic, bar, lines, none };

struct fit_options {
  int epochs = 1;
  index_t batch_size = 32;
  bool shuffle = true;
  rng seed = rng{0};    ///< epoch e's order is drawn from seed.fold_in(e)
  int first_epoch = 1;  ///< > 1 when resuming: epoch e draws the same order as in the first run
  /// automatic: a bar on a terminal, else one line per epoch; bar: the bar on any stream
  progress show = progress::automatic;
  /// With validation data, also measure the training set's accuracy each epoch: one more forward
  /// pass over the whole training set per epoch (without validation data it is always measured).
  bool train_accuracy = false;
  std::FILE* out = stdout;
};

/// Mean loss and accuracy of the model over a dataset, in batches (no gradients).
struct eval_stats {
  double loss = 0, accuracy = 0;
};

namespace detail {
/// Summed loss and count of correct predictions of one batch of logits.
template <class Loss, class Logits, class Labels>
std::pair<double, index_t> batch_figures(Loss const& loss, Logits const& logits, Labels const& y) {
  auto const rows = y.shape()[0];
  double l = static_cast<double>(eval(loss(logits, y)).item()) * static_cast<double>(rows);
  auto predicted = eval(argmax(logits));
  index_t correct = 0;
  for (index_t i = 0; i < rows; ++i) correct += predicted.data()[i] == y.data()[i];
  return {l, correct};
}

inline void draw_bar(std::FILE* out, int epoch, index_t done, index_t total, double loss) {
  int const pct = static_cast<int>(100 * done / total), bar = pct / 4;
  std::fprintf(out, "\repoch %d [%.*s%*s] %3d%%  loss %.4f", epoch, bar,
               "#########################", 25 - bar, "", pct, loss);
  std::fflush(out);
}
}  // namespace detail

namespace detail {
/// The model's forward pass in eval mode, with its state when it has one.
template <class Model, class Params, class State, class X>
auto eval_forward(Model const& model, Params const& params, State const* state, X const& x) {
  if constexpr (std::is_same_v<State, std::tuple<>>)
    return model(params, x);
  else
    return model(params, x, nn::inference(*state));
}
/// The model's forward pass in training mode (plain, for models that know no modes).
template <class Model, class Params, class X>
auto train_forward(Model const& model, Params const& params, X const& x, rng key) {
  if constexpr (requires { model(params, x, nn::training(key)); })
    return model(params, x, nn::training(key));
  else
    return model(params, x);
}

template <class Model, class Params, class State, class T, class Sample, class Loss>
eval_stats evaluate(Model const& model, Params const& params, State const* state,
                    data::dataset<T, Sample> const& ds, index_t batch_size, Loss const& loss) {
  double loss_sum = 0;
  index_t correct = 0;
  for (auto [x, y] : data::batch_loader(ds, {.batch_size = batch_size})) {
    auto logits = eval(eval_forward(model, params, state, x));
    auto [l, c] = batch_figures(loss, logits, y);
    loss_sum += l, correct += c;
  }
  auto const n = static_cast<double>(ds.size());
  return {loss_sum / n, static_cast<double>(correct) / n};
}
}  // namespace detail

/// The model's mean loss and accuracy on ds, e.g. auto [loss, acc] = train::evaluate(m, p, test).
template <class Model, class Params, class T, class Sample, class Loss = softmax_cross_entropy>
eval_stats evaluate(Model const& model, Params const& params, data::dataset<T, Sample> const& ds,
                    index_t batch_size = 1000, Loss const& loss = {}) {
  return detail::evaluate(model, params, static_cast<std::tuple<> const*>(nullptr), ds, batch_size,
                          loss);
}
/// The same for a model with state (batch norm): evaluated with its running statistics.
template <class Model, class Params, class State, class T, class Sample,
          class Loss = softmax_cross_entropy>
eval_stats evaluate(Model const& model, Params const& params, State const& state,
                    data::dataset<T, Sample> const& ds, index_t batch_size = 1000,
                    Loss const& loss = {}) {
  return detail::evaluate(model, params, &state, ds, batch_size, loss);
}

namespace detail {
/// Calls a callback after an epoch: cb(stats, params, state) if it takes the model's state
/// (std::tuple<> for a model without), else cb(stats, params).
template <class Callback, class Params, class State>
bool call_callback(Callback& cb, epoch_stats const& s, Params const& params, State const& state) {
  if constexpr (std::is_invocable_v<Callback&, epoch_stats const&, Params const&, State const&>)
    return cb(s, params, state);
  else
    return cb(s, params);
}

/// state points to the model's state, or to an empty std::tuple<> for a model without.
template <class Model, class Params, class State, class Optimizer, class T, class Sample,
          class Loss, class... Callbacks>
std::vector<epoch_stats> fit(Model const& model, Params& params, State* state, Optimizer& optimizer,
                             data::dataset<T, Sample> const& train,
                             data::dataset<T, Sample> const* validation, fit_options const& o,
                             Loss const& loss, Callbacks&&... callbacks) {
  bool const bar =
      o.show == progress::bar || (o.show == progress::automatic && isatty(fileno(o.out)) != 0);
  data::batch_loader loader(train, {.batch_size = o.batch_size, .shuffle = o.shuffle}, o.seed);
  loader.set_epoch(o.first_epoch - 1);
  rng const keys = o.seed.fold_in(0x6d61736b);  // the masks' stream, apart from the orders'
  std::vector<epoch_stats> history;
  index_t const batches = loader.size(), every = std::max<index_t>(1, batches / 50);
  for (int epoch = o.first_epoch; epoch < o.first_epoch + o.epochs; ++epoch) {
    auto const start = std::chrono::steady_clock::now();
    epoch_stats s{.epoch = epoch};
    double loss_sum = 0;
    index_t seen = 0, b = 0;
    rng const epoch_keys = keys.fold_in(static_cast<std::uint64_t>(epoch));
    for (auto const batch : loader) {  // not a binding: clang 14 cannot capture one
      auto const& x = batch.x;
      auto const& y = batch.y;
      rng const key = epoch_keys.fold_in(static_cast<std::uint64_t>(b));
      auto objective = [&](auto const& p) { return loss(train_forward(model, p, x, key), y); };
      auto [value, grads] = value_and_grad(objective)(params);
      if constexpr (!std::is_same_v<State, std::tuple<>>)
        model.update_state(params, x, *state, key);
      optimizer.step(params, grads);
      auto const rows = y.shape()[0];
      loss_sum += static_cast<double>(value.item()) * static_cast<double>(rows);
      seen += rows;
      ++b;
      if (bar && (b % every == 0 || b == batches))
        draw_bar(o.out, epoch, seen, train.size(), loss_sum / static_cast<double>(seen));
    }
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s.train_loss = loss_sum / static_cast<double>(seen);
    // Accuracy over the epoch's batches would mix the parameters of different steps (and
    // dropout's masks): it is measured at the epoch's end, in eval mode.
    bool const measure_train = !validation || o.train_accuracy;
    if (measure_train)
      s.train_accuracy = detail::evaluate(model, params, state, train, 1000, loss).accuracy;
    if (validation) {
      auto v = detail::evaluate(model, params, state, *validation, 1000, loss);
      s.val_loss = v.loss, s.val_accuracy = v.accuracy, s.has_validation = true;
    }
    if (bar) std::fprintf(o.out, "\r\033[K");
    if (o.show != progress::none) {
      std::fprintf(o.out, "epoch %d  train loss %.4f", epoch, s.train_loss);
      if (measure_train) std::fprintf(o.out, "  train accuracy %.2f%%", 100 * s.train_accuracy);
      if (s.has_validation)
        std::fprintf(o.out, "  val loss %.4f  val accuracy %.2f%%", s.val_loss,
                     100 * s.val_accuracy);
      std::fprintf(o.out, "  (%.2f s)\n", s.seconds);
      std::fflush(o.out);
    }
    history.push_back(s);
    bool go_on = true;
    ((go_on = call_callback(callbacks, history.back(), params, *state) && go_on), ...);
    if (!go_on) break;
  }
  return history;
}
}  // namespace detail

/// Trains params in place for o.epochs epochs (fewer if a callback stops it) and returns each
/// epoch's figures. A callback is called as cb(stats, params) after each epoch, or as
/// cb(stats, params, state) if it takes the model's state (std::tuple<> here), and returns true
/// to go on, false to stop. `validation` may be nullptr.
template <class Model, class Params, class Optimizer, class T, class Sample,
          class Loss = softmax_cross_entropy, class... Callbacks>
std::vector<epoch_stats> fit(Model const& model, Params& params, Optimizer& optimizer,
                             data::dataset<T, Sample> const& train,
                             std::type_identity_t<data::dataset<T, Sample>> const* validation,
                             fit_options const& o, Callbacks&&... callbacks) {
  std::tuple<> no_state;
  return detail::fit(model, params, &no_state, optimizer, train, validation, o, Loss{},
                     std::forward<Callbacks>(callbacks)...);
}

/// The same for a model with state (batch norm): state is updated every step, used to evaluate
/// and handed to the callbacks that take it, e.g. auto state = model.init_state<In>(); fit(model,
/// params, state, adam, ...).
template <class Model, class Params, class State, class Optimizer, class T, class Sample,
          class Loss = softmax_cross_entropy, class... Callbacks>
std::vector<epoch_stats> fit(Model const& model, Params& params, State& state, Optimizer& optimizer,
                             data::dataset<T, Sample> const& train,
                             std::type_identity_t<data::dataset<T, Sample>> const* validation,
                             fit_options const& o, Callbacks&&... callbacks) {
  return detail::fit(model, params, &state, optimizer, train, validation, o, Loss{},
                     std::forward<Callbacks>(callbacks)...);
}

}  // namespace metagrad::train
