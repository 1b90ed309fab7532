// SPDX-License-Identifier: MIT
// scan<Cell>(h0, xs, p...): a recurrence over the leading (time) axis of xs,
//   h_t = Cell{}(h_{t-1}, xs[t], p...),   h0 (B,C), xs (T,B,D) => ys (T,B,C), ys[t] = h_t,
// with T static or dyn. The cell is a stateless type whose operator() builds one step's
// expression from the carry, the step's input and the parameters (nn/recurrent.hpp's rnn, lstm
// and gru cells); the final carry is ys[T-1]. The scan is one node whatever T is: compile time does
// not grow with T, as the body is instantiated once, for one step.
//   - forward: a loop over t, each step's expression traced (its shared subexpressions, such as
//     an LSTM's gate pre-activations that four slices read, computed once) and evaluated into
//     ys[t]; it reads h_{t-1} from ys[t-1]. The parameters are registered as invariant memory
//     for the sweep (eval/invariant.hpp): the cpu GEMM packs a transposed W_hh once, not per step.
//   - jvp: a forward sweep of the cell's jvp (scan_tangent_op): dh_t = d Cell(h_{t-1}, x_t, p)
//   along
//     (dh_{t-1}, dx_t, dp), dh_0 = dh0.
//   - vjp: one reverse sweep, run when the reverse pass reaches the scan, computes the cotangents
//   of
//     every argument at once into one flat scratch buffer [h0 | xs | p...]; each argument's
//     cotangent is a view of its slice, so the sweep runs once, not once per argument. Step t
//     traces the cell at (h_{t-1}, x_t, p) and runs the library's own reverse pass on it with
//     cotangent gh_t = ys's cotangent at t plus what step t+1 sent back to h_t. Inside grad,
//     value_and_grad or a vjp's pullback, the forward recorded each step's values (its matrix
//     products, the gates: autodiff/residuals.hpp) and that trace takes them instead of computing
//     them again; elsewhere (or if a step's trace does not match its recording) it recomputes.
//     A parameter's cotangents of the form A_tᵀ B_t (a recurrent weight's: the gates' cotangent
//     times the carry) are stacked over the steps and summed as one GEMM after the sweep
//     (scan_stacks), whose depth T·B the threads can split.
// Higher-order derivatives through scan (grad of grad, jvp of grad, grad of jvp) are not supported:
// they fail with a static_assert that says so.
// Memory: the sweeps make no heap allocation after the first call (an LSTM training step is
// tested: tests/eval/allocation.cpp): their buffers (the cotangents, two carry buffers for the
// reverse sweep, each step's intermediates) are scratch memory, reused from step to step, the
// recorded values live in the residual arena, and trace's, reverse_pass's and the residuals'
// per-thread registries are std::vectors that keep their capacity. Kernel: the loops are written
// over evaluate_into, so one definition serves every device on which the cell's ops have kernels.
#pragma once
#include <algorithm>
#include <tuple>
#include <utility>

#include "../config.hpp"

#include "../autodiff/backward.hpp"
#include "../autodiff/forward.hpp"
#include "../autodiff/trace.hpp"
#include "../eval/invariant.hpp"
#include "add.hpp"
#include "matmul.hpp"

namespace metagrad {

/// Named in the diagnostics of scan's static checks.
template <class H0>
struct scan_carry_not_rank_2 {
  static constexpr bool value = false;
};
template <class XS>
struct scan_sequence_not_rank_3 {
  static constexpr bool value = false;
};
template <class H0, class XS>
struct scan_batch_differs {
  static constexpr bool value = false;
};
template <class Cell, class Carry, class NewCarry>
struct scan_cell_changes_carry_shape {
  static constexpr bool value = false;
};

namespace detail {
/// One step's input xs[t]: (B, D) of xs (T, B, D).
template <class XS>
using scan_step_shape = shape<XS::dims[1], XS::dims[2]>;

template <class A, class B>
consteval bool same_dims_or_dyn() {
  if constexpr (A::rank != B::rank) {
    return false;
  } else {
    for (std::size_t i = 0; i < A::rank; ++i)
      if (A::dims[i] != dyn && B::dims[i] != dyn && A::dims[i] != B::dims[i]) return false;
    return true;
  }
}

template <class T, class D, int L, std::size_t K, class S>
auto scan_bind(T const* p, extents<S::rank> const& e) {
  return make_node(bind_op<L, K>{}, tensor_view<T, S, D>(p, e));
}

/// The cell at step t with its arguments marked bind<1, K>: K = 0 the carry, 1 the input, 2 + k
/// parameter k (the inner transformation's own level; the step reads only views).
template <class Cell, class HV, class XV, class... PV, std::size_t... I>
auto scan_marked_cell(HV const& h, XV const& x, std::tuple<PV const&...> const& p,
                      std::index_sequence<I...>) {
  return Cell{}(make_node(bind_op<1, 0>{}, h), make_node(bind_op<1, 1>{}, x),
                make_node(bind_op<1, 2 + I>{}, std::get<I>(p))...);
}

/// Whether a parameter's cotangent from one step is a product over the step's batch, A_tᵀ B_t
/// with A_t (B, M) and B_t (B, N) (a recurrent weight's: the gates' cotangent times the carry).
template <class G>
inline constexpr bool scan_stackable = false;
template <class A, class B>
inline constexpr bool scan_stackable<node<matmul_op<true, false>, A, B>> =
    shape_t<A>::rank == 2 && shape_t<B>::rank == 2;

/// Memory of the stacked products' operands: taken at the sweep's start and handed back at its
/// end (a scan nested in a step takes and returns its own above it).
using scan_stack_arena = arena<struct scan_stack_tag>;

/// The sum over the steps of each stackable parameter cotangent, sum_t A_tᵀ B_t, computed as one
/// product of the stacked operands after the sweep: [A_0; ...; A_T-1]ᵀ [B_0; ...; B_T-1]. Per
/// step that was a GEMM of depth B (an LSTM's W_hh: (256,16) x (16,64), 262k multiply-adds, too
/// small for a second thread); stacked, its depth is T·B (8.4M multiply-adds at T = 32), which
/// the threads split, as a hand-written LSTM's backward does.
template <class T, std::size_t NP>
struct scan_stacks {
  struct slot {
    T* a = nullptr;  // (steps·rows, m), step t's rows at t·rows
    T* b = nullptr;  // (steps·rows, n)
    index_t rows = 0, m = 0, n = 0;
    index_t last = -1;  // the step that wrote last
  };
  std::array<slot, NP ? NP : 1> slots{};
  index_t steps = 0, t = 0;

  /// Step t's A_t and B_t into slot P's stacks; false (nothing taken: the caller adds the
  /// product itself) when the slot already holds this step's (the parameter is read twice by the
  /// cell) or the extents differ from the earlier steps'.
  template <std::size_t P, class A, class B>
  bool put(A const& a, B const& b) {
    auto& s = slots[P];
    if (s.a == nullptr) {
      s.rows = a.ext[0], s.m = a.ext[1], s.n = b.ext[1];
      s.a = scan_stack_arena::take<T>(static_cast<std::size_t>(steps * s.rows * s.m));
      s.b = scan_stack_arena::take<T>(static_cast<std::size_t>(steps * s.rows * s.n));
      for (index_t u = t + 1; u < steps; ++u) zero(s, u);  // steps that sent nothing
    } else if (s.last == t || a.ext[0] != s.rows || a.ext[1] != s.m || b.ext[1] != s.n) {
      return false;
    }
    evaluate_into(s.a + t * s.rows * s.m, a);
    evaluate_into(s.b + t * s.rows * s.n, b);
    s.last = t;
    return true;
  }
  /// After step t: zero rows for the slots the step sent nothing to.
  void end_step() {
    for (auto& s : slots)
      if (s.a != nullptr && s.last != t) zero(s, t);
  }
  static void zero(slot& s, index_t u) {
    std::fill_n(s.a + u * s.rows * s.m, s.rows * s.m, T(0));
    std::fill_n(s.b + u * s.rows * s.n, s.rows * s.n, T(0));
  }
  /// Adds each slot's stacked product into its parameter's cotangent at dst[P].
  template <class D>
  void finish(std::array<T*, NP ? NP : 1> const& dst) const {
    using M = tensor_view<T, shape<dyn, dyn>, D>;
    for (std::size_t p = 0; p < NP; ++p) {
      auto const& s = slots[p];
      if (s.a == nullptr) continue;
      index_t const k = steps * s.rows;
      accumulate_into(dst[p],
                      make_node(matmul_op<true, false>{}, M(s.a, {{k, s.m}}), M(s.b, {{k, s.n}})));
    }
  }
};

/// Cotangents of one step's arguments, added into memory the sweep owns (views' pointers); a
/// parameter's stackable ones (scan_stackable) go to the sweep's stacks instead.
template <class Stacks, class... V>
struct scan_step_cotangents {
  std::tuple<V...> dst;
  Stacks* stacks;
  std::array<bool, sizeof...(V)> written{};

  template <std::size_t K, class G>
  void add(G const& g) {
    if constexpr (K >= 2 && scan_stackable<G>)
      if (stacks->template put<K - 2>(get<0>(g.args), get<1>(g.args))) return;
    auto const& v = std::get<K>(dst);
    auto* p = const_cast<value_t<std::tuple_element_t<K, std::tuple<V...>>>*>(v.ptr);
    if (written[K])
      accumulate_into(p, g);
    else
      evaluate_into(p, g), written[K] = true;
  }
};

/// One step's trace, the same in both sweeps (the reverse sweep replays the forward's
/// recording): costly elementwise values kept, so the recording holds the gates too.
template <class E>
auto trace_step(E const& e) {
  return trace<costly_nodes::keep>(e);
}

/// The traced expression of one step, as both sweeps build it (a residual recording's type).
template <class Cell, class HV, class XV, class... PV>
using scan_traced_step = decltype(trace_step(scan_marked_cell<Cell>(
    std::declval<HV const&>(), std::declval<XV const&>(), std::declval<std::tuple<PV const&...>>(),
    std::index_sequence_for<PV...>{})));

template <class Cell, class T, class H0, class XS, class... P>
void scan_forward(T* dst, H0 const& h0, XS const& xs, P const&... p) {
  using HS = shape_t<H0>;
  using D = device_t<H0>;
  using HV = tensor_view<T, HS, D>;
  using XV = tensor_view<T, scan_step_shape<shape_t<XS>>, D>;
  index_t steps = xs.ext[0], b = xs.ext[1], d = xs.ext[2], bc = h0.ext.size();
  std::tuple<P const&...> params{p...};
  // Inside a reverse-mode transformation, each step's values are kept for the reverse sweep.
  residual_recorder<scan_traced_step<Cell, HV, XV, P...>> saved(dst,
                                                                static_cast<std::size_t>(steps));
  // No step writes the parameters: kernels may keep work derived from them across the steps.
  invariant_scope invariant(p...);
  for (index_t t = 0; t < steps; ++t) {
    scratch_scope scope;
    HV h(t == 0 ? h0.ptr : dst + (t - 1) * bc, h0.ext);
    XV x(xs.ptr + t * b * d, extents<2>{{b, d}});
    auto step = scan_marked_cell<Cell>(h, x, params, std::index_sequence_for<P...>{});
    if (step.ext != h0.ext)
      throw_shape_error("scan: the cell's new carry differs in extents from the carry", step.ext,
                        " vs ", h0.ext);
    evaluate_into(dst + t * bc, saved.step([&] { return trace_step(step); }));
  }
}

/// The tangent sweep over the args of scan_tangent_op: y, h0, xs, p..., dh0, dxs, dp...
template <class Cell, class T, class Args, std::size_t... I>
void scan_tangent_sweep(T* dst, Args const& a, std::index_sequence<I...> is) {
  constexpr std::size_t np = sizeof...(I);
  auto const& y = std::get<0>(a);
  auto const& h0 = std::get<1>(a);
  auto const& xs = std::get<2>(a);
  auto const& dh0 = std::get<3 + np>(a);
  auto const& dxs = std::get<4 + np>(a);
  using HV = tensor_view<T, shape_t<std::remove_cvref_t<decltype(h0)>>,
                         device_t<std::remove_cvref_t<decltype(h0)>>>;
  using XV = tensor_view<T, scan_step_shape<shape_t<std::remove_cvref_t<decltype(xs)>>>,
                         device_t<std::remove_cvref_t<decltype(h0)>>>;
  index_t steps = xs.ext[0], b = xs.ext[1], d = xs.ext[2], bc = h0.ext.size();
  std::tuple<std::tuple_element_t<3 + I, Args> const&...> params{std::get<3 + I>(a)...};
  invariant_scope invariant(std::get<3 + I>(a)...);  // as in scan_forward
  for (index_t t = 0; t < steps; ++t) {
    scratch_scope scope;
    HV h(t == 0 ? h0.ptr : y.ptr + (t - 1) * bc, h0.ext);
    HV dh(t == 0 ? dh0.ptr : dst + (t - 1) * bc, h0.ext);
    XV x(xs.ptr + t * b * d, extents<2>{{b, d}}), dx(dxs.ptr + t * b * d, extents<2>{{b, d}});
    auto traced = trace(scan_marked_cell<Cell>(h, x, params, is));
    // A frame per step: a shared node of the cell (lstm's gates) gets this step's tangent, not
    // the one an earlier step's node left under the same key (its memory is reused).
    shared_results_frame tangents_once;
    evaluate_into(dst + t * bc, tangent<1>(traced, std::tuple{dh, dx, std::get<5 + np + I>(a)...}));
  }
}

/// The reverse sweep: every argument's cotangent in one flat scratch buffer [h0 | xs | p...].
template <class Cell, class G, class Y, class H0, class XS, class... P, std::size_t... I>
auto scan_reverse_sweep(G const& g, Y const& y, H0 const& h0, XS const& xs,
                        std::tuple<P const&...> const& p, std::index_sequence<I...> is) {
  using T = value_t<Y>;
  using D = device_t<Y>;
  using HV = tensor_view<T, shape_t<H0>, D>;
  using XV = tensor_view<T, scan_step_shape<shape_t<XS>>, D>;
  index_t steps = xs.ext[0], b = xs.ext[1], d = xs.ext[2], bc = h0.ext.size();
  std::array<index_t, sizeof...(P) + 1> offset{};
  offset[0] = bc + xs.ext.size();
  ((offset[I + 1] = offset[I] + std::get<I>(p).ext.size()), ...);
  T* out = scratch::take<T>(static_cast<std::size_t>(offset[sizeof...(P)]));
  std::fill(out + offset[0], out + offset[sizeof...(P)], T(0));  // summed over the steps
  if (steps == 0) {
    std::fill_n(out, bc, T(0));
    return out;
  }
  T* cur = scratch::take<T>(static_cast<std::size_t>(bc));
  T* next = scratch::take<T>(static_cast<std::size_t>(bc));
  arena_scope<scan_stack_arena> stack_memory;
  scan_stacks<T, sizeof...(P)> stacks;
  stacks.steps = steps;
  // The forward's values of each step, when it recorded them (inside this transformation).
  residuals::recording saved{};
  bool replay = residuals::local().find(
      y.ptr, &residuals::type_tag<scan_traced_step<Cell, HV, XV, tensor_view<T, shape_t<P>, D>...>>,
      static_cast<std::size_t>(steps), saved);
  std::copy_n(g.ptr + (steps - 1) * bc, bc, cur);
  for (index_t t = steps - 1; t >= 0; --t) {
    {
      scratch_scope scope;
      HV h(t == 0 ? h0.ptr : y.ptr + (t - 1) * bc, h0.ext);
      XV x(xs.ptr + t * b * d, extents<2>{{b, d}});
      auto marked = scan_marked_cell<Cell>(h, x, p, is);
      auto traced = [&] {
        if (replay)
          return replay_step(saved, static_cast<std::size_t>(t),
                             [&] { return trace_step(marked); });
        return trace_step(marked);
      }();
      T* gh = t == 0 ? out : next;
      stacks.t = t;
      scan_step_cotangents<scan_stacks<T, sizeof...(P)>, HV, XV, tensor_view<T, shape_t<P>, D>...>
          acc{{HV(gh, h0.ext), XV(out + bc + t * b * d, extents<2>{{b, d}}),
               tensor_view<T, shape_t<P>, D>(out + offset[I], std::get<I>(p).ext)...},
              &stacks};
      for (std::size_t k = 2; k < acc.written.size(); ++k) acc.written[k] = true;
      reverse_pass<1>(traced, HV(cur, h0.ext), acc);
      stacks.end_step();
      if (!acc.written[0]) std::fill_n(gh, bc, T(0));
      if (!acc.written[1]) std::fill_n(out + bc + t * b * d, b * d, T(0));
    }
    if (t > 0) evaluate_into(cur, HV(next, h0.ext) + HV(g.ptr + (t - 1) * bc, h0.ext));
  }
  stacks.template finish<D>({out + offset[I]...});
  return out;
}

template <class Cell, class... Args>
constexpr bool scan_higher_order_unsupported() {
  static_assert(always_false<Cell, Args...>,
                "scan: higher-order derivatives through scan (grad of grad, jvp of grad, grad of "
                "jvp) are not supported; its first-order vjp and jvp are");
  return false;
}
}  // namespace detail

/// The tangent of scan's ys: args y, h0, xs, p..., dh0, dxs, dp... => (T,B,C) like y.
template <class Cell>
struct scan_tangent_op {
  static constexpr char const* name = "scan_tangent";
  template <class Y, class... R>
  using result_shape = Y;
  template <class Y, class... R>
  extents<Y::rank> result_extents(extents<Y::rank> const& y, auto const&...) const {
    return y;
  }
  template <class... A>
  static auto jvp(scan_tangent_op, A const&...) {
    static_assert(detail::scan_higher_order_unsupported<Cell, A...>());
  }
  template <class... A>
  static auto vjp(scan_tangent_op, A const&...) {
    static_assert(detail::scan_higher_order_unsupported<Cell, A...>());
  }
};

template <class Cell>
struct scan_op {
  static constexpr char const* name = "scan";

  template <class H0, class XS, class... P>
  using result_shape = shape<XS::dims[0], H0::dims[0], H0::dims[1]>;
  template <class H0, class XS, class... P>
  extents<3> result_extents(extents<2> const& h0, extents<3> const& xs, auto const&...) const {
    if (xs[1] != h0[0])
      detail::throw_shape_error("scan: the sequence's batch (T,B,D) differs from the carry's (B,C)",
                                xs, " with carry ", h0);
    return {{xs[0], h0[0], h0[1]}};
  }

  static auto jvp(scan_op, auto const& y, auto const&... rest) {
    return make_node(scan_tangent_op<Cell>{}, y, rest...);
  }
  template <class G, class Y, class H0, class XS, class... P>
  static auto vjp(scan_op, G const& g, Y const& y, H0 const& h0, XS const& xs, P const&... p) {
    if constexpr (!view_leaf<Y>) {
      // The symbolic reverse pass (backward, inside another transformation).
      static_assert(detail::scan_higher_order_unsupported<Cell, G>());
    } else {
      using T = value_t<Y>;
      using D = device_t<Y>;
      auto hm = materialize(h0);
      auto xm = materialize(xs);
      auto gm = materialize(g);
      auto pm = std::tuple{materialize(p)...};
      return [&]<std::size_t... I>(std::index_sequence<I...> is) {
        T const* out = detail::scan_reverse_sweep<Cell>(
            gm, y, hm, xm, std::tuple<decltype(materialize(p)) const&...>{std::get<I>(pm)...}, is);
        std::array<index_t, sizeof...(P) + 1> offset{};
        offset[0] = h0.ext.size() + xs.ext.size();
        ((offset[I + 1] = offset[I] + p.ext.size()), ...);
        return detail::make_flat_tuple(tensor_view<T, shape_t<H0>, D>(out, h0.ext),
                                       tensor_view<T, shape_t<XS>, D>(out + h0.ext.size(), xs.ext),
                                       tensor_view<T, shape_t<P>, D>(out + offset[I], p.ext)...);
      }
      (std::index_sequence_for<P...>{});
    }
  }
};

/// scan's forward on any device: the loop of evaluate_into over the cell's steps.
template <class Cell, class Device>
struct kernel<scan_op<Cell>, Device> {
  template <class T, class H0, class XS, class... P>
  static void run(scan_op<Cell>, T* dst, extents<3> const&, H0 const& h0, XS const& xs,
                  P const&... p) {
    detail::scan_forward<Cell>(dst, h0, xs, p...);
  }
};
template <class Cell, class Device>
struct kernel<scan_tangent_op<Cell>, Device> {
  template <class T, class... A>
  static void run(scan_tangent_op<Cell>, T* dst, extents<3> const&, A const&... a) {
    constexpr std::size_t np = (sizeof...(A) - 1) / 2 - 2;
    detail::scan_tangent_sweep<Cell>(dst, std::tuple<A const&...>{a...},
                                     std::make_index_sequence<np>{});
  }
};

/// scan's static checks: H0 = (B,C), XS = (T,B,D), the cell's new carry shaped like H0.
template <class Cell, class T, class D, class H0, class XS, class... P>
consteval bool check_scan() {
  static_assert(H0::rank == 2 || scan_carry_not_rank_2<H0>::value,
                "scan: the initial carry must have rank 2: (B, C)");
  static_assert(XS::rank == 3 || scan_sequence_not_rank_3<XS>::value,
                "scan: the sequence must have rank 3, time first: (T, B, D)");
  if constexpr (H0::rank == 2 && XS::rank == 3) {
    static_assert(H0::dims[0] == dyn || XS::dims[1] == dyn || H0::dims[0] == XS::dims[1] ||
                      scan_batch_differs<H0, XS>::value,
                  "scan: the sequence's batch (T, B, D) differs from the carry's (B, C)");
    using Out =
        shape_t<decltype(Cell{}(std::declval<tensor_view<T, H0, D>>(),
                                std::declval<tensor_view<T, detail::scan_step_shape<XS>, D>>(),
                                std::declval<tensor_view<T, P, D>>()...))>;
    static_assert(
        detail::same_dims_or_dyn<H0, Out>() || scan_cell_changes_carry_shape<Cell, H0, Out>::value,
        "scan: the cell's new carry differs in shape from the carry it is given");
  }
  return true;
}

/// ys[t] = h_t = Cell{}(h_{t-1}, xs[t], p...) for t < T, from h_{-1} = h0:
/// h0 (B,C), xs (T,B,D) => ys (T,B,C); T may be dyn. The final carry is ys[T-1].
template <class Cell, expression_like H0, expression_like XS, expression_like... P>
auto scan(H0 const& h0, XS const& xs, P const&... p) {
  auto he = as_expr(h0);
  auto xe = as_expr(xs);
  using HE = decltype(he);
  static_assert(check_scan<Cell, value_t<HE>, device_t<HE>, shape_t<HE>, shape_t<decltype(xe)>,
                           shape_t<expr_t<P>>...>());
  if constexpr (shape_t<HE>::rank == 2 && shape_t<decltype(xe)>::rank == 3)
    return make_node(scan_op<Cell>{}, he, xe, as_expr(p)...);
}

}  // namespace metagrad
