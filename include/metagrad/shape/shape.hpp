// SPDX-License-Identifier: MIT
// Static shapes shape<D...> (a D may be `dyn`, decided at run time) and their run-time twin
// extents<R>, which every expression carries. e.g. shape<dyn, 784> is a batch of 784-vectors.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace metagrad {

using index_t = std::int64_t;

/// A dimension decided at run time, like std::dynamic_extent; prints as -1 in diagnostics.
inline constexpr index_t dyn = -1;

template <index_t... D>
struct shape {
  static constexpr std::size_t rank = sizeof...(D);
  static constexpr std::array<index_t, rank> dims{D...};
  static constexpr bool is_static = ((D != dyn) && ...);
  /// Number of elements when every extent is static; -1 otherwise.
  static constexpr index_t static_size = is_static ? (index_t{1} * ... * D) : dyn;
};

template <class S>
inline constexpr bool is_shape = false;
template <index_t... D>
inline constexpr bool is_shape<shape<D...>> = true;

namespace detail {
template <auto A, class = std::make_index_sequence<A.size()>>
struct shape_from_impl;
template <auto A, std::size_t... I>
struct shape_from_impl<A, std::index_sequence<I...>> {
  using type = shape<A[I]...>;
};
}  // namespace detail

/// shape_from<std::array<index_t, 2>{2, 3}> is shape<2, 3>.
template <auto A>
using shape_from = typename detail::shape_from_impl<A>::type;

/// The one notation of extents in messages: dims_string(std::array{2, 3}) is "[2, 3]". A dyn
/// entry prints as dyn_text ("-1" unless given, e.g. "B" in a model summary). Not a template for
/// index_t extents of any rank, so a program's messages share one copy of it.
inline std::string dims_string(std::span<index_t const> dims, char const* dyn_text = nullptr) {
  std::string s = "[";
  bool first = true;
  for (auto d : dims) {
    if (!first) s += ", ";
    first = false;
    // Appending piecewise (not "a" + std::to_string(..)) keeps g++ 12 -O3 from a false
    // -Wrestrict on the temporary string.
    if (d == dyn && dyn_text)
      s += dyn_text;
    else
      s += std::to_string(d);
  }
  s += "]";
  return s;
}
/// The same for other integer sequences, e.g. dims_string(std::array{2, 3}).
template <class Dims>
requires(!std::is_convertible_v<Dims const&, std::span<index_t const>>) std::string
    dims_string(Dims const& dims, char const* dyn_text = nullptr) {
  std::vector<index_t> v;
  for (auto d : dims) v.push_back(static_cast<index_t>(d));
  return dims_string(std::span<index_t const>(v), dyn_text);
}

/// Run-time extents of an expression of rank R (row-major).
template <std::size_t R>
struct extents {
  std::array<index_t, R> d{};
  // g++ 12 (-O1 and up) reports a copied extents<0> (an empty std::array) as maybe-uninitialized
  // when it is passed by reference (e.g. tracing grad of grad); one initialized byte for rank 0
  // avoids it, and costs nothing at other ranks.
  [[no_unique_address]] std::array<char, R == 0 ? 1 : 0> rank0_byte{};

  static constexpr std::size_t rank = R;
  constexpr index_t operator[](std::size_t i) const { return d[i]; }
  constexpr index_t& operator[](std::size_t i) { return d[i]; }
  constexpr index_t size() const {
    index_t n = 1;
    for (auto e : d) n *= e;
    return n;
  }
  /// Row-major strides: strides()[R-1] == 1.
  constexpr std::array<index_t, R> strides() const {
    std::array<index_t, R> s{};
    index_t acc = 1;
    for (std::size_t i = R; i-- > 0;) s[i] = acc, acc *= d[i];
    return s;
  }
  friend constexpr bool operator==(extents const&, extents const&) = default;

  friend std::ostream& operator<<(std::ostream& os, extents const& e) { return os << to_string(e); }
  friend std::string to_string(extents const& e) { return dims_string(e.d); }
};

/// The extents of a static shape (dyn entries become 0 until known).
template <class S>
constexpr extents<S::rank> static_extents() {
  extents<S::rank> e;
  for (std::size_t i = 0; i < S::rank; ++i) e.d[i] = S::dims[i] == dyn ? 0 : S::dims[i];
  return e;
}

/// An expression's extents, `ext`: a member where shape S has a dyn extent, a constant of the type
/// where it has none. A static expression then holds no extents: a tree of views over static
/// shapes is its pointers, and building or copying one (autodiff copies its nodes into every
/// derivative expression) moves a few words, not the extents of every node.
template <class S, bool = S::is_static>
struct extents_member {
  extents<S::rank> ext = static_extents<S>();
  constexpr extents_member() = default;
  constexpr explicit extents_member(extents<S::rank> const& e) : ext(e) {}
};
template <class S>
struct extents_member<S, true> {
  static constexpr extents<S::rank> ext = static_extents<S>();
  constexpr extents_member() = default;
  constexpr explicit extents_member(extents<S::rank> const&) {}
};

/// Shape notation used in errors: [2, 3] or [-1, 784] for a dyn batch.
template <class S>
std::string shape_string() {
  return dims_string(S::dims);
}

}  // namespace metagrad
