// SPDX-License-Identifier: MIT
// embedding<V, D>: integer indices (B, ...) => (B, ..., D), rows of a (V, D) table, as
// torch.nn.Embedding (weight initialised N(0, 1)). Its gradient is a scatter-add into the rows
// the batch used (repeated indices add up).
#pragma once
#include "../ops/gather.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// A lookup table of V vectors of width D, e.g. embedding<10000, 64>{} on tokens (B,T).
template <index_t V, index_t D>
struct embedding {
  static_assert(V >= 1 && D >= 1, "embedding: the table's extents must be >= 1");
  static constexpr std::string_view name = "embedding";
  static constexpr std::array<std::string_view, 1> param_names{"weight"};

  template <class S>
  static constexpr bool accepts = S::rank >= 1;
  template <class S>
  using expects = expects_rank_at_least<1>;
  template <class S>
  static consteval std::array<index_t, S::rank + 1> output_dims() {
    std::array<index_t, S::rank + 1> d{};
    for (std::size_t i = 0; i < S::rank; ++i) d[i] = S::dims[i];
    d[S::rank] = D;
    return d;
  }
  template <class S>
  using output = shape_from<output_dims<S>()>;
  template <class T, class S>
  using params = std::tuple<tensor<T, shape<V, D>>>;
  template <class S>
  static constexpr index_t param_count = V* D;
  template <class S>
  static constexpr index_t flops = 0;

  template <class T, class S>
  params<T, S> init(rng r) const {
    params<T, S> p;
    rng w = r.fold_in(0);
    w.fill_normal(std::get<0>(p).data(), static_cast<std::size_t>(V * D), T(0), T(1));
    return p;
  }
  template <class P, class X>
  auto operator()(P const& p, X const& idx) const {
    return take<0>(std::get<0>(p), idx);
  }
};

}  // namespace metagrad::nn
