// The layers of nn/ against PyTorch's modules (tests/reference/make_layer_reference.py): value,
// vjp of sum(output * cot) and jvp, w.r.t. the input and every parameter, with the parameters
// in state_dict order. dense: torch.nn.Linear; conv2d: Conv2d (stride, padding, dilation,
// groups); layer_norm: LayerNorm; embedding: Embedding; pools: MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d(1) + Flatten. (conv_layers.cpp and norm_embedding.cpp check finite
// differences and hand-computed values; these check the layers against PyTorch itself.)
#include "reference/layers.hpp"
#include "support/layer_check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;

TEST_CASE("dense matches torch.nn.Linear on (B,In) and (B,T,In), batch static and dyn") {
  mgt::check_layer_reference<ref::dense::arrays>(nn::dense<4>{});
  mgt::check_layer_reference<ref::dense::arrays, mg::shape<mg::dyn, 5>>(nn::dense<4, 5>{});
  mgt::check_layer_reference<ref::dense_rank3::arrays>(nn::dense<4>{});
  mgt::check_layer_reference<ref::dense_rank3::arrays, mg::shape<mg::dyn, mg::dyn, 5>>(
      nn::dense<4>{});
}

TEST_CASE("conv2d matches torch.nn.Conv2d (stride, padding, dilation, groups)") {
  SUBCASE("3 -> 4, kernel 3") {
    namespace r = ref::conv_basic;
    static_assert(r::stride == 1 && r::padding == 0 && r::dilation == 1 && r::groups == 1);
    mgt::check_layer_reference<r::arrays>(nn::conv2d<r::out_channels, r::kernel_size>{});
    mgt::check_layer_reference<r::arrays, mg::shape<mg::dyn, 3, 6, 6>>(
        nn::conv2d<r::out_channels, r::kernel_size>{});
  }
  SUBCASE("stride 2, padding 1") {
    namespace r = ref::conv_stride_pad;
    mgt::check_layer_reference<r::arrays>(
        nn::conv2d<r::out_channels, r::kernel_size,
                   mg::conv2d_params{.stride = r::stride, .padding = r::padding}>{});
  }
  SUBCASE("dilation 2, padding 2") {
    namespace r = ref::conv_dilation;
    mgt::check_layer_reference<r::arrays>(
        nn::conv2d<r::out_channels, r::kernel_size,
                   mg::conv2d_params{.padding = r::padding, .dilation = r::dilation}>{});
  }
  SUBCASE("groups 2") {
    namespace r = ref::conv_groups;
    mgt::check_layer_reference<r::arrays>(
        nn::conv2d<r::out_channels, r::kernel_size,
                   mg::conv2d_params{.padding = r::padding, .groups = r::groups}>{});
  }
}

TEST_CASE("layer_norm matches torch.nn.LayerNorm") {
  mgt::check_layer_reference<ref::layer_norm::arrays>(nn::layer_norm{});
  mgt::check_layer_reference<ref::layer_norm::arrays, mg::shape<mg::dyn, 3, 4>>(nn::layer_norm{});
}

TEST_CASE("embedding matches torch.nn.Embedding (repeated indices add up in the gradient)") {
  namespace r = ref::embedding;
  using In = mgt::shape_of<r::x_shape>;
  mg::tensor<mg::index_t, In> idx;
  std::copy(std::begin(r::x), std::end(r::x), idx.begin());
  nn::embedding<5, 3> layer;
  auto f = [&](auto const& w) { return layer(std::forward_as_tuple(w), mg::as_expr(idx)); };
  mgt::check_reference(
      f, std::tuple{mgt::ref<r::weight_shape>(r::weight)}, r::out, mgt::ref<r::out_shape>(r::cot),
      std::tuple{mgt::ref<r::weight_shape>(r::tan_weight)}, r::jvp_out, r::grad_weight);
}

TEST_CASE("pools match torch.nn.MaxPool2d, AvgPool2d and AdaptiveAvgPool2d(1) + Flatten") {
  using DynB = mg::shape<mg::dyn, 3, 5, 5>;
  mgt::check_layer_reference<ref::max_pool::arrays>(nn::max_pool2d<2>{});
  mgt::check_layer_reference<ref::max_pool::arrays, DynB>(nn::max_pool2d<2>{});
  mgt::check_layer_reference<ref::max_pool_3_2_1::arrays>(nn::max_pool2d<3, 2, 1>{});
  mgt::check_layer_reference<ref::avg_pool::arrays>(nn::avg_pool2d<2>{});
  mgt::check_layer_reference<ref::avg_pool_3_2_1::arrays>(nn::avg_pool2d<3, 2, 1>{});
  mgt::check_layer_reference<ref::avg_pool_3_2_1::arrays, DynB>(nn::avg_pool2d<3, 2, 1>{});
  mgt::check_layer_reference<ref::global_avg_pool::arrays>(nn::global_avg_pool2d{});
  mgt::check_layer_reference<ref::global_avg_pool::arrays, mg::shape<mg::dyn, 3, 4, 5>>(
      nn::global_avg_pool2d{});
}
