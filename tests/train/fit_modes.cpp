// fit with train/eval modes: a model with dropout and batch norm learns, its running statistics
// follow the data, runs with the same seed are bitwise equal (the masks come from the seed), and
// a checkpoint with the model's state resumes bitwise.
#include <cstring>

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
/// Blobs shifted by (5, -3) and scaled by 4: batch norm has something to normalise.
auto shifted_blobs(mg::index_t n, std::uint64_t seed) { return mgt::blobs(n, seed, 4, 5, -3); }
auto model_with_modes() {
  return nn::sequential(nn::batch_norm{}, nn::dense<32>{}, nn::relu{}, nn::dropout{0.2},
                        nn::dense<3>{});
}
template <class M, class T>
std::vector<float> flat(T const& tree) {
  std::vector<float> v;
  M::for_each_named(tree,
                    [&](std::string, auto const& t) { v.insert(v.end(), t.begin(), t.end()); });
  return v;
}
}  // namespace

TEST_CASE("fit trains a model with dropout and batch norm, updating its state") {
  auto tr = shifted_blobs(600, 1), te = shifted_blobs(300, 2);
  auto model = model_with_modes();
  using M = decltype(model);
  auto params = model.init<In>(mg::rng{3});
  auto state = model.init_state<In>();
  mg::optim::adam adam{.lr = 1e-2f};
  auto history = train::fit(model, params, state, adam, tr, &te,
                            {.epochs = 4, .batch_size = 32, .show = train::progress::none});
  REQUIRE(history.size() == 4);
  CHECK(history.back().val_accuracy > 0.97);
  // The running mean of the input's first feature approaches the data's (about 5; momentum 0.1
  // over 76 steps).
  auto const& running_mean = std::get<0>(std::get<0>(state));
  CHECK(running_mean(0) == doctest::Approx(5.0).epsilon(0.1));
  CHECK(running_mean(1) == doctest::Approx(-3.0).epsilon(0.1));
  // Evaluation is in eval mode: deterministic, and equal to what fit reported.
  auto v = train::evaluate(model, params, state, te);
  CHECK(v.accuracy == doctest::Approx(history.back().val_accuracy));
  std::vector<std::string> names;
  M::for_each_state_named(state, [&](std::string n, auto const&) { names.push_back(n); });
  CHECK(names ==
        std::vector<std::string>{"0.running_mean", "0.running_var", "0.num_batches_tracked"});
}

TEST_CASE("a model with dropout and state: same seed, same run; a resumed run ends bitwise equal") {
  mgt::scratch_dir dir("fit_modes_resume");
  auto tr = shifted_blobs(256, 4);
  auto model = model_with_modes();
  using M = decltype(model);
  train::fit_options o{
      .epochs = 3, .batch_size = 64, .seed = mg::rng{9}, .show = train::progress::none};

  auto whole = model.init<In>(mg::rng{5});
  auto whole_state = model.init_state<In>();
  mg::optim::adam a1{.lr = 1e-2f};
  train::fit(model, whole, whole_state, a1, tr, nullptr, o);

  auto twin = model.init<In>(mg::rng{5});
  auto twin_state = model.init_state<In>();
  mg::optim::adam a0{.lr = 1e-2f};
  train::fit(model, twin, twin_state, a0, tr, nullptr, o);
  CHECK(flat<M>(twin) == flat<M>(whole));

  auto other_seed = model.init<In>(mg::rng{5});
  auto other_state = model.init_state<In>();
  mg::optim::adam a4{.lr = 1e-2f};
  auto o_other = o;
  o_other.seed = mg::rng{10};
  train::fit(model, other_seed, other_state, a4, tr, nullptr, o_other);
  CHECK(flat<M>(other_seed) != flat<M>(whole));

  auto part = model.init<In>(mg::rng{5});
  auto part_state = model.init_state<In>();
  mg::optim::adam a2{.lr = 1e-2f};
  auto o1 = o;
  o1.epochs = 1;
  train::fit(model, part, part_state, a2, tr, nullptr, o1);
  train::save_checkpoint(dir / "run.safetensors", model, part, part_state, a2, 1);

  auto resumed = model.init<In>(mg::rng{77});
  auto resumed_state = model.init_state<In>();
  mg::optim::adam a3{.lr = 1e-2f};
  int epoch = train::load_checkpoint(dir / "run.safetensors", model, resumed, resumed_state, a3);
  CHECK(epoch == 1);
  auto o2 = o;
  o2.epochs = 2, o2.first_epoch = epoch + 1;
  train::fit(model, resumed, resumed_state, a3, tr, nullptr, o2);
  auto w = flat<M>(whole), r = flat<M>(resumed);
  REQUIRE(w.size() == r.size());
  CHECK(std::memcmp(w.data(), r.data(), w.size() * sizeof(float)) == 0);
  std::vector<float> ws, rs;
  M::for_each_state_named(
      whole_state, [&](std::string, auto const& t) { ws.insert(ws.end(), t.begin(), t.end()); });
  M::for_each_state_named(
      resumed_state, [&](std::string, auto const& t) { rs.insert(rs.end(), t.begin(), t.end()); });
  CHECK(ws == rs);
}
