// Four stacked transformer_encoder_layers in one graph: the stacked graph computes what the
// blocks compute one at a time, and its gradients and tangents w.r.t. the input match finite
// differences. Each block reads values several times (its input, the attention projections, the
// normalised values): with share() the expression is small, and its type is a DAG whose size
// counted as a tree is exponential in the depth - compiling this TU is itself the check that no
// part of the library walks that type as a tree (three blocks took over ten minutes to compile
// when the expression's args were std::tuples: detail/flat_tuple.hpp).
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {
using In = mg::shape<2, 3, 4>;  // (B,T,E), 2 heads, feed-forward width 6
using block = nn::transformer_encoder_layer<4, 2, 6>;
using block_norm_first =
    nn::transformer_encoder_layer<4, 2, 6, nn::transformer_options{.norm_first = true}>;
auto const model = nn::sequential(block{}, block_norm_first{}, block{}, block_norm_first{});
auto const params = model.init<In, double>(mg::rng{17});
}  // namespace

TEST_CASE("four stacked encoder blocks compute what the blocks compute one at a time") {
  auto x = mgt::random<In>(5);
  auto stacked = mg::eval(model(params, x));
  mg::tensor<double, In> h = x;
  h = mg::eval(block{}(std::get<0>(params), h));
  h = mg::eval(block_norm_first{}(std::get<1>(params), h));
  h = mg::eval(block{}(std::get<2>(params), h));
  h = mg::eval(block_norm_first{}(std::get<3>(params), h));
  mgt::check_close(stacked, h, 1e-12, 1e-12, "four blocks in one graph");
}

TEST_CASE("four stacked encoder blocks: vjp and jvp w.r.t. the input against finite differences") {
  auto x = mgt::random<In>(9);
  mgt::check_grads([](auto const& z) { return model(params, z); }, x);
}
