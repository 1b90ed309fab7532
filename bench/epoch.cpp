// SPDX-License-Identifier: MIT
// One epoch of the Fashion-MNIST MLP recipe of examples/fashion_mnist (issue 4's epoch task):
// 784-128-10, ReLU, softmax cross-entropy, Adam lr 1e-3, batch 64, shuffled, 60000 training
// images (pixels / 255) from /usr/share/datasets/fashion-mnist (Debian: dataset-fashion-mnist),
// at 1 and 2 threads; one iteration = one epoch, the loading not timed:
//   - metagrad: as a user writes the loop: data::fashion_mnist, data::batch_loader (shuffled),
//     nn::sequential(dense, relu, dense), value_and_grad of nn::cross_entropy, optim::adam;
//   - libtorch (when built with it): the same data as one tensor, torch::randperm and
//     index_select per batch, torch::nn::Sequential, cross_entropy, backward, torch::optim::Adam
//     (what bench/peers/fashion_mnist_mlp.py does in PyTorch).
// Both start from the same parameters (metagrad's init, copied). Setup trains 50 batches of
// each in the same order and aborts unless the losses agree to 1e-3 (Adam's division by
// sqrt(v) + eps amplifies rounding differences more than SGD's step does).
// Skipped (SkipWithError) when the data files are missing.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <metagrad/data/data.hpp>  // needs zlib
#include <metagrad/metagrad.hpp>
#include <numeric>
#include <vector>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_TORCH
#include "support/torch_threads.hpp"
#endif

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace data = metagrad::data;

namespace {

using Sample = mg::shape<784>;
using In = data::batched_t<Sample>;
constexpr mg::index_t batch_size = 64;
/// The batches of an epoch (60000 images; the last one partial): allocs_per_step counts per batch.
constexpr double steps_per_epoch = (60000 + batch_size - 1) / batch_size;

auto mlp() { return nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{}); }
using model_t = decltype(mlp());
using params_t = decltype(mlp().init<In>(mg::rng{0}));

bool have_data() {
  return std::filesystem::exists(std::string(data::fashion_mnist_dir) +
                                 "/train-images-idx3-ubyte.gz");
}
data::dataset<float, Sample> const& train_set() {
  static auto const ds = data::fashion_mnist<float, Sample>(data::split::train);
  return ds;
}

// ---------------------------------------------------------------------------------------------
// metagrad
// ---------------------------------------------------------------------------------------------
struct metagrad_run {
  model_t model = mlp();
  params_t params = model.init<In>(mg::rng{0});
  mg::optim::adam opt{.lr = 1e-3};
  data::batch_loader<float, Sample> loader{
      train_set(), {.batch_size = batch_size, .shuffle = true}, mg::rng{1}};

  float step(data::batch<float, Sample> const& b) {
    auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, b.x), b.y); };
    auto [value, grads] = mg::value_and_grad(loss)(params);
    opt.step(params, grads);
    return value.item();
  }
  /// One epoch (or its first `limit` batches); the last batch's loss.
  float epoch(long limit = -1) {
    float last = 0;
    long i = 0;
    for (auto b : loader) {
      if (limit >= 0 && i++ >= limit) break;
      last = step(b);
    }
    return last;
  }
};

// ---------------------------------------------------------------------------------------------
// LibTorch
// ---------------------------------------------------------------------------------------------
#if METAGRAD_BENCH_WITH_TORCH
struct torch_run {
  torch::nn::Sequential model;
  torch::Tensor x, y;
  std::unique_ptr<torch::optim::Adam> opt;

  explicit torch_run(params_t const& init) {
    torch::nn::Linear l1(784, 128), l2(128, 10);
    {
      torch::NoGradGuard no_grad;
      auto copy = [](torch::Tensor& dst, float const* src) {
        dst.copy_(torch::from_blob(const_cast<float*>(src), dst.sizes()));
      };
      copy(l1->weight, std::get<0>(std::get<0>(init)).data());
      copy(l1->bias, std::get<1>(std::get<0>(init)).data());
      copy(l2->weight, std::get<0>(std::get<2>(init)).data());
      copy(l2->bias, std::get<1>(std::get<2>(init)).data());
    }
    model = torch::nn::Sequential(l1, torch::nn::ReLU(), l2);
    auto const& ds = train_set();
    x = torch::from_blob(const_cast<float*>(ds.features.data()), {ds.size(), 784}).clone();
    y = torch::from_blob(const_cast<mg::index_t*>(ds.labels.data()), {ds.size()}, torch::kLong)
            .clone();
    opt =
        std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(1e-3));
  }
  float step(torch::Tensor const& idx) {
    opt->zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, idx)),
                                                     y.index_select(0, idx));
    loss.backward();
    opt->step();
    return loss.item<float>();
  }
  /// One epoch in torch's own shuffled order.
  float epoch() {
    auto perm = torch::randperm(x.size(0), torch::kLong);
    float last = 0;
    for (int64_t i = 0; i < x.size(0); i += batch_size)
      last = step(perm.slice(0, i, std::min<int64_t>(i + batch_size, x.size(0))));
    return last;
  }
};

/// 50 batches of both in metagrad's loader order from the same start; aborts unless the losses
/// agree.
void check_agreement() {
  static bool const checked = [] {
    mg::set_num_threads(1);
    metagrad_bench::set_torch_threads(1);
    metagrad_run a;
    torch_run c(a.params);
    auto const& ds = train_set();
    data::batch_loader<float, Sample> order{
        ds, {.batch_size = batch_size, .shuffle = true}, mg::rng{1}};
    float la = 0, lc = 0;
    int i = 0;
    for (auto b : order) {
      if (i++ == 50) break;
      // the batch's rows, found by matching the gathered features' first row back to the data
      std::vector<int64_t> idx;
      for (mg::index_t r = 0; r < b.y.shape()[0]; ++r) {
        float const* row = b.x.data() + r * 784;
        for (mg::index_t k = 0; k < ds.size(); ++k)
          if (std::equal(row, row + 784, ds.features.data() + k * 784)) {
            idx.push_back(k);
            break;
          }
      }
      la = a.step(b);
      lc = c.step(torch::tensor(idx, torch::kLong));
    }
    double diff = std::abs(double(la) - double(lc));
    std::fprintf(stderr,
                 "epoch: loss after 50 batches: metagrad %.6f, libtorch %.6f (|diff| %.1e)\n",
                 double(la), double(lc), diff);
    if (!(diff <= 1e-3)) {
      std::fprintf(stderr, "epoch: metagrad and libtorch disagree; aborting\n");
      std::abort();
    }
    return true;
  }();
  (void)checked;
}
#endif

void BM_epoch_mlp_metagrad(benchmark::State& state) {
  if (!have_data()) return state.SkipWithError("Fashion-MNIST not installed");
#if METAGRAD_BENCH_WITH_TORCH
  check_agreement();
#endif
  mg::set_num_threads(static_cast<int>(state.range(0)));
  metagrad_run run;
  run.epoch(20);  // warm-up
  {
    metagrad_bench::allocations_per_step count(state, steps_per_epoch);
    for (auto _ : state) {
      float loss = run.epoch();
      benchmark::DoNotOptimize(loss);
    }
  }
  mg::set_num_threads(1);
  state.counters["threads"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_epoch_mlp_metagrad)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

#if METAGRAD_BENCH_WITH_TORCH
void BM_epoch_mlp_libtorch(benchmark::State& state) {
  if (!have_data()) return state.SkipWithError("Fashion-MNIST not installed");
  check_agreement();
  metagrad_bench::set_torch_threads(static_cast<int>(state.range(0)));
  metagrad_run init;
  torch_run run(init.params);
  {
    metagrad_bench::allocations_per_step count(state, steps_per_epoch);
    for (auto _ : state) {
      float loss = run.epoch();
      benchmark::DoNotOptimize(loss);
    }
  }
  metagrad_bench::set_torch_threads(1);
  state.counters["threads"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_epoch_mlp_libtorch)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
#endif

}  // namespace
