// expect: (sequential: a layer cannot take the shape entering it.*sequential_layer_rejects_input<1, ?(metagrad::)?nn::dense<10, ?128>, ?(metagrad::)?shape<-1, ?784>, ?(metagrad::)?nn::expects_last_extent<128>|sequential_layer_rejects_input<1, ?(metagrad::)?nn::dense<10, ?128>, ?(metagrad::)?shape<-1, ?784>, ?(metagrad::)?nn::expects_last_extent<128>.*sequential: a layer cannot take the shape entering it)
// errors: 1
// dense<10, 128> declares its input width 128, but layer 1 of the model receives (B,784) from
// flatten: the diagnostic names the position, the shape and the width the layer expects.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  auto model = nn::sequential(nn::flatten{}, nn::dense<10, 128>{});
#else
  auto model = nn::sequential(nn::flatten{}, nn::dense<10, 784>{});
#endif
  auto p = model.init<mg::shape<mg::dyn, 28, 28>>(mg::rng{0});  // flatten: (B,28,28) => (B,784)
  (void)p;
}
