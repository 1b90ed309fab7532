// SPDX-License-Identifier: MIT
// The element types of the safetensors format ("F32", "BF16", ...), their sizes, and the map from
// C++ element types to them. Only this file knows the spelling of a dtype in a header.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace metagrad::io {

/// Malformed or inconsistent checkpoint bytes; the message says what was expected and found.
struct format_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A safetensors element type, e.g. dtype::f32 is "F32".
enum class dtype : std::uint8_t {
  boolean,
  u8,
  i8,
  f8_e5m2,
  f8_e4m3,
  i16,
  u16,
  f16,
  bf16,
  i32,
  u32,
  f32,
  i64,
  u64,
  f64
};

namespace detail {
struct dtype_row {
  dtype type;
  std::string_view name;
  std::size_t size;
};
inline constexpr std::array<dtype_row, 15> dtype_table{{
    {dtype::boolean, "BOOL", 1},
    {dtype::u8, "U8", 1},
    {dtype::i8, "I8", 1},
    {dtype::f8_e5m2, "F8_E5M2", 1},
    {dtype::f8_e4m3, "F8_E4M3", 1},
    {dtype::i16, "I16", 2},
    {dtype::u16, "U16", 2},
    {dtype::f16, "F16", 2},
    {dtype::bf16, "BF16", 2},
    {dtype::i32, "I32", 4},
    {dtype::u32, "U32", 4},
    {dtype::f32, "F32", 4},
    {dtype::i64, "I64", 8},
    {dtype::u64, "U64", 8},
    {dtype::f64, "F64", 8},
}};
}  // namespace detail

/// The header spelling, e.g. to_string(dtype::bf16) == "BF16".
constexpr std::string_view to_string(dtype t) {
  return detail::dtype_table[static_cast<std::size_t>(t)].name;
}
/// Bytes per element, e.g. dtype_size(dtype::f64) == 8.
constexpr std::size_t dtype_size(dtype t) {
  return detail::dtype_table[static_cast<std::size_t>(t)].size;
}
/// The dtype a header spells `name`, or nullopt, e.g. parse_dtype("I64") == dtype::i64.
constexpr std::optional<dtype> parse_dtype(std::string_view name) {
  for (auto const& row : detail::dtype_table)
    if (row.name == name) return row.type;
  return std::nullopt;
}

namespace detail {
template <class T>
constexpr std::optional<dtype> dtype_for() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>)
    return dtype::boolean;
  else if constexpr (std::is_same_v<U, float>)
    return dtype::f32;
  else if constexpr (std::is_same_v<U, double>)
    return dtype::f64;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    constexpr dtype by_size[] = {dtype::i8, dtype::i16, dtype::i32, dtype::i32, dtype::i64};
    if constexpr (sizeof(U) <= 8)
      return by_size[sizeof(U) / 2];
    else
      return std::nullopt;
  } else if constexpr (std::is_integral_v<U>) {
    constexpr dtype by_size[] = {dtype::u8, dtype::u16, dtype::u32, dtype::u32, dtype::u64};
    if constexpr (sizeof(U) <= 8)
      return by_size[sizeof(U) / 2];
    else
      return std::nullopt;
  } else
    return std::nullopt;
}
}  // namespace detail

/// C++ element types with a safetensors dtype: bool, float, double and the fixed-width integers.
template <class T>
concept storable = detail::dtype_for<T>()
.has_value();

/// The dtype of a C++ element type, e.g. dtype_of<std::int64_t> == dtype::i64.
template <storable T>
inline constexpr dtype dtype_of = *detail::dtype_for<T>();

}  // namespace metagrad::io
