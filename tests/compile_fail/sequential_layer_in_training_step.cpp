// expect: sequential: a layer cannot take the shape entering it.*sequential_layer_rejects_input<2, ?(metagrad::)?nn::dense<10, ?64>, ?(metagrad::)?shape<-1, ?32>, ?(metagrad::)?nn::expects_last_extent<64>
// errors: 1
// A rejected layer inside a whole training step (the model applied in a loss, value_and_grad,
// the training-mode forward) is one error: the model does not call the layer, so nothing built
// on its result (its empty parameters, the loss, the gradient) adds errors of its own.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void step() {
#ifdef METAGRAD_SHOULD_FAIL
  auto model = nn::sequential(nn::dense<32>{}, nn::relu{}, nn::dense<10, 64>{});
#else
  auto model = nn::sequential(nn::dense<32>{}, nn::relu{}, nn::dense<10, 32>{});
#endif
  using In = mg::shape<mg::dyn, 16>;
  auto params = model.init<In>(mg::rng{0});
  mg::tensor<float, In> x(mg::extents<2>{{4, 16}});
  auto loss = [&](auto const& p) { return mg::mean(mg::square(model(p, x))); };
  auto [value, grads] = mg::value_and_grad(loss)(params);
  auto train_loss = [&](auto const& p) {
    return mg::mean(mg::square(model(p, x, nn::training(mg::rng{1}))));
  };
  auto g2 = mg::grad(train_loss)(params);
  (void)value, (void)grads, (void)g2;
}
