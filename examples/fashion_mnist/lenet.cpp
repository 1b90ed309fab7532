// The Fashion-MNIST LeNet-5: conv 6@5x5 (padding 2), pool, conv 16@5x5, pool, dense 120, 84,
// 10, ReLU (see main.cpp).
#include "run.hpp"

namespace fashion_mnist {
void run_lenet(options const& opt) {
  namespace nn = metagrad::nn;
  using pad2 = nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>;
  run<mg::shape<1, 28, 28>>(
      opt, nn::sequential(pad2{}, nn::relu{}, nn::max_pool2d<2>{}, nn::conv2d<16, 5>{}, nn::relu{},
                          nn::max_pool2d<2>{}, nn::flatten{}, nn::dense<120>{}, nn::relu{},
                          nn::dense<84>{}, nn::relu{}, nn::dense<10>{}));
}
}  // namespace fashion_mnist
