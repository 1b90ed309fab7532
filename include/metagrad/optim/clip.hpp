// SPDX-License-Identifier: MIT
// Gradient clipping over a whole tree, in place: by the global L2 norm, as
// torch.nn.utils.clip_grad_norm_ (norm per leaf, then the norm of those norms; scale by
// min(1, max_norm / (norm + 1e-6))), or by value, as torch.nn.utils.clip_grad_value_.
#pragma once
#include <cmath>
#include <limits>

#include "../eval/evaluate.hpp"
#include "../expr/tree.hpp"
#include "../ops/clamp.hpp"
#include "../ops/square.hpp"
#include "../ops/sum.hpp"
#include "state.hpp"

namespace metagrad::optim {

/// Scales grads so that their global L2 norm is at most max_norm; returns the norm before, e.g.
/// double n = clip_grad_norm(grads, 1.0);
template <class Tree>
double clip_grad_norm(Tree& grads, double max_norm) {
  double total = 0;
  tree_for_each(
      [&](auto const& g) {
        using T = typename std::remove_cvref_t<decltype(g)>::value_type;
        T s = 0;
        if (g.size() > 0) evaluate_into(&s, sum(square(detail::flat_view(g))));
        double n = static_cast<double>(std::sqrt(s));  // the leaf's norm in its own type, as torch
        total += n * n;
      },
      grads);
  total = std::sqrt(total);
  double coef = std::min(1.0, max_norm / (total + 1e-6));
  tree_for_each(
      [&](auto& g) {
        using T = typename std::remove_cvref_t<decltype(g)>::value_type;
        evaluate_into(g.data(), detail::flat_view(g) * static_cast<T>(coef));
      },
      grads);
  return total;
}

/// Clamps every gradient element to [-v, v], e.g. clip_grad_value(grads, 0.5).
template <class Tree>
void clip_grad_value(Tree& grads, double v) {
  if (!(v >= 0))
    throw std::invalid_argument("clip_grad_value: the bound must be >= 0, found " +
                                std::to_string(v));
  tree_for_each([&](auto& g) { evaluate_into(g.data(), clamp(detail::flat_view(g), -v, v)); },
                grads);
}

}  // namespace metagrad::optim
