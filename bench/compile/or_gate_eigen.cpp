// SPDX-License-Identifier: MIT
// examples/or_gate.cpp written by hand with fixed-size Eigen matrices: the same 2-2-1 sigmoid
// network, MSE loss, lr 2, hand-derived backward pass. bench/compile/run.sh times its compilation
// next to the metagrad version's; it prints the same numbers.
//
//   usage: or_gate_eigen [steps]     (default 10000)
#include <Eigen/Core>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  int const steps = argc > 1 ? std::atoi(argv[1]) : 10'000;

  Eigen::Matrix<float, 3, 2> x;
  Eigen::Matrix<float, 3, 1> y;
  x << 0, 0, 0, 1, 1, 0;
  y << 0, 1, 1;

  Eigen::Matrix<float, 2, 2> w1;
  Eigen::Matrix<float, 1, 2> b1(0.0f, 0.0f);
  Eigen::Matrix<float, 2, 1> w2(0.25f, -0.20f);
  float b2 = 0.0f;
  w1 << 0.15f, -0.25f, 0.20f, 0.30f;

  auto model = [&](auto const& in) {
    Eigen::Matrix<float, Eigen::Dynamic, 2> h =
        ((in * w1).rowwise() + b1).array().logistic().matrix();
    Eigen::Matrix<float, Eigen::Dynamic, 1> p = ((h * w2).array() + b2).logistic().matrix();
    return std::pair{h, p};
  };

  float const lr = 2.0f;
  for (int step = 0; step <= steps; ++step) {
    auto [h, p] = model(x);  // (3,2), (3,1)
    Eigen::Matrix<float, 3, 1> e = p - y;
    float loss = e.squaredNorm() / 3.0f;
    // d loss/dp = 2(p - y)/3;  d sigmoid = y(1 - y)
    Eigen::Matrix<float, 3, 1> dz2 =
        ((2.0f / 3.0f) * e.array() * p.array() * (1.0f - p.array())).matrix();
    Eigen::Matrix<float, 3, 2> dz1 =
        ((dz2 * w2.transpose()).array() * h.array() * (1.0f - h.array())).matrix();
    if (step % (steps / 5 > 0 ? steps / 5 : 1) == 0)
      std::printf("step %6d  loss %.6f\n", step, static_cast<double>(loss));
    w2 -= lr * (h.transpose() * dz2);
    b2 -= lr * dz2.sum();
    w1 -= lr * (x.transpose() * dz1);
    b1 -= lr * dz1.colwise().sum();
  }

  Eigen::Matrix<float, 1, 2> unseen(1.0f, 1.0f);
  float p = model(unseen).second(0);
  std::printf("OR(1, 1) = %.4f -> %s\n", static_cast<double>(p), p > 0.5f ? "true" : "false");
  return p > 0.5f ? 0 : 1;
}
