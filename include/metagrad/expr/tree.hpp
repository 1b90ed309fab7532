// SPDX-License-Identifier: MIT
// Parameter trees, as JAX's pytrees: a leaf (a tensor, an expression, any non-tuple value) or a
// std::tuple of trees. Transformations take trees as arguments and return gradients shaped like
// them; optimizers and checkpoints walk them leaf by leaf, several trees in step.
// e.g. tree_for_each([](auto& p, auto const& g) { eval_into(p, p - 0.1f * g); }, params, grads);
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../detail/meta.hpp"

namespace metagrad {

/// The parameters of a user's struct, declared in one line as member pointers and names:
///   struct mlp { tensor<float, shape<128, 784>> w1; tensor<float, shape<128>> b1;
///                static constexpr auto parameters = fields(&mlp::w1, "w1", &mlp::b1, "b1"); };
/// Such a struct is a tree whose children are those members, in that order.
template <class... Ptrs>
struct field_list {
  std::tuple<Ptrs...> pointers;
  std::array<std::string_view, sizeof...(Ptrs)> names;
};

/// The field_list of alternating member pointers and names, e.g. fields(&S::w, "w", &S::b, "b").
template <class... A>
constexpr auto fields(A... a) {
  static_assert(sizeof...(A) % 2 == 0, "fields: expected pairs of a member pointer and a name");
  auto all = std::tuple{a...};
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return field_list<std::tuple_element_t<2 * I, decltype(all)>...>{
        {std::get<2 * I>(all)...}, {std::string_view(std::get<2 * I + 1>(all))...}};
  }
  (std::make_index_sequence<sizeof...(A) / 2>{});
}

template <class T>
concept parameter_struct = requires {
  T::parameters.pointers;
};

template <class T>
inline constexpr bool is_tree_node = false;
template <class... Ts>
inline constexpr bool is_tree_node<std::tuple<Ts...>> = true;
template <parameter_struct T>
inline constexpr bool is_tree_node<T> = true;

namespace detail {
template <class P>
struct member_of;
template <class M, class S>
struct member_of<M S::*> {
  using type = M;
};
template <class T>
struct tree_children {
  static constexpr std::size_t arity = std::tuple_size_v<T>;
  template <std::size_t I>
  using type = std::tuple_element_t<I, T>;
};
template <parameter_struct T>
struct tree_children<T> {
  static constexpr std::size_t arity = std::tuple_size_v<decltype(T::parameters.pointers)>;
  template <std::size_t I>
  using type = typename member_of<std::tuple_element_t<I, decltype(T::parameters.pointers)>>::type;
};
}  // namespace detail

/// The number of children of a tree node, and the type of child I.
template <class T>
inline constexpr std::size_t tree_arity = detail::tree_children<T>::arity;
template <class T, std::size_t I>
using tree_child_t = std::remove_cvref_t<typename detail::tree_children<T>::template type<I>>;

/// Child I of a tree node (a tuple's element, a parameter struct's member), keeping its value
/// category.
template <std::size_t I, class Tree>
constexpr decltype(auto) tree_child(Tree&& t) {
  using T = std::remove_cvref_t<Tree>;
  if constexpr (parameter_struct<T>)
    return (std::forward<Tree>(t).*std::get<I>(T::parameters.pointers));
  else
    return detail::element<I>(std::forward<Tree>(t));
}

/// The number of leaves of a tree type.
template <class T>
inline constexpr std::size_t tree_size = 1;
template <class T>
requires is_tree_node<T>
inline constexpr std::size_t tree_size<T> = []<std::size_t... I>(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + tree_size<tree_child_t<T, I>>);
}
(std::make_index_sequence<tree_arity<T>>{});

namespace detail {
/// The position of child K's first leaf among its parent's leaves.
template <class Tree, std::size_t K>
constexpr std::size_t child_offset() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... + tree_size<tree_child_t<Tree, I>>);
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
    static_assert(((tree_arity<std::remove_cvref_t<Trees>> == tree_arity<T>)&&...),
                  "tree_for_each: the trees have different structures");
    // One child at a time: a pattern naming both I and Trees would expand the two packs together.
    auto child = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      tree_for_each(f, tree_child<I>(std::forward<Tree>(t)),
                    tree_child<I>(std::forward<Trees>(ts))...);
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (child(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::make_index_sequence<tree_arity<T>>{});
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
      return tree_map(f, tree_child<I>(std::forward<Tree>(t)),
                      tree_child<I>(std::forward<Trees>(ts))...);
    };
    // make_tuple, not std::tuple{...}: CTAD would unwrap a one-child tuple of a tuple.
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::make_tuple(child(std::integral_constant<std::size_t, I>{})...);
    }
    (std::make_index_sequence<tree_arity<T>>{});
  } else {
    return f(std::forward<Tree>(t), std::forward<Trees>(ts)...);
  }
}

/// The leaves of a tree as a flat tuple of references, in tree_for_each's order.
template <class Tree>
constexpr auto tree_flatten(Tree& t) {
  if constexpr (is_tree_node<std::remove_cv_t<Tree>>)
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple_cat(tree_flatten(tree_child<I>(t))...);
    }
  (std::make_index_sequence<tree_arity<std::remove_cv_t<Tree>>>{});
  else return std::tuple<Tree&>{t};
}

/// The tree as nested tuples of references to its leaves (a parameter struct as a tuple of its
/// members), the shape tree_unflatten gives: code written for one works on the other.
template <class Tree>
constexpr decltype(auto) tree_ref(Tree const& t) {
  if constexpr (parameter_struct<Tree>) return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<decltype(tree_ref(tree_child<I>(t)))...>(tree_ref(tree_child<I>(t))...);
    }
  (std::make_index_sequence<tree_arity<Tree>>{});
  else return (t);
}

/// Calls f(name, leaf) for each leaf, named by its path: a parameter struct's field names, a
/// tuple's indices, joined by '.', e.g. "fc1.0" for element 0 of the member fc1.
template <class Tree, class F>
void tree_for_each_named(Tree&& t, F&& f, std::string const& prefix = "") {
  using T = std::remove_cvref_t<Tree>;
  if constexpr (is_tree_node<T>) {
    auto child = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      std::string name;
      if constexpr (parameter_struct<T>)
        name = std::string(T::parameters.names[I]);
      else
        name = std::to_string(I);
      tree_for_each_named(tree_child<I>(std::forward<Tree>(t)), f,
                          prefix.empty() ? name : prefix + "." + name);
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (child(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::make_index_sequence<tree_arity<T>>{});
  } else {
    f(prefix, std::forward<Tree>(t));
  }
}

/// The tree of type Tree's structure whose leaves are flat's elements Offset, Offset + 1, ...
/// (moved out of an rvalue flat, else copied: e.g. expressions standing for the leaves). Its
/// nodes are tuples, a parameter struct's too. flat is a std::tuple or a flat_tuple (whose get
/// takes no walk over a long list).
template <class Tree, std::size_t Offset = 0, class Flat>
constexpr auto tree_unflatten(Flat&& flat) {
  if constexpr (is_tree_node<Tree>) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::make_tuple(
          tree_unflatten<tree_child_t<Tree, I>, Offset + detail::child_offset<Tree, I>()>(
              std::forward<Flat>(flat))...);
    }
    (std::make_index_sequence<tree_arity<Tree>>{});
  } else {
    using std::get;  // and metagrad::detail::get, for a flat_tuple, by argument-dependent lookup
    return get<Offset>(std::forward<Flat>(flat));
  }
}

namespace detail {
/// For each leaf of Tree (depth first), the child of Tree that holds it: one array per tree
/// type, shared by every leaf's lookup.
template <class Tree>
inline constexpr auto child_holding = []<std::size_t... I>(std::index_sequence<I...>) {
  std::array<std::size_t, tree_size<Tree>> c{};
  std::size_t at = 0;
  ((std::fill_n(c.begin() + at, tree_size<tree_child_t<Tree, I>>, I),
    at += tree_size<tree_child_t<Tree, I>>),
   ...);
  return c;
}
(std::make_index_sequence<tree_arity<Tree>>{});
}  // namespace detail

/// Leaf K of a tree (depth first), found by its path: no flattening of the whole tree.
template <std::size_t K, class Tree>
decltype(auto) tree_leaf(Tree const& t) {
  if constexpr (is_tree_node<Tree>) {
    constexpr std::size_t c = detail::child_holding<Tree>[K];
    return tree_leaf<K - detail::child_offset<Tree, c>()>(tree_child<c>(t));
  } else {
    return (t);
  }
}

}  // namespace metagrad
