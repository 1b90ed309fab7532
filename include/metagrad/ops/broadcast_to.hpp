// SPDX-License-Identifier: MIT
// broadcast_to<Shape>(x): x repeated along new leading axes and its static-1 axes, e.g.
// (3,1) => (2,3,4). Elementwise: backends read x with stride 0 on the broadcast axes.
// d broadcast(x) = broadcast(dx);  vjp: sum_to(g, x).
#pragma once
#include "sum.hpp"

namespace metagrad {

template <class Shape>
struct broadcast_to_op : elementwise_tag {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(broadcast_to_op const& a, broadcast_to_op const& b) {
    return a.target == b.target;
  }
  static constexpr char const* name = "broadcast_to";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Free: a read with stride 0 (nn/cost.hpp).
  template <class Out, class... Args>
  static constexpr index_t flops = 0;
  extents<Shape::rank> target;

  template <class S>
  using result_shape = Shape;
  template <class S>
  extents<Shape::rank> result_extents(extents<S::rank> const& e) const {
    auto r = broadcast_extents<S, Shape>(name, e, target);
    if (r != target)
      throw shape_error(std::string("broadcast_to: cannot broadcast ") + to_string(e) + " to " +
                        to_string(target));
    return r;
  }
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T x) {
    return x;
  }
  static auto jvp(broadcast_to_op op, auto const&, auto const&, auto const& dx) {
    return broadcast_to<Shape>(dx, op.target);
  }
  static auto vjp(broadcast_to_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(sum_to<shape_t<decltype(x)>>(g, x.ext));
  }
};

template <class From, class To>
consteval bool check_broadcast_to() {
  static_assert((rules::broadcastable<From, To>() && std::same_as<broadcast_shape<From, To>, To>) ||
                    broadcast_incompatible<From, To>::value,
                "broadcast_to: shapes are incompatible for broadcasting; each dimension must "
                "match or be 1");
  return true;
}

/// x broadcast to Shape with the given run-time extents (which must agree with Shape).
template <class Shape, class E>
auto broadcast_to(E const& e, extents<Shape::rank> const& target) {
  auto x = as_expr(e);
  static_assert(check_broadcast_to<shape_t<decltype(x)>, Shape>());
  if constexpr (std::same_as<shape_t<decltype(x)>, Shape>)
    return x;
  else
    return make_node(broadcast_to_op<Shape>{{}, target}, x);
}
/// x broadcast to a static Shape, e.g. broadcast_to<shape<2, 3, 4>>(x /*(3,1)*/).
template <class Shape, expression_like E>
requires Shape::is_static auto broadcast_to(E const& e) {
  return broadcast_to<Shape>(e, static_extents<Shape>());
}

}  // namespace metagrad
