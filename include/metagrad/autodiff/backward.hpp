// SPDX-License-Identifier: MIT
// Reverse mode: cotangents flow from the output to the arguments of the transformation at level L
// by each op's vjp rule, in reverse topological order (a tree walk over the expression's type).
//   - backward_into (eager, on a traced expression): a cotangent is materialized where it is
//     shared - at a cached node, or an elementwise node with several dependent args - and
//     otherwise stays symbolic, so elementwise chains of the backward pass fuse; each cotangent
//     that reaches an argument is added to that argument's tensor;
//   - backward (symbolic): returns each argument's sum of cotangents as an expression (for grad
//     of grad); nothing is evaluated.
#pragma once
#include <algorithm>
#include <array>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "../ops/broadcast_to.hpp"
#include "../ops/reshape.hpp"
#include "trace.hpp"

namespace metagrad {

namespace detail {

template <class E, int L>
constexpr std::size_t dependent_args() {
  if constexpr (has_args<E>)
    return []<class... A>(detail::flat_tuple<A...> const*) {
      return ((depends_on<A, L> ? 1u : 0u) + ... + 0u);
    }(static_cast<detail::args_t<E> const*>(nullptr));
  else
    return 0;
}

/// The op's vjp rule at node e, whose rule node (rule_node(e)) is n and n's args are args: one
/// cotangent per arg. (backward_node calls the rule the same way, in its own body.)
///
/// At level 1 no transformation encloses the pass and none differentiates the cotangents again,
/// so the rule reads e's value and args as their evaluation would: prepare()'s plain views of the
/// trace's cached nodes and of the arguments' marks, under the elementwise nodes the cotangents
/// recompute. A cotangent's type then spells its own layer, not the whole graph below it: each
/// type is a symbol in every function instantiated on it, and g++ mangles a symbol at a cost that
/// grows faster than its length (a chain of 64 dense layers: 30% fewer bytes of symbols, 19% less
/// compiler memory). Inside another transformation (L > 1) the rule gets the expressions, which
/// the enclosing pass differentiates. (One function per node, with no helpers per value or arg:
/// every function on a node's type is a symbol spelling its subexpression.)
template <class Cts>
Cts checked_cotangents(Cts cts) {
  static_assert(is_flat_tuple<Cts>,
                "an op's vjp rule returns its cotangents as detail::make_flat_tuple(...), one per "
                "argument (std::tuple's constructors take exponential compile time on "
                "expression types: detail/flat_tuple.hpp)");
  return cts;
}
template <int L, class E, class N, class G, std::size_t... I, class... A>
auto call_vjp(E const& e, N const& n, G const& g,
              flat_tuple_base<std::index_sequence<I...>, A...> const& args) {
  using Op = typename N::op_type;
  if constexpr (L == 1)
    return checked_cotangents(
        Op::vjp(n.op, g, prepared(e, e.args),
                prepared(static_cast<flat_slot<I, A> const&>(args).value,
                         static_cast<flat_slot<I, A> const&>(args).value.args)...));
  else
    return checked_cotangents(
        Op::vjp(n.op, g, value_of(e), static_cast<flat_slot<I, A> const&>(args).value...));
}

}  // namespace detail

/// Sums eagerly computed cotangents into one tensor per argument.
template <class... Tensors>
struct grad_accumulator {
  detail::flat_tuple<Tensors...> grads;
  std::array<bool, sizeof...(Tensors)> written{};

  /// (A small static cotangent, as every one of a small graph's, is computed on the stack:
  /// eval/small.hpp. One of another shape comes from an op whose shape error was reported: it
  /// takes the general path, which adds no error of its own.)
  template <std::size_t K, class G>
  void add(G const& g) {
    auto& t = detail::get<K>(grads);
    if constexpr (detail::small::graph<G> &&
                  std::is_same_v<shape_t<G>, shape_t<std::remove_cvref_t<decltype(t.view())>>>) {
      if (!written[K])
        detail::small::evaluate(t.data(), g), written[K] = true;
      else
        detail::small::evaluate(t.data(), t.view() + g);
    } else {
      if (!written[K])
        evaluate_into(t.data(), g), written[K] = true;
      else
        accumulate_into(t.data(), g);
    }
  }
  /// Arguments no cotangent reached are zero.
  void finish() {
    detail::static_for<sizeof...(Tensors)>([&](auto k) {
      auto& t = detail::get<k>(grads);
      if (!written[k]) std::fill_n(t.data(), t.size(), value_t<decltype(t.view())>(0));
    });
  }
};

/// No cotangent reached this argument (yet).
struct no_cotangent {};

namespace detail {
template <class A, class B>
auto add_cotangents(A const& a, B const& b) {
  if constexpr (std::is_same_v<A, no_cotangent>)
    return b;
  else if constexpr (std::is_same_v<B, no_cotangent>)
    return a;
  else
    return a + b;
}
template <class... A, class... B>
auto add_cotangent_tuples(flat_tuple<A...> const& a, flat_tuple<B...> const& b) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return make_flat_tuple(add_cotangents(get<I>(a), get<I>(b))...);
  }
  (std::index_sequence_for<A...>{});
}
template <class S>
auto fold_cotangents(S const& s) {
  return s;
}
template <class S, class P, class... Rest>
auto fold_cotangents(S const& s, P const& p, Rest const&... rest) {
  return fold_cotangents(add_cotangent_tuples(s, p), rest...);
}
template <std::size_t N>
auto no_cotangents() {
  return tuple_generate<N>([](auto) { return no_cotangent{}; });
}
}  // namespace detail

namespace detail {
template <class Op>
inline constexpr bool moves_data = false;  // ops that only re-index: reading them costs nothing
template <class S>
inline constexpr bool moves_data<broadcast_to_op<S>> = true;
template <class S>
inline constexpr bool moves_data<reshape_op<S>> = true;

/// A cotangent that costs nothing to read again: a leaf, or one broadcast or reshaped.
template <class G>
constexpr bool cheap() {
  if constexpr (is_leaf<G>)
    return true;
  else if constexpr (is_node<G>) {
    if constexpr (moves_data<typename G::op_type>)
      return cheap<std::tuple_element_t<0, decltype(G::args)>>();
    else
      return false;
  } else
    return false;
}
}  // namespace detail

/// The cotangents of the N arguments of level L as expressions (no_cotangent where none flows).
template <int L, std::size_t N, class E, class G>
auto backward(E const& e, G const& g) {
  if constexpr (!depends_on<E, L> || is_zero<G>) {
    return detail::no_cotangents<N>();
  } else if constexpr (is_shared_expr<E>) {
    return backward<L, N>(e.inner(), g);
  } else if constexpr (is_bind_at<E, L>) {
    constexpr std::size_t k = detail::bind_index<E, L>::index;
    return detail::tuple_generate<N>([&](auto i) {
      if constexpr (i == k)
        return g;
      else
        return no_cotangent{};
    });
  } else {
    auto const& n = rule_node(e);
    auto const& args = n.args;
    auto cts = detail::call_vjp<L>(e, n, g, args);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::fold_cotangents(detail::no_cotangents<N>(),
                                     backward<L, N>(detail::get<I>(args), detail::get<I>(cts))...);
    }
    (std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(args)>>>{});
  }
}

namespace detail {
/// The longest path from E down to a leaf. A node's height exceeds that of every node below it,
/// so taking shared nodes highest first is a reverse topological order.
template <class E>
constexpr int height_fn();
template <class E>
inline constexpr int height = height_fn<E>();  // once per type (see depends_on)
template <class E>
constexpr int height_fn() {
  if constexpr (is_shared_expr<E>)
    return height<typename E::inner_type>;
  else if constexpr (has_args<E>)
    return []<class... A>(detail::flat_tuple<A...> const*) {
      return 1 + std::max({0, height<A>...});
    }(static_cast<detail::args_t<E> const*>(nullptr));
  else
    return 0;
}

/// The cotangents of the cached nodes one reverse pass has reached, each summed in scratch memory
/// until every use of the node has added to it. The trace copies a cached node into each of its
/// uses (logits read by logsumexp, by the label pick and by the smoothing sum), so a tree walk
/// meets it once per use; walking its subtree once per use would redo the backward pass of
/// everything below it (every layer of a model) that many times. Keyed by the node's value,
/// which its copies share. Per thread; a pass nested in another stacks its entries on top.
struct shared_cotangents {
  struct entry {
    void const* key;   // the cached node's value (shared by its copies; with pull, which tells
                       // a reshape from the node it reshapes: they share their memory)
    void const* node;  // one copy of the node, alive for the pass (it is in the trace)
    void* grad;        // the summed cotangent, in scratch memory (or borrowed: see below)
    void (*pull)(void const* node, void const* grad, void* acc);  // backward below the node
    int height;
    bool done;
    bool borrowed;  // grad is the memory of the first cotangent, which was already computed
                    // (a view): read, never written, and copied once a second one arrives
  };
  std::vector<entry> entries;

  static shared_cotangents& local() {
    thread_local shared_cotangents s;
    return s;
  }
  entry* find(void const* key, decltype(entry::pull) pull, std::size_t from) {
    for (std::size_t i = from; i < entries.size(); ++i)
      if (entries[i].key == key && entries[i].pull == pull) return &entries[i];
    return nullptr;
  }
};

/// One reverse pass's frame in shared_cotangents: entries from `from` on are this pass's.
struct shared_cotangent_frame {
  std::size_t from;
  shared_cotangent_frame() : from(shared_cotangents::local().entries.size()) {}
  shared_cotangent_frame(shared_cotangent_frame const&) = delete;
  shared_cotangent_frame& operator=(shared_cotangent_frame const&) = delete;
  ~shared_cotangent_frame() { shared_cotangents::local().entries.resize(from); }
};

inline shared_cotangent_frame*& current_frame() {
  thread_local shared_cotangent_frame* f = nullptr;
  return f;
}
}  // namespace detail

namespace detail {
template <int L, class E, class G, class Acc>
void add_shared_cotangent(E const& e, G const& g, Acc& acc);

/// The reverse walk at e with cotangent g, where n is e's rule node (e itself, or the node a memo
/// holds) and args are n's args (e.args; a leaf's are none):
///   - met as an arg (Below = false): nothing where e does not depend on level L or g is zero;
///     the argument's sum for a mark; the cached node's sum of cotangents for a cached node
///     (add_shared_cotangent: its subtree is walked once, after all its uses);
///   - otherwise (and Below = true: walking below a cached node, or a memo's node), the op's vjp
///     at e, as call_vjp calls it, then each arg's share of the cotangent, recursively. A
///     cotangent that more than one arg's rule reads, and that costs something to read, is
///     computed once first.
/// All in one function, with a fold and no lambdas, and rule_node only for a memo: this is
/// instantiated once per node type of every graph differentiated, and each function on a node's
/// type (a dispatch, a call_vjp, a rule_node) is a symbol spelling its subexpression.
template <int L, bool Below, class E, class N, class G, class Acc, std::size_t... I, class... A>
void backward_node(E const& e, N const& n, G const& g,
                   [[maybe_unused]] flat_tuple_base<std::index_sequence<I...>, A...> const& args,
                   Acc& acc) {
  if constexpr (!Below && (!depends_on<E, L> || is_zero<G>)) {
    return;
  } else if constexpr (!Below && is_shared_expr<E>) {
    // Traced, it holds a cached node (its copies share it: see add_shared_cotangent) or a mark.
    backward_node<L, false>(e.inner(), e.inner(), g, e.inner().args, acc);
  } else if constexpr (!Below && is_bind_at<E, L>) {
    acc.template add<bind_index<E, L>::index>(g);
  } else if constexpr (!Below && is_cached<E>) {
    add_shared_cotangent<L>(e, g, acc);
  } else if constexpr (!Below && is_memo<E>) {
    auto const& m = rule_node(e);
    backward_node<L, true>(e, m, g, m.args, acc);
  } else if constexpr (!cheap<G>() && dependent_args<N, L>() > 1) {
    backward_node<L, true>(e, n, materialize(g), args, acc);
  } else if constexpr (L == 1) {
    using Op = typename N::op_type;
    auto cts = checked_cotangents(
        Op::vjp(n.op, g, prepared(e, e.args),
                prepared(static_cast<flat_slot<I, A> const&>(args).value,
                         static_cast<flat_slot<I, A> const&>(args).value.args)...));
    (backward_node<L, false>(static_cast<flat_slot<I, A> const&>(args).value,
                             static_cast<flat_slot<I, A> const&>(args).value, get<I>(cts),
                             static_cast<flat_slot<I, A> const&>(args).value.args, acc),
     ...);
  } else {
    using Op = typename N::op_type;
    auto cts = checked_cotangents(
        Op::vjp(n.op, g, value_of(e), static_cast<flat_slot<I, A> const&>(args).value...));
    (backward_node<L, false>(static_cast<flat_slot<I, A> const&>(args).value,
                             static_cast<flat_slot<I, A> const&>(args).value, get<I>(cts),
                             static_cast<flat_slot<I, A> const&>(args).value.args, acc),
     ...);
  }
}

template <int L, class E, class Acc>
void pull_shared(void const* node, void const* grad, void* acc) {
  auto const& n = *static_cast<E const*>(node);
  using V = tensor_view<value_t<E>, shape_t<E>, device_t<E>>;
  backward_node<L, true>(n, n, V(static_cast<value_t<E> const*>(grad), n.ext), n.args,
                         *static_cast<Acc*>(acc));
}

/// Adds g to the cotangent of cached node e; its subtree is walked once, after all its uses.
template <int L, class E, class G, class Acc>
void add_shared_cotangent(E const& e, G const& g, Acc& acc) {
  using T = value_t<E>;
  auto& reg = shared_cotangents::local();
  auto* frame = current_frame();
  if (frame == nullptr) {  // not inside a reverse pass: walk at once
    backward_node<L, true>(e, e, materialize(g), e.args, acc);
    return;
  }
  constexpr auto pull = &pull_shared<L, E, Acc>;
  using V = tensor_view<T, shape_t<E>, device_t<E>>;
  auto const n = static_cast<std::size_t>(e.ext.size());
  if (auto* en = reg.find(e.ptr, pull, frame->from)) {
    if (en->done)
      throw std::logic_error("backward: a cotangent reached a node whose pass had already run");
    if (en->borrowed) {
      auto* buf = scratch::take<T>(n);
      evaluate_into(buf, V(static_cast<T const*>(en->grad), e.ext) + g);
      en->grad = buf;
      en->borrowed = false;
    } else {
      accumulate_into(static_cast<T*>(en->grad), g);
    }
    return;
  }
  // A cotangent already in memory (a plain view: a vjp rule's result, the carry's cotangent of
  // a scan step) is read where it is until a second one arrives, not copied: the memory stays
  // unchanged until this pass ends (scratch memory of the pass, or values it only reads). Not
  // a view that owns its memory (shared_view), which may end with g.
  if constexpr (std::is_same_v<G, V>) {
    reg.entries.push_back({e.ptr, &e, const_cast<T*>(g.ptr), pull, height<E>, false, true});
  } else {
    auto* buf = scratch::take<T>(n);
    evaluate_into(buf, g);
    reg.entries.push_back({e.ptr, &e, buf, pull, height<E>, false, false});
  }
}
}  // namespace detail

/// Eager reverse mode over a traced expression: each cotangent that reaches an argument is
/// added to its tensor in acc. Shared cotangents are materialized in scratch memory; a cached
/// node's cotangents are summed over its uses and its subtree walked once (reverse_pass).
/// (Unlike backward, which returns every argument's sum as one expression, this instantiates
/// O(nodes) functions rather than O(nodes x arguments) tuple types: at 16 dense layers it
/// compiles in 21 s and 1.0 GB instead of 32 s and 1.9 GB.)
template <int L, class E, class G, class Acc>
void backward_into(E const& e, G const& g, Acc& acc) {
  detail::backward_node<L, false>(e, e, g, e.args, acc);
}

/// The reverse pass from output e with cotangent g: the walk from e, then the subtrees of the
/// cached nodes it reached, highest first, each once with its summed cotangent (in scratch
/// memory: call it inside a scratch_scope that outlives acc's use of it).
template <int L, class E, class G, class Acc>
void reverse_pass(E const& e, G const& g, Acc& acc) {
  detail::shared_cotangent_frame frame;
  auto* outer = std::exchange(detail::current_frame(), &frame);
  struct restore {
    detail::shared_cotangent_frame* f;
    ~restore() { detail::current_frame() = f; }
  } r{outer};
  backward_into<L>(e, g, acc);
  auto& reg = detail::shared_cotangents::local();
  for (;;) {
    std::size_t best = reg.entries.size();
    for (std::size_t i = frame.from; i < reg.entries.size(); ++i)
      if (!reg.entries[i].done &&
          (best == reg.entries.size() || reg.entries[i].height > reg.entries[best].height))
        best = i;
    if (best == reg.entries.size()) break;
    reg.entries[best].done = true;
    auto en = reg.entries[best];  // a copy: pull may add entries and move the vector
    en.pull(en.node, en.grad, &acc);
  }
}

}  // namespace metagrad
