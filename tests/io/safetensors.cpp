// The type-erased safetensors layer: reader and writer round trip, corrupt and truncated input
// (always a format_error that says what was expected and found), atomic save, and interop with
// PyTorch both ways: files PyTorch wrote load (tests/io/data, made by tests/io/make_fixtures.py),
// and the writer's bytes equal those of data/written_by_metagrad.safetensors, which PyTorch loaded.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <metagrad/io/safetensors.hpp>

#include "io/scratch.hpp"

namespace io = metagrad::io;
using mgt::raw_file;

namespace {
std::filesystem::path const fixtures = std::filesystem::path(__FILE__).parent_path() / "data";

io::safetensors_file parse(std::vector<std::byte> const& b) {
  return io::safetensors_file::parse(b);
}

// A small valid file from metagrad's writer: F32 [2, 3], I64 [2], U8 [] and metadata.
std::vector<std::byte> small_file(mgt::scratch_dir const& dir) {
  static float const w[] = {1, 2, 3, 4, 5, 6};
  static std::int64_t const s[] = {-7, 1LL << 40};
  static std::uint8_t const u = 200;
  io::save_safetensors(dir / "small.safetensors",
                       {{"w", io::dtype::f32, {2, 3}, w},
                        {"s", io::dtype::i64, {2}, s},
                        {"u", io::dtype::u8, {}, &u}},
                       {{"k", "v"}});
  return mgt::read_all(dir / "small.safetensors");
}
}  // namespace

TEST_CASE("safetensors: dtype names and sizes") {
  CHECK(io::to_string(io::dtype::bf16) == "BF16");
  CHECK(io::dtype_size(io::dtype::f16) == 2);
  CHECK(io::parse_dtype("F8_E4M3") == io::dtype::f8_e4m3);
  CHECK_FALSE(io::parse_dtype("F33").has_value());
  CHECK(io::dtype_of<std::int64_t> == io::dtype::i64);
  CHECK(io::dtype_of<std::uint8_t> == io::dtype::u8);
  CHECK(io::dtype_of<bool> == io::dtype::boolean);
  CHECK(io::dtype_of<std::int16_t> == io::dtype::i16);
  for (auto const& row : io::detail::dtype_table) CHECK(io::parse_dtype(row.name) == row.type);
}

TEST_CASE("safetensors: the writer's layout reads back, from memory and from a file") {
  mgt::scratch_dir dir("layout");
  auto bytes = small_file(dir);
  std::uint64_t n = io::detail::read_u64_le(reinterpret_cast<unsigned char const*>(bytes.data()));
  CHECK((8 + n) % 8 == 0);  // data starts 8-aligned, as PyTorch's writer does it
  CHECK(static_cast<char>(bytes[8]) == '{');
  for (auto const& f : {parse(bytes), io::safetensors_file::open(dir / "small.safetensors")}) {
    CHECK(f.names() == std::vector<std::string>{"s", "w", "u"});  // widest dtype first
    CHECK(f.metadata() == io::metadata{{"k", "v"}});
    CHECK(f.info("w").shape == std::vector<std::int64_t>{2, 3});
    CHECK(f.info("u").shape.empty());
    float w[6] = {};
    f.read({"w", io::dtype::f32, {2, 3}, w});
    CHECK(w[5] == 6);
    std::int64_t s[2] = {};
    f.read({"s", io::dtype::i64, {2}, s});
    CHECK(s[1] == 1LL << 40);
    std::uint8_t u = 0;
    f.read({"u", io::dtype::u8, {}, &u});
    CHECK(u == 200);
    CHECK_THROWS_WITH_AS(f.read({"w", io::dtype::f64, {2, 3}, w}), "w: expected F64, found F32",
                         io::format_error);
    CHECK_THROWS_WITH_AS(f.read({"w", io::dtype::f32, {3, 2}, w}),
                         "w: expected [3, 2], found [2, 3]", io::format_error);
    CHECK_THROWS_WITH_AS(f.info("nope"), doctest::Contains("no tensor named 'nope'"),
                         io::format_error);
  }
}

TEST_CASE("safetensors: the writer rejects bad entries before touching the file") {
  mgt::scratch_dir dir("bad_entries");
  float x[2] = {};
  auto p = dir / "x.safetensors";
  CHECK_THROWS_WITH_AS(
      io::save_safetensors(p, {{"a", io::dtype::f32, {2}, x}, {"a", io::dtype::f32, {2}, x}}),
      doctest::Contains("expected unique names, found 'a' twice"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(io::save_safetensors(p, {{"a", io::dtype::f32, {-2}, x}}),
                       doctest::Contains("expected non-negative extents, found [-2]"),
                       std::invalid_argument);
  CHECK_THROWS_AS(io::save_safetensors(p, {{"__metadata__", io::dtype::f32, {2}, x}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(io::save_safetensors(p, {{"a", io::dtype::f32, {2}, nullptr}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(io::save_safetensors(p, {{"a", io::dtype::f32, {1LL << 40, 1LL << 40}, x}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(io::save_safetensors(p, {{"\xff", io::dtype::f32, {2}, x}}),
                  std::invalid_argument);
  CHECK(dir.count() == 0);
}

TEST_CASE("safetensors: the header is compact JSON, names and metadata escaped, and reads back") {
  mgt::scratch_dir dir("header");
  auto bytes = small_file(dir);
  std::uint64_t n = io::detail::read_u64_le(reinterpret_cast<unsigned char const*>(bytes.data()));
  std::string header(reinterpret_cast<char const*>(bytes.data()) + 8, n);
  CHECK(header.substr(0, header.find_last_not_of(' ') + 1) ==
        R"({"__metadata__":{"k":"v"},"s":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
        R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]},)"
        R"("u":{"dtype":"U8","shape":[],"data_offsets":[40,41]}})");
  // Names and metadata with quotes, backslashes, control characters and non-ASCII UTF-8.
  std::string const odd = "q\"\\\n\x01/\xc3\xa9\xf0\x9f\x98\x80";
  double d = 0.5;
  float none[1] = {};
  auto p = dir / "odd.safetensors";
  io::save_safetensors(p,
                       {{odd, io::dtype::f64, {1}, &d},
                        {"empty", io::dtype::f32, {0, 3}, none},
                        {"e", io::dtype::u8, {0}, nullptr}},
                       {{odd, odd + "\t\r"}, {"", ""}});
  auto f = io::safetensors_file::open(p);
  CHECK(f.metadata() == io::metadata{{odd, odd + "\t\r"}, {"", ""}});
  // Empty tensors sit at the offset where the next tensor begins, and read back.
  CHECK(f.names() == std::vector<std::string>{odd, "e", "empty"});
  CHECK(f.info("empty").shape == std::vector<std::int64_t>{0, 3});
  CHECK(f.info("e").byte_size() == 0);
  double back = 0;
  f.read({odd, io::dtype::f64, {1}, &back});
  CHECK(back == 0.5);
  f.read({"empty", io::dtype::f32, {0, 3}, none});
}

TEST_CASE("safetensors: a name twice is an error in the writer and in the reader") {
  mgt::scratch_dir dir("twice");
  float x[2] = {};
  double y = 0;
  // Different dtypes, so the writer's layout does not put them side by side.
  CHECK_THROWS_WITH_AS(
      io::save_safetensors(dir / "x.safetensors", {{"a", io::dtype::f32, {2}, x},
                                                   {"b", io::dtype::f32, {2}, x},
                                                   {"a", io::dtype::f64, {1}, &y}}),
      doctest::Contains("expected unique names, found 'a' twice"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      io::save_safetensors(dir / "x.safetensors", {{"a\xc3", io::dtype::f32, {2}, x}}),
      doctest::Contains("expected a tensor name in UTF-8, found a byte that is "
                        "not UTF-8 at offset 1"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      io::save_safetensors(dir / "x.safetensors", {{"a", io::dtype::f32, {2}, x}}, {{"k", "\xff"}}),
      doctest::Contains("expected a metadata value in UTF-8"), std::invalid_argument);
  CHECK(dir.count() == 0);
  auto const t = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  CHECK_THROWS_WITH_AS(parse(raw_file(std::string(R"({"a":)") + t + R"(,"a":)" + t + "}", "xy")),
                       "expected unique tensor names, found 'a' twice", io::format_error);
  CHECK_THROWS_WITH_AS(parse(raw_file(R"({"__metadata__":{},"__metadata__":{}})", "")),
                       "expected one __metadata__, found it twice", io::format_error);
  CHECK_THROWS_WITH_AS(parse(raw_file(R"({"__metadata__":{"k":"1","k":"2"}})", "")),
                       "__metadata__: expected unique keys, found 'k' twice", io::format_error);
}

TEST_CASE("safetensors: corrupt headers are format_errors saying what was expected and found") {
  auto const* ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(parse(raw_file(ok, "12345678")).info("a").byte_size() == 8);
  auto fails = [](std::vector<std::byte> const& b, char const* msg) {
    CHECK_THROWS_WITH_AS(parse(b), doctest::Contains(msg), io::format_error);
  };
  fails({}, "expected at least 8 bytes (the header length), found 0");
  fails(raw_file(ok, "12345678", 1000), "header length 1000 exceeds the 62 bytes available");
  fails(raw_file(ok, "12345678", ~std::uint64_t{0} - 3), "exceeds");
  fails(raw_file(" {}", ""), "expected the header to start with '{', found ' '");
  fails(raw_file("", ""), "found nothing");
  fails(raw_file("{\"a\":", ""), "header is not valid JSON");
  fails(raw_file("{\"a\":\"\xff\"}", ""), "header is not valid JSON");
  fails(raw_file("{\"a\":1}", ""), "tensor 'a': expected an object, found 1");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2]}})", ""), "expected keys");
  fails(raw_file(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", "12345678"),
        "unknown dtype \"F17\"");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "12345678"),
        "expected a non-negative integer extent, found -2");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", "12345678"),
        "found 2.5");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}})",
                 "12345678"),
        "non-negative integer extent");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                 "12345678"),
        "needs more than 2^64 bytes, but data_offsets span 8");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"),
        "tensor 'a': F32 [3] needs 12 bytes, but data_offsets span 8");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "12345678"),
        "end before they begin");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}})", "12345678"),
        "two unsigned integers");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", "12345678"),
        "expected data to begin at byte 0, found 8 (a gap)");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"),
        "data ends at byte 8, but the data section has 4 bytes");
  fails(raw_file(ok, "123456789"),
        "expected the data section to be 8 bytes (the tensors' total), found 9");
  fails(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 "12345678"),
        "tensor 'b': expected data to begin at byte 8, found 4 (overlaps the previous tensor)");
  fails(raw_file(R"({"__metadata__":{"k":1}})", ""),
        "__metadata__['k']: expected a string, found 1");
  fails(raw_file(R"({"__metadata__":[]})", ""), "expected __metadata__ to be an object");
  fails(raw_file("[]", ""), "header to start with '{'");
  // Padding with spaces, as the format allows, and an empty file of tensors are fine.
  CHECK(parse(raw_file(std::string(ok) + "    ", "12345678")).names().size() == 1);
  CHECK(parse(raw_file("{}", "")).names().empty());
}

TEST_CASE("safetensors: a file cut at every length is a format_error, never a crash") {
  mgt::scratch_dir dir("truncated");
  auto bytes = small_file(dir);
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    CAPTURE(len);
    std::vector<std::byte> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    CHECK_THROWS_AS(parse(cut), io::format_error);
    mgt::write_all(dir / "cut.safetensors", cut);
    CHECK_THROWS_AS(io::safetensors_file::open(dir / "cut.safetensors"), io::format_error);
  }
  // A file that shrinks after open is caught when its data is read.
  auto f = io::safetensors_file::open(dir / "small.safetensors");
  std::filesystem::resize_file(dir / "small.safetensors", bytes.size() - 1);
  std::uint8_t u = 0;
  CHECK_THROWS_WITH_AS(f.read({"u", io::dtype::u8, {}, &u}), doctest::Contains("truncated"),
                       io::format_error);
}

TEST_CASE("safetensors: every bit flip in the header parses or throws format_error") {
  mgt::scratch_dir dir("bitflip");
  auto bytes = small_file(dir);
  std::size_t n = 8 + io::detail::read_u64_le(reinterpret_cast<unsigned char const*>(bytes.data()));
  int rejected = 0, accepted = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = bytes;
      flipped[i] ^= static_cast<std::byte>(1 << bit);
      try {
        auto f = parse(flipped);
        // Accepted (e.g. a flipped letter of a name): every tensor must still read in bounds.
        for (auto const& name : f.names()) {
          std::vector<std::byte> out(static_cast<std::size_t>(f.info(name).byte_size()));
          f.read_bytes(f.info(name), out.data());
        }
        ++accepted;
      } catch (io::format_error const&) {
        ++rejected;
      }
    }
  CHECK(rejected + accepted == static_cast<int>(n * 8));
  CHECK(rejected > accepted);  // most flips break the length, the JSON, a dtype or an offset
  CHECK(accepted > 0);         // and flips inside names or metadata values stay valid files
}

TEST_CASE("safetensors: a failed save leaves the previous file byte-identical") {
  mgt::scratch_dir dir("atomic");
  auto p = dir / "ckpt.safetensors";
  auto old = small_file(dir);
  std::filesystem::rename(dir / "small.safetensors", p);
  SUBCASE("the writer throws part-way") {
    CHECK_THROWS_WITH_AS(io::detail::atomic_write(p,
                                                  [](io::detail::file_sink& out) {
                                                    out.write("partial", 7);
                                                    throw std::runtime_error("disk on fire");
                                                  }),
                         "disk on fire", std::runtime_error);
  }
  SUBCASE("the file system refuses a write (RLIMIT_FSIZE, like a full disk)") {
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::vector<float> big(100'000, 1.0f);
    auto save = [&] { io::save_safetensors(p, {{"big", io::dtype::f32, {100'000}, big.data()}}); };
    CHECK_THROWS_WITH_AS(save(), doctest::Contains("File too large"), io::io_error);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);
  }
  SUBCASE("a missing directory") {
    float x = 1;
    std::string want = "directory '" + (dir / "no/such/dir").string() + "' does not exist";
    CHECK_THROWS_WITH_AS(
        io::save_safetensors(dir / "no/such/dir/x.safetensors", {{"x", io::dtype::f32, {}, &x}}),
        doctest::Contains(want.c_str()), io::io_error);
  }
  CHECK(mgt::read_all(p) == old);
  CHECK(dir.count() == 1);  // no temporary file left behind
  // And a save that succeeds replaces it.
  double d = 2.5;
  io::save_safetensors(p, {{"d", io::dtype::f64, {1}, &d}});
  CHECK(io::safetensors_file::open(p).names() == std::vector<std::string>{"d"});
  CHECK(dir.count() == 1);
}

TEST_CASE("interop: files PyTorch wrote load with the values it saved") {
  std::ifstream in(fixtures / "expected.json");
  REQUIRE(in);
  std::string const text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto const expected = io::json::parse(text);
  REQUIRE(expected.size() == 3);
  auto member = [](io::json::value const& v, char const* key) -> io::json::value const& {
    auto const* m = v.find(key);
    REQUIRE(m != nullptr);
    return *m;
  };
  for (std::size_t k = 0; k < expected.size(); ++k) {
    std::string const& stem = expected.keys[k];
    auto const& want = expected.items[k];
    CAPTURE(stem);
    auto f = io::safetensors_file::open(fixtures / (stem + ".safetensors"));
    io::metadata meta;
    auto const& want_meta = member(want, "metadata");
    for (std::size_t m = 0; m < want_meta.size(); ++m)
      meta[want_meta.keys[m]] = want_meta.items[m].text;
    CHECK(f.metadata() == meta);
    auto const& tensors = member(want, "tensors");
    CHECK(f.names().size() == tensors.size());
    for (std::size_t n = 0; n < tensors.size(); ++n) {
      std::string const& name = tensors.keys[n];
      auto const& t = tensors.items[n];
      CAPTURE(name);
      auto type = io::parse_dtype(member(t, "dtype").text);
      REQUIRE(type.has_value());
      std::vector<std::int64_t> shape;
      for (auto const& d : member(t, "shape").items)
        shape.push_back(static_cast<std::int64_t>(d.as_u64().value()));
      auto const& values = member(t, "values").items;
      std::vector<std::byte> buf(values.size() * io::dtype_size(*type));
      f.read({name, *type, shape, buf.data()});
      for (std::size_t i = 0; i < values.size(); ++i) {
        auto* p = buf.data() + i * io::dtype_size(*type);
        auto get = [&]<class T>(T) {
          T v;
          std::memcpy(&v, p, sizeof v);
          return v;
        };
        switch (*type) {
          case io::dtype::f32:
            CHECK(get(0.0f) == static_cast<float>(std::stod(values[i].text)));
            break;
          case io::dtype::f64:
            CHECK(get(0.0) == std::stod(values[i].text));
            break;
          case io::dtype::i64:
            CHECK(get(std::int64_t{}) == std::stoll(values[i].text));
            break;
          case io::dtype::i32:
            CHECK(get(std::int32_t{}) == std::stoi(values[i].text));
            break;
          case io::dtype::u8:
            CHECK(get(std::uint8_t{}) == std::stoi(values[i].text));
            break;
          default:
            FAIL("a dtype the fixture script does not write: " << io::to_string(*type));
        }
      }
    }
  }
}

namespace {
// The tensors of tests/io/data/written_by_metagrad.safetensors, the file PyTorch's safetensors was
// checked to read: every dtype, scalars, empty tensors, dotted names and metadata. Keep them in
// step with WRITTEN_BY_METAGRAD in make_fixtures.py. f16, bf16 and f8 are given as bit patterns.
std::vector<io::entry> const& written_by_metagrad() {
  static float const weight[] = {1.0f / 3, -2.5f, 0,
                                 1e-30f,   3e38f, -std::numeric_limits<float>::infinity()};
  static float const bias[] = {0.1f, -0.2f, 0.3f};
  static double const gain[] = {1.0 / 3, -2.5};
  static double const scale = -0.125;
  static std::int64_t const step = 3'000'000'000'000;
  static std::int64_t const i64[] = {-(1LL << 40), 7, 0, 1LL << 62};
  static std::int32_t const i32[] = {-5, 6, std::numeric_limits<std::int32_t>::max()};
  static std::int16_t const i16[] = {-32768, 32767};
  static std::int8_t const i8[] = {-128, 127};
  static std::uint64_t const u64[] = {0, std::numeric_limits<std::uint64_t>::max()};
  static std::uint32_t const u32[] = {0, std::numeric_limits<std::uint32_t>::max()};
  static std::uint16_t const u16[] = {0, 65535};
  static std::uint8_t const u8[] = {0, 255, 17};
  static std::uint8_t const mask[] = {1, 0, 0, 1};
  static std::uint16_t const f16[] = {0x3C00, 0xC000, 0x3800, 0x7BFF};   // 1, -2, 0.5, 65504
  static std::uint16_t const bf16[] = {0x3F80, 0xC000, 0x3F00, 0x4040};  // 1, -2, 0.5, 3
  static std::uint8_t const e4m3[] = {0x38, 0xC0, 0x30, 0x7E};           // 1, -2, 0.5, 448
  static std::uint8_t const e5m2[] = {0x3C, 0xC0, 0x38, 0x7B};           // 1, -2, 0.5, 57344
  static std::vector<io::entry> const entries{
      {"model.0.weight", io::dtype::f32, {2, 3}, weight},
      {"model.0.bias", io::dtype::f32, {3}, bias},
      {"model.1.gain", io::dtype::f64, {1, 2}, gain},
      {"model.1.scale", io::dtype::f64, {}, &scale},
      {"optim.step", io::dtype::i64, {}, &step},
      {"optim.state.model.0.weight.empty", io::dtype::f32, {2, 0}, nullptr},
      {"optim.state.model.0.bias.empty", io::dtype::i64, {0}, nullptr},
      {"dtypes.i64", io::dtype::i64, {2, 2}, i64},
      {"dtypes.i32", io::dtype::i32, {3}, i32},
      {"dtypes.i16", io::dtype::i16, {2}, i16},
      {"dtypes.i8", io::dtype::i8, {2}, i8},
      {"dtypes.u64", io::dtype::u64, {2}, u64},
      {"dtypes.u32", io::dtype::u32, {2}, u32},
      {"dtypes.u16", io::dtype::u16, {2}, u16},
      {"dtypes.u8", io::dtype::u8, {3}, u8},
      {"dtypes.bool", io::dtype::boolean, {2, 2}, mask},
      {"dtypes.f16", io::dtype::f16, {4}, f16},
      {"dtypes.bf16", io::dtype::bf16, {4}, bf16},
      {"dtypes.f8_e4m3", io::dtype::f8_e4m3, {4}, e4m3},
      {"dtypes.f8_e5m2", io::dtype::f8_e5m2, {4}, e5m2},
  };
  return entries;
}
io::metadata const written_by_metagrad_metadata{
    {"format", "pt"},
    {"producer", "metagrad"},
    {"note", "caf\xc3\xa9 \"quoted\" back\\slash\ttab"}};
}  // namespace

TEST_CASE(
    "interop: metagrad writes byte for byte the file PyTorch's safetensors was checked to read") {
  // tests/io/data/written_by_metagrad.safetensors was written by this test and loaded by
  // `python3 tests/io/make_fixtures.py --verify` with safetensors.torch. A writer that writes other
  // bytes fails here until the new file is committed and verified with PyTorch again.
  auto const committed = fixtures / "written_by_metagrad.safetensors";
  auto const fresh =
      std::filesystem::temp_directory_path() /
      ("metagrad_written_by_metagrad_" + std::to_string(::getpid()) + ".safetensors");
  auto const& entries = written_by_metagrad();
  io::save_safetensors(fresh, entries, written_by_metagrad_metadata);
  auto const want = mgt::read_all(committed), got = mgt::read_all(fresh);
  bool const same = got == want;
  if (same) std::filesystem::remove(fresh);
  auto const at =
      std::mismatch(got.begin(), got.end(), want.begin(), want.end()).first - got.begin();
  CHECK_MESSAGE(same,
                "metagrad's writer wrote "
                    << got.size() << " bytes, first differing at byte " << at << " from the "
                    << want.size() << " bytes of " << committed.string()
                    << ", the file PyTorch's safetensors was checked to read. If the change "
                       "is intended, replace that file and check it with PyTorch again:\n  cp "
                    << fresh.string() << " " << committed.string()
                    << "\n  python3 tests/io/make_fixtures.py --verify " << committed.string());
  // And metagrad reads the committed file back: metadata, names, dtypes, shapes and bytes.
  auto const f = io::safetensors_file::open(committed);
  CHECK(f.metadata() == written_by_metagrad_metadata);
  CHECK(f.names().size() == entries.size());
  for (auto const& e : entries) {
    CAPTURE(e.name);
    auto const& info = f.info(e.name);
    CHECK(info.type == e.type);
    CHECK(info.shape == e.shape);
    std::vector<std::byte> back(static_cast<std::size_t>(info.byte_size()));
    f.read_bytes(info, back.data());
    CHECK((back.empty() || std::memcmp(back.data(), e.data, back.size()) == 0));
  }
}
