// SPDX-License-Identifier: MIT
// Helpers of the io tests: a scratch directory removed at scope exit, whole-file reads, and raw
// safetensors bytes built by hand (for corrupt inputs the writer would never produce).
#pragma once
#include <unistd.h>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mgt {

struct scratch_dir {
  std::filesystem::path path;
  explicit scratch_dir(std::string const& tag)
      : path(std::filesystem::temp_directory_path() /
             ("metagrad_io_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path operator/(std::string const& name) const { return path / name; }
  /// Number of directory entries (to see that no temporary file was left behind).
  std::size_t count() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path), {}));
  }
};

inline std::vector<std::byte> read_all(std::filesystem::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto const* b = reinterpret_cast<std::byte const*>(s.data());
  return std::vector<std::byte>(b, b + s.size());
}

inline void write_all(std::filesystem::path const& p, std::vector<std::byte> const& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<char const*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

/// 8-byte little-endian `header_length` (default: header.size()), the header, then `data`.
inline std::vector<std::byte> raw_file(std::string const& header, std::string const& data,
                                       std::uint64_t header_length = ~std::uint64_t{0}) {
  if (header_length == ~std::uint64_t{0}) header_length = header.size();
  std::vector<std::byte> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(header_length >> (8 * i)));
  for (char c : header + data) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace mgt
