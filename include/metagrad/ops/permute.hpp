// SPDX-License-Identifier: MIT
// permute<P...>(x): axes reordered, result axis i is x's axis P[i], e.g. permute<2, 0, 1>:
// (2,3,4) => (4,2,3). transpose(x) swaps the last two axes: (..,M,N) => (..,N,M).
// d permute(x) = permute(dx);  vjp: permute(g) by the inverse permutation.
#pragma once
#include <algorithm>
#include <array>

#include "elementwise.hpp"

namespace metagrad {

/// Named in the diagnostic with the operand's shape and the axes given (see shape/rules.hpp).
template <class S, int... P>
struct permutation_invalid {
  static constexpr bool value = false;
};

template <auto Perm>
struct permute_op {
  static constexpr char const* name = "permute";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;
  static constexpr auto perm = Perm;
  static constexpr std::size_t rank = Perm.size();

  static constexpr auto inverse() {
    std::array<int, rank> inv{};
    for (std::size_t i = 0; i < rank; ++i)
      inv[static_cast<std::size_t>(Perm[i])] = static_cast<int>(i);
    return inv;
  }
  template <class A>
  static constexpr auto apply_to(A const& in) {
    A out{};
    for (std::size_t i = 0; i < rank; ++i) out[i] = in[static_cast<std::size_t>(Perm[i])];
    return out;
  }

  template <class S>
  using result_shape = shape_from<apply_to(S::dims)>;
  template <class S>
  extents<rank> result_extents(extents<rank> const& e) const {
    return {apply_to(e.d)};
  }
  static auto jvp(permute_op, auto const&, auto const&, auto const& dx) {
    return make_node(permute_op{}, dx);
  }
  static auto vjp(permute_op, auto const& g, auto const&, auto const&) {
    return detail::make_flat_tuple(make_node(permute_op<inverse()>{}, g));
  }
};

template <std::size_t Rank, int... P>
consteval bool valid_permutation() {
  if (sizeof...(P) != Rank) return false;
  std::array<int, sizeof...(P)> a{P...};
  std::sort(a.begin(), a.end());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != static_cast<int>(i)) return false;
  return true;
}

/// Axes reordered: result axis i is x's axis P[i].
template <int... P, expression_like X>
auto permute(X const& x) {
  auto e = as_expr(x);
  using S = shape_t<decltype(e)>;
  // If the compiler points here: e.g. permute<0, 0, 1> on a rank-3 x repeats 0 and omits 2.
  static_assert(valid_permutation<S::rank, P...>() || permutation_invalid<S, P...>::value,
                "permute: the axes must be a permutation of 0..rank-1");
  return make_node(permute_op<std::array<int, sizeof...(P)>{P...}>{}, e);
}

/// The last two axes swapped: (..,M,N) => (..,N,M); a 1-D x is returned as it is.
template <expression_like X>
auto transpose(X const& x) {
  auto e = as_expr(x);
  constexpr std::size_t r = shape_t<decltype(e)>::rank;
  if constexpr (r < 2) {
    return e;
  } else {
    constexpr auto p = [] {
      std::array<int, r> a{};
      for (std::size_t i = 0; i < r; ++i) a[i] = static_cast<int>(i);
      std::swap(a[r - 1], a[r - 2]);
      return a;
    }();
    return make_node(permute_op<p>{}, e);
  }
}

}  // namespace metagrad
