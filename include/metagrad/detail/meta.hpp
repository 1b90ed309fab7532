// SPDX-License-Identifier: MIT
// Small metaprogramming helpers users never name.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "flat_tuple.hpp"

namespace metagrad::detail {

template <class...>
inline constexpr bool always_false = false;

template <class T>
using remove_cvref_t = std::remove_cvref_t<T>;

/// Calls f(std::integral_constant<std::size_t, I>{}) for I in [0, N).
template <std::size_t N, class F>
constexpr void static_for(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }
  (std::make_index_sequence<N>{});
}

/// Builds a flat_tuple of f(integral_constant<I>) for I in [0, N).
template <std::size_t N, class F>
constexpr auto tuple_generate(F&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return make_flat_tuple(f(std::integral_constant<std::size_t, I>{})...);
  }
  (std::make_index_sequence<N>{});
}

/// Element K of a std::tuple (or of any tuple-like type: then get<K> found as std::get or by ADL),
/// keeping its value category: std::get<K> without its compile-time cost on long tuples.
/// libstdc++'s std::tuple<T...> derives from _Tuple_impl<0, T...>, which derives from
/// _Tuple_impl<1, ...>, and so on; std::get<K> reaches element K by converting the tuple to its
/// K-th base in one expression, a chain of K base conversions. g++'s -Wsequence-point (part of
/// -Wall) compares every link of such a chain with every other, so the gets of all elements of
/// an N-element tuple cost about N^4: 4 s of a compile for 128 elements, 29 s for 193 (the
/// parameter tuple of a sequential model, its layer tuple). Here the chain is walked in hops of
/// 16 bases, each hop its own function.
template <std::size_t K, class Tuple>
constexpr decltype(auto) element(Tuple&& t) noexcept;

#if defined(__GLIBCXX__)
inline constexpr std::size_t tuple_hop = 16;
/// t as its base _Tuple_impl<L, U...> (deduced as std::get's helper deduces it).
template <std::size_t L, class... U>
constexpr std::_Tuple_impl<L, U...>& tuple_level(std::_Tuple_impl<L, U...>& t) noexcept {
  return t;
}
template <std::size_t L, class... U>
constexpr std::_Tuple_impl<L, U...> const& tuple_level(
    std::_Tuple_impl<L, U...> const& t) noexcept {
  return t;
}
/// Element K of the _Tuple_impl<L, ...> t, L <= K.
template <std::size_t K, std::size_t L, class Impl>
constexpr auto& element_from(Impl& t) noexcept {
  if constexpr (K - L >= tuple_hop) {
    return element_from<K, L + tuple_hop>(tuple_level<L + tuple_hop>(t));
  } else {
    auto& level = tuple_level<K>(t);
    return std::remove_cvref_t<decltype(level)>::_M_head(level);
  }
}
template <class T>
inline constexpr bool is_std_tuple = false;
template <class... T>
inline constexpr bool is_std_tuple<std::tuple<T...>> = true;
#endif

template <std::size_t K, class Tuple>
constexpr decltype(auto) element(Tuple&& t) noexcept {
#if defined(__GLIBCXX__)
  if constexpr (K >= tuple_hop && is_std_tuple<std::remove_cvref_t<Tuple>>) {
    auto& e = element_from<K, 0>(tuple_level<0>(t));
    if constexpr (std::is_lvalue_reference_v<Tuple>)
      return e;
    else
      return static_cast<std::tuple_element_t<K, std::remove_reference_t<Tuple>>&&>(e);
  } else
#endif
  {
    using std::get;
    return get<K>(std::forward<Tuple>(t));
  }
}

/// f(get<I>(t)...) for a std::tuple or a flat_tuple: std::apply without its layers of invoke
/// traits, which cost template instantiation depth (about 5 levels per expression node) and
/// compile time. A flat_tuple's indices come from its base class, with no helper per call
/// (expressions unpack their args at every node: the MLP's training TU instantiated hundreds).
template <std::size_t... I, class... T, class F>
constexpr decltype(auto) unpack(flat_tuple_base<std::index_sequence<I...>, T...> const& t, F&& f) {
  return f(static_cast<flat_slot<I, T> const&>(t).value...);
}
template <class Tuple, class F>
requires(!is_flat_tuple<std::remove_cvref_t<Tuple>>) constexpr decltype(auto)
    unpack(Tuple&& t, F&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>)->decltype(auto) {
    return f(element<I>(std::forward<Tuple>(t))...);
  }
  (std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Tuple>>>{});
}

template <class T, class... Ts>
inline constexpr bool is_one_of = (std::is_same_v<T, Ts> || ...);

}  // namespace metagrad::detail
