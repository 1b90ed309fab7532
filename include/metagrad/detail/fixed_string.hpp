// SPDX-License-Identifier: MIT
// fixed_string<N>: a string literal as a template argument (a C++20 class-type template
// parameter), e.g. template <fixed_string Name> struct input; ... input<"image", S>.
// N counts the terminating '\0', as the literal's array type does.
#pragma once
#include <cstddef>
#include <string_view>

namespace metagrad::detail {

template <std::size_t N>
struct fixed_string {
  char chars[N]{};
  // Implicit: template <fixed_string S> takes the literal itself, X<"image">.
  constexpr fixed_string(char const (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
  }
  constexpr std::string_view view() const { return {chars, N - 1}; }
};

}  // namespace metagrad::detail
