// SPDX-License-Identifier: MIT
// Callbacks for fit, as keras.callbacks: each is called as cb(stats, params) after an epoch, or as
// cb(stats, params, state) if it takes the model's state, and returns false to stop training.
// Pass them by reference to keep their state after fit returns.
//   early_stopping{.patience = 3}          stop when the monitored loss stops improving
//   csv_logger{"log.csv"}                  one row of figures per epoch
//   checkpointer(path, model, optimizer)   a training checkpoint every epoch (or the best only)
#pragma once
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

#include "checkpoint.hpp"
#include "fit.hpp"

namespace metagrad::train {

namespace detail {
/// The loss a callback watches: the validation loss when there is one.
inline double monitored_loss(epoch_stats const& s) {
  return s.has_validation ? s.val_loss : s.train_loss;
}
}  // namespace detail

/// Stops when the monitored loss has not improved by more than min_delta for `patience` epochs.
struct early_stopping {
  int patience = 3;
  double min_delta = 0;
  double best = std::numeric_limits<double>::infinity();
  int best_epoch = 0, stopped_epoch = 0;

  template <class Params>
  bool operator()(epoch_stats const& s, Params const&) {
    double const l = detail::monitored_loss(s);
    if (l < best - min_delta) {
      best = l, best_epoch = s.epoch;
      return true;
    }
    if (s.epoch - best_epoch >= patience) {
      stopped_epoch = s.epoch;
      return false;
    }
    return true;
  }
};

/// Appends one row per epoch: epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds.
struct csv_logger {
  std::string path;
  bool header_written = false;

  template <class Params>
  bool operator()(epoch_stats const& s, Params const&) {
    std::ofstream f(path, header_written ? std::ios::app : std::ios::trunc);
    if (!f) throw std::runtime_error("csv_logger: cannot open '" + path + "' for writing");
    if (!header_written)
      f << "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n", header_written = true;
    f << s.epoch << ',' << s.train_loss << ',' << s.train_accuracy << ',' << s.val_loss << ','
      << s.val_accuracy << ',' << s.seconds << '\n';
    return true;
  }
};

/// Saves a training checkpoint (parameters, the model's state, optimizer state, epoch) after
/// every epoch, or only when the monitored loss is the best so far; each save replaces the file
/// atomically. It takes the state from fit, so a model with state (batch norm's running
/// statistics) is saved with it, as save_checkpoint(path, model, params, state, optimizer, epoch).
template <class Model, class Optimizer>
struct checkpointer {
  std::filesystem::path path;
  Model const* model;
  Optimizer* optimizer;
  bool best_only = false;
  double best = std::numeric_limits<double>::infinity();

  checkpointer(std::filesystem::path p, Model const& m, Optimizer& o, bool best_only_ = false)
      : path(std::move(p)), model(&m), optimizer(&o), best_only(best_only_) {}

  /// For a model without state, e.g. called by hand after an epoch.
  template <class Params>
  bool operator()(epoch_stats const& s, Params const& params) {
    return (*this)(s, params, std::tuple<>{});
  }
  template <class Params, class State>
  bool operator()(epoch_stats const& s, Params const& params, State const& state) {
    double const l = detail::monitored_loss(s);
    if (best_only && !(l < best)) return true;
    best = std::min(best, l);
    // State is std::tuple<> for a model without state: then the file holds no state tensors.
    detail::save_checkpoint(path, *model, params, &state, *optimizer, s.epoch, {});
    return true;
  }
};

}  // namespace metagrad::train
