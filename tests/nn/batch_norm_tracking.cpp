// batch_norm's num_batches_tracked and momentum = nullopt (PyTorch's momentum=None, a cumulative
// moving average) against torch.nn.BatchNorm1d(momentum=None) (tests/reference/modes.hpp), and
// a PyTorch state_dict (tests/nn/data/batch_norm_cumulative.safetensors, the same layer after two
// of its three steps) loaded by the state's names, its int64 num_batches_tracked included.
#include <filesystem>
#include <metagrad/io/checkpoint.hpp>

#include "reference/modes.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace r = ref::batch_norm_cumulative;

namespace {
using XS = mgt::shape_of<r::x1_shape>;
using CS = mg::shape<XS::dims[1]>;
constexpr auto n = XS::static_size, c = CS::static_size;

template <class S>
mg::tensor<double, S> load(double const* p) {
  mg::tensor<double, S> t;
  std::copy_n(p, t.size(), t.data());
  return t;
}
std::filesystem::path const data = std::filesystem::path(__FILE__).parent_path() / "data";
}  // namespace

TEST_CASE("batch_norm: num_batches_tracked counts batches; momentum nullopt averages them") {
  static_assert(std::is_same_v<std::tuple_element_t<2, nn::batch_norm::state<double, XS>>,
                               mg::tensor<std::int64_t, mg::shape<>>>);
  nn::batch_norm bn{.momentum = std::nullopt};
  auto x1 = load<XS>(r::x1), x2 = load<XS>(r::x2), x3 = load<XS>(r::x3);
  auto w = load<CS>(r::weight), b = load<CS>(r::bias);
  auto p = std::forward_as_tuple(w, b);
  auto state = bn.init_state<double, XS>();
  CHECK(std::get<2>(state).data()[0] == 0);
  bn.update_state(p, x1, state);
  CHECK(std::get<2>(state).data()[0] == 1);
  // The first batch has weight 1/1: the running statistics are that batch's, the initial ones
  // are forgotten (with momentum 0.1 the running mean would be a tenth of the batch's).
  auto m1 = mg::eval(mg::mean<0>(mg::as_expr(x1)));
  for (mg::index_t i = 0; i < c; ++i)
    CHECK(std::get<0>(state).data()[i] == doctest::Approx(m1.data()[i]).epsilon(1e-12));
  bn.update_state(p, x2, state);
  bn.update_state(p, x3, state);
  CHECK(std::get<2>(state).data()[0] == r::num_batches_tracked[0]);
  mgt::check_close(std::get<0>(state), r::running_mean, c, 1e-12, 1e-14, "running_mean");
  mgt::check_close(std::get<1>(state), r::running_var, c, 1e-12, 1e-14, "running_var");
  auto y_eval = mg::eval(bn(p, mg::as_expr(x1), nn::inference(state)));
  mgt::check_close(y_eval, r::y_eval, n, 1e-12, 1e-14, "eval output");
}

TEST_CASE(
    "batch_norm: a PyTorch state_dict loads, num_batches_tracked as I64, and training resumes") {
  auto model = nn::sequential(nn::batch_norm{.momentum = std::nullopt});
  using M = decltype(model);
  auto params = model.init<XS, double>(mg::rng{0});
  auto state = model.init_state<XS, double>();
  std::vector<mg::io::tensor_ref> refs;
  auto add = [&](std::string const& name, auto& t) { refs.push_back(mg::io::named(name, t)); };
  M::for_each_named(params, add);
  M::for_each_state_named(state, add);
  REQUIRE(refs.size() == 5);
  CHECK(refs[4].name == "0.num_batches_tracked");
  CHECK(refs[4].type == mg::io::dtype::i64);
  CHECK(refs[4].pattern.empty());  // a scalar, as PyTorch's
  auto file = data / "batch_norm_cumulative.safetensors";
  mg::io::load(mg::io::safetensors_file::open(file), std::span(refs), {}, file.string());
  auto const& bn_params = std::get<0>(params);
  auto& bn_state = std::get<0>(state);
  mgt::check_close(std::get<0>(bn_params), r::weight, c, 0, 0, "weight");
  CHECK(std::get<2>(bn_state).data()[0] == 2);
  // The third step from the loaded state weighs its batch 1/3, as PyTorch's did.
  auto x3 = load<XS>(r::x3);
  model.update_state(params, x3, state, mg::rng{0});
  CHECK(std::get<2>(bn_state).data()[0] == 3);
  mgt::check_close(std::get<0>(bn_state), r::running_mean, c, 1e-12, 1e-14, "running_mean");
  mgt::check_close(std::get<1>(bn_state), r::running_var, c, 1e-12, 1e-14, "running_var");

  // Saved and loaded back: the count round-trips.
  auto path = std::filesystem::temp_directory_path() / "metagrad_bn_tracking.safetensors";
  std::vector<mg::io::entry> entries;
  M::for_each_state_named(state, [&](std::string const& name, auto const& t) {
    entries.push_back(mg::io::named(name, t));
  });
  mg::io::save_safetensors(path, entries, {});
  auto fresh = model.init_state<XS, double>();
  std::vector<mg::io::tensor_ref> back;
  M::for_each_state_named(
      fresh, [&](std::string const& name, auto& t) { back.push_back(mg::io::named(name, t)); });
  mg::io::load(mg::io::safetensors_file::open(path), std::span(back), {}, path.string());
  CHECK(std::get<2>(std::get<0>(fresh)).data()[0] == 3);
  std::filesystem::remove(path);
}
