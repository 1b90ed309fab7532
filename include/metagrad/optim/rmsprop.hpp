// SPDX-License-Identifier: MIT
// RMSprop and Adagrad: torch.optim.RMSprop / torch.optim.Adagrad's updates, term for term (eps
// added after the square root; RMSprop's centered variant subtracts the squared running mean of
// the gradient; Adagrad's learning rate decays as lr / (1 + (step - 1) lr_decay)).
#pragma once
#include "../ops/sqrt.hpp"
#include "state.hpp"

namespace metagrad::optim {

/// torch.optim.RMSprop, e.g. rmsprop opt{.lr = 1e-2, .momentum = 0.9, .centered = true};
struct rmsprop {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  detail::state state{};

  /// Creates zeroed state for params (step 0): "square_avg", then "momentum_buffer" when
  /// momentum > 0 and "grad_avg" when centered.
  template <class Tree>
  void init(Tree const& params) {
    if (momentum > 0 && centered)
      state.create(params, {"square_avg", "momentum_buffer", "grad_avg"});
    else if (momentum > 0)
      state.create(params, {"square_avg", "momentum_buffer"});
    else if (centered)
      state.create(params, {"square_avg", "grad_avg"});
    else
      state.create(params, {"square_avg"});
  }

  /// One update of params in place from grads (a tree of the same structure).
  template <class Tree, class Grads>
  void step(Tree& params, Grads const& grads) {
    detail::step_leaves(
        *this, params, grads,
        [&](auto* dst, auto const& p, auto const& g, std::size_t i) {
          using T = std::remove_pointer_t<decltype(dst)>;
          T wd = static_cast<T>(weight_decay), a = static_cast<T>(alpha);
          T one_a = static_cast<T>(1 - alpha), e = static_cast<T>(eps),
            neg_lr = static_cast<T>(-lr);
          auto d = [&] { return g + wd * p; };  // L2 decay; p changes only in the last pass
          auto sq = state.view(0, i, p);
          evaluate_into(state.data<T>(0, i), sq * a + one_a * d() * d());
          std::size_t next = 1;
          auto update = [&](auto const& avg) {
            if (momentum > 0) {
              auto buf = state.view(next, i, p);
              evaluate_into(state.data<T>(next, i), buf * static_cast<T>(momentum) + d() / avg);
              evaluate_into(dst, p + neg_lr * buf);
            } else {
              evaluate_into(dst, p + neg_lr * d() / avg);
            }
          };
          if (centered) {
            std::size_t k = momentum > 0 ? 2 : 1;
            auto ga = state.view(k, i, p);
            detail::lerp_into(state.data<T>(k, i), ga, d(), 1 - alpha);
            update(sqrt(sq + T(-1) * ga * ga) + e);
          } else {
            update(sqrt(sq) + e);
          }
        },
        "rmsprop::step");
  }

  /// Calls f(name, data, shape) for "step" and each buffer named in init, e.g. "square_avg.0".
  template <class F>
  void visit_state(F&& f) {
    state.visit(f);
  }
};

/// torch.optim.Adagrad, e.g. adagrad opt{.lr = 0.1, .initial_accumulator_value = 0.1};
struct adagrad {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  detail::state state{};

  /// Creates the state for params (step 0): "sum" filled with initial_accumulator_value.
  template <class Tree>
  void init(Tree const& params) {
    state.create(params, {"sum"});
    std::size_t i = 0;
    tree_for_each(
        [&](auto const& p) {
          using T = typename std::remove_cvref_t<decltype(p)>::value_type;
          T* s = state.data<T>(0, i++);
          std::fill_n(s, p.size(), static_cast<T>(initial_accumulator_value));
        },
        params);
  }

  /// One update of params in place from grads (a tree of the same structure).
  template <class Tree, class Grads>
  void step(Tree& params, Grads const& grads) {
    detail::step_leaves(
        *this, params, grads,
        [&](auto* dst, auto const& p, auto const& g, std::size_t i) {
          using T = std::remove_pointer_t<decltype(dst)>;
          T wd = static_cast<T>(weight_decay), e = static_cast<T>(eps);
          auto clr = lr / (1 + static_cast<double>(state.step - 1) * lr_decay);
          auto d = [&] { return g + wd * p; };
          auto sum = state.view(0, i, p);
          evaluate_into(state.data<T>(0, i), sum + T(1) * d() * d());
          evaluate_into(dst, p + static_cast<T>(-clr) * d() / (sqrt(sum) + e));
        },
        "adagrad::step");
  }

  /// Calls f(name, data, shape) for "step" and "sum.<leaf>".
  template <class F>
  void visit_state(F&& f) {
    state.visit(f);
  }
};

}  // namespace metagrad::optim
