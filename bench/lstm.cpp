// SPDX-License-Identifier: MIT
// One SGD step (forward, backward, update; lr 0.1) of issue 4's lstm task: an LSTM (input 32,
// hidden 64, one layer, batch first, PyTorch's gate order i, f, g, o) over sequences of 32 steps,
// batch 16, then a dense head 64 -> 10 on the last step's h and softmax cross-entropy with integer
// labels (mean over the batch); float32, at 1 and 2 threads (the benchmark's argument):
//   - metagrad: as a user writes it (docs/tutorial/05_recurrent.md):
//     nn::sequential(nn::lstm<64>{}, nn::last_step{}, nn::dense<10>{}) on a static
//     (16, 32, 32) input, value_and_grad of nn::cross_entropy, optim::sgd; mg::set_num_threads;
//   - eigen: by hand: the input projection of every step in one GEMM, then per step the
//     recurrent GEMM and the gates on mapped (strided) blocks of preallocated row-major buffers;
//     BPTT by hand storing the gates, c and tanh(c) of every step; the weight gradients of the
//     whole sequence in two GEMMs after the backward sweep; Eigen::setNbThreads;
//   - libtorch (when built with it): torch::nn::LSTM(LSTMOptions(32, 64).batch_first(true)),
//     out.select(1, 31), torch::nn::Linear, cross_entropy, backward, torch::optim::SGD;
//     torch::set_num_threads and OpenBLAS's count
//     (support/torch_threads.hpp).
// All start from the same parameters (metagrad's PyTorch-style init, copied) and data; setup
// runs 3 steps of each and aborts unless the losses agree to 1e-4 (relative), as bench/mlp.cpp,
// and the parameters after them to 1e-5 (the loss alone would miss, e.g., a W_hh step half as
// long).

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <metagrad/metagrad.hpp>

#include "support/alloc_count.hpp"

#if METAGRAD_BENCH_WITH_TORCH
#include "support/torch_threads.hpp"
#endif

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {

constexpr float lr = 0.1f;
constexpr mg::index_t B = 16, T = 32, D = 32, H = 64, G = 4 * H, classes = 10;
using In = mg::shape<B, T, D>;

auto lstm_model() { return nn::sequential(nn::lstm<H>{}, nn::last_step{}, nn::dense<classes>{}); }
using model_t = decltype(lstm_model());
using params_t = decltype(lstm_model().init<In, float>(mg::rng{0}));

/// The batch: inputs uniform in [-1,1), labels uniform in [0,10).
struct batch {
  mg::tensor<float, In> x;
  mg::tensor<mg::index_t, mg::shape<B>> y;
  batch() {
    mg::rng r{7};
    for (auto& v : x) v = r.uniform<float>(-1.0f, 1.0f);
    for (auto& v : y) v = static_cast<mg::index_t>(r.below(classes));
  }
};

/// The parameters' data, row-major as torch's: weight_ih (4H, D), weight_hh (4H, H), bias_ih and
/// bias_hh (4H), the head's weight (10, H) and bias (10).
struct param_view {
  float const *w_ih, *w_hh, *b_ih, *b_hh, *w, *b;
};
param_view view(params_t const& p) {
  auto const& l = std::get<0>(p);
  auto const& d = std::get<2>(p);
  return {std::get<0>(l).data(), std::get<1>(l).data(), std::get<2>(l).data(),
          std::get<3>(l).data(), std::get<0>(d).data(), std::get<1>(d).data()};
}

// ---------------------------------------------------------------------------------------------
// metagrad
// ---------------------------------------------------------------------------------------------
struct metagrad_net {
  model_t model = lstm_model();
  params_t params;
  batch const& data;
  mg::optim::sgd opt{.lr = lr};

  explicit metagrad_net(batch const& d) : params(model.init<In, float>(mg::rng{42})), data(d) {}

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
  using stride = Eigen::OuterStride<>;
  using step_map = Eigen::Map<matrix, 0, stride>;

  // Every (B*T, .) buffer is batch first as the input: row b*T + t is example b at step t, and
  // at(buf, t) maps step t's B rows (stride T rows).
  matrix x;                // (B*T, D)
  matrix w_ih, dw_ih;      // (4H, D)
  matrix w_hh, dw_hh;      // (4H, H)
  row b_ih, b_hh, db;      // (4H); b_ih and b_hh have the same gradient db
  matrix w, dw;            // (10, H)
  row b, dbw;              // (10)
  matrix gates;            // (B*T, 4H): x W_ihᵀ + b, then the activated i, f, g, o
  matrix h_prev;           // (B*T, H): row b*T + t = h_{t-1} of example b (zero at t = 0)
  matrix c, tanh_c;        // (B*T, H): c_t and tanh(c_t)
  matrix h_last;           // (B, H): h_{T-1}, the head's input
  matrix logits, dlogits;  // (B, 10)
  matrix dgates;           // (B*T, 4H): d loss / d (the gates' pre-activations)
  matrix dh, dc;           // (B, H): d loss / d h_t, d c_t
  std::vector<int> labels;

  static step_map at(matrix& m, mg::index_t t) {
    return step_map(m.data() + t * m.cols(), B, m.cols(), stride(T * m.cols()));
  }

  eigen_net(param_view p, batch const& data)
      : x(Eigen::Map<matrix const>(data.x.data(), B * T, D)),
        w_ih(Eigen::Map<matrix const>(p.w_ih, G, D)),
        dw_ih(G, D),
        w_hh(Eigen::Map<matrix const>(p.w_hh, G, H)),
        dw_hh(G, H),
        b_ih(Eigen::Map<row const>(p.b_ih, G)),
        b_hh(Eigen::Map<row const>(p.b_hh, G)),
        db(G),
        w(Eigen::Map<matrix const>(p.w, classes, H)),
        dw(classes, H),
        b(Eigen::Map<row const>(p.b, classes)),
        dbw(classes),
        gates(B * T, G),
        h_prev(matrix::Zero(B * T, H)),
        c(B * T, H),
        tanh_c(B * T, H),
        h_last(B, H),
        logits(B, classes),
        dlogits(B, classes),
        dgates(B * T, G),
        dh(B, H),
        dc(B, H) {
    for (auto v : data.y) labels.push_back(static_cast<int>(v));
  }

  float step() {
    // forward: the input projection of every step at once, then the recurrence
    gates.noalias() = x * w_ih.transpose();
    gates.rowwise() += b_ih + b_hh;
    for (mg::index_t t = 0; t < T; ++t) {
      auto z = at(gates, t);
      if (t > 0) z.noalias() += at(h_prev, t) * w_hh.transpose();
      z.leftCols(2 * H) = z.leftCols(2 * H).array().logistic();        // i, f
      z.middleCols(2 * H, H) = z.middleCols(2 * H, H).array().tanh();  // g
      z.rightCols(H) = z.rightCols(H).array().logistic();              // o
      auto ct = at(c, t);
      auto i = z.leftCols(H).array(), f = z.middleCols(H, H).array(),
           g = z.middleCols(2 * H, H).array(), o = z.rightCols(H).array();
      if (t > 0)
        ct = f * at(c, t - 1).array() + i * g;
      else
        ct = i * g;
      auto tc = at(tanh_c, t);
      tc = ct.array().tanh();
      if (t + 1 < T)
        at(h_prev, t + 1) = o * tc.array();
      else
        h_last = o * tc.array();
    }
    logits.noalias() = h_last * w.transpose();
    logits.rowwise() += b;
    // softmax cross-entropy, mean: loss = mean(lse(z) - z[y]); dz = (softmax(z) - onehot) / B
    double loss = 0;
    float const inv_n = 1.0f / static_cast<float>(B);
    for (Eigen::Index r = 0; r < B; ++r) {
      float m = logits.row(r).maxCoeff();
      dlogits.row(r) = (logits.row(r).array() - m).exp();
      float s = dlogits.row(r).sum();
      loss += std::log(s) + m - logits(r, labels[r]);
      dlogits.row(r) *= inv_n / s;
      dlogits(r, labels[r]) -= inv_n;
    }
    // backward: the head, then BPTT
    dw.noalias() = dlogits.transpose() * h_last;
    dbw = dlogits.colwise().sum();
    dh.noalias() = dlogits * w;
    dc.setZero();
    for (mg::index_t t = T; t-- > 0;) {
      auto z = at(gates, t);
      auto i = z.leftCols(H).array(), f = z.middleCols(H, H).array(),
           g = z.middleCols(2 * H, H).array(), o = z.rightCols(H).array();
      auto tc = at(tanh_c, t).array();
      auto dz = at(dgates, t);
      dc.array() += dh.array() * o * (1.0f - tc * tc);
      dz.rightCols(H) = dh.array() * tc * o * (1.0f - o);
      dz.leftCols(H) = dc.array() * g * i * (1.0f - i);
      dz.middleCols(2 * H, H) = dc.array() * i * (1.0f - g * g);
      if (t > 0)
        dz.middleCols(H, H) = dc.array() * at(c, t - 1).array() * f * (1.0f - f);
      else
        dz.middleCols(H, H).setZero();
      dc.array() *= f;
      if (t > 0) dh.noalias() = dz * w_hh;
    }
    dw_ih.noalias() = dgates.transpose() * x;
    dw_hh.noalias() = dgates.transpose() * h_prev;
    db = dgates.colwise().sum();
    // SGD update
    w_ih -= lr * dw_ih;
    w_hh -= lr * dw_hh;
    b_ih -= lr * db;
    b_hh -= lr * db;
    w -= lr * dw;
    b -= lr * dbw;
    return static_cast<float>(loss / static_cast<double>(B));
  }
};

// ---------------------------------------------------------------------------------------------
// LibTorch
// ---------------------------------------------------------------------------------------------
#if METAGRAD_BENCH_WITH_TORCH
struct torch_net {
  torch::nn::LSTM lstm{torch::nn::LSTMOptions(D, H).batch_first(true)};
  torch::nn::Linear head{H, classes};
  torch::Tensor x, y;
  std::unique_ptr<torch::optim::SGD> opt;

  static void copy(torch::Tensor& to, float const* from) {
    to.copy_(torch::from_blob(const_cast<float*>(from), to.sizes()));
  }

  torch_net(param_view p, batch const& data) {
    {
      torch::NoGradGuard no_grad;
      auto named = lstm->named_parameters();
      copy(named["weight_ih_l0"], p.w_ih);
      copy(named["weight_hh_l0"], p.w_hh);
      copy(named["bias_ih_l0"], p.b_ih);
      copy(named["bias_hh_l0"], p.b_hh);
      copy(head->weight, p.w);
      copy(head->bias, p.b);
    }
    x = torch::from_blob(const_cast<float*>(data.x.data()), {B, T, D}).clone();
    y = torch::from_blob(const_cast<mg::index_t*>(data.y.data()), {B}, torch::kLong).clone();
    auto params = lstm->parameters();
    for (auto const& q : head->parameters()) params.push_back(q);
    opt = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr));
  }

  float step() {
    opt->zero_grad();
    auto out = std::get<0>(lstm->forward(x));  // (B, T, H)
    auto loss = torch::nn::functional::cross_entropy(head(out.select(1, T - 1)), y);
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
  std::fprintf(stderr, "lstm: loss after 3 steps: metagrad %.9g, %s %.9g (|diff| %.1e)\n",
               double(ref), who, double(other), diff);
  if (!(diff <= 1e-4 * std::max(1.0, std::abs(double(ref))))) {
    std::fprintf(stderr, "lstm: metagrad and %s disagree; aborting\n", who);
    std::abort();
  }
}

/// The largest |difference| between two contenders' parameters of one kind.
double max_diff(float const* a, float const* b, mg::index_t n) {
  double m = 0;
  for (mg::index_t i = 0; i < n; ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}
/// Aborts unless every parameter of other is within 1e-5 of metagrad's (after the same steps):
/// the loss after 3 steps alone would not see, e.g., a W_hh step half as long (1.3e-4 apart).
void same_params(char const* who, param_view ref, param_view other) {
  struct kind {
    char const* name;
    float const *a, *b;
    mg::index_t n;
  };
  for (auto const& k :
       {kind{"weight_ih_l0", ref.w_ih, other.w_ih, G * D},
        kind{"weight_hh_l0", ref.w_hh, other.w_hh, G * H},
        kind{"bias_ih_l0", ref.b_ih, other.b_ih, G}, kind{"bias_hh_l0", ref.b_hh, other.b_hh, G},
        kind{"head weight", ref.w, other.w, classes * H},
        kind{"head bias", ref.b, other.b, classes}}) {
    double d = max_diff(k.a, k.b, k.n);
    if (!(d <= 1e-5)) {
      std::fprintf(stderr, "lstm: %s's %s differs from metagrad's by %.1e after 3 steps\n", who,
                   k.name, d);
      std::abort();
    }
  }
  std::fprintf(stderr, "lstm: %s's parameters after 3 steps within 1e-5 of metagrad's\n", who);
}

/// Runs 3 steps of every contender from the same start and data once; aborts unless the losses
/// agree, the parameters after them agree, and the loss decreased.
void check_all() {
  static bool const checked = [] {
    batch data;
    metagrad_net a(data);
    eigen_net b(view(a.params), data);
    mg::set_num_threads(1);
    Eigen::setNbThreads(1);
#if METAGRAD_BENCH_WITH_TORCH
    metagrad_bench::set_torch_threads(1);
    torch_net c(view(a.params), data);
    float lc = loss_after(c, 3);
#endif
    float first = a.step();
    float la = loss_after(a, 2), lb = loss_after(b, 3);
    if (!(la < first)) {
      std::fprintf(stderr, "lstm: metagrad's loss did not decrease (%f -> %f); aborting\n",
                   double(first), double(la));
      std::abort();
    }
    agree("eigen", la, lb);
    same_params(
        "eigen", view(a.params),
        {b.w_ih.data(), b.w_hh.data(), b.b_ih.data(), b.b_hh.data(), b.w.data(), b.b.data()});
#if METAGRAD_BENCH_WITH_TORCH
    agree("libtorch", la, lc);
    auto named = c.lstm->named_parameters();
    same_params("libtorch", view(a.params),
                {named["weight_ih_l0"].data_ptr<float>(), named["weight_hh_l0"].data_ptr<float>(),
                 named["bias_ih_l0"].data_ptr<float>(), named["bias_hh_l0"].data_ptr<float>(),
                 c.head->weight.data_ptr<float>(), c.head->bias.data_ptr<float>()});
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

void BM_lstm_metagrad(benchmark::State& state) {
  check_all();
  mg::set_num_threads(static_cast<int>(state.range(0)));
  batch data;
  metagrad_net net(data);
  run(state, net);
  mg::set_num_threads(1);
}
BENCHMARK(BM_lstm_metagrad)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_lstm_eigen(benchmark::State& state) {
  check_all();
  Eigen::setNbThreads(static_cast<int>(state.range(0)));
  batch data;
  metagrad_net init(data);
  eigen_net net(view(init.params), data);
  run(state, net);
  Eigen::setNbThreads(1);
}
BENCHMARK(BM_lstm_eigen)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

#if METAGRAD_BENCH_WITH_TORCH
void BM_lstm_libtorch(benchmark::State& state) {
  check_all();
  metagrad_bench::set_torch_threads(static_cast<int>(state.range(0)));
  batch data;
  metagrad_net init(data);
  torch_net net(view(init.params), data);
  run(state, net);
  metagrad_bench::set_torch_threads(1);
}
BENCHMARK(BM_lstm_libtorch)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
#endif

}  // namespace
