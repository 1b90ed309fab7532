// The Fashion-MNIST MLP: 784-128-10 with ReLU (see main.cpp).
#include "run.hpp"

namespace fashion_mnist {
void run_mlp(options const& opt) {
  namespace nn = metagrad::nn;
  run<mg::shape<784>>(opt, nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{}));
}
}  // namespace fashion_mnist
