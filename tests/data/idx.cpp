// SPDX-License-Identifier: MIT
// IDX reader: round trips through files written here (plain and gzip'd) and memory, the typed
// loaders, and every malformed input with the message it must give.
#include <doctest/doctest.h>
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <metagrad/data/idx.hpp>

namespace mg = metagrad;
namespace md = metagrad::data;
using bytes = std::vector<std::uint8_t>;

namespace {

void put_be(bytes& b, std::uint64_t v, int n) {
  for (int k = n - 1; k >= 0; --k) b.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

bytes idx_header(std::uint8_t type, std::vector<std::uint32_t> const& dims) {
  bytes b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims) put_be(b, d, 4);
  return b;
}

bytes gzip(bytes const& in) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  bytes out(deflateBound(&z, in.size()) + 32);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("metagrad_idx_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string write(std::string const& name, bytes const& b) const {
    auto p = (path / name).string();
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<char const*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p;
  }
};

std::string message_of(bytes const& b, mg::index_t limit = -1) {
  try {
    md::parse_idx(b.data(), b.size(), "in.idx", limit);
  } catch (md::format_error const& e) {
    return e.what();
  }
  return "no error";
}

// 3 images of 2x3 with pixel value 10*i + j, as a real idx3 file is laid out.
bytes images_2x3() {
  bytes b = idx_header(0x08, {3, 2, 3});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 6; ++j) b.push_back(static_cast<std::uint8_t>(10 * i + j));
  return b;
}

}  // namespace

TEST_CASE("IDX: uint8 images round-trip through plain and gzip'd files and memory") {
  temp_dir dir;
  bytes const raw = images_2x3();
  for (auto const& entry : {std::pair{"a.idx", raw}, std::pair{"a.idx.gz", gzip(raw)}}) {
    auto const& [name, data] = entry;
    CAPTURE(entry.first);
    auto const path = dir.write(name, data);
    for (auto const& a : {md::read_idx(path), md::parse_idx(data.data(), data.size())}) {
      CHECK(a.type() == md::idx_type::u8);
      CHECK(a.dims == std::vector<mg::index_t>{3, 2, 3});
      auto const& v = std::get<std::vector<std::uint8_t>>(a.values);
      REQUIRE(v.size() == 18);
      CHECK(v[0] == 0);
      CHECK(v[7] == 11);
      CHECK(v[17] == 25);
    }
    auto const t = md::load_idx_images<float, 2, 3>(path);
    CHECK(t.shape() == mg::extents<3>{{3, 2, 3}});
    CHECK(t(2, 1, 2) == 25.f);
    auto const first = md::read_idx(path, 2);  // limit: the first two images only
    CHECK(first.dims == std::vector<mg::index_t>{2, 2, 3});
    CHECK(first.size() == 12);
  }
}

TEST_CASE("IDX: multi-byte types are big-endian") {
  bytes i16 = idx_header(0x0B, {2});
  put_be(i16, 0x0102, 2), put_be(i16, 0xfffe, 2);
  CHECK(std::get<std::vector<std::int16_t>>(md::parse_idx(i16.data(), i16.size()).values) ==
        std::vector<std::int16_t>{258, -2});
  bytes i32 = idx_header(0x0C, {1, 1});
  put_be(i32, 0x80000000u, 4);
  CHECK(std::get<std::vector<std::int32_t>>(md::parse_idx(i32.data(), i32.size()).values)[0] ==
        INT32_MIN);
  bytes f32 = idx_header(0x0D, {2});
  put_be(f32, std::bit_cast<std::uint32_t>(1.5f), 4),
      put_be(f32, std::bit_cast<std::uint32_t>(-2.f), 4);
  auto const a = md::parse_idx(f32.data(), f32.size());
  CHECK(a.type() == md::idx_type::f32);
  CHECK(std::get<std::vector<float>>(a.values) == std::vector<float>{1.5f, -2.f});
  bytes f64 = idx_header(0x0E, {1});
  put_be(f64, std::bit_cast<std::uint64_t>(0.1), 8);
  CHECK(std::get<std::vector<double>>(md::parse_idx(f64.data(), f64.size()).values)[0] == 0.1);
  bytes i8 = idx_header(0x09, {1});
  i8.push_back(0xff);
  CHECK(std::get<std::vector<std::int8_t>>(md::parse_idx(i8.data(), i8.size()).values)[0] == -1);
  // An int16 file as a tensor of double, shape checked against the header.
  auto const t = md::to_tensor<double, mg::shape<2>>(md::parse_idx(i16.data(), i16.size()));
  CHECK(t(1) == -2.0);
  CHECK_THROWS_WITH_AS((md::to_tensor<double, mg::shape<3>>(md::parse_idx(i16.data(), i16.size()))),
                       "<memory>: expected extents [3] (-1: any), found [2]", md::format_error);
}

TEST_CASE("IDX: labels load as index_t; wrong layouts are rejected with the file's name") {
  temp_dir dir;
  bytes lab = idx_header(0x08, {4});
  for (std::uint8_t v : {3, 0, 9, 1}) lab.push_back(v);
  auto const y = md::load_idx_labels(dir.write("labels.gz", gzip(lab)));
  CHECK(y.shape()[0] == 4);
  CHECK(y(2) == 9);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(y)>,
                               mg::tensor<mg::index_t, mg::shape<mg::dyn>>>);

  auto const img = dir.write("train-images-idx3-ubyte.gz", gzip(images_2x3()));
  CHECK_THROWS_WITH_AS(md::load_idx_images<float>(img),
                       (img + ": expected images of 28x28, found 2x3").c_str(), md::format_error);
  CHECK_THROWS_WITH_AS(md::load_idx_labels(img),
                       (img + ": expected labels, 1 extent (N), found 3 extents [3, 2, 3]").c_str(),
                       md::format_error);
  bytes f = idx_header(0x0D, {1});
  put_be(f, 0, 4);
  auto const fp = dir.write("float_labels", f);
  CHECK_THROWS_WITH_AS(md::load_idx_labels(fp),
                       (fp + ": expected integer labels, found float32 values").c_str(),
                       md::format_error);
  CHECK_THROWS_AS(md::read_idx((dir.path / "missing.gz").string()), md::file_error);
}

TEST_CASE("IDX: malformed headers name what was expected and found") {
  CHECK(message_of({0, 0}) == "in.idx: expected a 4-byte IDX magic number, found 2 bytes");
  CHECK(message_of({}) == "in.idx: expected a 4-byte IDX magic number, found 0 bytes");
  CHECK(message_of({1, 0, 8, 1}) ==
        "in.idx: expected the IDX magic 00 00 <type 08|09|0b|0c|0d|0e> <ndims >= 1>, found 01 00 "
        "08 01");
  CHECK(message_of({0, 0, 7, 1}) ==
        "in.idx: expected the IDX magic 00 00 <type 08|09|0b|0c|0d|0e> <ndims >= 1>, found 00 00 "
        "07 01");
  CHECK(message_of({0, 0, 8, 0}) ==
        "in.idx: expected the IDX magic 00 00 <type 08|09|0b|0c|0d|0e> <ndims >= 1>, found 00 00 "
        "08 00");
  CHECK(message_of({0, 0, 8, 3, 0, 0, 0, 2, 0}) ==
        "in.idx: expected 3 extents (12 header bytes), found 5 bytes");
  CHECK(message_of(idx_header(8, {2, 0x80000000u})) ==
        "in.idx: extent 1 is 2147483648, expected a non-negative int32");
}

TEST_CASE("IDX: lying extents are caught before allocating, and truncation is reported") {
  // Four extents of 2^31-1: their product overflows 64 bits.
  auto const huge = idx_header(0x0E, {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff});
  CHECK(message_of(huge) ==
        "in.idx: the extents [2147483647, 2147483647, 2147483647, 2147483647] describe more than "
        "2^62 bytes of data");
  // 2^31-1 x 2^31-1 float64 fits in 64 bits (2^65 bytes do not; 2^62 + is refused as well).
  CHECK(message_of(idx_header(0x0E, {0x7fffffff, 0x7fffffff})).find("more than 2^62") !=
        std::string::npos);
  // A header claiming 60000x28x28 with 10 bytes of data: truncation, not a 47 MB allocation.
  bytes lie = idx_header(0x08, {60000, 28, 28});
  lie.resize(lie.size() + 10);
  CHECK(message_of(lie) ==
        "in.idx: truncated: the extents [60000, 28, 28] need 47040000 data bytes, found 10");
  CHECK(message_of(gzip(lie)) ==
        "in.idx: truncated: the extents [60000, 28, 28] need 47040000 data bytes, found 10");
  bytes extra = images_2x3();
  extra.push_back(0);
  CHECK(message_of(extra) ==
        "in.idx: the extents [3, 2, 3] need 18 data bytes, found more (trailing data)");
  CHECK(message_of(extra, 2) == "no error");         // with a limit the rest is never read
  CHECK(message_of(extra, 3) == message_of(extra));  // a limit >= N is no limit
  bytes i16 = idx_header(0x0B, {2});
  i16.push_back(1), i16.push_back(2), i16.push_back(3);
  CHECK(message_of(i16) == "in.idx: truncated: the extents [2] need 4 data bytes, found 3");
}

TEST_CASE("IDX: gzip errors are format errors, in memory and from files") {
  temp_dir dir;
  bytes gz = gzip(images_2x3());
  bytes cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  CHECK(message_of(cut) == "in.idx: gzip: unexpected end of the compressed data");
  auto const cut_path = dir.write("cut.gz", cut);
  CHECK_THROWS_WITH_AS(md::read_idx(cut_path),
                       (cut_path + ": gzip: unexpected end of file").c_str(), md::format_error);
  bytes corrupt = gz;
  corrupt[12] ^= 0xff, corrupt[13] ^= 0x55;  // inside the deflate data
  std::string const m = message_of(corrupt);
  CHECK(m.rfind("in.idx: ", 0) == 0);
  CHECK(m != "no error");
  bytes bad_header = gz;
  bad_header[2] = 7;  // compression method must be 8 (deflate)
  CHECK(message_of(bad_header) == "in.idx: gzip: unknown compression method");
  // Two gzip members are read as one stream, as gzread reads them.
  bytes raw = images_2x3();
  bytes half1(raw.begin(), raw.begin() + 10), half2(raw.begin() + 10, raw.end());
  bytes two = gzip(half1), g2 = gzip(half2);
  two.insert(two.end(), g2.begin(), g2.end());
  CHECK(message_of(two) == "no error");
  auto const two_path = dir.write("two.gz", two);
  CHECK(md::read_idx(two_path).size() == 18);
}
