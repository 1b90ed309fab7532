// SPDX-License-Identifier: MIT
// Activation layers: activation<Op> applies an elementwise op of ops/ (its name is the op's), so
// relu, sigmoid, tanh, gelu and leaky_relu are one mechanism; softmax and log_softmax act on the
// last axis.
#pragma once
#include "../ops/gelu.hpp"
#include "../ops/leaky_relu.hpp"
#include "../ops/relu.hpp"
#include "../ops/sigmoid.hpp"
#include "../ops/softmax.hpp"
#include "../ops/tanh.hpp"
#include "layer.hpp"

namespace metagrad::nn {

/// The elementwise op Op as a layer without parameters, e.g. activation<relu_op>{}.
template <class Op>
struct activation : stateless {
  static constexpr std::string_view name = Op::name;
  Op op{};
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return make_unary(x, op);
  }
};

using relu = activation<relu_op>;
using sigmoid = activation<sigmoid_op>;
using tanh = activation<tanh_op>;
using gelu = activation<gelu_op<gelu_form::erf>>;

/// max(x, slope·x), as torch.nn.LeakyReLU (slope 0.01 by default), e.g. leaky_relu{0.2}. The
/// slope is a value, not a template argument: clang 14 takes no floating-point template arguments.
struct leaky_relu : activation<leaky_relu_op> {
  constexpr leaky_relu(double negative_slope = 0.01) { op.negative_slope = negative_slope; }
};

/// softmax over the last axis, as torch.nn.Softmax(dim=-1).
struct softmax : stateless {
  static constexpr std::string_view name = "softmax";
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return metagrad::softmax(x);
  }
};

/// log_softmax over the last axis, as torch.nn.LogSoftmax(dim=-1).
struct log_softmax : stateless {
  static constexpr std::string_view name = "log_softmax";
  template <class P, class X>
  auto operator()(P const&, X const& x) const {
    return metagrad::log_softmax(x);
  }
};

}  // namespace metagrad::nn
