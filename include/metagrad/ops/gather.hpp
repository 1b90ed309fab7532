// SPDX-License-Identifier: MIT
// Gathers by an integer index tensor (values index_t or any integer type; negative counts from
// the end, as in NumPy; out of range throws std::out_of_range naming index, axis and extent):
//   take_along_axis<Axis>(x /*(.., n, ..)*/, idx /*(.., m, ..)*/) => (.., m, ..)
//       out[.., j, ..] = x[.., idx[.., j, ..], ..]     numpy.take_along_axis, torch.gather
//   take<Axis>(x /*(pre.., n, post..)*/, idx /*(i..)*/) => (pre.., i.., post..)
//       out[pre.., i.., post..] = x[pre.., idx[i..], post..]  numpy.take, torch.index_select,
//       an embedding lookup: take<0>(table /*(V,D)*/, tokens /*(B,T)*/) => (B,T,D)
// d take(x) = take(dx);  vjp: scatter/index add of g (repeated indices sum), nothing for idx.
#pragma once
#include <concepts>

#include "scatter_add.hpp"

namespace metagrad {

template <class X, class I>
struct take_along_axis_shapes_differ {
  static constexpr bool value = false;
};
template <class S, int Axis>
struct gather_axis_out_of_range {
  static constexpr bool value = false;
};
template <class I>
struct gather_indices_not_integer {
  static constexpr bool value = false;
};

template <std::size_t Axis>
struct take_along_axis_op {
  static constexpr char const* name = "take_along_axis";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;

  /// idx's dims, where a dyn one off Axis takes x's static extent.
  template <class X, class I>
  static consteval auto dims() {
    auto a = I::dims;
    for (std::size_t d = 0; d < a.size(); ++d)
      if (d != Axis && a[d] == dyn) a[d] = X::dims[d];
    return a;
  }
  template <class X, class I>
  using result_shape = shape_from<dims<X, I>()>;
  template <class X, class I>
  extents<I::rank> result_extents(extents<X::rank> const& x, extents<I::rank> const& i) const {
    for (std::size_t d = 0; d < I::rank; ++d)
      if (d != Axis && x[d] != i[d])
        detail::throw_shape_error("take_along_axis: extents differ off the axis", x, " vs ", i);
    return i;
  }
  static auto jvp(take_along_axis_op, auto const&, auto const&, auto const& idx, auto const& dx,
                  auto const&) {
    return make_node(take_along_axis_op{}, dx, idx);
  }
  static auto vjp(take_along_axis_op, auto const& g, auto const&, auto const& x, auto const& idx) {
    constexpr index_t dim = shape_t<decltype(x)>::dims[Axis];
    return detail::make_flat_tuple(make_node(scatter_add_op<Axis, dim>{x.ext[Axis]}, g, idx),
                                   zeros_like(idx));
  }
};

template <std::size_t Axis>
struct take_op {
  static constexpr char const* name = "take";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;

  template <class X, class I>
  static consteval auto dims() {
    std::array<index_t, X::rank + I::rank - 1> a{};
    for (std::size_t d = 0, j = 0; d < X::rank; ++d) {
      if (d == Axis)
        for (index_t e : I::dims) a[j++] = e;
      else
        a[j++] = X::dims[d];
    }
    return a;
  }
  template <class X, class I>
  using result_shape = shape_from<dims<X, I>()>;
  template <class X, class I>
  auto result_extents(extents<X::rank> const& x, extents<I::rank> const& i) const {
    extents<X::rank + I::rank - 1> r;
    for (std::size_t d = 0, j = 0; d < X::rank; ++d) {
      if (d == Axis)
        for (index_t e : i.d) r[j++] = e;
      else
        r[j++] = x[d];
    }
    return r;
  }
  static auto jvp(take_op, auto const&, auto const&, auto const& idx, auto const& dx, auto const&) {
    return make_node(take_op{}, dx, idx);
  }
  static auto vjp(take_op, auto const& g, auto const&, auto const& x, auto const& idx) {
    constexpr index_t dim = shape_t<decltype(x)>::dims[Axis];
    return detail::make_flat_tuple(make_node(index_add_op<Axis, dim>{x.ext[Axis]}, g, idx),
                                   zeros_like(idx));
  }
};

template <class X, class I, int Axis>
consteval bool check_gather() {
  static_assert(std::integral<value_t<I>> || gather_indices_not_integer<I>::value,
                "take: indices must be an integer tensor (e.g. tensor<index_t, shape<4>>)");
  static_assert(normalize_axis(Axis, shape_t<X>::rank) >= 0 ||
                    gather_axis_out_of_range<shape_t<X>, Axis>::value,
                "take: axis out of range for the operand's rank");
  return true;
}

template <class X, class I, std::size_t Axis>
consteval bool check_take_along_axis() {
  constexpr bool ok = [] {
    if (X::rank != I::rank) return false;
    for (std::size_t d = 0; d < X::rank; ++d)
      if (d != Axis && X::dims[d] != dyn && I::dims[d] != dyn && X::dims[d] != I::dims[d])
        return false;
    return true;
  }();
  static_assert(ok || take_along_axis_shapes_differ<X, I>::value,
                "take_along_axis: indices must have the operand's rank and extents off the axis");
  return true;
}

/// x's entries picked along Axis by idx, which has x's shape but for Axis:
/// out[.., j, ..] = x[.., idx[.., j, ..], ..], e.g. take_along_axis<1>(x /*(3,5)*/, idx /*(3,2)*/)
/// => (3,2). numpy.take_along_axis; the same as torch.gather (see gather).
template <int Axis, expression_like X, expression_like I>
auto take_along_axis(X const& x, I const& idx) {
  auto e = as_expr(x);
  auto i = as_expr(idx);
  static_assert(check_gather<decltype(e), decltype(i), Axis>());
  constexpr auto axis = static_cast<std::size_t>(normalize_axis(Axis, shape_t<decltype(e)>::rank));
  static_assert(check_take_along_axis<shape_t<decltype(e)>, shape_t<decltype(i)>, axis>());
  return make_node(take_along_axis_op<axis>{}, e, i);
}

/// torch.gather(x, Axis, idx): the same as take_along_axis<Axis>(x, idx). (TensorFlow's
/// tf.gather is take.)
template <int Axis, expression_like X, expression_like I>
auto gather(X const& x, I const& idx) {
  return take_along_axis<Axis>(x, idx);
}

/// Slices of x along Axis picked by idx (any rank; its axes replace Axis):
/// out[pre.., i.., post..] = x[pre.., idx[i..], post..], e.g. an embedding lookup
/// take<0>(table /*(V,D)*/, tokens /*(B,T)*/) => (B,T,D). numpy.take with an axis, tf.gather.
template <int Axis, expression_like X, expression_like I>
auto take(X const& x, I const& idx) {
  auto e = as_expr(x);
  auto i = as_expr(idx);
  static_assert(check_gather<decltype(e), decltype(i), Axis>());
  constexpr auto axis = static_cast<std::size_t>(normalize_axis(Axis, shape_t<decltype(e)>::rank));
  return make_node(take_op<axis>{}, e, i);
}

/// torch.index_select(x, Axis, idx) for a 1-D idx: the same as take<Axis>(x, idx).
template <int Axis, expression_like X, expression_like I>
requires(shape_t<expr_t<I>>::rank == 1) auto index_select(X const& x, I const& idx) {
  return take<Axis>(x, idx);
}

}  // namespace metagrad
