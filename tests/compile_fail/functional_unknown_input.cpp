// expect: (functional: a node reads nn::in<\\?"name\\?"> of a name no input has.*functional_node_reads_no_input_named<1, ?(metagrad::detail::fixed_string<6>)?\{("imgae"|\{105, 109, 103, 97, 101, 0\})\}|functional_node_reads_no_input_named<1, ?(metagrad::detail::fixed_string<6>)?\{("imgae"|\{105, 109, 103, 97, 101, 0\})\}.*functional: a node reads nn::in<\\?"name\\?"> of a name no input has)
// errors: 1
// A node reads an input by a name the model does not declare (a typo of "image").
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
  using Image = nn::input<"image", mg::shape<mg::dyn, 16>>;
  using Meta = nn::input<"meta", mg::shape<mg::dyn, 4>>;
#ifdef METAGRAD_SHOULD_FAIL
  auto model = nn::functional<Image, Meta>(nn::node(nn::dense<8>{}, nn::in<"meta">),
                                           nn::node(nn::dense<8>{}, nn::in<"imgae">),
                                           nn::node(nn::merge_add{}, nn::at<0>, nn::at<1>))
                   .outputs(nn::at<2>);
#else
  auto model = nn::functional<Image, Meta>(nn::node(nn::dense<8>{}, nn::in<"meta">),
                                           nn::node(nn::dense<8>{}, nn::in<"image">),
                                           nn::node(nn::merge_add{}, nn::at<0>, nn::at<1>))
                   .outputs(nn::at<2>);
#endif
  auto p = model.init(mg::rng{0});
  (void)p;
}
