// SPDX-License-Identifier: MIT
// The primary kernel<Op, Device>: every non-elementwise op needs a specialisation per device.
// Elementwise ops need none: backends fuse them from each op's scalar `apply`.
#pragma once
#include "../detail/meta.hpp"
#include "tags.hpp"

namespace metagrad {

template <class Op, class Device>
struct kernel {
  // If the compiler points here, an op was evaluated on a device that has no kernel for it.
  static_assert(detail::always_false<Op, Device>,
                "no kernel for this op on this device: specialize kernel<Op, Device> in "
                "backend/<device>/");
};

}  // namespace metagrad
