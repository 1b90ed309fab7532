// SPDX-License-Identifier: MIT
// dense<Out>: y = x Wᵀ + b, (..,In) => (..,Out), as torch.nn.Linear (weight (Out,In), bias (Out)).
// In is inferred from the input unless declared: dense<10, 128> insists on 128.
#pragma once
#include "../expr/tree.hpp"
#include "../ops/add.hpp"
#include "../ops/matmul.hpp"
#include "layer.hpp"

namespace metagrad::nn {

namespace detail {
/// S's extents with the last one replaced by N.
template <class S, index_t N>
consteval std::array<index_t, S::rank> with_last_extent() {
  auto d = S::dims;
  d[S::rank - 1] = N;
  return d;
}
}  // namespace detail

/// Named in the diagnostic: a dense layer whose declared input width disagrees with its input.
template <index_t Declared, class InputShape>
struct dense_input_width_differs {
  static constexpr bool value = false;
};

/// A fully connected layer, e.g. dense<128>{}, dense<10, 128>{} (declares In = 128),
/// dense<64>{.init_kind = initializer::he_normal}.
template <index_t Out, index_t In = dyn>
struct dense {
  static_assert(Out >= 1, "dense: the output width must be >= 1");
  static constexpr std::string_view name = "dense";
  static constexpr std::array<std::string_view, 2> param_names{"weight", "bias"};
  initializer init_kind = initializer::pytorch;

  template <class S>
  static constexpr bool accepts = S::rank >= 1 && S::dims[S::rank - 1] != dyn &&
                                  (In == dyn || S::dims[S::rank - 1] == In);
  template <class S>
  using expects =
      std::conditional_t < S::rank<1, expects_rank_at_least<1>,
                                   std::conditional_t<In == dyn, expects_static_extent<S::rank - 1>,
                                                      expects_last_extent<In>>>;

  template <class S>
  static constexpr index_t in_width() {
    constexpr index_t w = S::dims[S::rank - 1];
    // If the compiler points here: dense<Out, In> was applied to an input whose last extent is not
    // In.
    static_assert(In == dyn || w == In || dense_input_width_differs<In, S>::value,
                  "dense: the input's last extent differs from the declared input width");
    static_assert(w != dyn, "dense: the input's last extent (its width) must be static");
    return w;
  }
  template <class S>
  using output = shape_from<detail::with_last_extent<S, Out>()>;
  template <class T, class S>
  using params = std::tuple<tensor<T, shape<Out, in_width<S>()>>, tensor<T, shape<Out>>>;
  template <class S>
  static constexpr index_t param_count = Out* in_width<S>() + Out;
  template <class S>
  static constexpr index_t flops =
      2 * Out* in_width<S>() * detail::per_example<S>() / in_width<S>();  // per example

  template <class T, class S>
  params<T, S> init(rng r) const {
    params<T, S> p;
    detail::init_weight_and_bias(std::get<0>(p), std::get<1>(p), in_width<S>(), Out, init_kind, r);
    return p;
  }
  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    return matmul(x, transpose(std::get<0>(p))) + std::get<1>(p);  // (B,In) x (In,Out) => (B,Out)
  }
};

/// A dense layer's parameters as a struct with PyTorch's names, for a user's own struct model
/// (module.hpp), e.g. nn::dense_params<float, 128, 784> fc1 = decltype(fc1)::init(rng{0}); then
/// nn::dense<128>{}(fc1, x) in its forward.
template <class T, index_t Out, index_t In>
struct dense_params {
  tensor<T, shape<Out, In>> weight;
  tensor<T, shape<Out>> bias;
  static constexpr auto parameters =
      fields(&dense_params::weight, "weight", &dense_params::bias, "bias");

  /// Initialised as torch.nn.Linear(In, Out) (or as kind says).
  static dense_params init(rng r, initializer kind = initializer::pytorch) {
    dense_params p;
    detail::init_weight_and_bias(p.weight, p.bias, In, Out, kind, r);
    return p;
  }
};

}  // namespace metagrad::nn
