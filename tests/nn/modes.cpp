// Train and eval modes: dropout's masks (rate, scale, determinism, gradient), batch norm against
// PyTorch (training output, gradients, running statistics, eval output) and finite differences,
// residual blocks, and a sequential model's state and names.
#include "reference/modes.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("dropout_mask: drop rate, scale, and the same mask for the same key") {
  mg::tensor<float, mg::shape<100003>> x;
  std::fill(x.begin(), x.end(), 1.f);
  auto m = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.3, mg::rng{5}));
  mg::index_t zeros = 0;
  for (float v : m) {
    CHECK((v == 0.f || v == doctest::Approx(1 / 0.7)));
    zeros += v == 0.f;
  }
  // 3 sigma of a binomial(100003, 0.3) is about 435.
  CHECK(std::abs(static_cast<double>(zeros) - 0.3 * 100003) < 450);
  auto again = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.3, mg::rng{5}));
  auto other = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.3, mg::rng{6}));
  CHECK(std::equal(m.begin(), m.end(), again.begin()));
  CHECK(!std::equal(m.begin(), m.end(), other.begin()));
  auto none = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.0, mg::rng{5}));
  CHECK(std::all_of(none.begin(), none.end(), [](float v) { return v == 1.f; }));
  CHECK_THROWS_WITH_AS(mg::dropout_mask(mg::as_expr(x), 1.0, mg::rng{5}),
                       doctest::Contains("expected a probability p in [0, 1), found 1"),
                       std::invalid_argument);
}

TEST_CASE("dropout layer: identity in eval mode, masked in training, gradient is the mask") {
  auto x = mgt::random<mg::shape<4, 50>>(3);
  nn::dropout d{0.5};
  auto ev = mg::eval(d(std::tuple<>{}, mg::as_expr(x)));
  CHECK(std::equal(ev.begin(), ev.end(), x.begin()));
  auto key = mg::rng{9};
  auto tr = mg::eval(d(std::tuple<>{}, mg::as_expr(x), nn::training(key)));
  auto mask = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.5, key));
  int dropped = 0;
  for (mg::index_t i = 0; i < x.size(); ++i) {
    CHECK(tr.data()[i] == x.data()[i] * mask.data()[i]);
    dropped += tr.data()[i] == 0;
  }
  CHECK(dropped > 60);
  CHECK(dropped < 140);
  auto g =
      mg::grad([&](auto const& a) { return mg::sum(d(std::tuple<>{}, a, nn::training(key))); })(x);
  CHECK(std::equal(g.begin(), g.end(), mask.begin()));
  mgt::check_grads([&](auto const& a) { return d(std::tuple<>{}, a, nn::training(key)); }, x);
}

TEST_CASE("sequential: each layer draws its own dropout mask from the step's key") {
  auto model = nn::sequential(nn::dropout{0.5}, nn::dropout{0.5});
  auto x = mgt::random<mg::shape<2, 64>>(4, 1, 2);  // no zeros
  auto key = mg::rng{11};
  auto y =
      mg::eval(model(std::tuple<std::tuple<>, std::tuple<>>{}, mg::as_expr(x), nn::training(key)));
  auto m0 = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.5, key.fold_in(0)));
  auto m1 = mg::eval(mg::dropout_mask(mg::as_expr(x), 0.5, key.fold_in(1)));
  for (mg::index_t i = 0; i < x.size(); ++i)
    CHECK(y.data()[i] == doctest::Approx(x.data()[i] * m0.data()[i] * m1.data()[i]));
  auto plain = mg::eval(model(std::tuple<std::tuple<>, std::tuple<>>{}, mg::as_expr(x)));
  CHECK(std::equal(plain.begin(), plain.end(), x.begin()));
}

namespace {
/// One PyTorch batch-norm case: the arrays of tests/reference/modes.hpp.
struct bn_case {
  double const *x, *x2, *weight, *bias, *cot, *y, *grad_x, *grad_weight, *grad_bias, *running_mean,
      *running_var, *y_eval;
};
template <class S>
mg::tensor<double, S> load(double const* p) {
  mg::tensor<double, S> t;
  std::copy_n(p, t.size(), t.data());
  return t;
}
template <class XS>
void check_batch_norm_against_pytorch(bn_case const& r) {
  using CS = mg::shape<XS::dims[1]>;
  constexpr auto n = XS::static_size, c = CS::static_size;
  nn::batch_norm bn;
  auto x = load<XS>(r.x), x2 = load<XS>(r.x2), cot = load<XS>(r.cot);
  auto w = load<CS>(r.weight), b = load<CS>(r.bias);
  auto state = bn.init_state<double, XS>();
  CHECK(std::get<0>(state)(0) == 0.0);  // as PyTorch: running mean zeros, variance ones
  CHECK(std::get<1>(state)(0) == 1.0);
  auto f = [&](auto const& a, auto const& ww, auto const& bb) {
    return bn(std::forward_as_tuple(ww, bb), a, nn::training(mg::rng{0}));
  };
  auto [y, pullback] = mg::vjp(f, x, w, b);
  mgt::check_close(y, r.y, n, 1e-10, 1e-12, "training output");
  auto grads = pullback(cot);
  mgt::check_close(std::get<0>(grads), r.grad_x, n, 1e-9, 1e-11, "d/dx");
  mgt::check_close(std::get<1>(grads), r.grad_weight, c, 1e-9, 1e-11, "d/dweight");
  mgt::check_close(std::get<2>(grads), r.grad_bias, c, 1e-9, 1e-11, "d/dbias");
  bn.update_state(std::forward_as_tuple(w, b), x, state);  // two training steps, as PyTorch's
  bn.update_state(std::forward_as_tuple(w, b), x2, state);
  mgt::check_close(std::get<0>(state), r.running_mean, c, 1e-12, 1e-14, "running_mean");
  mgt::check_close(std::get<1>(state), r.running_var, c, 1e-12, 1e-14, "running_var");
  CHECK(std::get<2>(state).data()[0] == 2);  // num_batches_tracked, as PyTorch's
  auto y_eval = mg::eval(bn(std::forward_as_tuple(w, b), mg::as_expr(x), nn::inference(state)));
  mgt::check_close(y_eval, r.y_eval, n, 1e-12, 1e-14, "eval output");
  mgt::check_grads(
      [&](auto const& a, auto const& ww, auto const& bb) {
        return bn(std::forward_as_tuple(ww, bb), a, nn::training(mg::rng{0}));
      },
      x, w, b);
}
template <class R>
constexpr bn_case case_of() {
  return {R::x,      R::x2,          R::weight,    R::bias,         R::cot,         R::y,
          R::grad_x, R::grad_weight, R::grad_bias, R::running_mean, R::running_var, R::y_eval};
}
}  // namespace

TEST_CASE("batch_norm (N,C) and (N,C,H,W) against torch.nn.BatchNorm1d / BatchNorm2d") {
  namespace r1 = ref::batch_norm_1d;
  namespace r2 = ref::batch_norm_2d;
  check_batch_norm_against_pytorch<mgt::shape_of<r1::x_shape>>(
      {r1::x, r1::x2, r1::weight, r1::bias, r1::cot, r1::y, r1::grad_x, r1::grad_weight,
       r1::grad_bias, r1::running_mean, r1::running_var, r1::y_eval});
  check_batch_norm_against_pytorch<mgt::shape_of<r2::x_shape>>(
      {r2::x, r2::x2, r2::weight, r2::bias, r2::cot, r2::y, r2::grad_x, r2::grad_weight,
       r2::grad_bias, r2::running_mean, r2::running_var, r2::y_eval});
}

TEST_CASE("residual blocks and batch norm in a sequential model: state, names, modes") {
  auto model = nn::sequential(nn::dense<6>{}, nn::batch_norm{}, nn::relu{},
                              nn::residual(nn::dense<6>{}, nn::batch_norm{}, nn::dropout{0.2}),
                              nn::dense<3>{});
  using In = mg::shape<mg::dyn, 4>;
  using M = decltype(model);
  static_assert(M::param_count<In> == (24 + 6) + 12 + (36 + 6 + 12) + (18 + 3));
  auto params = model.init<In, double>(mg::rng{1});
  auto state = model.init_state<In, double>();
  std::vector<std::string> names, state_names;
  M::for_each_named(params, [&](std::string const& s, auto const&) { names.push_back(s); });
  M::for_each_state_named(state,
                          [&](std::string const& s, auto const&) { state_names.push_back(s); });
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight",
                                          "3.0.bias", "3.1.weight", "3.1.bias", "4.weight",
                                          "4.bias"});
  CHECK(state_names == std::vector<std::string>{"1.running_mean", "1.running_var",
                                                "1.num_batches_tracked", "3.1.running_mean",
                                                "3.1.running_var", "3.1.num_batches_tracked"});
  mg::tensor<double, In> x(mg::extents<2>{{8, 4}});
  for (mg::index_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.7 * static_cast<double>(i));
  // The residual's value: h + body(h), body run in the same mode.
  auto h = mg::eval(nn::relu{}(
      std::tuple<>{},
      nn::batch_norm{}(std::get<1>(params), nn::dense<6>{}(std::get<0>(params), mg::as_expr(x)),
                       nn::inference(std::get<1>(state)))));
  auto const& rp = std::get<3>(params);
  auto body =
      mg::eval(nn::batch_norm{}(std::get<1>(rp), nn::dense<6>{}(std::get<0>(rp), mg::as_expr(h)),
                                nn::inference(std::get<1>(std::get<3>(state)))));
  auto want = mg::eval(nn::dense<3>{}(std::get<4>(params), mg::as_expr(h) + mg::as_expr(body)));
  auto got = mg::eval(model(params, mg::as_expr(x), nn::inference(state)));
  mgt::check_close(got, want, 1e-12, 1e-12, "eval-mode output");
  // Training updates every batch norm's running statistics, inside the residual block too.
  auto before = std::get<0>(std::get<1>(std::get<3>(state)))(0);
  auto loss = [&](auto const& p) {
    return mg::mean(mg::square(model(p, mg::as_expr(x), nn::training(mg::rng{2}))));
  };
  auto [value, grads] = mg::value_and_grad(loss)(params);
  CHECK(std::isfinite(value.item()));
  CHECK(std::get<0>(std::get<1>(std::get<3>(state)))(0) == before);  // building has no effect
  model.update_state(params, x, state, mg::rng{2});
  // The residual's batch norm saw h0 + nothing: its input is dense(h) with h the training-mode
  // output of layers 0..2, which is what a layer-by-layer training pass computes.
  auto h_train = mg::eval(nn::relu{}(
      std::tuple<>{},
      nn::batch_norm{}(std::get<1>(params), nn::dense<6>{}(std::get<0>(params), mg::as_expr(x)),
                       nn::training(mg::rng{0}))));
  auto inner = mg::eval(nn::dense<6>{}(std::get<0>(rp), mg::as_expr(h_train)));
  double m0 = 0;
  for (mg::index_t i = 0; i < 8; ++i) m0 += inner(i, 0) / 8;
  CHECK(std::get<0>(std::get<1>(std::get<3>(state)))(0) ==
        doctest::Approx(0.1 * m0 + 0.9 * before));
  CHECK(std::get<0>(std::get<1>(state))(0) != 0.0);
  CHECK(std::get<2>(std::get<1>(std::get<3>(state))).data()[0] == 1);
  CHECK(std::get<0>(std::get<0>(grads)).size() == 24);
}
