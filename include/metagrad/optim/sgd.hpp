// SPDX-License-Identifier: MIT
// Stochastic gradient descent with optional momentum, dampening, L2 weight decay and Nesterov
// momentum: torch.optim.SGD's update, term for term (its momentum buffer starts as the first
// gradient, not as zero).
#pragma once
#include "state.hpp"

namespace metagrad::optim {

/// torch.optim.SGD over a parameter tree, e.g. sgd opt{.lr = 0.1, .momentum = 0.9};
/// opt.step(params, grads);
struct sgd {
  double lr;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  detail::state state{};

  /// Creates zeroed state for params (step 0), e.g. before restoring a checkpoint into it.
  template <class Tree>
  void init(Tree const& params) {
    if (nesterov && (momentum <= 0 || dampening != 0))
      throw std::invalid_argument(
          "sgd: nesterov needs momentum > 0 and dampening 0, found momentum " +
          std::to_string(momentum) + ", dampening " + std::to_string(dampening));
    if (momentum != 0)
      state.create(params, {"momentum_buffer"});
    else
      state.create(params, {});
  }

  /// One update of params in place from grads (a tree of the same structure).
  template <class Tree, class Grads>
  void step(Tree& params, Grads const& grads) {
    detail::step_leaves(
        *this, params, grads,
        [&](auto* dst, auto const& p, auto const& g, std::size_t i) {
          using T = std::remove_pointer_t<decltype(dst)>;
          // PyTorch converts each scalar to the parameter's type before the fused update.
          T wd = static_cast<T>(weight_decay), neg_lr = static_cast<T>(-lr);
          auto d = [&] { return g + wd * p; };
          if (momentum == 0) {
            if (weight_decay != 0)
              evaluate_into(dst, p + neg_lr * d());
            else
              evaluate_into(dst, p + neg_lr * g);
            return;
          }
          T mom = static_cast<T>(momentum), keep = static_cast<T>(1 - dampening);
          auto buf = state.view(0, i, p);
          T* bufp = state.data<T>(0, i);
          if (state.step == 1)
            evaluate_into(bufp, d());  // the first buffer is the (decayed) gradient itself
          else
            evaluate_into(bufp, buf * mom + keep * d());
          if (nesterov)
            evaluate_into(dst, p + neg_lr * (d() + mom * buf));
          else
            evaluate_into(dst, p + neg_lr * buf);
        },
        "sgd::step");
  }

  /// Calls f(name, data, shape) for every state tensor: "step", "momentum_buffer.<leaf>".
  template <class F>
  void visit_state(F&& f) {
    state.visit(f);
  }
};

}  // namespace metagrad::optim
