// SPDX-License-Identifier: MIT
// A fused elementwise expression over 1M floats, y = sigmoid(a*x + b) * tanh(x), a = 0.7, b = 0.1:
//   - fwd:  y into a preallocated buffer; metagrad eval_into vs the Eigen array expression
//           ((a*X + b).logistic() * X.tanh());
//   - grad: the value sum(y) and dy/dx = a*s*(1-s)*t + s*(1-t²)  (s = sigmoid(a*x+b), t = tanh(x));
//           metagrad value_and_grad (the cost of grad: the forward value is computed either way)
//           vs the best hand-written Eigen version (one pass in L1-sized blocks);
//   - libtorch (when CMake finds Torch): the same expression in torch ops on a 1M-float tensor,
//     forward into a preallocated tensor (torch::sigmoid_out, torch::tanh_out, torch::mul_out),
//     and forward + gradient with autograd (requires_grad x, sum, backward).
// One thread for every contender: mg::set_num_threads(1) (metagrad splits loops of 128k elements
// and more among its threads), torch::set_num_threads(1); Eigen's array expressions run on the
// calling thread.
// Setup checks that the results agree (max abs diff).

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>
#include <random>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_TORCH
#include "support/torch_threads.hpp"
#endif

namespace mg = metagrad;

namespace {

constexpr mg::index_t n = 1 << 20;
constexpr float a = 0.7f, b = 0.1f;

using vec = mg::tensor<float, mg::shape<mg::dyn>>;
using array = Eigen::Array<float, Eigen::Dynamic, 1>;

// The same inputs for every benchmark: x uniform in [-3, 3].
vec const& input() {
  static vec const x = [] {
    vec t(mg::extents<1>{{n}});
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    for (auto& v : t) v = u(rng);
    return t;
  }();
  return x;
}
Eigen::Map<array const> input_array() { return {input().data(), n}; }

auto loss = [](auto const& x) { return mg::sum(mg::sigmoid(a * x + b) * mg::tanh(x)); };

// ---------------------------------------------------------------------------------------------
// the kernels under test
// ---------------------------------------------------------------------------------------------
void fwd_metagrad(vec& out, vec const& x) {
  mg::eval_into(out, mg::sigmoid(a * x + b) * mg::tanh(x));
}

void fwd_eigen(array& out, Eigen::Map<array const> const& x) {
  out = (a * x + b).logistic() * x.tanh();
}

float grad_metagrad(vec& dx, vec const& x) {
  auto [value, g] = mg::value_and_grad(loss)(x);
  dx = std::move(g);  // pooled storage: a move, no copy
  return value.item();
}

// One pass in blocks that stay in L1: s and t once per element, then the value and the derivative.
float grad_eigen(array& dx, Eigen::Map<array const> const& x) {
  constexpr Eigen::Index block = 2048;
  Eigen::Array<float, block, 1> s, t;
  float total = 0;
  for (Eigen::Index i = 0; i < n; i += block) {
    auto xb = x.segment<block>(i);  // n is a multiple of block
    s = (a * xb + b).logistic();
    t = xb.tanh();
    total += (s * t).sum();
    dx.segment<block>(i) = a * s * (1 - s) * t + s * (1 - t.square());
  }
  return total;
}

// Two plain passes: the value, then the derivative as one array expression.
float grad_eigen_two_pass(array& dx, Eigen::Map<array const> const& x) {
  float total = ((a * x + b).logistic() * x.tanh()).sum();
  dx = (a * x + b).logistic() * (1 - (a * x + b).logistic()) * a * x.tanh() +
       (a * x + b).logistic() * (1 - x.tanh().square());
  return total;
}

#if METAGRAD_BENCH_WITH_TORCH
torch::Tensor input_torch() {
  return torch::from_blob(const_cast<float*>(input().data()), {n}).clone();
}
// out = sigmoid(a*x + b) * tanh(x) with out and two temporaries preallocated.
void fwd_torch(torch::Tensor& out, torch::Tensor& s, torch::Tensor& t, torch::Tensor const& x) {
  torch::NoGradGuard no_grad;
  torch::mul_out(s, x, a);
  s.add_(b);
  torch::sigmoid_out(s, s);
  torch::tanh_out(t, x);
  torch::mul_out(out, s, t);
}
// The value and dx by autograd; x requires grad.
float grad_torch(torch::Tensor& x) {
  x.mutable_grad() = torch::Tensor();
  auto y = (torch::sigmoid(a * x + b) * torch::tanh(x)).sum();
  y.backward();
  return y.item<float>();
}
#endif

// ---------------------------------------------------------------------------------------------
// agreement
// ---------------------------------------------------------------------------------------------
void check_agreement() {
  static bool const checked = [] {
    auto const& x = input();
    auto xa = input_array();
    vec out_mg(mg::extents<1>{{n}});
    array out_eg(n);
    fwd_metagrad(out_mg, x);
    fwd_eigen(out_eg, xa);
    float fwd_diff = (Eigen::Map<array const>(out_mg.data(), n) - out_eg).abs().maxCoeff();

    vec dx_mg(mg::extents<1>{{n}});
    array dx_eg(n), dx_eg2(n);
    float v_mg = grad_metagrad(dx_mg, x);
    float v_eg = grad_eigen(dx_eg, xa);
    float v_eg2 = grad_eigen_two_pass(dx_eg2, xa);
    float grad_diff = (Eigen::Map<array const>(dx_mg.data(), n) - dx_eg).abs().maxCoeff();
    float grad_diff2 = (dx_eg2 - dx_eg).abs().maxCoeff();
    // The value is a sum of 1M floats: each is compared with the sum in double.
    double exact = 0;
    for (float v : out_eg) exact += double(v);
    double rel_mg = std::abs(double(v_mg) - exact) / exact;
    double rel_eg = std::abs(double(v_eg) - exact) / exact;
    double rel_eg2 = std::abs(double(v_eg2) - exact) / exact;
    std::fprintf(
        stderr,
        "fused: max|fwd diff| %.2e, max|grad diff| %.2e (eigen two-pass vs one-pass %.2e); "
        "sum %.8g (double), rel. error: metagrad %.2e, eigen %.2e, eigen two-pass %.2e\n",
        double(fwd_diff), double(grad_diff), double(grad_diff2), exact, rel_mg, rel_eg, rel_eg2);
    bool torch_ok = true;
#if METAGRAD_BENCH_WITH_TORCH
    metagrad_bench::set_torch_threads(1);
    auto xt = input_torch();
    auto out_t = torch::empty({n}), s_t = torch::empty({n}), t_t = torch::empty({n});
    fwd_torch(out_t, s_t, t_t, xt);
    float fwd_diff_t =
        (Eigen::Map<array const>(out_t.data_ptr<float>(), n) - out_eg).abs().maxCoeff();
    xt.requires_grad_(true);
    float v_t = grad_torch(xt);
    float grad_diff_t =
        (Eigen::Map<array const>(xt.grad().data_ptr<float>(), n) - dx_eg).abs().maxCoeff();
    double rel_t = std::abs(double(v_t) - exact) / exact;
    std::fprintf(stderr,
                 "fused: libtorch max|fwd diff| %.2e, max|grad diff| %.2e, sum rel. error %.2e\n",
                 double(fwd_diff_t), double(grad_diff_t), rel_t);
    torch_ok = fwd_diff_t <= 1e-5f && grad_diff_t <= 1e-5f && rel_t <= 1e-3;
#endif
    if (!(torch_ok && fwd_diff <= 1e-5f && grad_diff <= 1e-5f && grad_diff2 <= 1e-5f &&
          rel_mg <= 1e-3 && rel_eg <= 1e-3 && rel_eg2 <= 1e-3)) {
      std::fprintf(stderr, "fused: results disagree; aborting\n");
      std::abort();
    }
    return true;
  }();
  (void)checked;
}

void set_counters(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * 2 * static_cast<int64_t>(sizeof(float)));
}

void BM_fused_fwd_metagrad(benchmark::State& state) {
  check_agreement();
  mg::set_num_threads(1);
  auto const& x = input();
  vec out(mg::extents<1>{{n}});
  fwd_metagrad(out, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      fwd_metagrad(out, x);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_fwd_metagrad)->Unit(benchmark::kMicrosecond);

void BM_fused_fwd_eigen(benchmark::State& state) {
  check_agreement();
  auto x = input_array();
  array out(n);
  fwd_eigen(out, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      fwd_eigen(out, x);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_fwd_eigen)->Unit(benchmark::kMicrosecond);

void BM_fused_grad_metagrad(benchmark::State& state) {
  check_agreement();
  mg::set_num_threads(1);
  auto const& x = input();
  vec dx(mg::extents<1>{{n}});
  grad_metagrad(dx, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float v = grad_metagrad(dx, x);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(dx.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_grad_metagrad)->Unit(benchmark::kMicrosecond);

void BM_fused_grad_eigen(benchmark::State& state) {
  check_agreement();
  auto x = input_array();
  array dx(n);
  grad_eigen(dx, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float v = grad_eigen(dx, x);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(dx.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_grad_eigen)->Unit(benchmark::kMicrosecond);

void BM_fused_grad_eigen_two_pass(benchmark::State& state) {
  check_agreement();
  auto x = input_array();
  array dx(n);
  grad_eigen_two_pass(dx, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float v = grad_eigen_two_pass(dx, x);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(dx.data());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_grad_eigen_two_pass)->Unit(benchmark::kMicrosecond);

#if METAGRAD_BENCH_WITH_TORCH
void BM_fused_fwd_libtorch(benchmark::State& state) {
  check_agreement();
  metagrad_bench::set_torch_threads(1);
  auto x = input_torch();
  auto out = torch::empty({n}), s = torch::empty({n}), t = torch::empty({n});
  fwd_torch(out, s, t, x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      fwd_torch(out, s, t, x);
      benchmark::DoNotOptimize(out.data_ptr<float>());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_fwd_libtorch)->Unit(benchmark::kMicrosecond);

void BM_fused_grad_libtorch(benchmark::State& state) {
  check_agreement();
  metagrad_bench::set_torch_threads(1);
  auto x = input_torch().requires_grad_(true);
  grad_torch(x);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float v = grad_torch(x);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(x.grad().data_ptr<float>());
      benchmark::ClobberMemory();
    }
  }
  set_counters(state);
}
BENCHMARK(BM_fused_grad_libtorch)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace
