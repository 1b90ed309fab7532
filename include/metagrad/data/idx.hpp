// SPDX-License-Identifier: MIT
// IDX files (the MNIST format): magic 00 00 <type> <ndims>, ndims big-endian int32 extents, then
// the values, big-endian, row-major. read_idx takes a path (gzip'd or plain), parse_idx memory.
// The values are read in growing chunks, so a header that lies about its extents costs only the
// bytes that are really there before the reader reports the truncation.
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "../config.hpp"
#include "../expr/tensor.hpp"
#include "../shape/shape.hpp"
#include "source.hpp"

namespace metagrad::data {

/// The element type codes of IDX (the third magic byte).
enum class idx_type : std::uint8_t {
  u8 = 0x08,
  i8 = 0x09,
  i16 = 0x0B,
  i32 = 0x0C,
  f32 = 0x0D,
  f64 = 0x0E
};

/// An IDX file as read: its extents and its values in host byte order.
/// e.g. auto a = read_idx("t10k-labels-idx1-ubyte.gz"); a.dims == {10000}.
struct idx_array {
  std::vector<index_t> dims;
  std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::int16_t>,
               std::vector<std::int32_t>, std::vector<float>, std::vector<double>>
      values;

  idx_type type() const {
    constexpr idx_type types[] = {idx_type::u8,  idx_type::i8,  idx_type::i16,
                                  idx_type::i32, idx_type::f32, idx_type::f64};
    return types[values.index()];
  }
  index_t size() const {
    return std::visit([](auto const& v) { return static_cast<index_t>(v.size()); }, values);
  }
};

/// The type's name as used in messages, e.g. "uint8".
inline char const* to_string(idx_type t) {
  switch (t) {
    case idx_type::u8:
      return "uint8";
    case idx_type::i8:
      return "int8";
    case idx_type::i16:
      return "int16";
    case idx_type::i32:
      return "int32";
    case idx_type::f32:
      return "float32";
    case idx_type::f64:
      return "float64";
  }
  return "unknown";
}

namespace detail {

inline std::string hex_byte(unsigned b) {
  char const* digits = "0123456789abcdef";
  return {digits[b >> 4 & 15], digits[b & 15]};
}

inline std::size_t idx_element_size(std::uint8_t code) {
  switch (code) {
    case 0x08:
    case 0x09:
      return 1;
    case 0x0B:
      return 2;
    case 0x0C:
    case 0x0D:
      return 4;
    case 0x0E:
      return 8;
    default:
      return 0;
  }
}

/// Big-endian bytes to values of U (whose bit pattern has the width of Bits).
template <class U, class Bits>
std::vector<U> from_big_endian(std::vector<std::uint8_t> const& bytes) {
  std::vector<U> out(bytes.size() / sizeof(U));
  for (std::size_t i = 0; i < out.size(); ++i) {
    Bits b = 0;
    for (std::size_t k = 0; k < sizeof(U); ++k)
      b = static_cast<Bits>(b << 8 | bytes[i * sizeof(U) + k]);
    out[i] = std::bit_cast<U>(b);
  }
  return out;
}

/// Reads exactly n bytes into a vector that grows as they arrive (doubling from 64 KiB).
template <class Source>
std::vector<std::uint8_t> read_exactly(Source& src, std::size_t n, std::string const& name,
                                       std::string const& dims) {
  std::vector<std::uint8_t> bytes;
  std::size_t have = 0;
  while (have < n) {
    std::size_t const chunk = std::min(n - have, std::max<std::size_t>(1 << 16, have));
    bytes.resize(have + chunk);
    std::size_t const got = src.read(bytes.data() + have, chunk);
    have += got;
    if (got < chunk)
      throw format_error(name + ": truncated: the extents " + dims + " need " + std::to_string(n) +
                         " data bytes, found " + std::to_string(have));
  }
  return bytes;
}

/// The IDX reader over any byte source; `limit` >= 0 reads only the first `limit` entries of
/// the first dimension (and then ignores what follows them).
template <class Source>
idx_array parse_idx_from(Source& src, std::string const& name, index_t limit) {
  std::uint8_t magic[4] = {};
  if (std::size_t const k = src.read(magic, 4); k < 4)
    throw format_error(name + ": expected a 4-byte IDX magic number, found " + std::to_string(k) +
                       " bytes");
  std::size_t const elem = idx_element_size(magic[2]);
  if (magic[0] != 0 || magic[1] != 0 || elem == 0 || magic[3] == 0) {
    std::string found;
    for (unsigned b : magic) found += (found.empty() ? "" : " ") + hex_byte(b);
    throw format_error(
        name + ": expected the IDX magic 00 00 <type 08|09|0b|0c|0d|0e> <ndims >= 1>, found " +
        found);
  }
  std::size_t const ndims = magic[3];
  std::array<std::uint8_t, 4 * 255> header{};
  if (std::size_t const k = src.read(header.data(), 4 * ndims); k < 4 * ndims)
    throw format_error(name + ": expected " + std::to_string(ndims) + " extents (" +
                       std::to_string(4 * ndims) + " header bytes), found " + std::to_string(k) +
                       " bytes");
  idx_array out;
  std::uint64_t count = 1;
  bool overflow = false;
  for (std::size_t i = 0; i < ndims; ++i) {
    std::uint8_t const* p = header.data() + 4 * i;
    std::uint32_t const d =
        std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
    if (d > 0x7fffffffu)
      throw format_error(name + ": extent " + std::to_string(i) + " is " + std::to_string(d) +
                         ", expected a non-negative int32");
    out.dims.push_back(d);
  }
  bool const limited = limit >= 0 && limit < out.dims[0];
  std::vector<index_t> const all_dims = out.dims;
  if (limited) out.dims[0] = limit;
  for (index_t d : out.dims) {
    if (d != 0 && count > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(d)) overflow = true;
    count *= static_cast<std::uint64_t>(d);
  }
  if (overflow || count > (std::uint64_t{1} << 62) / elem)
    throw format_error(name + ": the extents " + dims_string(all_dims) +
                       " describe more than 2^62 bytes of data");
  auto const n = static_cast<std::size_t>(count * elem);
  std::vector<std::uint8_t> bytes = read_exactly(src, n, name, dims_string(out.dims));
  if (std::uint8_t extra = 0; !limited && src.read(&extra, 1) == 1)
    throw format_error(name + ": the extents " + dims_string(out.dims) + " need " +
                       std::to_string(n) + " data bytes, found more (trailing data)");
  switch (magic[2]) {
    case 0x08:
      out.values = std::move(bytes);
      break;
    case 0x09:
      out.values = from_big_endian<std::int8_t, std::uint8_t>(bytes);
      break;
    case 0x0B:
      out.values = from_big_endian<std::int16_t, std::uint16_t>(bytes);
      break;
    case 0x0C:
      out.values = from_big_endian<std::int32_t, std::uint32_t>(bytes);
      break;
    case 0x0D:
      out.values = from_big_endian<float, std::uint32_t>(bytes);
      break;
    default:
      out.values = from_big_endian<double, std::uint64_t>(bytes);
      break;
  }
  return out;
}

}  // namespace detail

/// Parses IDX bytes in memory, gzip'd (detected by its magic 1f 8b) or plain; `name` labels the
/// messages. e.g. auto a = parse_idx(bytes.data(), bytes.size(), "upload");
METAGRAD_DECL idx_array parse_idx(std::uint8_t const* data, std::size_t size,
                                  std::string const& name = "<memory>", index_t limit = -1);

/// Reads an IDX file, gzip'd or plain; `limit` >= 0 keeps only the first `limit` entries (e.g.
/// images) and stops reading there. e.g. auto a = read_idx(dir + "/train-labels-idx1-ubyte.gz");
METAGRAD_DECL idx_array read_idx(std::string const& path, index_t limit = -1);

/// The values of an IDX array as a tensor of T and static shape Shape (dyn extents take the
/// file's); throws format_error when the rank or a static extent differs.
/// e.g. auto t = to_tensor<float, shape<dyn, 28, 28>>(read_idx(path), path);
template <class T, class Shape>
tensor<T, Shape> to_tensor(idx_array const& a, std::string const& name = "<memory>") {
  extents<Shape::rank> e{};
  bool fits = a.dims.size() == Shape::rank;
  for (std::size_t i = 0; fits && i < Shape::rank; ++i)
    fits = Shape::dims[i] == dyn || Shape::dims[i] == a.dims[i], e[i] = a.dims[i];
  if (!fits)
    throw format_error(name + ": expected extents " + shape_string<Shape>() + " (-1: any), found " +
                       dims_string(a.dims));
  tensor<T, Shape> t(e, metagrad::detail::uninitialized_t{});
  std::visit([&](auto const& v) { std::copy(v.begin(), v.end(), t.data()); }, a.values);
  return t;
}

/// An IDX file of N images of Rows x Cols (checked), values converted to T unscaled.
/// e.g. auto x = load_idx_images<float>("t10k-images-idx3-ubyte.gz");   // (N,28,28)
template <class T = float, index_t Rows = 28, index_t Cols = 28>
tensor<T, shape<dyn, Rows, Cols>> load_idx_images(std::string const& path, index_t limit = -1) {
  idx_array const a = read_idx(path, limit);
  if (a.dims.size() != 3)
    throw format_error(path + ": expected images, 3 extents (N, rows, cols), found " +
                       std::to_string(a.dims.size()) + " extents " + dims_string(a.dims));
  if (a.dims[1] != Rows || a.dims[2] != Cols)
    throw format_error(path + ": expected images of " + std::to_string(Rows) + "x" +
                       std::to_string(Cols) + ", found " + std::to_string(a.dims[1]) + "x" +
                       std::to_string(a.dims[2]));
  return to_tensor<T, shape<dyn, Rows, Cols>>(a, path);
}

/// An IDX file of N integer labels, as take_along_axis wants them. e.g.
/// auto y = load_idx_labels("t10k-labels-idx1-ubyte.gz");   // (N)
METAGRAD_DECL tensor<index_t, shape<dyn>> load_idx_labels(std::string const& path,
                                                          index_t limit = -1);

// The definitions: here in a header-only build, in the translation unit that includes
// <metagrad/src.hpp> under METAGRAD_SEPARATE_COMPILATION (see config.hpp).
#if METAGRAD_BODIES
METAGRAD_DECL idx_array parse_idx(std::uint8_t const* data, std::size_t size,
                                  std::string const& name, index_t limit) {
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    detail::inflate_source src(data, size, name);
    return detail::parse_idx_from(src, name, limit);
  }
  detail::memory_source src(data, size);
  return detail::parse_idx_from(src, name, limit);
}

METAGRAD_DECL idx_array read_idx(std::string const& path, index_t limit) {
  detail::gz_file_source src(path);
  return detail::parse_idx_from(src, path, limit);
}

METAGRAD_DECL tensor<index_t, shape<dyn>> load_idx_labels(std::string const& path, index_t limit) {
  idx_array const a = read_idx(path, limit);
  if (a.dims.size() != 1)
    throw format_error(path + ": expected labels, 1 extent (N), found " +
                       std::to_string(a.dims.size()) + " extents " + dims_string(a.dims));
  if (a.type() == idx_type::f32 || a.type() == idx_type::f64)
    throw format_error(path + ": expected integer labels, found " + to_string(a.type()) +
                       " values");
  return to_tensor<index_t, shape<dyn>>(a, path);
}
#endif  // METAGRAD_BODIES

}  // namespace metagrad::data
