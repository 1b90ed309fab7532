// expect: multi_head_attention: the embedding width is not divisible by the number of heads.*multi_head_attention_embed_dim_not_divisible_by_heads<6, ?4>
// Six embedding channels cannot be split into four heads of equal width.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  nn::multi_head_attention<6, 4> layer;
#else
  nn::multi_head_attention<6, 3> layer;
#endif
  auto p = layer.init<float, mg::shape<mg::dyn, 5, 6>>(mg::rng{0});
  (void)p;
}
