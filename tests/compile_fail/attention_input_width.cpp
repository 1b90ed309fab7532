// expect: multi_head_attention: the input must be \(B,T,E\) with E the layer's width.*multi_head_attention_input_is_not_b_t_embed_dim<8, ?(metagrad::)?shape<-1, ?5, ?6> ?>
// Attention of width 8 applied to (B,5,6): the input's last extent must be the layer's E.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  nn::multi_head_attention<8, 2> layer;
#else
  nn::multi_head_attention<6, 2> layer;
#endif
  auto p = layer.init<float, mg::shape<mg::dyn, 5, 6>>(mg::rng{0});
  (void)p;
}
