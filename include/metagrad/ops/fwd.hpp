// SPDX-License-Identifier: MIT
// Declarations of the ops that derivative rules of other ops call with explicit template
// arguments, so that every op file can be read (and included) on its own.
#pragma once
#include "../expr/tensor.hpp"

namespace metagrad {

template <class Shape, class E>
auto broadcast_to(E const& e, extents<Shape::rank> const& target);
template <class Shape, class E>
auto sum_to(E const& g, extents<Shape::rank> const& target);
template <class Shape, class E>
auto reshape(E const& e, extents<Shape::rank> const& target);
template <class Shape, class E>
auto reshape(E const& e);

}  // namespace metagrad
