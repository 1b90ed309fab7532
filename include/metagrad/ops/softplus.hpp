// SPDX-License-Identifier: MIT
// softplus(x) = log(1 + exp(x)), elementwise (beta 1), written as the stable composite
// maximum(x, 0) + log1p(exp(-|x|)): no overflow for large |x|, and its derivative is sigmoid(x)
// everywhere (at 0, maximum's tie rule gives 1/2 and |x|' is 0), as PyTorch. (Above x = 20
// PyTorch returns x itself, with derivative 1; this differs from that by < 3e-9.)
#pragma once
#include "abs.hpp"
#include "exp.hpp"
#include "log1p.hpp"
#include "maximum.hpp"
#include "neg.hpp"

namespace metagrad {

/// log(1 + exp(x)) elementwise, stable for large |x|, e.g. softplus(x).
template <expression_like X>
auto softplus(X const& x) {
  auto e = as_expr(x);
  return maximum(e, 0) + log1p(exp(-abs(e)));
}

}  // namespace metagrad
