// Each optimizer and option combination replays the committed gradients of reference.hpp and must
// land on torch.optim's parameters after every step; double parameters, structure checks,
// bitwise-identical resumption from visited state, and a quadratic minimised.
#include <cstring>
#include <map>
#include <span>
#include <vector>

#include "optim/reference.hpp"
#include "support/check.hpp"

#include <metagrad/optim/optim.hpp>

namespace mg = metagrad;
namespace r = ref::optim;
namespace o = mg::optim;

namespace {
template <class T>
using tree = std::tuple<mg::tensor<T, mg::shape<3, 4>>, mg::tensor<T, mg::shape<4>>>;

template <class T>
tree<T> initial() {
  return {mgt::from<mg::shape<3, 4>, T>(r::w0), mgt::from<mg::shape<4>, T>(r::b0)};
}
/// The committed gradients of step s.
template <class T>
tree<T> grads(int s) {
  return {mg::tensor<T, mg::shape<3, 4>>(std::span<float const>(r::grad_w + 12 * s, 12)),
          mg::tensor<T, mg::shape<4>>(std::span<float const>(r::grad_b + 4 * s, 4))};
}

/// Runs opt over r::steps steps with T parameters, checking against torch's after each one.
template <class T, class Opt>
void replay(char const* name, Opt opt, float const* want_w, float const* want_b, double rtol) {
  auto p = initial<T>();
  for (int s = 0; s < r::steps; ++s) {
    opt.step(p, grads<T>(s));
    std::string what = std::string(name) + " step " + std::to_string(s + 1);
    mgt::check_close(std::get<0>(p), want_w + 12 * s, 12, rtol, rtol * 0.1, what + " w");
    mgt::check_close(std::get<1>(p), want_b + 4 * s, 4, rtol, rtol * 0.1, what + " b");
  }
}

/// The same in float (to float rounding) and in double (to the float reference's accuracy).
template <class Opt>
void against_torch(char const* name, Opt const& opt, float const* want_w, float const* want_b) {
  replay<float>(name, opt, want_w, want_b, 1e-6);
  replay<double>(name, opt, want_w, want_b, 2e-6);
}
}  // namespace

TEST_CASE("sgd matches torch.optim.SGD") {
  {
    namespace c = r::sgd_plain;
    against_torch("sgd_plain", o::sgd{.lr = c::lr}, c::w, c::b);
  }
  {
    namespace c = r::sgd_weight_decay;
    against_torch("sgd_weight_decay", o::sgd{.lr = c::lr, .weight_decay = c::weight_decay}, c::w,
                  c::b);
  }
  {
    namespace c = r::sgd_momentum;
    against_torch("sgd_momentum", o::sgd{.lr = c::lr, .momentum = c::momentum}, c::w, c::b);
  }
  {
    namespace c = r::sgd_dampening;
    against_torch("sgd_dampening",
                  o::sgd{.lr = c::lr, .momentum = c::momentum, .dampening = c::dampening}, c::w,
                  c::b);
  }
  {
    namespace c = r::sgd_nesterov;
    against_torch("sgd_nesterov", o::sgd{.lr = c::lr, .momentum = c::momentum, .nesterov = true},
                  c::w, c::b);
  }
  {
    namespace c = r::sgd_nesterov_decay;
    against_torch("sgd_nesterov_decay",
                  o::sgd{.lr = c::lr,
                         .momentum = c::momentum,
                         .weight_decay = c::weight_decay,
                         .nesterov = true},
                  c::w, c::b);
  }
}

TEST_CASE("adam and adamw match torch.optim.Adam and AdamW") {
  {
    namespace c = r::adam_plain;
    against_torch("adam_plain", o::adam{.lr = c::lr}, c::w, c::b);
  }
  {
    namespace c = r::adam_betas;
    against_torch("adam_betas",
                  o::adam{.lr = c::lr, .beta1 = c::beta1, .beta2 = c::beta2, .eps = c::eps}, c::w,
                  c::b);
  }
  {
    namespace c = r::adam_weight_decay;
    against_torch("adam_weight_decay", o::adam{.lr = c::lr, .weight_decay = c::weight_decay}, c::w,
                  c::b);
  }
  {
    namespace c = r::adam_amsgrad;
    against_torch("adam_amsgrad", o::adam{.lr = c::lr, .amsgrad = true}, c::w, c::b);
  }
  {
    namespace c = r::adam_amsgrad_decay;
    against_torch("adam_amsgrad_decay",
                  o::adam{.lr = c::lr, .weight_decay = c::weight_decay, .amsgrad = true}, c::w,
                  c::b);
  }
  {
    namespace c = r::adamw_plain;
    against_torch("adamw_plain", o::adamw{.lr = c::lr}, c::w, c::b);
  }
  {
    namespace c = r::adamw_amsgrad_decay;
    against_torch("adamw_amsgrad_decay",
                  o::adamw{.lr = c::lr, .weight_decay = c::weight_decay, .amsgrad = true}, c::w,
                  c::b);
  }
  // The defaults are PyTorch's.
  o::adam a{};
  o::adamw w{};
  CHECK(a.lr == 1e-3);
  CHECK(a.beta1 == 0.9);
  CHECK(a.beta2 == 0.999);
  CHECK(a.eps == 1e-8);
  CHECK(a.weight_decay == 0);
  CHECK(w.weight_decay == 1e-2);
}

TEST_CASE("rmsprop and adagrad match torch.optim.RMSprop and Adagrad") {
  {
    namespace c = r::rmsprop_plain;
    against_torch("rmsprop_plain", o::rmsprop{.lr = c::lr}, c::w, c::b);
  }
  {
    namespace c = r::rmsprop_centered;
    against_torch("rmsprop_centered", o::rmsprop{.lr = c::lr, .centered = true}, c::w, c::b);
  }
  {
    namespace c = r::rmsprop_momentum;
    against_torch("rmsprop_momentum", o::rmsprop{.lr = c::lr, .momentum = c::momentum}, c::w, c::b);
  }
  {
    namespace c = r::rmsprop_all;
    against_torch("rmsprop_all",
                  o::rmsprop{.lr = c::lr,
                             .alpha = c::alpha,
                             .weight_decay = c::weight_decay,
                             .momentum = c::momentum,
                             .centered = true},
                  c::w, c::b);
  }
  {
    namespace c = r::adagrad_plain;
    against_torch("adagrad_plain", o::adagrad{.lr = c::lr}, c::w, c::b);
  }
  {
    namespace c = r::adagrad_all;
    against_torch("adagrad_all",
                  o::adagrad{.lr = c::lr,
                             .lr_decay = c::lr_decay,
                             .weight_decay = c::weight_decay,
                             .initial_accumulator_value = c::initial_accumulator_value},
                  c::w, c::b);
  }
  o::rmsprop rm{};
  o::adagrad ag{};
  CHECK(rm.lr == 1e-2);
  CHECK(rm.alpha == 0.99);
  CHECK(rm.eps == 1e-8);
  CHECK(ag.lr == 1e-2);
  CHECK(ag.eps == 1e-10);
}

TEST_CASE("a step on a tree other than the state's throws and says why") {
  o::adam opt{};
  auto p = initial<float>();
  opt.step(p, grads<float>(0));
  // Fewer leaves.
  mg::tensor<float, mg::shape<3, 4>> lone = std::get<0>(p);
  CHECK_THROWS_WITH_AS(opt.step(lone, std::get<0>(grads<float>(1))),
                       doctest::Contains("made for 2 parameter leaves, step got 1"),
                       std::invalid_argument);
  // Same structure, other extents (a dyn dimension) or element type.
  using dyn_tree =
      std::tuple<mg::tensor<float, mg::shape<mg::dyn, 4>>, mg::tensor<float, mg::shape<4>>>;
  dyn_tree q{mg::tensor<float, mg::shape<mg::dyn, 4>>(mg::extents<2>{{2, 4}}), {}};
  CHECK_THROWS_WITH_AS(
      opt.step(q, q),
      doctest::Contains("leaf 0 is float [2, 4], the optimizer state was made for float [3, 4]"),
      std::invalid_argument);
  auto pd = initial<double>();
  CHECK_THROWS_WITH_AS(opt.step(pd, grads<double>(1)), doctest::Contains("is double [3, 4]"),
                       std::invalid_argument);
  // Gradients shaped unlike their parameters.
  o::sgd s{.lr = 0.1};
  dyn_tree g{mg::tensor<float, mg::shape<mg::dyn, 4>>(mg::extents<2>{{2, 4}}), {}};
  dyn_tree p3{mg::tensor<float, mg::shape<mg::dyn, 4>>(mg::extents<2>{{3, 4}}), {}};
  CHECK_THROWS_WITH_AS(
      s.step(p3, g), doctest::Contains("gradient leaf 0 has extents [2, 4], its parameter [3, 4]"),
      std::invalid_argument);
  // A failed step changes nothing.
  CHECK(opt.state.step == 1);
  CHECK_THROWS_AS((o::sgd{.lr = 0.1, .nesterov = true}.init(p)), std::invalid_argument);
}

namespace {
/// Trains 3 steps, checkpoints through visit_state into a fresh optimizer, trains 2 more, and
/// compares with 5 uninterrupted steps: exactly equal.
template <class Opt>
void resumes_bitwise(Opt const& proto) {
  auto p = initial<float>();
  Opt a = proto;
  for (int s = 0; s < 3; ++s) a.step(p, grads<float>(s));
  std::map<std::string, std::vector<unsigned char>> saved;
  a.visit_state([&](std::string const& name, auto* data, std::vector<std::int64_t> const& shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    auto& bytes = saved[name];
    bytes.resize(static_cast<std::size_t>(n) * sizeof(*data));
    std::memcpy(bytes.data(), data, bytes.size());
  });
  CHECK(saved.count("step") == 1);
  Opt b = proto;
  b.init(p);
  std::size_t restored = 0;
  b.visit_state([&](std::string const& name, auto* data, std::vector<std::int64_t> const&) {
    auto it = saved.find(name);
    REQUIRE(it != saved.end());
    std::memcpy(data, it->second.data(), it->second.size());
    ++restored;
  });
  CHECK(restored == saved.size());
  CHECK(b.state.step == 3);
  auto q = p;
  for (int s = 3; s < 5; ++s) b.step(q, grads<float>(s));
  Opt whole = proto;
  auto u = initial<float>();
  for (int s = 0; s < 5; ++s) whole.step(u, grads<float>(s));
  CHECK(std::memcmp(std::get<0>(q).data(), std::get<0>(u).data(), 12 * sizeof(float)) == 0);
  CHECK(std::memcmp(std::get<1>(q).data(), std::get<1>(u).data(), 4 * sizeof(float)) == 0);
}
}  // namespace

TEST_CASE("training resumed from visited state continues bitwise-identically") {
  resumes_bitwise(o::sgd{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  resumes_bitwise(o::adam{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
  resumes_bitwise(o::adamw{.lr = 0.01});
  resumes_bitwise(o::rmsprop{.lr = 0.01, .momentum = 0.9, .centered = true});
  resumes_bitwise(o::adagrad{.lr = 0.1, .lr_decay = 0.1, .initial_accumulator_value = 0.5});
  // The names, by leaf index.
  o::adam a{.amsgrad = true};
  a.init(initial<float>());
  std::vector<std::string> names;
  a.visit_state([&](std::string const& n, auto*, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"step", "exp_avg.0", "exp_avg.1", "exp_avg_sq.0",
                                          "exp_avg_sq.1", "max_exp_avg_sq.0", "max_exp_avg_sq.1"});
}

TEST_CASE("each optimizer minimises a quadratic") {
  // f(x) = sum((x - c)^2) / 2 over a tree; its gradient is x - c.
  auto run = [](auto opt, int steps) {
    std::tuple<mg::tensor<double, mg::shape<3>>, std::tuple<mg::tensor<float, mg::shape<2, 2>>>> x,
        g;
    mg::tensor<double, mg::shape<3>> c3{1.0, -2.0, 3.0};
    mg::tensor<float, mg::shape<2, 2>> c4{{0.5f, -1.0f}, {2.0f, 0.25f}};
    for (int s = 0; s < steps; ++s) {
      mg::eval_into(std::get<0>(g), std::get<0>(x) - c3);
      mg::eval_into(std::get<0>(std::get<1>(g)), std::get<0>(std::get<1>(x)) - c4);
      opt.step(x, g);
    }
    double err = 0;
    for (int i = 0; i < 3; ++i)
      err = std::max(err, std::fabs(std::get<0>(x).data()[i] - c3.data()[i]));
    for (int i = 0; i < 4; ++i)
      err = std::max(err, std::fabs(double(std::get<0>(std::get<1>(x)).data()[i] - c4.data()[i])));
    return err;
  };
  CHECK(run(o::sgd{.lr = 0.1}, 200) < 1e-5);
  CHECK(run(o::sgd{.lr = 0.05, .momentum = 0.9, .nesterov = true}, 300) < 1e-5);
  CHECK(run(o::adam{.lr = 0.05}, 1000) < 1e-3);
  CHECK(run(o::adamw{.lr = 0.05, .weight_decay = 0}, 1000) < 1e-3);
  CHECK(run(o::rmsprop{.lr = 0.01}, 1000) < 2e-2);
  CHECK(run(o::adagrad{.lr = 0.5}, 1000) < 1e-3);
}
