// SPDX-License-Identifier: MIT
// The transposes of the gathers in gather.hpp: cotangents summed into zeros at the gathered
// positions, so an index that repeats gets the sum of its cotangents.
//   scatter_add<Axis>(g /*(.., m, ..)*/, idx /*(.., m, ..)*/) => (.., n, ..):
//       out[.., idx[.., j, ..], ..] += g[.., j, ..]            (transpose of take_along_axis)
//   index_add<Axis>(g /*(pre.., idx.., post..)*/, idx) => (pre.., n, post..):
//       out[pre.., idx[i..], post..] += g[pre.., i.., post..]  (transpose of take)
// Both are linear in g: d = same op on dg;  vjp: the gather of gg (and no cotangent for idx).
#pragma once
#include <stdexcept>
#include <string>

#include "elementwise.hpp"
#include "slice.hpp"

namespace metagrad {

template <std::size_t Axis>
struct take_along_axis_op;
template <std::size_t Axis>
struct take_op;

namespace detail {
/// An index checked against an axis of extent n; negative counts from the end, as in NumPy.
inline index_t checked_index(char const* op, index_t i, std::size_t axis, index_t n) {
  if (i < -n || i >= n)
    throw std::out_of_range(std::string(op) + ": index " + std::to_string(i) +
                            " is out of range for axis " + std::to_string(axis) + " with extent " +
                            std::to_string(n));
  return i < 0 ? i + n : i;
}
/// (outer, inner): the element counts before and after an axis.
template <std::size_t R>
std::pair<index_t, index_t> outer_inner(extents<R> const& e, std::size_t axis,
                                        std::size_t len = 1) {
  index_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < R; ++d) {
    if (d < axis)
      outer *= e[d];
    else if (d >= axis + len)
      inner *= e[d];
  }
  return {outer, inner};
}
}  // namespace detail

/// Transpose of take_along_axis: out (Axis extent `full`, static Dim) = zeros, then
/// out[.., idx[.., j, ..], ..] += g[.., j, ..]. g and idx have one shape.
template <std::size_t Axis, index_t Dim>
struct scatter_add_op {
  static constexpr char const* name = "scatter_add";
  static constexpr zero_rule zeros = zero_rule::any;
  index_t full;

  template <class G, class I>
  using result_shape = shape_from<detail::replace_dim<G, Axis, Dim>()>;
  template <class G, class I>
  extents<G::rank> result_extents(extents<G::rank> e, extents<I::rank> const& i) const {
    if (e != i)
      detail::throw_shape_error("scatter_add: values and indices differ in extents", e, " vs ", i);
    e[Axis] = full;
    return e;
  }
  static auto jvp(scatter_add_op op, auto const&, auto const&, auto const& idx, auto const& dg,
                  auto const&) {
    return make_node(op, dg, idx);
  }
  static auto vjp(scatter_add_op, auto const& gg, auto const&, auto const&, auto const& idx) {
    return detail::make_flat_tuple(make_node(take_along_axis_op<Axis>{}, gg, idx), zeros_like(idx));
  }
};

/// Transpose of take: out (Axis extent `full`, static Dim) = zeros, then
/// out[pre.., idx[i..], post..] += g[pre.., i.., post..].
template <std::size_t Axis, index_t Dim>
struct index_add_op {
  static constexpr char const* name = "index_add";
  static constexpr zero_rule zeros = zero_rule::any;
  index_t full;

  template <class G, class I>
  static consteval auto dims() {
    std::array<index_t, G::rank - I::rank + 1> a{};
    for (std::size_t d = 0, j = 0; d < G::rank; ++d) {
      if (d == Axis) a[j++] = Dim;
      if (d < Axis || d >= Axis + I::rank) a[j++] = G::dims[d];
    }
    if constexpr (I::rank == 0) a[Axis] = Dim;
    return a;
  }
  template <class G, class I>
  using result_shape = shape_from<dims<G, I>()>;
  template <class G, class I>
  auto result_extents(extents<G::rank> const& g, extents<I::rank> const& i) const {
    extents<G::rank - I::rank + 1> r;
    for (std::size_t d = 0; d < I::rank; ++d)
      if (g[Axis + d] != i[d])
        detail::throw_shape_error("index_add: values and indices differ in extents", g, " vs ", i);
    for (std::size_t d = 0, j = 0; d < G::rank; ++d) {
      if (d == Axis) r[j++] = full;
      if (d < Axis || d >= Axis + I::rank) r[j++] = g[d];
    }
    if constexpr (I::rank == 0) r[Axis] = full;
    return r;
  }
  static auto jvp(index_add_op op, auto const&, auto const&, auto const& idx, auto const& dg,
                  auto const&) {
    return make_node(op, dg, idx);
  }
  static auto vjp(index_add_op, auto const& gg, auto const&, auto const&, auto const& idx) {
    return detail::make_flat_tuple(make_node(take_op<Axis>{}, gg, idx), zeros_like(idx));
  }
};

}  // namespace metagrad
