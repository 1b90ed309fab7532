// SPDX-License-Identifier: MIT
// operator<< for tensors, formatted as PyTorch prints them:
//   tensor([[1., 2.],
//           [3., 4.]])
// Integral values print as "1.", others with 4 decimals, very large or small ones in scientific
// notation; more than 1000 elements are summarised with "..." as PyTorch does.
#pragma once
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace metagrad {

namespace detail {

struct print_format {
  enum { integral, fixed, scientific } kind = integral;
  std::size_t width = 1;

  template <class T>
  std::string operator()(T v) const {
    char buf[64];
    double d = static_cast<double>(v);
    if (kind == integral)
      std::snprintf(buf, sizeof buf, "%.0f.", d);
    else if (kind == fixed)
      std::snprintf(buf, sizeof buf, "%.4f", d);
    else
      std::snprintf(buf, sizeof buf, "%.4e", d);
    std::string s = buf;
    if (std::isnan(d))
      s = "nan";
    else if (std::isinf(d))
      s = d > 0 ? "inf" : "-inf";
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

template <class T>
print_format choose_format(T const* p, index_t n) {
  print_format f;
  double lo = INFINITY, hi = 0;
  bool all_int = true;
  for (index_t i = 0; i < n; ++i) {
    double v = static_cast<double>(p[i]);
    if (!std::isfinite(v)) continue;
    if (v != std::nearbyint(v)) all_int = false;
    double a = std::fabs(v);
    if (a > 0) lo = std::min(lo, a), hi = std::max(hi, a);
  }
  if (all_int)
    f.kind = hi >= 1e8 ? print_format::scientific : print_format::integral;
  else
    f.kind =
        (hi / lo > 1000 || hi >= 1e8 || lo < 1e-4) ? print_format::scientific : print_format::fixed;
  for (index_t i = 0; i < n; ++i) f.width = std::max(f.width, f(p[i]).size());
  return f;
}

template <class T, std::size_t R>
void print_block(std::ostream& os, T const* p, extents<R> const& e, std::size_t dim, index_t offset,
                 print_format const& f, bool summarise, std::size_t indent) {
  constexpr index_t edge = 3;
  auto strides = e.strides();
  os << '[';
  index_t n = e[dim];
  for (index_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * edge && i == edge) {
      os << (dim + 1 == R ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      if (dim + 1 < R && R - dim > 2) os << '\n' << std::string(indent + 1, ' ');
      i = n - edge;
    }
    if (dim + 1 == R)
      os << f(p[offset + i]);
    else
      print_block(os, p, e, dim + 1, offset + i * strides[dim], f, summarise, indent + 1);
    if (i + 1 < n) {
      if (dim + 1 == R)
        os << ", ";
      else
        os << ',' << std::string(R - dim - 1, '\n') << std::string(indent + 1, ' ');
    }
  }
  os << ']';
}

}  // namespace detail

template <class T, class S, class D>
std::ostream& operator<<(std::ostream& os, tensor<T, S, D> const& t) {
  constexpr std::size_t R = S::rank;
  auto f = detail::choose_format(t.data(), t.size());
  os << "tensor(";
  if constexpr (R == 0)
    os << f(t.data()[0]);
  else if (t.size() == 0)
    os << "[]";
  else
    detail::print_block(os, t.data(), t.shape(), 0, 0, f, t.size() > 1000, 7);
  return os << ')';
}

}  // namespace metagrad
