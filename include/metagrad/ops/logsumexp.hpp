// SPDX-License-Identifier: MIT
// logsumexp<Axes...>(x) = log(sum(exp(x))) over the given axes (every axis when none are given),
// computed stably as m + log(sum(exp(x - m))) with m = stop_gradient(max(x)), so x = 1000 does not
// overflow. A composite: (2,3,4) over {2} => (2,3), or (2,3,1) with keepdims.
// d lse = sum(softmax(x) * dx);  vjp: g * softmax(x), from the rules of exp, log, sum and max.
#pragma once
#include "exp.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "max.hpp"
#include "sub.hpp"

namespace metagrad {

namespace detail {
template <bool Keep, int... Axes, class X>
auto logsumexp_impl(X const& x) {
  auto e = as_expr(x);
  using S = shape_t<decltype(e)>;
  if constexpr (!check_axes<S, Axes...>()) {
    return e;  // not reached: check_axes failed; stops follow-up errors on the invalid axes
  } else {
    constexpr auto axes = normalize_axes<S::rank, Axes...>();
    // The shift m needs no derivative: the result does not depend on it.
    auto m = stop_gradient(make_reduce<max_kind, Keep, Axes...>(e));
    auto shifted = exp(e - unreduce<S, axes, Keep>(m, e.ext));
    return m + log(make_reduce<sum_kind, Keep, Axes...>(shifted));
  }
}
}  // namespace detail

/// log(sum(exp(x))) over the given axes, without overflow, e.g. logsumexp<-1>(logits).
template <int... Axes, expression_like X>
auto logsumexp(X const& x) {
  return detail::logsumexp_impl<false, Axes...>(x);
}
template <int... Axes, expression_like X>
auto logsumexp(X const& x, keepdims_t) {
  return detail::logsumexp_impl<true, Axes...>(x);
}

}  // namespace metagrad
