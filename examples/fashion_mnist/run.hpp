// The Fashion-MNIST example's shared part: its options and the training run every model's TU
// instantiates (main.cpp parses and dispatches; mlp.cpp and lenet.cpp each build one model, so
// each model compiles in a TU of its own, in parallel).
#pragma once
#include <cstdio>
#include <string>

#include <metagrad/data/data.hpp>  // needs zlib
#include <metagrad/metagrad.hpp>
#include <metagrad/train/train.hpp>

namespace fashion_mnist {

namespace mg = metagrad;
namespace train = metagrad::train;

struct options {
  std::string model = "mlp";
  int epochs = 5;
  mg::index_t limit = -1;
  std::string out;
  std::string data = mg::data::fashion_mnist_dir;
  std::string resume;
  unsigned long seed = 0;
};

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
/// The two models' runs (mlp.cpp, lenet.cpp).
void run_mlp(options const& opt);
void run_lenet(options const& opt);

}  // namespace fashion_mnist
