// SPDX-License-Identifier: MIT
// Forward mode: the tangent of an expression w.r.t. the arguments of the transformation at level
// L, built by each op's jvp rule from the args' values and tangents. Args that do not depend on
// level L have the symbolic zero tangent, which the rules fold away at compile time.
#pragma once
#include "trace.hpp"

namespace metagrad {

namespace detail {
template <int L>
struct tangent_kind {};
}  // namespace detail

template <int L, class E, class Tangents>
auto tangent(E const& e, Tangents const& t) {
  if constexpr (!depends_on<E, L>) {
    return zeros_like(e);
  } else if constexpr (is_shared_expr<E>) {
    // Built once per pass (jvp opens one: shared_results_frame), shared by the copies.
    return detail::shared_results::once<detail::tangent_kind<L>>(
        e.key(), [&] { return share(tangent<L>(e.inner(), t)); });
  } else if constexpr (is_bind_at<E, L>) {
    return std::get<detail::bind_index<E, L>::index>(t);
  } else {
    auto const& n = rule_node(e);
    return detail::unpack(n.args, [&](auto const&... a) {
      return std::remove_cvref_t<decltype(n)>::op_type::jvp(n.op, value_of(e), a...,
                                                            tangent<L>(a, t)...);
    });
  }
}

}  // namespace metagrad
