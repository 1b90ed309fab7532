// SPDX-License-Identifier: MIT
// Training checkpoints: a model's parameters under their state_dict names ("0.weight"), the
// optimizer's state under "optimizer.<name>" ("optimizer.step", "optimizer.exp_avg.0") and the
// epoch in the metadata, in one safetensors file written atomically. Loading one into a model
// and optimizer of the same kind, then fitting on with fit_options::first_epoch = epoch + 1,
// continues the run exactly: on cpu the parameters come out bitwise as without the break.
#pragma once
#include <string>
#include <type_traits>
#include <vector>

#include "../io/checkpoint.hpp"

namespace metagrad::train {

namespace detail {
/// Walks what a training checkpoint holds, under its names: on_tensor(name, tensor) for each
/// parameter and each state tensor ("1.running_mean"), then on_buffer(name, data, shape) for the
/// optimizer's step and buffers (created first if the optimizer has not stepped yet).
template <class Model, class Params, class State, class Optimizer, class OnTensor, class OnBuffer>
void for_each_checkpoint_tensor(Params& params, State* state, Optimizer& optimizer,
                                OnTensor on_tensor, OnBuffer on_buffer) {
  if (!optimizer.state.ready()) optimizer.init(params);
  Model::for_each_named(params, on_tensor);
  if constexpr (!std::is_same_v<std::remove_const_t<State>, std::tuple<>>)
    Model::for_each_state_named(*state, on_tensor);
  optimizer.visit_state([&](std::string const& name, auto* data, std::vector<std::int64_t> shape) {
    on_buffer("optimizer." + name, data, std::move(shape));
  });
}

/// Saves parameters, the model's state, optimizer state and the epoch just finished.
template <class Model, class Params, class State, class Optimizer>
void save_checkpoint(std::filesystem::path const& path, Model const&, Params const& params,
                     State const* state, Optimizer& optimizer, int epoch, io::metadata meta) {
  std::vector<io::entry> entries;
  for_each_checkpoint_tensor<Model>(
      params, state, optimizer,
      [&](std::string name, auto const& t) { entries.push_back(io::named(std::move(name), t)); },
      [&](std::string name, auto* data, std::vector<std::int64_t> shape) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(data)>>;
        entries.push_back({std::move(name), io::dtype_of<T>, std::move(shape), data});
      });
  meta["epoch"] = std::to_string(epoch);
  io::save_safetensors(path, entries, meta);
}

template <class Model, class Params, class State, class Optimizer>
int load_checkpoint(std::filesystem::path const& path, Model const&, Params& params, State* state,
                    Optimizer& optimizer) {
  auto file = io::safetensors_file::open(path);
  auto const& meta = file.metadata();
  auto it = meta.find("epoch");
  if (it == meta.end())
    throw io::format_error("load_checkpoint '" + path.string() +
                           "': expected an \"epoch\" entry in the metadata, found none");
  std::vector<io::tensor_ref> refs;
  for_each_checkpoint_tensor<Model>(
      params, state, optimizer,
      [&](std::string name, auto& t) { refs.push_back(io::named(std::move(name), t)); },
      [&](std::string name, auto* data, std::vector<std::int64_t> shape) {
        refs.push_back(io::detail::buffer_ref(std::move(name), data, std::move(shape)));
      });
  io::load(file, refs, {}, path.string());
  return std::stoi(it->second);
}
}  // namespace detail

/// Saves parameters, optimizer state and the epoch just finished, e.g.
/// train::save_checkpoint("run.safetensors", model, params, adam, 3).
template <class Model, class Params, class Optimizer>
void save_checkpoint(std::filesystem::path const& path, Model const& model, Params const& params,
                     Optimizer& optimizer, int epoch, io::metadata meta = {}) {
  detail::save_checkpoint(path, model, params, static_cast<std::tuple<> const*>(nullptr), optimizer,
                          epoch, std::move(meta));
}
/// The same with the model's state (batch norm's running statistics, under their names).
template <class Model, class Params, class State, class Optimizer>
void save_checkpoint(std::filesystem::path const& path, Model const& model, Params const& params,
                     State const& state, Optimizer& optimizer, int epoch, io::metadata meta = {}) {
  detail::save_checkpoint(path, model, params, &state, optimizer, epoch, std::move(meta));
}

/// Loads what save_checkpoint wrote into params and optimizer (all or nothing: io::load_error
/// lists every name, dtype and shape that did not match) and returns the epoch it was saved at.
template <class Model, class Params, class Optimizer>
int load_checkpoint(std::filesystem::path const& path, Model const& model, Params& params,
                    Optimizer& optimizer) {
  return detail::load_checkpoint(path, model, params, static_cast<std::tuple<>*>(nullptr),
                                 optimizer);
}
/// The same with the model's state.
template <class Model, class Params, class State, class Optimizer>
int load_checkpoint(std::filesystem::path const& path, Model const& model, Params& params,
                    State& state, Optimizer& optimizer) {
  return detail::load_checkpoint(path, model, params, &state, optimizer);
}

}  // namespace metagrad::train
