// SPDX-License-Identifier: MIT
// Reductions on cpu. Axes that form one contiguous run reduce as (outer, red, inner) blocks with
// Eigen's colwise sum/max/min; other axis sets walk the input once with output strides that are
// 0 on reduced axes.
#pragma once
#include <Eigen/Core>
#include <limits>

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
      extents<r> kept = kept_extents<Axes>(x.ext);
      auto ks = kept.strides();
      std::array<index_t, r> os{};
      for (std::size_t d = 0; d < r; ++d) os[d] = kept[d] == 1 && x.ext[d] != 1 ? 0 : ks[d];
      for (std::size_t d = 0; d < r; ++d)
        if (std::find(Axes.begin(), Axes.end(), static_cast<int>(d)) != Axes.end()) os[d] = 0;
      std::fill_n(dst, kept.size(), Kind::template init<T>());
      std::array<index_t, r> idx{};
      index_t off = 0, n = x.ext.size();
      for (index_t i = 0; i < n; ++i) {
        dst[off] = Kind::combine(dst[off], x.ptr[i]);
        for (std::size_t d = r; d-- > 0;) {
          off += os[d];
          if (++idx[d] < x.ext[d]) break;
          off -= os[d] * idx[d];
          idx[d] = 0;
        }
      }
    }
  }
};

}  // namespace metagrad
