// SPDX-License-Identifier: MIT
// multi_head_attention<E, Heads, Causal>: self-attention on (B,T,E) => (B,T,E), as
// torch.nn.MultiheadAttention(E, Heads, dropout, batch_first=True) called as mha(x, x, x)
// (need_weights is irrelevant to the output). T may be static or dyn. In training mode
// (model(p, x, nn::training(key))) the attention weights a_h are dropped with probability
// `dropout`, as PyTorch's MultiheadAttention does in train(); in eval mode and a plain call, never.
//   [q k v] = x in_proj_weightᵀ + in_proj_bias          (B,T,3E), split into Heads heads of E/Heads
//   a_h     = softmax(q_h k_hᵀ / sqrt(E/Heads))          (B,Heads,T,T), -inf above the diagonal
//                                                       when Causal (attn_mask = triu(ones, 1))
//   y       = concat_h(a_h v_h) out_proj.weightᵀ + out_proj.bias
// Parameters are PyTorch's, by name and initialisation: in_proj_weight (3E,E) xavier_uniform_,
// in_proj_bias (3E) zeros, out_proj.weight (E,E) as Linear (U(±1/sqrt(E))), out_proj.bias zeros.
#pragma once
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

#include "../config.hpp"
#include "../ops/add.hpp"
#include "../ops/dropout_mask.hpp"
#include "../ops/matmul.hpp"
#include "../ops/mul.hpp"
#include "../ops/permute.hpp"
#include "../ops/reshape.hpp"
#include "../ops/slice.hpp"
#include "../ops/softmax.hpp"
#include "../ops/where.hpp"
#include "layer.hpp"
#include "mode.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: multi_head_attention<E, Heads> whose E is not a multiple of Heads.
template <index_t EmbedDim, index_t Heads>
struct multi_head_attention_embed_dim_not_divisible_by_heads {
  static constexpr bool value = false;
};
/// Named in the diagnostic: multi_head_attention<E, ..> applied to an input that is not (B,T,E).
template <index_t EmbedDim, class InputShape>
struct multi_head_attention_input_is_not_b_t_embed_dim {
  static constexpr bool value = false;
};

namespace detail {
/// The causal mask (n,n) of value type T: 1 above the diagonal (key after query), else 0. Masks
/// are built once per n and kept for the program's life (expressions hold views, not data), so
/// a view stays valid; std::vector, not tensor, so that no block returns to the cache at exit.
template <class T>
T const* causal_mask_data(index_t n) {
  static std::mutex m;
  static std::map<index_t, std::vector<T>> masks;
  std::lock_guard<std::mutex> lock(m);
  auto [it, inserted] = masks.try_emplace(n);
  if (inserted) {
    it->second.assign(static_cast<std::size_t>(n * n), T(0));
    for (index_t i = 0; i < n; ++i)
      for (index_t j = i + 1; j < n; ++j) it->second[static_cast<std::size_t>(i * n + j)] = T(1);
  }
  return it->second.data();
}
}  // namespace detail

/// Multi-head self-attention, e.g. multi_head_attention<64, 8>{} on (B,T,64), or
/// multi_head_attention<64, 8, true>{} (causal: position t attends to positions <= t).
template <index_t EmbedDim, index_t Heads, bool Causal = false>
struct multi_head_attention {
  static_assert(EmbedDim >= 1 && Heads >= 1,
                "multi_head_attention: the embedding width and the number of heads must be >= 1");
  // If the compiler points here: the embedding width E must split evenly into Heads heads.
  static_assert(
      EmbedDim % Heads == 0 ||
          multi_head_attention_embed_dim_not_divisible_by_heads<EmbedDim, Heads>::value,
      "multi_head_attention: the embedding width is not divisible by the number of heads");
  static constexpr index_t head_dim = EmbedDim / Heads;
  static constexpr bool causal = Causal;
  static constexpr std::string_view name = "multi_head_attention";
  static constexpr std::array<std::string_view, 4> param_names{"in_proj_weight", "in_proj_bias",
                                                               "out_proj.weight", "out_proj.bias"};
  double dropout = 0.0;  // on the attention weights, in training mode (PyTorch's dropout)

  template <class S>
  static constexpr bool accepts = S::rank == 3 && S::dims[2] == EmbedDim;
  /// (B,T,E): rank 3, then the layer's E as the last extent.
  template <class S>
  using expects = std::conditional_t<S::rank != 3, expects_rank<3>, expects_last_extent<EmbedDim>>;

  /// E, once the input S is checked to be (B,T,E).
  template <class S>
  static consteval index_t width() {
    // If the compiler points here: the input is not (B,T,E) with the layer's E.
    static_assert(accepts<S> || multi_head_attention_input_is_not_b_t_embed_dim<EmbedDim, S>::value,
                  "multi_head_attention: the input must be (B,T,E) with E the layer's width");
    return EmbedDim;
  }
  template <class S>
  using output = S;
  template <class T, class S>
  using params =
      std::tuple<tensor<T, shape<3 * width<S>(), width<S>()>>, tensor<T, shape<3 * width<S>()>>,
                 tensor<T, shape<width<S>(), width<S>()>>, tensor<T, shape<width<S>()>>>;
  template <class S>
  static constexpr index_t param_count = 4 * EmbedDim* EmbedDim + 4 * EmbedDim;
  /// Per example: the projections (8 T E²), scores and weighted values (4 T² E); dyn if T is.
  template <class S>
  static constexpr index_t flops =
      S::dims[1] == dyn
          ? dyn
          : 8 * S::dims[1] * EmbedDim* EmbedDim + 4 * S::dims[1] * S::dims[1] * EmbedDim;

  template <class T, class S>
  params<T, S> init(rng r) const {
    params<T, S> p;  // biases start at zero, as PyTorch's _reset_parameters sets them
    rng rw = r.fold_in(0), ro = r.fold_in(2);
    init::glorot_uniform(std::get<0>(p), EmbedDim, 3 * EmbedDim, rw);
    init::pytorch_uniform(std::get<2>(p), EmbedDim, ro);
    return p;
  }

  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    return attend(p, x, [](auto const& a) { return a; });
  }
  template <class P, class X>
  auto operator()(P const& p, X const& x, train_mode const& m) const {
    return attend(p, x, [&](auto const& a) { return metagrad::dropout(a, dropout, m.key); });
  }
  template <class P, class X, class S>
  auto operator()(P const& p, X const& x, eval_mode<S> const&) const {
    return (*this)(p, x);
  }

 private:
  /// The attention of x, with drop(a) applied to the attention weights.
  template <class P, class X, class Drop>
  auto attend(P const& p, X const& x, Drop const& drop) const {
    auto e = as_expr(x);
    using S = shape_t<decltype(e)>;
    static_assert(width<S>() == EmbedDim);
    using T = value_t<decltype(e)>;
    constexpr index_t B = S::dims[0], L = S::dims[1], E = EmbedDim, H = Heads, D = head_dim;
    index_t const b = e.ext[0], t = e.ext[1];
    auto qkv = share(matmul(e, transpose(std::get<0>(p))) + std::get<1>(p));  // (B,T,3E)
    // (B,T,E) => (B,H,T,D): head h is the columns [h D, (h+1) D) of the projection.
    auto heads = [&](auto const& z) {
      return permute<0, 2, 1, 3>(reshape<shape<B, L, H, D>>(z, extents<4>{{b, t, H, D}}));
    };
    auto q = heads(slice<2, 0, E>(qkv));
    auto k = heads(slice<2, E, 2 * E>(qkv));
    auto v = heads(slice<2, 2 * E, 3 * E>(qkv));
    auto scores = matmul(q, transpose(k)) * static_cast<T>(1 / std::sqrt(static_cast<double>(D)));
    auto weigh = [&](auto const& s) {  // (B,H,T,T) x (B,H,T,D) => (B,T,E)
      auto o = permute<0, 2, 1, 3>(matmul(drop(metagrad::softmax<-1>(s)), v));
      auto joined = reshape<shape<B, L, E>>(o, extents<3>{{b, t, E}});
      return matmul(joined, transpose(std::get<2>(p))) + std::get<3>(p);
    };
    if constexpr (Causal) {
      tensor_view<T, shape<L, L>> mask(detail::causal_mask_data<T>(t), extents<2>{{t, t}});
      return weigh(where(mask, -std::numeric_limits<T>::infinity(), scores));
    } else {
      return weigh(scores);
    }
  }
};

}  // namespace metagrad::nn
