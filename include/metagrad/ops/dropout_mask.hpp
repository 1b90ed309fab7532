// SPDX-License-Identifier: MIT
// dropout_mask(x, p, key): a tensor of x's shape whose elements are 0 with probability p and
// 1/(1-p) otherwise (inverted dropout, as torch.nn.functional.dropout), drawn from Philox with
// `key`: element i is decided by word i%4 of key.bits(i/4), so a key gives the same mask on every
// device and at every batch split. x gives only the shape; the mask's derivative is zero.
// dropout is then x * dropout_mask(x, p, key), whose vjp g * mask reuses the one computed mask.
#pragma once
#include <stdexcept>
#include <string>

#include "../random/philox.hpp"
#include "mul.hpp"

namespace metagrad {

struct dropout_mask_op {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(dropout_mask_op const& a, dropout_mask_op const& b) {
    return a.p == b.p && a.key.key == b.key.key;
  }
  static constexpr char const* name = "dropout_mask";
  /// Cost (nn/cost.hpp): none; the mask's product with the input is the dropout's operation.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;
  double p = 0;  ///< the probability of a zero
  rng key{0};

  template <class S>
  using result_shape = S;
  template <class S>
  auto result_extents(extents<S::rank> const& e) const {
    return e;
  }
  static auto jvp(dropout_mask_op, auto const& y, auto const&, auto const&) {
    return zeros_like(y);
  }
  static auto vjp(dropout_mask_op, auto const&, auto const&, auto const& x) {
    return detail::make_flat_tuple(zeros_like(x));
  }
};

/// The inverted-dropout mask for x (0 with probability p, else 1/(1-p)), e.g.
/// auto y = x * dropout_mask(x, 0.5, key);  p must be in [0, 1).
template <expression_like X>
auto dropout_mask(X const& x, double p, rng key) {
  if (!(p >= 0 && p < 1))
    throw std::invalid_argument("dropout: expected a probability p in [0, 1), found " +
                                std::to_string(p));
  return make_node(dropout_mask_op{p, key}, as_expr(x));
}

/// Inverted dropout of x with drop probability p, e.g. dropout(h, 0.1, key.fold_in(step)).
template <expression_like X>
auto dropout(X const& x, double p, rng key) {
  auto e = as_expr(x);
  return e * dropout_mask(e, p, key);
}

}  // namespace metagrad
