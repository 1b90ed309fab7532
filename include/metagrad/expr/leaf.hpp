// SPDX-License-Identifier: MIT
// Leaves of expressions: tensor_view (data someone else owns), constant (one value broadcast to a
// shape) and zero (the symbolic zero of autodiff, which rules fold away at compile time).
#pragma once
#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>

#include "../device/tags.hpp"
#include "../shape/check.hpp"
#include "expression.hpp"

namespace metagrad {

namespace detail {
/// The message of checked_extents, one function for every shape.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_extents_misfit(
    std::span<index_t const> found, std::span<index_t const> fixed, char const* what) {
  throw shape_error(std::string(what) + ": extents " + dims_string(found) +
                    " do not fit the static shape " + dims_string(fixed));
}

/// e, checked against Shape's static extents. Inline, with the message built out of line: every
/// view of a computed value passes here (a trace's cached nodes, the reverse pass's cotangents),
/// and as one call with the throw inside it was a tenth of the OR-gate step.
template <class Shape>
inline extents<Shape::rank> checked_extents(extents<Shape::rank> e, char const* what) {
  bool fits = true;
  for (std::size_t i = 0; i < Shape::rank; ++i)
    fits &= Shape::dims[i] == dyn || Shape::dims[i] == e[i];
  if (!fits) [[unlikely]]
    throw_extents_misfit(e.d, Shape::dims, what);
  return e;
}
}  // namespace detail

/// A typed, zero-copy, read-only view of memory the caller owns (row-major).
/// e.g. tensor_view<float, shape<dyn, 784>> x(ptr, {batch, 784});
template <class T, class Shape, class Device = device::cpu>
struct tensor_view : expr_tag, extents_member<Shape> {
  using value_type = T;
  using shape_type = Shape;
  using device_type = Device;
  static constexpr std::size_t rank = Shape::rank;
  static constexpr bool is_view_leaf = true;  // also true for types that derive from a view

  using extents_member<Shape>::ext;
  T const* ptr = nullptr;

  tensor_view() = default;
  explicit tensor_view(T const* p) requires Shape::is_static : ptr(p) {}
  tensor_view(T const* p, extents<rank> e)
      : extents_member<Shape>(detail::checked_extents<Shape>(e, "tensor_view")), ptr(p) {}
  explicit tensor_view(std::span<T const> s) requires Shape::is_static : ptr(s.data()) {
    if (static_cast<index_t>(s.size()) != Shape::static_size)
      throw shape_error("tensor_view: span has " + std::to_string(s.size()) +
                        " elements, the shape " + shape_string<Shape>() + " needs " +
                        std::to_string(Shape::static_size));
  }
  tensor_view(std::span<T const> s, extents<rank> e) : tensor_view(s.data(), e) {
    if (static_cast<index_t>(s.size()) != ext.size())
      throw shape_error("tensor_view: span has " + std::to_string(s.size()) +
                        " elements, the extents " + to_string(ext) + " need " +
                        std::to_string(ext.size()));
  }

  T const* data() const { return ptr; }
  extents<rank> const& shape() const { return ext; }
  index_t size() const { return ext.size(); }
};

/// One value broadcast to a shape; scalars in expressions become constant<T, shape<>>.
template <class T, class Shape, class Device = device::cpu>
struct constant : expr_tag, extents_member<Shape> {
  using value_type = T;
  using shape_type = Shape;
  using device_type = Device;
  static constexpr std::size_t rank = Shape::rank;

  using extents_member<Shape>::ext;
  T value{};

  constant() = default;
  explicit constant(T v) : value(v) {}
  constant(T v, extents<rank> e) : extents_member<Shape>(e), value(v) {}
};

/// The symbolic zero: a tangent or cotangent known to be zero at compile time.
template <class T, class Shape, class Device = device::cpu>
struct zero : expr_tag, extents_member<Shape> {
  using value_type = T;
  using shape_type = Shape;
  using device_type = Device;
  static constexpr std::size_t rank = Shape::rank;

  using extents_member<Shape>::ext;

  zero() = default;
  explicit zero(extents<rank> e) : extents_member<Shape>(e) {}
};

template <class E>
inline constexpr bool is_zero = false;
template <class T, class S, class D>
inline constexpr bool is_zero<zero<T, S, D>> = true;

template <class E>
inline constexpr bool is_constant = false;
template <class T, class S, class D>
inline constexpr bool is_constant<constant<T, S, D>> = true;

/// Views and everything that evaluates as one (autodiff's cached nodes).
template <class E>
concept view_leaf = tensor_expression<E> && requires {
  std::remove_cvref_t<E>::is_view_leaf;
};

template <class E>
inline constexpr bool is_leaf = view_leaf<E> || is_zero<E> || is_constant<E>;

namespace detail {
/// dst[0, n) = leaf e's values: a view's copied (unless it is dst), a constant's or zero's filled.
template <class E>
void write_leaf(value_t<E>* dst, E const& e, std::size_t n) {
  if constexpr (view_leaf<E>) {
    if (e.ptr != dst) std::copy_n(e.ptr, n, dst);
  } else if constexpr (is_constant<E>) {
    std::fill_n(dst, n, e.value);
  } else {
    static_assert(is_zero<E>, "write_leaf: not a leaf");
    std::fill_n(dst, n, value_t<E>(0));
  }
}
}  // namespace detail

/// The plain view of a view-like leaf.
template <view_leaf E>
auto as_view(E const& e) {
  return tensor_view<value_t<E>, shape_t<E>, device_t<E>>(e.ptr, e.ext);
}

/// The zero of an expression's type and extents.
template <class E>
auto zeros_like(E const& e) {
  return zero<value_t<E>, shape_t<E>, device_t<E>>(e.ext);
}

}  // namespace metagrad
