// SPDX-License-Identifier: MIT
// One SGD step (forward, backward, update; MSE loss, lr 2) of the 2-2-1 sigmoid OR-gate network
// on the truth table's first three rows, as in examples/or_gate.cpp:
//   - metagrad: value_and_grad of the loss, then eval_into updates;
//   - eigen: the same network by hand with fixed-size Eigen matrices and a hand-derived backward
//     pass - the zero-abstraction line.
// Before timing, both run 100 steps from the same start and must reach the same loss.
//
// Forward mode, or_gate_jvp: the loss and its derivative along a direction v of the first layer's
// weights (jvp), from the starting weights: metagrad's jvp, the same by hand with Eigen (tangents
// pushed through each line of the forward pass), and metagrad's general path (the same jvp on
// dyn-shaped views, which are not a small graph) for scale. All three must agree first.

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>

#include "support/alloc_count.hpp"

namespace mg = metagrad;

namespace {

constexpr float lr = 2.0f;

// ---------------------------------------------------------------------------------------------
// metagrad
// ---------------------------------------------------------------------------------------------
struct metagrad_net {
  mg::tensor<float, mg::shape<3, 2>> x{{0, 0}, {0, 1}, {1, 0}};
  mg::tensor<float, mg::shape<3, 1>> y{{0}, {1}, {1}};
  mg::tensor<float, mg::shape<2, 2>> w1{{0.15f, -0.25f}, {0.20f, 0.30f}};
  mg::tensor<float, mg::shape<2>> b1{0.0f, 0.0f};
  mg::tensor<float, mg::shape<2, 1>> w2{{0.25f}, {-0.20f}};
  mg::tensor<float, mg::shape<1>> b2{0.0f};

  float step() {
    auto loss = [this](auto const& w1, auto const& b1, auto const& w2, auto const& b2) {
      auto h = mg::sigmoid(mg::matmul(x, w1) + b1);  // (3,2) x (2,2) => (3,2)
      auto p = mg::sigmoid(mg::matmul(h, w2) + b2);  // (3,2) x (2,1) => (3,1)
      return mg::mean(mg::square(p - y));
    };
    auto [value, g] = mg::value_and_grad<0, 1, 2, 3>(loss)(w1, b1, w2, b2);
    mg::eval_into(w1, w1 - lr * std::get<0>(g));
    mg::eval_into(b1, b1 - lr * std::get<1>(g));
    mg::eval_into(w2, w2 - lr * std::get<2>(g));
    mg::eval_into(b2, b2 - lr * std::get<3>(g));
    return value.item();
  }

  /// The loss and its derivative along v (w.r.t. w1), on w1 as W1 gives it (static or dyn).
  template <class W1, class V>
  std::pair<float, float> jvp(W1 const& w1_, V const& v) const {
    auto loss = [this](auto const& w1) {
      auto h = mg::sigmoid(mg::matmul(x, w1) + b1);
      auto p = mg::sigmoid(mg::matmul(h, w2) + b2);
      return mg::mean(mg::square(p - y));
    };
    auto [value, derivative] = mg::jvp(loss, std::forward_as_tuple(w1_), std::forward_as_tuple(v));
    return {value.item(), derivative.item()};
  }
};

// ---------------------------------------------------------------------------------------------
// Eigen, by hand
// ---------------------------------------------------------------------------------------------
struct eigen_net {
  Eigen::Matrix<float, 3, 2> x;
  Eigen::Matrix<float, 3, 1> y;
  Eigen::Matrix<float, 2, 2> w1;
  Eigen::Matrix<float, 1, 2> b1;
  Eigen::Matrix<float, 2, 1> w2;
  float b2 = 0.0f;

  eigen_net() {
    x << 0, 0, 0, 1, 1, 0;
    y << 0, 1, 1;
    w1 << 0.15f, -0.25f, 0.20f, 0.30f;
    b1 << 0.0f, 0.0f;
    w2 << 0.25f, -0.20f;
  }

  float step() {
    // forward
    Eigen::Matrix<float, 3, 2> h =
        ((x * w1).rowwise() + b1).array().logistic().matrix();          // (3,2) x (2,2) => (3,2)
    Eigen::Matrix<float, 3, 1> p = ((h * w2).array() + b2).logistic();  // (3,2) x (2,1) => (3,1)
    Eigen::Matrix<float, 3, 1> e = p - y;
    float loss = e.squaredNorm() / 3.0f;
    // backward: d loss/dp = 2(p - y)/3;  d sigmoid = y(1 - y)
    Eigen::Matrix<float, 3, 1> dz2 =
        ((2.0f / 3.0f) * e.array() * p.array() * (1.0f - p.array())).matrix();
    Eigen::Matrix<float, 2, 1> dw2 = h.transpose() * dz2;  // (2,3) x (3,1) => (2,1)
    float db2 = dz2.sum();
    Eigen::Matrix<float, 3, 2> dz1 =
        ((dz2 * w2.transpose()).array() * h.array() * (1.0f - h.array()))
            .matrix();                                     // (3,1) x (1,2)
    Eigen::Matrix<float, 2, 2> dw1 = x.transpose() * dz1;  // (2,3) x (3,2) => (2,2)
    Eigen::Matrix<float, 1, 2> db1 = dz1.colwise().sum();
    // update
    w1 -= lr * dw1;
    b1 -= lr * db1;
    w2 -= lr * dw2;
    b2 -= lr * db2;
    return loss;
  }

  /// The loss and its derivative along v (w.r.t. w1), by hand.
  std::pair<float, float> jvp(Eigen::Matrix<float, 2, 2> const& v) const {
    Eigen::Matrix<float, 3, 2> h = ((x * w1).rowwise() + b1).array().logistic().matrix();
    Eigen::Matrix<float, 3, 2> dh = (h.array() * (1.0f - h.array()) * (x * v).array()).matrix();
    Eigen::Matrix<float, 3, 1> p = ((h * w2).array() + b2).logistic();
    Eigen::Matrix<float, 3, 1> dp = (p.array() * (1.0f - p.array()) * (dh * w2).array()).matrix();
    Eigen::Matrix<float, 3, 1> e = p - y;
    return {e.squaredNorm() / 3.0f, (2.0f / 3.0f) * e.dot(dp)};
  }
};

// Both must reach the same loss after 100 steps from the same start, or the timings mean nothing.
void check_same_loss() {
  static bool const checked = [] {
    metagrad_net a;
    eigen_net b;
    float la = 0, lb = 0;
    for (int i = 0; i < 100; ++i) la = a.step(), lb = b.step();
    double diff = std::abs(double(la) - double(lb));
    std::fprintf(stderr, "or_gate: loss after 100 steps: metagrad %.7f, eigen %.7f (|diff| %.2e)\n",
                 double(la), double(lb), diff);
    if (!(diff <= 1e-5 * std::max(1.0, std::abs(double(lb))))) {
      std::fprintf(stderr, "or_gate: the two versions disagree; aborting\n");
      std::abort();
    }
    return true;
  }();
  (void)checked;
}

void BM_or_gate_metagrad(benchmark::State& state) {
  check_same_loss();
  mg::set_num_threads(1);  // one thread, as the hand-written step
  metagrad_net net;
  for (int i = 0; i < 3; ++i) net.step();  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float loss = net.step();
      benchmark::DoNotOptimize(loss);
      benchmark::ClobberMemory();
    }
  }
}
BENCHMARK(BM_or_gate_metagrad);

void BM_or_gate_eigen(benchmark::State& state) {
  check_same_loss();
  eigen_net net;
  for (int i = 0; i < 3; ++i) net.step();  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float loss = net.step();
      benchmark::DoNotOptimize(loss);
      benchmark::DoNotOptimize(net.w1.data());
      benchmark::ClobberMemory();
    }
  }
}
BENCHMARK(BM_or_gate_eigen);

// ---------------------------------------------------------------------------------------------
// Forward mode
// ---------------------------------------------------------------------------------------------
mg::tensor<float, mg::shape<2, 2>> const jvp_direction{{0.5f, -0.5f}, {1.0f, 0.25f}};
/// The same direction as an Eigen matrix (the tensor is row-major).
Eigen::Matrix<float, 2, 2> eigen_direction() {
  return Eigen::Map<Eigen::Matrix<float, 2, 2, Eigen::RowMajor> const>(jvp_direction.data());
}

/// The three versions agree on the derivative, or the timings mean nothing.
void check_same_jvp() {
  static bool const checked = [] {
    metagrad_net a;
    eigen_net b;
    auto [la, da] = a.jvp(a.w1, jvp_direction);
    auto [lg, dg] =
        a.jvp(mg::tensor_view<float, mg::shape<mg::dyn, mg::dyn>>(a.w1.data(), {2, 2}),
              mg::tensor_view<float, mg::shape<mg::dyn, mg::dyn>>(jvp_direction.data(), {2, 2}));
    auto [lb, db] = b.jvp(eigen_direction());
    std::fprintf(stderr, "or_gate_jvp: derivative: metagrad %.7g, general path %.7g, eigen %.7g\n",
                 double(da), double(dg), double(db));
    auto near = [](float p, float q) { return std::abs(double(p) - double(q)) <= 1e-6; };
    if (!near(la, lb) || !near(lg, lb) || !near(da, db) || !near(dg, db)) {
      std::fprintf(stderr, "or_gate_jvp: the versions disagree; aborting\n");
      std::abort();
    }
    return true;
  }();
  (void)checked;
}

void BM_or_gate_jvp_metagrad(benchmark::State& state) {
  check_same_jvp();
  mg::set_num_threads(1);
  metagrad_net net;
  metagrad_bench::allocations_per_step count(state);
  for (auto _ : state) {
    auto r = net.jvp(net.w1, jvp_direction);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_or_gate_jvp_metagrad);

void BM_or_gate_jvp_general(benchmark::State& state) {
  check_same_jvp();
  mg::set_num_threads(1);
  metagrad_net net;
  mg::tensor_view<float, mg::shape<mg::dyn, mg::dyn>> w1(net.w1.data(), {2, 2}),
      v(jvp_direction.data(), {2, 2});
  for (auto _ : state) {
    auto r = net.jvp(w1, v);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_or_gate_jvp_general);

void BM_or_gate_jvp_eigen(benchmark::State& state) {
  check_same_jvp();
  eigen_net net;
  Eigen::Matrix<float, 2, 2> const v = eigen_direction();
  for (auto _ : state) {
    auto r = net.jvp(v);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_or_gate_jvp_eigen);

}  // namespace
