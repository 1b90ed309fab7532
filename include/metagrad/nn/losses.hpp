// SPDX-License-Identifier: MIT
// Losses, as composites of primitives (so they get every derivative and every device for free).
// Each takes predictions first, targets second, and reduces by R (mean by default, as PyTorch):
//   cross_entropy(logits (N,C), labels (N) integers | probabilities (N,C)),  nll_loss(logp,
//   labels), binary_cross_entropy(p, t), binary_cross_entropy_with_logits(z, t), mse_loss, l1_loss,
//   huber_loss.
// e.g. auto loss = nn::cross_entropy(model(p, x), y);   nn::mse_loss<nn::reduction::sum>(y_hat, y);
#pragma once
#include <concepts>

#include "../config.hpp"
#include "../ops/abs.hpp"
#include "../ops/clamp.hpp"
#include "../ops/compare.hpp"
#include "../ops/gather.hpp"
#include "../ops/log.hpp"
#include "../ops/maximum.hpp"
#include "../ops/mul.hpp"
#include "../ops/softmax.hpp"
#include "../ops/softplus.hpp"
#include "../ops/square.hpp"
#include "../ops/sub.hpp"
#include "../ops/where.hpp"

namespace metagrad::nn {

/// How a loss reduces its per-element values: PyTorch's reduction='mean' | 'sum' | 'none'.
enum class reduction { mean, sum, none };

namespace detail {
template <reduction R, class E>
auto reduce_loss(E const& e) {
  if constexpr (R == reduction::mean)
    return mean(e);
  else if constexpr (R == reduction::sum)
    return sum(e);
  else
    return e;
}

/// labels (N) as (N,1), the index shape take_along_axis<1> wants.
template <class Y>
auto as_column(Y const& y) {
  using S = shape_t<Y>;
  return metagrad::reshape<shape<S::dims[0], 1>>(y, extents<2>{{y.ext[0], 1}});
}

template <class Z, class Y>
consteval bool check_class_targets() {
  using SZ = shape_t<Z>;
  using SY = shape_t<Y>;
  static_assert(SZ::rank == 2, "cross_entropy: logits must be (N,C)");
  static_assert(SY::rank == 1, "cross_entropy: integer labels must be (N)");
  static_assert(SZ::dims[0] == SY::dims[0] || SZ::dims[0] == dyn || SY::dims[0] == dyn,
                "cross_entropy: logits (N,C) and labels (N) disagree on N");
  return true;
}
}  // namespace detail

/// Softmax cross-entropy of logits (N,C) with integer labels (N) or target probabilities (N,C);
/// label_smoothing as in torch.nn.functional.cross_entropy (targets (1-s)·onehot + s/C).
/// e.g. nn::cross_entropy(logits, labels, 0.1)
template <reduction R = reduction::mean, expression_like Z, expression_like Y>
auto cross_entropy(Z const& logits, Y const& targets, double label_smoothing = 0) {
  auto z = as_expr(logits);
  auto t = as_expr(targets);
  using T = value_t<decltype(z)>;
  if constexpr (std::integral<value_t<decltype(t)>>) {
    auto lse = logsumexp<1>(z);  // (N)
    static_assert(detail::check_class_targets<decltype(z), decltype(t)>());
    auto picked = metagrad::reshape<shape<shape_t<decltype(z)>::dims[0]>>(
        take_along_axis<1>(z, detail::as_column(t)), extents<1>{{z.ext[0]}});  // z[i, y_i]
    // (1-s)(lse - z[y]) + s/C Σ_c (lse - z_c) = lse - (1-s) z[y] - s/C Σ_c z_c; one formula
    // for s = 0 too (exact there), so the expression type does not depend on a run-time value.
    auto s = static_cast<T>(label_smoothing);
    auto c = static_cast<T>(z.ext[1]);
    return detail::reduce_loss<R>(lse - (T(1) - s) * picked - (s / c) * sum<1>(z));
  } else {
    // Target probabilities: -Σ_c t_c log_softmax(z)_c, with t smoothed as above.
    auto s = static_cast<T>(label_smoothing);
    auto c = static_cast<T>(z.ext[1]);
    return detail::reduce_loss<R>(T(-1) *
                                  sum<1>(((T(1) - s) * t + s / c) * metagrad::log_softmax<1>(z)));
  }
}

/// Negative log-likelihood of log-probabilities (N,C) at integer labels (N): -logp[i, y_i].
template <reduction R = reduction::mean, expression_like P, expression_like Y>
auto nll_loss(P const& log_probs, Y const& labels) {
  auto lp = as_expr(log_probs);
  auto y = as_expr(labels);
  static_assert(detail::check_class_targets<decltype(lp), decltype(y)>());
  using T = value_t<decltype(lp)>;
  auto picked = metagrad::reshape<shape<shape_t<decltype(lp)>::dims[0]>>(
      take_along_axis<1>(lp, detail::as_column(y)), extents<1>{{lp.ext[0]}});
  return detail::reduce_loss<R>(T(-1) * picked);
}

/// Binary cross-entropy of probabilities p against targets t in [0,1]; logs are clamped at -100
/// as in PyTorch, so p = 0 or 1 gives a finite loss.
template <reduction R = reduction::mean, expression_like P, expression_like Y>
auto binary_cross_entropy(P const& probs, Y const& targets) {
  auto p = as_expr(probs);
  auto t = as_expr(targets);
  using T = value_t<decltype(p)>;
  auto log_p = maximum(log(p), T(-100));
  auto log_q = maximum(log(T(1) - p), T(-100));
  return detail::reduce_loss<R>(T(-1) * (t * log_p + (T(1) - t) * log_q));
}

/// Binary cross-entropy of logits z: softplus(z) - z·t, stable for large |z|.
template <reduction R = reduction::mean, expression_like Z, expression_like Y>
auto binary_cross_entropy_with_logits(Z const& logits, Y const& targets) {
  auto z = as_expr(logits);
  return detail::reduce_loss<R>(softplus(z) - z * as_expr(targets));
}

/// Mean squared error: (x - t)².
template <reduction R = reduction::mean, expression_like X, expression_like Y>
auto mse_loss(X const& x, Y const& target) {
  return detail::reduce_loss<R>(square(as_expr(x) - as_expr(target)));
}

/// Mean absolute error: |x - t|.
template <reduction R = reduction::mean, expression_like X, expression_like Y>
auto l1_loss(X const& x, Y const& target) {
  return detail::reduce_loss<R>(abs(as_expr(x) - as_expr(target)));
}

/// Huber loss with threshold delta: ½d² where |d| < delta, else delta·(|d| - ½delta).
template <reduction R = reduction::mean, expression_like X, expression_like Y>
auto huber_loss(X const& x, Y const& target, double delta = 1.0) {
  auto d = as_expr(x) - as_expr(target);
  using T = value_t<decltype(d)>;
  auto k = static_cast<T>(delta);
  auto ad = abs(d);
  return detail::reduce_loss<R>(where(ad < k, T(0.5) * square(d), k * (ad - T(0.5) * k)));
}

}  // namespace metagrad::nn
