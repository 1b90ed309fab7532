// SPDX-License-Identifier: MIT
// max_pool2d and avg_pool2d on cpu, with their derivative primitives: direct loops over each
// (H,W) plane of (..,H,W), windows clipped to the input (padding never wins a max and adds 0 to
// a sum). max windows pick their first maximum in row-major order, as PyTorch's cpu kernel.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "../../eval/evaluate.hpp"
#include "../../ops/avg_pool2d.hpp"
#include "../../ops/max_pool2d.hpp"
#include "threads.hpp"

namespace metagrad {

namespace detail {

/// The first maximum of the values seen (a NaN wins, as in PyTorch) and where it was. Updated by
/// bit masks, not branches: which element wins is unpredictable on real activations, and g++
/// compiles `take ? a : b` on a float comparison to a branch.
template <class T>
struct running_max {
  using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  static_assert(sizeof(T) == sizeof(bits));
  T top;
  index_t at;

  void add(T v, index_t where) {
    bool take = (v > top) | (v != v);      // v != v: v is a NaN
    auto m = -static_cast<index_t>(take);  // all ones where v takes over
    at = (at & ~m) | (where & m);
    auto mb = static_cast<bits>(m);
    top = std::bit_cast<T>((std::bit_cast<bits>(top) & ~mb) | (std::bit_cast<bits>(v) & mb));
  }
};

/// v where keep, else +0, without a branch (g++ compiles `keep ? v : 0` on floats to one, and
/// which element of a window wins is unpredictable).
template <class T>
T kept_or_zero(bool keep, T v) {
  using bits = typename running_max<T>::bits;
  return std::bit_cast<T>(std::bit_cast<bits>(v) & -static_cast<bits>(keep));
}

/// The running_max of a KH x KW window whose first element is x (rows w apart); `at` is i*w + j.
template <index_t KH, index_t KW, class T>
running_max<T> full_window_max(T const* x, index_t w) {
  running_max<T> m{x[0], 0};
  for (index_t i = 0; i < KH; ++i)
    for (index_t j = 0; j < KW; ++j) m.add(x[i * w + j], i * w + j);
  return m;
}

/// Run-time geometry of a pool over (..,H,W) planes.
struct pool2d_geometry {
  index_t planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw;

  template <std::size_t R>
  pool2d_geometry(pool2d_params p, extents<R> const& x)
      : planes(x.size() / (x[R - 2] * x[R - 1])),
        h(x[R - 2]),
        w(x[R - 1]),
        oh(pool_axis_h(p).out(h)),
        ow(pool_axis_w(p).out(w)),
        kh(p.kernel.h),
        kw(p.kernel.w),
        sh(p.stride.h),
        sw(p.stride.w),
        ph(p.padding.h),
        pw(p.padding.w) {
    if (h * w == 0) planes = 0;
  }

  /// Calls f(p0, p1) for ranges of planes on the cpu policy's threads when the planes' elements
  /// pay for them (item_threads), else f(0, planes) on the caller. Each range's windows read and
  /// write only its own planes.
  template <class F>
  void for_plane_ranges(F f) const {
    for_ranges(planes, item_threads(planes, planes * h * w, parallel_min_elements),
               [&](index_t p0, index_t p1, int) { f(p0, p1); });
  }

  /// f(plane, output index within the plane, i0, i1, j0, j1) for the windows of planes [p0, p1),
  /// clipped to the plane.
  template <class F>
  void for_each_window(index_t p0, index_t p1, F f) const {
    for (index_t p = p0; p < p1; ++p)
      for (index_t y = 0; y < oh; ++y) {
        index_t i0 = std::max<index_t>(y * sh - ph, 0), i1 = std::min(y * sh - ph + kh, h);
        for (index_t x = 0; x < ow; ++x) {
          index_t j0 = std::max<index_t>(x * sw - pw, 0), j1 = std::min(x * sw - pw + kw, w);
          f(p, y * ow + x, i0, i1, j0, j1);
        }
      }
  }

  /// Index within the plane of the window's first maximum (a NaN wins, as in PyTorch).
  template <class T>
  static index_t argmax(T const* plane, index_t w, index_t i0, index_t i1, index_t j0, index_t j1) {
    running_max<T> m{plane[i0 * w + j0], i0 * w + j0};
    for (index_t i = i0; i < i1; ++i)
      for (index_t j = j0; j < j1; ++j) m.add(plane[i * w + j], i * w + j);
    return m.at;
  }

  /// f(offset in x of the window's first element, index of its output) for every window of
  /// planes [p0, p1), when every window lies inside its plane (no padding). With the window's
  /// extents known at compile time (full_window_max) the window's loop unrolls and consecutive
  /// windows overlap: 4-6x faster than the clipped windows' loop on LeNet's 2x2 pools.
  template <class F>
  void for_each_full_window(index_t p0, index_t p1, F f) const {
    for (index_t p = p0; p < p1; ++p)
      for (index_t y = 0; y < oh; ++y) {
        index_t in = (p * h + y * sh) * w, o = (p * oh + y) * ow;
        for (index_t x = 0; x < ow; ++x) f(in + x * sw, o + x);
      }
  }

  /// Whether P's windows tile the planes (stride = kernel, no padding): each input element is
  /// in at most one window, so a gradient can write it once instead of zeroing and adding.
  template <pool2d_params P>
  static constexpr bool tiles = P.padding.h == 0 && P.padding.w == 0 && P.stride == P.kernel;

  /// For windows that tile the planes: f(at, o, w) for each window of planes [p0, p1), `at` the
  /// offset of its first element, o its output's index, w the rows' stride; f writes the window's
  /// elements of dst. Then the rows and columns no window covers are zeroed. H and W are the
  /// planes' extents when the shape has them (else dyn): as constants, the windows' offsets fold
  /// into f's code (LeNet's first max-pool gradient: 112 us, against 385 with them read at run
  /// time).
  template <index_t KH, index_t KW, index_t H, index_t W, class T, class F>
  void for_each_tile(index_t p0, index_t p1, T* dst, F f) const {
    pool2d_geometry q = *this;
    if constexpr (H != dyn) q.h = H, q.oh = H / KH;
    if constexpr (W != dyn) q.w = W, q.ow = W / KW;
    for (index_t p = p0; p < p1; ++p) {
      T* plane = dst + p * q.h * q.w;
      for (index_t y = 0; y < q.oh; ++y) {
        index_t const row = (p * q.h + y * KH) * q.w;
        for (index_t c = 0; c < q.ow; ++c) f(row + c * KW, (p * q.oh + y) * q.ow + c, q.w);
        for (index_t i = 0; i < KH; ++i)
          std::fill(dst + row + i * q.w + q.ow * KW, dst + row + (i + 1) * q.w, T(0));
      }
      std::fill(plane + q.oh * KH * q.w, plane + q.h * q.w, T(0));
    }
  }

  /// out[window] = v[argmax of x's window]: max_pool2d (v == x) and its gather.
  template <class T>
  void gather(T* out, T const* v, T const* x, index_t p0, index_t p1) const {
    for_each_window(p0, p1,
                    [&](index_t p, index_t o, index_t i0, index_t i1, index_t j0, index_t j1) {
                      index_t off = p * h * w;
                      out[p * oh * ow + o] = v[off + argmax(x + off, w, i0, i1, j0, j1)];
                    });
  }
};

}  // namespace detail

template <pool2d_params P>
struct kernel<max_pool2d_op<P>, device::cpu> {
  template <class T, std::size_t R, class X>
  static void run(max_pool2d_op<P>, T* dst, extents<R> const&, X const& x) {
    detail::pool2d_geometry q(P, x.ext);
    q.for_plane_ranges([&](index_t p0, index_t p1) {
      if constexpr (full_windows)
        q.for_each_full_window(p0, p1, [&](index_t in, index_t o) {
          dst[o] = detail::full_window_max<P.kernel.h, P.kernel.w>(x.ptr + in, q.w).top;
        });
      else
        q.gather(dst, x.ptr, x.ptr, p0, p1);
    });
  }
  static constexpr bool full_windows = P.padding.h == 0 && P.padding.w == 0;
};

template <pool2d_params P>
struct kernel<max_pool2d_gather_op<P>, device::cpu> {
  template <class T, std::size_t R, class V, class X>
  static void run(max_pool2d_gather_op<P>, T* dst, extents<R> const&, V const& v, X const& x) {
    detail::pool2d_geometry q(P, x.ext);
    q.for_plane_ranges([&](index_t p0, index_t p1) {
      if constexpr (kernel<max_pool2d_op<P>, device::cpu>::full_windows)
        q.for_each_full_window(p0, p1, [&](index_t in, index_t o) {
          dst[o] = v.ptr[in + detail::full_window_max<P.kernel.h, P.kernel.w>(x.ptr + in, q.w).at];
        });
      else
        q.gather(dst, v.ptr, x.ptr, p0, p1);
    });
  }
};

template <pool2d_params P>
struct kernel<max_pool2d_grad_op<P>, device::cpu> {
  template <class T, std::size_t R, class G, class X>
  static void run(max_pool2d_grad_op<P>, T* dst, extents<R> const&, G const& g, X const& x) {
    detail::pool2d_geometry q(P, x.ext);
    q.for_plane_ranges([&](index_t p0, index_t p1) {
      if constexpr (detail::pool2d_geometry::tiles<P>) {
        // g at each window's first maximum, 0 elsewhere, through a branch-free select: 112 us
        // instead of 346 for LeNet's (32, 6, 28, 28) gradient on one thread.
        using S = shape_t<X>;
        constexpr index_t kh = P.kernel.h, kw = P.kernel.w;
        q.template for_each_tile<kh, kw, S::dims[R - 2], S::dims[R - 1]>(
            p0, p1, dst, [&](index_t at, index_t o, index_t w) {
              index_t const m = detail::full_window_max<kh, kw>(x.ptr + at, w).at;
              for (index_t i = 0; i < kh; ++i)
                for (index_t j = 0; j < kw; ++j)
                  dst[at + i * w + j] = detail::kept_or_zero(m == i * w + j, g.ptr[o]);
            });
      } else {
        std::fill(dst + p0 * q.h * q.w, dst + p1 * q.h * q.w, T(0));
        if constexpr (kernel<max_pool2d_op<P>, device::cpu>::full_windows)
          q.for_each_full_window(p0, p1, [&](index_t in, index_t o) {
            dst[in + detail::full_window_max<P.kernel.h, P.kernel.w>(x.ptr + in, q.w).at] +=
                g.ptr[o];
          });
        else
          q.for_each_window(
              p0, p1, [&](index_t p, index_t o, index_t i0, index_t i1, index_t j0, index_t j1) {
                index_t off = p * q.h * q.w;
                dst[off + q.argmax(x.ptr + off, q.w, i0, i1, j0, j1)] += g.ptr[p * q.oh * q.ow + o];
              });
      }
    });
  }
};

template <pool2d_params P>
struct kernel<avg_pool2d_op<P>, device::cpu> {
  template <class T, std::size_t R, class X>
  static void run(avg_pool2d_op<P>, T* dst, extents<R> const&, X const& x) {
    detail::pool2d_geometry q(P, x.ext);
    T scale = T(1) / static_cast<T>(q.kh * q.kw);  // count_include_pad: always the full window
    q.for_plane_ranges([&](index_t p0, index_t p1) {
      q.for_each_window(p0, p1,
                        [&](index_t p, index_t o, index_t i0, index_t i1, index_t j0, index_t j1) {
                          T const* plane = x.ptr + p * q.h * q.w;
                          T s(0);
                          for (index_t i = i0; i < i1; ++i)
                            for (index_t j = j0; j < j1; ++j) s += plane[i * q.w + j];
                          dst[p * q.oh * q.ow + o] = s * scale;
                        });
    });
  }
};

template <pool2d_params P, class XS>
struct kernel<avg_pool2d_grad_op<P, XS>, device::cpu> {
  template <class T, std::size_t R, class G>
  static void run(avg_pool2d_grad_op<P, XS>, T* dst, extents<R> const& out, G const& g) {
    detail::pool2d_geometry q(P, out);
    T scale = T(1) / static_cast<T>(q.kh * q.kw);
    q.for_plane_ranges([&](index_t p0, index_t p1) {
      if constexpr (detail::pool2d_geometry::tiles<P>) {
        constexpr index_t kh = P.kernel.h, kw = P.kernel.w;
        q.template for_each_tile<kh, kw, XS::dims[R - 2], XS::dims[R - 1]>(
            p0, p1, dst, [&](index_t at, index_t o, index_t w) {
              T const v = g.ptr[o] * scale;
              for (index_t i = 0; i < kh; ++i)
                for (index_t j = 0; j < kw; ++j) dst[at + i * w + j] = v;
            });
      } else {
        std::fill(dst + p0 * q.h * q.w, dst + p1 * q.h * q.w, T(0));
        q.for_each_window(
            p0, p1, [&](index_t p, index_t o, index_t i0, index_t i1, index_t j0, index_t j1) {
              T* plane = dst + p * q.h * q.w;
              T v = g.ptr[p * q.oh * q.ow + o] * scale;
              for (index_t i = i0; i < i1; ++i)
                for (index_t j = j0; j < j1; ++j) plane[i * q.w + j] += v;
            });
      }
    });
  }
};

}  // namespace metagrad
