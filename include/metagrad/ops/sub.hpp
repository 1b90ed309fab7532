// SPDX-License-Identifier: MIT
// a - b with NumPy broadcasting.  d(a-b) = da - db;  vjp: (sum_to(g, a), -sum_to(g, b)).
#pragma once
#include "add.hpp"
#include "neg.hpp"

namespace metagrad {

struct sub_op : elementwise_binary<sub_op> {
  static constexpr char const* name = "sub";
  static constexpr zero_rule zeros = zero_rule::all;
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    return a - b;
  }
  static auto jvp(sub_op, auto const&, auto const&, auto const&, auto const& da, auto const& db) {
    return da - db;
  }
  static auto vjp(sub_op, auto const& g, auto const&, auto const& a, auto const& b) {
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(g, a.ext),
                                   -sum_to<shape_t<decltype(b)>>(g, b.ext));
  }
};

template <class A, class B>
consteval bool check_sub() {
  // If the compiler points here: the operands' shapes do not broadcast, e.g. (3,4) - (5).
  static_assert(rules::broadcastable<A, B>() || broadcast_incompatible<A, B, sub_op>::value,
                "sub: shapes are incompatible for broadcasting; each dimension must match or be 1");
  return true;
}

template <class A, class B>
requires operands<A, B>
auto operator-(A const& a, B const& b) {
  // Two expressions, neither a symbolic zero: copied as they are (see make_binary).
  if constexpr (tensor_expression<A> && tensor_expression<B> && !is_zero<A> && !is_zero<B>) {
    static_assert(check_sub<shape_t<A>, shape_t<B>>());
    return make_node(sub_op{}, A(a), B(b));
  } else {
    auto x = detail::lift<B>(a);
    auto y = detail::lift<A>(b);
    using X = decltype(x);
    using Y = decltype(y);
    static_assert(check_sub<shape_t<X>, shape_t<Y>>());
    using Out = broadcast_shape<shape_t<X>, shape_t<Y>>;
    if constexpr (is_zero<X> != is_zero<Y>) {
      auto ext = broadcast_extents<shape_t<X>, shape_t<Y>>("sub", x.ext, y.ext);
      if constexpr (is_zero<X>)
        return fit<Out>(-y, ext);
      else
        return fit<Out>(x, ext);
    } else {
      return make_node(sub_op{}, x, y);
    }
  }
}

template <class A, class B>
requires operands<A, B>
auto sub(A const& a, B const& b) { return a - b; }

}  // namespace metagrad
