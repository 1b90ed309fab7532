// SPDX-License-Identifier: MIT
// softmax<Axis>(x) and log_softmax<Axis>(x) (last axis by default): x normalised over one axis,
// both composites of logsumexp, so they stay finite for inputs like ±1000. Shape unchanged.
//   log_softmax(x) = x - logsumexp(x);  softmax(x) = exp(log_softmax(x)).
// d log_softmax = dx - sum(y' dx) with y' = softmax;  d softmax = y (dx - sum(y dx)).
#pragma once
#include "logsumexp.hpp"

namespace metagrad {

/// log(softmax(x)) over Axis, computed without overflow, e.g. log_softmax(logits /*(B,10)*/).
template <int Axis = -1, expression_like X>
auto log_softmax(X const& x) {
  auto e = as_expr(x);
  return e - logsumexp<Axis>(e, keepdims);
}

/// exp(x) normalised to sum to 1 over Axis, e.g. softmax(logits /*(B,10)*/) => (B,10).
template <int Axis = -1, expression_like X>
auto softmax(X const& x) {
  return exp(log_softmax<Axis>(x));
}

}  // namespace metagrad
