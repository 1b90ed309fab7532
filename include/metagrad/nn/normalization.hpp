// SPDX-License-Identifier: MIT
// layer_norm: each example's last axis normalised to mean 0 and variance 1 (biased, as PyTorch),
// then scaled and shifted: y = (x - mean) / sqrt(var + eps) * weight + bias, as
// torch.nn.LayerNorm(D) (weight ones, bias zeros, eps 1e-5); D is inferred from the input.
#pragma once
#include "../ops/rsqrt.hpp"
#include "../ops/square.hpp"
#include "../ops/sum.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// Layer normalisation over the last axis, e.g. layer_norm{} or layer_norm{.eps = 1e-6}.
struct layer_norm {
  static constexpr std::string_view name = "layer_norm";
  static constexpr std::array<std::string_view, 2> param_names{"weight", "bias"};
  double eps = 1e-5;

  template <class S>
  static constexpr bool accepts = S::rank >= 1 && S::dims[S::rank - 1] != dyn;
  template <class S>
  using expects =
      std::conditional_t < S::rank<1, expects_rank_at_least<1>, expects_static_extent<S::rank - 1>>;
  template <class S>
  using output = S;
  template <class T, class S>
  using params =
      std::tuple<tensor<T, shape<S::dims[S::rank - 1]>>, tensor<T, shape<S::dims[S::rank - 1]>>>;
  template <class S>
  static constexpr index_t param_count = 2 * S::dims[S::rank - 1];
  template <class S>
  static constexpr index_t flops = 8 * detail::per_example<S>();

  template <class T, class S>
  params<T, S> init(rng) const {
    return detail::ones_and_zeros<params<T, S>>();
  }
  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    using T = value_t<expr_t<X>>;
    constexpr int last = static_cast<int>(shape_t<expr_t<X>>::rank) - 1;
    auto e = share(x);  // each value is read twice, and so is centred (expr/shared.hpp)
    auto centred = share(e - mean<last>(e, keepdims));
    auto inv_std = rsqrt(mean<last>(square(centred), keepdims) + static_cast<T>(eps));
    return centred * inv_std * std::get<0>(p) + std::get<1>(p);
  }
};

}  // namespace metagrad::nn
