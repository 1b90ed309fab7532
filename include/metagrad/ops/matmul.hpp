// SPDX-License-Identifier: MIT
// matmul(a, b): (..,M,K) x (..,K,N) => (..,M,N), batch axes broadcast as in NumPy; a 1-D operand
// is a row (lhs) or a column (rhs) vector that is dropped from the result.
// matmul_op<TA, TB> reads an operand transposed, so derivative rules need no transpose copies.
// d(a@b) = da@b + a@db;  vjp: (g@bᵀ, aᵀ@g), summed over broadcast batch axes.
#pragma once
#include <algorithm>

#include "permute.hpp"
#include "reshape.hpp"
#include "sum.hpp"

namespace metagrad {

namespace detail {
template <class S, std::size_t N>
consteval auto drop_last() {
  std::array<index_t, S::rank - N> a{};
  for (std::size_t i = 0; i + N < S::rank; ++i) a[i] = S::dims[i];
  return a;
}
template <class A, class B, bool TA, bool TB>
struct matmul_dims {
  static constexpr std::size_t ra = A::rank, rb = B::rank;
  static constexpr index_t m = TA ? A::dims[ra - 1] : A::dims[ra - 2];
  static constexpr index_t ka = TA ? A::dims[ra - 2] : A::dims[ra - 1];
  static constexpr index_t kb = TB ? B::dims[rb - 1] : B::dims[rb - 2];
  static constexpr index_t n = TB ? B::dims[rb - 2] : B::dims[rb - 1];
  using batch_a = shape_from<drop_last<A, 2>()>;
  using batch_b = shape_from<drop_last<B, 2>()>;
  static constexpr bool inner_ok = ka == kb || ka == dyn || kb == dyn;

  static consteval auto result() {
    constexpr auto batch = rules::broadcast_dims<batch_a, batch_b>();
    std::array<index_t, batch.size() + 2> r{};
    for (std::size_t i = 0; i < batch.size(); ++i) r[i] = batch[i];
    r[batch.size()] = m, r[batch.size() + 1] = n;
    return r;
  }
};
/// Whether E is transpose(x) (its last two axes swapped): matmul reads x transposed instead.
template <class E>
inline constexpr bool is_transpose = false;
template <auto Perm, class X>
inline constexpr bool is_transpose<node<permute_op<Perm>, X>> = [] {
  constexpr std::size_t r = Perm.size();
  bool swap = r >= 2 && Perm[r - 1] == int(r - 2) && Perm[r - 2] == int(r - 1);
  for (std::size_t i = 0; i + 2 < r; ++i) swap = swap && Perm[i] == int(i);
  return swap;
}();

/// A (..., M, K) operand seen as one (rows, K) matrix: rows = the product of every extent but
/// the last (dyn when one of them is).
template <class S>
struct folded_rows {
  static constexpr index_t rows = [] {
    index_t n = 1;
    for (std::size_t i = 0; i + 1 < S::rank; ++i) {
      if (S::dims[i] == dyn) return dyn;
      n *= S::dims[i];
    }
    return n;
  }();
  static constexpr index_t cols = S::dims[S::rank - 1];
};

template <class E>
auto const& untransposed(E const& e) {
  if constexpr (is_transpose<E>)
    return detail::get<0>(e.args);
  else
    return e;
}
}  // namespace detail

namespace rules {
/// (..,M,K) x (..,K,N): inner extents agree (or one is dyn) and batch axes broadcast.
template <class A, class B>
constexpr bool matmul_compatible() {
  if constexpr (A::rank < 2 || B::rank < 2) {
    return false;
  } else {
    using D = detail::matmul_dims<A, B, false, false>;
    return D::inner_ok && broadcastable<typename D::batch_a, typename D::batch_b>();
  }
}
}  // namespace rules

template <class A, class B, bool TA = false, bool TB = false>
consteval bool check_matmul() {
  using D = detail::matmul_dims<A, B, TA, TB>;
  // If the compiler points here: the lhs's last extent is not the rhs's second to last one.
  static_assert(D::inner_ok || matmul_inner_dimensions_differ<A, B>::value,
                "matmul: inner dimensions differ; (M,K) x (K,N) needs lhs K == rhs K");
  static_assert(rules::broadcastable<typename D::batch_a, typename D::batch_b>() ||
                    broadcast_incompatible<A, B>::value,
                "matmul: batch dimensions cannot be broadcast together");
  return true;
}

template <bool TA, bool TB>
struct matmul_op {
  static constexpr char const* name = "matmul";
  static constexpr zero_rule zeros = zero_rule::any;
  static constexpr bool trans_a = TA, trans_b = TB;
  /// Cost (nn/cost.hpp): a multiply-add (two FLOPs) per output value and step of K.
  static constexpr bool contracts = true;
  template <class Out, class A, class B>
  static constexpr index_t flops = detail::cost_product(
      2 * detail::matmul_dims<shape_t<A>, shape_t<B>, TA, TB>::ka, detail::per_example_size<Out>());

  template <class A, class B>
  using result_shape = shape_from<detail::matmul_dims<A, B, TA, TB>::result()>;

  template <class A, class B>
  auto result_extents(extents<A::rank> const& a, extents<B::rank> const& b) const {
    constexpr std::size_t ra = A::rank, rb = B::rank;
    index_t m = TA ? a[ra - 1] : a[ra - 2], ka = TA ? a[ra - 2] : a[ra - 1];
    index_t kb = TB ? b[rb - 1] : b[rb - 2], n = TB ? b[rb - 2] : b[rb - 1];
    if (ka != kb)
      throw shape_error(
          "matmul: inner dimensions differ; (M,K) x (K,N) needs lhs K == rhs K, got " +
          to_string(a) + " and " + to_string(b));
    using D = detail::matmul_dims<A, B, TA, TB>;
    extents<ra - 2> ba;
    extents<rb - 2> bb;
    std::copy_n(a.d.begin(), ra - 2, ba.d.begin());
    std::copy_n(b.d.begin(), rb - 2, bb.d.begin());
    auto batch = broadcast_extents<typename D::batch_a, typename D::batch_b>("matmul", ba, bb);
    extents<result_shape<A, B>::rank> r;
    std::copy_n(batch.d.begin(), batch.rank, r.d.begin());
    r[batch.rank] = m, r[batch.rank + 1] = n;
    return r;
  }

  static auto jvp(matmul_op, auto const&, auto const& a, auto const& b, auto const& da,
                  auto const& db) {
    return make_node(matmul_op{}, da, b) + make_node(matmul_op{}, a, db);
  }
  template <class G, class A, class B>
  static auto vjp(matmul_op, G const& g, auto const&, A const& a, B const& b) {
    if constexpr (!TA && shape_t<B>::rank == 2 && shape_t<A>::rank > 2 && !is_zero<G>) {
      // The rhs of a batched lhs (a dense layer on (B,T,D)): its cotangent, summed over the
      // batch, is one GEMM over the lhs's rows folded, not one per batch entry and a sum.
      using F = detail::folded_rows<shape_t<A>>;
      constexpr std::size_t ra = shape_t<A>::rank, rg = shape_t<G>::rank;
      index_t rows = 1;
      for (std::size_t i = 0; i + 1 < ra; ++i) rows *= a.ext[i];
      auto a2 = reshape<shape<F::rows, F::cols>>(a, {{rows, a.ext[ra - 1]}});
      auto g2 = reshape<shape<F::rows, shape_t<G>::dims[rg - 1]>>(g, {{rows, g.ext[rg - 1]}});
      auto ga = make_node(matmul_op<false, !TB>{}, g, b);
      if constexpr (TB)
        return detail::make_flat_tuple(ga, make_node(matmul_op<true, false>{}, g2, a2));
      else
        return detail::make_flat_tuple(ga, make_node(matmul_op<true, false>{}, a2, g2));
    } else {
      return vjp_broadcast(g, a, b);
    }
  }
  /// (g@bᵀ, aᵀ@g) with each summed down to its operand's shape.
  static auto vjp_broadcast(auto const& g, auto const& a, auto const& b) {
    auto [ga, gb] = [&] {
      if constexpr (!TA && !TB)
        return std::pair{make_node(matmul_op<false, true>{}, g, b),
                         make_node(matmul_op<true, false>{}, a, g)};
      else if constexpr (!TA && TB)
        return std::pair{make_node(matmul_op<false, false>{}, g, b),
                         make_node(matmul_op<true, false>{}, g, a)};
      else if constexpr (TA && !TB)
        return std::pair{make_node(matmul_op<false, true>{}, b, g),
                         make_node(matmul_op<false, false>{}, a, g)};
      else
        return std::pair{make_node(matmul_op<true, true>{}, b, g),
                         make_node(matmul_op<true, true>{}, g, a)};
    }();
    return detail::make_flat_tuple(sum_to<shape_t<decltype(a)>>(ga, a.ext),
                                   sum_to<shape_t<decltype(b)>>(gb, b.ext));
  }
};

/// Matrix product with NumPy's rules, e.g. matmul(x /*(B,784)*/, w /*(784,128)*/) => (B,128).
template <expression_like A, expression_like B>
auto matmul(A const& a, B const& b) {
  using SA0 = shape_t<A>;
  using SB0 = shape_t<B>;
  if constexpr (tensor_expression<A> && tensor_expression<B> && SA0::rank >= 2 && SB0::rank >= 2) {
    // Two expressions of rank >= 2: copied as they are, not through as_expr and untransposed
    // (functions on their types: see make_binary). A transpose's one arg is its args' .value.
    static_assert(check_matmul<SA0, SB0>());
    using Op = matmul_op<detail::is_transpose<A>, detail::is_transpose<B>>;
    if constexpr (detail::is_transpose<A> && detail::is_transpose<B>)
      return make_node(Op{}, decltype(a.args.value)(a.args.value),
                       decltype(b.args.value)(b.args.value));
    else if constexpr (detail::is_transpose<A>)
      return make_node(Op{}, decltype(a.args.value)(a.args.value), B(b));
    else if constexpr (detail::is_transpose<B>)
      return make_node(Op{}, A(a), decltype(b.args.value)(b.args.value));
    else
      return make_node(Op{}, A(a), B(b));
  } else {
    auto x = as_expr(a);
    auto y = as_expr(b);
    using SA = shape_t<decltype(x)>;
    using SB = shape_t<decltype(y)>;
    static_assert(SA::rank >= 1 && SB::rank >= 1, "matmul: operands must have rank >= 1");
    if constexpr (SA::rank == 1) {
      // (K) x (..,K,N): a row vector, dropped from the result.
      auto row = reshape<shape<1, SA::dims[0]>>(x, extents<2>{{1, x.ext[0]}});
      auto r = matmul(row, y);
      using R = shape_t<decltype(r)>;
      // The row's axis: second to last, or the only one left of (1) when y is a vector too.
      constexpr std::size_t drop = SB::rank == 1 ? R::rank - 1 : R::rank - 2;
      constexpr auto out = [] {
        std::array<index_t, R::rank - 1> d{};
        for (std::size_t i = 0, j = 0; i < R::rank; ++i)
          if (i != drop) d[j++] = R::dims[i];
        return d;
      }();
      extents<R::rank - 1> e;
      for (std::size_t i = 0, j = 0; i < R::rank; ++i)
        if (i != drop) e[j++] = r.ext[i];
      return reshape<shape_from<out>>(r, e);
    } else if constexpr (SB::rank == 1) {
      // (..,M,K) x (K): a column vector, dropped from the result.
      auto col = reshape<shape<SB::dims[0], 1>>(y, extents<2>{{y.ext[0], 1}});
      auto r = matmul(x, col);
      using R = shape_t<decltype(r)>;
      extents<R::rank - 1> e;
      std::copy_n(r.ext.d.begin(), R::rank - 1, e.d.begin());
      return reshape<shape_from<detail::drop_last<R, 1>()>>(r, e);
    } else {
      static_assert(check_matmul<SA, SB>());
      // matmul(x, transpose(w)) reads w transposed: no copy (a dense layer's (out,in) weight).
      using X = decltype(x);
      using Y = decltype(y);
      return make_node(matmul_op<detail::is_transpose<X>, detail::is_transpose<Y>>{},
                       detail::untransposed(x), detail::untransposed(y));
    }
  }
}

}  // namespace metagrad
