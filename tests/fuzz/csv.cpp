// SPDX-License-Identifier: MIT
// libFuzzer target of the CSV reader: the first byte picks the options, the rest is the text;
// it either parses or throws data::format_error, and a parsed table has rows x cols values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <metagrad/data/csv.hpp>

namespace md = metagrad::data;

namespace {

template <class T>
void parse(std::string_view text, md::csv_options opt) {
  try {
    auto t = md::parse_csv<T>(text, opt, "fuzz");
    auto const cols = static_cast<std::size_t>(t.values.shape()[1]);
    if (opt.header && t.columns.size() != cols) std::abort();  // a header names every column
    if (!opt.header && !t.columns.empty()) std::abort();
  } catch (md::format_error const&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr char delimiters[] = {',', ';', '\t', ' ', '"', '|', '\n', 'x'};
  md::csv_options opt;
  opt.delimiter = delimiters[data[0] & 7];
  opt.header = (data[0] & 8) != 0;
  std::string_view const text(reinterpret_cast<char const*>(data) + 1, size - 1);
  if (data[0] & 16)
    parse<double>(text, opt);
  else
    parse<float>(text, opt);
  if (data[0] & 32) parse<int>(text, opt);
  return 0;
}
