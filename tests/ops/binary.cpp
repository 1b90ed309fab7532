// Binary and ternary elementwise ops (maximum, minimum, pow, where): values and derivatives
// against PyTorch, finite differences, ties, and run-time broadcasting errors.
#include "reference/elementwise.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using S34 = mg::shape<3, 4>;
using S234 = mg::shape<2, 3, 4>;
using S31 = mg::shape<3, 1>;
MGT_BINARY_REFERENCE_CASE(maximum_same, mg::maximum(a, b), S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(maximum_bcast, mg::maximum(a, b), S234, S31, S234)
MGT_BINARY_REFERENCE_CASE(minimum_same, mg::minimum(a, b), S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(minimum_bcast, mg::minimum(a, b), S234, S31, S234)
MGT_BINARY_REFERENCE_CASE(pow_same, mg::pow(a, b), S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(pow_bcast, mg::pow(a, b), S234, S31, S234)

TEST_CASE("where: value, vjp and jvp match PyTorch") {
  namespace r = ref::where;
  auto cond = from<S34>(r::cond);
  auto f = [&cond](auto a, auto b) { return mg::where(cond, a, b); };
  mgt::check_reference(f, std::tuple{from<S34>(r::a), from<mg::shape<4>>(r::b)}, r::out,
                       from<S34>(r::cot),
                       std::tuple{from<S34>(r::tan_a), from<mg::shape<4>>(r::tan_b)}, r::jvp_out,
                       r::grad_a, r::grad_b);
}

TEST_CASE("binary ops pass finite differences") {
  auto a = mgt::random<mg::shape<2, 3>>(1, -1, 1);
  auto b = mgt::random<mg::shape<3>>(2, -1, 1);
  auto pos = mgt::random<mg::shape<2, 3>>(3, 0.5, 2);
  mgt::check_grads([](auto a, auto b) { return mg::maximum(a, b) * mg::minimum(b, a * 2); }, a, b);
  mgt::check_grads([](auto a, auto b) { return mg::pow(a, b) + mg::pow(2.0, b); }, pos, b);
  mgt::check_grads([](auto a, auto b) { return mg::where(a > 0, a * b, mg::exp(b)); }, a, b);
  mgt::check_grads([](auto a, auto b) { return mg::where(b < 0, 0.5, a) + mg::maximum(a, 0.1); }, a,
                   b);
}

TEST_CASE("maximum and minimum share ties evenly, as torch") {
  auto a = mgt::from<mg::shape<3>>({1.0, 2.0, 3.0});
  auto b = mgt::from<mg::shape<3>>({0.0, 2.0, 4.0});
  auto [ga, gb] = mg::grad<0, 1>([](auto a, auto b) { return mg::sum(mg::maximum(a, b)); })(a, b);
  double want_a[] = {1, 0.5, 0}, want_b[] = {0, 0.5, 1};
  mgt::check_close(ga, want_a, 0, 0, "maximum d/da");
  mgt::check_close(gb, want_b, 0, 0, "maximum d/db");
  auto [ha, hb] = mg::grad<0, 1>([](auto a, auto b) { return mg::sum(mg::minimum(a, b)); })(a, b);
  mgt::check_close(ha, want_b, 0, 0, "minimum d/da");
  mgt::check_close(hb, want_a, 0, 0, "minimum d/db");
  // Forward mode: the tangents' mean on ties.
  auto da = mgt::from<mg::shape<3>>({1.0, 1.0, 1.0});
  auto db = mgt::from<mg::shape<3>>({3.0, 3.0, 3.0});
  auto [y, dy] = mg::jvp([](auto a, auto b) { return mg::maximum(a, b); }, std::tuple{a, b},
                         std::tuple{da, db});
  double want_dy[] = {1, 2, 3};
  mgt::check_close(dy, want_dy, 0, 0, "maximum jvp");
}

TEST_CASE("maximum, minimum propagate NaN; where picks by nonzero cond") {
  auto a = mgt::from<mg::shape<2>>({std::nan(""), 1.0});
  auto b = mgt::from<mg::shape<2>>({0.0, std::nan("")});
  auto mx = mg::eval(mg::maximum(a, b)), mn = mg::eval(mg::minimum(a, b));
  CHECK(std::isnan(mx.data()[0]));
  CHECK(std::isnan(mx.data()[1]));
  CHECK(std::isnan(mn.data()[0]));
  CHECK(std::isnan(mn.data()[1]));
  auto c = mgt::from<mg::shape<2, 1>>({1.0, 0.0});
  auto w = mg::eval(
      mg::where(c, mgt::from<mg::shape<2>>({5.0, 6.0}), 0.0));  // (2,1) ? (2) : () => (2,2)
  double want[] = {5, 6, 0, 0};
  mgt::check_close(w, want, 0, 0, "where broadcast");
}

TEST_CASE("pow(a, b) derivatives at a == 0 and b == 0 follow PyTorch (no NaN)") {
  auto a = mgt::from<mg::shape<3>>({0.0, 0.0, 2.0});
  auto b = mgt::from<mg::shape<3>>({0.0, 2.0, 0.0});
  auto [ga, gb] = mg::grad<0, 1>([](auto a, auto b) { return mg::sum(mg::pow(a, b)); })(a, b);
  double want_a[] = {0, 0, 0}, want_b[] = {0, 0, std::log(2.0)};
  mgt::check_close(ga, want_a, 0, 0, "pow d/da");
  mgt::check_close(gb, want_b, 1e-15, 0, "pow d/db");
}

TEST_CASE("dyn extents that do not broadcast throw shape_error") {
  using D = mg::shape<mg::dyn, 4>;
  std::vector<double> m(12), n(20);
  mg::tensor_view<double, D> x(m.data(), {{3, 4}}), y(n.data(), {{5, 4}});
  auto message = [](auto make) {
    try {
      make();
    } catch (mg::shape_error const& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THROWS_AS(mg::maximum(x, y), mg::shape_error);
  CHECK(message([&] { mg::maximum(x, y); }).starts_with("maximum: shapes are incompatible"));
  CHECK(message([&] { mg::minimum(x, y); }).starts_with("minimum: shapes are incompatible"));
  CHECK(message([&] { mg::pow(x, y); }).starts_with("pow: shapes are incompatible"));
  CHECK(message([&] { mg::where(x > 0, x, y); }).starts_with("where: shapes are incompatible"));
  CHECK(message([&] { mg::where(y > 0, x, 1.0); }).starts_with("where: shapes are incompatible"));
}
