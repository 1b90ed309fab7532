// multi_head_attention: values, vjp and jvp (input and every parameter) against
// torch.nn.MultiheadAttention, gradients against finite differences with T static and dyn, the
// causal mask, PyTorch's init and names. transformer_encoder_layer is tested in transformer*.cpp
// (template-heavy: one translation unit for all of it would take minutes and several GB).
#include "reference/layers.hpp"
#include "support/layer_check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

using mg::dyn;
using Static = mg::shape<2, 3, 4>;  // (B,T,E) = (2,3,4), 2 heads of width 2
using DynT = mg::shape<2, dyn, 4>;

TEST_CASE("multi_head_attention matches torch.nn.MultiheadAttention (T static and dyn)") {
  mgt::check_layer_reference<ref::mha::arrays>(nn::multi_head_attention<4, 2>{});
  mgt::check_layer_reference<ref::mha::arrays, DynT>(nn::multi_head_attention<4, 2>{});
}

TEST_CASE("causal multi_head_attention matches PyTorch with attn_mask = triu(ones, 1)") {
  mgt::check_layer_reference<ref::mha_causal::arrays>(nn::multi_head_attention<4, 2, true>{});
  mgt::check_layer_reference<ref::mha_causal::arrays, DynT>(nn::multi_head_attention<4, 2, true>{});
}

TEST_CASE("the causal mask: an output row depends on no later position") {
  nn::multi_head_attention<4, 2, true> causal;
  auto p = causal.init<double, Static>(mg::rng{3});
  auto x = mgt::random<Static>(5);
  auto y = mg::eval(causal(p, mg::as_expr(x)));
  auto changed = x;
  for (mg::index_t b = 0; b < 2; ++b)
    for (mg::index_t e = 0; e < 4; ++e) changed(b, 2, e) += 1.0;  // the last position
  auto y2 = mg::eval(causal(p, mg::as_expr(changed)));
  for (mg::index_t b = 0; b < 2; ++b)
    for (mg::index_t e = 0; e < 4; ++e) {
      CHECK(y2(b, 0, e) == y(b, 0, e));
      CHECK(y2(b, 1, e) == y(b, 1, e));
      CHECK(y2(b, 2, e) != y(b, 2, e));
    }
  // Without the mask the first position sees the last one.
  auto full = mg::eval(nn::multi_head_attention<4, 2>{}(p, mg::as_expr(x)));
  auto full2 = mg::eval(nn::multi_head_attention<4, 2>{}(p, mg::as_expr(changed)));
  CHECK(full2(0, 0, 0) != full(0, 0, 0));
}

TEST_CASE("multi_head_attention: gradients against finite differences, T static and dyn") {
  auto x = mgt::random<Static>(1);
  auto wi = mgt::random<mg::shape<12, 4>>(2);
  auto bi = mgt::random<mg::shape<12>>(3);
  auto wo = mgt::random<mg::shape<4, 4>>(4);
  auto bo = mgt::random<mg::shape<4>>(5);
  mgt::check_grads(mgt::layer_fn(nn::multi_head_attention<4, 2>{}), x, wi, bi, wo, bo);
  mgt::check_grads(mgt::layer_fn(nn::multi_head_attention<4, 2, true>{}), x, wi, bi, wo, bo);
  auto xd = mgt::with_shape<DynT>(x);
  mgt::check_grads(mgt::layer_fn(nn::multi_head_attention<4, 2>{}), xd, wi, bi, wo, bo);
  mgt::check_grads(mgt::layer_fn(nn::multi_head_attention<4, 2, true>{}), xd, wi, bi, wo, bo);
  // Four heads of width 1 are another split of the same projections.
  mgt::check_grads(mgt::layer_fn(nn::multi_head_attention<4, 4>{}), x, wi, bi, wo, bo);
}

TEST_CASE("multi_head_attention: PyTorch's initialisation, shapes and counts") {
  using L = nn::multi_head_attention<8, 2>;
  using In = mg::shape<dyn, 5, 8>;
  static_assert(L::accepts<In> && !L::accepts<mg::shape<dyn, 5, 6>> &&
                !L::accepts<mg::shape<5, 8>>);
  static_assert(L::head_dim == 4);
  static_assert(L::param_count<In> == 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8);
  static_assert(L::flops<In> == 8 * 5 * 8 * 8 + 4 * 5 * 5 * 8);
  static_assert(L::flops<mg::shape<dyn, dyn, 8>> == dyn);
  static_assert(std::is_same_v<L::output<In>, In>);
  auto p = L{}.init<double, In>(mg::rng{7});
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(std::get<0>(p))>,
                               mg::tensor<double, mg::shape<24, 8>>>);
  double xavier = std::sqrt(6.0 / (8 + 24)), linear = 1 / std::sqrt(8.0), wmax = 0, omax = 0;
  for (double w : std::get<0>(p)) wmax = std::max(wmax, std::fabs(w));
  for (double w : std::get<2>(p)) omax = std::max(omax, std::fabs(w));
  CHECK(wmax <= xavier);
  CHECK(wmax > 0.8 * xavier);  // 192 draws of U(-a, a) reach close to a
  CHECK(omax <= linear);
  CHECK(omax > 0.7 * linear);
  for (double b : std::get<1>(p)) CHECK(b == 0.0);
  for (double b : std::get<3>(p)) CHECK(b == 0.0);
  CHECK(L::param_names[2] == "out_proj.weight");
}
