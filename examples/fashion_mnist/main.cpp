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
#include <string>

#include <metagrad/data/data.hpp>  // needs zlib
#include <metagrad/metagrad.hpp>
#include <metagrad/train/train.hpp>  // checkpoints need nlohmann_json

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;

namespace {
struct options {
  std::string model = "mlp";
  int epochs = 5;
  mg::index_t limit = -1;
  std::string out;
  std::string data = mg::data::fashion_mnist_dir;
  std::string resume;
  unsigned long seed = 0;
};

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

/// Loads the data in the model's input layout, trains, and saves checkpoints.
template <class Sample, class Model>
void run(options const& opt, Model const& model) {
  namespace data = mg::data;
  auto tr = data::fashion_mnist<float, Sample>(data::split::train, opt.data, opt.limit);
  auto te = data::fashion_mnist<float, Sample>(data::split::test, opt.data,
                                               opt.limit < 0 ? -1 : opt.limit / 6);
  std::printf("Fashion-MNIST: %ld training and %ld test images of 28x28\n",
              static_cast<long>(tr.size()), static_cast<long>(te.size()));
  using In = data::batched_t<Sample>;
  std::printf("%s", Model::template summary<In>().c_str());

  auto params = model.template init<In>(mg::rng{opt.seed});
  mg::optim::adam adam{.lr = 1e-3f};
  int done = 0;
  if (!opt.resume.empty()) {
    done = train::load_checkpoint(opt.resume, model, params, adam);
    std::printf("resumed from %s after epoch %d\n", opt.resume.c_str(), done);
  }
  train::checkpointer save(opt.out, model, adam);
  train::fit(model, params, adam, tr, &te,
             {.epochs = opt.epochs - done,
              .batch_size = 64,
              .seed = mg::rng{opt.seed + 1},
              .first_epoch = done + 1},
             save);
  std::printf("saved %s\n", opt.out.c_str());
}
}  // namespace

int main(int argc, char** argv) try {
  options const opt = parse(argc, argv);
  if (opt.model == "mlp") {
    run<mg::shape<784>>(opt, nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{}));
  } else {
    using pad2 = nn::conv2d<6, 5, mg::conv2d_params{.padding = 2}>;
    run<mg::shape<1, 28, 28>>(
        opt, nn::sequential(pad2{}, nn::relu{}, nn::max_pool2d<2>{}, nn::conv2d<16, 5>{},
                            nn::relu{}, nn::max_pool2d<2>{}, nn::flatten{}, nn::dense<120>{},
                            nn::relu{}, nn::dense<84>{}, nn::relu{}, nn::dense<10>{}));
  }
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
