// SPDX-License-Identifier: MIT
// transformer_encoder_layer<E, Heads, FF, Options>: (B,T,E) => (B,T,E), as
// torch.nn.TransformerEncoderLayer(E, Heads, FF, dropout, activation='relu', batch_first=True,
// norm_first=False).
//   post-norm (default):  h = norm1(x + drop1(self_attn(x)));   y = norm2(h + drop2(ff(h)))
//   norm_first:           h = x + drop1(self_attn(norm1(x)));   y = h + drop2(ff(norm2(h)))
//   ff(z) = linear2(drop(activation(linear1(z)))), linear1 (FF,E), linear2 (E,FF)
// Dropout (the member `dropout`, PyTorch's argument; 0 by default, PyTorch's is 0.1) acts in
// training mode only, model(p, x, nn::training(key)), at PyTorch's four places: the attention
// weights (multi_head_attention's), drop1, drop, drop2, each with its own key drawn from the
// step's (key.fold_in(0..3)). In eval mode and a plain call the block is PyTorch's eval().
// Options.causal masks attention to later positions (PyTorch: src_mask = triu(ones, 1), or
// is_causal=True with that mask). Parameters are named and initialised as PyTorch's state_dict:
// self_attn.{in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias}, linear1.*, linear2.*,
// norm1.*, norm2.* (LayerNorm eps 1e-5).
#pragma once
#include "../config.hpp"  // the ops below use its macros
#include "../ops/dropout_mask.hpp"
#include "../ops/gelu.hpp"
#include "../ops/relu.hpp"
#include "attention.hpp"
#include "dense.hpp"
#include "mode.hpp"
#include "normalization.hpp"

namespace metagrad::nn {

/// The feed-forward activation of a transformer block (PyTorch's activation="relu" | "gelu").
enum class transformer_activation { relu, gelu };

/// How a transformer_encoder_layer is wired, e.g. transformer_options{.norm_first = true}.
struct transformer_options {
  bool norm_first = false;
  bool causal = false;
  transformer_activation activation = transformer_activation::relu;
};

/// One encoder block, e.g. transformer_encoder_layer<64, 4, 256>{} on (B,T,64), or
/// transformer_encoder_layer<64, 4, 256, transformer_options{.norm_first = true}>{}.
template <index_t EmbedDim, index_t Heads, index_t FF,
          transformer_options Options = transformer_options{}>
struct transformer_encoder_layer {
  static_assert(FF >= 1, "transformer_encoder_layer: the feed-forward width must be >= 1");
  using attention_type = multi_head_attention<EmbedDim, Heads, Options.causal>;
  using linear1_type = dense<FF, EmbedDim>;
  using linear2_type = dense<EmbedDim, FF>;
  static constexpr std::string_view name = "transformer_encoder_layer";
  static constexpr std::array<std::string_view, 12> param_names{"self_attn.in_proj_weight",
                                                                "self_attn.in_proj_bias",
                                                                "self_attn.out_proj.weight",
                                                                "self_attn.out_proj.bias",
                                                                "linear1.weight",
                                                                "linear1.bias",
                                                                "linear2.weight",
                                                                "linear2.bias",
                                                                "norm1.weight",
                                                                "norm1.bias",
                                                                "norm2.weight",
                                                                "norm2.bias"};
  double eps = 1e-5;     // both layer norms' (PyTorch's layer_norm_eps)
  double dropout = 0.0;  // in training mode only (PyTorch's dropout)

  template <class S>
  static constexpr bool accepts = attention_type::template accepts<S>;
  template <class S>
  using expects = typename attention_type::template expects<S>;
  template <class S>
  using output = S;
  template <class S>
  using ff_shape = typename linear1_type::template output<S>;
  /// The parameters in state_dict order: self_attn (4), linear1 (2), linear2 (2), norm1, norm2.
  template <class T, class S>
  using params = decltype(std::tuple_cat(
      std::declval<typename attention_type::template params<T, S>>(),
      std::declval<typename linear1_type::template params<T, S>>(),
      std::declval<typename linear2_type::template params<T, ff_shape<S>>>(),
      std::declval<layer_norm::params<T, S>>(), std::declval<layer_norm::params<T, S>>()));
  template <class S>
  static constexpr index_t param_count =
      attention_type::template param_count<S> + 2 * EmbedDim* FF + FF + EmbedDim + 4 * EmbedDim;
  template <class S>
  static constexpr index_t flops =
      attention_type::template flops<S> == dyn
          ? dyn
          : attention_type::template flops<S> + 4 * S::dims[1] * EmbedDim* FF +
                2 * layer_norm::flops<S>;

  template <class T, class S>
  params<T, S> init(rng r) const {
    return std::tuple_cat(attention_type{}.template init<T, S>(r.fold_in(0)),
                          linear1_type{}.template init<T, S>(r.fold_in(1)),
                          linear2_type{}.template init<T, ff_shape<S>>(r.fold_in(2)),
                          layer_norm{}.template init<T, S>(r), layer_norm{}.template init<T, S>(r));
  }

  /// The block as PyTorch's eval(): no dropout.
  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    return block(p, x, eval_mode<>{});
  }
  /// The block as PyTorch's train(): dropout at its four places, keys from m.key.
  template <class P, class X>
  auto operator()(P const& p, X const& x, train_mode const& m) const {
    return block(p, x, m);
  }
  template <class P, class X, class S>
  auto operator()(P const& p, X const& x, eval_mode<S> const&) const {
    return block(p, x, eval_mode<>{});
  }

 private:
  /// The block in mode m: in training, dropout at sites 1-3 (keys m.key.fold_in(site)) and in
  /// the attention (m.key.fold_in(0)).
  template <class P, class X, class M>
  auto block(P const& p, X const& x, M const& m) const {
    auto drop = [&](auto const& z, std::size_t site) {
      if constexpr (is_train_mode<M>)
        return metagrad::dropout(z, dropout, m.key.fold_in(site));
      else
        return as_expr(z);
    };
    auto attn_mode = [&] {
      if constexpr (is_train_mode<M>)
        return train_mode{m.key.fold_in(0)};
      else
        return m;
    };
    using std::get;
    auto e = share(x);  // read by attention and by the skip; so is h (expr/shared.hpp)
    auto self_attn = [&](auto const& z) {
      attention_type attn;
      attn.dropout = dropout;
      return drop(attn(std::tie(get<0>(p), get<1>(p), get<2>(p), get<3>(p)), z, attn_mode()), 1);
    };
    auto ff = [&](auto const& z) {
      auto h = linear1_type{}(std::tie(get<4>(p), get<5>(p)), z);
      auto act = [&] {
        if constexpr (Options.activation == transformer_activation::gelu)
          return metagrad::gelu(h);
        else
          return metagrad::relu(h);
      };
      return drop(linear2_type{}(std::tie(get<6>(p), get<7>(p)), drop(act(), 2)), 3);
    };
    layer_norm norm{.eps = eps};
    auto norm1 = [&](auto const& z) { return norm(std::tie(get<8>(p), get<9>(p)), z); };
    auto norm2 = [&](auto const& z) { return norm(std::tie(get<10>(p), get<11>(p)), z); };
    if constexpr (Options.norm_first) {
      auto h = share(e + self_attn(norm1(e)));
      return h + ff(norm2(h));
    } else {
      auto h = share(norm1(e + self_attn(e)));
      return norm2(h + ff(h));
    }
  }
};

}  // namespace metagrad::nn
