// SPDX-License-Identifier: MIT
// Adam and AdamW: torch.optim.Adam / torch.optim.AdamW's update, term for term (bias correction
// by 1 - beta^step in double, eps added after dividing sqrt(v) by sqrt(1 - beta2^step), AMSGrad
// keeping the running maximum of v). AdamW decays the weights before the update, decoupled.
#pragma once
#include <cmath>

#include "../ops/maximum.hpp"
#include "../ops/sqrt.hpp"
#include "state.hpp"

namespace metagrad::optim {

namespace detail {
/// The Adam update of one leaf; decoupled selects AdamW's weight decay. The options change
/// which tensors the passes read, never the passes' expressions: L2 decay computes the decayed
/// gradient into scratch memory first (as torch does) and the passes read it as the gradient,
/// and AMSGrad's update reads the running maximum where Adam's reads v. Each expression is a
/// kernel the compiler instantiates (and optimizes) whichever options a program runs with:
/// spelled once per form, 10 kernels became 7.
template <class Opt, class T, class P, class G>
void adam_leaf(Opt& o, T* dst, P const& p, G const& g_in, std::size_t i, bool decoupled) {
  if (o.weight_decay != 0 && decoupled)
    evaluate_into(dst, p * static_cast<T>(1 - o.lr * o.weight_decay));
  metagrad::detail::scratch_scope scope;
  G g = g_in;
  if (o.weight_decay != 0 && !decoupled) {
    T* d = metagrad::detail::scratch::take<T>(static_cast<std::size_t>(p.size()));
    evaluate_into(d, g_in + static_cast<T>(o.weight_decay) * p);
    g = G(d, g_in.ext);
  }
  auto m = o.state.view(0, i, p);
  auto v = o.state.view(1, i, p);
  lerp_into(o.state.template data<T>(0, i), m, g, 1 - o.beta1);
  T b2 = static_cast<T>(o.beta2), one_b2 = static_cast<T>(1 - o.beta2);
  evaluate_into(o.state.template data<T>(1, i), v * b2 + one_b2 * g * g);
  auto step = static_cast<double>(o.state.step);
  double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
  T neg_step = static_cast<T>(-(o.lr / bc1)), bc2_sqrt = static_cast<T>(std::sqrt(bc2));
  T eps = static_cast<T>(o.eps);
  auto denominator = v;
  if (o.amsgrad) {
    denominator = o.state.view(2, i, p);
    evaluate_into(o.state.template data<T>(2, i), maximum(denominator, v));
  }
  // torch's addcdiv: p + (value * m) / denom, in that order.
  evaluate_into(dst, p + neg_step * m / (sqrt(denominator) / bc2_sqrt + eps));
}

/// The state kinds of Adam and AdamW.
template <class Opt, class Tree>
void adam_init(Opt& o, Tree const& params) {
  if (o.amsgrad)
    o.state.create(params, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"});
  else
    o.state.create(params, {"exp_avg", "exp_avg_sq"});
}
}  // namespace detail

/// torch.optim.Adam (weight_decay is L2: added to the gradient), e.g. adam opt{.lr = 1e-3};
/// opt.step(params, grads);
struct adam {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  detail::state state{};

  /// Creates zeroed state for params (step 0), e.g. before restoring a checkpoint into it.
  template <class Tree>
  void init(Tree const& params) {
    detail::adam_init(*this, params);
  }
  /// One update of params in place from grads (a tree of the same structure).
  template <class Tree, class Grads>
  void step(Tree& params, Grads const& grads) {
    detail::step_leaves(
        *this, params, grads,
        [&](auto* dst, auto const& p, auto const& g, std::size_t i) {
          detail::adam_leaf(*this, dst, p, g, i, false);
        },
        "adam::step");
  }
  /// Calls f(name, data, shape) for "step", "exp_avg.<leaf>", "exp_avg_sq.<leaf>" (and
  /// "max_exp_avg_sq.<leaf>" with amsgrad).
  template <class F>
  void visit_state(F&& f) {
    state.visit(f);
  }
};

/// torch.optim.AdamW: weights decay by lr * weight_decay before each Adam update, e.g.
/// adamw opt{.lr = 1e-3, .weight_decay = 0.1};
struct adamw {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  detail::state state{};

  /// Creates zeroed state for params (step 0), e.g. before restoring a checkpoint into it.
  template <class Tree>
  void init(Tree const& params) {
    detail::adam_init(*this, params);
  }
  /// One update of params in place from grads (a tree of the same structure).
  template <class Tree, class Grads>
  void step(Tree& params, Grads const& grads) {
    detail::step_leaves(
        *this, params, grads,
        [&](auto* dst, auto const& p, auto const& g, std::size_t i) {
          detail::adam_leaf(*this, dst, p, g, i, true);
        },
        "adamw::step");
  }
  /// As adam::visit_state.
  template <class F>
  void visit_state(F&& f) {
    state.visit(f);
  }
};

}  // namespace metagrad::optim
