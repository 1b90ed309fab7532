// SPDX-License-Identifier: MIT
// avg_pool2d(x) as torch.nn.functional.avg_pool2d with count_include_pad=True (the divisor is
// always KH*KW, zero padding included), floor mode:
//   (..,H,W) => (..,OH,OW), OH = (H + 2p - KH)/s + 1; leading axes are independent planes.
// Linear; its transpose avg_pool2d_grad spreads each g evenly over its window:
//   avg_pool2d_grad(g): (..,OH,OW) => (..,H,W)
// d avg_pool(x) = avg_pool(dx);  vjp: avg_pool2d_grad(g).
#pragma once
#include "window2d.hpp"

namespace metagrad {

template <pool2d_params P, class XS>
struct avg_pool2d_grad_op;

template <pool2d_params P>
struct avg_pool2d_op {
  static constexpr char const* name = "avg_pool2d";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr pool2d_params params = P;
  /// Cost (nn/cost.hpp): one operation per output value and window element.
  template <class Out, class X>
  static constexpr index_t flops = detail::cost_product(P.kernel.h* P.kernel.w,
                                                        detail::per_example_size<Out>());

  template <class S>
  using result_shape = shape_from<detail::pooled_dims<S, P>()>;
  template <class S>
  auto result_extents(extents<S::rank> const& e) const {
    return detail::pooled_extents(name, P, e);
  }
  static auto jvp(avg_pool2d_op, auto const&, auto const&, auto const& dx) {
    return make_node(avg_pool2d_op{}, dx);
  }
  static auto vjp(avg_pool2d_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(
        make_node(avg_pool2d_grad_op<P, shape_t<decltype(x)>>{x.ext}, g));
  }
};

/// The transpose of avg_pool2d: (..,OH,OW) => (..,H,W) = XS, each g spread over its window.
template <pool2d_params P, class XS>
struct avg_pool2d_grad_op {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(avg_pool2d_grad_op const&, avg_pool2d_grad_op const&) = default;
  static constexpr char const* name = "avg_pool2d_grad";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr pool2d_params params = P;
  extents<XS::rank> input;  // H and W do not follow from OH and OW when stride > 1

  template <class G>
  using result_shape = XS;
  template <class G>
  auto result_extents(extents<G::rank> const& g) const {
    if (detail::pooled_extents(name, P, input) != g)
      detail::throw_shape_error("avg_pool2d_grad: cotangent differs from avg_pool2d's output", g,
                                " for input ", input);
    return input;
  }
  static auto jvp(avg_pool2d_grad_op op, auto const&, auto const&, auto const& dg) {
    return make_node(op, dg);
  }
  static auto vjp(avg_pool2d_grad_op, auto const& c, auto const&, auto const&) {
    return detail::make_flat_tuple(make_node(avg_pool2d_op<P>{}, c));
  }
};

/// 2-D average pooling as PyTorch's F.avg_pool2d (count_include_pad=True), e.g.
/// avg_pool2d<pool2d_params{.kernel = 3, .stride = 2, .padding = 1}>(x): (N,C,H,W) => (N,C,OH,OW).
template <pool2d_params P, expression_like X>
auto avg_pool2d(X const& x) {
  auto e = as_expr(x);
  constexpr pool2d_params p = P.normalized();
  static_assert(check_pool2d<shape_t<decltype(e)>, p>());
  return make_node(avg_pool2d_op<p>{}, e);
}
/// avg_pool2d with a square window, e.g. avg_pool2d<2>(x) (stride defaults to the kernel size).
template <index_t Kernel, index_t Stride = Kernel, index_t Padding = 0, expression_like X>
auto avg_pool2d(X const& x) {
  return avg_pool2d<pool2d_params{Kernel, Stride, Padding}>(x);
}

}  // namespace metagrad
