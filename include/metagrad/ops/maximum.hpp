// SPDX-License-Identifier: MIT
// maximum(a, b) and minimum(a, b), elementwise with NumPy broadcasting: (..) op (..) => broadcast
// shape. One op, parametrised by the comparison that picks a (greater: maximum, less: minimum).
// NaN propagates. Ties share the derivative evenly, as torch.maximum:
// d y = m da + (1 - m) db, m = [a C b] + [a == b]/2;  vjp: (sum_to(g*m, a), sum_to(g*(1 - m), b)).
#pragma once
#include "add.hpp"
#include "compare.hpp"
#include "mul.hpp"
#include "sub.hpp"

namespace metagrad {

template <comparison C>
struct extremum_op : elementwise_binary<extremum_op<C>> {
  static_assert(C == comparison::greater || C == comparison::less);
  static constexpr char const* name = C == comparison::greater ? "maximum" : "minimum";
  template <class T>
  METAGRAD_HOST_DEVICE static T apply(T a, T b) {
    bool pick_a = C == comparison::greater ? a > b : a < b;
    return pick_a || a != a ? a : b;
  }
  /// How much of the derivative goes to a: 1 where a wins, 1/2 on ties, else 0.
  static auto share(auto const& a, auto const& b) {
    return make_binary<compare_op<C>>(a, b) + equal(a, b) * 0.5;
  }
  static auto jvp(extremum_op, auto const&, auto const& a, auto const& b, auto const& da,
                  auto const& db) {
    auto m = share(a, b);
    return da * m + db * (1 - m);
  }
  static auto vjp(extremum_op, auto const& g, auto const&, auto const& a, auto const& b) {
    auto m = share(a, b);
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(g * m, a.ext),
                                   sum_to<shape_t<decltype(b)>>(g * (1 - m), b.ext));
  }
};

using maximum_op = extremum_op<comparison::greater>;

/// The larger of a and b, elementwise with broadcasting, e.g. maximum(x, 0.0).
template <class A, class B>
requires operands<A, B>
auto maximum(A const& a, B const& b) { return make_binary<maximum_op>(a, b); }

}  // namespace metagrad
