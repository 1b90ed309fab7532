// SPDX-License-Identifier: MIT
// conv2d<Out, Kernel, P>: (B,C,H,W) => (B,Out,OH,OW), as torch.nn.Conv2d (weight (Out,C/groups,
// KH,KW), bias (Out)); C is inferred from the input, e.g. conv2d<6, 5, {.padding = 2}> on
// (B,1,28,28) has a (6,1,5,5) weight and gives (B,6,28,28).
#pragma once
#include "../ops/conv2d.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// A 2-D convolution layer with Out filters of size Kernel (one number: square), e.g.
/// conv2d<16, 5>{}, conv2d<32, 3, conv2d_params{.padding = 1}>{}, conv2d<8, hw_pair{3, 1}>{}.
template <index_t Out, hw_pair Kernel, conv2d_params P = conv2d_params{}>
struct conv2d {
  static_assert(Out >= 1 && Kernel.h >= 1 && Kernel.w >= 1,
                "conv2d: out-channels and kernel extents must be >= 1");
  static constexpr std::string_view name = "conv2d";
  static constexpr std::array<std::string_view, 2> param_names{"weight", "bias"};
  initializer init_kind = initializer::pytorch;

  template <class S>
  static consteval bool accepts_shape() {
    if constexpr (S::rank != 4) {
      return false;
    } else {
      constexpr index_t c = S::dims[1];
      constexpr auto ah = metagrad::detail::conv_axis_h(P);
      constexpr auto aw = metagrad::detail::conv_axis_w(P);
      return c != dyn && c % P.groups == 0 && Out % P.groups == 0 &&
             ah.fits(S::dims[2], Kernel.h) && aw.fits(S::dims[3], Kernel.w);
    }
  }
  template <class S>
  static constexpr bool accepts = accepts_shape<S>();
  /// The least H and W the kernel fits: its span (dilation) less the padding on both sides.
  static constexpr index_t min_h = metagrad::detail::conv_axis_h(P).min_in(Kernel.h);
  static constexpr index_t min_w = metagrad::detail::conv_axis_w(P).min_in(Kernel.w);
  /// What S breaks first: (B,C,H,W), C static and a multiple of the groups, H and W >= the
  /// kernel's reach.
  template <class S>
  using expects = std::conditional_t<
      S::rank != 4, expects_rank<4>,
      std::conditional_t<S::rank == 4 && S::dims[1] == dyn, expects_static_extent<1>,
                         std::conditional_t<S::rank == 4 && S::dims[1] % P.groups != 0,
                                            expects_channels_multiple_of<P.groups>,
                                            expects_spatial_at_least<min_h, min_w>>>>;

  template <class S>
  using weight_shape = shape<Out, S::dims[1] / P.groups, Kernel.h, Kernel.w>;
  template <class S>
  using output = shape_from<metagrad::detail::conv2d_dims<S, weight_shape<S>, P>()>;
  template <class T, class S>
  using params = std::tuple<tensor<T, weight_shape<S>>, tensor<T, shape<Out>>>;
  template <class S>
  static constexpr index_t fan_in = S::dims[1] / P.groups* Kernel.h* Kernel.w;
  template <class S>
  static constexpr index_t param_count = Out* fan_in<S> + Out;
  template <class S>
  static constexpr index_t flops = 2 * fan_in<S>* detail::per_example<output<S>>();

  template <class T, class S>
  params<T, S> init(rng r) const {
    params<T, S> p;
    // fan_out = Out * KH * KW, not divided by groups: torch.nn.init's rule for (O, I, KH, KW).
    detail::init_weight_and_bias(std::get<0>(p), std::get<1>(p), fan_in<S>,
                                 Out * Kernel.h * Kernel.w, init_kind, r);
    return p;
  }
  template <class Ps, class X>
  auto operator()(Ps const& p, X const& x) const {
    return metagrad::conv2d<P>(x, std::get<0>(p), std::get<1>(p));
  }
};

}  // namespace metagrad::nn
