// SPDX-License-Identifier: MIT
// fashion_mnist: a missing directory names the Debian package to install; with the package
// installed, a limited read has the right extents, pixels in [0, 1] and labels in 0..9.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <metagrad/data/fashion_mnist.hpp>
#include <random>
#include <string>
#include <vector>

namespace mg = metagrad;
namespace md = metagrad::data;

namespace {

std::string message_of_missing(std::string const& dir) {
  try {
    md::fashion_mnist(md::split::test, dir);
  } catch (md::file_error const& e) {
    return e.what();
  }
  return "no file_error";
}

// A directory of plain (not gzip'd: gzread passes them through) files under the package's names.
struct fake_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("metagrad_fake_fashion_" + std::to_string(std::random_device{}()));
  fake_dir() { std::filesystem::create_directories(path); }
  ~fake_dir() { std::filesystem::remove_all(path); }
  void write(std::string const& name, std::vector<std::uint8_t> const& b) const {
    std::ofstream(path / name, std::ios::binary)
        .write(reinterpret_cast<char const*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
};

// An IDX header of uint8 values with the given extents, then `fill` for every value.
std::vector<std::uint8_t> idx_u8(std::vector<std::uint32_t> const& dims, std::uint8_t fill) {
  std::vector<std::uint8_t> b{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  std::size_t n = 1;
  for (auto d : dims) {
    for (int k = 3; k >= 0; --k) b.push_back(static_cast<std::uint8_t>(d >> (8 * k)));
    n *= d;
  }
  b.insert(b.end(), n, fill);
  return b;
}

}  // namespace

TEST_CASE("fashion_mnist: a missing directory is a file_error naming the Debian package") {
  auto const dir = (std::filesystem::temp_directory_path() /
                    ("metagrad_no_fashion_" + std::to_string(std::random_device{}())))
                       .string();
  REQUIRE(!std::filesystem::exists(dir));
  std::string const msg = message_of_missing(dir);
  CHECK(msg.find(dir + "/t10k-images-idx3-ubyte.gz not found") != std::string::npos);
  CHECK(msg.find("dataset-fashion-mnist") != std::string::npos);
  CHECK(md::fashion_mnist_classes().size() == 10);
  CHECK(md::fashion_mnist_classes()[9] == "Ankle boot");
}

TEST_CASE("fashion_mnist: the installed files read with a limit (skipped without the package)") {
  if (!std::filesystem::exists(std::string(md::fashion_mnist_dir) + "/t10k-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: ", md::fashion_mnist_dir,
            " not found (apt-get install dataset-fashion-mnist)");
    return;
  }
  auto const test = md::fashion_mnist(md::split::test, md::fashion_mnist_dir, 300);
  CHECK(test.size() == 300);
  CHECK(test.features.shape() == mg::extents<2>{{300, 784}});
  CHECK(test.labels.shape() == mg::extents<1>{{300}});
  CHECK(test.class_names == md::fashion_mnist_classes());
  float lo = 1, hi = 0;
  for (float v : test.features) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == 0.f);
  CHECK(hi == 1.f);  // some pixel of 300 images is 255
  bool seen[10] = {};
  for (mg::index_t v : test.labels) {
    REQUIRE(v >= 0);
    REQUIRE(v <= 9);
    seen[v] = true;
  }
  CHECK(std::all_of(std::begin(seen), std::end(seen), [](bool b) { return b; }));
  CHECK(test.labels(0) == 9);  // the test split's first image is an ankle boot

  auto const train =
      md::fashion_mnist<float, mg::shape<1, 28, 28>>(md::split::train, md::fashion_mnist_dir, 50);
  CHECK(train.features.shape() == mg::extents<4>{{50, 1, 28, 28}});
  CHECK(train.size() == 50);
  // The same images in either layout.
  auto const flat = md::fashion_mnist(md::split::train, md::fashion_mnist_dir, 50);
  CHECK(std::equal(flat.features.begin(), flat.features.end(), train.features.begin()));
}

TEST_CASE("fashion_mnist: wrong image size, label count or label value is a format_error") {
  fake_dir dir;
  auto const d = dir.path.string();
  auto const images = d + "/t10k-images-idx3-ubyte.gz", labels = d + "/t10k-labels-idx1-ubyte.gz";
  dir.write("t10k-images-idx3-ubyte.gz", idx_u8({2, 32, 32}, 255));
  dir.write("t10k-labels-idx1-ubyte.gz", idx_u8({2}, 1));
  CHECK_THROWS_WITH_AS(
      md::fashion_mnist(md::split::test, d),
      (images + ": expected uint8 images of 28x28, found uint8 values of extents [2, 32, 32]")
          .c_str(),
      md::format_error);
  dir.write("t10k-images-idx3-ubyte.gz", idx_u8({2, 28, 28}, 255));
  dir.write("t10k-labels-idx1-ubyte.gz", idx_u8({3}, 1));
  CHECK_THROWS_WITH_AS(md::fashion_mnist(md::split::test, d),
                       (labels + ": expected 2 labels (one per image), found 3").c_str(),
                       md::format_error);
  dir.write("t10k-labels-idx1-ubyte.gz", idx_u8({2}, 10));
  CHECK_THROWS_WITH_AS(md::fashion_mnist(md::split::test, d),
                       (labels + ": expected labels in 0..9, found 10").c_str(), md::format_error);
  // Valid files read: pixels 255 become 1, and the limit applies to both files.
  dir.write("t10k-labels-idx1-ubyte.gz", idx_u8({2}, 4));
  auto const ok = md::fashion_mnist(md::split::test, d);
  CHECK(ok.features.shape() == mg::extents<2>{{2, 784}});
  CHECK(ok.features(1, 783) == 1.f);
  CHECK(ok.labels(1) == 4);
  CHECK(md::fashion_mnist(md::split::test, d, 1).size() == 1);
  // The train split looks for its own files.
  CHECK_THROWS_WITH_AS(md::fashion_mnist(md::split::train, d),
                       doctest::Contains("train-images-idx3-ubyte.gz not found"), md::file_error);
}
