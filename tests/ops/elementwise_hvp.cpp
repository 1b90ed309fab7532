// Second order through elementwise derivative rules: hvp of sum(op(x)) (jvp of grad) against
// central finite differences of grad, and against the known second derivatives.
#include "support/check.hpp"

namespace mg = metagrad;
using S = mg::shape<2, 6>;

namespace {
/// hvp(f, x, v) against (grad f(x + h v) - grad f(x - h v)) / 2h.
template <class F>
void check_hvp(F f, mg::tensor<double, S> const& x, std::string const& what) {
  auto v = mgt::random<S>(21);
  auto hv = mg::hvp(f, x, v);
  constexpr double h = 1e-5;
  auto up = mg::grad(f)(mg::eval(x + v * h));
  auto down = mg::grad(f)(mg::eval(x - v * h));
  auto fd = mg::eval((up - down) / (2 * h));
  mgt::check_close(hv, fd, 1e-6, 1e-7, what);
}
}  // namespace

TEST_CASE("hvp of elementwise ops matches finite differences of grad") {
  auto x = mgt::random<S>(8, -2, 2);
  auto pos = mgt::random<S>(9, 0.4, 2);
  auto y = mgt::random<S>(10, -1.5, 1.5);
  check_hvp([](auto x) { return mg::sum(mg::sin(x)); }, x, "sin");
  check_hvp([](auto x) { return mg::sum(mg::sigmoid(x)); }, x, "sigmoid");
  check_hvp([](auto x) { return mg::sum(mg::gelu(x)); }, x, "gelu");
  check_hvp([](auto x) { return mg::sum(mg::gelu(x, mg::gelu_approximation::tanh)); }, x,
            "gelu tanh");
  check_hvp([](auto x) { return mg::sum(mg::softplus(x)); }, x, "softplus");
  check_hvp([](auto x) { return mg::sum(mg::pow(x, 2.5)); }, pos, "pow(x, 2.5)");
  check_hvp([&y](auto x) { return mg::sum(mg::pow(x, y)); }, pos, "pow(x, y)");
  check_hvp([&y](auto x) { return mg::sum(mg::pow(y * 0.5 + 1, x)); }, x, "pow(y, x)");
  check_hvp([](auto x) { return mg::sum(mg::maximum(mg::sin(x), mg::cos(x)) * x); }, x, "maximum");
}

TEST_CASE("hvp of separable sums is the second derivative times v") {
  auto x = mgt::random<S>(12, -2, 2);
  auto v = mgt::random<S>(13);
  auto check = [&](auto f, auto d2, std::string const& what) {
    auto hv = mg::hvp([f](auto x) { return mg::sum(f(x)); }, x, v);
    mg::tensor<double, S> want;
    for (mg::index_t i = 0; i < x.size(); ++i) want.data()[i] = d2(x.data()[i]) * v.data()[i];
    mgt::check_close(hv, want, 1e-12, 1e-12, what);
  };
  check([](auto x) { return mg::sin(x); }, [](double x) { return -std::sin(x); }, "sin''");
  check([](auto x) { return mg::cos(x); }, [](double x) { return -std::cos(x); }, "cos''");
  check([](auto x) { return mg::softplus(x); },
        [](double x) {
          double s = 1 / (1 + std::exp(-x));
          return s * (1 - s);
        },
        "softplus''");
  check([](auto x) { return mg::gelu(x); },
        [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * M_PI) * (2 - x * x); },
        "gelu''");
  check([](auto x) { return mg::pow(x, 3.0); }, [](double x) { return 6 * x; }, "pow(x, 3)''");
}
