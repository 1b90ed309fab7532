// SPDX-License-Identifier: MIT
// Pooling layers on (B,C,H,W) (or any (..,H,W)): max_pool2d and avg_pool2d as torch.nn.MaxPool2d
// and AvgPool2d (stride defaults to the kernel), and global_avg_pool2d, (B,C,H,W) => (B,C), as
// keras' GlobalAveragePooling2D (torch: AdaptiveAvgPool2d(1) then flatten).
#pragma once
#include "../ops/avg_pool2d.hpp"
#include "../ops/max_pool2d.hpp"
#include "../ops/sum.hpp"
#include "layer.hpp"

namespace metagrad::nn {

namespace detail {
/// What the two windowed pools share: the shape rule and its check.
template <pool2d_params P>
struct pool2d_layer : stateless {
  static constexpr pool2d_params params_value = P.normalized();
  template <class S>
  static consteval bool accepts_shape() {
    if constexpr (S::rank < 2) {
      return false;
    } else {
      constexpr std::size_t r = S::rank;
      return metagrad::detail::pool_axis_h(params_value)
                 .fits(S::dims[r - 2], params_value.kernel.h) &&
             metagrad::detail::pool_axis_w(params_value)
                 .fits(S::dims[r - 1], params_value.kernel.w);
    }
  }
  template <class S>
  static constexpr bool accepts = accepts_shape<S>();
  /// (..,H,W) with H and W at least the kernel less the padding on both sides.
  template <class S>
  using expects =
      std::conditional_t <
      S::rank<2, expects_rank_at_least<2>,
              expects_spatial_at_least<
                  metagrad::detail::pool_axis_h(params_value).min_in(params_value.kernel.h),
                  metagrad::detail::pool_axis_w(params_value).min_in(params_value.kernel.w)>>;
  template <class S>
  using output = metagrad::detail::pooled_shape<params_value, S>;
  template <class S>
  static constexpr index_t flops =
      params_value.kernel.h* params_value.kernel.w* per_example<output<S>>();
};
}  // namespace detail

/// Max pooling, e.g. max_pool2d<2>{} or max_pool2d<3, 2, 1>{} (kernel, stride, padding).
template <hw_pair Kernel, hw_pair Stride = 0, hw_pair Padding = 0>
struct max_pool2d : detail::pool2d_layer<pool2d_params{Kernel, Stride, Padding}> {
  static constexpr std::string_view name = "max_pool2d";
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return metagrad::max_pool2d<pool2d_params{Kernel, Stride, Padding}>(x);
  }
};

/// Average pooling (zero padding counted, as PyTorch's count_include_pad=True), e.g.
/// avg_pool2d<2>{}.
template <hw_pair Kernel, hw_pair Stride = 0, hw_pair Padding = 0>
struct avg_pool2d : detail::pool2d_layer<pool2d_params{Kernel, Stride, Padding}> {
  static constexpr std::string_view name = "avg_pool2d";
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return metagrad::avg_pool2d<pool2d_params{Kernel, Stride, Padding}>(x);
  }
};

/// The mean over H and W: (B,C,H,W) => (B,C).
struct global_avg_pool2d : stateless {
  static constexpr std::string_view name = "global_avg_pool2d";
  template <class S>
  static constexpr bool accepts = S::rank == 4;
  template <class S>
  using expects = expects_rank<4>;
  template <class S>
  using output = shape<S::dims[0], S::dims[1]>;
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return mean<2, 3>(x);
  }
};

}  // namespace metagrad::nn
