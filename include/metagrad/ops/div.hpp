// SPDX-License-Identifier: MIT
// a / b elementwise with NumPy broadcasting.
// d(a/b) = (da - y*db) / b;  vjp: (sum_to(g/b, a), sum_to(-g*y/b, b)).
#pragma once
#include "mul.hpp"
#include "sub.hpp"

namespace metagrad {

struct div_op : elementwise_binary<div_op> {
  static constexpr char const* name = "div";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    return a / b;
  }
  static auto jvp(div_op, auto const& y, auto const&, auto const& b, auto const& da,
                  auto const& db) {
    return (da - y * db) / b;
  }
  static auto vjp(div_op, auto const& g, auto const& y, auto const& a, auto const& b) {
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(g / b, a.ext),
                                   sum_to<shape_t<decltype(b)>>(-(g * y) / b, b.ext));
  }
};

template <class A, class B>
requires operands<A, B>
auto operator/(A const& a, B const& b) {
  if constexpr (tensor_expression<A> && tensor_expression<B> && !is_zero<A>) {
    return make_binary<div_op>(a, b);  // no lift (see make_binary)
  } else {
    auto x = detail::lift<B>(a);
    if constexpr (is_zero<decltype(x)>) {
      auto y = detail::lift<A>(b);
      using Out = broadcast_shape<shape_t<decltype(x)>, shape_t<decltype(y)>>;
      return zero<value_t<decltype(x)>, Out, device_t<decltype(x)>>(
          broadcast_extents<shape_t<decltype(x)>, shape_t<decltype(y)>>("div", x.ext, y.ext));
    } else {
      return make_binary<div_op>(a, b);
    }
  }
}
template <class A, class B>
requires operands<A, B>
auto div(A const& a, B const& b) { return a / b; }

}  // namespace metagrad
