// SPDX-License-Identifier: MIT
// conv2d(x, w [, b]) as torch.nn.functional.conv2d (cross-correlation, zero padding):
//   (N,C,H,W) * (O,C/groups,KH,KW) [+ (O)] => (N,O,OH,OW),  OH = (H + 2p - d(KH-1) - 1)/s + 1.
// conv2d is bilinear, B(x, w); its derivative primitives are the transposes of B in each argument:
//   conv2d_input_grad(g, w)  = B(., w)ᵀ g   (N,O,OH,OW), (O,C/G,KH,KW) => (N,C,H,W)
//   conv2d_weight_grad(x, g) = B(x, .)ᵀ g   (N,C,H,W), (N,O,OH,OW) => (O,C/G,KH,KW)
// d conv(x, w) = conv(dx, w) + conv(x, dw);  vjp: (input_grad(g, w), weight_grad(x, g)).
// The bias is a broadcast add of b as (O,1,1), so its vjp (g summed over N,OH,OW) comes for free.
#pragma once
#include "reshape.hpp"
#include "window2d.hpp"

namespace metagrad {

namespace detail {
template <class X, class W, conv2d_params P>
consteval std::array<index_t, 4> conv2d_dims() {
  return {X::dims[0], W::dims[0], conv_axis_h(P).out(X::dims[2], W::dims[2]),
          conv_axis_w(P).out(X::dims[3], W::dims[3])};
}

/// Run-time twin of check_conv2d: the output extents, or shape_error with the same words.
template <conv2d_params P>
extents<4> conv2d_extents(extents<4> const& x, extents<4> const& w) {
  if (x[1] != w[1] * P.groups)
    throw_shape_error("conv2d: input channels differ from weight's in-channels times groups", x,
                      " with weight ", w);
  if (w[0] % P.groups != 0)
    throw_shape_error("conv2d: weight's out-channels must be divisible by groups", w);
  auto ah = conv_axis_h(P), aw = conv_axis_w(P);
  if (x[2] + 2 * ah.padding < ah.span(w[2]) || x[3] + 2 * aw.padding < aw.span(w[3]))
    throw_shape_error("conv2d: kernel larger than padded input", x, " with weight ", w);
  return {{x[0], w[0], ah.out(x[2], w[2]), aw.out(x[3], w[3])}};
}
}  // namespace detail

/// conv2d's static checks; X = (N,C,H,W), W = (O,C/groups,KH,KW).
template <class X, class W, conv2d_params P>
consteval bool check_conv2d() {
  static_assert(X::rank == 4, "conv2d: input must have rank 4: (N,C,H,W)");
  static_assert(W::rank == 4, "conv2d: weight must have rank 4: (O,C/groups,KH,KW)");
  static_assert(P.stride.h >= 1 && P.stride.w >= 1 && P.dilation.h >= 1 && P.dilation.w >= 1 &&
                    P.padding.h >= 0 && P.padding.w >= 0 && P.groups >= 1,
                "conv2d: stride, dilation and groups must be >= 1 and padding >= 0");
  if constexpr (X::rank == 4 && W::rank == 4 && P.groups >= 1) {
    constexpr index_t c = X::dims[1], i = W::dims[1], o = W::dims[0];
    static_assert(c == dyn || i == dyn || c == i * P.groups || conv2d_channels_differ<X, W>::value,
                  "conv2d: input channels differ from weight's in-channels times groups; "
                  "(N,C,H,W) * (O,C/groups,KH,KW) needs C == (C/groups) * groups");
    static_assert(
        o == dyn || o % P.groups == 0 || conv2d_out_channels_not_divisible_by_groups<W>::value,
        "conv2d: weight's out-channels must be divisible by groups");
    static_assert((detail::conv_axis_h(P).fits(X::dims[2], W::dims[2]) &&
                   detail::conv_axis_w(P).fits(X::dims[3], W::dims[3])) ||
                      conv2d_kernel_larger_than_padded_input<X, W>::value,
                  "conv2d: kernel larger than padded input; needs H + 2*padding >= "
                  "dilation*(KH-1) + 1 (and the same for W)");
  }
  return true;
}

template <conv2d_params P, class XS>
struct conv2d_input_grad_op;
template <conv2d_params P, class WS>
struct conv2d_weight_grad_op;

template <conv2d_params P>
struct conv2d_op {
  static constexpr char const* name = "conv2d";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr conv2d_params params = P;
  /// Cost (nn/cost.hpp): a multiply-add per output value and weight of its filter (C/G*KH*KW).
  static constexpr bool contracts = true;
  template <class Out, class X, class W>
  static constexpr index_t flops = 2 * shape_t<W>::dims[1] * shape_t<W>::dims[2] *
                                   shape_t<W>::dims[3] * detail::per_example_size<Out>();

  template <class X, class W>
  using result_shape = shape_from<detail::conv2d_dims<X, W, P>()>;
  template <class X, class W>
  extents<4> result_extents(extents<4> const& x, extents<4> const& w) const {
    return detail::conv2d_extents<P>(x, w);
  }
  // d conv(x, w) = conv(dx, w) + conv(x, dw);  vjp: (input_grad(g, w), weight_grad(x, g)).
  static auto jvp(conv2d_op, auto const&, auto const& x, auto const& w, auto const& dx,
                  auto const& dw) {
    return make_node(conv2d_op{}, dx, w) + make_node(conv2d_op{}, x, dw);
  }
  static auto vjp(conv2d_op, auto const& g, auto const&, auto const& x, auto const& w) {
    using XS = shape_t<decltype(x)>;
    using WS = shape_t<decltype(w)>;
    return detail::make_flat_tuple(make_node(conv2d_input_grad_op<P, XS>{x.ext}, g, w),
                                   make_node(conv2d_weight_grad_op<P, WS>{w.ext}, x, g));
  }
};

/// The transpose of conv2d in its input: (N,O,OH,OW), (O,C/G,KH,KW) => (N,C,H,W) = XS.
/// Bilinear in (g, w): with c of x's shape, <input_grad(g, w), c> = <g, conv(c, w)>, so
/// vjp: (conv(c, w), weight_grad(c, g)).
template <conv2d_params P, class XS>
struct conv2d_input_grad_op {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(conv2d_input_grad_op const&, conv2d_input_grad_op const&) = default;
  static constexpr char const* name = "conv2d_input_grad";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr conv2d_params params = P;
  extents<4> input;  // (N,C,H,W): H and W do not follow from OH and OW when stride > 1

  template <class G, class W>
  using result_shape = XS;
  template <class G, class W>
  extents<4> result_extents(extents<4> const& g, extents<4> const& w) const {
    if (detail::conv2d_extents<P>(input, w) != g)
      detail::throw_shape_error("conv2d_input_grad: cotangent differs from conv2d's output", g,
                                " for input ", input);
    return input;
  }
  static auto jvp(conv2d_input_grad_op op, auto const&, auto const& g, auto const& w,
                  auto const& dg, auto const& dw) {
    return make_node(op, dg, w) + make_node(op, g, dw);
  }
  static auto vjp(conv2d_input_grad_op, auto const& c, auto const&, auto const& g, auto const& w) {
    using WS = shape_t<decltype(w)>;
    return detail::make_flat_tuple(make_node(conv2d_op<P>{}, c, w),
                                   make_node(conv2d_weight_grad_op<P, WS>{w.ext}, c, g));
  }
};

/// The transpose of conv2d in its weight: (N,C,H,W), (N,O,OH,OW) => (O,C/G,KH,KW) = WS.
/// Bilinear in (x, g): with c of w's shape, <weight_grad(x, g), c> = <g, conv(x, c)>, so
/// vjp: (input_grad(g, c), conv(x, c)).
template <conv2d_params P, class WS>
struct conv2d_weight_grad_op {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(conv2d_weight_grad_op const&, conv2d_weight_grad_op const&) = default;
  static constexpr char const* name = "conv2d_weight_grad";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr conv2d_params params = P;
  extents<4> weight;  // (O,C/G,KH,KW): KH and KW do not follow from OH and OW when stride > 1

  template <class X, class G>
  using result_shape = WS;
  template <class X, class G>
  extents<4> result_extents(extents<4> const& x, extents<4> const& g) const {
    if (detail::conv2d_extents<P>(x, weight) != g)
      detail::throw_shape_error("conv2d_weight_grad: cotangent differs from conv2d's output", g,
                                " for input ", x);
    return weight;
  }
  static auto jvp(conv2d_weight_grad_op op, auto const&, auto const& x, auto const& g,
                  auto const& dx, auto const& dg) {
    return make_node(op, dx, g) + make_node(op, x, dg);
  }
  static auto vjp(conv2d_weight_grad_op, auto const& c, auto const&, auto const& x, auto const& g) {
    using XS = shape_t<decltype(x)>;
    return detail::make_flat_tuple(make_node(conv2d_input_grad_op<P, XS>{x.ext}, g, c),
                                   make_node(conv2d_op<P>{}, x, c));
  }
};

/// 2-D convolution (cross-correlation) as PyTorch's F.conv2d, with the parameters as one
/// structural value, e.g. conv2d<conv2d_params{.stride = 2, .padding = 1}>(x, w, b):
/// (N,C,H,W) * (O,C/groups,KH,KW) + (O) => (N,O,OH,OW).
template <conv2d_params P, expression_like X, expression_like W>
auto conv2d(X const& x, W const& w) {
  auto xe = as_expr(x);
  auto we = as_expr(w);
  using SX = shape_t<decltype(xe)>;
  using SW = shape_t<decltype(we)>;
  static_assert(check_conv2d<SX, SW, P>());
  if constexpr (SX::rank == 4 && SW::rank == 4) return make_node(conv2d_op<P>{}, xe, we);
}
template <conv2d_params P, expression_like X, expression_like W, expression_like B>
auto conv2d(X const& x, W const& w, B const& b) {
  auto be = as_expr(b);
  using SW = shape_t<W>;
  using SB = shape_t<decltype(be)>;
  static_assert(SB::rank == 1, "conv2d: bias must have rank 1: (O)");
  if constexpr (SB::rank == 1 && SW::rank == 4) {
    static_assert(SB::dims[0] == dyn || SW::dims[0] == dyn || SB::dims[0] == SW::dims[0] ||
                      conv2d_bias_length_differs<SW, SB>::value,
                  "conv2d: bias length differs from weight's out-channels; (O,C/groups,KH,KW) "
                  "needs a bias of shape (O)");
    auto y = conv2d<P>(x, w);
    if (be.ext[0] != y.ext[1])
      detail::throw_shape_error("conv2d: bias length differs from weight's out-channels", be.ext,
                                " with weight ", as_expr(w).ext);
    return y + reshape<shape<SB::dims[0], 1, 1>>(be, extents<3>{{be.ext[0], 1, 1}});
  }
}

/// conv2d with symmetric stride, padding and dilation as numbers, e.g. conv2d<2, 1>(x, w):
/// conv2d<Stride, Padding, Dilation, Groups>(x, w [, b]).
template <index_t Stride = 1, index_t Padding = 0, index_t Dilation = 1, index_t Groups = 1,
          expression_like X, expression_like W>
auto conv2d(X const& x, W const& w) {
  return conv2d<conv2d_params{Stride, Padding, Dilation, Groups}>(x, w);
}
template <index_t Stride = 1, index_t Padding = 0, index_t Dilation = 1, index_t Groups = 1,
          expression_like X, expression_like W, expression_like B>
auto conv2d(X const& x, W const& w, B const& b) {
  return conv2d<conv2d_params{Stride, Padding, Dilation, Groups}>(x, w, b);
}

}  // namespace metagrad
