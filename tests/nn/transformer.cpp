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
