// SPDX-License-Identifier: MIT
// matmul on cpu: one GEMM per batch entry (batch axes broadcast with stride 0); (B..,M,K) x (K,N)
// with no batch on the rhs is one GEMM of (B..·M, K) x (K, N). Which GEMM:
//   - static operands of at most 64 elements: Eigen's unrolled fixed-size product;
//   - the others: detail::dense_product (gemm.hpp), which conv2d uses too: the linked BLAS when
//     built with METAGRAD_CBLAS, metagrad's own GEMM for float and double compiled for AVX or
//     wider, else Eigen's.
#pragma once
#include <Eigen/Core>
#include <type_traits>

#include "../../eval/evaluate.hpp"
#include "../../ops/matmul.hpp"
#include "gemm.hpp"

namespace metagrad {

template <bool TA, bool TB>
struct kernel<matmul_op<TA, TB>, device::cpu> {
  // Static extents of a 2-D operand's last two axes, when small enough for Eigen's unrolled
  // fixed-size products; Eigen::Dynamic otherwise.
  template <class S, std::size_t Axis>
  static constexpr Eigen::Index fixed() {
    constexpr index_t d = S::dims[S::rank - 2 + Axis];
    constexpr bool small = S::dims[S::rank - 2] != dyn && S::dims[S::rank - 1] != dyn &&
                           S::dims[S::rank - 2] * S::dims[S::rank - 1] <= 64;
    return small ? Eigen::Index(d) : Eigen::Index(Eigen::Dynamic);
  }
  template <class T, Eigen::Index R, Eigen::Index C>
  using fixed_matrix =
      Eigen::Matrix<T, R, C, (C == 1 && R != 1) ? Eigen::ColMajor : Eigen::RowMajor>;

  template <class SA, class SB, bool Add, class T>
  static void gemm(T* c, T const* a, index_t ar, index_t ac, T const* b, index_t br, index_t bc) {
    constexpr bool batched_lhs = SB::rank == 2 && SA::rank > 2;  // lhs rows folded: not static
    constexpr Eigen::Index far = batched_lhs ? Eigen::Dynamic : fixed<SA, 0>(),
                           fac = fixed<SA, 1>();
    constexpr Eigen::Index fbr = fixed<SB, 0>(), fbc = fixed<SB, 1>();
    if constexpr (far != Eigen::Dynamic && fac != Eigen::Dynamic && fbr != Eigen::Dynamic &&
                  fbc != Eigen::Dynamic) {
      Eigen::Map<fixed_matrix<T, far, fac> const> A(a);
      Eigen::Map<fixed_matrix<T, fbr, fbc> const> B(b);
      constexpr Eigen::Index m = TA ? fac : far, n = TB ? fbr : fbc;
      Eigen::Map<fixed_matrix<T, m, n>> C(c);
      detail::eigen_product<TA, TB, Add>(C, A, B);
    } else {
      detail::dense_product<TA, TB, Add>(c, a, ar, ac, b, br, bc);
    }
  }

  template <class T, std::size_t R, class A, class B>
  static void run(matmul_op<TA, TB> op, T* dst, extents<R> const& out, A const& a, B const& b) {
    products<false>(op, dst, out, a, b);
  }
  /// dst += the product (a GEMM with beta = 1: a cotangent summed over uses, no temporary).
  template <class T, std::size_t R, class A, class B>
  static void accumulate(matmul_op<TA, TB> op, T* dst, extents<R> const& out, A const& a,
                         B const& b) {
    products<true>(op, dst, out, a, b);
  }

  template <bool Add, class T, std::size_t R, class A, class B>
  static void products(matmul_op<TA, TB>, T* dst, extents<R> const& out, A const& a, B const& b) {
    constexpr std::size_t ra = A::rank, rb = B::rank, nb = R - 2;
    index_t ar = a.ext[ra - 2], ac = a.ext[ra - 1], br = b.ext[rb - 2], bc = b.ext[rb - 1];
    index_t m = out[R - 2], n = out[R - 1];
    if constexpr (rb == 2 && !TA) {
      // No batch on the rhs: fold the lhs batch into its rows.
      gemm<shape_t<A>, shape_t<B>, Add>(dst, a.ptr, a.ext.size() / ac, ac, b.ptr, br, bc);
      (void)m, (void)n;
    } else {
      index_t batches = 1;
      for (std::size_t d = 0; d < nb; ++d) batches *= out[d];
      // Batch strides of a and b over the output's batch axes (0 where broadcast).
      std::array<index_t, nb ? nb : 1> sa{}, sb{}, idx{};
      index_t step_a = ar * ac, step_b = br * bc;
      for (std::size_t d = nb; d-- > 0;) {
        bool has_a = d + (ra - 2) >= nb, has_b = d + (rb - 2) >= nb;
        std::size_t da = d + (ra - 2) - nb, db = d + (rb - 2) - nb;
        sa[d] = has_a && a.ext[da] != 1 ? step_a : 0;
        sb[d] = has_b && b.ext[db] != 1 ? step_b : 0;
        if (has_a) step_a *= a.ext[da];
        if (has_b) step_b *= b.ext[db];
      }
      index_t oa = 0, ob = 0;
      for (index_t i = 0; i < batches; ++i) {
        gemm<shape_t<A>, shape_t<B>, Add>(dst + i * m * n, a.ptr + oa, ar, ac, b.ptr + ob, br, bc);
        for (std::size_t d = nb; d-- > 0;) {
          oa += sa[d], ob += sb[d];
          if (++idx[d] < out[d]) break;
          oa -= sa[d] * idx[d], ob -= sb[d] * idx[d];
          idx[d] = 0;
        }
      }
    }
  }
};

}  // namespace metagrad
