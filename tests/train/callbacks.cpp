// Callbacks that take the model's state: fit hands a callback cb(stats, params, state) the state
// it updates (std::tuple<> for a model without), and the checkpointer saves a batch-norm model's
// running statistics with its parameters, so a run resumed from its file continues bitwise.
#include <cstring>

#include "io/scratch.hpp"
#include "support/blobs.hpp"
#include "support/check.hpp"

#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;
using In = mg::shape<mg::dyn, 2>;

namespace {
auto model_with_state() {
  return nn::sequential(nn::batch_norm{}, nn::dense<16>{}, nn::relu{}, nn::dropout{0.2},
                        nn::dense<3>{});
}
/// Every tensor of a parameter tree (for_each_named) or a state (for_each_state_named), flat.
template <class M, class T>
std::vector<float> flat_params(T const& tree) {
  std::vector<float> v;
  M::for_each_named(tree,
                    [&](std::string, auto const& t) { v.insert(v.end(), t.begin(), t.end()); });
  return v;
}
template <class M, class T>
std::vector<float> flat_state(T const& state) {
  std::vector<float> v;
  M::for_each_state_named(state, [&](std::string, auto const& t) {
    for (auto x : t) v.push_back(static_cast<float>(x));
  });
  return v;
}
bool bitwise_equal(std::vector<float> const& a, std::vector<float> const& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

TEST_CASE("fit hands the model's state to a callback that takes it") {
  auto tr = mgt::blobs(128, 3, 4, 5, -3);
  auto model = model_with_state();
  auto params = model.init<In>(mg::rng{1});
  auto state = model.init_state<In>();
  mg::optim::adam adam{.lr = 1e-2f};
  int calls = 0;
  auto watch = [&](train::epoch_stats const&, auto const&, auto const& s) {
    CHECK(&s == &state);
    return ++calls < 2;
  };
  auto history =
      train::fit(model, params, state, adam, tr, nullptr, {.show = train::progress::none}, watch);
  CHECK(calls == 1);
  CHECK(history.size() == 1);
  // Without state, the callback gets an empty tuple; a two-argument callback is called as before.
  auto plain = nn::sequential(nn::dense<8>{}, nn::tanh{}, nn::dense<3>{});
  auto plain_params = plain.init<In>(mg::rng{2});
  bool empty_state = false, two_args = false;
  auto with_state = [&](train::epoch_stats const&, auto const&, auto const& s) {
    empty_state = std::is_same_v<std::remove_cvref_t<decltype(s)>, std::tuple<>>;
    return true;
  };
  auto without = [&](train::epoch_stats const&, auto const&) { return two_args = true; };
  mg::optim::sgd sgd{.lr = 0.1f};
  train::fit(plain, plain_params, sgd, tr, nullptr, {.epochs = 2, .show = train::progress::none},
             with_state, without);
  CHECK(empty_state);
  CHECK(two_args);
}

TEST_CASE("checkpointer saves a model's running statistics; a run resumed from it is bitwise") {
  mgt::scratch_dir dir("callbacks_checkpointer_state");
  auto tr = mgt::blobs(256, 4, 4, 5, -3);
  auto model = model_with_state();
  using M = decltype(model);
  train::fit_options o{
      .epochs = 3, .batch_size = 64, .seed = mg::rng{9}, .show = train::progress::none};

  auto whole = model.init<In>(mg::rng{5});
  auto whole_state = model.init_state<In>();
  mg::optim::adam a1{.lr = 1e-2f};
  train::fit(model, whole, whole_state, a1, tr, nullptr, o);

  // Two epochs with a checkpoint after each: the file holds epoch 2.
  auto part = model.init<In>(mg::rng{5});
  auto part_state = model.init_state<In>();
  mg::optim::adam a2{.lr = 1e-2f};
  train::checkpointer save(dir / "run.safetensors", model, a2);
  auto o1 = o;
  o1.epochs = 2;
  train::fit(model, part, part_state, a2, tr, nullptr, o1, save);

  auto loaded = model.init<In>(mg::rng{77});  // other values, overwritten by the load
  auto loaded_state = model.init_state<In>();
  mg::optim::adam a3{.lr = 1e-2f};
  int epoch = train::load_checkpoint(dir / "run.safetensors", model, loaded, loaded_state, a3);
  CHECK(epoch == 2);
  CHECK(a3.state.step == a2.state.step);
  CHECK(bitwise_equal(flat_params<M>(loaded), flat_params<M>(part)));
  auto const saved_stats = flat_state<M>(loaded_state);
  CHECK(bitwise_equal(saved_stats, flat_state<M>(part_state)));
  CHECK(saved_stats != flat_state<M>(model.init_state<In>()));  // the statistics have moved

  auto o2 = o;
  o2.epochs = 1, o2.first_epoch = epoch + 1;
  train::fit(model, loaded, loaded_state, a3, tr, nullptr, o2);
  CHECK(bitwise_equal(flat_params<M>(loaded), flat_params<M>(whole)));
  CHECK(bitwise_equal(flat_state<M>(loaded_state), flat_state<M>(whole_state)));
  CHECK(a3.state.step == a1.state.step);
}

TEST_CASE("a checkpointer called by hand with two arguments saves a stateless model") {
  mgt::scratch_dir dir("callbacks_checkpointer_by_hand");
  auto model = nn::sequential(nn::dense<4>{}, nn::relu{}, nn::dense<3>{});
  using M = decltype(model);
  auto params = model.init<In>(mg::rng{4});
  mg::optim::sgd sgd{.lr = 0.1f};
  train::checkpointer save(dir / "hand.safetensors", model, sgd);
  train::epoch_stats stats;
  stats.epoch = 7;
  CHECK(save(stats, params));
  auto loaded = model.init<In>(mg::rng{8});
  mg::optim::sgd sgd2{.lr = 0.1f};
  CHECK(train::load_checkpoint(dir / "hand.safetensors", model, loaded, sgd2) == 7);
  CHECK(bitwise_equal(flat_params<M>(loaded), flat_params<M>(params)));
}
