// SPDX-License-Identifier: MIT
// stack<Axis>(a, b, ...): operands of one shape joined along a new axis, e.g.
// stack<0>(a /*(2,3)*/, b /*(2,3)*/) => (2,2,3). A composite: each operand gets an extent-1 axis
// (a free reshape), then concat; derivatives come from those two.
#pragma once
#include "concat.hpp"

namespace metagrad {

template <class... S>
struct stack_shapes_differ {
  static constexpr bool value = false;
};
template <class S, int Axis>
struct stack_axis_out_of_range {
  static constexpr bool value = false;
};

namespace detail {
/// S's dims with an extent-1 axis inserted before Axis.
template <class S, std::size_t Axis>
consteval auto insert_unit_dim() {
  std::array<index_t, S::rank + 1> a{};
  for (std::size_t i = 0, j = 0; i <= S::rank; ++i) a[i] = i == Axis ? 1 : S::dims[j++];
  return a;
}
template <class S0, class... S>
consteval bool same_dims() {
  if (((S::rank != S0::rank) || ...)) return false;
  for (std::size_t d = 0; d < S0::rank; ++d)
    for (index_t e : std::array<index_t, sizeof...(S)>{S::dims[d]...})
      if (e != dyn && S0::dims[d] != dyn && e != S0::dims[d]) return false;
  return true;
}
template <std::size_t Axis, class E>
auto unsqueeze(E const& e) {
  using S = shape_t<E>;
  extents<S::rank + 1> t;
  for (std::size_t i = 0, j = 0; i <= S::rank; ++i) t[i] = i == Axis ? 1 : e.ext[j++];
  return reshape<shape_from<insert_unit_dim<S, Axis>()>>(e, t);
}
}  // namespace detail

template <int Axis, class S0, class... S>
consteval bool check_stack() {
  static_assert(detail::same_dims<S0, S...>() || stack_shapes_differ<S0, S...>::value,
                "stack: operands must have the same shape");
  static_assert(normalize_axis(Axis, S0::rank + 1) >= 0 || stack_axis_out_of_range<S0, Axis>::value,
                "stack: axis out of range; it may be 0..rank (negative counts from the end)");
  return true;
}

/// Operands of one shape joined along a new axis Axis in 0..rank (negative counts from the
/// end), e.g. stack<2>(a /*(2,3)*/, b /*(2,3)*/) => (2,3,2), as torch.stack / numpy.stack.
template <int Axis, expression_like X0, expression_like... X>
auto stack(X0 const& x0, X const&... xs) {
  using S0 = shape_t<expr_t<X0>>;
  static_assert(check_stack<Axis, S0, shape_t<expr_t<X>>...>());
  constexpr auto axis = static_cast<std::size_t>(normalize_axis(Axis, S0::rank + 1));
  auto e0 = as_expr(x0);
  auto same = [&](auto const& x) {
    if (as_expr(x).ext != e0.ext)
      detail::throw_shape_error("stack: operands must have the same shape", e0.ext, " vs ",
                                as_expr(x).ext);
  };
  (same(xs), ...);
  return concat<static_cast<int>(axis)>(detail::unsqueeze<axis>(e0),
                                        detail::unsqueeze<axis>(as_expr(xs))...);
}

}  // namespace metagrad
