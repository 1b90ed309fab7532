// SPDX-License-Identifier: MIT
// The transformations users call: grad, value_and_grad, vjp, jvp, hvp. Each calls f with its
// arguments marked bind<Level, Index> (an identity op) and differentiates the expression f
// returns. On concrete tensors they evaluate (one cached forward pass, then the backward pass);
// called inside another transformation they return expressions, so they compose:
// grad(grad(f)), jvp(grad(f)) (a Hessian-vector product), ...
#pragma once
#include <array>
#include <tuple>
#include <utility>

#include "../expr/tree.hpp"
#include "backward.hpp"
#include "forward.hpp"
#include "small.hpp"

namespace metagrad {

namespace detail {

/// The level a transformation of these arguments gets: one above any level they carry.
template <class... Args>
inline constexpr int next_level = 1 + std::max({0, level_of<expr_t<Args>>...});

/// Argument a marked bind<L, Pos> (Pos < 0: not differentiated, left as it is).
template <int L, int Pos, class A>
auto mark_at(A const& a) {
  if constexpr (Pos < 0)
    return as_expr(a);
  else
    return make_node(bind_op<L, static_cast<std::size_t>(Pos)>{}, as_expr(a));
}
/// Argument J's position among the differentiated I... (-1 if none): one array per call site,
/// not one fold over I... per argument (quadratic in the number of leaves).
template <std::size_t N, std::size_t... I>
inline constexpr auto positions = [] {
  std::array<int, N> p{};
  p.fill(-1);
  int i = 0;
  ((p[I] = p[I] < 0 ? i : p[I], ++i), ...);
  return p;
}();

template <int L, std::size_t... I, class F, class... Args>
auto call_marked(F& f, Args const&... args) {
  return [&]<std::size_t... J>(std::index_sequence<J...>) {
    return f(mark_at<L, positions<sizeof...(Args), I...>[J]>(args)...);
  }
  (std::index_sequence_for<Args...>{});
}

template <class E>
consteval bool check_scalar_output() {
  static_assert(shape_t<E>::rank == 0 || shape_t<E>::static_size == 1,
                "grad: the function must return a scalar (a rank-0 expression, e.g. sum(...) or "
                "mean(...)); use vjp for other outputs");
  return true;
}

/// An accumulator with one new tensor per argument, shaped like it.
template <class... Args>
auto make_accumulator(Args const&... args) {
  return grad_accumulator<tensor<value_t<Args>, shape_t<Args>, device_t<Args>>...>{
      {{{tensor<value_t<Args>, shape_t<Args>, device_t<Args>>(args.ext, uninitialized_t{})}...}}};
}

template <class Tuple>
auto unwrap_single(Tuple&& t) {
  if constexpr (std::tuple_size_v<std::remove_cvref_t<Tuple>> == 1)
    return std::get<0>(std::forward<Tuple>(t));
  else
    return std::forward<Tuple>(t);
}

/// A tuple element as an expression that stays valid after the call: tensors held by value in
/// the tuple are moved into shared ownership, references and expressions are viewed.
template <class Elem, class X>
auto lasting_expr(X const& x) {
  if constexpr (!std::is_reference_v<Elem> && is_tensor<std::remove_cv_t<Elem>>)
    return shared_view<value_t<X>, shape_t<X>, device_t<X>>(x);
  else
    return as_expr(x);
}

template <class T>
using tensor_for = tensor<value_t<expr_t<T>>, shape_t<expr_t<T>>, device_t<expr_t<T>>>;

/// out as c * sum(x) over every axis of an elementwise x: sum(x) (c = 1) or mean(x) (sum(x)
/// times the constant 1/n); is false for every other out.
template <class E>
struct scaled_sum {
  static constexpr bool is = false;
};
template <class Kind, bool Keep, auto Axes, class X>
requires full_reduction_of_elementwise<node<reduce_op<Kind, Keep, Axes>, X>> &&
    std::is_same_v<Kind, sum_kind>
struct scaled_sum<node<reduce_op<Kind, Keep, Axes>, X>> {
  static constexpr bool is = true;
  using operand = X;
  static auto const& sum(node<reduce_op<Kind, Keep, Axes>, X> const& e) { return e; }
  static value_t<X> scale(node<reduce_op<Kind, Keep, Axes>, X> const&) { return value_t<X>(1); }
};
template <class S, class T, class D>
requires scaled_sum<S>::is struct scaled_sum<node<mul_op, S, constant<T, shape<>, D>>> {
  static constexpr bool is = true;
  using operand = typename scaled_sum<S>::operand;
  static auto const& sum(node<mul_op, S, constant<T, shape<>, D>> const& e) {
    return get<0>(e.args);
  }
  static T scale(node<mul_op, S, constant<T, shape<>, D>> const& e) { return get<1>(e.args).value; }
};

/// Whether value_and_grad at level L of out = c * sum(x) (scaled_sum), with x elementwise over
/// its leaves and the differentiated arguments A... shaped like x, can run as one fused pass:
/// then each argument's cotangent is an elementwise expression shaped like x too, and the device
/// computes the sum and every cotangent chunk by chunk, the memos they share once per chunk
/// (instead of the sum's pass, then one pass per use of each argument).
template <int L, class E, class... A>
constexpr bool fuses_sum_and_grad() {
  if constexpr (!scaled_sum<E>::is) {
    return false;
  } else {
    using X = typename scaled_sum<E>::operand;
    using K = elementwise_kernel<device_t<E>>;
    using T = value_t<E>;
    if constexpr (!std::is_same_v<decltype(non_elementwise_nodes<X>()), node_types<>> ||
                  !(std::is_same_v<shape_t<A>, shape_t<X>> && ...)) {
      return false;
    } else {
      using TX = decltype(trace(std::declval<X const&>()));
      using CT = decltype(backward<L, sizeof...(A)>(
          std::declval<TX const&>(), std::declval<constant<T, shape_t<X>, device_t<E>> const&>()));
      return []<class... C>(flat_tuple<C...> const*) {
        if constexpr ((std::is_same_v<C, no_cotangent> || ...))
          return false;
        else
          return requires(TX const& tx, std::array<T*, sizeof...(C)> const& d, C const&... c) {
            K::sum_all_and_assign(tx, d, c...);
          };
      }(static_cast<CT const*>(nullptr));
    }
  }
}

/// value_and_grad of out = c * sum(x) in one fused pass (see fuses_sum_and_grad).
template <bool WithValue, int L, class E, class... A>
auto fused_sum_and_grad(E const& out, A const&... args) {
  using T = value_t<E>;
  using D = device_t<E>;
  auto const& x = get<0>(scaled_sum<E>::sum(out).args);
  using X = std::remove_cvref_t<decltype(x)>;
  T const c = scaled_sum<E>::scale(out);
  auto tx = trace(x);
  auto cts = backward<L, sizeof...(A)>(tx, constant<T, shape_t<X>, D>(c, x.ext));
  auto acc = make_accumulator(args...);
  tensor<T, shape_t<E>, D> value(out.ext, uninitialized_t{});
  value.data()[0] = c* [&]<std::size_t... P>(std::index_sequence<P...>) {
    return elementwise_kernel<D>::sum_all_and_assign(
        tx, std::array<T*, sizeof...(A)>{get<P>(acc.grads).data()...}, get<P>(cts)...);
  }
  (std::index_sequence_for<A...>{});
  if constexpr (WithValue)
    return std::pair{std::move(value), std::move(acc.grads)};
  else
    return std::move(acc.grads);
}

/// Gradients as the std::tuple the transformations return: an accumulator's flat_tuple (whose
/// get takes no walk over a long list) converted, a symbolic pass's std::tuple as it is.
template <class... T>
std::tuple<T...> to_std_tuple(flat_tuple<T...>&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<T...>{get<I>(std::move(f))...};
  }
  (std::index_sequence_for<T...>{});
}
template <class... T>
std::tuple<T...> to_std_tuple(std::tuple<T...>&& t) {
  return std::move(t);
}

template <bool WithValue, std::size_t... I>
struct grad_fn_impl {
  template <class F, class... Args>
  static auto call(F& f, Args const&... args) {
    constexpr int L = next_level<Args...>;
    using E = decltype(call_marked<L, I...>(f, args...));
    static_assert(check_scalar_output<E>());
    if constexpr (L == 1 && small::graph<E>)
      return call_small(f, args...);
    else
      return call_general(f, args...);
  }

 private:
  /// A small graph (eval/small.hpp): built and computed on the stack in one inlined body, so its
  /// expression's leaves reach the kernels in registers rather than through copies of the tree.
  template <class F, class... Args>
  [[gnu::flatten]] static auto call_small(F& f, Args const&... args) {
    auto out = call_marked<1, I...>(f, args...);
    flat_tuple<Args const*...> arg_tuple{{{&args}...}};
    return small::value_and_grad<WithValue, 1>(out,
                                               make_accumulator(as_expr(*get<I>(arg_tuple))...));
  }
  template <class F, class... Args>
  static auto call_general(F& f, Args const&... args) {
    constexpr int L = next_level<Args...>;
    auto out = call_marked<L, I...>(f, args...);
    using E = decltype(out);
    using T = value_t<E>;
    flat_tuple<Args const*...> arg_tuple{{{&args}...}};
    using AT = flat_tuple<Args const*...>;
    if constexpr (L == 1 && fuses_sum_and_grad<L, E,
                                               expr_t<std::remove_cvref_t<decltype(*get<I>(
                                                   std::declval<AT const&>()))>>...>()) {
      scratch_scope scope;
      return fused_sum_and_grad<WithValue, L>(out, as_expr(*get<I>(arg_tuple))...);
    } else if constexpr (L == 1) {
      // Concrete arguments: evaluate (loops keep their forward's values for the reverse pass).
      scratch_scope scope;
      residuals_frame saved;
      auto traced = trace<detail::costly_nodes::keep>(out);
      auto acc = make_accumulator(as_expr(*get<I>(arg_tuple))...);
      reverse_pass<L>(traced, constant<T, shape_t<E>, device_t<E>>(T(1), out.ext), acc);
      acc.finish();
      if constexpr (WithValue)
        return std::pair{eval(traced), std::move(acc.grads)};
      else
        return std::move(acc.grads);
    } else {
      // Inside another transformation: return expressions.
      auto cts =
          backward<L, sizeof...(I)>(out, constant<T, shape_t<E>, device_t<E>>(T(1), out.ext));
      auto grads = [&]<std::size_t... P>(std::index_sequence<P...>) {
        return std::tuple{[&] {
          auto const& ct = detail::get<P>(cts);
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(ct)>, no_cotangent>)
            return zeros_like(as_expr(*get<I>(arg_tuple)));
          else
            return ct;
        }()...};
      }
      (std::make_index_sequence<sizeof...(I)>{});
      if constexpr (WithValue)
        return std::pair{out, std::move(grads)};
      else
        return grads;
    }
  }
};

/// Where each argument's leaves start among all arguments' leaves (parameter trees flattened).
template <class... Args>
inline constexpr std::array<std::size_t, sizeof...(Args) + 1> leaf_offsets = [] {
  std::array<std::size_t, sizeof...(Args) + 1> o{};
  std::size_t k = 0;
  ((o[k + 1] = o[k] + tree_size<Args>, ++k), ...);
  return o;
}();

template <bool WithValue, class F, std::size_t... I>
struct grad_fn {
  F f;
  template <class... Args>
  auto operator()(Args const&... args) const {
    static_assert(((I < sizeof...(Args)) && ...), "grad: argument index out of range");
    if constexpr ((is_tree_node<Args> || ...))
      return call_trees(args...);
    else
      return finish(call_leaves<I...>(f, args...),
                    [](auto&& g) { return to_std_tuple(std::move(g)); });
  }

 private:
  template <std::size_t... J, class G, class... Leaves>
  static auto call_leaves(G g, Leaves const&... leaves) {
    return grad_fn_impl<WithValue, J...>::call(g, leaves...);
  }

  /// The value (if asked for) and the gradients, each regrouped, one argument's unwrapped.
  template <class R, class Regroup>
  static auto finish(R&& r, Regroup regroup) {
    if constexpr (WithValue)
      return std::pair{std::move(r.first), unwrap_single(regroup(std::move(r.second)))};
    else
      return unwrap_single(regroup(std::move(r)));
  }

  /// Parameter trees among the arguments: f is differentiated as a function of all their leaves,
  /// and the gradients come back shaped like the differentiated arguments.
  template <class... Args>
  auto call_trees(Args const&... args) const {
    using arg_types = std::tuple<Args...>;
    static constexpr auto offsets = leaf_offsets<Args...>;
    // The differentiated leaves: argument I's leaves, for each I in order.
    static constexpr std::size_t n =
        (std::size_t{0} + ... + tree_size<std::tuple_element_t<I, arg_types>>);
    static constexpr auto flat = [] {
      std::array<std::size_t, n> a{};
      std::size_t k = 0;
      (
          (void)[&] {
            for (std::size_t j = 0; j < tree_size<std::tuple_element_t<I, arg_types>>; ++j)
              a[k++] = offsets[I] + j;
          }(),
          ...);
      return a;
    }();
    auto on_leaves = [fn = f](auto const&... leaves) mutable {
      flat_tuple<std::remove_cvref_t<decltype(leaves)>...> all{{{leaves}...}};
      return [&]<std::size_t... J>(std::index_sequence<J...>) {
        return fn(tree_unflatten<Args, offsets[J]>(all)...);
      }
      (std::index_sequence_for<Args...>{});
    };
    flat_tuple<Args const*...> arg_ptrs{{{&args}...}};
    static constexpr std::size_t total = offsets[sizeof...(Args)];
    auto r = [&]<std::size_t... K, std::size_t... A>(std::index_sequence<K...>,
                                                     std::index_sequence<A...>) {
      // Leaf A of all arguments' leaves: in argument arg_of(A), at A - offsets[arg_of(A)].
      constexpr auto arg_of = [](std::size_t a) {
        std::size_t i = 0;
        while (offsets[i + 1] <= a) ++i;
        return i;
      };
      return call_leaves<flat[K]...>(
          on_leaves, tree_leaf<A - offsets[arg_of(A)]>(*get<arg_of(A)>(arg_ptrs))...);
    }
    (std::make_index_sequence<n>{}, std::make_index_sequence<total>{});
    // Argument I's gradients start after those of the differentiated arguments before it.
    static constexpr auto starts = leaf_offsets<std::tuple_element_t<I, arg_types>...>;
    return finish(std::move(r), [](auto&& grads) {
      return [&]<std::size_t... P>(std::index_sequence<P...>) {
        return std::make_tuple(
            tree_unflatten<std::tuple_element_t<I, arg_types>, starts[P]>(std::move(grads))...);
      }
      (std::make_index_sequence<sizeof...(I)>{});
    });
  }
};

}  // namespace detail

/// The gradient of a scalar function w.r.t. its arguments I... (argument 0 by default), e.g.
/// auto dw = grad<1>(f)(x, w);  auto [dx, dw] = grad<0, 1>(f)(x, w);
template <std::size_t... I, class F>
auto grad(F f) {
  if constexpr (sizeof...(I) == 0)
    return detail::grad_fn<false, F, 0>{std::move(f)};
  else
    return detail::grad_fn<false, F, I...>{std::move(f)};
}

/// The value and the gradient from one forward pass, e.g. auto [loss, g] = value_and_grad(f)(p);
template <std::size_t... I, class F>
auto value_and_grad(F f) {
  if constexpr (sizeof...(I) == 0)
    return detail::grad_fn<true, F, 0>{std::move(f)};
  else
    return detail::grad_fn<true, F, I...>{std::move(f)};
}

/// The value of f and its pullback: auto [y, pullback] = vjp(f, x, w); auto [dx, dw] =
/// pullback(ct); The pullback reads the arguments again when called: keep them alive until then.
template <class F, class... Args>
auto vjp(F f, Args const&... args) {
  auto views = std::tuple{as_expr(args)...};
  auto value = eval(detail::unpack(views, f));
  auto pullback = [f, views](auto const& cotangent) {
    return detail::unpack(views, [&](auto const&... a) {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        detail::scratch_scope scope;
        detail::residuals_frame saved;
        auto out = detail::call_marked<1, I...>(f, a...);
        auto traced = trace<detail::costly_nodes::keep>(out);
        auto ct = as_expr(cotangent);
        if (ct.ext != out.ext)
          detail::throw_shape_error("vjp: cotangent extents differ from the output's", ct.ext,
                                    " vs ", out.ext);
        auto acc = detail::make_accumulator(a...);
        reverse_pass<1>(traced, ct, acc);
        acc.finish();
        return detail::to_std_tuple(std::move(acc.grads));
      }
      (std::index_sequence_for<Args...>{});
    });
  };
  return std::pair{std::move(value), std::move(pullback)};
}

namespace detail {
/// jvp of a function whose graph is a small static graph (eval/small.hpp): built, computed and
/// its tangent computed on the stack in one inlined body (autodiff/small.hpp).
template <std::size_t... I, class F, class Prims, class Tans>
[[gnu::flatten]] auto jvp_small(F& f, Prims const& prims, Tans const& tans) {
  return small::value_and_tangent<1>(call_marked<1, I...>(f, std::get<I>(prims)...), tans);
}
}  // namespace detail

/// Forward mode: f's value and its derivative along the tangents, e.g.
/// auto [y, dy] = jvp(f, std::tuple{x, w}, std::tuple{dx, dw});
template <class F, class... P, class... T>
auto jvp(F f, std::tuple<P...> const& primals, std::tuple<T...> const& tangents) {
  static_assert(sizeof...(P) == sizeof...(T), "jvp: one tangent per primal");
  constexpr int L = detail::next_level<P..., T...>;
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    // Inside another transformation the result outlives this call: keep what it reads alive.
    auto lasting = [&]<class Elem>(auto const& x) {
      if constexpr (L == 1)
        return as_expr(x);
      else
        return detail::lasting_expr<Elem>(x);
    };
    auto prims = std::tuple{lasting.template operator()<P>(std::get<I>(primals))...};
    auto tans = std::tuple{lasting.template operator()<T>(std::get<I>(tangents))...};
    detail::static_for<sizeof...(P)>([&](auto i) {
      if (std::get<i>(tans).ext != std::get<i>(prims).ext)
        detail::throw_shape_error("jvp: tangent extents differ from the primal's",
                                  std::get<i>(tans).ext, " vs ", std::get<i>(prims).ext);
    });
    using E = decltype(detail::call_marked<L, I...>(f, std::get<I>(prims)...));
    if constexpr (L == 1 && detail::small::graph<E>) {
      return detail::jvp_small<I...>(f, prims, tans);
    } else {
      auto out = detail::call_marked<L, I...>(f, std::get<I>(prims)...);
      detail::shared_results_frame tangents_once;
      if constexpr (L == 1) {
        detail::scratch_scope scope;
        auto traced = trace<detail::costly_nodes::keep>(out);
        auto value = eval(traced);
        auto derivative = eval(tangent<L>(traced, tans));
        return std::pair{std::move(value), std::move(derivative)};
      } else {
        return std::pair{out, tangent<L>(out, tans)};
      }
    }
  }
  (std::index_sequence_for<P...>{});
}

/// The Hessian-vector product H(x)·v of a scalar function: jvp of grad.
template <class F, class X, class V>
auto hvp(F f, X const& x, V const& v) {
  return jvp(grad(std::move(f)), std::tuple<X const&>{x}, std::tuple<V const&>{v}).second;
}

}  // namespace metagrad
