// SPDX-License-Identifier: MIT
// max and min over axes (all by default), as torch.amax / torch.amin: the derivative is shared
// evenly among tied extrema.  vjp: g * [x == y] / count(x == y);  jvp: sum(dx * [x == y]) / count.
#pragma once
#include <limits>

#include "compare.hpp"
#include "sum.hpp"

namespace metagrad {

template <class Derived>
struct extremum_kind {
  template <bool Keep, auto Axes>
  static auto share(auto const& y, auto const& x) {
    using In = shape_t<decltype(x)>;
    auto hit = equal(x, unreduce<In, Axes, Keep>(y, x.ext));
    auto count = make_node(reduce_op<sum_kind, true, Axes>{}, hit);
    return hit / broadcast_to<In>(count, x.ext);
  }
  template <bool Keep, auto Axes>
  static auto jvp(reduce_op<Derived, Keep, Axes>, auto const& y, auto const& x, auto const& dx) {
    return make_node(reduce_op<sum_kind, Keep, Axes>{}, dx * share<Keep, Axes>(y, x));
  }
  template <bool Keep, auto Axes>
  static auto vjp(reduce_op<Derived, Keep, Axes>, auto const& g, auto const& y, auto const& x) {
    using In = shape_t<decltype(x)>;
    return detail::make_flat_tuple(unreduce<In, Axes, Keep>(g, x.ext) * share<Keep, Axes>(y, x));
  }
};

struct max_kind : extremum_kind<max_kind> {
  static constexpr char const* name = "max";
  template <class T>
  static T init() {
    return -std::numeric_limits<T>::infinity();
  }
  template <class T>
  METAGRAD_HOST_DEVICE static T combine(T acc, T x) {
    return x > acc ? x : acc;
  }
};
struct min_kind : extremum_kind<min_kind> {
  static constexpr char const* name = "min";
  template <class T>
  static T init() {
    return std::numeric_limits<T>::infinity();
  }
  template <class T>
  METAGRAD_HOST_DEVICE static T combine(T acc, T x) {
    return x < acc ? x : acc;
  }
};

/// Largest element over the given axes (every axis when none are given), e.g. max<1>(x).
template <int... Axes, expression_like X>
auto max(X const& x) {
  return make_reduce<max_kind, false, Axes...>(x);
}
template <int... Axes, expression_like X>
auto max(X const& x, keepdims_t) {
  return make_reduce<max_kind, true, Axes...>(x);
}
/// Smallest element over the given axes (every axis when none are given).
template <int... Axes, expression_like X>
auto min(X const& x) {
  return make_reduce<min_kind, false, Axes...>(x);
}
template <int... Axes, expression_like X>
auto min(X const& x, keepdims_t) {
  return make_reduce<min_kind, true, Axes...>(x);
}

}  // namespace metagrad
