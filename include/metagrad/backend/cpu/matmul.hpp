// SPDX-License-Identifier: MIT
// matmul on cpu: Eigen's GEMM on row-major maps, one call per batch entry (batch axes broadcast
// with stride 0). (B..,M,K) x (K,N) with no batch on the rhs is one GEMM of (B..·M, K) x (K, N).
// Built with METAGRAD_CBLAS (config.hpp), float and double GEMMs of run-time size with at least
// blas_min_work multiply-adds go to the linked BLAS's cblas_?gemm: a tuned BLAS (OpenBLAS with
// kernels for the CPU, BLIS, MKL) reaches 85% of the FMA peak where Eigen's GEMM stays near 60%
// (docs/performance.md). Small products stay on Eigen, where a BLAS call costs more than it saves.
#pragma once
#include <Eigen/Core>
#include <type_traits>

#include "../../config.hpp"
#if METAGRAD_CBLAS
#include <cblas.h>
#endif

#include "../../eval/evaluate.hpp"
#include "../../ops/matmul.hpp"
#include "threads.hpp"

namespace metagrad {

namespace detail {
/// Multiply-adds from which a GEMM goes to the BLAS (when built with METAGRAD_CBLAS).
inline constexpr index_t blas_min_work = index_t{32} * 32 * 32;

/// C = op(A) op(B) (C += op(A) op(B) when Add) through cblas for row-major float/double; false if
/// not done (no BLAS, other type, too small).
template <bool TA, bool TB, bool Add, class T>
bool blas_gemm([[maybe_unused]] T* c, [[maybe_unused]] T const* a, [[maybe_unused]] index_t ar,
               [[maybe_unused]] index_t ac, [[maybe_unused]] T const* b,
               [[maybe_unused]] index_t br, [[maybe_unused]] index_t bc) {
#if METAGRAD_CBLAS
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    index_t const m = TA ? ac : ar, k = TA ? ar : ac, n = TB ? br : bc;
    if (m * n * k < blas_min_work) return false;
    auto const ta = TA ? CblasTrans : CblasNoTrans, tb = TB ? CblasTrans : CblasNoTrans;
    auto const lda = static_cast<int>(ac), ldb = static_cast<int>(bc), ldc = static_cast<int>(n);
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(k), 1.0f, a, lda, b, ldb, Add ? 1.0f : 0.0f, c, ldc);
    else
      cblas_dgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(k), 1.0, a, lda, b, ldb, Add ? 1.0 : 0.0, c, ldc);
    return true;
  }
#endif
  return false;
}
}  // namespace detail

template <bool TA, bool TB>
struct kernel<matmul_op<TA, TB>, device::cpu> {
  template <class T>
  using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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
      multiply<Add>(C, A, B);
    } else {
      if (detail::blas_gemm<TA, TB, Add>(c, a, ar, ac, b, br, bc)) return;
      Eigen::Map<matrix<T> const> A(a, ar, ac);
      Eigen::Map<matrix<T> const> B(b, br, bc);
      index_t m = TA ? ac : ar, n = TB ? br : bc;
      Eigen::Map<matrix<T>> C(c, m, n);
      detail::threads_for_work threads(m * n * (TA ? ar : ac));
      multiply<Add>(C, A, B);
    }
  }

  template <bool Add, class C, class A, class B>
  static void multiply(C& out, A const& a, B const& b) {
    auto const product = [&] {
      if constexpr (!TA && !TB)
        return a * b;
      else if constexpr (!TA && TB)
        return a * b.transpose();
      else if constexpr (TA && !TB)
        return a.transpose() * b;
      else
        return a.transpose() * b.transpose();
    }();
    if constexpr (Add)
      out.noalias() += product;
    else
      out.noalias() = product;
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
