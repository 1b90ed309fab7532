// A user's own struct as a model (nn::module): its fields are a parameter tree that grad,
// optimizers, fit and checkpoints take; it computes what the same sequential model computes,
// bitwise, through a whole fit; names are the fields'; a forward may take the mode.
#include <cstring>

#include "io/scratch.hpp"
#include "support/blobs.hpp"
#include "support/check.hpp"

#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using In = mg::shape<mg::dyn, 2>;

namespace {
struct mlp {
  nn::dense_params<float, 16, 2> fc1;
  nn::dense_params<float, 3, 16> fc2;
  static constexpr auto parameters = mg::fields(&mlp::fc1, "fc1", &mlp::fc2, "fc2");

  static auto forward(auto const& x, auto const& fc1, auto const& fc2) {
    return nn::dense<3>{}(fc2, mg::tanh(nn::dense<16>{}(fc1, x)));
  }
};

/// Plain tensors, a nested struct and a mode-dependent forward (dropout in training).
struct affine {
  mg::tensor<double, mg::shape<3, 4>> w;
  mg::tensor<double, mg::shape<3>> b;
  static constexpr auto parameters = mg::fields(&affine::w, "w", &affine::b, "b");
};
struct two_heads {
  affine head;
  mg::tensor<double, mg::shape<3>> scale;
  static constexpr auto parameters =
      mg::fields(&two_heads::head, "head", &two_heads::scale, "scale");
  template <class X, class M, class H, class S>
  static auto forward(X const& x, M const& mode, H const& head, S const& scale) {
    auto h = mg::matmul(x, mg::transpose(std::get<0>(head))) + std::get<1>(head);
    return nn::dropout{0.5}(std::tuple<>{}, h, mode) * scale;
  }
};

using mgt::blobs;
}  // namespace

TEST_CASE("module: a struct's fields are a named tree with a constexpr parameter count") {
  static_assert(mg::parameter_struct<mlp>);
  static_assert(mg::tree_size<mlp> == 4);
  static_assert(nn::module<mlp>::param_count == 16 * 2 + 16 + 3 * 16 + 3);
  static_assert(mg::tree_size<two_heads> == 3);
  mlp m{decltype(mlp::fc1)::init(mg::rng{0}), decltype(mlp::fc2)::init(mg::rng{1})};
  std::vector<std::string> names;
  nn::module<mlp>::for_each_named(m,
                                  [&](std::string const& n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  two_heads t{};
  names.clear();
  nn::module<two_heads>::for_each_named(
      t, [&](std::string const& n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"head.w", "head.b", "scale"});
  auto s = nn::module<mlp>::summary();
  CHECK(s.find("fc2.weight           [3, 16]              48") != std::string::npos);
  CHECK(s.find("total parameters: 99") != std::string::npos);
}

TEST_CASE("module computes what the same sequential model computes: values and gradients") {
  auto seq = nn::sequential(nn::dense<16>{}, nn::tanh{}, nn::dense<3>{});
  auto sp = seq.init<In>(mg::rng{4});
  mlp m;
  m.fc1.weight = std::get<0>(std::get<0>(sp)), m.fc1.bias = std::get<1>(std::get<0>(sp));
  m.fc2.weight = std::get<0>(std::get<2>(sp)), m.fc2.bias = std::get<1>(std::get<2>(sp));
  auto data = blobs(40, 1);
  nn::module<mlp> model;
  auto a = mg::eval(model(m, data.features)), b = mg::eval(seq(sp, data.features));
  CHECK(std::equal(a.begin(), a.end(), b.begin()));
  auto [lm, gm] = mg::value_and_grad(
      [&](auto const& p) { return nn::cross_entropy(model(p, data.features), data.labels); })(m);
  auto [ls, gs] = mg::value_and_grad(
      [&](auto const& p) { return nn::cross_entropy(seq(p, data.features), data.labels); })(sp);
  CHECK(lm.item() == ls.item());
  auto const& gw = std::get<0>(std::get<1>(gm));  // fc2.weight's gradient: field 1, element 0
  auto const& sw = std::get<0>(std::get<2>(gs));
  CHECK(std::equal(gw.begin(), gw.end(), sw.begin()));
}

TEST_CASE("fit trains a struct model exactly as the sequential one; checkpoints use its names") {
  mgt::scratch_dir dir("module_fit");
  auto tr = blobs(300, 2), te = blobs(100, 3);
  auto seq = nn::sequential(nn::dense<16>{}, nn::tanh{}, nn::dense<3>{});
  auto sp = seq.init<In>(mg::rng{5});
  mlp m;
  m.fc1.weight = std::get<0>(std::get<0>(sp)), m.fc1.bias = std::get<1>(std::get<0>(sp));
  m.fc2.weight = std::get<0>(std::get<2>(sp)), m.fc2.bias = std::get<1>(std::get<2>(sp));
  train::fit_options o{.epochs = 3, .batch_size = 32, .show = train::progress::none};
  mg::optim::adam a1{.lr = 1e-2f}, a2{.lr = 1e-2f};
  nn::module<mlp> model;
  auto hm = train::fit(model, m, a1, tr, &te, o);
  auto hs = train::fit(seq, sp, a2, tr, &te, o);
  CHECK(hm.back().val_accuracy > 0.95);
  CHECK(hm.back().val_loss == hs.back().val_loss);
  CHECK(std::equal(m.fc2.weight.begin(), m.fc2.weight.end(), std::get<0>(std::get<2>(sp)).begin()));

  train::save_checkpoint(dir / "mlp.safetensors", model, m, a1, 3);
  auto file = mg::io::safetensors_file::open(dir / "mlp.safetensors");
  CHECK(file.info("fc1.weight").shape == std::vector<std::int64_t>{16, 2});
  CHECK(file.info("optimizer.exp_avg.3").shape == std::vector<std::int64_t>{3});
  mlp loaded{};
  mg::optim::adam a3{.lr = 1e-2f};
  CHECK(train::load_checkpoint(dir / "mlp.safetensors", model, loaded, a3) == 3);
  CHECK(std::equal(loaded.fc1.bias.begin(), loaded.fc1.bias.end(), m.fc1.bias.begin()));
}

TEST_CASE(
    "module: a forward that takes the mode, plain fields, nested structs, finite differences") {
  two_heads t;
  t.head.w = mgt::random<mg::shape<3, 4>>(1), t.head.b = mgt::random<mg::shape<3>>(2);
  t.scale = mgt::random<mg::shape<3>>(3, 0.5, 1.5);
  auto x = mgt::random<mg::shape<64, 4>>(4);
  nn::module<two_heads> model;
  auto ev = mg::eval(model(t, x, nn::inference(std::tuple<>{})));
  auto tr = mg::eval(model(t, x, nn::training(mg::rng{1})));
  int zeros = 0, same = 0;
  for (mg::index_t i = 0; i < ev.size(); ++i) {
    zeros += tr.data()[i] == 0;
    same += tr.data()[i] == doctest::Approx(2 * ev.data()[i]);  // kept values are scaled by 2
  }
  CHECK(zeros + same == ev.size());
  CHECK(zeros > 50);
  auto g =
      mg::grad([&](auto const& p) { return mg::sum(model(p, x, nn::training(mg::rng{1}))); })(t);
  auto const& gs = std::get<1>(g);  // d/dscale: the column sums of the dropped-out h
  auto h = mg::eval(tr / mg::as_expr(t.scale));
  for (mg::index_t j = 0; j < 3; ++j) {
    double want = 0;
    for (mg::index_t i = 0; i < 64; ++i) want += h(i, j);
    CHECK(gs(j) == doctest::Approx(want));
  }
  mgt::check_grads(
      [&](auto const& w, auto const& b, auto const& s) {
        return two_heads::forward(mg::as_expr(x), nn::training(mg::rng{1}),
                                  std::forward_as_tuple(w, b), s);
      },
      t.head.w, t.head.b, t.scale);
}
