// SPDX-License-Identifier: MIT
// libFuzzer target of the safetensors reader (from memory): any input either parses or throws
// io::format_error; every tensor of a parsed file is then read in full, as a loader would. The
// same bytes, as text, go to the header's JSON parser (io/json.hpp): they parse or throw
// json::parse_error, and what parses writes back as text that parses to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include <metagrad/io/safetensors.hpp>

namespace mio = metagrad::io;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  try {
    auto const v =
        mio::json::parse(std::string_view(reinterpret_cast<char const*>(data), size), 32);
    auto const text = v.dump();
    if (mio::json::parse(text, 32).dump() != text) std::abort();  // the writer and reader disagree
  } catch (mio::json::parse_error const&) {
  }
  try {
    auto const f = mio::safetensors_file::parse(
        std::span<std::byte const>(reinterpret_cast<std::byte const*>(data), size));
    std::uint64_t total = 0;
    for (auto const& name : f.names()) {
      auto const& t = f.info(name);
      total += t.byte_size();
      if (total > size) std::abort();  // the tensors claim more bytes than the input holds
      std::vector<std::byte> out(static_cast<std::size_t>(t.byte_size()));
      f.read_bytes(t, out.data());
      f.read({name, t.type, t.shape, out.data()});  // the checked read of the same tensor
    }
    (void)f.metadata();
  } catch (mio::format_error const&) {
  }
  return 0;
}
