// SPDX-License-Identifier: MIT
// The fused elementwise loop on cpu. A prepared tree (elementwise ops over leaves) is computed one
// SIMD packet at a time over each inner block, by each op's packet form (packet_ops.hpp). The block
// is the longest run of trailing axes over which every leaf is either contiguous or constant
// (broadcast) - decided at compile time from the shapes, since only static 1s broadcast. Outer axes
// are walked with per-leaf strides (0 on broadcast axes). e.g. (B,N) + (N): blocks of N, B of them.
#pragma once
#include <array>
#include <tuple>

#include "../../eval/evaluate.hpp"
#include "../../eval/memo.hpp"
#include "../../ops/max.hpp"
#include "../../ops/sum.hpp"
#include "packet_ops.hpp"
#include "threads.hpp"

#include "packet_warnings_off.hpp"

namespace metagrad::cpu {
namespace detail {

template <class E>
struct leaf_types {
  using type = std::tuple<E>;
};
template <class Op, class... A>
struct leaf_types<node<Op, A...>> {
  using type = decltype(std::tuple_cat(std::declval<typename leaf_types<A>::type>()...));
};

template <class E>
inline constexpr std::size_t leaf_count = std::tuple_size_v<typename leaf_types<E>::type>;

/// For each axis of Out: is this leaf broadcast (read with stride 0) along it?
template <class Out, class L>
constexpr std::array<bool, Out::rank> broadcast_mask() {
  std::array<bool, Out::rank> m{};
  constexpr std::size_t r = shape_t<L>::rank, R = Out::rank;
  for (std::size_t d = 0; d < R; ++d) {
    if constexpr (!view_leaf<L>) {
      m[d] = true;  // constant or zero: one value everywhere
    } else {
      if (d + r < R)
        m[d] = Out::dims[d] != 1;
      else
        m[d] = shape_t<L>::dims[d + r - R] == 1 && Out::dims[d] != 1;
    }
  }
  return m;
}

template <class Out, class Leaves>
struct block_plan;
template <class Out, class... L>
struct block_plan<Out, std::tuple<L...>> {
  static constexpr std::size_t R = Out::rank, N = sizeof...(L);
  static constexpr std::array<std::array<bool, R>, N> masks{broadcast_mask<Out, L>()...};

  /// Whether leaf l is constant over the inner block (else contiguous).
  static constexpr std::array<bool, N> inner_broadcast = [] {
    std::array<bool, N> b{};
    for (std::size_t l = 0; l < N; ++l)
      for (std::size_t d = R; d-- > 0;)
        if (Out::dims[d] != 1) {
          b[l] = masks[l][d];
          break;
        }
    return b;
  }();

  /// First axis of the inner block.
  static constexpr std::size_t inner_start = [] {
    std::size_t k = R;
    for (std::size_t d = R; d-- > 0;) {
      if (Out::dims[d] != 1)
        for (std::size_t l = 0; l < N; ++l)
          if (masks[l][d] != inner_broadcast[l]) return k;
      k = d;
    }
    return k;
  }();

  /// The inner block's length when static and small (loops over it then unroll), else
  /// Eigen::Dynamic.
  static constexpr Eigen::Index inner_size = [] {
    index_t n = 1;
    for (std::size_t d = inner_start; d < R; ++d) {
      if (Out::dims[d] == dyn) return Eigen::Index(Eigen::Dynamic);
      n *= Out::dims[d];
    }
    return n <= 64 ? Eigen::Index(n) : Eigen::Index(Eigen::Dynamic);
  }();
};

/// Whether tree E (value type T) can be computed on packets: Eigen has packets of T, every op
/// has a packet form for T, every leaf holds T.
template <class T, class E>
constexpr bool tree_vectorizes() {
  if constexpr (!ei::packet_traits<T>::Vectorizable) {
    return false;
  } else if constexpr (is_leaf<E> || is_memo<E>) {
    return std::is_same_v<value_t<E>, T>;
  } else {
    return packet_op<typename E::op_type>::template vectorizes<T> &&
           []<class... A>(metagrad::detail::flat_tuple<A...> const*) {
             return (tree_vectorizes<T, A>() && ...);
           }(static_cast<decltype(E::args) const*>(nullptr));
  }
}

/// The lanes tree E is computed in: packets of its value type, or single values.
template <class E>
using lanes_t =
    std::conditional_t<tree_vectorizes<value_t<E>, E>(), packet_t<value_t<E>>, value_t<E>>;

/// Values per lane of V.
template <class V>
inline constexpr index_t lane_width = ei::unpacket_traits<V>::size;

/// The chunk's length: a constant when the plan's inner block is static (then loops unroll).
template <class Plan, class Ctx>
index_t chunk_length(Ctx const& c) {
  if constexpr (Plan::inner_size != Eigen::Dynamic)
    return Plan::inner_size;
  else
    return c.n;
}

template <class E>
constexpr bool has_memo() {
  if constexpr (is_memo<E>)
    return true;
  else if constexpr (is_node<E>)
    return []<class... A>(metagrad::detail::flat_tuple<A...> const*) {
      return (has_memo<A>() || ...);
    }(static_cast<decltype(E::args) const*>(nullptr));
  else
    return false;
}

template <std::size_t I, class Plan, class E, class Ctx>
void fill(value_t<E>* out, E const& e, Ctx const& c);

/// Where each argument of node E, whose first leaf is leaf I, starts in the leaf numbering.
template <std::size_t I, class E>
inline constexpr auto first_leaves = []<class... A>(metagrad::detail::flat_tuple<A...> const*) {
  std::array<std::size_t, sizeof...(A)> f{};
  std::size_t at = I, i = 0;
  ((f[i++] = at, at += leaf_count<A>), ...);
  return f;
}(static_cast<decltype(E::args) const*>(nullptr));

/// Fills the slots of the memos in e (leaf I onwards) for chunk c, each once per chunk, whichever
/// copy comes first.
template <std::size_t I, class Plan, class E, class Ctx>
void fill_memos(E const& e, Ctx const& c) {
  if constexpr (is_memo<E>) {
    if (*e.op.stamp != c.stamp) {
      fill<I, Plan>(static_cast<value_t<E>*>(e.op.data), metagrad::detail::get<0>(e.args), c);
      *e.op.stamp = c.stamp;
    }
  } else if constexpr (has_memo<E>()) {
    [&]<std::size_t... A>(std::index_sequence<A...>) {
      (fill_memos<first_leaves<I, E>[A], Plan>(metagrad::detail::get<A>(e.args), c), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
  }
}

/// Lanes U (a packet, or one value for a block's tail) of e (leaf I onwards) at element i of
/// chunk c, read straight from the tree and the chunk's offsets.
template <class U, std::size_t I, class Plan, class E, class Ctx>
U lanes_at(E const& e, Ctx const& c, index_t i) {
  using T = value_t<E>;
  if constexpr (is_constant<E>) {
    return broadcast_lanes<U>(e.value);
  } else if constexpr (is_zero<E>) {
    return broadcast_lanes<U>(T(0));
  } else if constexpr (view_leaf<E>) {
    if constexpr (Plan::inner_broadcast[I])
      return broadcast_lanes<U>(e.ptr[c.offset[I]]);
    else
      return load_lanes<U>(e.ptr + c.offset[I] + c.chunk + i);
  } else if constexpr (is_memo<E>) {
    return load_lanes<U>(static_cast<T const*>(e.op.data) + i);
  } else {
    return [&]<std::size_t... A>(std::index_sequence<A...>) {
      return packet_op<typename E::op_type>::apply(
          e.op,
          lanes_at<U, first_leaves<I, E>[A], Plan>(metagrad::detail::get<A>(e.args), c, i)...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
  }
}

/// out[0, n) = the chunk of e: packet by packet, then value by value.
///
/// The loop reads local copies of the tree and the context. Eigen's packet stores are may-alias
/// (`__m512` and kin), so through references the compiler reloads every pointer, offset and
/// constant of the tree after each store; local copies whose addresses do not escape stay in
/// registers, and only the fields the loop reads are copied. Reading through the references
/// made the fused gradient 15% slower with 256-element chunks (a tree bound to the chunk first,
/// as in stop 23, 20%: its nested aggregates stayed on the stack).
template <std::size_t I, class Plan, class E, class Ctx>
void fill(value_t<E>* out, E const& tree, Ctx const& ctx) {
  using T = value_t<E>;
  using V = lanes_t<E>;
  fill_memos<I, Plan>(tree, ctx);
  E const e = tree;
  Ctx const c = ctx;
  index_t const n = chunk_length<Plan>(c);
  index_t packed = 0;  // the elements computed on packets
  if constexpr (!std::is_same_v<V, T>) {
    packed = n / lane_width<V> * lane_width<V>;
    for (index_t i = 0; i < packed; i += lane_width<V>)
      store_lanes(out + i, lanes_at<V, I, Plan>(e, c, i));
  }
  for (index_t i = packed; i < n; ++i) out[i] = lanes_at<T, I, Plan>(e, c, i);
}

/// Lanes combined by a reduction's kind (sum, max, min).
template <class Kind, class V>
V combine_lanes(V const& a, V const& b) {
  if constexpr (std::is_same_v<Kind, sum_kind>)
    return ei::padd(a, b);
  else if constexpr (std::is_same_v<Kind, max_kind>)
    return ei::pmax(a, b);
  else
    return ei::pmin(a, b);
}
template <class Kind, class V>
lane_value_t<V> reduce_lanes(V const& a) {
  if constexpr (std::is_same_v<Kind, sum_kind>)
    return ei::predux(a);
  else if constexpr (std::is_same_v<Kind, max_kind>)
    return ei::predux_max(a);
  else
    return ei::predux_min(a);
}

/// The reduction of the chunk of tree: two packet accumulators, then the tail value by value.
template <class Kind, class Plan, class E, class Ctx>
value_t<E> reduce_chunk(E const& tree, Ctx const& ctx) {
  using T = value_t<E>;
  using V = lanes_t<E>;
  fill_memos<0, Plan>(tree, ctx);
  E const e = tree;  // local copies, as in fill
  Ctx const c = ctx;
  index_t const n = chunk_length<Plan>(c);
  T r = Kind::template init<T>();
  index_t i = 0;
  if constexpr (!std::is_same_v<V, T>) {
    constexpr index_t w = lane_width<V>;
    if (n >= 2 * w) {
      V a0 = lanes_at<V, 0, Plan>(e, c, 0), a1 = lanes_at<V, 0, Plan>(e, c, w);
      for (i = 2 * w; i + 2 * w <= n; i += 2 * w) {
        a0 = combine_lanes<Kind>(a0, lanes_at<V, 0, Plan>(e, c, i));
        a1 = combine_lanes<Kind>(a1, lanes_at<V, 0, Plan>(e, c, i + w));
      }
      if (i + w <= n) a0 = combine_lanes<Kind>(a0, lanes_at<V, 0, Plan>(e, c, i)), i += w;
      r = Kind::combine(r, reduce_lanes<Kind>(combine_lanes<Kind>(a0, a1)));
    }
  }
  for (; i < n; ++i) r = Kind::combine(r, lanes_at<T, 0, Plan>(e, c, i));
  return r;
}

template <class E, class F>
void for_each_leaf(E const& e, F&& f) {
  if constexpr (is_leaf<E>)
    f(e);
  else
    metagrad::detail::unpack(e.args, [&](auto const&... a) { (for_each_leaf(a, f), ...); });
}

template <std::size_t N>
struct block_context {
  std::array<index_t, N> offset{};  // each leaf's offset at the block's start
  index_t chunk = 0;                // the chunk's start within the block
  Eigen::Index n = 0;               // the chunk's length
  std::uint64_t stamp = 0;          // identifies the chunk to memos
};

/// Calls f(ctx) for each chunk of elements [begin, end) of a block: one chunk, or
/// memo_chunk-sized ones when the expression holds memos (so their slots stay small and in
/// cache). An empty range is one empty chunk.
template <class E, std::size_t N, class F>
void for_each_chunk(block_context<N>& ctx, index_t begin, index_t end, F&& f) {
  index_t step = has_memo<E>() ? memo_chunk : (end > begin ? end - begin : 1);
  for (index_t c0 = begin; c0 < end || (begin == end && c0 == begin); c0 += step) {
    ctx.chunk = c0;
    ctx.n = std::min(step, end - c0);
    if constexpr (has_memo<E>()) ctx.stamp = metagrad::detail::next_chunk_stamp();
    f(ctx);
    if (begin == end) break;
  }
}

/// Elements per unit when a single block is split among threads: each thread's range starts on
/// a multiple of 64 (whole cache lines, aligned vectors where the block is).
inline constexpr index_t split_unit = 64;

}  // namespace detail
}  // namespace metagrad::cpu

namespace metagrad {

template <>
struct elementwise_kernel<device::cpu> {
  template <class E>
  using plan_for = cpu::detail::block_plan<shape_t<E>, typename cpu::detail::leaf_types<E>::type>;

  /// Whether reduce_all can fold e: it is one block (every leaf contiguous or constant).
  template <class E>
  static constexpr bool folds = plan_for<E>::inner_start == 0;

  /// A reduction of a prepared tree over every axis, folded into the fused loop.
  template <class Reduce, class E>
  requires folds<E>
  static value_t<E> reduce_all(E const& e) {
    using T = value_t<E>;
    using Kind = typename Reduce::kind;
    cpu::detail::block_context<plan_for<E>::N> ctx;
    T acc = Kind::template init<T>();
    cpu::detail::for_each_chunk<E>(ctx, 0, e.ext.size(), [&](auto const& c) {
      if (c.n == 0) return;
      acc = Kind::combine(acc, cpu::detail::reduce_chunk<Kind, plan_for<E>>(e, c));
    });
    return acc;
  }

  /// A sum over every axis of x and the elementwise expressions e... (each shaped like x) into
  /// dst..., in one pass: chunk by chunk, the sum, then each e, so the memos they share (a
  /// value_and_grad of a sum reads the forward's sigmoid and tanh again) are computed once per
  /// chunk rather than once per pass.
  template <class X, class... E>
  requires(folds<X> && (folds<E> && ...)) static value_t<X> sum_all_and_assign(
      X const& x, std::array<value_t<X>*, sizeof...(E)> const& dst, E const&... e) {
    using T = value_t<X>;
    // A memo read in e but not in x would see no chunk stamps; trace puts e's memos in x.
    static_assert(cpu::detail::has_memo<X>() || !(cpu::detail::has_memo<E>() || ...));
    cpu::detail::block_context<plan_for<X>::N> cx;
    std::tuple<cpu::detail::block_context<plan_for<E>::N>...> ce;
    T acc = T(0);
    cpu::detail::for_each_chunk<X>(cx, 0, x.ext.size(), [&](auto const& c) {
      if (c.n == 0) return;
      acc += cpu::detail::reduce_chunk<sum_kind, plan_for<X>>(x, c);
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (
            [&](auto const& ek, auto& ck) {
              using EK = std::remove_cvref_t<decltype(ek)>;
              ck.chunk = c.chunk, ck.n = c.n, ck.stamp = c.stamp;
              cpu::detail::fill<0, plan_for<EK>>(dst[K] + c.chunk, ek, ck);
            }(e, std::get<K>(ce)),
            ...);
      }
      (std::index_sequence_for<E...>{});
    });
    return acc;
  }

  /// dst = e. The outer axes (those the block plan walks) are split among the cpu policy's
  /// threads when there are enough of them, else the inner block is; each thread writes its own
  /// part of dst, so the result does not depend on the thread count. Expressions with memos run
  /// on one thread (their slots are shared).
  template <class T, class E>
  static void assign(T* dst, E const& e) {
    using Plan = plan_for<E>;
    constexpr std::size_t R = shape_t<E>::rank, K = Plan::inner_start;
    strides<Plan> stride{};
    std::size_t l = 0;
    cpu::detail::for_each_leaf(e, [&](auto const& leaf) {
      using L = std::remove_cvref_t<decltype(leaf)>;
      constexpr std::size_t r = shape_t<L>::rank;
      auto own = leaf.ext.strides();
      for (std::size_t d = 0; d < K; ++d)
        stride[l][d] = (d + r >= R && !Plan::masks[l][d]) ? own[d + r - R] : 0;
      ++l;
    });
    index_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < R; ++d) (d < K ? outer : inner) *= e.ext[d];

    // Expressions with memos, or too small to split whatever their dyn extents, compile no
    // parallel path.
    constexpr index_t most = shape_t<E>::is_static ? shape_t<E>::static_size : index_t{-1};
    if constexpr (cpu::detail::has_memo<E>() ||
                  (most >= 0 && most < metagrad::detail::parallel_min_elements)) {
      blocks(dst, e, stride, 0, outer, 0, inner);
    } else {
      constexpr index_t u = cpu::detail::split_unit;
      int const threads = metagrad::detail::item_threads(std::max(outer, inner / u), outer * inner,
                                                         metagrad::detail::parallel_min_elements);
      if (threads == 1) return blocks(dst, e, stride, 0, outer, 0, inner);
      // Split the outer blocks, or else a block's elements in units of u.
      bool const by_outer = outer >= threads || Plan::inner_size != Eigen::Dynamic;
      metagrad::detail::for_ranges(
          by_outer ? outer : (inner + u - 1) / u, threads, [&](index_t b, index_t end, int) {
            if (by_outer)
              blocks(dst, e, stride, b, end, 0, inner);
            else
              blocks(dst, e, stride, 0, outer, b * u, std::min(end * u, inner));
          });
    }
  }

 private:
  /// Per leaf, its strides over the outer axes (0 where broadcast).
  template <class Plan>
  using strides =
      std::array<std::array<index_t, Plan::inner_start ? Plan::inner_start : 1>, Plan::N>;

  /// dst = e over outer blocks [o0, o1), elements [i0, i1) of each.
  template <class T, class E>
  static void blocks(T* dst, E const& e, strides<plan_for<E>> const& stride, index_t o0, index_t o1,
                     index_t i0, index_t i1) {
    using Plan = plan_for<E>;
    constexpr std::size_t K = Plan::inner_start, N = Plan::N;
    index_t inner = 1;
    for (std::size_t d = K; d < shape_t<E>::rank; ++d) inner *= e.ext[d];
    cpu::detail::block_context<N> ctx;
    // The outer odometer and the leaves' offsets at block o0.
    std::array<index_t, K ? K : 1> idx{};
    for (std::size_t d = K, rest = static_cast<std::size_t>(o0); d-- > 0;) {
      idx[d] = static_cast<index_t>(rest % static_cast<std::size_t>(e.ext[d]));
      rest /= static_cast<std::size_t>(e.ext[d]);
      for (std::size_t j = 0; j < N; ++j) ctx.offset[j] += stride[j][d] * idx[d];
    }
    for (index_t o = o0; o < o1; ++o) {
      cpu::detail::for_each_chunk<E>(ctx, i0, i1, [&](auto const& c) {
        cpu::detail::fill<0, Plan>(dst + o * inner + c.chunk, e, c);
      });
      // Advance the outer odometer and the leaves' offsets.
      for (std::size_t d = K; d-- > 0;) {
        for (std::size_t j = 0; j < N; ++j) ctx.offset[j] += stride[j][d];
        if (++idx[d] < e.ext[d]) break;
        for (std::size_t j = 0; j < N; ++j) ctx.offset[j] -= stride[j][d] * idx[d];
        idx[d] = 0;
      }
    }
  }
};

}  // namespace metagrad

#include "packet_warnings_on.hpp"
