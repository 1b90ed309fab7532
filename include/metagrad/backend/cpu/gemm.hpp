// SPDX-License-Identifier: MIT
// metagrad's GEMM for the cpu policy: C = op(A) op(B), or C += op(A) op(B), row-major, float or
// double, op a transpose or not. The scheme of GotoBLAS and BLIS:
//   - for each slice of kc along the depth, op(A)'s rows are packed into panels of at most mr
//     rows (k-major); op(B) is read in place, or packed into panels of nr columns (transposed,
//     or rows 2 KB-multiples apart), block by block of nc columns;
//   - a register tile of mr x nr accumulators (two vectors per row) is updated by one broadcast
//     of A and two vector loads of B per step of depth: an A panel (mr x kc) stays in L1 while
//     the block of B panels (kc x nc) streams from L2.
// Vectors are g++/clang vector extensions as wide as the instruction set compiled for (AVX-512,
// AVX, else SSE): 12 x 32 floats with AVX-512's 32 registers, 6 x 16 with AVX's 16. On this
// project's AVX-512 machines Eigen's GEMM reaches 61-69% of the FMA peak and this one 89-94%
// (docs/performance.md, 2026-12-06 stop 20); on the SSE2 baseline Eigen's is a little faster,
// and dense_product keeps it there (uses_own_gemm).
// The code is a template on the element type only (transposes, sizes and strides are run-time),
// so a program compiles it once per type whatever its shapes.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../eval/invariant.hpp"
#include "../../eval/scratch.hpp"
#include "threads.hpp"
#if METAGRAD_CBLAS
#include <cblas.h>
#endif

namespace metagrad::detail {

/// The register tile and the cache blocks of the GEMM for T on the instruction set compiled for.
template <class T>
struct gemm_blocking {
#if defined(__AVX512F__)
  static constexpr int vector_bytes = 64, registers = 32;
#elif defined(__AVX__)
  static constexpr int vector_bytes = 32, registers = 16;
#else
  static constexpr int vector_bytes = 16, registers = 16;
#endif
  static constexpr int lanes = vector_bytes / static_cast<int>(sizeof(T));
  /// Tile columns: two vectors. Tile rows: 2 mr accumulators, two vectors of B and a broadcast
  /// of A fit the registers.
  static constexpr int nr = 2 * lanes;
  static constexpr int mr = registers == 32 ? 12 : 6;
  /// Depth of a packed slice: an A panel (mr x kc) is 12-24 KB, within L1.
  static constexpr index_t kc = 256;
  /// Columns of a packed B block (kc x nc): 384 KB, within L2.
  static constexpr index_t nc = (index_t{384} * 1024 / (kc * index_t(sizeof(T)))) / nr * nr;
  typedef T vector __attribute__((vector_size(vector_bytes)));
};

template <class V, class T>
inline V gemm_load(T const* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V, class T>
inline void gemm_store(T* p, V const& v) {
  std::memcpy(p, &v, sizeof(V));
}

/// out[k] = in[k] (Add: out[k] += in[k]) for k < n, for short rows: the packing of a panel's
/// rows (at most mr or nr values), im2col's and col2im's (an output row: 10 to 28 values in
/// LeNet). 32-byte pieces (16 on SSE), then one 16-byte piece, then single values. std::copy_n
/// called memmove for each row (12% of a LeNet step; 4.6% of an LSTM step in packing a
/// transposed A), and col2im's element loop did not vectorize.
template <bool Add, class T>
inline void short_rows(T const* in, index_t n, T* out) {
  // 32 bytes where the instruction set has such vectors (as a value of an SSE build, one would
  // change the ABI).
  constexpr int wide = std::min(32, gemm_blocking<T>::vector_bytes);
  typedef T V2 __attribute__((vector_size(wide)));
  typedef T V1 __attribute__((vector_size(16)));
  auto piece = [&]<class V>(index_t k, V*) {
    V v = gemm_load<V>(in + k);
    if constexpr (Add) v += gemm_load<V>(out + k);
    gemm_store(out + k, v);
  };
  constexpr index_t l2 = wide / index_t(sizeof(T)), l1 = 16 / index_t(sizeof(T));
  index_t k = 0;
  for (; k + l2 <= n; k += l2) piece(k, static_cast<V2*>(nullptr));
  if (k + l1 <= n) piece(k, static_cast<V1*>(nullptr)), k += l1;
  for (; k < n; ++k) out[k] = Add ? out[k] + in[k] : in[k];
}

/// Rows from which a panel of A is packed rather than read in place (gemm_serial): the in-place
/// kernel keeps one pointer offset per row in a register.
inline constexpr index_t gemm_in_place_rows = 8;

/// One register tile of NV vectors per row (two: nr columns; one at a narrow edge): c (rows I...,
/// row stride ldc) = (or +=, when add) op(A) B over kc steps, B NV vectors per step, ldb apart.
/// op(A) is a packed panel, mr values per step (row i of step p at a[p mr + i]), or, InPlace, A
/// itself (a[i lda + p]).
template <int NV, bool InPlace, class T, std::size_t... I>
inline void gemm_tile(index_t kc, T const* __restrict a, index_t lda, T const* __restrict b,
                      index_t ldb, T* __restrict c, index_t ldc, bool add,
                      std::index_sequence<I...>) {
  using B = gemm_blocking<T>;
  using V = typename B::vector;
  constexpr int mr = B::mr, lanes = B::lanes;
  V lo[sizeof...(I)] = {}, hi[sizeof...(I)] = {};
  [[maybe_unused]] index_t const row[] = {index_t(I) * (InPlace ? lda : 1)...};
  for (index_t p = 0; p < kc; ++p) {
    V const b0 = gemm_load<V>(b);
    if constexpr (NV == 2) {
      V const b1 = gemm_load<V>(b + lanes);
      ((lo[I] += a[row[I]] * b0, hi[I] += a[row[I]] * b1), ...);
    } else {
      ((lo[I] += a[row[I]] * b0), ...);
    }
    a += InPlace ? 1 : mr;
    b += ldb;
  }
  auto const put = [&](T* at, V const& v) { gemm_store(at, add ? gemm_load<V>(at) + v : v); };
  (put(c + I * ldc, lo[I]), ...);
  if constexpr (NV == 2) (put(c + I * ldc + lanes, hi[I]), ...);
}

/// A tile of R rows (R <= mr: a packed panel still has mr values per step) and `cols` columns:
/// straight into C when cols fills its vectors, else into a buffer (a narrow B panel is packed
/// zero-padded), then its valid part into C. Edges of at most one vector's width take the
/// one-vector kernel.
template <class T, std::size_t R, bool InPlace>
void gemm_rows_tile(index_t kc, T const* a, index_t lda, T const* b, index_t ldb, T* c, index_t ldc,
                    bool add, index_t cols) {
  using B = gemm_blocking<T>;
  constexpr auto rows = std::make_index_sequence<R>{};
  if (cols == B::nr) return gemm_tile<2, InPlace>(kc, a, lda, b, ldb, c, ldc, add, rows);
  if (cols == B::lanes) return gemm_tile<1, InPlace>(kc, a, lda, b, ldb, c, ldc, add, rows);
  alignas(64) T tile[R * B::nr];
  if (cols < B::lanes)
    gemm_tile<1, InPlace>(kc, a, lda, b, ldb, tile, B::nr, false, rows);
  else
    gemm_tile<2, InPlace>(kc, a, lda, b, ldb, tile, B::nr, false, rows);
  for (std::size_t i = 0; i < R; ++i)
    for (index_t j = 0; j < cols; ++j)
      c[index_t(i) * ldc + j] = add ? c[index_t(i) * ldc + j] + tile[i * B::nr + std::size_t(j)]
                                    : tile[i * B::nr + std::size_t(j)];
}

/// A tile of fewer than mr rows or nr columns (or of A in place, at most gemm_in_place_rows
/// rows), with a kernel of as many rows as it has.
template <class T, bool InPlace>
[[gnu::noinline]] inline void gemm_edge_tile(index_t kc, T const* a, index_t lda, T const* b,
                                             index_t ldb, T* c, index_t ldc, bool add, index_t rows,
                                             index_t cols) {
  constexpr index_t most = InPlace ? std::min(gemm_in_place_rows, index_t(gemm_blocking<T>::mr))
                                   : index_t(gemm_blocking<T>::mr);
  static constexpr auto by_rows = []<std::size_t... R>(std::index_sequence<R...>) {
    return std::array{&gemm_rows_tile<T, R + 1, InPlace>...};
  }
  (std::make_index_sequence<std::size_t(most)>{});
  by_rows[static_cast<std::size_t>(rows - 1)](kc, a, lda, b, ldb, c, ldc, add, cols);
}

/// Swaps the upper h-wide half of each 2h-wide block of a with the lower half of b's: one step of
/// a transpose in registers (each step exchanges one bit of the row and the column index).
template <int H, class V, std::size_t... X>
inline void gemm_swap_halves(V& a, V& b, std::index_sequence<X...>) {
  constexpr int n = sizeof...(X);
  V const lo = __builtin_shufflevector(a, b, (X % (2 * H) < H ? int(X) : n + int(X) - H)...);
  V const hi = __builtin_shufflevector(a, b, (X % (2 * H) < H ? int(X) + H : n + int(X))...);
  a = lo;
  b = hi;
}

/// out[q ldo + r] = in[r ldi + q] for r < rows (<= lanes; 0 for the rows past them) and q <
/// lanes, each output row's first Width values: lanes vector loads, log2(lanes) rounds of
/// shuffles, lanes stores.
template <class T, int Width = gemm_blocking<T>::lanes>
inline void gemm_transpose_block(T const* in, index_t ldi, index_t rows, T* out, index_t ldo) {
  using B = gemm_blocking<T>;
  using V = typename B::vector;
  constexpr int lanes = B::lanes;
  static_assert(Width > 0 && Width <= lanes);
  V r[lanes];
  for (int i = 0; i < lanes; ++i) r[i] = i < rows ? gemm_load<V>(in + i * ldi) : V{};
  [&]<int... H>(std::integer_sequence<int, H...>) {
    (
        [&] {
          constexpr int h = 1 << H;
          for (int i = 0; i < lanes; ++i)
            if (i % (2 * h) < h)
              gemm_swap_halves<h>(r[i], r[i + h], std::make_index_sequence<lanes>{});
        }(),
        ...);
  }
  (std::make_integer_sequence<int, std::countr_zero(unsigned(lanes))>{});
  for (int i = 0; i < lanes; ++i) std::memcpy(out + i * ldo, &r[i], Width * sizeof(T));
}

/// op(A)'s rows [0, m) and depth [p0, p0 + kc) into panels of h <= mr rows, mr values per step
/// apart: panel r holds, for each step p, rows r h .. r h + h - 1 (the last panel fewer; a tile
/// reads only the rows its panel has). op(A)(i, p) is a[i lda + p], or a[p lda + i] when ta.
/// Untransposed, lanes steps at a time are transposed in registers, lanes rows at a time (the
/// last group narrower when lanes does not divide mr).
template <class T>
void gemm_pack_a(bool ta, T const* a, index_t lda, index_t m, index_t h, index_t p0, index_t kc,
                 T* out) {
  using B = gemm_blocking<T>;
  constexpr index_t mr = B::mr, lanes = B::lanes;
  for (index_t i0 = 0; i0 < m; i0 += h, out += mr * kc) {
    index_t const rows = std::min(h, m - i0);
    if (ta) {
      // A step's rows are contiguous: a whole panel's as one copy of a size known at compile
      // time (inline vector moves), a narrower one's in pieces.
      if (rows == mr)
        for (index_t p = 0; p < kc; ++p)
          std::memcpy(out + p * mr, a + (p0 + p) * lda + i0, std::size_t(mr) * sizeof(T));
      else
        for (index_t p = 0; p < kc; ++p)
          short_rows<false>(a + (p0 + p) * lda + i0, rows, out + p * mr);
      continue;
    }
    index_t const whole = kc / lanes * lanes;
    for (index_t p = 0; p < whole; p += lanes) [&]<std::size_t... G>(std::index_sequence<G...>) {
        (gemm_transpose_block<T, int(std::min(lanes, mr - index_t(G) * lanes))>(
             a + (i0 + index_t(G) * lanes) * lda + p0 + p, lda,
             std::clamp(rows - index_t(G) * lanes, index_t{0}, lanes),
             out + p * mr + index_t(G) * lanes, mr),
         ...);
      }
    (std::make_index_sequence<std::size_t((mr + lanes - 1) / lanes)>{});
    for (index_t p = whole; p < kc; ++p)
      for (index_t i = 0; i < mr; ++i)
        out[p * mr + i] = i < rows ? a[(i0 + i) * lda + p0 + p] : T(0);
  }
}

/// op(B)'s depth [p0, p0 + kc) and columns [j0, j0 + nb) into panels of nr columns: panel r
/// holds, for each step p, columns r nr .. r nr + nr - 1 (zero past nb). op(B)(p, j) is
/// b[p ldb + j], or b[j ldb + p] when tb.
template <class T>
void gemm_pack_b(bool tb, T const* b, index_t ldb, index_t p0, index_t kc, index_t j0, index_t nb,
                 T* out) {
  constexpr index_t nr = gemm_blocking<T>::nr, lanes = gemm_blocking<T>::lanes;
  for (index_t jp = 0; jp < nb; jp += nr, out += nr * kc) {
    index_t const cols = std::min(nr, nb - jp);
    if (tb) {
      // Groups of lanes columns (the last one narrower) by lanes x lanes transposes in
      // registers, which write zeros past the group's columns; the columns past the groups and
      // the depth past the last whole block, one by one.
      index_t const groups = (cols + lanes - 1) / lanes, whole = kc / lanes * lanes;
      for (index_t q = 0; q < groups; ++q)
        for (index_t p = 0; p < whole; p += lanes)
          gemm_transpose_block<T>(b + (j0 + jp + q * lanes) * ldb + p0 + p, ldb,
                                  std::min(lanes, cols - q * lanes), out + p * nr + q * lanes, nr);
      if (groups * lanes < nr)
        for (index_t p = 0; p < whole; ++p)
          std::fill_n(out + p * nr + groups * lanes, nr - groups * lanes, T(0));
      for (index_t p = whole; p < kc; ++p)
        for (index_t j = 0; j < nr; ++j)
          out[p * nr + j] = j < cols ? b[(j0 + jp + j) * ldb + p0 + p] : T(0);
    } else {
      if (cols < nr) std::fill_n(out, nr * kc, T(0));
      for (index_t p = 0; p < kc; ++p)
        short_rows<false>(b + (p0 + p) * ldb + j0 + jp, cols, out + p * nr);
    }
  }
}

/// A GEMM's operands: C (m x n, row stride ldc) = op(A) (m x k) op(B) (k x n), or += when add.
template <class T>
struct gemm_args {
  bool ta, tb, add;
  index_t m, n, k;
  T const* a;
  index_t lda;
  T const* b;
  index_t ldb;
  T* c;
  index_t ldc;
};

/// Packed blocks of B kept across the calls of a loop whose op(B) lies in invariant memory
/// (eval/invariant.hpp), per thread and element type: dropped when the invariant ranges change.
/// The buffers keep their capacity, so a loop run again allocates nothing; what stays held is at
/// most one loop's packed invariant operands per thread (an LSTM's W_hh^T: 64 KB at H = 64).
template <class T>
struct gemm_kept_packs {
  struct entry {
    T const* b;
    index_t ldb, p0, kc, j0, nb;
    bool tb;
    std::size_t offset;
  };
  std::uint64_t epoch = 0;
  std::vector<entry> entries;
  std::vector<T> data;

  static gemm_kept_packs& local() {
    thread_local gemm_kept_packs k;
    return k;
  }
};

/// op(B)'s block of depth [p0, p0 + kc) and columns [j0, j0 + nb), packed (gemm_pack_b) into
/// out; or, when op(B) lies in invariant memory, packed once into gemm_kept_packs and reused by
/// the loop's later calls.
template <class T>
T const* gemm_packed_b(gemm_args<T> const& g, index_t p0, index_t kc, index_t j0, index_t nb,
                       T* out) {
  auto const& inv = invariant_memory::local();
  index_t const rows = g.tb ? g.n : g.k, cols = g.tb ? g.k : g.n;
  if (!inv.holds(g.b, static_cast<std::size_t>((rows - 1) * g.ldb + cols) * sizeof(T))) {
    gemm_pack_b(g.tb, g.b, g.ldb, p0, kc, j0, nb, out);
    return out;
  }
  auto& kept = gemm_kept_packs<T>::local();
  if (kept.epoch != inv.epoch) {
    kept.entries.clear();
    kept.data.clear();
    kept.epoch = inv.epoch;
  }
  for (auto const& e : kept.entries)
    if (e.b == g.b && e.ldb == g.ldb && e.tb == g.tb && e.p0 == p0 && e.kc == kc && e.j0 == j0 &&
        e.nb == nb)
      return kept.data.data() + e.offset;
  constexpr index_t nr = gemm_blocking<T>::nr;
  std::size_t const at = kept.data.size();
  kept.data.resize(at + static_cast<std::size_t>((nb + nr - 1) / nr * nr * kc));
  gemm_pack_b(g.tb, g.b, g.ldb, p0, kc, j0, nb, kept.data.data() + at);
  kept.entries.push_back({g.b, g.ldb, p0, kc, j0, nb, g.tb, at});
  return kept.data.data() + at;
}

/// Packing memory for A's panels of m rows (one depth slice); B's block follows it.
template <class T>
constexpr index_t gemm_a_pack_size(index_t m) {
  using B = gemm_blocking<T>;
  return (m + B::mr - 1) / B::mr * B::mr * B::kc;
}

/// Packing memory one thread needs for a GEMM of m rows (A: every row of one depth slice; B: one
/// block).
template <class T>
constexpr index_t gemm_pack_size(index_t m) {
  using B = gemm_blocking<T>;
  return gemm_a_pack_size<T>(m) + B::kc * B::nc;
}

/// The GEMM on the calling thread, with packing memory `work` (gemm_pack_size(m) elements).
template <class T>
void gemm_serial(gemm_args<T> const& g, T* work) {
  using B = gemm_blocking<T>;
  constexpr index_t mr = B::mr, nr = B::nr;
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    if (!g.add)
      for (index_t i = 0; i < g.m; ++i) std::fill_n(g.c + i * g.ldc, g.n, T(0));
    return;
  }
  // Rows spread evenly over the fewest panels of at most mr: 16 rows as 8 + 8, not 12 + 4 (a
  // tile of few rows has too few accumulators to hide the FMAs' latency).
  index_t const panels = (g.m + mr - 1) / mr, h = (g.m + panels - 1) / panels;
  T* const pa = work;
  T* const pb = work + gemm_a_pack_size<T>(g.m);
  // B's rows are read in place (but for a last narrow panel), unless transposed, or unless
  // they are a multiple of 2 KB apart and many row panels reuse them: then the rows of a panel
  // fall into a few cache sets and evict each other (AVX2, n = 1024: 88 GFLOP/s in place, 120
  // packed; AVX-512, n = 2048: 234 and 246). Elsewhere in place measured as fast or faster
  // (the (32, 784) x (784, 128) product: 27 us in place, 32 packed).
  bool const pack_b = g.tb || ((g.ldb * index_t(sizeof(T))) % 2048 == 0 && panels > 4);
  // Panels of few rows of an untransposed A are read in place: packing them is a transpose (in
  // registers, lanes rows at a time however few the panel has) that the kernel does not need,
  // as its rows' values for a step are broadcast one by one anyway; an LSTM step's (16, 256) x
  // (256, 64) product spent 18% of its time packing. Not when A's rows are a multiple of
  // 4 KB apart: they would share the L1 cache's sets.
  bool const a_in_place =
      !g.ta && h <= gemm_in_place_rows && (g.lda * index_t(sizeof(T))) % 4096 != 0;
  for (index_t p0 = 0; p0 < g.k; p0 += B::kc) {
    index_t const kc = std::min(B::kc, g.k - p0);
    bool const add = g.add || p0 > 0;
    if (!a_in_place) gemm_pack_a(g.ta, g.a, g.lda, g.m, h, p0, kc, pa);
    for (index_t j0 = 0; j0 < g.n; j0 += B::nc) {
      index_t const nb = std::min(B::nc, g.n - j0), full = nb / nr * nr;
      T const* bb = pb;  // the block's packed panels
      if (pack_b)
        bb = gemm_packed_b(g, p0, kc, j0, nb, pb);
      else if (full < nb)  // the last panel, narrower than a tile: padded
        gemm_pack_b(false, g.b, g.ldb, p0, kc, j0 + full, nb - full, pb + full * kc);
      for (index_t i = 0, panel = 0; i < g.m; i += h, ++panel) {
        T const* ap = a_in_place ? g.a + i * g.lda + p0 : pa + panel * mr * kc;
        index_t const rows = std::min(h, g.m - i);
        for (index_t j = 0; j < nb; j += nr) {
          bool const packed = pack_b || j == full;
          T const* bp = packed ? bb + j * kc : g.b + p0 * g.ldb + j0 + j;
          index_t const ldb = packed ? nr : g.ldb;
          T* c = g.c + i * g.ldc + j0 + j;
          index_t const cols = std::min(nr, nb - j);
          if (a_in_place)
            gemm_edge_tile<T, true>(kc, ap, g.lda, bp, ldb, c, g.ldc, add, rows, cols);
          else if (rows == mr && cols == nr)
            gemm_tile<2, false>(kc, ap, 0, bp, ldb, c, g.ldc, add,
                                std::make_index_sequence<B::mr>{});
          else
            gemm_edge_tile<T, false>(kc, ap, 0, bp, ldb, c, g.ldc, add, rows, cols);
        }
      }
    }
  }
}

/// The GEMM on the cpu policy's threads: products of at least parallel_min_work multiply-adds
/// split C's rows (or its columns, when they hold more tiles) among threads, each packing its
/// own part; the bits are those of one thread.
template <class T>
void gemm(gemm_args<T> const& g) {
  using B = gemm_blocking<T>;
  index_t const row_tiles = (g.m + B::mr - 1) / B::mr, col_tiles = (g.n + B::nr - 1) / B::nr;
  bool const by_rows = row_tiles >= col_tiles;
  index_t const tiles = by_rows ? row_tiles : col_tiles;
  int const threads = item_threads(tiles, g.m * g.n * g.k, parallel_min_work);
  scratch_scope scope;
  index_t const part_rows = by_rows ? (row_tiles + threads - 1) / threads * B::mr : g.m;
  index_t const size = gemm_pack_size<T>(part_rows);
  T* const work = scratch::take<T>(static_cast<std::size_t>(size * threads));
  for_ranges(tiles, threads, [&](index_t t0, index_t t1, int slot) {
    gemm_args<T> part = g;
    if (by_rows) {
      index_t const i0 = t0 * B::mr, i1 = std::min(g.m, t1 * B::mr);
      part.m = i1 - i0;
      part.a += g.ta ? i0 : i0 * g.lda;
      part.c += i0 * g.ldc;
    } else {
      index_t const j0 = t0 * B::nr, j1 = std::min(g.n, t1 * B::nr);
      part.n = j1 - j0;
      part.b += g.tb ? j0 * g.ldb : j0;
      part.c += j0;
    }
    gemm_serial(part, work + slot * size);
  });
}

/// The element types of a BLAS GEMM (sgemm, dgemm), and of this file's.
template <class T>
inline constexpr bool blas_element = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Multiply-adds from which a GEMM goes to the BLAS (when built with METAGRAD_CBLAS).
inline constexpr index_t blas_min_work = index_t{32} * 32 * 32;

/// C = op(A) op(B) (C += op(A) op(B) when Add) through cblas for row-major float/double; false if
/// not done (no BLAS, other type, too small).
template <bool TA, bool TB, bool Add, class T>
bool blas_gemm([[maybe_unused]] T* c, [[maybe_unused]] T const* a, [[maybe_unused]] index_t ar,
               [[maybe_unused]] index_t ac, [[maybe_unused]] T const* b,
               [[maybe_unused]] index_t br, [[maybe_unused]] index_t bc) {
#if METAGRAD_CBLAS
  if constexpr (blas_element<T>) {
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

/// out = op(a) op(b), or out += op(a) op(b) when Add, for Eigen matrices or maps.
template <bool TA, bool TB, bool Add, class C, class A, class B>
void eigen_product(C& out, A const& a, B const& b) {
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

/// Whether dense_product uses gemm() for T: float and double, compiled for AVX or wider. On the
/// SSE2 baseline (no -march), Eigen's GEMM measured 2-8% faster than this one's 6 x 8 tile
/// (docs/performance.md, 2026-12-06 stop 20), so it keeps those products.
template <class T>
inline constexpr bool uses_own_gemm = gemm_blocking<T>::vector_bytes >= 32 && blas_element<T>;

/// c = op(a) op(b), or c += op(a) op(b) when Add; a is ar x ac, b br x bc, c contiguous, all
/// row-major: the linked BLAS (METAGRAD_CBLAS) from blas_min_work multiply-adds, else
/// metagrad's GEMM (uses_own_gemm), else Eigen's.
template <bool TA, bool TB, bool Add, class T>
void dense_product(T* c, T const* a, index_t ar, index_t ac, T const* b, index_t br, index_t bc) {
  index_t const m = TA ? ac : ar, n = TB ? br : bc, k = TA ? ar : ac;
  if (blas_gemm<TA, TB, Add>(c, a, ar, ac, b, br, bc)) return;
  if constexpr (uses_own_gemm<T>) {
    gemm<T>({TA, TB, Add, m, n, k, a, ac, b, bc, c, n});
  } else {
    using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<matrix const> A(a, ar, ac), B(b, br, bc);
    Eigen::Map<matrix> C(c, m, n);
    threads_for_work threads(m * n * k);
    eigen_product<TA, TB, Add>(C, A, B);
  }
}

}  // namespace metagrad::detail
