// transformer_encoder_layer: values, vjp and jvp (input and all 12 parameters) against
// torch.nn.TransformerEncoderLayer (post-norm, norm_first, causal), gradients against finite
// differences (transformer_train.cpp: two stacked blocks learning a task). Its graph reads the
// input, the attention projections and the normalised values several times: share() holds each
// once (a stack of blocks would otherwise be exponential in size).
#include "reference/layers.hpp"
#include "support/layer_check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

using Static = mg::shape<2, 3, 4>;  // (B,T,E) = (2,3,4), 2 heads, feed-forward width 6
using encoder = nn::transformer_encoder_layer<4, 2, 6>;
using encoder_norm_first =
    nn::transformer_encoder_layer<4, 2, 6, nn::transformer_options{.norm_first = true}>;
using encoder_causal =
    nn::transformer_encoder_layer<4, 2, 6, nn::transformer_options{.causal = true}>;

TEST_CASE("transformer_encoder_layer matches torch.nn.TransformerEncoderLayer") {
  mgt::check_layer_reference<ref::encoder::arrays>(encoder{});
  mgt::check_layer_reference<ref::encoder_norm_first::arrays>(encoder_norm_first{});
  mgt::check_layer_reference<ref::encoder_causal::arrays>(encoder_causal{});
}

TEST_CASE("transformer_encoder_layer: gradients against finite differences") {
  auto x = mgt::random<Static>(1);
  auto p = encoder{}.init<double, Static>(mg::rng{3});
  std::apply([&](auto const&... ps) { mgt::check_grads(mgt::layer_fn(encoder{}), x, ps...); }, p);
}

TEST_CASE("transformer_encoder_layer: dropout acts in training mode only") {
  auto x = mgt::random<Static>(2);
  auto p = encoder{}.init<double, Static>(mg::rng{3});
  encoder dropping{.dropout = 0.3};
  auto plain = mg::eval(encoder{}(p, x));
  auto const key = mg::rng{21};
  // Eval mode, with or without state, and a plain call: PyTorch's eval(), whatever the rate.
  mgt::check_close(mg::eval(dropping(p, x)), plain, 0, 0, "plain call");
  mgt::check_close(mg::eval(dropping(p, x, nn::inference(std::tuple<>{}))), plain, 0, 0, "eval");
  // Training with rate 0 keeps every value and scales by 1: the eval block.
  mgt::check_close(mg::eval(encoder{}(p, x, nn::training(key))), plain, 1e-15, 1e-15, "rate 0");
  // Training with rate 0.3: other values, the same for the same key, others for another key.
  auto a = mg::eval(dropping(p, x, nn::training(key)));
  auto b = mg::eval(dropping(p, x, nn::training(key)));
  auto c = mg::eval(dropping(p, x, nn::training(key.fold_in(1))));
  mgt::check_close(a, b, 0, 0, "same key");
  double diff_eval = 0, diff_key = 0;
  for (mg::index_t i = 0; i < a.size(); ++i) {
    diff_eval = std::max(diff_eval, std::fabs(a.data()[i] - plain.data()[i]));
    diff_key = std::max(diff_key, std::fabs(a.data()[i] - c.data()[i]));
  }
  CHECK(diff_eval > 1e-3);
  CHECK(diff_key > 1e-3);
  // Inside a sequential model, the block sees the model's mode.
  auto model = nn::sequential(dropping, nn::dense<4>{});
  auto mp = model.init<Static, double>(mg::rng{4});
  auto in_eval = mg::eval(model(mp, x));
  auto in_train = mg::eval(model(mp, x, nn::training(key)));
  double diff_model = 0;
  for (mg::index_t i = 0; i < in_eval.size(); ++i)
    diff_model = std::max(diff_model, std::fabs(in_eval.data()[i] - in_train.data()[i]));
  CHECK(diff_model > 1e-3);
}

TEST_CASE("transformer_encoder_layer: training-mode gradients against finite differences") {
  // The masks depend only on the key, so the training block is a fixed function of its inputs.
  auto x = mgt::random<Static>(6);
  auto p = encoder_norm_first{}.init<double, Static>(mg::rng{8});
  encoder_norm_first dropping{.dropout = 0.25};
  auto key = mg::rng{13};
  std::apply(
      [&](auto const&... ps) {
        mgt::check_grads(
            [&](auto const& z, auto const&... q) {
              return dropping(std::forward_as_tuple(q...), mg::as_expr(z), nn::training(key));
            },
            x, ps...);
      },
      p);
}
