// SPDX-License-Identifier: MIT
// Reductions on cpu. Axes that form one contiguous run reduce as (outer, red, inner) blocks with
// Eigen's colwise sum/max/min; other axis sets walk the input once, in contiguous blocks (see
// below).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <type_traits>

#include "../../eval/evaluate.hpp"
#include "../../ops/max.hpp"
#include "../../ops/sum.hpp"

namespace metagrad {

template <class Kind, bool Keep, auto Axes>
struct kernel<reduce_op<Kind, Keep, Axes>, device::cpu> {
  template <class M>
  static auto reduce_rows(M const& m) {
    if constexpr (std::is_same_v<Kind, sum_kind>)
      return m.colwise().sum();
    else if constexpr (std::is_same_v<Kind, max_kind>)
      return m.colwise().maxCoeff();
    else
      return m.colwise().minCoeff();
  }

  template <class T, std::size_t R, class X>
  static void run(reduce_op<Kind, Keep, Axes>, T* dst, extents<R> const&, X const& x) {
    constexpr std::size_t r = X::rank;
    constexpr bool contiguous =
        Axes.size() == 0 || Axes.back() - Axes.front() + 1 == static_cast<int>(Axes.size());
    if constexpr (Axes.size() == 0) {
      std::copy_n(x.ptr, x.ext.size(), dst);
    } else if constexpr (contiguous) {
      index_t outer = 1, red = 1, inner = 1;
      for (std::size_t d = 0; d < r; ++d) {
        if (static_cast<int>(d) < Axes.front())
          outer *= x.ext[d];
        else if (static_cast<int>(d) <= Axes.back())
          red *= x.ext[d];
        else
          inner *= x.ext[d];
      }
      using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      for (index_t o = 0; o < outer; ++o) {
        Eigen::Map<matrix const> m(x.ptr + o * red * inner, red, inner);
        Eigen::Map<matrix> out(dst + o * inner, 1, inner);
        if (red == 0)
          out.setConstant(Kind::template init<T>());
        else
          out = reduce_rows(m);
      }
    } else {
      // Adjacent axes of the same kind (reduced or kept; extent-1 axes join either) collapse into
      // runs; the walk goes over all runs but the innermost, which is one contiguous block: a
      // reduction to one value when it is reduced, an elementwise combine into the output when
      // it is kept. (N,C,H,W) over {0,2,3} is N·C sums of H·W contiguous values.
      std::array<index_t, r> ext{};
      std::array<bool, r> reduced{};
      std::size_t q = 0;
      for (std::size_t d = 0; d < r; ++d) {
        if (x.ext[d] == 1) continue;
        bool const red = std::find(Axes.begin(), Axes.end(), static_cast<int>(d)) != Axes.end();
        if (q > 0 && reduced[q - 1] == red)
          ext[q - 1] *= x.ext[d];
        else
          ext[q] = x.ext[d], reduced[q] = red, ++q;
      }
      index_t const kept = kept_extents<Axes>(x.ext).size();
      std::fill_n(dst, kept, Kind::template init<T>());
      index_t const n = x.ext.size();
      if (n == 0) return;
      if (q == 0) ext[0] = 1, reduced[0] = false, q = 1;
      std::array<index_t, r> os{};  // output strides of the runs (0 on reduced runs)
      for (index_t k = static_cast<index_t>(q), stride = 1; k-- > 0;) {
        os[static_cast<std::size_t>(k)] = reduced[static_cast<std::size_t>(k)] ? 0 : stride;
        if (!reduced[static_cast<std::size_t>(k)]) stride *= ext[static_cast<std::size_t>(k)];
      }
      index_t const len = ext[q - 1];
      bool const inner_reduced = reduced[q - 1];
      using array = Eigen::Array<T, Eigen::Dynamic, 1>;
      std::array<index_t, r> idx{};
      index_t off = 0;
      for (index_t b = 0; b < n / len; ++b) {
        T const* src = x.ptr + b * len;
        if (inner_reduced) {
          if constexpr (std::is_same_v<Kind, sum_kind>) {
            dst[off] += Eigen::Map<array const>(src, len).sum();
          } else {
            T acc = dst[off];
            for (index_t i = 0; i < len; ++i) acc = Kind::combine(acc, src[i]);
            dst[off] = acc;
          }
        } else if constexpr (std::is_same_v<Kind, sum_kind>) {
          Eigen::Map<array>(dst + off, len) += Eigen::Map<array const>(src, len);
        } else {
          for (index_t i = 0; i < len; ++i) dst[off + i] = Kind::combine(dst[off + i], src[i]);
        }
        for (std::size_t k = q - 1; k-- > 0;) {
          off += os[k];
          if (++idx[k] < ext[k]) break;
          off -= os[k] * idx[k];
          idx[k] = 0;
        }
      }
    }
  }
};

}  // namespace metagrad
