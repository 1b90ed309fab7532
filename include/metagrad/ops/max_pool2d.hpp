// SPDX-License-Identifier: MIT
// max_pool2d(x) as torch.nn.functional.max_pool2d (padding never wins, floor mode):
//   (..,H,W) => (..,OH,OW), OH = (H + 2p - KH)/s + 1; leading axes are independent planes.
// Each window's derivative goes to one position, its first maximum in row-major order (PyTorch's
// argmax), found again from x by the derivative primitives rather than stored:
//   max_pool2d_gather(v, x): v read at x's argmax of each window   (..,H,W), (..,H,W) => (..,OH,OW)
//   max_pool2d_grad(g, x):   g added at x's argmax of each window  (..,OH,OW), (..,H,W) => (..,H,W)
// Both are linear in their first argument and transposes of each other; x only picks positions.
// d max_pool(x) = gather(dx, x);  vjp: grad(g, x).
#pragma once
#include "window2d.hpp"

namespace metagrad {

namespace detail {
template <pool2d_params P, class S>
using pooled_shape = shape_from<pooled_dims<S, P>()>;
}  // namespace detail

template <pool2d_params P>
struct max_pool2d_op {
  static constexpr char const* name = "max_pool2d";
  static constexpr pool2d_params params = P;
  /// Cost (nn/cost.hpp): one operation per output value and window element.
  template <class Out, class X>
  static constexpr index_t flops = detail::cost_product(P.kernel.h* P.kernel.w,
                                                        detail::per_example_size<Out>());

  template <class S>
  using result_shape = detail::pooled_shape<P, S>;
  template <class S>
  auto result_extents(extents<S::rank> const& e) const {
    return detail::pooled_extents(name, P, e);
  }
  static auto jvp(max_pool2d_op, auto const&, auto const& x, auto const& dx);
  static auto vjp(max_pool2d_op, auto const& g, auto const&, auto const& x);
};

/// v read at the argmax of each of x's windows; v and x have the same extents.
template <pool2d_params P>
struct max_pool2d_gather_op {
  static constexpr char const* name = "max_pool2d_gather";
  static constexpr pool2d_params params = P;

  template <class V, class X>
  using result_shape = detail::pooled_shape<P, X>;
  template <class V, class X>
  auto result_extents(extents<V::rank> const& v, extents<X::rank> const& x) const {
    if (v != x)
      detail::throw_shape_error("max_pool2d_gather: values differ from input", v, " vs ", x);
    return detail::pooled_extents(name, P, x);
  }
  static auto jvp(max_pool2d_gather_op, auto const&, auto const&, auto const& x, auto const& dv,
                  auto const&);
  static auto vjp(max_pool2d_gather_op, auto const& c, auto const&, auto const&, auto const& x);
};

/// g added at the argmax of each of x's windows: the transpose of max_pool2d_gather in v.
template <pool2d_params P>
struct max_pool2d_grad_op {
  static constexpr char const* name = "max_pool2d_grad";
  static constexpr pool2d_params params = P;

  template <class G, class X>
  using result_shape = X;
  template <class G, class X>
  auto result_extents(extents<G::rank> const& g, extents<X::rank> const& x) const {
    if (detail::pooled_extents(name, P, x) != g)
      detail::throw_shape_error("max_pool2d_grad: cotangent differs from max_pool2d's output", g,
                                " for input ", x);
    return x;
  }
  static auto jvp(max_pool2d_grad_op, auto const&, auto const&, auto const& x, auto const& dg,
                  auto const&);
  static auto vjp(max_pool2d_grad_op, auto const& c, auto const&, auto const&, auto const& x);
};

/// v at the argmax of each of x's windows (the jvp of max_pool2d); zero when v is.
template <pool2d_params P, class V, class X>
auto max_pool2d_gather(V const& v, X const& x) {
  if constexpr (is_zero<V>) {
    using S = detail::pooled_shape<P, shape_t<X>>;
    return zero<value_t<V>, S, device_t<V>>(detail::pooled_extents("max_pool2d_gather", P, x.ext));
  } else {
    return make_node(max_pool2d_gather_op<P>{}, v, x);
  }
}
/// g routed to the argmax of each of x's windows (the vjp of max_pool2d); zero when g is.
template <pool2d_params P, class G, class X>
auto max_pool2d_grad(G const& g, X const& x) {
  if constexpr (is_zero<G>)
    return zeros_like(x);
  else
    return make_node(max_pool2d_grad_op<P>{}, g, x);
}

template <pool2d_params P>
auto max_pool2d_op<P>::jvp(max_pool2d_op, auto const&, auto const& x, auto const& dx) {
  return max_pool2d_gather<P>(dx, x);
}
template <pool2d_params P>
auto max_pool2d_op<P>::vjp(max_pool2d_op, auto const& g, auto const&, auto const& x) {
  return detail::make_flat_tuple(max_pool2d_grad<P>(g, x));
}
template <pool2d_params P>
auto max_pool2d_gather_op<P>::jvp(max_pool2d_gather_op, auto const&, auto const&, auto const& x,
                                  auto const& dv, auto const&) {
  return max_pool2d_gather<P>(dv, x);
}
template <pool2d_params P>
auto max_pool2d_gather_op<P>::vjp(max_pool2d_gather_op, auto const& c, auto const&, auto const&,
                                  auto const& x) {
  return detail::make_flat_tuple(max_pool2d_grad<P>(c, x), zeros_like(x));
}
template <pool2d_params P>
auto max_pool2d_grad_op<P>::jvp(max_pool2d_grad_op, auto const&, auto const&, auto const& x,
                                auto const& dg, auto const&) {
  return max_pool2d_grad<P>(dg, x);
}
template <pool2d_params P>
auto max_pool2d_grad_op<P>::vjp(max_pool2d_grad_op, auto const& c, auto const&, auto const&,
                                auto const& x) {
  return detail::make_flat_tuple(max_pool2d_gather<P>(c, x), zeros_like(x));
}

/// 2-D max pooling as PyTorch's F.max_pool2d, e.g.
/// max_pool2d<pool2d_params{.kernel = 3, .stride = 2, .padding = 1}>(x): (N,C,H,W) => (N,C,OH,OW).
template <pool2d_params P, expression_like X>
auto max_pool2d(X const& x) {
  auto e = as_expr(x);
  constexpr pool2d_params p = P.normalized();
  static_assert(check_pool2d<shape_t<decltype(e)>, p>());
  return make_node(max_pool2d_op<p>{}, e);
}
/// max_pool2d with a square window, e.g. max_pool2d<2>(x) (stride defaults to the kernel size).
template <index_t Kernel, index_t Stride = Kernel, index_t Padding = 0, expression_like X>
auto max_pool2d(X const& x) {
  return max_pool2d<pool2d_params{Kernel, Stride, Padding}>(x);
}

}  // namespace metagrad
