// SPDX-License-Identifier: MIT
// minimum(a, b), elementwise with NumPy broadcasting: extremum_op<less> (see maximum.hpp).
#pragma once
#include "maximum.hpp"

namespace metagrad {

using minimum_op = extremum_op<comparison::less>;

/// The smaller of a and b, elementwise with broadcasting, e.g. minimum(x, 1.0).
template <class A, class B>
requires operands<A, B>
auto minimum(A const& a, B const& b) { return make_binary<minimum_op>(a, b); }

}  // namespace metagrad
