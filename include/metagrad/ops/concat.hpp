// SPDX-License-Identifier: MIT
// concat<Axis>(a, b, ...): operands joined along Axis; every other extent must agree, e.g.
// concat<0>(a /*(2,3)*/, b /*(4,3)*/) => (6,3). concat_part<Axis, I> takes operand I's block
// back out of a concatenation (its vjp); the offsets are the run-time extents along Axis.
// d concat(x..) = concat(dx..);  vjp: (part_0(g), part_1(g), ..).
// d part_I(y) = part_I(dy);  vjp: concat(0.., g, 0..).
#pragma once
#include <array>
#include <numeric>

#include "slice.hpp"

namespace metagrad {

template <class... S>
struct concat_ranks_differ {
  static constexpr bool value = false;
};
template <class... S>
struct concat_extents_differ {
  static constexpr bool value = false;
};
template <class S, int Axis>
struct concat_axis_out_of_range {
  static constexpr bool value = false;
};

namespace detail {
/// The concatenated dims: Axis summed (dyn if any is dyn); elsewhere a static extent wins.
template <std::size_t Axis, class S0, class... S>
consteval auto concat_dims() {
  auto a = S0::dims;
  for (std::size_t d = 0; d < a.size(); ++d) {
    for (index_t e : std::array<index_t, sizeof...(S)>{S::dims[d]...}) {
      if (d == Axis)
        a[d] = a[d] == dyn || e == dyn ? dyn : a[d] + e;
      else if (a[d] == dyn)
        a[d] = e;
    }
  }
  return a;
}
template <std::size_t Axis, class S0, class... S>
consteval bool concat_compatible() {
  for (std::size_t d = 0; d < S0::rank; ++d)
    for (index_t e : std::array<index_t, sizeof...(S)>{S::dims[d]...})
      if (d != Axis && e != dyn && S0::dims[d] != dyn && e != S0::dims[d]) return false;
  return true;
}
}  // namespace detail

template <std::size_t Axis, std::size_t I, auto Dims>
struct concat_part_op;

template <std::size_t Axis>
struct concat_op {
  static constexpr char const* name = "concat";
  static constexpr zero_rule zeros = zero_rule::all;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;

  template <class... S>
  using result_shape = shape_from<detail::concat_dims<Axis, S...>()>;
  template <class S0, class... S>
  extents<S0::rank> result_extents(extents<S0::rank> const& e0,
                                   extents<S::rank> const&... e) const {
    extents<S0::rank> r = e0;
    auto join = [&](extents<S0::rank> const& x) {
      for (std::size_t d = 0; d < S0::rank; ++d)
        if (d != Axis && x[d] != e0[d])
          detail::throw_shape_error("concat: extents differ off the concatenation axis", e0, " vs ",
                                    x);
      r[Axis] += x[Axis];
    };
    (join(e), ...);
    return r;
  }

  static auto jvp(concat_op, auto const&, auto const&... xs_then_dxs) {
    constexpr std::size_t n = sizeof...(xs_then_dxs) / 2;
    auto all = std::forward_as_tuple(xs_then_dxs...);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return make_node(concat_op{}, std::get<n + I>(all)...);
    }
    (std::make_index_sequence<n>{});
  }
  static auto vjp(concat_op, auto const& g, auto const&, auto const&... x) {
    using D = std::array<index_t, sizeof...(x)>;
    constexpr D ds{shape_t<decltype(x)>::dims[Axis]...};
    D s{x.ext[Axis]...};
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::make_flat_tuple(make_node(concat_part_op<Axis, I, ds>{s}, g)...);
    }
    (std::index_sequence_for<decltype(x)...>{});
  }
};

/// Operand I of a concatenation along Axis of operands whose extents there are `sizes`
/// (static dims Dims, dyn where run-time).
template <std::size_t Axis, std::size_t I, auto Dims>
struct concat_part_op {
  static constexpr char const* name = "concat_part";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr std::size_t n = Dims.size();
  std::array<index_t, n> sizes;

  index_t offset() const { return std::accumulate(sizes.begin(), sizes.begin() + I, index_t{0}); }

  template <class S>
  using result_shape = shape_from<detail::replace_dim<S, Axis, Dims[I]>()>;
  template <class S>
  extents<S::rank> result_extents(extents<S::rank> e) const {
    if (e[Axis] != std::accumulate(sizes.begin(), sizes.end(), index_t{0}))
      detail::throw_shape_error("concat_part: extent differs from the concatenation's", e);
    e[Axis] = sizes[I];
    return e;
  }
  static auto jvp(concat_part_op op, auto const&, auto const&, auto const& dy) {
    return make_node(op, dy);
  }
  static auto vjp(concat_part_op op, auto const& g, auto const&, auto const&) {
    using G = shape_t<decltype(g)>;
    auto piece = [&](auto j) {
      if constexpr (j == I) {
        return g;
      } else {
        auto e = g.ext;
        e[Axis] = op.sizes[j];
        return zero<value_t<decltype(g)>, shape_from<detail::replace_dim<G, Axis, Dims[j]>()>,
                    device_t<decltype(g)>>(e);
      }
    };
    return detail::make_flat_tuple([&]<std::size_t... J>(std::index_sequence<J...>) {
      return make_node(concat_op<Axis>{}, piece(std::integral_constant<std::size_t, J>{})...);
    }(std::make_index_sequence<n>{}));
  }
};

template <int Axis, class S0, class... S>
consteval bool check_concat() {
  static_assert(((S::rank == S0::rank) && ...) || concat_ranks_differ<S0, S...>::value,
                "concat: operands must have the same rank");
  static_assert(normalize_axis(Axis, S0::rank) >= 0 || concat_axis_out_of_range<S0, Axis>::value,
                "concat: axis out of range for the operands' rank");
  static_assert(detail::concat_compatible<static_cast<std::size_t>(normalize_axis(Axis, S0::rank)),
                                          S0, S...>() ||
                    concat_extents_differ<S0, S...>::value,
                "concat: extents differ off the concatenation axis; all but Axis must agree");
  return true;
}

/// Operands joined along Axis (negative counts from the end), e.g.
/// concat<1>(a /*(2,3)*/, b /*(2,1)*/) => (2,4), as torch.cat / numpy.concatenate.
template <int Axis, expression_like X0, expression_like... X>
auto concat(X0 const& x0, X const&... xs) {
  auto e0 = as_expr(x0);
  using S0 = shape_t<decltype(e0)>;
  static_assert(check_concat<Axis, S0, shape_t<expr_t<X>>...>());
  constexpr auto axis = static_cast<std::size_t>(normalize_axis(Axis, S0::rank));
  if constexpr (sizeof...(X) == 0)
    return e0;
  else
    return make_node(concat_op<axis>{}, e0, as_expr(xs)...);
}

}  // namespace metagrad
