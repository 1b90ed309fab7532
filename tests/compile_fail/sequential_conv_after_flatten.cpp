// expect: (sequential: a layer cannot take the shape entering it.*sequential_layer_rejects_input<2, ?(metagrad::)?nn::conv2d<8, ?(metagrad::hw_pair)?\{3, ?3\}[^>]*>, ?(metagrad::)?shape<-1, ?144>, ?(metagrad::)?nn::expects_rank<4>|sequential_layer_rejects_input<2, ?(metagrad::)?nn::conv2d<8, ?(metagrad::hw_pair)?\{3, ?3\}[^>]*>, ?(metagrad::)?shape<-1, ?144>, ?(metagrad::)?nn::expects_rank<4>.*sequential: a layer cannot take the shape entering it)
// errors: 1
// A convolution after flatten: layer 2 of the model receives the flat (B,144), and a conv2d needs
// rank 4, (B,C,H,W); the diagnostic names the position, the flat shape and expects_rank<4>.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  auto model = nn::sequential(nn::conv2d<4, 3>{}, nn::flatten{}, nn::conv2d<8, 3>{});
#else
  auto model = nn::sequential(nn::conv2d<4, 3>{}, nn::conv2d<8, 3>{}, nn::flatten{});
#endif
  auto p = model.init<mg::shape<mg::dyn, 1, 8, 8>>(mg::rng{0});  // conv: => (B,4,6,6) = 144
  (void)p;
}
