// SPDX-License-Identifier: MIT
// dlib's DNN (Debian: libdlib-dev, 19.24; built when CMake finds dlib, else this program has no
// benchmarks) on issue 4's tasks, one SGD step each (lr 0.05, softmax cross-entropy with
// integer labels, mean over the batch), float32, at 1 and 2 threads (the benchmark's argument):
//   mlp_small_b32, mlp_small_b256 (784-128-10, ReLU), mlp_wide_b256 (784-512-512-10) and
//   lenet_b32 (conv 6@5x5 padding 2, relu, maxpool 2, conv 16@5x5, relu, maxpool 2, dense 120,
//   relu, dense 84, relu, dense 10), as bench/mlp.cpp and bench/lenet.cpp time them for the
//   other contenders; the names BM_<task>_dlib/<threads> join their rows in scripts/bench.sh.
// One step is what dlib's dnn_trainer does per mini-batch, without its thread and bookkeeping:
// net.compute_parameter_gradients(x, labels) (forward, loss_multiclass_log, back-propagation)
// and net.update_parameters(solvers, lr) with dlib::sgd(weight_decay 0, momentum 0), i.e.
// plain SGD; the batch is converted to dlib's tensor once, outside the timing.
// Threads: dlib's CPU layers do their matrix products through BLAS (Debian's dlib links
// libblas.so.3, here OpenBLAS built with OpenMP) and have no thread setting of their own, so the
// thread count is set with openblas_set_num_threads; the other CPU loops of dlib (the
// activations, pooling, im2col, the loss) run on one thread whatever it is.
// The parameters are dlib's own initialisation (not copied from metagrad: dlib's fc stores its
// weights and bias in one (in+1, out) tensor and its con in its own layout); the setup checks
// only that each network's first loss is within 0.75 of ln 10 (the loss of a near-uniform
// prediction, as metagrad's and PyTorch's initialisations give) and that 20 steps on the batch
// decrease it.

#include <benchmark/benchmark.h>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_DLIB
#include <dlib/dnn.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int threads);  // OpenBLAS, which dlib's BLAS calls

namespace {

constexpr double lr = 0.05;
constexpr unsigned long classes = 10;

using dlib::con;
using dlib::fc;
using dlib::input;
using dlib::loss_multiclass_log;
using dlib::matrix;
using dlib::max_pool;
using dlib::relu;

using mlp_small_net = loss_multiclass_log<fc<classes, relu<fc<128, input<matrix<float>>>>>>;
using mlp_wide_net =
    loss_multiclass_log<fc<classes, relu<fc<512, relu<fc<512, input<matrix<float>>>>>>>>;
// con<filters, rows, cols, stride y, stride x>: padding rows/2 (2 for 5x5) at stride 1, so the
// second, unpadded convolution is con_ with padding 0 given (dlib's con alias cannot);
// max_pool<2, 2, 2, 2> has no padding.
template <class Subnet>
using con16_valid = dlib::add_layer<dlib::con_<16, 5, 5, 1, 1, 0, 0>, Subnet>;
using lenet_net = loss_multiclass_log<fc<
    classes,
    relu<fc<84, relu<fc<120, max_pool<2, 2, 2, 2,
                                      relu<con16_valid<max_pool<
                                          2, 2, 2, 2,
                                          relu<con<6, 5, 5, 1, 1, input<matrix<float>>>>>>>>>>>>>>;

/// One network, its solvers and one batch of n 28x28 images (pixels uniform in [0,1), labels
/// uniform in [0,10)) already in dlib's tensor.
template <class Net>
struct dlib_net {
  Net net;
  std::vector<dlib::sgd> solvers;
  dlib::resizable_tensor x;
  std::vector<unsigned long> y;

  explicit dlib_net(long n) : solvers(Net::num_computational_layers, dlib::sgd(0.0f, 0.0f)) {
    std::mt19937 gen(7);
    std::srand(1);  // dlib's layers seed their initialisation from std::rand() when they set up
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    std::uniform_int_distribution<unsigned long> label(0, classes - 1);
    std::vector<matrix<float>> images(static_cast<std::size_t>(n));
    for (auto& m : images) {
      m.set_size(28, 28);
      for (long r = 0; r < 28; ++r)
        for (long c = 0; c < 28; ++c) m(r, c) = pixel(gen);
      y.push_back(label(gen));
    }
    net.to_tensor(images.begin(), images.end(), x);
  }

  float step() {
    double loss = net.compute_parameter_gradients(x, y.begin());
    net.update_parameters(dlib::make_sstack(solvers), lr);
    return static_cast<float>(loss);
  }
};

/// Once per task: aborts unless the first loss is within 0.75 of ln 10 and 20 steps decrease it.
template <class Net>
void check(char const* task, long n) {
  static std::set<std::string> checked;
  if (!checked.insert(task).second) return;
  dlib_net<Net> d(n);
  float first = d.step(), last = first;
  for (int i = 0; i < 20; ++i) last = d.step();
  std::fprintf(stderr, "%s: dlib loss at step 1 %.4f (ln 10 = %.4f), after 20 more %.4f\n", task,
               double(first), std::log(10.0), double(last));
  if (!(std::abs(double(first) - std::log(10.0)) < 0.75 && last < first)) {
    std::fprintf(stderr, "%s: dlib's loss is not near ln 10 or does not decrease; aborting\n",
                 task);
    std::abort();
  }
}

template <class Net>
void bench_dlib(benchmark::State& state, char const* task, long n) {
  openblas_set_num_threads(1);
  check<Net>(task, n);
  openblas_set_num_threads(static_cast<int>(state.range(0)));
  dlib_net<Net> net(n);
  for (int i = 0; i < 3; ++i) net.step();  // warm-up: dlib allocates its tensors in the first
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float loss = net.step();
      benchmark::DoNotOptimize(loss);
      benchmark::ClobberMemory();
    }
  }
  openblas_set_num_threads(1);
  state.counters["threads"] = static_cast<double>(state.range(0));
}

template <class Net>
void add(char const* task, long n) {
  benchmark::RegisterBenchmark(("BM_" + std::string(task) + "_dlib").c_str(),
                               [task, n](benchmark::State& s) { bench_dlib<Net>(s, task, n); })
      ->Arg(1)
      ->Arg(2)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

[[maybe_unused]] bool const registered = [] {
  add<mlp_small_net>("mlp_small_b32", 32);
  add<mlp_small_net>("mlp_small_b256", 256);
  add<mlp_wide_net>("mlp_wide_b256", 256);
  add<lenet_net>("lenet_b32", 32);
  return true;
}();

}  // namespace
#endif
