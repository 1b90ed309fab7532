// SPDX-License-Identifier: MIT
// Layers: each infers its parameter shapes from its input shape at compile time. A layer L has
//   L::params<T, In>        its parameter tree type for input shape In (std::tuple<> if none)
//   L::output<In>           its output shape
//   l.init<T, In>(rng)      parameters, initialised as PyTorch's layer of the same kind
//   l(params, x)            the expression it computes
//   L::param_names          the names of its parameters (PyTorch's state_dict names)
// e.g. dense<128>: (B,784) => (B,128), weight (128,784) as torch.nn.Linear, bias (128).
#pragma once
#include <array>
#include <cmath>
#include <string_view>
#include <tuple>

#include "../config.hpp"
#include "../expr/tensor.hpp"
#include "../ops/gelu.hpp"
#include "../ops/leaky_relu.hpp"
#include "../ops/matmul.hpp"
#include "../ops/relu.hpp"
#include "../ops/reshape.hpp"
#include "../ops/sigmoid.hpp"
#include "../ops/softmax.hpp"
#include "../ops/tanh.hpp"
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

/// Named in the diagnostic: a dense layer whose declared input width disagrees with its input.
template <index_t Declared, class InputShape>
struct dense_input_width_differs : std::false_type {};

namespace init {
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what PyTorch's kaiming_uniform_(a=sqrt(5)) gives Linear
/// and Conv weights, and their biases.
template <class T, class S>
void pytorch_uniform(tensor<T, S>& t, index_t fan_in, rng& r) {
  T bound = T(1) / std::sqrt(static_cast<T>(fan_in));
  r.fill_uniform(t.data(), static_cast<std::size_t>(t.size()), -bound, bound);
}
/// Glorot (Xavier) uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
template <class T, class S>
void glorot_uniform(tensor<T, S>& t, index_t fan_in, index_t fan_out, rng& r) {
  T a = std::sqrt(T(6) / static_cast<T>(fan_in + fan_out));
  r.fill_uniform(t.data(), static_cast<std::size_t>(t.size()), -a, a);
}
/// He (Kaiming) normal for ReLU: N(0, 2 / fan_in).
template <class T, class S>
void he_normal(tensor<T, S>& t, index_t fan_in, rng& r) {
  r.fill_normal(t.data(), static_cast<std::size_t>(t.size()), T(0),
                std::sqrt(T(2) / static_cast<T>(fan_in)));
}
}  // namespace init

/// Which initializer a dense layer's weight uses (its bias always follows PyTorch's default).
enum class initializer { pytorch, glorot_uniform, he_normal };

/// A fully connected layer: y = x Wᵀ + b, (..,In) => (..,Out); In is inferred unless declared.
/// e.g. dense<128>{}  dense<10, 128>{} (declares In = 128)  dense<64>{.init =
/// initializer::he_normal}
template <index_t Out, index_t In = dyn>
struct dense {
  static constexpr std::string_view name = "dense";
  static constexpr std::array<std::string_view, 2> param_names{"weight", "bias"};
  initializer init_kind = initializer::pytorch;

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
  using output = shape_from<[] {
    auto d = S::dims;
    d[S::rank - 1] = Out;
    return d;
  }()>;
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
    auto& [w, b] = p;
    constexpr index_t fan_in = in_width<S>();
    rng rw = r.fold_in(0), rb = r.fold_in(1);
    if (init_kind == initializer::glorot_uniform)
      init::glorot_uniform(w, fan_in, Out, rw);
    else if (init_kind == initializer::he_normal)
      init::he_normal(w, fan_in, rw);
    else
      init::pytorch_uniform(w, fan_in, rw);
    init::pytorch_uniform(b, fan_in, rb);
    return p;
  }
  template <class P, class X>
  auto operator()(P const& p, X const& x) const {
    return matmul(x, transpose(std::get<0>(p))) + std::get<1>(p);  // (B,In) x (In,Out) => (B,Out)
  }
};

/// Base of layers without parameters: the output shape is the input shape unless they say.
struct stateless {
  static constexpr std::array<std::string_view, 0> param_names{};
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

// A local macro (undefined below): six activations that differ only in name and op.
#define METAGRAD_NN_ACTIVATION(NAME, EXPR)          \
  struct NAME : stateless {                         \
    static constexpr std::string_view name = #NAME; \
    template <class P, class X>                     \
    auto operator()(P const&, X const& x) const {   \
      return EXPR;                                  \
    }                                               \
  };
METAGRAD_NN_ACTIVATION(relu, metagrad::relu(x))
METAGRAD_NN_ACTIVATION(sigmoid, metagrad::sigmoid(x))
METAGRAD_NN_ACTIVATION(tanh, metagrad::tanh(x))
METAGRAD_NN_ACTIVATION(gelu, metagrad::gelu(x))
METAGRAD_NN_ACTIVATION(softmax, metagrad::softmax(x))
METAGRAD_NN_ACTIVATION(log_softmax, metagrad::log_softmax(x))
#undef METAGRAD_NN_ACTIVATION

/// max(x, slope·x), as torch.nn.LeakyReLU (slope 0.01 by default), e.g. leaky_relu<0.2>{}.
template <double NegativeSlope = 0.01>
struct leaky_relu : stateless {
  static constexpr std::string_view name = "leaky_relu";
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return metagrad::leaky_relu(x, NegativeSlope);
  }
};

/// (B, D...) => (B, prod D), as torch.nn.Flatten.
struct flatten : stateless {
  static constexpr std::string_view name = "flatten";
  template <class S>
  using output = shape<S::dims[0], detail::per_example<S>()>;
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    using S = shape_t<X>;
    return reshape<output<S>>(x, extents<2>{{x.ext[0], x.ext.size() / x.ext[0]}});
  }
};

}  // namespace metagrad::nn
