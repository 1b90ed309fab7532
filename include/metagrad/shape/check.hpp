// SPDX-License-Identifier: MIT
// Run-time twins of the static shape rules: a dyn extent that does not fit throws
// metagrad::shape_error with the same words the compile-time diagnostic uses.
#pragma once
#include <stdexcept>
#include <string>

#include "shape.hpp"

namespace metagrad {

/// Thrown when run-time extents break an op's shape rule, e.g.
/// "matmul: inner dimensions differ; (M,K) x (K,N) needs lhs K == rhs K, got [32, 784] and
/// [128, 10]".
class shape_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

template <std::size_t A, std::size_t B>
[[noreturn]] void throw_shape_error(char const* rule, extents<A> const& a, char const* sep,
                                    extents<B> const& b) {
  throw shape_error(std::string(rule) + ": " + to_string(a) + sep + to_string(b));
}

template <std::size_t A>
[[noreturn]] void throw_shape_error(char const* rule, extents<A> const& a) {
  throw shape_error(std::string(rule) + ": " + to_string(a));
}

}  // namespace detail
}  // namespace metagrad
