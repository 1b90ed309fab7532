// Two stacked transformer_encoder_layers in a sequential model learn a task (values and
// gradients of one block are checked against PyTorch in transformer.cpp, four stacked blocks
// against finite differences in transformer_stack.cpp). share() holds each value a block reads
// several times once, so the stack's expression object stays small.
#include "support/sign_of_sum.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("two stacked encoder blocks learn the sign of a sequence's sum") {
  using block = nn::transformer_encoder_layer<8, 2, 16>;
  auto model = nn::sequential(nn::dense<8>{}, block{}, block{}, nn::last_step{}, nn::dense<2>{});
  auto r = mgt::train_sign_of_sum<8, 32>(model, mg::rng{5}, 3e-3f, 300);
  CHECK(r.last_loss < r.first_loss);
  CHECK(r.right >= 0.85 * r.total);
}
