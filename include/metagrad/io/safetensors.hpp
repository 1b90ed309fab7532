// SPDX-License-Identifier: MIT
// The safetensors format (https://huggingface.co/docs/safetensors), type-erased: entries are
// (name, dtype, shape, pointer), so models and optimizers glue to it without templates. Reading
// validates the whole header before anything is trusted; writing is atomic (atomic_file.hpp).
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../shape/shape.hpp"
#include "atomic_file.hpp"
#include "dtype.hpp"
#include "json.hpp"

namespace metagrad::io {

static_assert(
    std::endian::native == std::endian::little,
    "metagrad::io: safetensors data is little-endian; big-endian hosts are not supported");

using metadata = std::map<std::string, std::string>;

/// A tensor to save: row-major contiguous data of `shape` elements of `type`.
/// e.g. entry{"0.bias", dtype::f32, {3}, b.data()}
struct entry {
  std::string name;
  dtype type;
  std::vector<std::int64_t> shape;
  void const* data;
};

/// Caller memory to load one tensor into; read() checks dtype and shape before writing.
struct mutable_entry {
  std::string name;
  dtype type;
  std::vector<std::int64_t> shape;
  void* data;
};

/// One tensor of a header: its dtype, shape and byte range in the data section.
struct tensor_info {
  dtype type;
  std::vector<std::int64_t> shape;
  std::uint64_t begin, end;
  std::uint64_t byte_size() const { return end - begin; }
};

/// The format caps the header at 100 MB (as the reference implementation does), so a corrupt
/// length never makes us allocate more than that.
inline constexpr std::uint64_t max_header_size = 100'000'000;

namespace detail {

inline std::uint64_t read_u64_le(unsigned char const* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// A header nests 3 levels ({name: {"shape": [...]}}); deeper JSON is rejected before it is parsed:
/// parsing, quoting (dump) and destroying a value recurse once per level (a 200 KB run of '['
/// once overflowed the stack when a message quoted it), and each level costs a node.
inline constexpr std::size_t max_header_depth = 32;

/// The deepest nesting of [ and { in JSON text, counting none inside strings.
inline std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// A JSON value as quoted in messages, cut to 80 characters.
inline std::string excerpt(json::value const& j) {
  std::string s = j.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

/// Element count of a validated shape times `elem`, or nullopt on overflow of u64.
inline std::optional<std::uint64_t> checked_bytes(std::span<std::int64_t const> shape,
                                                  std::size_t elem) {
  std::uint64_t n = elem;
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  for (auto d : shape) {
    auto u = static_cast<std::uint64_t>(d);
    if (n > std::numeric_limits<std::uint64_t>::max() / u) return std::nullopt;
    n *= u;
  }
  return n;
}

inline std::vector<std::int64_t> parse_shape(json::value const& j, std::string const& where) {
  if (!j.is(json::kind::array))
    throw format_error(where + ": expected \"shape\" to be an array, found " + excerpt(j));
  std::vector<std::int64_t> s;
  for (auto const& d : j.items) {
    auto const u = d.as_u64();
    if (!u || *u > std::uint64_t(INT64_MAX))
      throw format_error(where + ": expected a non-negative integer extent, found " + excerpt(d));
    s.push_back(static_cast<std::int64_t>(*u));
  }
  return s;
}

inline tensor_info parse_info(std::string const& name, json::value const& j) {
  std::string where = "tensor '" + name + "'";
  if (!j.is(json::kind::object))
    throw format_error(where + ": expected an object, found " + excerpt(j));
  auto const *dt = j.find("dtype"), *sh = j.find("shape"), *off = j.find("data_offsets");
  if (!dt || !sh || !off)
    throw format_error(where + ": expected keys \"dtype\", \"shape\", \"data_offsets\", found " +
                       excerpt(j));
  std::optional<dtype> type = dt->is(json::kind::string) ? parse_dtype(dt->text) : std::nullopt;
  if (!type) throw format_error(where + ": unknown dtype " + excerpt(*dt));
  auto shape = parse_shape(*sh, where);
  std::optional<std::uint64_t> begin, end;
  if (off->is(json::kind::array) && off->size() == 2)
    begin = off->items[0].as_u64(), end = off->items[1].as_u64();
  if (!begin || !end)
    throw format_error(where +
                       ": expected \"data_offsets\" [begin, end] of two unsigned integers, found " +
                       excerpt(*off));
  tensor_info info{*type, std::move(shape), *begin, *end};
  if (info.begin > info.end)
    throw format_error(where + ": data_offsets [" + std::to_string(info.begin) + ", " +
                       std::to_string(info.end) + "] end before they begin");
  auto bytes = checked_bytes(info.shape, dtype_size(info.type));
  if (!bytes || *bytes != info.byte_size())
    throw format_error(where + ": " + std::string(to_string(info.type)) + " " +
                       dims_string(info.shape) + " needs " +
                       (bytes ? std::to_string(*bytes) : "more than 2^64") +
                       " bytes, but data_offsets span " + std::to_string(info.byte_size()));
  return info;
}

}  // namespace detail

/// A parsed safetensors file: names, dtypes, shapes and metadata, and the tensors' bytes on demand.
/// e.g. auto f = safetensors_file::open("model.safetensors"); f.read({"0.bias", dtype::f32, {3},
/// p});
class safetensors_file {
 public:
  /// Reads and validates the header of `path`; tensor data is read by read().
  static safetensors_file open(std::filesystem::path const& path);
  /// Parses a whole file held in memory (copied, so `bytes` need not outlive the result).
  static safetensors_file parse(std::span<std::byte const> bytes);

  /// Tensor names in the order of their data in the file.
  std::vector<std::string> const& names() const { return order_; }
  bool contains(std::string const& name) const { return tensors_.count(name) != 0; }
  /// e.g. f.info("0.weight").shape == {3, 4}; throws format_error for a name it lacks.
  tensor_info const& info(std::string const& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw format_error(where() + "no tensor named '" + name + "'");
    return it->second;
  }
  io::metadata const& metadata() const { return metadata_; }

  /// Copies tensor `e.name` into `e.data` after checking that dtype and shape are `e`'s.
  void read(mutable_entry const& e) const;
  /// Copies the raw little-endian bytes of a tensor (info(name).byte_size() of them) into `out`.
  void read_bytes(tensor_info const& t, void* out) const;

 private:
  std::string where() const { return path_.empty() ? std::string() : "'" + path_.string() + "': "; }

  // Validates the 8-byte little-endian header length at `p` against the file size.
  std::uint64_t header_length(unsigned char const* p, std::uint64_t size);

  void parse_header(std::string_view text, std::uint64_t data_size);

  std::filesystem::path path_;  // empty when parsed from memory
  std::vector<std::byte> bytes_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, tensor_info> tensors_;
  std::vector<std::string> order_;
  io::metadata metadata_;
};

/// Writes `entries` and `meta` to `path` atomically, data aligned to 8 bytes as PyTorch writes it.
/// e.g. save_safetensors("m.safetensors", {{"w", dtype::f32, {2, 3}, w.data()}}, {{"epoch", "3"}});
METAGRAD_DECL void save_safetensors(std::filesystem::path const& path,
                                    std::span<entry const> entries, metadata const& meta = {});
METAGRAD_DECL void save_safetensors(std::filesystem::path const& path,
                                    std::initializer_list<entry> entries,
                                    metadata const& meta = {});

// The definitions: here in a header-only build, in the translation unit that includes
// <metagrad/src.hpp> under METAGRAD_SEPARATE_COMPILATION (see config.hpp).
#if METAGRAD_BODIES
METAGRAD_DECL safetensors_file safetensors_file::open(std::filesystem::path const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("open '" + path.string() + "': cannot read the file");
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  safetensors_file f;
  f.path_ = path;
  unsigned char len[8] = {};
  if (size >= 8 && !in.read(reinterpret_cast<char*>(len), 8))
    throw format_error(f.where() + "cannot read the header length");
  std::uint64_t n = f.header_length(len, size);
  std::string header(static_cast<std::size_t>(n), '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(n)))
    throw format_error(f.where() + "truncated while reading the header");
  f.parse_header(header, size - 8 - n);
  return f;
}

METAGRAD_DECL safetensors_file safetensors_file::parse(std::span<std::byte const> bytes) {
  safetensors_file f;
  auto const* p = reinterpret_cast<unsigned char const*>(bytes.data());
  std::uint64_t n = f.header_length(p, bytes.size());
  f.parse_header(std::string_view(reinterpret_cast<char const*>(p) + 8, n), bytes.size() - 8 - n);
  f.bytes_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(8 + n), bytes.end());
  return f;
}

METAGRAD_DECL void safetensors_file::read(mutable_entry const& e) const {
  auto const& t = info(e.name);
  if (t.type != e.type)
    throw format_error(e.name + ": expected " + std::string(to_string(e.type)) + ", found " +
                       std::string(to_string(t.type)));
  if (t.shape != e.shape)
    throw format_error(e.name + ": expected " + dims_string(e.shape) + ", found " +
                       dims_string(t.shape));
  read_bytes(t, e.data);
}

METAGRAD_DECL void safetensors_file::read_bytes(tensor_info const& t, void* out) const {
  if (t.byte_size() == 0) return;
  if (path_.empty()) {
    std::memcpy(out, bytes_.data() + t.begin, static_cast<std::size_t>(t.byte_size()));
    return;
  }
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + t.begin));
  if (!in.read(static_cast<char*>(out), static_cast<std::streamsize>(t.byte_size())))
    throw format_error(where() + "truncated: the file changed since it was opened");
}

METAGRAD_DECL std::uint64_t safetensors_file::header_length(unsigned char const* p,
                                                            std::uint64_t size) {
  if (size < 8)
    throw format_error(where() + "expected at least 8 bytes (the header length), found " +
                       std::to_string(size));
  std::uint64_t n = detail::read_u64_le(p);
  if (n > size - 8 || n > max_header_size)
    throw format_error(where() + "header length " + std::to_string(n) + " exceeds the " +
                       std::to_string(std::min(size - 8, max_header_size)) + " bytes available");
  data_start_ = 8 + n;
  return n;
}

METAGRAD_DECL void safetensors_file::parse_header(std::string_view text, std::uint64_t data_size) {
  if (text.empty() || text.front() != '{')
    throw format_error(
        where() + "expected the header to start with '{', found " +
        (text.empty() ? std::string("nothing") : "'" + std::string(1, text.front()) + "'"));
  if (std::size_t const depth = detail::json_depth(text); depth > detail::max_header_depth)
    throw format_error(where() + "expected a header nested at most " +
                       std::to_string(detail::max_header_depth) + " levels deep, found " +
                       std::to_string(depth));
  json::value j;
  try {
    j = json::parse(text, detail::max_header_depth);
  } catch (json::parse_error const& e) {
    throw format_error(where() + "header is not valid JSON: " + e.what());
  }
  if (!j.is(json::kind::object))
    throw format_error(where() + "expected the header to be a JSON object");
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>> spans;
  bool seen_metadata = false;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string const& name = j.keys[i];
    json::value const& value = j.items[i];
    if (name == "__metadata__") {
      if (std::exchange(seen_metadata, true))
        throw format_error(where() + "expected one __metadata__, found it twice");
      if (!value.is(json::kind::object))
        throw format_error(where() + "expected __metadata__ to be an object");
      for (std::size_t k = 0; k < value.size(); ++k) {
        std::string const& key = value.keys[k];
        if (!value.items[k].is(json::kind::string))
          throw format_error(where() + "__metadata__['" + key + "']: expected a string, found " +
                             detail::excerpt(value.items[k]));
        if (!metadata_.emplace(key, value.items[k].text).second)
          throw format_error(where() + "__metadata__: expected unique keys, found '" + key +
                             "' twice");
      }
      continue;
    }
    tensor_info info = detail::parse_info(name, value);
    spans.emplace_back(info.begin, info.end, name);
    if (!tensors_.emplace(name, std::move(info)).second)
      throw format_error(where() + "expected unique tensor names, found '" + name + "' twice");
  }
  // Tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last.
  // Sorted by (begin, end): an empty tensor sits before a tensor that begins where it does.
  std::sort(spans.begin(), spans.end());
  std::uint64_t at = 0;
  for (auto const& [begin, end, name] : spans) {
    if (begin != at)
      throw format_error(where() + "tensor '" + name + "': expected data to begin at byte " +
                         std::to_string(at) + ", found " + std::to_string(begin) +
                         (begin < at ? " (overlaps the previous tensor)" : " (a gap)"));
    if (end > data_size)
      throw format_error(where() + "tensor '" + name + "': data ends at byte " +
                         std::to_string(end) + ", but the data section has " +
                         std::to_string(data_size) + " bytes");
    at = end;
    order_.push_back(name);
  }
  if (at != data_size)
    throw format_error(where() + "expected the data section to be " + std::to_string(at) +
                       " bytes (the tensors' total), found " + std::to_string(data_size));
}

METAGRAD_DECL void save_safetensors(std::filesystem::path const& path,
                                    std::span<entry const> entries, metadata const& meta) {
  std::string const what = "save '" + path.string() + "': ";
  std::vector<entry const*> order;
  for (auto const& e : entries) order.push_back(&e);
  // Widest dtype first, then by name: every tensor starts aligned to its element size.
  std::sort(order.begin(), order.end(), [](entry const* a, entry const* b) {
    return dtype_size(a->type) != dtype_size(b->type) ? dtype_size(a->type) > dtype_size(b->type)
                                                      : a->name < b->name;
  });
  // Names must be unique across dtypes too (the order above only groups equal sizes).
  std::vector<std::string_view> names;
  for (auto const& e : entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
    throw std::invalid_argument(what + "expected unique names, found '" + std::string(*dup) +
                                "' twice");
  auto check_utf8 = [&](std::string_view s, char const* role) {
    if (auto bad = json::invalid_utf8_at(s))
      throw std::invalid_argument(what + "expected " + role +
                                  " in UTF-8, found a byte that is not " + "UTF-8 at offset " +
                                  std::to_string(*bad));
  };
  std::string text = "{";
  if (!meta.empty()) {
    text += "\"__metadata__\":{";
    for (auto const& [k, v] : meta) {
      check_utf8(k, "a metadata key");
      check_utf8(v, "a metadata value");
      if (text.back() != '{') text += ',';
      json::write_string(text, k);
      text += ':';
      json::write_string(text, v);
    }
    text += '}';
  }
  std::uint64_t at = 0;
  for (entry const* p : order) {
    entry const& e = *p;
    if (e.name.empty() || e.name == "__metadata__")
      throw std::invalid_argument(what + "expected a tensor name, found '" + e.name + "'");
    check_utf8(e.name, "a tensor name");
    if (std::any_of(e.shape.begin(), e.shape.end(), [](std::int64_t d) { return d < 0; }))
      throw std::invalid_argument(what + e.name + ": expected non-negative extents, found " +
                                  dims_string(e.shape));
    auto bytes = detail::checked_bytes(e.shape, dtype_size(e.type));
    if (!bytes)
      throw std::invalid_argument(what + e.name + ": shape " + dims_string(e.shape) + " overflows");
    if (*bytes > 0 && e.data == nullptr)
      throw std::invalid_argument(what + e.name + ": data is null");
    if (text.size() > 1) text += ',';
    json::write_string(text, e.name);
    text += ":{\"dtype\":\"";
    text += to_string(e.type);
    text += "\",\"shape\":[";
    for (std::size_t d = 0; d < e.shape.size(); ++d)
      text += (d > 0 ? "," : "") + std::to_string(e.shape[d]);
    text += "],\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + *bytes) + "]}";
    at += *bytes;
  }
  text += '}';
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>(std::uint64_t(text.size()) >> (8 * i));
  detail::atomic_write(path, [&](detail::file_sink& out) {
    out.write(len, 8);
    out.write(text.data(), text.size());
    for (entry const* e : order)
      out.write(e->data,
                static_cast<std::size_t>(*detail::checked_bytes(e->shape, dtype_size(e->type))));
  });
}

METAGRAD_DECL void save_safetensors(std::filesystem::path const& path,
                                    std::initializer_list<entry> entries, metadata const& meta) {
  save_safetensors(path, std::span<entry const>(entries.begin(), entries.size()), meta);
}
#endif  // METAGRAD_BODIES

}  // namespace metagrad::io
