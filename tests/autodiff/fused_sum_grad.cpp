// value_and_grad of a sum (or mean) of an elementwise expression, with every differentiated
// argument shaped like it, runs as one fused pass (detail::fuses_sum_and_grad): the value and each
// argument's gradient chunk by chunk. Checked against closed forms (over several memo chunks and a
// partial last one), against the general path (the same function with a matmul by the identity,
// which the fused path does not take), and which functions take the path.
#include <cmath>
#include <vector>

#include "support/check.hpp"

namespace mg = metagrad;

namespace {
using vec = mg::tensor<double, mg::shape<mg::dyn>>;

vec filled(mg::index_t n, double lo, double hi, unsigned seed) {
  vec t(mg::extents<1>{{n}});
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  for (auto& v : t) v = d(gen);
  return t;
}

constexpr double a = 0.7, b = 0.1;

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

/// Whether value_and_grad<I...>(f)(args...) takes the fused path.
template <std::size_t... I, class F, class... Args>
bool fused(F const& f, Args const&... args) {
  return []<class E>(E const*) {
    return mg::detail::fuses_sum_and_grad<
        1, E, mg::expr_t<std::tuple_element_t<I, std::tuple<Args...>>>...>();
  }(static_cast<decltype(mg::detail::call_marked<1, I...>(f, args...)) const*>(nullptr));
}
}  // namespace

TEST_CASE("fused value_and_grad of sum(sigmoid(a*x + b) * tanh(x)) over several chunks") {
  auto f = [](auto const& x) { return mg::sum(mg::sigmoid(a * x + b) * mg::tanh(x)); };
  // 2.4 memo chunks: two whole ones and a partial last one.
  mg::index_t const n = 2 * mg::memo_chunk + 800;
  auto x = filled(n, -3, 3, 1);
  CHECK(fused<0>(f, x));
  auto [value, g] = mg::value_and_grad(f)(x);
  double want = 0;
  std::vector<double> dx(static_cast<std::size_t>(n));
  for (mg::index_t i = 0; i < n; ++i) {
    double s = sigmoid(a * x(i) + b), t = std::tanh(x(i));
    want += s * t;
    dx[static_cast<std::size_t>(i)] = a * s * (1 - s) * t + s * (1 - t * t);
  }
  CHECK(value.item() == doctest::Approx(want).epsilon(1e-12));
  mgt::check_close(g, dx.data(), n, 1e-12, 1e-12, "grad");
  mgt::check_close(mg::grad(f)(x), dx.data(), n, 1e-12, 1e-12, "grad alone");
}

TEST_CASE("fused value_and_grad with two arguments, one read twice") {
  auto f = [](auto const& x, auto const& y) { return mg::sum(x * mg::sin(y) + mg::square(x)); };
  mg::index_t const n = mg::memo_chunk + 5;
  auto x = filled(n, -2, 2, 2);
  auto y = filled(n, -2, 2, 3);
  CHECK(fused<0, 1>(f, x, y));
  auto [value, g] = mg::value_and_grad<0, 1>(f)(x, y);
  auto const& [gx, gy] = g;
  double want = 0;
  std::vector<double> dx(static_cast<std::size_t>(n)), dy(static_cast<std::size_t>(n));
  for (mg::index_t i = 0; i < n; ++i) {
    want += x(i) * std::sin(y(i)) + x(i) * x(i);
    dx[static_cast<std::size_t>(i)] = std::sin(y(i)) + 2 * x(i);
    dy[static_cast<std::size_t>(i)] = x(i) * std::cos(y(i));
  }
  CHECK(value.item() == doctest::Approx(want).epsilon(1e-12));
  mgt::check_close(gx, dx.data(), n, 1e-12, 1e-12, "grad x");
  mgt::check_close(gy, dy.data(), n, 1e-12, 1e-12, "grad y");
}

TEST_CASE("fused value_and_grad on static shapes agrees with the general path") {
  using S = mg::shape<3, 4>;
  auto x = mgt::random<S>(4);
  auto w = mgt::random<S>(5);
  mg::tensor<double, mg::shape<4, 4>> eye{};
  for (int i = 0; i < 4; ++i) eye(i, i) = 1;
  // The same function, the second with x through matmul(x, I): not elementwise, so general.
  auto f = [&](auto const& x) { return mg::sum(mg::exp(x) * w - mg::log1p(x * x)); };
  auto general = [&](auto const& x) {
    auto xi = mg::matmul(x, eye);
    return mg::sum(mg::exp(xi) * w - mg::log1p(xi * xi));
  };
  CHECK(fused<0>(f, x));
  CHECK_FALSE(fused<0>(general, x));
  auto [v1, g1] = mg::value_and_grad(f)(x);
  auto [v2, g2] = mg::value_and_grad(general)(x);
  CHECK(v1.item() == doctest::Approx(v2.item()).epsilon(1e-13));
  mgt::check_close(g1, g2, 1e-13, 1e-13, "fused vs general");
}

TEST_CASE("value_and_grad takes the fused path only where it applies") {
  auto x = mgt::random<mg::shape<6>>(6);
  mg::tensor<double, mg::shape<>> s{2.0};
  // mean (a sum times 1/n) and a scaled sum are fused; a sum of a sum's square is not.
  auto mean_exp = [](auto const& x) { return mg::mean(mg::exp(x)); };
  CHECK(fused<0>(mean_exp, x));
  CHECK(fused<0>([](auto const& x) { return mg::sum(mg::exp(x)) * 3.0; }, x));
  CHECK_FALSE(fused<0>([](auto const& x) { return mg::square(mg::sum(x)); }, x));
  auto [vm, gm] = mg::value_and_grad(mean_exp)(x);
  double sum_exp = 0;
  for (int i = 0; i < 6; ++i) sum_exp += std::exp(x(i));
  CHECK(vm.item() == doctest::Approx(sum_exp / 6));
  for (int i = 0; i < 6; ++i) CHECK(gm(i) == doctest::Approx(std::exp(x(i)) / 6));
  // A differentiated scalar broadcast over x: its gradient is a reduction, general.
  CHECK_FALSE(fused<0, 1>([](auto const& x, auto const& s) { return mg::sum(s * x); }, x, s));
  // The non-differentiated scalar may broadcast.
  CHECK(fused<0>([](auto const& x, auto const& s) { return mg::sum(s * x); }, x, s));
  // An argument no cotangent reaches is zero: the general path.
  auto y = mgt::random<mg::shape<6>>(7);
  auto only_x = [](auto const& x, auto const&) { return mg::sum(mg::exp(x)); };
  CHECK_FALSE(fused<0, 1>(only_x, x, y));
  auto [gx, gy] = mg::grad<0, 1>(only_x)(x, y);
  for (int i = 0; i < 6; ++i) {
    CHECK(gx(i) == doctest::Approx(std::exp(x(i))));
    CHECK(gy(i) == 0.0);
  }
  // The scaled sum: fused with the scalar held constant, and right.
  auto [v, g] = mg::value_and_grad([&](auto const& x) { return mg::sum(s * x); })(x);
  double want = 0;
  for (int i = 0; i < 6; ++i) want += 2 * x(i);
  CHECK(v.item() == doctest::Approx(want));
  for (int i = 0; i < 6; ++i) CHECK(g(i) == 2.0);
}

TEST_CASE("memo slots start half a page into a 4 KiB page, wherever the arena stands") {
  // A fused loop reads leaves and writes slots in step; a slot just past a page boundary, where
  // large buffers start, made every load of such a leaf wait on the slot's stores (4K aliasing:
  // the fused gradient ran 1.1-1.3x slower with its input 16 or 80 bytes into a page).
  mg::detail::scratch_scope scope;
  auto x = filled(10, -1, 1, 3);
  for (std::size_t k = 0; k < 6; ++k) {
    (void)mg::detail::scratch::take<char>(k * 700 + 1);  // the arena at another position
    auto m = mg::detail::memoize(mg::tanh(x));
    auto const at = reinterpret_cast<std::uintptr_t>(m.op.data);
    CHECK(at % mg::detail::memo_page == mg::detail::memo_page_offset);
  }
}
