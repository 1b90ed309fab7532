// SPDX-License-Identifier: MIT
// Small metaprogramming helpers users never name.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

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
  }(std::make_index_sequence<N>{});
}

/// Builds a std::tuple of f(integral_constant<I>) for I in [0, N).
template <std::size_t N, class F>
constexpr auto tuple_generate(F&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple{f(std::integral_constant<std::size_t, I>{})...};
  }(std::make_index_sequence<N>{});
}

template <class T, class... Ts>
inline constexpr bool is_one_of = (std::is_same_v<T, Ts> || ...);

}  // namespace metagrad::detail
