// SPDX-License-Identifier: MIT
// Recurrent layers as torch.nn.RNN (tanh), LSTM and GRU with batch_first=True, one layer, one
// direction: x (B,T,D) => the hidden state at every step (B,T,H), from a zero initial state.
// Each is recurrent<Cell>, a scan (ops/scan.hpp) of one step's cell over the time axis, so T may
// be static or dyn and compile time does not grow with T. Parameters carry PyTorch's names and
// shapes, gates stacked in PyTorch's order (G gates: rnn 1, lstm 4 (i,f,g,o), gru 3 (r,z,n)):
//   weight_ih_l0 (G*H, D), weight_hh_l0 (G*H, H), bias_ih_l0 (G*H), bias_hh_l0 (G*H),
// all U(-1/sqrt(H), 1/sqrt(H)) as PyTorch initialises them, so weights exchange with PyTorch.
// The input's projection xp = x W_ihᵀ + b_ih does not depend on the carry: it is computed for every
// step at once, before the scan, as one GEMM of (T·B, D) x (D, G·H) (and its gradients as two, the
// matmul vjp folding the batch), so each step's cell multiplies by W_hh only:
//   rnn:  h' = tanh(xp + h W_hhᵀ + b_hh)
//   lstm: (i,f,g,o) = (σ, σ, tanh, σ)(xp + h W_hhᵀ + b_hh); c' = f c + i g;
//         h' = o tanh(c')   (the scan's carry is [h | c], (B, 2H))
//   gru:  (r,z) = σ(xp_r,z + h W_hr,hzᵀ + b_hr,hz);
//         n = tanh(xp_n + r (h W_hnᵀ + b_hn));  h' = (1 - z) n + z h
#pragma once
#include <cmath>

#include "../config.hpp"

#include "../expr/shared.hpp"
#include "../ops/concat.hpp"
#include "../ops/matmul.hpp"
#include "../ops/mul.hpp"
#include "../ops/permute.hpp"
#include "../ops/scan.hpp"
#include "../ops/sigmoid.hpp"
#include "../ops/slice.hpp"
#include "../ops/sub.hpp"
#include "../ops/tanh.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// Named in the diagnostic: a recurrent layer (its cell) applied to an input that is not
/// (B, T, D) with a static D.
template <class Cell, class InputShape>
struct recurrent_input_not_batch_time_features {
  static constexpr bool value = false;
};

// The cells name ops metagrad::op: inside nn, sigmoid and tanh are the activation layers.

// Each cell maps (carry, the step's projected input xp (B, G*H), W_hh, b_hh) to the new carry.

/// One step of torch.nn.RNN (tanh): the carry is h (B, H).
template <index_t H>
struct rnn_cell {
  static constexpr std::string_view name = "rnn";
  static constexpr index_t hidden = H, gates = 1, carry = H;
  template <class Hc, class X, class Wh, class Bh>
  auto operator()(Hc const& h, X const& xp, Wh const& whh, Bh const& bhh) const {
    return metagrad::tanh(xp + metagrad::matmul(h, metagrad::transpose(whh)) + bhh);
  }
};

/// One step of torch.nn.LSTM: the carry is [h | c] (B, 2H); gates i, f, g, o.
template <index_t H>
struct lstm_cell {
  static constexpr std::string_view name = "lstm";
  static constexpr index_t hidden = H, gates = 4, carry = 2 * H;
  template <class Hc, class X, class Wh, class Bh>
  auto operator()(Hc const& hc, X const& xp, Wh const& whh, Bh const& bhh) const {
    // Shared: computed once for its four gate slices, which sum their cotangents into it.
    auto z = metagrad::share(
        xp + metagrad::matmul(metagrad::slice<1, 0, H>(hc), metagrad::transpose(whh)) + bhh);
    auto i = metagrad::sigmoid(metagrad::slice<1, 0, H>(z));
    auto f = metagrad::sigmoid(metagrad::slice<1, H, 2 * H>(z));
    auto g = metagrad::tanh(metagrad::slice<1, 2 * H, 3 * H>(z));
    auto o = metagrad::sigmoid(metagrad::slice<1, 3 * H, 4 * H>(z));
    // Shared too: read twice (the new h and the carry), computed once.
    auto c = metagrad::share(f * metagrad::slice<1, H, 2 * H>(hc) + i * g);
    return metagrad::concat<1>(o * metagrad::tanh(c), c);
  }
};

/// One step of torch.nn.GRU: the carry is h (B, H); gates r, z, n.
template <index_t H>
struct gru_cell {
  static constexpr std::string_view name = "gru";
  static constexpr index_t hidden = H, gates = 3, carry = H;
  template <class Hc, class X, class Wh, class Bh>
  auto operator()(Hc const& h, X const& gi, Wh const& whh, Bh const& bhh) const {
    auto gh = metagrad::share(metagrad::matmul(h, metagrad::transpose(whh)) + bhh);  // read 3 times
    auto r = metagrad::sigmoid(metagrad::slice<1, 0, H>(gi) + metagrad::slice<1, 0, H>(gh));
    auto z = metagrad::sigmoid(metagrad::slice<1, H, 2 * H>(gi) + metagrad::slice<1, H, 2 * H>(gh));
    // n is read twice: shared, it is one value and one pointer in the expression.
    auto n = metagrad::share(metagrad::tanh(metagrad::slice<1, 2 * H, 3 * H>(gi) +
                                            r * metagrad::slice<1, 2 * H, 3 * H>(gh)));
    return n + z * (h - n);  // (1 - z) n + z h
  }
};

/// A recurrent layer scanning Cell over the time axis of (B, T, D) inputs; see rnn, lstm, gru.
template <class Cell>
struct recurrent {
  static constexpr index_t H = Cell::hidden, G = Cell::gates;
  static_assert(H >= 1, "recurrent layers: the hidden size must be >= 1");
  static constexpr std::string_view name = Cell::name;
  static constexpr std::array<std::string_view, 4> param_names{"weight_ih_l0", "weight_hh_l0",
                                                               "bias_ih_l0", "bias_hh_l0"};
  template <class S>
  static constexpr bool accepts = S::rank == 3 && S::dims[2] != dyn;
  template <class S>
  using expects = std::conditional_t<S::rank != 3, expects_rank<3>, expects_static_extent<2>>;
  template <class S>
  static constexpr index_t in_width() {
    // If the compiler points here: an rnn, lstm or gru layer was given an input that is not
    // batch-first (B, T, D) with a static D; the diagnostic names the cell and the shape.
    static_assert(accepts<S> || recurrent_input_not_batch_time_features<Cell, S>::value,
                  "rnn/lstm/gru: the input must have rank 3, (B, T, D) batch first, with a static "
                  "feature extent D");
    if constexpr (accepts<S>)
      return S::dims[2];
    else
      return 1;
  }
  template <class S>
  using output = shape<S::dims[0], S::dims[1], H>;
  template <class T, class S>
  using params = std::tuple<tensor<T, shape<G * H, in_width<S>()>>, tensor<T, shape<G * H, H>>,
                            tensor<T, shape<G * H>>, tensor<T, shape<G * H>>>;
  template <class S>
  static constexpr index_t param_count = G* H*(in_width<S>() + H) + 2 * G* H;
  /// Per example: the two matrix products of every step (dyn when T is).
  template <class S>
  static constexpr index_t flops = S::dims[1] == dyn ? dyn
                                                     : S::dims[1] * 2 * G* H*(in_width<S>() + H);

  template <class T, class S>
  params<T, S> init(rng r) const {
    params<T, S> p;
    T bound = T(1) / std::sqrt(static_cast<T>(H));
    metagrad::detail::static_for<4>([&](auto k) {
      auto& t = std::get<k>(p);
      r.fold_in(static_cast<std::uint64_t>(k))
          .fill_uniform(t.data(), static_cast<std::size_t>(t.size()), -bound, bound);
    });
    return p;
  }

  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    auto xe = as_expr(x);
    using S = shape_t<decltype(xe)>;
    static_assert(in_width<S>() >= 1);
    if constexpr (accepts<S>) {
      using T = value_t<decltype(xe)>;
      auto h0 = constant<T, shape<S::dims[0], Cell::carry>, device_t<decltype(xe)>>(
          T(0), extents<2>{{xe.ext[0], Cell::carry}});
      // (T, B, G*H): every step's input projection in one product.
      auto xp =
          metagrad::matmul(metagrad::permute<1, 0, 2>(xe), metagrad::transpose(std::get<0>(p))) +
          std::get<2>(p);
      auto ys = metagrad::scan<Cell>(h0, xp, std::get<1>(p), std::get<3>(p));  // (T, B, carry)
      if constexpr (Cell::carry == H)
        return metagrad::permute<1, 0, 2>(ys);
      else
        return metagrad::permute<1, 0, 2>(metagrad::slice<2, 0, H>(ys));
    }
  }
};

/// torch.nn.RNN(D, H, batch_first=True) (tanh): (B,T,D) => (B,T,H).
template <index_t H>
using rnn = recurrent<rnn_cell<H>>;
/// torch.nn.LSTM(D, H, batch_first=True): (B,T,D) => (B,T,H), the h of every step.
template <index_t H>
using lstm = recurrent<lstm_cell<H>>;
/// torch.nn.GRU(D, H, batch_first=True): (B,T,D) => (B,T,H).
template <index_t H>
using gru = recurrent<gru_cell<H>>;

}  // namespace metagrad::nn
