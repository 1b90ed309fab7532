// The main job: train on Fashion-MNIST from Debian's dataset-fashion-mnist package with Adam
// (lr 1e-3, batch 64), the recipe of PyTorch's tutorial, and one of two models:
//   mlp    784-128-10 with ReLU (the default; 5 epochs)
//   lenet  LeNet-5: conv 6@5x5 (padding 2), pool, conv 16@5x5, pool, dense 120, 84, 10, ReLU
// Prints the model summary, a progress bar (plain lines when not on a terminal), per-epoch loss,
// accuracy and time, and saves a training checkpoint (parameters under torch.nn.Sequential's
// state_dict names, Adam's state, the epoch) as safetensors after every epoch.
//
//   usage: fashion_mnist [--model mlp|lenet] [--epochs N] [--limit N] [--out PATH] [--data DIR]
//                        [--seed S] [--resume PATH]
//          --limit N trains on the first N training and N/6 test examples (CI runs a subset).
//          --resume PATH continues the run saved in PATH (same model and seed).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "run.hpp"

namespace fashion_mnist {
namespace {
options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](char const* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--model"))
      o.model = argv[++i];
    else if (arg("--epochs"))
      o.epochs = std::atoi(argv[++i]);
    else if (arg("--limit"))
      o.limit = std::atol(argv[++i]);
    else if (arg("--out"))
      o.out = argv[++i];
    else if (arg("--data"))
      o.data = argv[++i];
    else if (arg("--resume"))
      o.resume = argv[++i];
    else if (arg("--seed"))
      o.seed = std::strtoul(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "fashion_mnist: unknown or incomplete argument '%s'\n", argv[i]);
      std::exit(2);
    }
  }
  if (o.model != "mlp" && o.model != "lenet") {
    std::fprintf(stderr, "fashion_mnist: --model must be mlp or lenet, found '%s'\n",
                 o.model.c_str());
    std::exit(2);
  }
  if (o.out.empty()) o.out = "fashion_mnist_" + o.model + ".safetensors";
  return o;
}

}  // namespace
}  // namespace fashion_mnist

int main(int argc, char** argv) try {
  auto const opt = fashion_mnist::parse(argc, argv);
  if (opt.model == "mlp")
    fashion_mnist::run_mlp(opt);
  else
    fashion_mnist::run_lenet(opt);
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
