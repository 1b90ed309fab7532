// SPDX-License-Identifier: MIT
// Parameter trees, as JAX's pytrees: a leaf (a tensor, an expression, any non-tuple value) or a
// std::tuple of trees. Transformations take trees as arguments and return gradients shaped like
// them; optimizers and checkpoints walk them leaf by leaf, several trees in step.
// e.g. tree_for_each([](auto& p, auto const& g) { eval_into(p, p - 0.1f * g); }, params, grads);
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace metagrad {

template <class T>
inline constexpr bool is_tree_node = false;
template <class... Ts>
inline constexpr bool is_tree_node<std::tuple<Ts...>> = true;

/// The number of leaves of a tree type.
template <class T>
inline constexpr std::size_t tree_size = 1;
template <class... Ts>
inline constexpr std::size_t tree_size<std::tuple<Ts...>> = (std::size_t{0} + ... +
                                                             tree_size<std::remove_cvref_t<Ts>>);

namespace detail {
/// The position of child K's first leaf among its parent's leaves.
template <class Tuple, std::size_t K>
constexpr std::size_t child_offset() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + tree_size<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>);
  }
  (std::make_index_sequence<K>{});
}
}  // namespace detail

/// Calls f(leaf, leaves...) for each leaf position of trees of the same structure, in order
/// (depth first); e.g. tree_for_each(f, params, grads, state).
template <class F, class Tree, class... Trees>
constexpr void tree_for_each(F&& f, Tree&& t, Trees&&... ts) {
  using T = std::remove_cvref_t<Tree>;
  if constexpr (is_tree_node<T>) {
    static_assert(((std::tuple_size_v<std::remove_cvref_t<Trees>> == std::tuple_size_v<T>)&&...),
                  "tree_for_each: the trees have different structures");
    // One child at a time: a pattern naming both I and Trees would expand the two packs together.
    auto child = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      tree_for_each(f, std::get<I>(std::forward<Tree>(t)), std::get<I>(std::forward<Trees>(ts))...);
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (child(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<T>>{});
  } else {
    f(std::forward<Tree>(t), std::forward<Trees>(ts)...);
  }
}

/// A tree of the same structure holding f(leaf, leaves...), e.g. the zeros of an optimizer state.
template <class F, class Tree, class... Trees>
constexpr auto tree_map(F&& f, Tree&& t, Trees&&... ts) {
  using T = std::remove_cvref_t<Tree>;
  if constexpr (is_tree_node<T>) {
    auto child = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      return tree_map(f, std::get<I>(std::forward<Tree>(t)),
                      std::get<I>(std::forward<Trees>(ts))...);
    };
    // make_tuple, not std::tuple{...}: CTAD would unwrap a one-child tuple of a tuple.
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::make_tuple(child(std::integral_constant<std::size_t, I>{})...);
    }
    (std::make_index_sequence<std::tuple_size_v<T>>{});
  } else {
    return f(std::forward<Tree>(t), std::forward<Trees>(ts)...);
  }
}

/// The leaves of a tree as a flat tuple of references, in tree_for_each's order.
template <class Tree>
constexpr auto tree_flatten(Tree& t) {
  if constexpr (is_tree_node<std::remove_cv_t<Tree>>)
    return std::apply([](auto&... c) { return std::tuple_cat(tree_flatten(c)...); }, t);
  else
    return std::tuple<Tree&>{t};
}

/// The tree of type Tree's structure whose leaves are flat's elements Offset, Offset + 1, ...
/// (moved out of an rvalue flat, else copied: e.g. expressions standing for the leaves).
template <class Tree, std::size_t Offset = 0, class Flat>
constexpr auto tree_unflatten(Flat&& flat) {
  if constexpr (is_tree_node<Tree>) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::make_tuple(
          tree_unflatten<std::remove_cvref_t<std::tuple_element_t<I, Tree>>,
                         Offset + detail::child_offset<Tree, I>()>(std::forward<Flat>(flat))...);
    }
    (std::make_index_sequence<std::tuple_size_v<Tree>>{});
  } else {
    return std::get<Offset>(std::forward<Flat>(flat));
  }
}

}  // namespace metagrad
