// SPDX-License-Identifier: MIT
// reshape<Shape>(x): the same elements in row-major order with other extents; element counts
// must agree. One dyn extent in Shape is inferred, like -1 in PyTorch. Zero-copy when x is in
// memory already. d reshape(x) = reshape(dx);  vjp: reshape(g) back to x's extents.
#pragma once
#include "elementwise.hpp"

namespace metagrad {

namespace detail {
inline constexpr char const* element_count_message =
    "reshape: element count differs; the new shape must hold as many elements";
}  // namespace detail

template <class Shape>
struct reshape_op {
  /// Equal ops compute the same: lets the trace share equal subexpressions (same_expression).
  friend bool operator==(reshape_op const&, reshape_op const&) = default;
  static constexpr char const* name = "reshape";
  static constexpr zero_rule zeros = zero_rule::any;
  /// Cost (nn/cost.hpp): none, it moves values.
  template <class Out, class... Args>
  static constexpr index_t flops = 0;
  extents<Shape::rank> target;

  template <class S>
  using result_shape = Shape;
  template <class S>
  extents<Shape::rank> result_extents(extents<S::rank> const& e) const {
    // A rank-0 e is not read: g++ 12 -O1 warns that its (empty) array may be uninitialized.
    index_t n = 1;
    if constexpr (S::rank > 0) n = e.size();
    if (n != target.size())
      throw shape_error(std::string(detail::element_count_message) + ", got " + to_string(e) +
                        " to " + to_string(target));
    return target;
  }
  static auto jvp(reshape_op op, auto const&, auto const&, auto const& dx) {
    return reshape<Shape>(dx, op.target);
  }
  static auto vjp(reshape_op, auto const& g, auto const&, auto const& x) {
    return detail::make_flat_tuple(reshape<shape_t<decltype(x)>>(g, x.ext));
  }
};

namespace detail {
template <class Op>
inline constexpr bool is_reshape = false;
template <class S>
inline constexpr bool is_reshape<reshape_op<S>> = true;
}  // namespace detail

template <class E>
concept reshape_node = is_node<E> && detail::is_reshape<typename E::op_type>;

namespace rules {
/// Static element counts agree; a dyn extent defers the check to run time.
template <class From, class To>
constexpr bool reshape_compatible() {
  return !(From::is_static && To::is_static) || From::static_size == To::static_size;
}
}  // namespace rules

template <class From, class To>
consteval bool check_reshape() {
  // If the compiler points here: (2,3) holds 6 elements and cannot become (4,2), which holds 8.
  static_assert(
      rules::reshape_compatible<From, To>() || reshape_element_count_differs<From, To>::value,
      "reshape: element count differs; the new shape must hold as many elements");
  return true;
}

template <class Shape, class E>
auto reshape(E const& e, extents<Shape::rank> const& target) {
  auto x = as_expr(e);
  static_assert(check_reshape<shape_t<decltype(x)>, Shape>());
  if constexpr (std::same_as<shape_t<decltype(x)>, Shape> && Shape::is_static) {
    return x;
  } else {
    return make_node(reshape_op<Shape>{target}, x);
  }
}

/// x with a new shape, e.g. reshape<shape<4, 6>>(x /*(2,3,4)*/); one dyn extent is inferred.
template <class Shape, class E>
auto reshape(E const& e) {
  auto x = as_expr(e);
  static_assert(check_reshape<shape_t<decltype(x)>, Shape>());
  extents<Shape::rank> t;
  index_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < Shape::rank; ++i) {
    if (Shape::dims[i] == dyn) {
      if (infer >= 0) throw shape_error("reshape: more than one dyn extent to infer");
      infer = static_cast<int>(i);
    } else {
      t[i] = Shape::dims[i], known *= Shape::dims[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.ext.size() % known != 0)
      throw shape_error(std::string(detail::element_count_message) + ", got " + to_string(x.ext) +
                        " to " + shape_string<Shape>());
    t[infer] = x.ext.size() / known;
  }
  return reshape<Shape>(x, t);
}

}  // namespace metagrad
