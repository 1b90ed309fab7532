// SPDX-License-Identifier: MIT
// libFuzzer target of the IDX reader (plain and gzip'd, from memory): any input either parses
// or throws data::format_error; a crash, leak, UB or another exception is a finding.
#include <cstddef>
#include <cstdint>

#include <metagrad/data/idx.hpp>

namespace md = metagrad::data;

namespace {

// What a caller does next with a parsed array: the typed conversion, which checks the rank.
void use(md::idx_array const& a) {
  if (a.size() != 0 && a.dims.size() == 3)
    (void)md::to_tensor<float, metagrad::shape<metagrad::dyn, metagrad::dyn, metagrad::dyn>>(a);
  else if (a.dims.size() == 1 && a.type() != md::idx_type::f32 && a.type() != md::idx_type::f64)
    (void)md::to_tensor<metagrad::index_t, metagrad::shape<metagrad::dyn>>(a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  try {
    use(md::parse_idx(data, size, "fuzz"));
  } catch (md::format_error const&) {
  }
  // The same bytes read with a limit on the first extent (as fashion_mnist(limit) reads).
  try {
    use(md::parse_idx(data, size, "fuzz", size % 4));
  } catch (md::format_error const&) {
  }
  return 0;
}
