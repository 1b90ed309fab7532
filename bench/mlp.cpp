// SPDX-License-Identifier: MIT
// One SGD step (forward, backward, update; softmax cross-entropy with integer labels, mean over
// the batch, lr 0.05) of a ReLU MLP on a float32 batch, as issue 4 sets it:
//   mlp_small: 784-128-10, batch 32 and 256 (and 16, 64, 128 for the plot of step time against
//   batch size);   mlp_wide: 784-512-512-10, batch 256;
// each at 1 and 2 threads (the benchmark's argument), set through each library's API:
//   - metagrad: the way a user writes it: nn::sequential(dense, relu, dense, ...), a dyn batch,
//     value_and_grad of nn::cross_entropy, optim::sgd; mg::set_num_threads;
//   - eigen: the same forward and backward by hand with row-major Eigen matrices (batch x
//     features), preallocated buffers, GEMMs that read the transposes in place, a stable
//     softmax-CE, gradients in buffers and then the SGD update; Eigen::setNbThreads;
//   - libtorch (when built with it): torch::nn::Sequential of Linear/ReLU, cross_entropy,
//     backward, torch::optim::SGD; torch::set_num_threads and OpenBLAS's count
//     (support/torch_threads.hpp).
// All start from the same parameters (metagrad's PyTorch-style init, copied) and data; setup runs
// 3 steps of each and aborts unless the losses agree, so the timings compare the same work.

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>
#include <string>
#include <vector>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_TORCH
#include "support/torch_threads.hpp"
#endif

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

constexpr float lr = 0.05f;
constexpr mg::index_t in_width = 784, classes = 10;
using In = mg::shape<mg::dyn, in_width>;

auto small_model() { return nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<classes>{}); }
auto wide_model() {
  return nn::sequential(nn::dense<512>{}, nn::relu{}, nn::dense<512>{}, nn::relu{},
                        nn::dense<classes>{});
}
using small_params = decltype(small_model().init<In>(mg::rng{0}));
using wide_params = decltype(wide_model().init<In>(mg::rng{0}));

/// The batch: pixels uniform in [0,1), labels uniform in [0,10).
struct batch {
  mg::tensor<float, In> x;
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y;
  explicit batch(mg::index_t n) : x(mg::extents<2>{{n, in_width}}), y(mg::extents<1>{{n}}) {
    mg::rng r{7};
    for (auto& v : x) v = r.uniform<float>(0.0f, 1.0f);
    for (auto& v : y) v = static_cast<mg::index_t>(r.below(classes));
  }
};

/// (weight (Out,In) row-major, bias (Out)) pointers and extents of every dense layer of a
/// sequential model's parameter tree (activations have empty tuples).
struct dense_view {
  float const* w;
  float const* b;
  mg::index_t out, in;
};
template <class Tree>
std::vector<dense_view> dense_layers(Tree const& params) {
  std::vector<dense_view> v;
  std::apply(
      [&](auto const&... layer) {
        auto one = [&](auto const& l) {
          if constexpr (std::tuple_size_v<std::remove_cvref_t<decltype(l)>> == 2) {
            auto const& w = std::get<0>(l);
            v.push_back({w.data(), std::get<1>(l).data(), w.shape()[0], w.shape()[1]});
          }
        };
        (one(layer), ...);
      },
      params);
  return v;
}

// ---------------------------------------------------------------------------------------------
// metagrad
// ---------------------------------------------------------------------------------------------
template <class Model, class Params>
struct metagrad_net {
  Model model;
  Params params;
  batch const& data;
  mg::optim::sgd opt{.lr = lr};

  metagrad_net(Model m, batch const& d)
      : model(m), params(m.template init<In>(mg::rng{42})), data(d) {}

  float step() {
    auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, data.x), data.y); };
    auto [value, grads] = mg::value_and_grad(loss)(params);
    opt.step(params, grads);
    return value.item();
  }
};

// ---------------------------------------------------------------------------------------------
// Eigen, by hand
// ---------------------------------------------------------------------------------------------
struct eigen_net {
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using row = Eigen::Matrix<float, 1, Eigen::Dynamic>;
  struct layer {
    matrix w, dw;  // (out, in)
    row b, db;     // (out)
  };
  std::vector<layer> layers;
  std::vector<matrix> act;   // act[0] = x, act[l+1] = layer l's output (ReLU'd except the last)
  std::vector<matrix> dact;  // dact[l] = d loss / d act[l] (dact[0] unused)
  std::vector<int> labels;

  eigen_net(std::vector<dense_view> const& init, batch const& data) {
    auto n = data.x.shape()[0];
    act.emplace_back(Eigen::Map<matrix const>(data.x.data(), n, in_width));
    dact.emplace_back();
    for (auto const& d : init) {
      layer l;
      l.w = Eigen::Map<matrix const>(d.w, d.out, d.in);
      l.b = Eigen::Map<row const>(d.b, d.out);
      l.dw.resize(d.out, d.in);
      l.db.resize(d.out);
      layers.push_back(std::move(l));
      act.emplace_back(n, d.out);
      dact.emplace_back(n, d.out);
    }
    for (auto v : data.y) labels.push_back(static_cast<int>(v));
  }

  float step() {
    auto const n = act[0].rows();
    auto const nl = layers.size();
    // forward: a[l+1] = relu(a[l] Wᵀ + b) (no ReLU on the logits)
    for (std::size_t l = 0; l < nl; ++l) {
      act[l + 1].noalias() = act[l] * layers[l].w.transpose();
      if (l + 1 < nl)
        act[l + 1] = (act[l + 1].rowwise() + layers[l].b).cwiseMax(0.0f);
      else
        act[l + 1].rowwise() += layers[l].b;
    }
    // softmax cross-entropy, mean: loss = mean(lse(z) - z[y]); dz = (softmax(z) - onehot) / n
    matrix const& z = act[nl];
    matrix& dz = dact[nl];
    double loss = 0;
    float const inv_n = 1.0f / static_cast<float>(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      float m = z.row(i).maxCoeff();
      dz.row(i) = (z.row(i).array() - m).exp();
      float s = dz.row(i).sum();
      loss += std::log(s) + m - z(i, labels[i]);
      dz.row(i) *= inv_n / s;
      dz(i, labels[i]) -= inv_n;
    }
    // backward: dW = dzᵀ a, db = Σ dz, da = dz W masked by the ReLU (a > 0)
    for (std::size_t l = nl; l-- > 0;) {
      layers[l].dw.noalias() = dact[l + 1].transpose() * act[l];
      layers[l].db = dact[l + 1].colwise().sum();
      if (l == 0) break;
      dact[l].noalias() = dact[l + 1] * layers[l].w;
      dact[l] = (act[l].array() > 0.0f).select(dact[l], 0.0f);
    }
    // SGD update
    for (auto& ly : layers) {
      ly.w -= lr * ly.dw;
      ly.b -= lr * ly.db;
    }
    return static_cast<float>(loss / static_cast<double>(n));
  }
};

// ---------------------------------------------------------------------------------------------
// LibTorch
// ---------------------------------------------------------------------------------------------
#if METAGRAD_BENCH_WITH_TORCH
struct torch_net {
  torch::nn::Sequential model;
  torch::Tensor x, y;
  std::unique_ptr<torch::optim::SGD> opt;

  torch_net(std::vector<dense_view> const& init, batch const& data) {
    auto n = data.x.shape()[0];
    for (std::size_t l = 0; l < init.size(); ++l) {
      auto const& d = init[l];
      torch::nn::Linear lin(d.in, d.out);
      torch::NoGradGuard no_grad;
      lin->weight.copy_(torch::from_blob(const_cast<float*>(d.w), {d.out, d.in}));
      lin->bias.copy_(torch::from_blob(const_cast<float*>(d.b), {d.out}));
      model->push_back(lin);
      if (l + 1 < init.size()) model->push_back(torch::nn::ReLU());
    }
    x = torch::from_blob(const_cast<float*>(data.x.data()), {n, in_width}).clone();
    y = torch::from_blob(const_cast<mg::index_t*>(data.y.data()), {n}, torch::kLong).clone();
    opt = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(lr));
  }

  float step() {
    opt->zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt->step();
    return loss.item<float>();
  }
};
#endif

// ---------------------------------------------------------------------------------------------
// Setup check and benchmarks
// ---------------------------------------------------------------------------------------------
template <class Net>
float loss_after(Net& net, int steps) {
  float l = 0;
  for (int i = 0; i < steps; ++i) l = net.step();
  return l;
}

void agree(char const* task, char const* who, float ref, float other) {
  double diff = std::abs(double(ref) - double(other));
  std::fprintf(stderr, "%s: loss after 3 steps: metagrad %.6f, %s %.6f (|diff| %.1e)\n", task,
               double(ref), who, double(other), diff);
  if (!(diff <= 1e-4 * std::max(1.0, std::abs(double(ref))))) {
    std::fprintf(stderr, "%s: metagrad and %s disagree; aborting\n", task, who);
    std::abort();
  }
}

/// Runs 3 steps of every contender from the same start and data once per task; aborts unless
/// the losses agree.
template <class Model, class Params>
void check_same_loss(char const* task, Model m, mg::index_t n) {
  batch data(n);
  metagrad_net<Model, Params> a(m, data);
  eigen_net b(dense_layers(a.params), data);
  mg::set_num_threads(1);
#if METAGRAD_BENCH_WITH_TORCH
  metagrad_bench::set_torch_threads(1);
  torch_net c(dense_layers(a.params), data);
  float lc = loss_after(c, 3);
#endif
  float la = loss_after(a, 3), lb = loss_after(b, 3);
  agree(task, "eigen", la, lb);
#if METAGRAD_BENCH_WITH_TORCH
  agree(task, "libtorch", la, lc);
#endif
}

struct task {
  char const* name;
  mg::index_t batch;
  bool wide;
};
// mlp_small at batches 16, 64 and 128 too: docs/performance.md plots step time against batch.
constexpr std::array<task, 6> tasks{{{"mlp_small_b16", 16, false},
                                     {"mlp_small_b32", 32, false},
                                     {"mlp_small_b64", 64, false},
                                     {"mlp_small_b128", 128, false},
                                     {"mlp_small_b256", 256, false},
                                     {"mlp_wide_b256", 256, true}}};

void check_all() {
  static bool const checked = [] {
    for (auto const& t : tasks) {
      if (t.wide)
        check_same_loss<decltype(wide_model()), wide_params>(t.name, wide_model(), t.batch);
      else
        check_same_loss<decltype(small_model()), small_params>(t.name, small_model(), t.batch);
    }
    return true;
  }();
  (void)checked;
}

template <class Net>
void run(benchmark::State& state, Net& net) {
  for (int i = 0; i < 3; ++i) net.step();  // warm-up: caches, optimizer state, thread pools
  {
    metagrad_bench::allocations_per_step count(state);
    for (auto _ : state) {
      float loss = net.step();
      benchmark::DoNotOptimize(loss);
      benchmark::ClobberMemory();
    }
  }
  state.counters["threads"] = static_cast<double>(state.range(0));
}

template <class Model, class Params>
void bench_metagrad(benchmark::State& state, Model m, mg::index_t n) {
  check_all();
  mg::set_num_threads(static_cast<int>(state.range(0)));
  batch data(n);
  metagrad_net<Model, Params> net(m, data);
  run(state, net);
  mg::set_num_threads(1);
}
template <class Model, class Params>
void bench_eigen(benchmark::State& state, Model m, mg::index_t n) {
  check_all();
  Eigen::setNbThreads(static_cast<int>(state.range(0)));
  batch data(n);
  metagrad_net<Model, Params> init(m, data);
  eigen_net net(dense_layers(init.params), data);
  run(state, net);
  Eigen::setNbThreads(1);
}
#if METAGRAD_BENCH_WITH_TORCH
template <class Model, class Params>
void bench_libtorch(benchmark::State& state, Model m, mg::index_t n) {
  check_all();
  metagrad_bench::set_torch_threads(static_cast<int>(state.range(0)));
  batch data(n);
  metagrad_net<Model, Params> init(m, data);
  torch_net net(dense_layers(init.params), data);
  run(state, net);
  metagrad_bench::set_torch_threads(1);
}
#endif

// BM_<task>_<contender>, Arg = threads; the names pair up in scripts/bench.sh's table.
template <class Model, class Params>
void register_task(task const& t, Model m) {
  auto add = [&](std::string who, auto fn) {
    benchmark::RegisterBenchmark(("BM_" + std::string(t.name) + "_" + who).c_str(),
                                 [fn, m, n = t.batch](benchmark::State& s) { fn(s, m, n); })
        ->Arg(1)
        ->Arg(2)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  };
  add("metagrad", bench_metagrad<Model, Params>);
  add("eigen", bench_eigen<Model, Params>);
#if METAGRAD_BENCH_WITH_TORCH
  add("libtorch", bench_libtorch<Model, Params>);
#endif
}

[[maybe_unused]] bool const registered = [] {
  for (auto const& t : tasks) {
    if (t.wide)
      register_task<decltype(wide_model()), wide_params>(t, wide_model());
    else
      register_task<decltype(small_model()), small_params>(t, small_model());
  }
  return true;
}();

}  // namespace
