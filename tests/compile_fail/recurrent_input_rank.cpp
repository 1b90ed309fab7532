// expect: recurrent_input_not_batch_time_features<(metagrad::)?nn::lstm_cell<16>, ?(metagrad::)?shape<-1, ?8>
// An lstm applied to flat vectors (B, 8): it needs batch-first sequences (B, T, D).
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
#ifdef METAGRAD_SHOULD_FAIL
  using In = mg::shape<mg::dyn, 8>;
#else
  using In = mg::shape<mg::dyn, 4, 8>;
#endif
  mg::tensor<float, In> x;
  auto p = nn::lstm<16>{}.init<float, In>(mg::rng{0});
  auto y = nn::lstm<16>{}(p, x);
  (void)y;
}
