// The main job: an MLP 784-128-10 (ReLU) trained on Fashion-MNIST with Adam (lr 1e-3, batch 64),
// the recipe PyTorch's tutorial uses, from Debian's dataset-fashion-mnist package. Prints the
// model summary, per-epoch loss, accuracy and time, and saves the parameters as safetensors
// (names as torch.nn.Sequential's state_dict: 0.weight, 0.bias, 2.weight, 2.bias).
//
//   usage: fashion_mnist [--epochs N] [--limit N] [--out PATH] [--data DIR] [--seed S]
//          --limit N trains on the first N training and N/6 test examples (CI runs a subset).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <metagrad/data/data.hpp>
#include <metagrad/io/checkpoint.hpp>
#include <metagrad/metagrad.hpp>
#include <metagrad/optim/optim.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

namespace {
struct options {
  int epochs = 5;
  mg::index_t limit = -1;
  std::string out = "fashion_mnist_mlp.safetensors";
  std::string data = mg::data::fashion_mnist_dir;
  unsigned long seed = 0;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](char const* name) { return std::strcmp(argv[i], name) == 0 && i + 1 < argc; };
    if (arg("--epochs"))
      o.epochs = std::atoi(argv[++i]);
    else if (arg("--limit"))
      o.limit = std::atol(argv[++i]);
    else if (arg("--out"))
      o.out = argv[++i];
    else if (arg("--data"))
      o.data = argv[++i];
    else if (arg("--seed"))
      o.seed = std::strtoul(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "fashion_mnist: unknown argument '%s'\n", argv[i]);
      std::exit(2);
    }
  }
  return o;
}

/// A progress line, redrawn in place on a terminal, printed every 25% otherwise.
void progress(int epoch, mg::index_t done, mg::index_t total, double loss) {
  static bool const tty = isatty(fileno(stdout));
  int pct = static_cast<int>(100 * done / total);
  if (tty) {
    int bar = pct / 4;
    std::printf("\repoch %d [%.*s%*s] %3d%%  loss %.4f", epoch, bar, "#########################",
                25 - bar, "", pct, loss);
    std::fflush(stdout);
  }
}

template <class Model, class Params, class Data>
std::pair<double, double> evaluate(Model const& model, Params const& params, Data const& ds) {
  double loss_sum = 0;
  mg::index_t correct = 0;
  for (auto [x, y] : mg::data::batch_loader(ds, {.batch_size = 1000})) {
    auto logits = mg::eval(model(params, x));  // (B,784) => (B,10)
    loss_sum +=
        static_cast<double>(mg::eval(nn::cross_entropy<nn::reduction::sum>(logits, y)).item());
    for (mg::index_t i = 0; i < logits.shape()[0]; ++i) {
      mg::index_t best = 0;
      for (mg::index_t c = 1; c < 10; ++c)
        if (logits(i, c) > logits(i, best)) best = c;
      correct += best == y.data()[i];
    }
  }
  auto n = static_cast<double>(ds.size());
  return {loss_sum / n, static_cast<double>(correct) / n};
}
}  // namespace

int main(int argc, char** argv) try {
  options const opt = parse(argc, argv);
  namespace data = mg::data;
  auto train = data::fashion_mnist(data::split::train, opt.data, opt.limit);
  auto test = data::fashion_mnist(data::split::test, opt.data, opt.limit < 0 ? -1 : opt.limit / 6);
  std::printf("Fashion-MNIST: %ld training and %ld test images of 28x28\n",
              static_cast<long>(train.size()), static_cast<long>(test.size()));

  using In = mg::shape<mg::dyn, 784>;
  auto model = nn::sequential(nn::dense<128>{}, nn::relu{}, nn::dense<10>{});
  auto params = model.init<In>(mg::rng{opt.seed});
  std::printf("%s", decltype(model)::summary<In>().c_str());

  mg::optim::adam adam{.lr = 1e-3f};
  data::batch_loader loader(train, {.batch_size = 64, .shuffle = true}, mg::rng{opt.seed + 1});
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    mg::index_t seen = 0;
    for (auto [x, y] : loader) {
      auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
      auto [value, grads] = mg::value_and_grad(loss)(params);
      adam.step(params, grads);
      loss_sum += static_cast<double>(value.item()) * static_cast<double>(y.shape()[0]);
      seen += y.shape()[0];
      if (seen % (64 * 50) == 0 || seen == train.size())
        progress(epoch, seen, train.size(), loss_sum / static_cast<double>(seen));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto [test_loss, test_acc] = evaluate(model, params, test);
    if (isatty(fileno(stdout))) std::printf("\r\033[K");
    std::printf("epoch %d  train loss %.4f  test loss %.4f  test accuracy %.2f%%  (%.2f s)\n",
                epoch, loss_sum / static_cast<double>(seen), test_loss, 100 * test_acc, secs);
  }

  std::vector<mg::io::entry> entries;
  decltype(model)::for_each_named(params, [&](std::string name, auto const& t) {
    entries.push_back(mg::io::named(std::move(name), t));
  });
  mg::io::save_safetensors(opt.out, entries, {{"model", "mlp 784-128-10"}});
  std::printf("saved %s\n", opt.out.c_str());
  return 0;
} catch (std::exception const& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
