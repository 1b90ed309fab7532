// SPDX-License-Identifier: MIT
// slice<Axis, Begin, End, Step>(x): every Step-th entry of [Begin, End) along Axis, with Python's
// bounds: negative counts from the end, out-of-range clamps to the axis, e.g.
// slice<1, 0, 5, 2>(x /*(4,5)*/) => (4,3), as x[:, 0:5:2]. A dyn axis gives a dyn result extent.
// unslice is its transpose (JAX's pad): g placed at the sliced positions of zeros.
// d slice(x) = slice(dx);  vjp: unslice(g).   d unslice(g) = unslice(dg);  vjp: slice(gg).
#pragma once
#include <limits>

#include "elementwise.hpp"

namespace metagrad {

/// The End of a slice that runs to the end of the axis, like the omitted stop in x[1:].
inline constexpr index_t end_of_axis = std::numeric_limits<index_t>::max();

template <class S, int Axis>
struct slice_axis_out_of_range {
  static constexpr bool value = false;
};
template <index_t Step>
struct slice_step_not_positive {
  static constexpr bool value = false;
};

namespace detail {
struct slice_range {
  index_t begin, count;
};
/// Python's slice(begin, end, step).indices(n) for step > 0: the first index and the count.
constexpr slice_range slice_indices(index_t begin, index_t end, index_t step, index_t n) {
  auto clamp = [n](index_t i) {
    if (i < 0) i = i < -n ? 0 : i + n;
    return i > n ? n : i;
  };
  index_t b = clamp(begin), e = clamp(end);
  return {b, e > b ? (e - b + step - 1) / step : 0};
}
/// S's dims with dims[Axis] replaced by D.
template <class S, std::size_t Axis, index_t D>
consteval auto replace_dim() {
  auto a = S::dims;
  a[Axis] = D;
  return a;
}
}  // namespace detail

template <std::size_t Axis, index_t Begin, index_t End, index_t Step, index_t Dim>
struct unslice_op;

template <std::size_t Axis, index_t Begin, index_t End, index_t Step>
struct slice_op {
  static constexpr char const* name = "slice";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;
  static constexpr index_t count(index_t n) {
    return n == dyn ? dyn : detail::slice_indices(Begin, End, Step, n).count;
  }

  template <class S>
  using result_shape = shape_from<detail::replace_dim<S, Axis, count(S::dims[Axis])>()>;
  template <class S>
  extents<S::rank> result_extents(extents<S::rank> e) const {
    e[Axis] = count(e[Axis]);
    return e;
  }
  static auto jvp(slice_op, auto const&, auto const&, auto const& dx) {
    return make_node(slice_op{}, dx);
  }
  static auto vjp(slice_op, auto const& g, auto const&, auto const& x) {
    constexpr index_t dim = shape_t<decltype(x)>::dims[Axis];
    return detail::make_flat_tuple(
        make_node(unslice_op<Axis, Begin, End, Step, dim>{x.ext[Axis]}, g));
  }
};

/// g (the shape of a slice) placed at the sliced positions of zeros whose Axis has extent
/// `full` (static Dim, or dyn).
template <std::size_t Axis, index_t Begin, index_t End, index_t Step, index_t Dim>
struct unslice_op {
  static constexpr char const* name = "unslice";
  static constexpr zero_rule zeros = zero_rule::any;
  index_t full;

  template <class S>
  using result_shape = shape_from<detail::replace_dim<S, Axis, Dim>()>;
  template <class S>
  extents<S::rank> result_extents(extents<S::rank> e) const {
    if (e[Axis] != detail::slice_indices(Begin, End, Step, full).count)
      detail::throw_shape_error("unslice: extent differs from the slice's", e);
    e[Axis] = full;
    return e;
  }
  static auto jvp(unslice_op op, auto const&, auto const&, auto const& dg) {
    return make_node(op, dg);
  }
  static auto vjp(unslice_op, auto const& gg, auto const&, auto const&) {
    return detail::make_flat_tuple(make_node(slice_op<Axis, Begin, End, Step>{}, gg));
  }
};

template <class S, int Axis, index_t Step>
consteval bool check_slice() {
  static_assert(normalize_axis(Axis, S::rank) >= 0 || slice_axis_out_of_range<S, Axis>::value,
                "slice: axis out of range for the operand's rank");
  static_assert(Step > 0 || slice_step_not_positive<Step>::value,
                "slice: step must be positive (negative steps are not supported)");
  return true;
}

/// Every Step-th entry of [Begin, End) along Axis, bounds clamped as in Python, e.g.
/// slice<0, 1, 3>(x) is x[1:3], slice<1, 0, end_of_axis, 2>(x) is x[:, ::2], slice<0, -2>(x)
/// is x[-2:]. Slice two axes by composing: slice<1, 0, 5, 2>(slice<0, 1, 3>(x)).
template <int Axis, index_t Begin, index_t End = end_of_axis, index_t Step = 1, expression_like X>
auto slice(X const& x) {
  auto e = as_expr(x);
  using S = shape_t<decltype(e)>;
  static_assert(check_slice<S, Axis, Step>());
  constexpr auto axis = static_cast<std::size_t>(normalize_axis(Axis, S::rank));
  return make_node(slice_op<axis, Begin, End, Step>{}, e);
}

}  // namespace metagrad
