// SPDX-License-Identifier: MIT
// What every layer shares. A layer L has
//   L::accepts<In>          whether it can take input shape In (false: sequential names its
//                           position, the layer, In and L::expects<In>)
//   L::expects<In>          what it needs of In, an expects_* type below (only for a layer whose
//                           accepts can be false; sequential says see_layer when it is missing)
//   L::params<T, In>        its parameter tree type for input shape In (std::tuple<> if none)
//   L::output<In>           its output shape
//   l.init<T, In>(rng)      parameters, initialised as PyTorch's layer of the same kind
//   l(params, x)            the expression it computes
//   L::param_names          the names of its parameters (PyTorch's state_dict names)
//   L::param_count<In>, L::flops<In>   per-example totals, constexpr
// Layers infer their parameter shapes from In: dense<128> on (B,784) has a (128,784) weight.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

#include "../detail/meta.hpp"
#include "../expr/shared.hpp"
#include "../expr/tensor.hpp"
#include "../random/philox.hpp"

namespace metagrad::nn {

namespace detail {
/// The number of values per example of a batch (B, D...): prod D, or dyn if any D is.
template <class S>
consteval index_t per_example() {
  index_t n = 1;
  for (std::size_t i = 1; i < S::rank; ++i)
    n = (S::dims[i] == dyn || n == dyn) ? dyn : n * S::dims[i];
  return n;
}
}  // namespace detail

// What a layer needs of the shape entering it (L::expects<In>): empty types whose names and
// arguments read as the requirement in a diagnostic, e.g. sequential_layer_rejects_input<1,
// dense<10, 128>, shape<-1, 784>, expects_last_extent<128>>. A layer names the requirement In
// breaks, the first in the order its accepts checks them.

/// Rank exactly R, e.g. expects_rank<4> for (B,C,H,W).
template <std::size_t R>
struct expects_rank {};
/// Rank R or more.
template <std::size_t R>
struct expects_rank_at_least {};
/// A last extent (width) of exactly N.
template <index_t N>
struct expects_last_extent {};
/// A static (not dyn) extent on axis A (counted from 0).
template <std::size_t A>
struct expects_static_extent {};
/// A static channel extent (axis 1) that is a multiple of the layer's groups G.
template <index_t G>
struct expects_channels_multiple_of {};
/// Spatial extents (the last two, H and W) of at least H and W: the kernel's span less padding.
template <index_t H, index_t W>
struct expects_spatial_at_least {};
/// N values per example (the product of all extents but the batch's).
template <index_t N>
struct expects_per_example_values {};
/// The layer has no L::expects: its accepts says what it needs.
struct see_layer {};

namespace detail {
/// What layer L needs of the shape In it rejects: its L::expects<In>, else see_layer.
template <class L, class In>
struct expects_of {
  using type = see_layer;
};
template <class L, class In>
requires requires { typename L::template expects<In>; }
struct expects_of<L, In> {
  using type = typename L::template expects<In>;
};

/// A layer's parameter tree for input S; none for a layer that rejects S, whose one error is its
/// container's (sequential's and functional's diagnostics), so that the layer's own checks (e.g.
/// dense's width) add no second.
template <bool Accepted, class L, class T, class S>
struct params_if_accepted {
  using type = typename L::template params<T, S>;
};
template <class L, class T, class S>
struct params_if_accepted<false, L, T, S> {
  using type = std::tuple<>;
};
/// The layer's parameters for input S drawn from r, or none for a layer that rejects S (as
/// params_if_accepted).
template <bool Accepted, class T, class S, class L>
auto init_if_accepted(L const& layer, rng r) {
  if constexpr (Accepted)
    return layer.template init<T, S>(r);
  else
    return std::tuple<>{};
}
}  // namespace detail

namespace detail {
/// A tensor's elements as a span, e.g. for the span forms of the initializers below.
template <class T, class S>
std::span<T> elements(tensor<T, S>& t) {
  return std::span<T>(t.data(), static_cast<std::size_t>(t.size()));
}
}  // namespace detail

namespace init {
// Each initializer fills a tensor, or any float/double memory as a span; the tensor forms forward
// to the span ones, so a layer's initialisation is compiled once per element type, not once
// per parameter shape. The fans of a weight (O, I, K...) are fan_in = I * prod K and
// fan_out = O * prod K, as torch.nn.init computes them (a conv's I is C/groups).

/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what PyTorch's kaiming_uniform_(a=sqrt(5)) gives Linear
/// and Conv weights, and their biases.
template <class T>
void pytorch_uniform(std::span<T> t, index_t fan_in, rng& r) {
  T bound = T(1) / std::sqrt(static_cast<T>(fan_in));
  r.fill_uniform(t.data(), t.size(), -bound, bound);
}
/// Glorot (Xavier) uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)), as xavier_uniform_.
template <class T>
void glorot_uniform(std::span<T> t, index_t fan_in, index_t fan_out, rng& r) {
  T a = std::sqrt(T(6) / static_cast<T>(fan_in + fan_out));
  r.fill_uniform(t.data(), t.size(), -a, a);
}
/// Glorot (Xavier) normal: N(0, 2 / (fan_in + fan_out)), as xavier_normal_.
template <class T>
void glorot_normal(std::span<T> t, index_t fan_in, index_t fan_out, rng& r) {
  r.fill_normal(t.data(), t.size(), T(0), std::sqrt(T(2) / static_cast<T>(fan_in + fan_out)));
}
/// He (Kaiming) uniform for ReLU: U(-a, a), a = sqrt(6 / fan_in), as
/// kaiming_uniform_(nonlinearity="relu").
template <class T>
void he_uniform(std::span<T> t, index_t fan_in, rng& r) {
  T a = std::sqrt(T(6) / static_cast<T>(fan_in));
  r.fill_uniform(t.data(), t.size(), -a, a);
}
/// He (Kaiming) normal for ReLU: N(0, 2 / fan_in), as kaiming_normal_(nonlinearity="relu").
template <class T>
void he_normal(std::span<T> t, index_t fan_in, rng& r) {
  r.fill_normal(t.data(), t.size(), T(0), std::sqrt(T(2) / static_cast<T>(fan_in)));
}

template <class T, class S>
void pytorch_uniform(tensor<T, S>& t, index_t fan_in, rng& r) {
  pytorch_uniform(detail::elements(t), fan_in, r);
}
template <class T, class S>
void glorot_uniform(tensor<T, S>& t, index_t fan_in, index_t fan_out, rng& r) {
  glorot_uniform(detail::elements(t), fan_in, fan_out, r);
}
template <class T, class S>
void glorot_normal(tensor<T, S>& t, index_t fan_in, index_t fan_out, rng& r) {
  glorot_normal(detail::elements(t), fan_in, fan_out, r);
}
template <class T, class S>
void he_uniform(tensor<T, S>& t, index_t fan_in, rng& r) {
  he_uniform(detail::elements(t), fan_in, r);
}
template <class T, class S>
void he_normal(tensor<T, S>& t, index_t fan_in, rng& r) {
  he_normal(detail::elements(t), fan_in, r);
}
}  // namespace init

namespace detail {
/// A count as text: "dyn" for dyn.
inline std::string cost_string(index_t n) { return n == dyn ? "dyn" : std::to_string(n); }
/// One row of a summary table (sequential's, functional's, a module's, a cost table): name and
/// shape padded to 21 columns, then the counts, each but the last padded to 14 ("dyn" for dyn).
/// Not a template: the rows of every layer share it.
inline void summary_row(std::string& s, std::string name, std::string shape,
                        std::initializer_list<index_t> counts) {
  name.resize(std::max<std::size_t>(name.size(), 21), ' ');
  shape.resize(std::max<std::size_t>(shape.size(), 21), ' ');
  s += name + shape;
  std::size_t left = counts.size();
  for (index_t n : counts) {
    std::string c = cost_string(n);
    if (--left > 0) c.resize(std::max<std::size_t>(c.size() + 1, 14), ' ');
    s += c;
  }
  s += "\n";
}
}  // namespace detail

/// Which initializer a layer's weight uses, one per function of init:: (its bias always follows
/// PyTorch's default). e.g. dense<64>{.init_kind = initializer::he_uniform}.
enum class initializer { pytorch, glorot_uniform, glorot_normal, he_uniform, he_normal };

namespace detail {
/// A weight (fan_out, fan_in) and its bias, initialised by kind as torch.nn.Linear / Conv2d.
template <class T>
void init_weight_and_bias(std::span<T> w, std::span<T> b, index_t fan_in, index_t fan_out,
                          initializer kind, rng r) {
  rng rw = r.fold_in(0), rb = r.fold_in(1);
  switch (kind) {  // no default: -Wswitch names a new kind that is not handled here
    case initializer::pytorch:
      init::pytorch_uniform(w, fan_in, rw);
      break;
    case initializer::glorot_uniform:
      init::glorot_uniform(w, fan_in, fan_out, rw);
      break;
    case initializer::glorot_normal:
      init::glorot_normal(w, fan_in, fan_out, rw);
      break;
    case initializer::he_uniform:
      init::he_uniform(w, fan_in, rw);
      break;
    case initializer::he_normal:
      init::he_normal(w, fan_in, rw);
      break;
  }
  init::pytorch_uniform(b, fan_in, rb);
}
template <class T, class WS, class BS>
void init_weight_and_bias(tensor<T, WS>& w, tensor<T, BS>& b, index_t fan_in, index_t fan_out,
                          initializer kind, rng r) {
  init_weight_and_bias(elements(w), elements(b), fan_in, fan_out, kind, r);
}
}  // namespace detail

namespace detail {
/// Calls f(prefix + name, tensor) for each tensor of one layer's parameters (of its state if
/// OfState), named by its param_names (state_names), or by its own walk for a composite layer
/// (residual) that has one.
template <class L, bool OfState, class P, class F>
void for_each_layer_named(P& lp, std::string const& prefix, F& f) {
  auto inner = [&](std::string const& name, auto& t) { f(prefix + name, t); };
  if constexpr (!OfState && requires { L::for_each_named(lp, inner); }) {
    L::for_each_named(lp, inner);
  } else if constexpr (OfState && requires { L::for_each_state_named(lp, inner); }) {
    L::for_each_state_named(lp, inner);
  } else if constexpr (!OfState || requires { L::state_names; }) {
    constexpr auto names = [] {
      if constexpr (OfState)
        return L::state_names;
      else
        return L::param_names;
    }();
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      (f(prefix + std::string(names[J]), std::get<J>(lp)), ...);
    }
    (std::make_index_sequence<names.size()>{});
  }
}
/// The same for a container's layers L..., layer K's tree element<K>(p), named "K.<name>".
template <bool OfState, class... L, class P, class F>
void for_each_layers_named(P& p, F& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (for_each_layer_named<L, OfState>(metagrad::detail::element<K>(p), std::to_string(K) + ".", f),
     ...);
  }
  (std::index_sequence_for<L...>{});
}

/// Parameters that start as ones (weight) and zeros (bias), as PyTorch's normalisation layers.
template <class P>
P ones_and_zeros() {
  P p;
  std::fill(std::get<0>(p).begin(), std::get<0>(p).end(), 1);
  std::fill(std::get<1>(p).begin(), std::get<1>(p).end(), 0);
  return p;
}
}  // namespace detail

/// Base of layers without parameters: the output shape is the input shape unless they say.
struct stateless {
  static constexpr std::array<std::string_view, 0> param_names{};
  template <class S>
  static constexpr bool accepts = true;
  template <class S>
  using output = S;
  template <class T, class S>
  using params = std::tuple<>;
  template <class S>
  static constexpr index_t param_count = 0;
  template <class S>
  static constexpr index_t flops = detail::per_example<S>();  // one per value
  template <class T, class S>
  std::tuple<> init(rng) const {
    return {};
  }
};

}  // namespace metagrad::nn
