// Learning-rate schedules against torch.optim.lr_scheduler's values, and gradient clipping
// against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (tests/optim/reference.hpp).
#include <span>

#include "optim/reference.hpp"
#include "support/check.hpp"

#include <metagrad/optim/optim.hpp>

namespace mg = metagrad;
namespace o = mg::optim;
namespace r = ref::optim;

namespace {
template <class S, std::size_t N>
void check_schedule(S const& s, double const (&want)[N], char const* name) {
  for (std::size_t t = 0; t < N; ++t) {
    INFO(name << " step " << t);
    CHECK(s(static_cast<std::int64_t>(t)) == doctest::Approx(want[t]).epsilon(1e-12));
  }
}
}  // namespace

TEST_CASE("schedules match torch.optim.lr_scheduler") {
  namespace s = r::schedules;
  check_schedule(o::step_lr{.base = 0.1, .step_size = 3, .gamma = 0.5}, s::step_lr, "step_lr");
  check_schedule(o::exponential_lr{.base = 0.1, .gamma = 0.9}, s::exponential_lr, "exponential");
  check_schedule(o::cosine_annealing{.base = 0.1, .t_max = 10, .eta_min = 0.001},
                 s::cosine_annealing, "cosine");
  check_schedule(o::linear_warmup{5, 0.1, o::cosine_annealing{.base = 0.1, .t_max = 10}},
                 s::warmup_cosine, "warmup then cosine");
  CHECK_THROWS_AS((o::step_lr{.base = 0.1, .step_size = 0}(1)), std::invalid_argument);
}

TEST_CASE("clip_grad_norm and clip_grad_value match torch.nn.utils") {
  namespace c = r::clip;
  auto grads = [](float k) {
    std::tuple<mg::tensor<float, mg::shape<3, 4>>, mg::tensor<float, mg::shape<4>>> g{
        mg::tensor<float, mg::shape<3, 4>>(std::span<float const>(r::grad_w, 12)),
        mg::tensor<float, mg::shape<4>>(std::span<float const>(r::grad_b, 4))};
    mg::eval_into(std::get<0>(g), std::get<0>(g) * k);
    mg::eval_into(std::get<1>(g), std::get<1>(g) * k);
    return g;
  };
  auto g = grads(3);
  CHECK(o::clip_grad_norm(g, c::max_norm_small) == doctest::Approx(c::norm_small).epsilon(1e-6));
  mgt::check_close(std::get<0>(g), c::w_small, 12, 1e-6, 1e-7, "clipped w");
  mgt::check_close(std::get<1>(g), c::b_small, 4, 1e-6, 1e-7, "clipped b");
  auto h = grads(3);
  CHECK(o::clip_grad_norm(h, c::max_norm_large) == doctest::Approx(c::norm_large).epsilon(1e-6));
  mgt::check_close(std::get<0>(h), c::w_large, 12, 1e-6, 1e-7, "unclipped w");
  auto v = grads(1);
  o::clip_grad_value(v, 0.5);
  mgt::check_close(std::get<0>(v), c::w_value, 12, 0, 0, "value-clipped w");
  mgt::check_close(std::get<1>(v), c::b_value, 4, 0, 0, "value-clipped b");
}
