// SPDX-License-Identifier: MIT
// sum over axes (all by default), mean, and sum_to (the transpose of broadcasting).
// d sum(x) = sum(dx);  vjp: g broadcast back over the reduced axes.
#pragma once
#include "div.hpp"
#include "reduce.hpp"

namespace metagrad {

struct sum_kind {
  static constexpr char const* name = "sum";
  static constexpr zero_rule zeros = zero_rule::any;
  template <class T>
  static T init() {
    return T(0);
  }
  template <class T>
  METAGRAD_HOST_DEVICE static T combine(T acc, T x) {
    return acc + x;
  }
  template <bool Keep, auto Axes>
  static auto jvp(reduce_op<sum_kind, Keep, Axes>, auto const&, auto const&, auto const& dx) {
    return make_node(reduce_op<sum_kind, Keep, Axes>{}, dx);
  }
  template <bool Keep, auto Axes>
  static auto vjp(reduce_op<sum_kind, Keep, Axes>, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(unreduce<shape_t<decltype(x)>, Axes, Keep>(g, x.ext));
  }
};

/// Sum over the given axes (every axis when none are given), e.g. sum<1>(x), sum(x),
/// sum<0>(x, keepdims).
template <int... Axes, expression_like X>
auto sum(X const& x) {
  return make_reduce<sum_kind, false, Axes...>(x);
}
template <int... Axes, expression_like X>
auto sum(X const& x, keepdims_t) {
  return make_reduce<sum_kind, true, Axes...>(x);
}

namespace detail {
template <class S, auto Axes, std::size_t N>
index_t reduced_count(extents<N> const& e) {
  index_t n = 1;
  for (int a : Axes) n *= e[a];
  return n;
}
}  // namespace detail

/// Mean over the given axes (every axis when none are given): sum / count.
template <int... Axes, expression_like X>
auto mean(X const& x) {
  auto e = as_expr(x);
  constexpr auto axes = detail::normalize_axes<shape_t<decltype(e)>::rank, Axes...>();
  auto n = detail::reduced_count<shape_t<decltype(e)>, axes>(e.ext);
  return sum<Axes...>(e) * (value_t<decltype(e)>(1) / static_cast<value_t<decltype(e)>>(n));
}
template <int... Axes, expression_like X>
auto mean(X const& x, keepdims_t) {
  auto e = as_expr(x);
  constexpr auto axes = detail::normalize_axes<shape_t<decltype(e)>::rank, Axes...>();
  auto n = detail::reduced_count<shape_t<decltype(e)>, axes>(e.ext);
  return sum<Axes...>(e, keepdims) *
         (value_t<decltype(e)>(1) / static_cast<value_t<decltype(e)>>(n));
}

namespace detail {
/// Axes of G that sum_to<Shape> reduces: leading extra axes and Shape's static 1s.
template <class G, class Shape>
consteval auto sum_to_axes() {
  constexpr std::size_t lead = G::rank - Shape::rank;
  std::array<int, G::rank> a{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < G::rank; ++i)
    if (i < lead || (Shape::dims[i - lead] == 1 && G::dims[i] != 1)) a[n++] = static_cast<int>(i);
  return std::pair{a, n};
}
template <class G, class Shape>
consteval auto sum_to_axes_array() {
  constexpr auto p = sum_to_axes<G, Shape>();
  std::array<int, p.second> a{};
  for (std::size_t i = 0; i < p.second; ++i) a[i] = p.first[i];
  return a;
}
}  // namespace detail

/// g summed down to a shape it was broadcast from (the vjp of broadcasting), e.g.
/// sum_to<shape<4>>(g /*(3,4)*/, {4}) sums over axis 0.
template <class Shape, class E>
auto sum_to(E const& g, extents<Shape::rank> const& target) {
  using G = shape_t<E>;
  if constexpr (std::same_as<G, Shape>) {
    return g;
  } else if constexpr (is_zero<E>) {
    return zero<value_t<E>, Shape, device_t<E>>(target);
  } else {
    constexpr auto axes = detail::sum_to_axes_array<G, Shape>();
    if constexpr (axes.size() == 0) {
      return reshape<Shape>(g, target);
    } else {
      auto s = make_node(reduce_op<sum_kind, false, axes>{}, g);
      if constexpr (std::same_as<shape_t<decltype(s)>, Shape>)
        return s;
      else
        return reshape<Shape>(s, target);
    }
  }
}

}  // namespace metagrad
