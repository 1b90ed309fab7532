// SPDX-License-Identifier: MIT
// What transformations need to know about an expression, and the cached forward pass:
//   - depends_on<E, L>: whether E contains an argument of the transformation at level L;
//   - trace(e): every non-elementwise node computed once and kept as cached<Op, Args...>, which
//     evaluates as a view of its value yet still knows its op and args for derivative rules.
//     Elementwise chains stay symbolic: derivative rules recompute them inside fused loops.
#pragma once
#include <algorithm>

#include "../eval/evaluate.hpp"
#include "../eval/memo.hpp"
#include "../ops/identity.hpp"

namespace metagrad {

template <class Op, class... Args>
struct cached
    : tensor_view<typename node<Op, Args...>::value_type, typename node<Op, Args...>::shape_type,
                  typename node<Op, Args...>::device_type> {
  using view_type =
      tensor_view<typename node<Op, Args...>::value_type, typename node<Op, Args...>::shape_type,
                  typename node<Op, Args...>::device_type>;
  using op_type = Op;
  [[no_unique_address]] Op op;
  std::tuple<Args...> args;

  cached(view_type v, Op o, std::tuple<Args...> a) : view_type(v), op(o), args(std::move(a)) {}
};

template <class E>
inline constexpr bool is_cached = false;
template <class Op, class... Args>
inline constexpr bool is_cached<cached<Op, Args...>> = true;

/// Nodes that carry an op and args (plain nodes and cached ones).
template <class E>
inline constexpr bool has_args = is_node<E> || is_cached<E>;

namespace detail {
template <class E, int L>
struct bind_index {
  static constexpr bool value = false;
};
template <int L, std::size_t K, class Inner>
struct bind_index<node<bind_op<L, K>, Inner>, L> {
  static constexpr bool value = true;
  static constexpr std::size_t index = K;
};

}  // namespace detail

template <class E, int L>
inline constexpr bool is_bind_at = detail::bind_index<E, L>::value;

template <class E, int L>
constexpr bool depends_on_fn() {
  if constexpr (is_bind_at<E, L>)
    return true;
  else if constexpr (has_args<E>)
    return []<class... A>(std::tuple<A...> const*) {
      return (depends_on_fn<A, L>() || ...);
    }(static_cast<decltype(E::args) const*>(nullptr));
  else
    return false;
}
template <class E, int L>
inline constexpr bool depends_on = depends_on_fn<E, L>();

/// The highest transformation level bound in E (0 for concrete data).
template <class E>
inline constexpr int level_of = [] {
  if constexpr (has_args<E>) {
    int lv = 0;
    if constexpr (requires { E::op_type::level; }) lv = E::op_type::level;
    return []<class... A>(int base, std::tuple<A...> const*) {
      return std::max({base, level_of<A>...});
    }(lv, static_cast<decltype(E::args) const*>(nullptr));
  } else {
    return 0;
  }
}();

/// The expression with every non-elementwise node computed once (see the file comment).
template <class E>
auto trace(E const& e) {
  if constexpr (!has_args<E> || is_cached<E>) {
    return e;
  } else {
    auto args = detail::unpack(e.args, [](auto const&... a) { return std::tuple{trace(a)...}; });
    using Op = typename E::op_type;
    if constexpr (is_elementwise_op<Op>) {
      return detail::unpack(args, [&](auto const&... a) {
        auto n = node<Op, std::remove_cvref_t<decltype(a)>...>(e.op, a...);
        if constexpr (detail::costly_op<Op>)
          return detail::memoize(n);
        else
          return n;
      });
    } else {
      return detail::unpack(args, [&](auto const&... a) {
        using C = cached<Op, std::remove_cvref_t<decltype(a)>...>;
        auto value = materialize(node<Op, std::remove_cvref_t<decltype(a)>...>(e.op, a...));
        return C(value, e.op, args);
      });
    }
  }
}

/// A node's own value for its derivative rules: the view of a cached node, else the node (for a
/// memo, the memo: its copies share one computed value).
template <class E>
auto value_of(E const& e) {
  if constexpr (is_cached<E>)
    return as_view(e);
  else
    return e;
}

/// The node whose op and args the derivative rules use: a memo stands for the node it holds.
template <class E>
auto const& rule_node(E const& e) {
  if constexpr (is_memo<E>)
    return std::get<0>(e.args);
  else
    return e;
}

}  // namespace metagrad
