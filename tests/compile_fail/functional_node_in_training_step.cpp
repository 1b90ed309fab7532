// expect: functional: a node's layer cannot take the shapes reaching it.*functional_node_rejects_input<2, ?(metagrad::)?nn::dense<10, ?64>, ?(metagrad::)?nn::expects_last_extent<64>, ?(metagrad::)?shape<-1, ?32>
// errors: 1
// A node whose layer rejects what reaches it, in a whole training step (parameters, the model in
// a loss, value_and_grad): one error, as in a sequential model; the node is not called, and its
// parameters are none, so nothing built on them adds errors of its own.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void step() {
  using In = mg::shape<mg::dyn, 16>;
#ifdef METAGRAD_SHOULD_FAIL
  auto model =
      nn::functional<In>(nn::node(nn::dense<32>{}, nn::in<0>), nn::node(nn::relu{}, nn::at<0>),
                         nn::node(nn::dense<10, 64>{}, nn::at<1>))
          .outputs(nn::at<2>);
#else
  auto model =
      nn::functional<In>(nn::node(nn::dense<32>{}, nn::in<0>), nn::node(nn::relu{}, nn::at<0>),
                         nn::node(nn::dense<10, 32>{}, nn::at<1>))
          .outputs(nn::at<2>);
#endif
  auto params = model.init(mg::rng{0});
  mg::tensor<float, In> x(mg::extents<2>{{4, 16}});
  auto loss = [&](auto const& p) { return mg::mean(mg::square(model(p, x))); };
  auto [value, grads] = mg::value_and_grad(loss)(params);
  (void)value, (void)grads;
}
