// SPDX-License-Identifier: MIT
// tensor<T, Shape, Device>: owning, row-major storage from the block cache (detail/pool.hpp).
// It is a value type, like Eigen::Matrix: copies are deep. In expressions it enters as a
// tensor_view, so building a graph never copies data.
#pragma once
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <ranges>
#include <string>

#include "../detail/pool.hpp"
#include "leaf.hpp"

namespace metagrad {

namespace detail {
struct uninitialized_t {};

template <class T, std::size_t R>
struct nested_list {
  using type = std::initializer_list<typename nested_list<T, R - 1>::type>;
};
template <class T>
struct nested_list<T, 0> {
  using type = T;
};

template <class T, std::size_t R, class L>
void list_extents(L const& l, extents<R>& e, std::size_t depth) {
  if constexpr (!std::is_same_v<L, T>) {
    e[depth] = static_cast<index_t>(l.size());
    if (l.size() > 0) list_extents<T>(*l.begin(), e, depth + 1);
  }
}
template <class T, std::size_t R, class L>
void list_copy(L const& l, extents<R> const& e, std::size_t depth, T*& out) {
  if constexpr (std::is_same_v<L, T>) {
    *out++ = l;
  } else {
    if (static_cast<index_t>(l.size()) != e[depth])
      throw shape_error("tensor: ragged initializer list: expected " + std::to_string(e[depth]) +
                        " entries at depth " + std::to_string(depth) + ", found " +
                        std::to_string(l.size()));
    for (auto const& sub : l) list_copy<T>(sub, e, depth + 1, out);
  }
}
}  // namespace detail

template <class T, class Shape, class Device = device::cpu>
class tensor {
 public:
  using value_type = T;
  using shape_type = Shape;
  using device_type = Device;
  static constexpr std::size_t rank = Shape::rank;

  /// Zero-filled; a shape with dyn extents starts with extent 0 there.
  tensor() : tensor(static_extents<Shape>()) {}
  /// Zero-filled, with the given run-time extents (checked against the static ones).
  explicit tensor(extents<rank> e) : ext_(detail::checked_extents<Shape>(e, "tensor")) {
    buf_ = detail::buffer<T>(static_cast<std::size_t>(ext_.size()));
    std::fill_n(buf_.data(), buf_.size(), T{});
  }
  /// Uninitialised storage, for evaluation results.
  tensor(extents<rank> e, detail::uninitialized_t)
      : ext_(e), buf_(static_cast<std::size_t>(e.size())) {}
  /// From nested lists, e.g. tensor<float, shape<2, 2>> t{{1, 2}, {3, 4}}.
  tensor(typename detail::nested_list<T, rank>::type list) {
    extents<rank> e{};
    detail::list_extents<T>(list, e, 0);
    ext_ = detail::checked_extents<Shape>(e, "tensor");
    buf_ = detail::buffer<T>(static_cast<std::size_t>(ext_.size()));
    T* out = buf_.data();
    detail::list_copy<T>(list, ext_, 0, out);
  }
  /// From a flat range in row-major order; its length must match the shape.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_value_t<R>, T> &&
      Shape::is_static explicit tensor(R const& r)
      : tensor(r, static_extents<Shape>()) {}
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_value_t<R>, T> tensor(R const& r, extents<rank> e)
      : ext_(detail::checked_extents<Shape>(e, "tensor")) {
    buf_ = detail::buffer<T>(static_cast<std::size_t>(ext_.size()));
    std::size_t n = 0;
    for (auto&& v : r) {
      if (n == buf_.size()) throw shape_error(size_message(n + 1));
      buf_.data()[n++] = static_cast<T>(v);
    }
    if (n != buf_.size()) throw shape_error(size_message(n));
  }

  tensor(tensor const& o) : tensor(o.ext_) { std::copy_n(o.data(), size(), data()); }
  tensor& operator=(tensor const& o) {
    if (this != &o) *this = tensor(o);
    return *this;
  }
  tensor(tensor&&) noexcept = default;
  tensor& operator=(tensor&&) noexcept = default;

  T* data() { return buf_.data(); }
  T const* data() const { return buf_.data(); }
  extents<rank> const& shape() const { return ext_; }
  index_t size() const { return ext_.size(); }

  /// Element access, e.g. t(i, j).
  template <std::integral... I>
  requires(sizeof...(I) == rank) T& operator()(I... i) { return buf_.data()[offset(i...)]; }
  template <std::integral... I>
  requires(sizeof...(I) == rank) T const& operator()(I... i) const {
    return buf_.data()[offset(i...)];
  }
  /// The single value of a one-element tensor (e.g. a loss).
  T item() const {
    if (size() != 1) throw shape_error("item: tensor has " + std::to_string(size()) + " elements");
    return buf_.data()[0];
  }

  tensor_view<T, Shape, Device> view() const {
    if constexpr (Shape::is_static)
      return tensor_view<T, Shape, Device>(buf_.data());  // its extents are the shape's
    else
      return {buf_.data(), ext_};
  }
  operator tensor_view<T, Shape, Device>() const { return view(); }

  T* begin() { return data(); }
  T* end() { return data() + size(); }
  T const* begin() const { return data(); }
  T const* end() const { return data() + size(); }

 private:
  template <class... I>
  index_t offset(I... i) const {
    index_t idx[] = {static_cast<index_t>(i)..., 0};
    index_t off = 0;
    for (std::size_t k = 0; k < rank; ++k) off = off * ext_[k] + idx[k];
    return off;
  }
  std::string size_message(std::size_t found) const {
    return "tensor: the range has " + std::to_string(found) + (found > buf_.size() ? "+" : "") +
           " elements, the extents " + to_string(ext_) + " need " + std::to_string(ext_.size());
  }

  extents<rank> ext_ = static_extents<Shape>();
  detail::buffer<T> buf_;
};

/// A view that shares ownership of a tensor: what transformations keep when an expression they
/// return must outlive a tensor the caller passed by value (e.g. jvp(f, std::tuple{x},
/// std::tuple{v}) inside another transformation).
template <class T, class Shape, class Device = device::cpu>
struct shared_view : tensor_view<T, Shape, Device> {
  std::shared_ptr<tensor<T, Shape, Device> const> owner;

  explicit shared_view(tensor<T, Shape, Device> t)
      : shared_view(std::make_shared<tensor<T, Shape, Device> const>(std::move(t))) {}

 private:
  explicit shared_view(std::shared_ptr<tensor<T, Shape, Device> const> o)
      : tensor_view<T, Shape, Device>(o->data(), o->shape()), owner(std::move(o)) {}
};

template <class E>
inline constexpr bool is_tensor = false;
template <class T, class S, class D>
inline constexpr bool is_tensor<tensor<T, S, D>> = true;

/// Anything an op accepts: an expression, or a tensor (which enters as its view).
template <class E>
concept expression_like = tensor_expression<E> || is_tensor<std::remove_cvref_t<E>>;

/// The expression for an op's argument: tensors become views, expressions are copied.
template <expression_like E>
auto as_expr(E const& e) {
  if constexpr (is_tensor<E>)
    return e.view();
  else
    return e;
}

template <class E>
using expr_t = decltype(as_expr(std::declval<E const&>()));

}  // namespace metagrad
