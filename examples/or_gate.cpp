// The OR gate from the classic PyTorch-vs-TensorFlow comparison, in metagrad: a 2-2-1 network of
// sigmoid units, trained by gradient descent on the first three rows of the truth table, then
// asked about the fourth row, (1, 1), which it has never seen.
//
//   usage: or_gate [steps]     (default 10000)
#include <cstdio>
#include <cstdlib>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

int main(int argc, char** argv) {
  int const steps = argc > 1 ? std::atoi(argv[1]) : 10'000;

  // The truth table's first three rows: (0,0) -> 0, (0,1) -> 1, (1,0) -> 1.
  mg::tensor<float, mg::shape<3, 2>> const x{{0, 0}, {0, 1}, {1, 0}};
  mg::tensor<float, mg::shape<3, 1>> const y{{0}, {1}, {1}};

  // Parameters, with small fixed starting values so every run prints the same numbers.
  mg::tensor<float, mg::shape<2, 2>> w1{{0.15f, -0.25f}, {0.20f, 0.30f}};
  mg::tensor<float, mg::shape<2>> b1{0.0f, 0.0f};
  mg::tensor<float, mg::shape<2, 1>> w2{{0.25f}, {-0.20f}};
  mg::tensor<float, mg::shape<1>> b2{0.0f};

  auto model = [](auto const& in, auto const& w1, auto const& b1, auto const& w2, auto const& b2) {
    auto h = mg::sigmoid(mg::matmul(in, w1) + b1);  // (3,2) x (2,2) => (3,2)
    return mg::sigmoid(mg::matmul(h, w2) + b2);     // (3,2) x (2,1) => (3,1)
  };
  auto loss = [&](auto const& w1, auto const& b1, auto const& w2, auto const& b2) {
    return mg::mean(mg::square(model(x, w1, b1, w2, b2) - y));
  };

  float const lr = 2.0f;
  for (int step = 0; step <= steps; ++step) {
    auto [value, g] = mg::value_and_grad<0, 1, 2, 3>(loss)(w1, b1, w2, b2);
    if (step % (steps / 5 > 0 ? steps / 5 : 1) == 0)
      std::printf("step %6d  loss %.6f\n", step, static_cast<double>(value.item()));
    mg::eval_into(w1, w1 - lr * std::get<0>(g));
    mg::eval_into(b1, b1 - lr * std::get<1>(g));
    mg::eval_into(w2, w2 - lr * std::get<2>(g));
    mg::eval_into(b2, b2 - lr * std::get<3>(g));
  }

  mg::tensor<float, mg::shape<1, 2>> const unseen{{1, 1}};
  float p = mg::eval(model(unseen, w1, b1, w2, b2)).item();
  std::printf("OR(1, 1) = %.4f -> %s\n", static_cast<double>(p), p > 0.5f ? "true" : "false");
  return p > 0.5f ? 0 : 1;
}
