// SPDX-License-Identifier: MIT
// A small 3-class dataset for training tests: class k is a blob around angle 2πk/3 on the unit
// circle (noise ±0.25), then scaled by `scale` and shifted by (dx, dy), so batch norm has
// something to normalise when they are not 1 and 0.
#pragma once
#include <cmath>

#include <metagrad/data/dataset.hpp>
#include <metagrad/random/philox.hpp>

namespace mgt {

inline metagrad::data::dataset<float, metagrad::shape<2>> blobs(metagrad::index_t n,
                                                                std::uint64_t seed, float scale = 1,
                                                                float dx = 0, float dy = 0) {
  namespace mg = metagrad;
  mg::rng r{seed};
  mg::tensor<float, mg::shape<mg::dyn, 2>> x(mg::extents<2>{{n, 2}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    auto k = static_cast<mg::index_t>(r.below(3));
    double a = 2 * 3.14159265358979 * static_cast<double>(k) / 3;
    x(i, 0) = dx + scale * (static_cast<float>(std::cos(a)) + 0.25f * r.uniform<float>(-1, 1));
    x(i, 1) = dy + scale * (static_cast<float>(std::sin(a)) + 0.25f * r.uniform<float>(-1, 1));
    y(i) = k;
  }
  return {std::move(x), std::move(y)};
}

}  // namespace mgt
