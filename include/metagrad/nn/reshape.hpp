// SPDX-License-Identifier: MIT
// Layers that only rearrange: flatten, (B, D...) => (B, prod D), as torch.nn.Flatten; and
// reshape<D...>, (B, ...) => (B, D...), as keras' Reshape (the batch extent is kept).
#pragma once
#include "../ops/reshape.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// (B, D...) => (B, prod D).
struct flatten : stateless {
  static constexpr std::string_view name = "flatten";
  template <class S>
  static constexpr bool accepts = S::rank >= 2;
  template <class S>
  using expects = expects_rank_at_least<2>;
  template <class S>
  using output = shape<S::dims[0], detail::per_example<S>()>;
  template <class S>
  static constexpr index_t flops = 0;
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    using S = shape_t<X>;
    return metagrad::reshape<output<S>>(x, extents<2>{{x.ext[0], x.ext.size() / x.ext[0]}});
  }
};

/// (B, ...) => (B, D...): every example's values in a new static shape, e.g. reshape<1, 28, 28>
/// turns (B,784) into images.
template <index_t... D>
struct reshape : stateless {
  static_assert(((D >= 1) && ...), "reshape: the target extents must be static and >= 1");
  static constexpr std::string_view name = "reshape";
  template <class S>
  static constexpr bool accepts = S::rank >= 1 &&
                                  (detail::per_example<S>() == dyn ||
                                   detail::per_example<S>() == (index_t{1} * ... * D));
  template <class S>
  using expects =
      std::conditional_t <
      S::rank<1, expects_rank_at_least<1>, expects_per_example_values<(index_t{1} * ... * D)>>;
  template <class S>
  using output = shape<S::dims[0], D...>;
  template <class S>
  static constexpr index_t flops = 0;
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    using S = shape_t<X>;
    return metagrad::reshape<output<S>>(x, extents<sizeof...(D) + 1>{{x.ext[0], D...}});
  }
};

}  // namespace metagrad::nn
