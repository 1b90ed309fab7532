// SPDX-License-Identifier: MIT
// flat_tuple<T...>: the tuple that expressions hold their args in, and that derivative rules return
// their cotangents in. One base per element, indexed by position. An aggregate with no
// constructors: a node's args are initialised in place, with full braces
// (flat_tuple<A, B>{{{a}, {b}}}), where the node is built. A constructor would be one more
// function per tuple type, a symbol spelling every element's type, which g++ mangles at a cost
// that grows faster than the symbols' length (a chain of 64 dense layers compiled 4% faster
// without). make_flat_tuple(a, b) builds one whose types are deduced. (No deduction guide:
// flat_tuple{a, b} would initialise the bases by brace elision, which clang's -Wall reports at
// every construction, -Wmissing-braces.)
//
// Why not std::tuple: the time g++ 12 and clang 14 take to resolve a call to one of std::tuple's
// constructors (libstdc++'s constrained overload set) grows with the size of its element types
// counted as trees. An expression's type is a DAG - share(x) read twice names x's type twice - so
// a stack of layers that each read a shared value k times has a type whose tree size is k^depth:
// `std::tuple<T> t(x)` for a type built by doubling 30 times did not compile in 20 s, and two
// stacked transformer blocks took minutes (three, over ten). Building a flat_tuple of those types
// costs nothing measurable. std::tuple_size, std::tuple_element and get<I> (found by ADL, or as
// detail::get) make it tuple-like, so structured bindings work.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace metagrad::detail {

template <std::size_t I, class T>
struct flat_slot {
  T value;
};

template <class Indices, class... T>
struct flat_tuple_base;
template <std::size_t... I, class... T>
struct flat_tuple_base<std::index_sequence<I...>, T...> : flat_slot<I, T>... {};

template <class... T>
struct flat_tuple : flat_tuple_base<std::index_sequence_for<T...>, T...> {};

/// A flat_tuple of copies of the lvalues and moves of the rvalues given.
template <class... T>
constexpr flat_tuple<std::remove_cvref_t<T>...> make_flat_tuple(T&&... v) {
  return {{{static_cast<T&&>(v)}...}};
}

/// The element at I (the base flat_slot<I, T> is found by deduction: no recursion over T...).
template <std::size_t I, class T>
constexpr T const& get(flat_slot<I, T> const& s) noexcept {
  return s.value;
}
template <std::size_t I, class T>
constexpr T& get(flat_slot<I, T>& s) noexcept {
  return s.value;
}
template <std::size_t I, class T>
constexpr T&& get(flat_slot<I, T>&& s) noexcept {
  return static_cast<T&&>(s.value);
}

template <std::size_t I, class T>
T flat_element(flat_slot<I, T> const*);

template <class T>
inline constexpr bool is_flat_tuple = false;
template <class... T>
inline constexpr bool is_flat_tuple<flat_tuple<T...>> = true;

}  // namespace metagrad::detail

template <class... T>
struct std::tuple_size<metagrad::detail::flat_tuple<T...>>
    : std::integral_constant<std::size_t, sizeof...(T)> {};
template <std::size_t I, class... T>
struct std::tuple_element<I, metagrad::detail::flat_tuple<T...>> {
  using type = decltype(metagrad::detail::flat_element<I>(
      static_cast<metagrad::detail::flat_tuple<T...> const*>(nullptr)));
};
