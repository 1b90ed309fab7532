// SPDX-License-Identifier: MIT
// batch_norm: per-channel normalisation of (N, C, ...) as torch.nn.BatchNorm1d/2d/3d (channel axis
// 1; weight ones, bias zeros, eps 1e-5, momentum 0.1). In training it normalises by the batch's
// mean and biased variance over every axis but the channel's, and updates the running statistics
// (running = (1 - momentum) running + momentum batch, the variance unbiased as PyTorch's; with
// momentum = std::nullopt, PyTorch's momentum=None, the cumulative average: momentum 1/n at the
// n-th batch); in eval mode it uses the running ones. Those live in the model's state (see
// mode.hpp), named as in PyTorch's state_dict: "running_mean", "running_var" and
// "num_batches_tracked", the number of batches folded in, an int64 scalar as PyTorch's, so
// state_dicts load both ways (the state is never optimized or differentiated, so its leaves need
// not share the parameters' element type: checkpoints save it as I64).
// The training graph has no side effect: update_state(params, x, state) folds a batch's statistics
// into the running ones (sequential's update_state calls it on the batch each layer sees).
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "../eval/evaluate.hpp"
#include "../ops/reshape.hpp"
#include "../ops/rsqrt.hpp"
#include "../ops/square.hpp"
#include "../ops/sum.hpp"
#include "layer.hpp"
#include "mode.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: batch_norm's input must be (N, C, ...) with a static C.
template <class InputShape>
struct batch_norm_needs_static_channels {
  static constexpr bool value = false;
};

/// Named in the diagnostic: a batch_norm called without the model's state (no running statistics).
template <class Mode>
struct batch_norm_called_without_state {
  static constexpr bool value = false;
};

/// Batch normalisation over axis 1, e.g. batch_norm{}, batch_norm{.momentum = 0.01}, or
/// batch_norm{.momentum = std::nullopt} (a cumulative average, as PyTorch's momentum=None).
struct batch_norm {
  static constexpr std::string_view name = "batch_norm";
  static constexpr std::array<std::string_view, 2> param_names{"weight", "bias"};
  static constexpr std::array<std::string_view, 3> state_names{"running_mean", "running_var",
                                                               "num_batches_tracked"};
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;

  template <class S>
  static constexpr bool accepts = S::rank >= 2 && S::dims[1] != dyn;
  template <class S>
  using expects =
      std::conditional_t < S::rank<2, expects_rank_at_least<2>, expects_static_extent<1>>;
  template <class S>
  static constexpr index_t channels() {
    static_assert((S::rank >= 2 && S::dims[1] != dyn) || batch_norm_needs_static_channels<S>::value,
                  "batch_norm: the input must be (N, C, ...) with a static channel extent C");
    return S::dims[1];
  }
  template <class S>
  using output = S;
  template <class T, class S>
  using params = std::tuple<tensor<T, shape<channels<S>()>>, tensor<T, shape<channels<S>()>>>;
  /// Running mean and variance (element type T), and the number of batches folded in (int64).
  template <class T, class S>
  using state = std::tuple<tensor<T, shape<channels<S>()>>, tensor<T, shape<channels<S>()>>,
                           tensor<std::int64_t, shape<>>>;
  template <class S>
  static constexpr index_t param_count = 2 * channels<S>();
  template <class S>
  static constexpr index_t flops = 4 * detail::per_example<S>();

  template <class T, class S>
  params<T, S> init(rng) const {
    return detail::ones_and_zeros<params<T, S>>();
  }
  /// Running mean zeros, running variance ones, no batches tracked, as PyTorch's.
  template <class T, class S>
  state<T, S> init_state() const {
    state<T, S> s;
    std::fill(std::get<0>(s).begin(), std::get<0>(s).end(), T(0));
    std::fill(std::get<1>(s).begin(), std::get<1>(s).end(), T(1));
    std::get<2>(s).data()[0] = 0;
    return s;
  }

  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    static_assert(batch_norm_called_without_state<X>::value,
                  "batch_norm: needs the model's state (its running statistics): call "
                  "model(params, x, nn::inference(state)) (or train it: nn::training(key))");
    return as_expr(x);
  }

  /// Training: the batch's statistics.
  template <class P, class X>
  auto operator()(P const& p, X const& x, train_mode const&) const {
    auto e = share(x);  // each value is read twice, and so is centred (expr/shared.hpp)
    using T = value_t<decltype(e)>;
    auto centred = share(e - channel_mean(e));
    auto inv_std = rsqrt(channel_mean(square(centred)) + static_cast<T>(eps));
    return centred * inv_std * per_channel<decltype(e)>(std::get<0>(p)) +
           per_channel<decltype(e)>(std::get<1>(p));
  }

  /// Folds the statistics of the batch x into the running ones, as one PyTorch training step:
  /// num_batches_tracked counts it, and momentum = nullopt weighs it 1/num_batches_tracked.
  template <class P, class X, class St>
  void update_state(P const&, X const& x, St& s, train_mode const& = {}) const {
    auto e = as_expr(x);
    using T = value_t<decltype(e)>;
    auto batch_mean = eval(channel_mean(e));
    auto batch_var = eval(channel_mean(square(e - batch_mean)));
    auto const c = static_cast<std::size_t>(batch_mean.size());
    double const n = static_cast<double>(e.ext.size()) / static_cast<double>(c);
    double const unbiased = n > 1 ? n / (n - 1) : 1.0;
    T* running_mean = std::get<0>(s).data();
    T* running_var = std::get<1>(s).data();
    std::int64_t const tracked = ++std::get<2>(s).data()[0];
    double const factor = momentum.value_or(1.0 / static_cast<double>(tracked));
    for (std::size_t i = 0; i < c; ++i) {
      running_mean[i] =
          static_cast<T>((1 - factor) * running_mean[i] + factor * batch_mean.data()[i]);
      running_var[i] =
          static_cast<T>((1 - factor) * running_var[i] + factor * unbiased * batch_var.data()[i]);
    }
  }

  /// Eval: the running statistics.
  template <class P, class X, class St>
  auto operator()(P const& p, X const& x, eval_mode<St> const& m) const {
    static_assert(std::tuple_size_v<St> == 3 || batch_norm_called_without_state<St>::value,
                  "batch_norm: needs the model's state (its running statistics): call "
                  "model(params, x, nn::inference(state))");
    auto e = as_expr(x);
    using E = decltype(e);
    using T = value_t<E>;
    if (!m.state)
      throw std::invalid_argument("batch_norm: eval mode without state: pass nn::inference(state)");
    auto const& running_mean = std::get<0>(*m.state);
    auto const& running_var = std::get<1>(*m.state);
    return (e - per_channel<E>(running_mean)) *
               rsqrt(per_channel<E>(running_var) + static_cast<T>(eps)) *
               per_channel<E>(std::get<0>(p)) +
           per_channel<E>(std::get<1>(p));
  }

 private:
  /// (C) as (1, C, 1, ...), to broadcast against E.
  template <class E, class V>
  static auto per_channel(V const& v) {
    using S = shape_t<E>;
    return reshape<shape_from<broadcast_dims<S>()>>(v);
  }
  template <class S>
  static consteval std::array<index_t, S::rank> broadcast_dims() {
    std::array<index_t, S::rank> d{};
    std::fill(d.begin(), d.end(), index_t{1});
    d[1] = S::dims[1];
    return d;
  }
  /// The mean over every axis but 1, kept as (1, C, 1, ...).
  template <class E>
  static auto channel_mean(E const& e) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return mean<(I == 0 ? 0 : static_cast<int>(I) + 1)...>(e, keepdims);
    }
    (std::make_index_sequence<shape_t<E>::rank - 1>{});
  }
};

}  // namespace metagrad::nn
