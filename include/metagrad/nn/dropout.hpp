// SPDX-License-Identifier: MIT
// dropout{p}: in training, each value is zeroed with probability p and the others scaled by
// 1/(1-p), as torch.nn.Dropout(p); in eval mode (and a plain call) it is the identity. The mask
// comes from the mode's key (see mode.hpp), so a seed gives the same masks on every run.
#pragma once
#include "../ops/dropout_mask.hpp"
#include "layer.hpp"
#include "mode.hpp"

namespace metagrad::nn {

/// Dropout with drop probability p, e.g. dropout{0.5}; p in [0, 1).
struct dropout : stateless {
  static constexpr std::string_view name = "dropout";
  double p = 0.5;

  constexpr dropout(double drop_probability = 0.5) : p(drop_probability) {}

  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return as_expr(x);
  }
  template <class P, class X>
  auto operator()(P const&, X const& x, train_mode const& m) const {
    return metagrad::dropout(x, p, m.key);
  }
  template <class P, class X, class S>
  auto operator()(P const&, X const& x, eval_mode<S> const&) const {
    return as_expr(x);
  }
};

}  // namespace metagrad::nn
