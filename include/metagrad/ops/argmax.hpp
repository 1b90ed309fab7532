// SPDX-License-Identifier: MIT
// argmax<Axis>(x): the index of the largest element along one axis (the last by default), as
// index_t; the first one on ties and NaN counts as largest, as torch.argmax.
// (2,3,4) over 1 => (2,4), or (2,1,4) with keepdims. Piecewise constant: jvp and vjp are zero.
#pragma once
#include "reduce.hpp"

namespace metagrad {

template <bool Keep, int Axis>
struct argmax_op {
  static constexpr char const* name = "argmax";
  static constexpr int axis = Axis;
  /// Cost (nn/cost.hpp): one comparison per input value.
  template <class Out, class X>
  static constexpr index_t flops = detail::per_example_size<shape_t<X>>();
  static constexpr bool keep = Keep;
  static constexpr std::array<int, 1> axes{Axis};

  template <class... Args>
  using value_type = index_t;
  template <class S>
  using result_shape = shape_from<detail::reduced_dims<S::rank, Keep, axes>(S::dims)>;
  template <class S>
  auto result_extents(extents<S::rank> const& e) const {
    if (e[Axis] == 0) throw shape_error("argmax: the reduced axis is empty: " + to_string(e));
    return extents<result_shape<S>::rank>{detail::reduced_dims<S::rank, Keep, axes>(e.d)};
  }
  static auto jvp(argmax_op, auto const& y, auto const&, auto const&) { return zeros_like(y); }
  static auto vjp(argmax_op, auto const&, auto const&, auto const& x) {
    return detail::make_flat_tuple(zeros_like(x));
  }
};

template <class S, int Axis>
consteval bool check_argmax() {
  constexpr int a = normalize_axis(Axis, S::rank);
  // If the compiler points here: e.g. argmax<2>(x) on a rank-2 x, whose axes are 0, 1 (or -2, -1).
  static_assert(a >= 0 || reduction_axis_out_of_range<S, Axis>::value,
                "argmax: axis out of range; a rank-R operand has axes 0..R-1 (or -R..-1)");
  constexpr bool nonempty = a < 0 || S::dims[static_cast<std::size_t>(a)] != 0;
  static_assert(nonempty, "argmax: the reduced axis is empty");
  return a >= 0 && nonempty;
}

namespace detail {
template <bool Keep, int Axis, class X>
auto make_argmax(X const& x) {
  auto e = as_expr(x);
  using S = shape_t<decltype(e)>;
  if constexpr (!check_argmax<S, Axis>())
    return e;  // not reached: stops follow-up errors
  else
    return make_node(argmax_op<Keep, normalize_axis(Axis, S::rank)>{}, e);
}
}  // namespace detail

/// Index of the largest element along Axis, e.g. argmax<1>(logits /*(B,10)*/) => (B) index_t.
template <int Axis = -1, expression_like X>
auto argmax(X const& x) {
  return detail::make_argmax<false, Axis>(x);
}
template <int Axis = -1, expression_like X>
auto argmax(X const& x, keepdims_t) {
  return detail::make_argmax<true, Axis>(x);
}

}  // namespace metagrad
