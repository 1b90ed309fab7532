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
    return flat_tuple{f(std::integral_constant<std::size_t, I>{})...};
  }
  (std::make_index_sequence<N>{});
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
    using std::get;
    return f(get<I>(std::forward<Tuple>(t))...);
  }
  (std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Tuple>>>{});
}

template <class T, class... Ts>
inline constexpr bool is_one_of = (std::is_same_v<T, Ts> || ...);

}  // namespace metagrad::detail
