// SPDX-License-Identifier: MIT
// Shape rules shared by many ops, computed at compile time from shape types, each with its
// run-time twin. Broadcasting follows NumPy: align right; equal, or one side is a static 1.
// A dyn extent never broadcasts: it must equal the other side at run time.
#pragma once
#include <algorithm>
#include <array>

#include "check.hpp"
#include "shape.hpp"

namespace metagrad {

// Diagnostics: each is a type whose name carries the shapes, used as
//   static_assert(rule_holds || matmul_inner_dimensions_differ<A, B>::value, "matmul: ...");
// so that the compiler names them next to the message: clang in the failed requirement, g++ in
// "note: '... || metagrad::matmul_inner_dimensions_differ<metagrad::shape<32, 784>, ...>::value'
// evaluates to false". Each declares its own `value`: deriving from std::false_type would make
// g++ 12 print the base, 'std::integral_constant<bool, false>::value', and lose the shapes.
template <class A, class B, class Op = void>
struct broadcast_incompatible {
  static constexpr bool value = false;
};
template <class A, class B>
struct matmul_inner_dimensions_differ {
  static constexpr bool value = false;
};
template <class From, class To>
struct reshape_element_count_differs {
  static constexpr bool value = false;
};
template <class S, int Axis>
struct reduction_axis_out_of_range {
  static constexpr bool value = false;
};

namespace rules {

constexpr bool dims_compatible(index_t a, index_t b) {
  return a == b || a == 1 || b == 1 || a == dyn || b == dyn;
}
constexpr index_t broadcast_dim(index_t a, index_t b) {
  if (a == b) return a;
  if (a == 1) return b;
  if (b == 1) return a;
  return a == dyn ? b : a;  // the static one wins; equality is checked at run time
}

template <class A, class B>
constexpr bool broadcastable() {
  constexpr std::size_t r = std::max(A::rank, B::rank);
  for (std::size_t i = 0; i < r; ++i) {
    index_t a = i < A::rank ? A::dims[A::rank - 1 - i] : 1;
    index_t b = i < B::rank ? B::dims[B::rank - 1 - i] : 1;
    if (!dims_compatible(a, b)) return false;
  }
  return true;
}

template <class A, class B>
constexpr auto broadcast_dims() {
  constexpr std::size_t r = std::max(A::rank, B::rank);
  std::array<index_t, r> out{};
  for (std::size_t i = 0; i < r; ++i) {
    index_t a = i < A::rank ? A::dims[A::rank - 1 - i] : 1;
    index_t b = i < B::rank ? B::dims[B::rank - 1 - i] : 1;
    out[r - 1 - i] = broadcast_dim(a, b);
  }
  return out;
}

}  // namespace rules

/// Holds when A and B broadcast; otherwise a compile error that names both shapes and, for an
/// elementwise op, the op: broadcast_incompatible<shape<3, 4>, shape<5>, mul_op>.
/// add and sub have their own check_add / check_sub, so that the message names them.
template <class A, class B, class Op = void>
consteval bool check_broadcast() {
  // If the compiler points here: an elementwise op got operands whose shapes do not broadcast.
  static_assert(rules::broadcastable<A, B>() || broadcast_incompatible<A, B, Op>::value,
                "elementwise op: shapes are incompatible for broadcasting; each dimension must "
                "match or be 1");
  return true;
}

template <class A, class B>
using broadcast_shape = shape_from<rules::broadcast_dims<A, B>()>;

template <class... S>
struct broadcast_all;
template <class S>
struct broadcast_all<S> {
  using type = S;
};
template <class A, class B, class... Rest>
struct broadcast_all<A, B, Rest...> {
  using type = typename broadcast_all<broadcast_shape<A, B>, Rest...>::type;
};

/// The message of broadcast_extents, one function for every pair of shapes.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_broadcastable(
    char const* op, std::span<index_t const> a, std::span<index_t const> b) {
  throw shape_error(std::string(op) +
                    ": shapes are incompatible for broadcasting; each dimension must match or be "
                    "1, got " +
                    dims_string(a) + " and " + dims_string(b));
}

/// Run-time twin of broadcast_shape: checks dyn extents and returns the result's extents.
template <class A, class B>
extents<std::max(A::rank, B::rank)> broadcast_extents(char const* op, extents<A::rank> const& a,
                                                      extents<B::rank> const& b) {
  constexpr std::size_t r = std::max(A::rank, B::rank);
  if constexpr (A::is_static && B::is_static && rules::broadcastable<A, B>()) {
    return static_extents<broadcast_shape<A, B>>();  // checked at compile time
  }
  extents<r> out;
  for (std::size_t i = 0; i < r; ++i) {
    index_t sa = i < A::rank ? A::dims[A::rank - 1 - i] : 1;
    index_t sb = i < B::rank ? B::dims[B::rank - 1 - i] : 1;
    index_t ea = i < A::rank ? a[A::rank - 1 - i] : 1;
    index_t eb = i < B::rank ? b[B::rank - 1 - i] : 1;
    index_t e = ea;
    if (sa == 1 && sb != 1)
      e = eb;
    else if (sb == 1 && sa != 1)
      e = ea;
    else if (ea != eb) {
      throw_not_broadcastable(op, a.d, b.d);
    }
    out[r - 1 - i] = e;
  }
  return out;
}

/// A possibly negative axis (as in NumPy) normalised against a rank; -1 if out of range.
constexpr int normalize_axis(int axis, std::size_t rank) {
  int r = static_cast<int>(rank);
  if (axis < -r || axis >= r) return -1;
  return axis < 0 ? axis + r : axis;
}

}  // namespace metagrad
