// expect: (module: costs are per example.*module_input_needs_dyn_batch<(metagrad::)?shape<32, ?784> ?>|module_input_needs_dyn_batch<(metagrad::)?shape<32, ?784> ?>[^"]*"module: costs are per example)
// A struct model's FLOPs are per example of the batch, the input's leading dyn extent: a static
// batch of 32 has none.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

struct mlp {
  nn::dense_params<float, 10, 784> fc;
  static constexpr auto parameters = mg::fields(&mlp::fc, "fc");
  static auto forward(auto const& x, auto const& fc) { return nn::dense<10>{}(fc, x); }
};

static_assert(nn::module<mlp>::flops<mg::shape<mg::dyn, 784>> == 2 * 784 * 10);

#ifdef METAGRAD_SHOULD_FAIL
static_assert(nn::module<mlp>::flops<mg::shape<32, 784>> > 0);
#endif
