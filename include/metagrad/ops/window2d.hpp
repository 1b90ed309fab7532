// SPDX-License-Identifier: MIT
// What conv2d and the 2-D pools share: their parameters as structural NTTPs and the sliding-window
// shape rule. Per spatial axis: out = (in + 2p - d(k-1) - 1)/s + 1, and the dilated kernel
// d(k-1)+1 must fit in the padded input in + 2p (PyTorch, floor mode).
#pragma once
#include <string>

#include "elementwise.hpp"

namespace metagrad {

/// A (height, width) pair; one number means both, as in PyTorch: `.stride = 2`, `.padding = {1,
/// 0}`.
struct hw_pair {
  index_t h = 1, w = 1;
  constexpr hw_pair() = default;
  constexpr hw_pair(index_t n) : h(n), w(n) {}  // implicit on purpose, for `.stride = 2`
  constexpr hw_pair(index_t hh, index_t ww) : h(hh), w(ww) {}
  friend constexpr bool operator==(hw_pair, hw_pair) = default;
};

/// conv2d's parameters, e.g. conv2d<conv2d_params{.stride = 2, .padding = 1}>(x, w, b).
struct conv2d_params {
  hw_pair stride = 1;
  hw_pair padding = 0;
  hw_pair dilation = 1;
  index_t groups = 1;
};

/// max_pool2d / avg_pool2d parameters, e.g. max_pool2d<pool2d_params{.kernel = 3, .stride = 2}>(x).
/// stride 0 (the default) means the kernel size, as PyTorch's stride=None.
struct pool2d_params {
  hw_pair kernel = 0;
  hw_pair stride = 0;
  hw_pair padding = 0;

  /// The same parameters with the default stride spelled out.
  constexpr pool2d_params normalized() const {
    return {kernel, stride == hw_pair(0) ? kernel : stride, padding};
  }
};

// Diagnostics: types whose names carry the shapes (see shape/rules.hpp).
template <class X, class W>
struct conv2d_channels_differ {
  static constexpr bool value = false;
};
template <class X, class W>
struct conv2d_kernel_larger_than_padded_input {
  static constexpr bool value = false;
};
template <class W>
struct conv2d_out_channels_not_divisible_by_groups {
  static constexpr bool value = false;
};
template <class W, class B>
struct conv2d_bias_length_differs {
  static constexpr bool value = false;
};
template <class X>
struct pool2d_kernel_larger_than_padded_input {
  static constexpr bool value = false;
};

namespace detail {

/// One spatial axis of a sliding window (k may be dyn for a conv's weight).
struct window_axis {
  index_t kernel, stride, padding, dilation = 1;

  constexpr index_t span(index_t k) const { return dilation * (k - 1) + 1; }
  constexpr bool fits(index_t in, index_t k) const {
    return in == dyn || k == dyn || in + 2 * padding >= span(k);
  }
  /// The least input extent a kernel of k fits (fits' bound): its span less both paddings.
  constexpr index_t min_in(index_t k) const {
    index_t const m = span(k) - 2 * padding;
    return m > 1 ? m : 1;
  }
  constexpr index_t out(index_t in, index_t k) const {
    if (in == dyn || k == dyn) return dyn;
    return (in + 2 * padding - span(k)) / stride + 1;
  }
  constexpr index_t out(index_t in) const { return out(in, kernel); }
};

constexpr window_axis conv_axis_h(conv2d_params p) {
  return {dyn, p.stride.h, p.padding.h, p.dilation.h};
}
constexpr window_axis conv_axis_w(conv2d_params p) {
  return {dyn, p.stride.w, p.padding.w, p.dilation.w};
}
constexpr window_axis pool_axis_h(pool2d_params p) {
  return {p.kernel.h, p.stride.h, p.padding.h, 1};
}
constexpr window_axis pool_axis_w(pool2d_params p) {
  return {p.kernel.w, p.stride.w, p.padding.w, 1};
}

/// A pool's shape rule: (..,H,W) => (..,OH,OW); leading axes are independent planes.
template <class S, pool2d_params P>
consteval auto pooled_dims() {
  std::array<index_t, S::rank> d = S::dims;
  constexpr std::size_t r = S::rank;
  if constexpr (r >= 2) {
    d[r - 2] = pool_axis_h(P).out(S::dims[r - 2]);
    d[r - 1] = pool_axis_w(P).out(S::dims[r - 1]);
  }
  return d;
}

template <std::size_t R>
extents<R> pooled_extents(char const* name, pool2d_params p, extents<R> e) {
  if (e[R - 2] + 2 * p.padding.h < p.kernel.h || e[R - 1] + 2 * p.padding.w < p.kernel.w)
    throw shape_error(std::string(name) + ": kernel larger than padded input; input " +
                      to_string(e) + ", kernel (" + std::to_string(p.kernel.h) + "," +
                      std::to_string(p.kernel.w) + "), padding (" + std::to_string(p.padding.h) +
                      "," + std::to_string(p.padding.w) + ")");
  e[R - 2] = pool_axis_h(p).out(e[R - 2]);
  e[R - 1] = pool_axis_w(p).out(e[R - 1]);
  return e;
}

}  // namespace detail

/// The pools' static checks, with a message naming the rule; X is the input's shape.
template <class X, pool2d_params P>
consteval bool check_pool2d() {
  static_assert(X::rank >= 2, "pool2d: input must have rank >= 2: (..,H,W)");
  static_assert(P.kernel.h >= 1 && P.kernel.w >= 1 && P.stride.h >= 1 && P.stride.w >= 1 &&
                    P.padding.h >= 0 && P.padding.w >= 0,
                "pool2d: kernel and stride must be >= 1 and padding >= 0");
  static_assert(2 * P.padding.h <= P.kernel.h && 2 * P.padding.w <= P.kernel.w,
                "pool2d: padding must be at most half the kernel size (as in PyTorch)");
  if constexpr (X::rank >= 2) {
    constexpr std::size_t r = X::rank;
    static_assert((detail::pool_axis_h(P).fits(X::dims[r - 2], P.kernel.h) &&
                   detail::pool_axis_w(P).fits(X::dims[r - 1], P.kernel.w)) ||
                      pool2d_kernel_larger_than_padded_input<X>::value,
                  "pool2d: kernel larger than padded input; needs H + 2*padding >= kernel");
  }
  return true;
}

}  // namespace metagrad
