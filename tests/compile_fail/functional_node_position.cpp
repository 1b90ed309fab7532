// expect: (functional: a node's layer cannot take the shapes reaching it.*functional_node_rejects_input<2, ?(metagrad::)?nn::conv2d<8, ?(metagrad::hw_pair)?\{3, ?3\}.*(metagrad::)?nn::expects_rank<4>, ?(metagrad::)?shape<-1, ?16>|functional_node_rejects_input<2, ?(metagrad::)?nn::conv2d<8, ?(metagrad::hw_pair)?\{3, ?3\}.*(metagrad::)?nn::expects_rank<4>, ?(metagrad::)?shape<-1, ?16>.*functional: a node's layer cannot take the shapes reaching it)
// errors: 1
// A convolution reading a flat vector: node 2 of the graph receives (B,16), not an image.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
  using In = mg::shape<mg::dyn, 1, 8, 8>;
#ifdef METAGRAD_SHOULD_FAIL
  auto model =
      nn::functional<In>(nn::node(nn::flatten{}, nn::in<0>), nn::node(nn::dense<16>{}, nn::at<0>),
                         nn::node(nn::conv2d<8, 3>{}, nn::at<1>))
          .outputs(nn::at<2>);
#else
  auto model =
      nn::functional<In>(nn::node(nn::conv2d<8, 3>{}, nn::in<0>),
                         nn::node(nn::flatten{}, nn::at<0>), nn::node(nn::dense<16>{}, nn::at<1>))
          .outputs(nn::at<2>);
#endif
  auto p = model.init(mg::rng{0});
  (void)p;
}
