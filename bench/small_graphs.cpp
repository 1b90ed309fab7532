// SPDX-License-Identifier: MIT
// Small static graphs beyond the OR gate (eval/small.hpp): value_and_grad of a loss through one
// LSTM cell step, hidden 2, input 2, batch 2, its four gates sliced from one product
// (x_h (2,4) x W (4,8) + b), w.r.t. W and b:
//   - metagrad: static shapes, so the whole step is a small graph computed on the stack (its
//     slices need the small kernels for slice/unslice);
//   - general: the same function on dyn-shaped views of the same memory, which take metagrad's
//     general path (trace, scratch memory, kernels sized at run time): what the step cost before
//     small graphs covered it.
// Both must give the same loss and gradients before timing.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>

#include "support/alloc_count.hpp"

namespace mg = metagrad;

namespace {

struct lstm_cell {
  mg::tensor<float, mg::shape<2, 4>> xh;  // [x, h] of the two examples
  mg::tensor<float, mg::shape<4, 8>> w;
  mg::tensor<float, mg::shape<8>> b;
  mg::tensor<float, mg::shape<2, 2>> c, target;

  lstm_cell() {
    for (int i = 0; i < 8; ++i) xh.data()[i] = 0.1f * float(i % 5) - 0.2f;
    for (int i = 0; i < 32; ++i) w.data()[i] = 0.05f * float(i % 7) - 0.15f;
    for (int i = 0; i < 8; ++i) b.data()[i] = 0.01f * float(i);
    for (int i = 0; i < 4; ++i) c.data()[i] = 0.1f * float(i), target.data()[i] = 0.05f * float(i);
  }

  /// The loss of the cell's new hidden state; W and b as the caller passes them (static or dyn).
  auto loss() const {
    return [this](auto const& w, auto const& b) {
      auto z = mg::matmul(xh, w) + b;  // (2,4) x (4,8) => (2,8): the gates i, f, g, o
      auto i = mg::sigmoid(mg::slice<1, 0, 2>(z));
      auto f = mg::sigmoid(mg::slice<1, 2, 4>(z));
      auto g = mg::tanh(mg::slice<1, 4, 6>(z));
      auto o = mg::sigmoid(mg::slice<1, 6, 8>(z));
      auto h = o * mg::tanh(f * c + i * g);
      return mg::mean(mg::square(h - target));
    };
  }
};

using dyn2 = mg::tensor_view<float, mg::shape<mg::dyn, mg::dyn>>;
using dyn1 = mg::tensor_view<float, mg::shape<mg::dyn>>;

void check_same() {
  static bool const checked = [] {
    lstm_cell n;
    static_assert(mg::is_small_graph<decltype(n.loss()(n.w, n.b))>);
    static_assert(
        !mg::is_small_graph<decltype(n.loss()(std::declval<dyn2>(), std::declval<dyn1>()))>);
    auto [v1, g1] = mg::value_and_grad<0, 1>(n.loss())(n.w, n.b);
    auto [v2, g2] =
        mg::value_and_grad<0, 1>(n.loss())(dyn2(n.w.data(), {4, 8}), dyn1(n.b.data(), {{8}}));
    double worst = std::abs(double(v1.item()) - double(v2.item()));
    for (int k = 0; k < 32; ++k)
      worst =
          std::max(worst, std::abs(double(std::get<0>(g1).data()[k] - std::get<0>(g2).data()[k])));
    for (int k = 0; k < 8; ++k)
      worst =
          std::max(worst, std::abs(double(std::get<1>(g1).data()[k] - std::get<1>(g2).data()[k])));
    std::fprintf(stderr, "lstm_cell: loss %.7g; largest difference of the two paths %.2e\n",
                 double(v1.item()), worst);
    if (!(worst <= 1e-6)) {
      std::fprintf(stderr, "lstm_cell: the two paths disagree; aborting\n");
      std::abort();
    }
    return true;
  }();
  (void)checked;
}

void BM_small_cell_metagrad(benchmark::State& state) {
  check_same();
  mg::set_num_threads(1);
  lstm_cell n;
  for (int k = 0; k < 3; ++k)
    benchmark::DoNotOptimize(mg::value_and_grad<0, 1>(n.loss())(n.w, n.b));
  metagrad_bench::allocations_per_step count(state);
  for (auto _ : state) {
    auto r = mg::value_and_grad<0, 1>(n.loss())(n.w, n.b);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_small_cell_metagrad);

void BM_small_cell_general(benchmark::State& state) {
  check_same();
  mg::set_num_threads(1);
  lstm_cell n;
  dyn2 w(n.w.data(), {4, 8});
  dyn1 b(n.b.data(), {{8}});
  for (auto _ : state) {
    auto r = mg::value_and_grad<0, 1>(n.loss())(w, b);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_small_cell_general);

}  // namespace
