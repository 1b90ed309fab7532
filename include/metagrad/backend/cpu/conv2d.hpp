// SPDX-License-Identifier: MIT
// conv2d on cpu: im2col + GEMM (detail::dense_product), one GEMM per batch item and group.
//   forward:      y[n,g]  = w[g] (O/G, C/G·KH·KW) x col(x[n,g]) (C/G·KH·KW, OH·OW)
//   input grad:   dx[n,g] = col2im(w[g]ᵀ x g[n,g])
//   weight grad:  dw[g]  += g[n,g] (O/G, OH·OW) x col(x[n,g])ᵀ
// A 1x1 kernel with stride 1 and no padding needs no col buffer: col(x) is x itself.
// Batches are split among the cpu policy's threads (see the kernels below).
#pragma once
#include <algorithm>

#include "../../eval/evaluate.hpp"
#include "../../ops/conv2d.hpp"
#include "gemm.hpp"

namespace metagrad {

namespace detail {

/// Run-time geometry of one conv2d: x (N,C,H,W), w (O,C/G,KH,KW), y (N,O,OH,OW).
struct conv2d_geometry {
  index_t n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups;

  conv2d_geometry(conv2d_params p, extents<4> const& x, extents<4> const& wt)
      : n(x[0]),
        c(x[1]),
        h(x[2]),
        w(x[3]),
        o(wt[0]),
        kh(wt[2]),
        kw(wt[3]),
        oh(conv_axis_h(p).out(x[2], wt[2])),
        ow(conv_axis_w(p).out(x[3], wt[3])),
        sh(p.stride.h),
        sw(p.stride.w),
        ph(p.padding.h),
        pw(p.padding.w),
        dh(p.dilation.h),
        dw(p.dilation.w),
        groups(p.groups) {}

  index_t cg() const { return c / groups; }
  index_t og() const { return o / groups; }
  index_t rows() const { return cg() * kh * kw; }  // of the col matrix
  index_t pixels() const { return oh * ow; }       // its columns
  bool direct() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }

  /// Output columns [lo, hi) whose input column ow*sw + off lies inside [0, w).
  std::pair<index_t, index_t> valid_columns(index_t off) const {
    index_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    index_t hi = w - off <= 0 ? 0 : (w - off + sw - 1) / sw;
    hi = std::min(hi, ow);
    return {std::min(lo, hi), hi};
  }

  /// Walks every (col row, output row) pair of one group's (C/G,H,W) slice: f(offset of the col
  /// row, whether the input row is inside, offset of input column 0 of the window, lo, hi).
  template <class F>
  void for_each_row(F f) const {
    for (index_t ch = 0; ch < cg(); ++ch)
      for (index_t i = 0; i < kh; ++i)
        for (index_t j = 0; j < kw; ++j) {
          index_t r = (ch * kh + i) * kw + j, ioff = i * dh - ph, joff = j * dw - pw;
          auto [lo, hi] = valid_columns(joff);
          for (index_t y = 0; y < oh; ++y) {
            index_t ih = y * sh + ioff;
            bool inside = ih >= 0 && ih < h;
            f(r * pixels() + y * ow, inside, (ch * h + ih) * w + joff, lo, hi);
          }
        }
  }

  /// col (rows, pixels) from one group's input slice (C/G,H,W), zero where padded.
  template <class T>
  void im2col(T const* x, T* col) const {
    for_each_row([&](index_t dst, bool inside, index_t src, index_t lo, index_t hi) {
      T* out = col + dst;
      if (!inside) lo = hi = 0;
      std::fill_n(out, lo, T(0));
      if (sw == 1)
        short_rows<false>(x + src + lo, hi - lo, out + lo);
      else
        for (index_t k = lo; k < hi; ++k) out[k] = x[src + k * sw];
      std::fill(out + hi, out + ow, T(0));
    });
  }
  /// The transpose of im2col: adds col back into one group's slice (C/G,H,W).
  template <class T>
  void col2im(T const* col, T* x) const {
    for_each_row([&](index_t src, bool inside, index_t dst, index_t lo, index_t hi) {
      if (!inside) return;
      if (sw == 1)
        short_rows<true>(col + src + lo, hi - lo, x + dst + lo);
      else
        for (index_t k = lo; k < hi; ++k) x[dst + k * sw] += col[src + k];
    });
  }
};

/// How a conv kernel runs over its batch: on item_threads' count of threads (from the whole
/// batch's work), each with a col buffer of its own (none for a direct convolution), and each
/// image's GEMMs on one thread when they are small (for the plan's lifetime).
template <class T>
struct conv2d_plan {
  int threads;
  std::size_t col_size;
  T* cols;
  threads_for_work gemm_threads;  // last: item_threads must read the count before it changes

  explicit conv2d_plan(conv2d_geometry const& q)
      : threads(item_threads(q.n, q.n * q.groups * q.og() * q.rows() * q.pixels())),
        col_size(q.direct() ? 0 : static_cast<std::size_t>(q.rows() * q.pixels())),
        cols(q.direct() ? nullptr : scratch::take<T>(col_size * threads)),
        gemm_threads(q.og() * q.rows() * q.pixels()) {}

  /// The col buffer of thread `slot`.
  T* col(int slot) const { return cols ? cols + slot * col_size : nullptr; }
};

}  // namespace detail

// Each kernel splits the batch's images among the cpu policy's threads when the batch's work
// pays for them (detail::item_threads, for_ranges), each thread with its own col buffer; one
// image's GEMMs then run on its thread. The weight gradient sums per-thread partial gradients in
// thread order, so a run is reproducible for a given thread count.
// One thread calls `images` directly rather than through for_ranges' lambda: through the lambda
// (or with the body out of line) g++ kept the loops' values in memory and the one-thread LeNet
// step ran 3-10% slower (docs/performance.md, 2026-12-06 stop 18), hence the two calls in each
// kernel.

template <conv2d_params P>
struct kernel<conv2d_op<P>, device::cpu> {
  template <class T, class X, class W>
  static void run(conv2d_op<P>, T* dst, extents<4> const&, X const& x, W const& w) {
    detail::conv2d_geometry q(P, x.ext, w.ext);
    detail::conv2d_plan<T> plan(q);
    if (plan.threads == 1) return images(q, 0, q.n, plan.col(0), dst, x.ptr, w.ptr);
    detail::for_ranges(q.n, plan.threads, [&, q](index_t begin, index_t end, int slot) {
      images(q, begin, end, plan.col(slot), dst, x.ptr, w.ptr);
    });
  }
  /// Images [begin, end). Everything by value: the body's loops keep it in registers.
  template <class T>
  [[gnu::always_inline]] static void images(detail::conv2d_geometry q, index_t begin, index_t end,
                                            T* col, T* dst, T const* x, T const* w) {
    for (index_t n = begin; n < end; ++n)
      for (index_t g = 0; g < q.groups; ++g) {
        T const* in = x + (n * q.c + g * q.cg()) * q.h * q.w;
        if (!q.direct()) q.im2col(in, col);
        detail::dense_product<false, false, false>(dst + (n * q.o + g * q.og()) * q.pixels(),
                                                   w + g * q.og() * q.rows(), q.og(), q.rows(),
                                                   q.direct() ? in : col, q.rows(), q.pixels());
      }
  }
};

template <conv2d_params P, class XS>
struct kernel<conv2d_input_grad_op<P, XS>, device::cpu> {
  template <class T, class G, class W>
  static void run(conv2d_input_grad_op<P, XS>, T* dst, extents<4> const& out, G const& g,
                  W const& w) {
    detail::conv2d_geometry q(P, out, w.ext);
    detail::conv2d_plan<T> plan(q);
    if (plan.threads == 1) return images(q, 0, q.n, plan.col(0), dst, g.ptr, w.ptr);
    detail::for_ranges(q.n, plan.threads, [&, q](index_t begin, index_t end, int slot) {
      images(q, begin, end, plan.col(slot), dst, g.ptr, w.ptr);
    });
  }
  /// Images [begin, end), everything by value (see conv2d_op's).
  template <class T>
  [[gnu::always_inline]] static void images(detail::conv2d_geometry q, index_t begin, index_t end,
                                            T* col, T* dst, T const* g, T const* w) {
    if (!q.direct()) std::fill(dst + begin * q.c * q.h * q.w, dst + end * q.c * q.h * q.w, T(0));
    for (index_t n = begin; n < end; ++n)
      for (index_t k = 0; k < q.groups; ++k) {
        T* dx = dst + (n * q.c + k * q.cg()) * q.h * q.w;
        detail::dense_product<true, false, false>(
            q.direct() ? dx : col, w + k * q.og() * q.rows(), q.og(), q.rows(),
            g + (n * q.o + k * q.og()) * q.pixels(), q.og(), q.pixels());
        if (!q.direct()) q.col2im(col, dx);
      }
  }
};

template <conv2d_params P, class WS>
struct kernel<conv2d_weight_grad_op<P, WS>, device::cpu> {
  template <class T, class X, class G>
  static void run(conv2d_weight_grad_op<P, WS>, T* dst, extents<4> const& out, X const& x,
                  G const& g) {
    detail::conv2d_geometry q(P, x.ext, out);
    detail::conv2d_plan<T> plan(q);
    auto const size = static_cast<std::size_t>(out.size());
    if (plan.threads == 1) {
      std::fill_n(dst, size, T(0));
      return images(q, 0, q.n, plan.col(0), dst, x.ptr, g.ptr);
    }
    // Each thread accumulates into a partial gradient of its own; they are summed in order.
    T* sums = detail::scratch::take<T>(size * plan.threads);
    std::fill_n(sums, size * plan.threads, T(0));
    detail::for_ranges(q.n, plan.threads, [&, q](index_t begin, index_t end, int slot) {
      images(q, begin, end, plan.col(slot), sums + slot * size, x.ptr, g.ptr);
    });
    std::copy_n(sums, size, dst);
    for (int t = 1; t < plan.threads; ++t)
      for (std::size_t i = 0; i < size; ++i) dst[i] += sums[t * size + i];
  }
  /// Adds the gradient of images [begin, end) to dw, everything by value (see conv2d_op's).
  template <class T>
  [[gnu::always_inline]] static void images(detail::conv2d_geometry q, index_t begin, index_t end,
                                            T* col, T* dw, T const* x, T const* g) {
    for (index_t n = begin; n < end; ++n)
      for (index_t k = 0; k < q.groups; ++k) {
        T const* in = x + (n * q.c + k * q.cg()) * q.h * q.w;
        if (!q.direct()) q.im2col(in, col);
        detail::dense_product<false, true, true>(
            dw + k * q.og() * q.rows(), g + (n * q.o + k * q.og()) * q.pixels(), q.og(), q.pixels(),
            q.direct() ? in : col, q.rows(), q.pixels());
      }
  }
};

}  // namespace metagrad
