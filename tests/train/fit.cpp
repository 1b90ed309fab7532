// fit, evaluate, callbacks and training checkpoints: a small classification problem is learnt,
// a run broken by a checkpoint continues bitwise as the unbroken one, early stopping stops, the
// CSV log has one row per epoch, and a checkpoint of another model is refused with every reason.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/scratch.hpp"
#include "support/blobs.hpp"
#include "support/check.hpp"

#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using Sample = mg::shape<2>;
using In = mg::shape<mg::dyn, 2>;

namespace {
using mgt::blobs;
auto mlp() { return nn::sequential(nn::dense<16>{}, nn::tanh{}, nn::dense<3>{}); }
}  // namespace

TEST_CASE("fit learns a 3-class problem and reports every epoch") {
  auto tr = blobs(600, 1), te = blobs(200, 2);
  auto model = mlp();
  auto params = model.init<In>(mg::rng{3});
  double before = train::evaluate(model, params, te).accuracy;
  mg::optim::adam adam{.lr = 1e-2f};
  std::FILE* sink = std::tmpfile();
  auto history =
      train::fit(model, params, adam, tr, &te, {.epochs = 5, .batch_size = 32, .out = sink});
  REQUIRE(history.size() == 5);
  CHECK(history.back().epoch == 5);
  CHECK(history.back().has_validation);
  CHECK(history.back().val_accuracy > 0.97);
  CHECK(before < 0.9);
  CHECK(history.back().train_loss < history.front().train_loss);
  auto again = train::evaluate(model, params, te);
  CHECK(again.accuracy == doctest::Approx(history.back().val_accuracy));
  // With a validation set the training accuracy costs a pass more: measured only when asked.
  CHECK(history.back().train_accuracy == 0);
  // Plain lines when the output is not a terminal: one per epoch.
  std::rewind(sink);
  int lines = 0;
  for (int c; (c = std::fgetc(sink)) != EOF;) lines += c == '\n';
  std::fclose(sink);
  CHECK(lines == 5);
}

TEST_CASE("progress::bar redraws a bar with '\\r' on any stream, then prints the epoch's line") {
  auto tr = blobs(320, 1), te = blobs(100, 2);
  auto model = mlp();
  auto params = model.init<In>(mg::rng{3});
  mg::optim::adam adam{.lr = 1e-2f};
  std::FILE* sink = std::tmpfile();  // not a terminal: automatic would print plain lines
  auto history = train::fit(model, params, adam, tr, &te,
                            {.epochs = 2,
                             .batch_size = 32,
                             .show = train::progress::bar,
                             .train_accuracy = true,
                             .out = sink});
  // Asked for, the training accuracy is the final parameters' on tr, validation or not.
  CHECK(history.front().train_accuracy > 0);
  CHECK(history.back().train_accuracy == train::evaluate(model, params, tr).accuracy);
  std::rewind(sink);
  std::string out;
  for (int c; (c = std::fgetc(sink)) != EOF;) out.push_back(static_cast<char>(c));
  std::fclose(sink);
  // 10 batches per epoch, each redrawn (fewer than 50), then the bar is erased ("\r\033[K").
  std::size_t redraws = 0;
  for (char c : out) redraws += c == '\r';
  CHECK(redraws == 2 * (10 + 1));
  CHECK(out.rfind("\repoch 1 [", 0) == 0);
  CHECK(out.find("\repoch 1 [############             ]  50%  loss ") != std::string::npos);
  CHECK(out.find("\repoch 2 [#########################] 100%  loss ") != std::string::npos);
  // The epoch's line replaces the bar; the last line is the last epoch's figures.
  auto const last = out.rfind("\r\033[K");
  REQUIRE(last != std::string::npos);
  char expected[128];
  std::snprintf(
      expected, sizeof expected,
      "epoch 2  train loss %.4f  train accuracy %.2f%%  val loss %.4f  val accuracy %.2f%%",
      history[1].train_loss, 100 * history[1].train_accuracy, history[1].val_loss,
      100 * history[1].val_accuracy);
  CHECK(out.substr(last + 4).rfind(expected, 0) == 0);
  CHECK(out.back() == '\n');
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);
}

TEST_CASE("a run resumed from a checkpoint ends bitwise where the unbroken run ends") {
  mgt::scratch_dir dir("train_resume");
  auto tr = blobs(300, 4);
  auto model = mlp();
  train::fit_options o{
      .epochs = 3, .batch_size = 64, .seed = mg::rng{9}, .show = train::progress::none};

  auto whole = model.init<In>(mg::rng{5});
  mg::optim::adam a1{.lr = 1e-2f};
  train::fit(model, whole, a1, tr, nullptr, o);

  auto part = model.init<In>(mg::rng{5});
  mg::optim::adam a2{.lr = 1e-2f};
  auto o1 = o;
  o1.epochs = 1;
  train::fit(model, part, a2, tr, nullptr, o1);
  train::save_checkpoint(dir / "run.safetensors", model, part, a2, 1);

  auto resumed = model.init<In>(mg::rng{77});  // different values, overwritten by the load
  mg::optim::adam a3{.lr = 1e-2f};
  int epoch = train::load_checkpoint(dir / "run.safetensors", model, resumed, a3);
  CHECK(epoch == 1);
  CHECK(a3.state.step == a2.state.step);
  auto o2 = o;
  o2.epochs = 2, o2.first_epoch = epoch + 1;
  train::fit(model, resumed, a3, tr, nullptr, o2);

  std::vector<float> w, r;
  decltype(model)::for_each_named(
      whole, [&](std::string, auto const& t) { w.insert(w.end(), t.begin(), t.end()); });
  decltype(model)::for_each_named(
      resumed, [&](std::string, auto const& t) { r.insert(r.end(), t.begin(), t.end()); });
  REQUIRE(w.size() == r.size());
  CHECK(std::memcmp(w.data(), r.data(), w.size() * sizeof(float)) == 0);
  // And the optimizer state too.
  CHECK(a3.state.step == a1.state.step);
}

TEST_CASE("a checkpoint of another model is refused, naming every mismatch, changing nothing") {
  mgt::scratch_dir dir("train_mismatch");
  auto model = mlp();
  auto params = model.init<In>(mg::rng{1});
  mg::optim::sgd sgd{.lr = 0.1f, .momentum = 0.9f};
  train::save_checkpoint(dir / "a.safetensors", model, params, sgd, 4);

  auto wider = nn::sequential(nn::dense<32>{}, nn::tanh{}, nn::dense<3>{});
  auto other = wider.init<In>(mg::rng{2});
  auto keep = std::get<0>(std::get<0>(other))(0, 0);
  mg::optim::sgd sgd2{.lr = 0.1f, .momentum = 0.9f};
  try {
    train::load_checkpoint(dir / "a.safetensors", wider, other, sgd2);
    FAIL("the load should throw");
  } catch (mg::io::load_error const& e) {
    std::string msg = e.what();
    CHECK(msg.find("0.weight: expected [32, 2], found [16, 2]") != std::string::npos);
    CHECK(msg.find("2.weight: expected [3, 32], found [3, 16]") != std::string::npos);
    CHECK(msg.find("optimizer.momentum_buffer.0: expected [32, 2], found [16, 2]") !=
          std::string::npos);
  }
  CHECK(std::get<0>(std::get<0>(other))(0, 0) == keep);
  // A file without an epoch is not a training checkpoint.
  mg::io::save(dir / "plain.safetensors", {mg::io::named("w", std::get<0>(std::get<0>(params)))});
  CHECK_THROWS_WITH_AS(train::load_checkpoint(dir / "plain.safetensors", model, params, sgd),
                       doctest::Contains("expected an \"epoch\" entry"), mg::io::format_error);
}

TEST_CASE("early stopping stops after `patience` epochs without improvement; csv_logger logs") {
  mgt::scratch_dir dir("train_callbacks");
  auto tr = blobs(128, 6);
  auto model = mlp();
  auto params = model.init<In>(mg::rng{1});
  mg::optim::sgd frozen{.lr = 0.0f};  // the loss never changes, so it never improves
  // min_delta: the epoch mean of a constant loss still wobbles in the last bits with the batch
  // order.
  train::early_stopping stop{.patience = 2, .min_delta = 1e-6};
  train::csv_logger log{(dir / "log.csv").string()};
  auto history = train::fit(model, params, frozen, tr, nullptr,
                            {.epochs = 10, .show = train::progress::none}, stop, log);
  CHECK(history.size() == 3);  // epoch 1 sets the best; 2 and 3 do not improve
  CHECK(stop.best_epoch == 1);
  CHECK(stop.stopped_epoch == 3);
  std::ifstream f(dir / "log.csv");
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(f, line)) rows.push_back(line);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds");
  CHECK(rows[3].rfind("3,", 0) == 0);
}

TEST_CASE("checkpointer saves the best epoch's parameters") {
  mgt::scratch_dir dir("train_checkpointer");
  auto tr = blobs(256, 8);
  auto model = mlp();
  auto params = model.init<In>(mg::rng{1});
  mg::optim::adam adam{.lr = 1e-2f};
  train::checkpointer best(dir / "best.safetensors", model, adam, /*best_only=*/true);
  train::fit(model, params, adam, tr, nullptr, {.epochs = 2, .show = train::progress::none}, best);
  auto loaded = model.init<In>(mg::rng{2});
  mg::optim::adam fresh{.lr = 1e-2f};
  CHECK(train::load_checkpoint(dir / "best.safetensors", model, loaded, fresh) == 2);
  CHECK(std::get<0>(std::get<2>(loaded))(1, 3) == std::get<0>(std::get<2>(params))(1, 3));
}
