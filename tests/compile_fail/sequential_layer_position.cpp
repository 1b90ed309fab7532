// expect: (sequential: a layer cannot take the shape entering it.*sequential_layer_rejects_input<4, ?(metagrad::)?nn::conv2d<16, ?(metagrad::hw_pair)?\{5, ?5\}[^>]*>, ?(metagrad::)?shape<-1, ?864>, ?(metagrad::)?nn::expects_rank<4>|sequential_layer_rejects_input<4, ?(metagrad::)?nn::conv2d<16, ?(metagrad::hw_pair)?\{5, ?5\}[^>]*>, ?(metagrad::)?shape<-1, ?864>, ?(metagrad::)?nn::expects_rank<4>.*sequential: a layer cannot take the shape entering it)
// errors: 1
// A conv layer after flatten: layer 4 of the model receives (B,864), not an image (B,C,H,W).
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  auto model = nn::sequential(nn::conv2d<6, 5>{}, nn::relu{}, nn::max_pool2d<2>{}, nn::flatten{},
                              nn::conv2d<16, 5>{}, nn::dense<10>{});
#else
  auto model = nn::sequential(nn::conv2d<6, 5>{}, nn::relu{}, nn::max_pool2d<2>{},
                              nn::conv2d<16, 5>{}, nn::flatten{}, nn::dense<10>{});
#endif
  auto p = model.init<mg::shape<mg::dyn, 1, 28, 28>>(mg::rng{0});
  (void)p;
}
