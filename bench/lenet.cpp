// SPDX-License-Identifier: MIT
// One SGD step (forward, backward, update; softmax cross-entropy with integer labels, mean over
// the batch, lr 0.05) of a LeNet-5-style CNN on a (32,1,28,28) float32 batch (issue 4's lenet
// task): conv 6@5x5 padding 2, relu, maxpool 2, conv 16@5x5, relu, maxpool 2, flatten, dense 120,
// relu, dense 84, relu, dense 10; at 1 and 2 threads (the benchmark's argument):
//   - metagrad: as a user writes it (the model of examples/fashion_mnist --model lenet):
//     nn::sequential(nn::conv2d<...>, nn::relu, nn::max_pool2d<2>, ...), value_and_grad of
//     nn::cross_entropy, optim::sgd; mg::set_num_threads;
//   - eigen: by hand: per example, im2col and one GEMM per convolution, max-pool with the argmax
//     kept for the backward pass, the dense head on (batch x features) row-major matrices; the
//     backward pass by hand (col2im for the second convolution's input gradient); preallocated
//     buffers; Eigen::setNbThreads;
//   - libtorch (when built with it): torch::nn::Sequential of Conv2d/ReLU/MaxPool2d/Flatten/
//     Linear, cross_entropy, backward, torch::optim::SGD; torch::set_num_threads and OpenBLAS's
//     count (support/torch_threads.hpp).
// All start from the same parameters (metagrad's init, copied) and data; setup runs 3 steps of
// each and aborts unless the losses agree to 1e-4, as bench/mlp.cpp does.

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
constexpr mg::index_t batch_size = 32, classes = 10;
using In = mg::shape<mg::dyn, 1, 28, 28>;

auto lenet() {
  using pad2 = nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>;
  return nn::sequential(pad2{}, nn::relu{}, nn::max_pool2d<2>{}, nn::conv2d<16, 5>{}, nn::relu{},
                        nn::max_pool2d<2>{}, nn::flatten{}, nn::dense<120>{}, nn::relu{},
                        nn::dense<84>{}, nn::relu{}, nn::dense<classes>{});
}
using model_t = decltype(lenet());
using params_t = decltype(lenet().init<In>(mg::rng{0}));

/// The batch: pixels uniform in [0,1), labels uniform in [0,10).
struct batch {
  mg::tensor<float, In> x;
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y;
  explicit batch(mg::index_t n) : x(mg::extents<4>{{n, 1, 28, 28}}), y(mg::extents<1>{{n}}) {
    mg::rng r{7};
    for (auto& v : x) v = r.uniform<float>(0.0f, 1.0f);
    for (auto& v : y) v = static_cast<mg::index_t>(r.below(classes));
  }
};

/// (weight, bias) data of every layer with parameters, in order: conv1, conv2, dense 1-3.
/// Weights are row-major as torch's: conv (Out,C,KH,KW), dense (Out,In).
struct layer_view {
  float const* w;
  float const* b;
};
std::vector<layer_view> param_layers(params_t const& params) {
  std::vector<layer_view> v;
  std::apply(
      [&](auto const&... layer) {
        auto one = [&](auto const& l) {
          if constexpr (std::tuple_size_v<std::remove_cvref_t<decltype(l)>> == 2)
            v.push_back({std::get<0>(l).data(), std::get<1>(l).data()});
        };
        (one(layer), ...);
      },
      params);
  return v;
}

// ---------------------------------------------------------------------------------------------
// metagrad
// ---------------------------------------------------------------------------------------------
struct metagrad_net {
  model_t model = lenet();
  params_t params;
  batch const& data;
  mg::optim::sgd opt{.lr = lr};

  explicit metagrad_net(batch const& d) : params(model.init<In>(mg::rng{42})), data(d) {}

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
  using cmap = Eigen::Map<matrix const>;
  using map = Eigen::Map<matrix>;

  /// A convolution: C in-channels of H x W, padding P, Out filters of K x K, stride 1.
  struct conv {
    int c, h, w, k, p, out;
    int oh() const { return h + 2 * p - k + 1; }
    int ow() const { return w + 2 * p - k + 1; }
    int rows() const { return c * k * k; }
    int pixels() const { return oh() * ow(); }
    matrix wt, dwt;  // (out, c*k*k)
    Eigen::VectorXf b, db;
    matrix col;  // (c*k*k, oh*ow), one example
    matrix dcol;

    void init(float const* w0, float const* b0) {
      wt = cmap(w0, out, rows());
      b = Eigen::Map<Eigen::VectorXf const>(b0, out);
      dwt.resize(out, rows());
      db.resize(out);
      col.resize(rows(), pixels());
      dcol.resize(rows(), pixels());
    }
    void im2col(float const* x) {
      for (int ci = 0; ci < c; ++ci)
        for (int ki = 0; ki < k; ++ki)
          for (int kj = 0; kj < k; ++kj) {
            float* dst = col.data() + ((ci * k + ki) * k + kj) * pixels();
            for (int i = 0; i < oh(); ++i) {
              int yi = i + ki - p;
              for (int j = 0; j < ow(); ++j) {
                int xj = j + kj - p;
                dst[i * ow() + j] =
                    (yi >= 0 && yi < h && xj >= 0 && xj < w) ? x[(ci * h + yi) * w + xj] : 0.0f;
              }
            }
          }
    }
    void col2im(float* dx) const {  // dx (c,h,w) += the columns' contributions
      for (int ci = 0; ci < c; ++ci)
        for (int ki = 0; ki < k; ++ki)
          for (int kj = 0; kj < k; ++kj) {
            float const* src = dcol.data() + ((ci * k + ki) * k + kj) * pixels();
            for (int i = 0; i < oh(); ++i) {
              int yi = i + ki - p;
              if (yi < 0 || yi >= h) continue;
              for (int j = 0; j < ow(); ++j) {
                int xj = j + kj - p;
                if (xj >= 0 && xj < w) dx[(ci * h + yi) * w + xj] += src[i * ow() + j];
              }
            }
          }
    }
  };
  /// relu then 2x2 max-pool of (c, h, w) into (c, h/2, w/2), keeping the argmax's offset.
  static void relu_pool(float* a, float* out, int* arg, int c, int h, int w) {
    for (int i = 0; i < c * h * w; ++i) a[i] = std::max(a[i], 0.0f);
    int ph = h / 2, pw = w / 2;
    for (int ci = 0; ci < c; ++ci)
      for (int i = 0; i < ph; ++i)
        for (int j = 0; j < pw; ++j) {
          int best = (ci * h + 2 * i) * w + 2 * j;
          for (int di = 0; di < 2; ++di)
            for (int dj = 0; dj < 2; ++dj) {
              int at = (ci * h + 2 * i + di) * w + 2 * j + dj;
              if (a[at] > a[best]) best = at;
            }
          out[(ci * ph + i) * pw + j] = a[best];
          arg[(ci * ph + i) * pw + j] = best;
        }
  }
  /// The pool's and the relu's backward: d(conv out) from d(pool out).
  static void unpool_relu(float const* dout, int const* arg, float const* a, float* da, int n_out,
                          int n_in) {
    std::fill(da, da + n_in, 0.0f);
    for (int i = 0; i < n_out; ++i)
      if (a[arg[i]] > 0.0f) da[arg[i]] += dout[i];
  }

  int n;
  conv c1{1, 28, 28, 5, 2, 6, {}, {}, {}, {}, {}, {}};
  conv c2{6, 14, 14, 5, 0, 16, {}, {}, {}, {}, {}, {}};
  matrix x;            // (n, 784)
  matrix a1, p1, a2;   // (n, 6*28*28), (n, 6*14*14), (n, 16*10*10): conv outputs, relu'd
  matrix d1, dp1, d2;  // their gradients
  std::vector<int> arg1, arg2;
  struct dense {
    matrix w, dw;
    row b, db;
  };
  std::array<dense, 3> fc;
  std::array<matrix, 4> act, dact;  // act[0] = pooled conv features (n, 400), act[3] = logits
  std::vector<int> labels;

  eigen_net(std::vector<layer_view> const& init, batch const& data)
      : n(static_cast<int>(data.x.shape()[0])) {
    x = cmap(data.x.data(), n, 784);
    c1.init(init[0].w, init[0].b);
    c2.init(init[1].w, init[1].b);
    a1.resize(n, 6 * 784), p1.resize(n, 6 * 196), a2.resize(n, 16 * 100);
    d1.resize(n, 6 * 784), dp1.resize(n, 6 * 196), d2.resize(n, 16 * 100);
    arg1.resize(std::size_t(n) * 6 * 196), arg2.resize(std::size_t(n) * 400);
    std::array<int, 4> widths{400, 120, 84, 10};
    for (int l = 0; l < 3; ++l) {
      fc[l].w = cmap(init[l + 2].w, widths[l + 1], widths[l]);
      fc[l].b = Eigen::Map<row const>(init[l + 2].b, widths[l + 1]);
      fc[l].dw.resize(widths[l + 1], widths[l]);
      fc[l].db.resize(widths[l + 1]);
    }
    for (int l = 0; l < 4; ++l) act[l].resize(n, widths[l]), dact[l].resize(n, widths[l]);
    for (auto v : data.y) labels.push_back(static_cast<int>(v));
  }

  float step() {
    // forward: the convolutions per example
    for (int e = 0; e < n; ++e) {
      c1.im2col(x.row(e).data());
      map(a1.row(e).data(), 6, 784).noalias() = c1.wt * c1.col;
      map(a1.row(e).data(), 6, 784).colwise() += c1.b;
      relu_pool(a1.row(e).data(), p1.row(e).data(), arg1.data() + e * 6 * 196, 6, 28, 28);
      c2.im2col(p1.row(e).data());
      map(a2.row(e).data(), 16, 100).noalias() = c2.wt * c2.col;
      map(a2.row(e).data(), 16, 100).colwise() += c2.b;
      relu_pool(a2.row(e).data(), act[0].row(e).data(), arg2.data() + e * 400, 16, 10, 10);
    }
    // the dense head: act[l+1] = relu(act[l] Wᵀ + b), no relu on the logits
    for (int l = 0; l < 3; ++l) {
      act[l + 1].noalias() = act[l] * fc[l].w.transpose();
      if (l < 2)
        act[l + 1] = (act[l + 1].rowwise() + fc[l].b).cwiseMax(0.0f);
      else
        act[l + 1].rowwise() += fc[l].b;
    }
    // softmax cross-entropy, mean
    matrix const& z = act[3];
    matrix& dz = dact[3];
    double loss = 0;
    float const inv_n = 1.0f / static_cast<float>(n);
    for (int i = 0; i < n; ++i) {
      float m = z.row(i).maxCoeff();
      dz.row(i) = (z.row(i).array() - m).exp();
      float s = dz.row(i).sum();
      loss += std::log(s) + m - z(i, labels[i]);
      dz.row(i) *= inv_n / s;
      dz(i, labels[i]) -= inv_n;
    }
    // backward through the head
    for (int l = 3; l-- > 0;) {
      fc[l].dw.noalias() = dact[l + 1].transpose() * act[l];
      fc[l].db = dact[l + 1].colwise().sum();
      dact[l].noalias() = dact[l + 1] * fc[l].w;
      if (l > 0) dact[l] = (act[l].array() > 0.0f).select(dact[l], 0.0f);
    }
    // backward through the convolutions, per example
    c1.dwt.setZero(), c1.db.setZero(), c2.dwt.setZero(), c2.db.setZero();
    for (int e = 0; e < n; ++e) {
      unpool_relu(dact[0].row(e).data(), arg2.data() + e * 400, a2.row(e).data(), d2.row(e).data(),
                  400, 1600);
      auto g2 = map(d2.row(e).data(), 16, 100);
      c2.im2col(p1.row(e).data());
      c2.dwt.noalias() += g2 * c2.col.transpose();
      c2.db += g2.rowwise().sum();
      c2.dcol.noalias() = c2.wt.transpose() * g2;
      dp1.row(e).setZero();
      c2.col2im(dp1.row(e).data());
      unpool_relu(dp1.row(e).data(), arg1.data() + e * 6 * 196, a1.row(e).data(), d1.row(e).data(),
                  6 * 196, 6 * 784);
      auto g1 = map(d1.row(e).data(), 6, 784);
      c1.im2col(x.row(e).data());
      c1.dwt.noalias() += g1 * c1.col.transpose();
      c1.db += g1.rowwise().sum();
    }
    // SGD update
    c1.wt -= lr * c1.dwt, c1.b -= lr * c1.db, c2.wt -= lr * c2.dwt, c2.b -= lr * c2.db;
    for (auto& l : fc) l.w -= lr * l.dw, l.b -= lr * l.db;
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

  torch_net(std::vector<layer_view> const& init, batch const& data) {
    namespace tn = torch::nn;
    tn::Conv2d c1(tn::Conv2dOptions(1, 6, 5).padding(2)), c2(tn::Conv2dOptions(6, 16, 5));
    tn::Linear l1(400, 120), l2(120, 84), l3(84, classes);
    {
      torch::NoGradGuard no_grad;
      auto copy = [](torch::Tensor& dst, float const* src) {
        dst.copy_(torch::from_blob(const_cast<float*>(src), dst.sizes()));
      };
      copy(c1->weight, init[0].w), copy(c1->bias, init[0].b);
      copy(c2->weight, init[1].w), copy(c2->bias, init[1].b);
      copy(l1->weight, init[2].w), copy(l1->bias, init[2].b);
      copy(l2->weight, init[3].w), copy(l2->bias, init[3].b);
      copy(l3->weight, init[4].w), copy(l3->bias, init[4].b);
    }
    model = tn::Sequential(c1, tn::ReLU(), tn::MaxPool2d(2), c2, tn::ReLU(), tn::MaxPool2d(2),
                           tn::Flatten(), l1, tn::ReLU(), l2, tn::ReLU(), l3);
    auto n = data.x.shape()[0];
    x = torch::from_blob(const_cast<float*>(data.x.data()), {n, 1, 28, 28}).clone();
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

void agree(char const* who, float ref, float other) {
  double diff = std::abs(double(ref) - double(other));
  std::fprintf(stderr, "lenet: loss after 3 steps: metagrad %.6f, %s %.6f (|diff| %.1e)\n",
               double(ref), who, double(other), diff);
  if (!(diff <= 1e-4 * std::max(1.0, std::abs(double(ref))))) {
    std::fprintf(stderr, "lenet: metagrad and %s disagree; aborting\n", who);
    std::abort();
  }
}

void check_all() {
  static bool const checked = [] {
    batch data(batch_size);
    mg::set_num_threads(1);
    metagrad_net a(data);
    eigen_net b(param_layers(a.params), data);
#if METAGRAD_BENCH_WITH_TORCH
    metagrad_bench::set_torch_threads(1);
    torch_net c(param_layers(a.params), data);
    float lc = loss_after(c, 3);
#endif
    float la1 = loss_after(a, 1), la = loss_after(a, 2), lb = loss_after(b, 3);
    // The steps must move the parameters, or agreement would say nothing about the backward pass.
    std::fprintf(stderr, "lenet: metagrad's loss after 1 step %.6f, after 3 %.6f\n", double(la1),
                 double(la));
    if (!(std::abs(la1 - la) > 1e-4f)) {
      std::fprintf(stderr, "lenet: the loss does not move; aborting\n");
      std::abort();
    }
    agree("eigen", la, lb);
#if METAGRAD_BENCH_WITH_TORCH
    agree("libtorch", la, lc);
#endif
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

void BM_lenet_b32_metagrad(benchmark::State& state) {
  check_all();
  mg::set_num_threads(static_cast<int>(state.range(0)));
  batch data(batch_size);
  metagrad_net net(data);
  run(state, net);
  mg::set_num_threads(1);
}
BENCHMARK(BM_lenet_b32_metagrad)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_lenet_b32_eigen(benchmark::State& state) {
  check_all();
  Eigen::setNbThreads(static_cast<int>(state.range(0)));
  batch data(batch_size);
  metagrad_net init(data);
  eigen_net net(param_layers(init.params), data);
  run(state, net);
  Eigen::setNbThreads(1);
}
BENCHMARK(BM_lenet_b32_eigen)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

#if METAGRAD_BENCH_WITH_TORCH
void BM_lenet_b32_libtorch(benchmark::State& state) {
  check_all();
  metagrad_bench::set_torch_threads(static_cast<int>(state.range(0)));
  batch data(batch_size);
  metagrad_net init(data);
  torch_net net(param_layers(init.params), data);
  run(state, net);
  metagrad_bench::set_torch_threads(1);
}
BENCHMARK(BM_lenet_b32_libtorch)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
#endif

}  // namespace
