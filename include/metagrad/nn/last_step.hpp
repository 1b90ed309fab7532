// SPDX-License-Identifier: MIT
// last_step: (B, T, H) => (B, H), the last step of a sequence, as PyTorch's out[:, -1] after a
// batch_first recurrent layer (rnn, lstm, gru), so a dense head can follow.
#pragma once
#include "../config.hpp"

#include "../ops/reshape.hpp"
#include "../ops/slice.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: last_step applied to an input that is not (B, T, H).
template <class InputShape>
struct last_step_input_not_rank_3 {
  static constexpr bool value = false;
};

/// The last time step of a batch-first sequence: (B, T, H) => (B, H).
struct last_step : stateless {
  static constexpr std::string_view name = "last_step";
  template <class S>
  static constexpr bool accepts = S::rank == 3;
  template <class S>
  using expects = expects_rank<3>;
  template <class S>
  using output = shape<S::dims[0], S::dims[S::rank - 1]>;
  template <class S>
  static constexpr index_t flops = 0;
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    auto xe = as_expr(x);
    using S = shape_t<decltype(xe)>;
    static_assert(S::rank == 3 || last_step_input_not_rank_3<S>::value,
                  "last_step: the input must have rank 3, (B, T, H) batch first");
    if constexpr (S::rank == 3) {
      if (xe.ext[1] == 0)
        metagrad::detail::throw_shape_error("last_step: the sequence is empty", xe.ext);
      return metagrad::reshape<output<S>>(metagrad::slice<1, -1>(xe),
                                          extents<2>{{xe.ext[0], xe.ext[2]}});
    }
  }
};

}  // namespace metagrad::nn
