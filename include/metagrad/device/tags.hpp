// SPDX-License-Identifier: MIT
// Device policy tags. A tensor's device is part of its type; kernels are chosen by
// kernel<Op, Device> (device/kernel.hpp), specialised in backend/<device>/.
#pragma once
#include <concepts>
#include <type_traits>

namespace metagrad::device {

/// Kernels on Eigen, in backend/cpu/.
struct cpu {
  static constexpr char const* name = "cpu";
};
/// Kernels on Thrust, CUB and cuBLAS, in backend/cuda/ (include <metagrad/cuda.hpp>).
struct cuda {
  static constexpr char const* name = "cuda";
};

template <class D>
concept policy = std::same_as<D, cpu> || std::same_as<D, cuda>;

}  // namespace metagrad::device
