// SPDX-License-Identifier: MIT
// The nodes of small static graphs on cpu (eval/small.hpp): elementwise ops (with NumPy
// broadcasting), reductions, matrix products (batched, with broadcast batch axes), reshapes, and
// the ops that move values (permute, slice, concat and their transposes), each a loop nest whose
// bounds and strides are constants, over operands already in memory. The compiler unrolls and folds
// them; elementwise ops use the same Eigen functors as the fused loop (packet_ops.hpp), the costly
// ones on the smallest packet that holds the node.
#pragma once
#include <array>
#include <type_traits>

#include "../../eval/memo.hpp"
#include "../../eval/small.hpp"
#include "../../ops/concat.hpp"
#include "../../ops/matmul.hpp"
#include "../../ops/permute.hpp"
#include "../../ops/reduce.hpp"
#include "../../ops/reshape.hpp"
#include "../../ops/slice.hpp"
#include "packet_ops.hpp"

#include "packet_warnings_off.hpp"

namespace metagrad::cpu::small {

/// The offset in In (which broadcasts to Out: NumPy's rules, aligned at the last axis) of the
/// value at flat position i of Out.
template <class Out, class In>
constexpr index_t broadcast_offset(index_t i) {
  if constexpr (In::static_size == Out::static_size) {
    return i;  // no axis is broadcast: the same layout
  } else if constexpr (In::static_size == 1) {
    return 0;
  } else {
    constexpr std::size_t R = Out::rank, r = In::rank;
    index_t offset = 0, stride = 1;
    for (std::size_t d = R; d-- > R - r;) {
      index_t const at = i % Out::dims[d];
      i /= Out::dims[d];
      index_t const n = In::dims[d - (R - r)];
      if (n != 1) offset += at * stride;
      stride *= n;
    }
    return offset;
  }
}

/// The flat position in the result of reducing In over Axes of In's value at flat position j.
template <class In, auto Axes>
constexpr index_t reduced_offset(index_t j) {
  index_t offset = 0, stride = 1;
  for (std::size_t d = In::rank; d-- > 0;) {
    index_t const at = j % In::dims[d];
    j /= In::dims[d];
    if (std::find(Axes.begin(), Axes.end(), static_cast<int>(d)) == Axes.end()) {
      offset += at * stride;
      stride *= In::dims[d];
    }
  }
  return offset;
}

/// The smallest of T's packets (the widest, halved while the half still has N lanes) that holds
/// N values: a small node's costly op (exp, tanh, sigmoid, ...) is computed in one or a few.
template <class P, index_t N>
constexpr auto fitting_packet() {
  using H = typename ei::unpacket_traits<P>::half;
  if constexpr (!std::is_same_v<H, P> && ei::unpacket_traits<H>::size >= N)
    return fitting_packet<H, N>();
  else
    return std::type_identity<P>{};
}
template <class T, index_t N>
using fitting_packet_t = typename decltype(fitting_packet<packet_t<T>, N>())::type;

/// Leaf l's value at flat position i of an elementwise result of shape Out.
template <class Out, class L>
value_t<L> read(L const& l, index_t i) {
  if constexpr (is_constant<L>)
    return l.value;
  else if constexpr (is_zero<L>)
    return value_t<L>(0);
  else
    return l.ptr[broadcast_offset<Out, shape_t<L>>(i)];
}

template <class N>
struct node_kind {
  static constexpr bool supported = false;
};
/// Lanes P of leaf l at flat positions i, i+1, ... of an elementwise result of shape Out (past its
/// end: its last value again, so that no lane reads outside l).
template <class Out, class P, class L>
P gather(L const& l, index_t i) {
  using T = value_t<L>;
  constexpr index_t W = ei::unpacket_traits<P>::size;
  if constexpr (is_constant<L>) {
    return ei::pset1<P>(l.value);
  } else if constexpr (is_zero<L>) {
    return ei::pset1<P>(T(0));
  } else {
    alignas(64) T v[W];
    for (index_t k = 0; k < W; ++k)
      v[k] = l.ptr[broadcast_offset<Out, shape_t<L>>(std::min(i + k, Out::static_size - 1))];
    return ei::pload<P>(v);
  }
}

/// Elementwise ops whose operands hold the result's value type. A costly op with a packet form
/// goes packet by packet, the others value by value (a loop the compiler vectorizes or unrolls).
template <class Op, class... A>
requires is_elementwise_op<Op> && std::is_arithmetic_v<value_t<node<Op, A...>>> &&
    (std::is_same_v<value_t<A>, value_t<node<Op, A...>>>&&...) struct node_kind<node<Op, A...>> {
  static constexpr bool supported = true;
  using N = node<Op, A...>;
  static void run(value_t<N>* dst, N const& n) {
    using Out = shape_t<N>;
    using T = value_t<N>;
    constexpr index_t size = Out::static_size;
    if constexpr (metagrad::detail::costly_op<Op> && packet_op<Op>::template vectorizes<T> &&
                  size > 1) {
      using P = fitting_packet_t<T, size>;
      constexpr index_t W = ei::unpacket_traits<P>::size;
      for (index_t i = 0; i < size; i += W) {
        P r = unpack(n.args, [&](auto const&... a) {
          return packet_op<Op>::apply(n.op, gather<Out, P>(a, i)...);
        });
        alignas(64) T out[W];
        ei::pstore(out, r);
        std::copy_n(out, std::min(W, size - i), dst + i);
      }
    } else {
      for (index_t i = 0; i < size; ++i)
        dst[i] = unpack(n.args, [&](auto const&... a) {
          return packet_op<Op>::apply(n.op, read<Out>(a, i)...);
        });
    }
  }
};
template <class Kind, bool Keep, auto Axes, class X>
struct node_kind<node<reduce_op<Kind, Keep, Axes>, X>> {
  static constexpr bool supported = view_leaf<X>;
  using N = node<reduce_op<Kind, Keep, Axes>, X>;
  static void run(value_t<N>* dst, N const& n) {
    using T = value_t<N>;
    using In = shape_t<X>;
    auto const& x = get<0>(n.args);
    std::fill_n(dst, shape_t<N>::static_size, Kind::template init<T>());
    for (index_t j = 0; j < In::static_size; ++j) {
      index_t const o = reduced_offset<In, Axes>(j);
      dst[o] = Kind::combine(dst[o], x.ptr[j]);
    }
  }
};
/// Products of at most 4096 multiply-adds in all (a larger one is worth the GEMM): one (M,K) x
/// (K,N) product per position of the result's batch axes, each operand's matrix at its
/// broadcast batch position.
template <bool TA, bool TB, class A, class B>
struct node_kind<node<matmul_op<TA, TB>, A, B>> {
  using N = node<matmul_op<TA, TB>, A, B>;
  using D = metagrad::detail::matmul_dims<shape_t<A>, shape_t<B>, TA, TB>;
  using Batch = shape_from<metagrad::detail::drop_last<shape_t<N>, 2>()>;
  // (a node's operands have rank 2 or more: matmul reshapes vectors)
  static constexpr index_t M = D::m, Nc = D::n, K = D::ka;
  static constexpr bool supported =
      view_leaf<A> && view_leaf<B> && Batch::static_size * M * Nc * K <= 4096;
  static void run(value_t<N>* dst, N const& n) {
    using T = value_t<N>;
    for (index_t p = 0; p < Batch::static_size; ++p) {
      T const* a = get<0>(n.args).ptr + broadcast_offset<Batch, typename D::batch_a>(p) * M * K;
      T const* b = get<1>(n.args).ptr + broadcast_offset<Batch, typename D::batch_b>(p) * K * Nc;
      T* c = dst + p * M * Nc;
      for (index_t m = 0; m < M; ++m)
        for (index_t j = 0; j < Nc; ++j) {
          T acc(0);
          for (index_t k = 0; k < K; ++k)
            acc += a[TA ? k * M + m : m * K + k] * b[TB ? j * K + k : k * Nc + j];
          c[m * Nc + j] = acc;
        }
    }
  }
};
/// The position in S of flat position i, and back.
template <class S>
constexpr std::array<index_t, S::rank> unflatten(index_t i) {
  std::array<index_t, S::rank> at{};
  for (std::size_t d = S::rank; d-- > 0;) at[d] = i % S::dims[d], i /= S::dims[d];
  return at;
}
template <class S>
constexpr index_t flatten(std::array<index_t, S::rank> const& at) {
  index_t i = 0;
  for (std::size_t d = 0; d < S::rank; ++d) i = i * S::dims[d] + at[d];
  return i;
}

/// The ops that move values: each result value is one operand value, at a position that a map,
/// whose every quantity is a constant, gives. move_from reads: dst (shape Out) at every position
/// o gets src (shape In) at map(o). move_to writes: dst (shape Out) at map(j) gets src (shape In)
/// at every position j; the other values of dst are left as they are.
template <class Out, class In, class T, class Map>
void move_from(T* dst, T const* src, Map map) {
  for (index_t i = 0; i < Out::static_size; ++i) dst[i] = src[flatten<In>(map(unflatten<Out>(i)))];
}
template <class Out, class In, class T, class Map>
void move_to(T* dst, T const* src, Map map) {
  for (index_t j = 0; j < In::static_size; ++j) dst[flatten<Out>(map(unflatten<In>(j)))] = src[j];
}
/// Position along Axis k of a slice => Begin + k * Step (the operand's position), for an operand
/// of extent Dim there.
template <std::size_t Axis, index_t Begin, index_t End, index_t Step, index_t Dim>
inline constexpr auto slice_map = [](auto at) {
  at[Axis] = metagrad::detail::slice_indices(Begin, End, Step, Dim).begin + at[Axis] * Step;
  return at;
};
/// Position along Axis k => k + Offset.
template <std::size_t Axis, index_t Offset>
inline constexpr auto shift_map = [](auto at) {
  at[Axis] += Offset;
  return at;
};

template <auto Perm, class X>
struct node_kind<node<permute_op<Perm>, X>> {
  static constexpr bool supported = view_leaf<X>;
  using N = node<permute_op<Perm>, X>;
  static void run(value_t<N>* dst, N const& n) {
    using In = shape_t<X>;
    move_from<shape_t<N>, In>(dst, get<0>(n.args).ptr, [](auto const& o) {
      std::array<index_t, In::rank> at{};
      for (std::size_t d = 0; d < In::rank; ++d) at[std::size_t(Perm[d])] = o[d];
      return at;
    });
  }
};
template <std::size_t Axis, index_t Begin, index_t End, index_t Step, class X>
struct node_kind<node<slice_op<Axis, Begin, End, Step>, X>> {
  static constexpr bool supported = view_leaf<X>;
  using N = node<slice_op<Axis, Begin, End, Step>, X>;
  static void run(value_t<N>* dst, N const& n) {
    using In = shape_t<X>;
    move_from<shape_t<N>, In>(dst, get<0>(n.args).ptr,
                              slice_map<Axis, Begin, End, Step, In::dims[Axis]>);
  }
};
template <std::size_t Axis, index_t Begin, index_t End, index_t Step, index_t Dim, class G>
struct node_kind<node<unslice_op<Axis, Begin, End, Step, Dim>, G>> {
  static constexpr bool supported = view_leaf<G>;
  using N = node<unslice_op<Axis, Begin, End, Step, Dim>, G>;
  static void run(value_t<N>* dst, N const& n) {
    using Out = shape_t<N>;
    std::fill_n(dst, Out::static_size, value_t<N>(0));
    move_to<Out, shape_t<G>>(dst, get<0>(n.args).ptr, slice_map<Axis, Begin, End, Step, Dim>);
  }
};
/// Operand I of a concatenation starts at the sum of the operands' extents before it, dims.
template <std::size_t I, std::size_t N>
constexpr index_t concat_offset(std::array<index_t, N> const& dims) {
  index_t o = 0;
  for (std::size_t k = 0; k < I; ++k) o += dims[k];
  return o;
}
template <std::size_t Axis, class... X>
struct node_kind<node<concat_op<Axis>, X...>> {
  // (operands of another rank: concat's error is the one to show, not this loop's)
  static constexpr bool supported =
      (view_leaf<X> && ...) &&
      ((shape_t<X>::rank == shape_t<node<concat_op<Axis>, X...>>::rank) && ...);
  using N = node<concat_op<Axis>, X...>;
  static void run(value_t<N>* dst, N const& n) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      constexpr std::array<index_t, sizeof...(X)> dims{shape_t<X>::dims[Axis]...};
      (move_to<shape_t<N>, shape_t<X>>(dst, get<I>(n.args).ptr,
                                       shift_map<Axis, concat_offset<I>(dims)>),
       ...);
    }
    (std::index_sequence_for<X...>{});
  }
};
template <std::size_t Axis, std::size_t I, auto Dims, class G>
struct node_kind<node<concat_part_op<Axis, I, Dims>, G>> {
  static constexpr bool supported = view_leaf<G>;
  using N = node<concat_part_op<Axis, I, Dims>, G>;
  static void run(value_t<N>* dst, N const& n) {
    move_from<shape_t<N>, shape_t<G>>(dst, get<0>(n.args).ptr,
                                      shift_map<Axis, concat_offset<I>(Dims)>);
  }
};

template <class S, class X>
struct node_kind<node<reshape_op<S>, X>> {
  static constexpr bool supported = view_leaf<X>;
  using N = node<reshape_op<S>, X>;
  static void run(value_t<N>* dst, N const& n) {
    std::copy_n(get<0>(n.args).ptr, S::static_size, dst);
  }
};

}  // namespace metagrad::cpu::small

namespace metagrad {

template <>
struct small_kernel<device::cpu> {
  template <class N>
  static constexpr bool accepts = cpu::small::node_kind<N>::supported;
  template <class N>
  static void run(value_t<N>* dst, N const& n) {
    cpu::small::node_kind<N>::run(dst, n);
  }
};

}  // namespace metagrad

#include "packet_warnings_on.hpp"
