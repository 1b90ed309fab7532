// SPDX-License-Identifier: MIT
// The shape rule shared by reductions (sum, max, min): reduce_op<Kind, Keep, Axes> over a sorted
// set of axes. (2,3,4) reduced over {1} => (2,4), or (2,1,4) with keepdims. Each Kind (sum.hpp,
// max.hpp) gives the derivative rules; reduce_op forwards to them.
#pragma once
#include <algorithm>
#include <array>

#include "elementwise.hpp"

namespace metagrad {

/// Pass as the last argument to keep reduced axes with extent 1, e.g. sum<1>(x, keepdims).
struct keepdims_t {};
inline constexpr keepdims_t keepdims{};

namespace detail {
template <std::size_t N, bool Keep, auto Axes>
constexpr auto reduced_dims(std::array<index_t, N> const& in) {
  std::array<index_t, Keep ? N : N - Axes.size()> out{};
  std::size_t j = 0;
  for (std::size_t i = 0; i < N; ++i) {
    bool red = std::find(Axes.begin(), Axes.end(), static_cast<int>(i)) != Axes.end();
    if (!red)
      out[j++] = in[i];
    else if (Keep)
      out[j++] = 1;
  }
  return out;
}

/// Normalised (non-negative, sorted, unique) axes; an empty list means every axis.
template <std::size_t Rank, int... Axes>
consteval auto normalize_axes() {
  if constexpr (sizeof...(Axes) == 0) {
    std::array<int, Rank> a{};
    for (std::size_t i = 0; i < Rank; ++i) a[i] = static_cast<int>(i);
    return a;
  } else {
    std::array<int, sizeof...(Axes)> a{normalize_axis(Axes, Rank)...};
    std::sort(a.begin(), a.end());
    return a;
  }
}
/// No axis is named twice (e.g. sum<1, -2> on a rank-3 operand).
template <std::size_t Rank, int... Axes>
consteval bool distinct_axes() {
  auto a = normalize_axes<Rank, Axes...>();
  return std::adjacent_find(a.begin(), a.end()) == a.end();
}
}  // namespace detail

namespace rules {
/// Every axis names one of S's axes, counted from the front (0..R-1) or the back (-R..-1).
template <class S, int... Axes>
constexpr bool axes_in_range() {
  return ((normalize_axis(Axes, S::rank) >= 0) && ...);
}
}  // namespace rules

template <class S, int... Axes>
consteval bool check_axes() {
  // If the compiler points here: e.g. sum<2>(x) on a rank-2 x, whose axes are 0, 1 (or -2, -1).
  static_assert(
      ((normalize_axis(Axes, S::rank) >= 0 || reduction_axis_out_of_range<S, Axes>::value) && ...),
      "reduction: axis out of range; a rank-R operand has axes 0..R-1 (or -R..-1)");
  static_assert(!rules::axes_in_range<S, Axes...>() || detail::distinct_axes<S::rank, Axes...>(),
                "reduction: an axis is given twice");
  return rules::axes_in_range<S, Axes...>() && detail::distinct_axes<S::rank, Axes...>();
}

template <class Kind, bool Keep, auto Axes>
struct reduce_op {
  static constexpr char const* name = Kind::name;
  using kind = Kind;
  static constexpr zero_rule zeros = detail::zeros_of<Kind>();
  static constexpr auto axes = Axes;
  static constexpr bool keep = Keep;
  /// Cost (nn/cost.hpp): one operation per input value.
  template <class Out, class X>
  static constexpr index_t flops = detail::per_example_size<shape_t<X>>();
  template <class S>
  using result_shape = shape_from<detail::reduced_dims<S::rank, Keep, Axes>(S::dims)>;
  template <class S>
  auto result_extents(extents<S::rank> const& e) const {
    return extents<result_shape<S>::rank>{detail::reduced_dims<S::rank, Keep, Axes>(e.d)};
  }
  static auto jvp(reduce_op op, auto const& y, auto const& x, auto const& dx) {
    return Kind::jvp(op, y, x, dx);
  }
  static auto vjp(reduce_op op, auto const& g, auto const& y, auto const& x) {
    return Kind::vjp(op, g, y, x);
  }
};

template <class Kind, bool Keep, int... Axes, class X>
auto make_reduce(X const& x) {
  auto e = as_expr(x);
  if constexpr (!check_axes<shape_t<decltype(e)>, Axes...>()) {
    return e;  // not reached: check_axes failed; stops follow-up errors on the invalid axes
  } else {
    constexpr auto axes = detail::normalize_axes<shape_t<decltype(e)>::rank, Axes...>();
    return make_node(reduce_op<Kind, Keep, axes>{}, e);
  }
}

/// The extents of x with the reduced axes set to 1 (the keepdims shape).
template <auto Axes, std::size_t N>
extents<N> kept_extents(extents<N> e) {
  for (int a : Axes) e[a] = 1;
  return e;
}
template <class S, auto Axes>
using kept_shape = shape_from<detail::reduced_dims<S::rank, true, Axes>(S::dims)>;

/// A reduction's result (or cotangent) broadcast back to the operand's shape.
template <class In, auto Axes, bool Keep, class G>
auto unreduce(G const& g, extents<In::rank> const& in_ext) {
  if constexpr (Keep) {
    return broadcast_to<In>(g, in_ext);
  } else {
    using K = kept_shape<In, Axes>;
    return broadcast_to<In>(reshape<K>(g, kept_extents<Axes>(in_ext)), in_ext);
  }
}

}  // namespace metagrad
