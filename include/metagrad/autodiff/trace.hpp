// SPDX-License-Identifier: MIT
// What transformations need to know about an expression, and the cached forward pass:
//   - depends_on<E, L>: whether E contains an argument of the transformation at level L;
//   - trace(e): every non-elementwise node computed once and kept as cached<Op, Args...>, which
//     evaluates as a view of its value yet still knows its op and args for derivative rules.
//     Elementwise chains stay symbolic: derivative rules recompute them inside fused loops. A
//     costly elementwise node (exp, tanh, sigmoid, ...) is memoized in those loops, or, for a
//     reverse pass, computed once and kept like a non-elementwise node (costly_nodes).
//     The values it computes can be recorded and replayed (autodiff/residuals.hpp).
#pragma once
#include <algorithm>
#include <vector>

#include "../eval/evaluate.hpp"
#include "../eval/memo.hpp"
#include "../expr/shared.hpp"
#include "../ops/identity.hpp"
#include "residuals.hpp"

namespace metagrad {

/// A computed node: a view of its value that keeps its op and args for derivative rules. The args
/// are in scratch memory beside the value (they live as long as it does: the trace's scratch
/// scope), so a copy is a view and a reference however deep the graph below it. A trace's nodes
/// are copied into every derivative expression that reads them; holding the args by value made
/// each copy one of the whole subtree (a third of the OR-gate step's time was memmove). An
/// aggregate, like node, and read like one: e.args (no constructor, no accessor: each would be one
/// more function per node type, a symbol spelling the subexpression).
template <class Op, class... Args>
struct cached
    : tensor_view<typename node<Op, Args...>::value_type, typename node<Op, Args...>::shape_type,
                  typename node<Op, Args...>::device_type> {
  using view_type =
      tensor_view<typename node<Op, Args...>::value_type, typename node<Op, Args...>::shape_type,
                  typename node<Op, Args...>::device_type>;
  using op_type = Op;
  using args_type = detail::flat_tuple<Args...>;
  [[no_unique_address]] Op op;
  args_type const& args;
};

template <class E>
inline constexpr bool is_cached = false;
template <class Op, class... Args>
inline constexpr bool is_cached<cached<Op, Args...>> = true;

/// Nodes that carry an op and args (plain nodes and cached ones).
template <class E>
inline constexpr bool has_args = is_node<E> || is_cached<E>;

namespace detail {
/// The type of the args of a node or a cached node.
template <class E>
using args_t = std::remove_cvref_t<decltype(std::declval<E const&>().args)>;

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
constexpr bool depends_on_fn();
/// Whether E reads the argument marks of level L. A variable template, so that each type's
/// answer is computed once: a type in which one shared subexpression appears k times per level
/// would otherwise be walked k^depth times.
template <class E, int L>
inline constexpr bool depends_on = depends_on_fn<E, L>();
template <class E, int L>
constexpr bool depends_on_fn() {
  if constexpr (is_bind_at<E, L>)
    return true;
  else if constexpr (is_shared_expr<E>)
    return depends_on<typename E::inner_type, L>;
  else if constexpr (has_args<E>)
    return []<class... A>(detail::flat_tuple<A...> const*) {
      return (depends_on<A, L> || ...);
    }(static_cast<detail::args_t<E> const*>(nullptr));
  else
    return false;
}

/// The highest transformation level bound in E (0 for concrete data).
template <class E>
inline constexpr int level_of = [] {
  if constexpr (is_shared_expr<E>) {
    return level_of<typename E::inner_type>;
  } else if constexpr (has_args<E>) {
    int lv = 0;
    if constexpr (requires { E::op_type::level; }) lv = E::op_type::level;
    return []<class... A>(int base, detail::flat_tuple<A...> const*) {
      return std::max({base, level_of<A>...});
    }(lv, static_cast<detail::args_t<E> const*>(nullptr));
  } else {
    return 0;
  }
}();

namespace detail {
/// Whether two ops' parameters are equal. Conservative: false where it cannot tell (an op with
/// state it cannot compare), which only costs a recomputation.
template <class Op>
bool same_op(Op const& a, Op const& b) {
  if constexpr (std::is_empty_v<Op>)
    return true;
  else if constexpr (requires { bool(a == b); })
    return bool(a == b);
  else if constexpr (std::has_unique_object_representations_v<Op>)
    return std::equal(reinterpret_cast<unsigned char const*>(&a),
                      reinterpret_cast<unsigned char const*>(&a) + sizeof(Op),
                      reinterpret_cast<unsigned char const*>(&b));
  else
    return false;
}

/// Whether two expressions of one type compute the same thing: the same leaves (views of the
/// same memory, equal constants), the same op parameters, the same extents; args are a's args
/// (a.args; a leaf's are none). Conservative: false where it cannot tell, which only costs a
/// recomputation. (One function per node type, taking the args' index pack, and the ops compared
/// by a function of the op's type alone: this is instantiated for every node type of a traced
/// graph, and each function on a node's type is a symbol spelling its subexpression.)
template <class E, std::size_t... I, class... A>
bool same_expression(
    E const& a, E const& b,
    [[maybe_unused]] flat_tuple_base<std::index_sequence<I...>, A...> const& args) {
  if constexpr (view_leaf<E>) {
    return a.ptr == b.ptr && a.ext == b.ext;
  } else if constexpr (is_constant<E>) {
    return a.value == b.value && a.ext == b.ext;
  } else if constexpr (is_zero<E>) {
    return a.ext == b.ext;
  } else if constexpr (is_shared_expr<E>) {
    return a.key() == b.key() || same_expression(a.inner(), b.inner(), a.inner().args);
  } else if constexpr (has_args<E>) {
    return same_op(a.op, b.op) && a.ext == b.ext &&
           (same_expression(static_cast<flat_slot<I, A> const&>(args).value,
                            static_cast<flat_slot<I, A> const&>(b.args).value,
                            static_cast<flat_slot<I, A> const&>(args).value.args) &&
            ...);
  } else {
    return false;
  }
}

/// The values one trace has computed, by the expression they came from. Expressions are trees of
/// values, so a subexpression used twice (the logits that cross_entropy reads through
/// logsumexp, the label pick and the smoothing sum) is two equal copies; a copy equal to an
/// earlier one (same_expression) gets the earlier value instead of being computed again, and as
/// the two cached nodes then share their value, the reverse pass sums their cotangents and walks
/// below them once. Per thread; a trace stacks its entries on top of an enclosing one's.
struct trace_values {
  struct entry {
    void (*type)();    // the expression's type: its same_expression (see trace_node)
    void const* expr;  // the expression: a node of the tree being traced, alive while it is
    void const* value;
  };
  std::vector<entry> entries;
  std::size_t from = 0;  // the current trace's first entry

  static trace_values& local() {
    thread_local trace_values s;
    return s;
  }
};

/// What a pass has made of each shared expression it met (autodiff keeps one result per
/// shared_expr: its trace, its tangent), so that its copies get that result instead of being
/// walked again: a graph that reuses values at every layer would otherwise be walked
/// exponentially often. Keyed by the shared block and the kind of result (its type and the
/// pass's Kind). Results live in pooled blocks until their frame ends. Per thread; a pass nested
/// in another stacks its entries on top.
struct shared_results {
  struct entry {
    void const* key;
    void (*type)();
    void* result;
    void (*destroy)(void*);
  };
  std::vector<entry> entries;
  std::size_t from = 0;  // the current frame's first entry
  bool open = false;     // whether a frame is open (results are only kept inside one)

  static shared_results& local() {
    thread_local shared_results s;
    return s;
  }
  template <class R, class Kind>
  static void type_tag() {}

  template <class R, class Kind>
  R const* find(void const* key) const {
    for (std::size_t i = from; i < entries.size(); ++i)
      if (entries[i].key == key && entries[i].type == &type_tag<R, Kind>)
        return static_cast<R const*>(entries[i].result);
    return nullptr;
  }
  template <class R, class Kind>
  void add(void const* key, R const& r) {
    void* p = block_cache::allocate(sizeof(R));
    new (p) R(r);
    entries.push_back({key, &type_tag<R, Kind>, p, [](void* q) {
                         static_cast<R*>(q)->~R();
                         block_cache::deallocate(q, sizeof(R));
                       }});
  }
  /// make()'s result for the shared block `key`, made once per frame and Kind (every time when
  /// no frame is open).
  template <class Kind, class F>
  static auto once(void const* key, F&& make) {
    using R = decltype(make());
    auto& self = local();
    if (!self.open) return make();
    if (auto const* r = self.find<R, Kind>(key)) return *r;
    R r = make();
    self.add<R, Kind>(key, r);
    return r;
  }
};

/// One pass's frame in shared_results: its results are dropped (their copies in the
/// expressions the pass built keep what they need) when the pass ends.
struct shared_results_frame {
  std::size_t outer_from, size;
  bool outer_open;
  shared_results_frame()
      : outer_from(shared_results::local().from),
        size(shared_results::local().entries.size()),
        outer_open(shared_results::local().open) {
    shared_results::local().from = size;
    shared_results::local().open = true;
  }
  shared_results_frame(shared_results_frame const&) = delete;
  shared_results_frame& operator=(shared_results_frame const&) = delete;
  ~shared_results_frame() {
    auto& r = shared_results::local();
    for (std::size_t i = size; i < r.entries.size(); ++i) r.entries[i].destroy(r.entries[i].result);
    r.entries.resize(size);
    r.from = outer_from;
    r.open = outer_open;
  }
};

/// One trace's frame in trace_values.
struct trace_frame {
  std::size_t outer_from, size;
  trace_frame()
      : outer_from(trace_values::local().from), size(trace_values::local().entries.size()) {
    trace_values::local().from = size;
  }
  trace_frame(trace_frame const&) = delete;
  trace_frame& operator=(trace_frame const&) = delete;
  ~trace_frame() {
    trace_values::local().entries.resize(size);
    trace_values::local().from = outer_from;
  }
};

/// What a trace makes of a costly elementwise node (exp, tanh, sigmoid, ...: memo.hpp's
/// costly_op):
///   - fuse: a memo, computed once per chunk of each fused loop that reads it and never stored
///     whole: for one evaluation (eval's forward pass; value_and_grad's one-pass sum, whose
///     cotangents are computed in the same loop);
///   - keep: computed once into scratch and kept as a cached node, like a non-elementwise one:
///     for a reverse pass, whose cotangents are evaluated one by one and would each compute the
///     memo again (an LSTM step's gates were computed 3-4 times; a scan's recording keeps them).
enum class costly_nodes { fuse, keep };

template <costly_nodes P, class E, std::size_t... I, class... A>
auto trace_node(E const& e, flat_tuple_base<std::index_sequence<I...>, A...> const& args);
/// The type trace_node makes of an expression of type E.
template <costly_nodes P, class E>
using traced_t = decltype(trace_node<P>(std::declval<E const&>(), std::declval<E const&>().args));

/// A traced shared expression's value, computed once: a leaf (a cached node among them) or an
/// identity-valued node (an argument's mark) stays as it is, an elementwise node becomes a
/// cached one.
template <class X>
auto computed_once(X const& t) {
  if constexpr (is_leaf<X>) {
    return t;
  } else if constexpr (identity_valued<typename X::op_type>) {
    return t;
  } else {
    return unpack(t.args, [&]<class... A>(A const&...) {
      return cached<typename X::op_type, A...>{traced_value(t), t.op,
                                               *detail::scratch::make<flat_tuple<A...>>(t.args)};
    });
  }
}

template <costly_nodes P>
struct trace_kind {};

/// e traced, whose args are args (e.args; a leaf's are none): a leaf or a cached node as it is,
/// a shared expression's value computed once per trace, a node over its traced args as a node or
/// a computed one (see trace). One function per node, taking the args' index pack, and no
/// lambdas over it: each function on a node's type is a symbol spelling its whole subexpression,
/// which g++ mangles at a cost that grows faster than the symbol's length.
template <costly_nodes P, class E, std::size_t... I, class... A>
auto trace_node(E const& e,
                [[maybe_unused]] flat_tuple_base<std::index_sequence<I...>, A...> const& args) {
  if constexpr (is_shared_expr<E>) {
    return shared_results::once<trace_kind<P>>(e.key(), [&] {
      auto once = computed_once(trace_node<P>(e.inner(), e.inner().args));
      return shared_expr<decltype(once)>(std::move(once));
    });
  } else if constexpr (!has_args<E> || is_cached<E>) {
    return e;
  } else {
    using Op = typename E::op_type;
    using N = node<Op, traced_t<P, A>...>;
    N n{{},
        extents_member<shape_t<E>>(e.ext),
        e.op,
        {{{trace_node<P>(static_cast<flat_slot<I, A> const&>(args).value,
                         static_cast<flat_slot<I, A> const&>(args).value.args)}...}}};
    if constexpr (is_elementwise_op<Op> && !(P == costly_nodes::keep && detail::costly_op<Op>)) {
      if constexpr (detail::costly_op<Op>)
        return detail::memoize(n);
      else
        return n;
    } else {
      using C = cached<Op, traced_t<P, A>...>;
      using V = typename C::view_type;
      using T = typename C::args_type;
      // The args beside the value, in scratch memory (made in place where nothing needs
      // destroying: scratch::make would be two more functions on the args' type).
      T const* held;
      if constexpr (std::is_trivially_destructible_v<T>)
        held = new (scratch::take<std::byte>(sizeof(T))) T(n.args);
      else
        held = scratch::make<T>(n.args);
      // An equal expression traced before has the value (trace_values). Its type is told by its
      // same_expression, a function this needs anyway (a tag function of its own would be one
      // more symbol spelling the subexpression).
      bool (*const same)(E const&, E const&, decltype(args) const&) = &same_expression;
      auto const type = reinterpret_cast<void (*)()>(same);
      auto& seen = trace_values::local();
      for (std::size_t i = seen.from; i < seen.entries.size(); ++i)
        if (seen.entries[i].type == type &&
            same(e, *static_cast<E const*>(seen.entries[i].expr), args))
          return C{V(static_cast<value_t<C> const*>(seen.entries[i].value), e.ext), e.op, *held};
      auto value = traced_value(n);
      seen.entries.push_back({type, &e, value.ptr});
      return C{value, e.op, *held};
    }
  }
}
}  // namespace detail

/// The expression with every non-elementwise node computed once (see the file comment), and
/// its costly elementwise nodes memoized or kept as P says; equal copies of a subexpression
/// share one value (detail::trace_values). The values, and the cached nodes' args, are in
/// scratch memory: keep the result inside the caller's scratch_scope.
template <detail::costly_nodes P = detail::costly_nodes::fuse, class E>
auto trace(E const& e) {
  detail::trace_frame frame;
  detail::shared_results_frame shared;
  return detail::trace_node<P>(e, e.args);
}

/// Computes e into dst with every distinct non-elementwise subexpression computed once (what
/// eval and eval_into do): the trace's values live in a scratch scope until e is written.
template <class E>
void evaluate_shared(value_t<E>* dst, E const& e) {
  detail::scratch_scope scope;
  auto traced = trace(e);
  evaluate_into(dst, traced);
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
    return detail::get<0>(e.args);
  else
    return e;
}

}  // namespace metagrad
