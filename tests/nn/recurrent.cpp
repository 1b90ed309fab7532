// rnn, lstm and gru layers (batch first, (B,T,D) => (B,T,H)): values and gradients against
// torch.nn.RNN/LSTM/GRU (tests/reference/make_recurrent_reference.py), reverse and forward mode
// against finite differences with T static and dyn, PyTorch's names, shapes and init, use in
// sequential with last_step and a dense head, and an LSTM learning the sign of a sequence's sum.
#include "support/check.hpp"  // metagrad.hpp first: nn::sigmoid and nn::tanh (layers) are declared
#include "support/sign_of_sum.hpp"

#include "reference/recurrent.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {
/// The layer's output and gradients against torch's for one reference case (B, T, D, H).
template <class Layer, mg::index_t B, mg::index_t T, mg::index_t D, mg::index_t H>
void check_against_pytorch(auto const& x_, auto const& wih_, auto const& whh_, auto const& bih_,
                           auto const& bhh_, auto const& cot, auto const& out, auto const& grad_x,
                           auto const& grad_wih, auto const& grad_whh, auto const& grad_bih,
                           auto const& grad_bhh) {
  constexpr mg::index_t G = Layer::G;
  using X = mg::shape<B, T, D>;
  auto x = mgt::from<X>(x_);
  auto wih = mgt::from<mg::shape<G * H, D>>(wih_);
  auto whh = mgt::from<mg::shape<G * H, H>>(whh_);
  auto bih = mgt::from<mg::shape<G * H>>(bih_);
  auto bhh = mgt::from<mg::shape<G * H>>(bhh_);
  // The parameters metagrad's layer expects have PyTorch's shapes.
  static_assert(
      std::is_same_v<typename Layer::template params<double, X>,
                     std::tuple<decltype(wih), decltype(whh), decltype(bih), decltype(bhh)>>);
  auto f = [](auto const& xx, auto const& a, auto const& b, auto const& c, auto const& d) {
    return Layer{}(std::forward_as_tuple(a, b, c, d), xx);
  };
  auto [value, pullback] = mg::vjp(f, x, wih, whh, bih, bhh);
  mgt::check_close(value, out, 1e-12, 1e-13, std::string(Layer::name) + " value");
  auto g = pullback(mgt::from<mg::shape<B, T, H>>(cot));
  mgt::check_close(std::get<0>(g), grad_x, 1e-11, 1e-13, "grad x");
  mgt::check_close(std::get<1>(g), grad_wih, 1e-11, 1e-13, "grad weight_ih_l0");
  mgt::check_close(std::get<2>(g), grad_whh, 1e-11, 1e-13, "grad weight_hh_l0");
  mgt::check_close(std::get<3>(g), grad_bih, 1e-11, 1e-13, "grad bias_ih_l0");
  mgt::check_close(std::get<4>(g), grad_bhh, 1e-11, 1e-13, "grad bias_hh_l0");
}

template <class Layer, class X>
void check_layer_grads(X const& x) {
  auto p = Layer{}.template init<double, mg::shape_t<X>>(mg::rng{3});
  mgt::check_grads([](auto const& xx, auto const& a, auto const& b, auto const& c,
                      auto const& d) { return Layer{}(std::forward_as_tuple(a, b, c, d), xx); },
                   x, std::get<0>(p), std::get<1>(p), std::get<2>(p), std::get<3>(p));
}
}  // namespace

TEST_CASE("rnn, lstm, gru: values and gradients equal PyTorch's") {
  {
    using namespace ref::rnn_basic;
    static_assert(x_shape[0] == 2 && x_shape[1] == 5 && x_shape[2] == 3 && hidden == 4);
    check_against_pytorch<nn::rnn<4>, 2, 5, 3, 4>(
        x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, cot, out, grad_x, grad_weight_ih_l0,
        grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0);
  }
  {
    using namespace ref::lstm_basic;
    static_assert(x_shape[0] == 2 && x_shape[1] == 5 && x_shape[2] == 3 && hidden == 4);
    check_against_pytorch<nn::lstm<4>, 2, 5, 3, 4>(
        x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, cot, out, grad_x, grad_weight_ih_l0,
        grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0);
  }
  {
    using namespace ref::gru_basic;
    static_assert(x_shape[0] == 2 && x_shape[1] == 5 && x_shape[2] == 3 && hidden == 4);
    check_against_pytorch<nn::gru<4>, 2, 5, 3, 4>(
        x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, cot, out, grad_x, grad_weight_ih_l0,
        grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0);
  }
}

TEST_CASE("rnn, lstm, gru: gradients against finite differences, T static") {
  auto x = mgt::random<mg::shape<2, 4, 3>>(1);
  check_layer_grads<nn::rnn<3>>(x);
  check_layer_grads<nn::lstm<3>>(x);
  check_layer_grads<nn::gru<3>>(x);
}

TEST_CASE("rnn, lstm, gru: gradients against finite differences, T and B dyn") {
  using In = mg::shape<mg::dyn, mg::dyn, 2>;
  for (mg::index_t steps : {1, 5}) {
    mg::tensor<double, In> x(mg::extents<3>{{3, steps, 2}});
    std::mt19937 gen(static_cast<unsigned>(steps));
    std::uniform_real_distribution<double> d(-1, 1);
    for (auto& v : x) v = d(gen);
    static_assert(std::is_same_v<nn::lstm<3>::output<In>, mg::shape<mg::dyn, mg::dyn, 3>>);
    check_layer_grads<nn::rnn<3>>(x);
    check_layer_grads<nn::lstm<3>>(x);
    check_layer_grads<nn::gru<3>>(x);
  }
}

TEST_CASE("recurrent layers: PyTorch's names, shapes, counts and U(-1/sqrt(H), 1/sqrt(H)) init") {
  using In = mg::shape<mg::dyn, 7, 5>;
  CHECK(nn::lstm<8>::param_names[0] == "weight_ih_l0");
  CHECK(nn::gru<8>::param_names[3] == "bias_hh_l0");
  CHECK(nn::lstm<8>::name == "lstm");
  static_assert(nn::rnn<8>::param_count<In> == 8 * 5 + 8 * 8 + 2 * 8);
  static_assert(nn::lstm<8>::param_count<In> == 4 * (8 * 5 + 8 * 8 + 2 * 8));
  static_assert(nn::gru<8>::param_count<In> == 3 * (8 * 5 + 8 * 8 + 2 * 8));
  static_assert(nn::lstm<8>::flops<In> == 7 * 2 * 32 * (5 + 8));
  static_assert(nn::lstm<8>::flops<mg::shape<mg::dyn, mg::dyn, 5>> == mg::dyn);
  static_assert(!nn::lstm<8>::accepts<mg::shape<mg::dyn, 5>>);
  static_assert(!nn::lstm<8>::accepts<mg::shape<mg::dyn, 7, mg::dyn>>);
  auto p = nn::lstm<64>{}.init<double, In>(mg::rng{5});
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(std::get<1>(p))>,
                               mg::tensor<double, mg::shape<256, 64>>>);
  double bound = 1.0 / 8.0, lo = 1, hi = -1, mean = 0;
  for (double v : std::get<1>(p)) lo = std::min(lo, v), hi = std::max(hi, v), mean += v;
  CHECK(lo >= -bound);
  CHECK(hi < bound);
  CHECK(lo < -0.95 * bound);  // 16384 draws fill the interval
  CHECK(hi > 0.95 * bound);
  CHECK(std::fabs(mean / 16384) < 0.01 * bound * 16);
  // The four tensors are independent draws.
  CHECK(std::get<2>(p)(0) != std::get<3>(p)(0));
}

TEST_CASE("last_step and a dense head after an lstm in sequential") {
  auto model = nn::sequential(nn::lstm<6>{}, nn::last_step{}, nn::dense<2>{});
  using In = mg::shape<mg::dyn, mg::dyn, 3>;
  using M = decltype(model);
  static_assert(std::is_same_v<M::input_of<2, In>, mg::shape<mg::dyn, 6>>);
  static_assert(M::param_count<In> == 4 * (6 * 3 + 6 * 6 + 12) + 6 * 2 + 2);
  auto params = model.init<In, double>(mg::rng{1});
  mg::tensor<double, In> x(mg::extents<3>{{2, 4, 3}});
  std::mt19937 gen(9);
  std::uniform_real_distribution<double> d(-1, 1);
  for (auto& v : x) v = d(gen);
  auto y = mg::eval(model(params, x));
  CHECK(y.shape() == mg::extents<2>{{2, 2}});
  // last_step is the last row of the lstm's output.
  auto seq = mg::eval(nn::lstm<6>{}(std::get<0>(params), mg::as_expr(x)));
  auto last = mg::eval(nn::last_step{}(std::tuple<>{}, mg::as_expr(seq)));
  for (mg::index_t b = 0; b < 2; ++b)
    for (mg::index_t j = 0; j < 6; ++j) CHECK(last(b, j) == seq(b, 3, j));
  mgt::check_grads([](auto const& s) { return nn::last_step{}(std::tuple<>{}, s); }, seq);
}

TEST_CASE("an LSTM learns the sign of a sequence's sum") {
  // A fixed seed makes the run deterministic; 300 Adam steps at batch 32 reach > 90% on held-out
  // sequences.
  auto model = nn::sequential(nn::lstm<16>{}, nn::last_step{}, nn::dense<2>{});
  auto r = mgt::train_sign_of_sum<8, 32>(model, mg::rng{7}, 1e-2f, 300);
  CHECK(r.last_loss < r.first_loss);
  CHECK(r.right >= 0.9 * r.total);
}
