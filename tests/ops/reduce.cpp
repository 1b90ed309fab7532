// sum, mean, max, min: values and derivatives against PyTorch and finite differences; negative
// axes, ties (max/min share the derivative evenly, as torch.amax) and dyn extents.
#include "reference/reduce.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using S234 = mg::shape<2, 3, 4>;
using S24 = mg::shape<2, 4>;
using S214 = mg::shape<2, 1, 4>;
using S23 = mg::shape<2, 3>;
using S3 = mg::shape<3>;
using S0 = mg::shape<>;

// One PyTorch case: EXPR on x of shape (2,3,4), giving shape OUT.
#define REDUCE_REFERENCE_CASE(NAME, OUT, EXPR)                                              \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                                   \
    namespace r = ref::NAME;                                                                \
    mgt::check_reference([](auto x) { return EXPR; }, std::tuple{from<S234>(r::x)}, r::out, \
                         from<OUT>(r::cot), std::tuple{from<S234>(r::tan_x)}, r::jvp_out,   \
                         r::grad_x);                                                        \
  }

REDUCE_REFERENCE_CASE(sum_all, S0, mg::sum(x))
REDUCE_REFERENCE_CASE(sum_axis1, S24, mg::sum<1>(x))
REDUCE_REFERENCE_CASE(sum_axis1_keep, S214, mg::sum<1>(x, mg::keepdims))
REDUCE_REFERENCE_CASE(sum_axes02, S3, (mg::sum<0, 2>(x)))
REDUCE_REFERENCE_CASE(mean_all, S0, mg::mean(x))
REDUCE_REFERENCE_CASE(mean_axis2, S23, mg::mean<2>(x))
REDUCE_REFERENCE_CASE(max_axis1, S24, mg::max<1>(x))
REDUCE_REFERENCE_CASE(min_axis2, S23, mg::min<2>(x))
REDUCE_REFERENCE_CASE(max_all, S0, mg::max(x))

TEST_CASE("reductions: result shapes, negative and unordered axes") {
  auto x = from<S234>(ref::sum_axis1::x);
  static_assert(std::same_as<mg::shape_t<decltype(mg::sum<-1>(x))>, S23>);
  static_assert(std::same_as<mg::shape_t<decltype(mg::sum<-2>(x, mg::keepdims))>, S214>);
  static_assert(std::same_as<mg::shape_t<decltype(mg::sum<2, 0>(x))>, S3>);
  static_assert(
      std::same_as<mg::shape_t<decltype(mg::max<0, 1>(x, mg::keepdims))>, mg::shape<1, 1, 4>>);
  mgt::check_close(mg::eval(mg::sum<-2>(x)), ref::sum_axis1::out, 1e-12, 1e-12, "sum<-2>");
  auto x02 = from<S234>(ref::sum_axes02::x);
  mgt::check_close(mg::eval(mg::sum<-1, 0>(x02)), ref::sum_axes02::out, 1e-12, 1e-12, "sum<-1, 0>");
  mgt::check_close(mg::eval(mg::mean<-1>(x)), mg::eval(mg::mean<2>(x)), 1e-12, 1e-12, "mean<-1>");
  mgt::check_close(mg::eval(mg::max<-2>(from<S234>(ref::max_axis1::x))), ref::max_axis1::out, 1e-12,
                   1e-12, "max<-2>");
  // keepdims of a non-contiguous axis set (the general kernel path) keeps the layout.
  auto k = mg::eval(mg::sum<0, 2>(x02, mg::keepdims));
  static_assert(std::same_as<typename decltype(k)::shape_type, mg::shape<1, 3, 1>>);
  mgt::check_close(k, ref::sum_axes02::out, 1e-12, 1e-12, "sum<0, 2> keepdims");
  // Reductions over every axis, both paths (contiguous run and general) of a rank-4 operand.
  auto y = mgt::random<mg::shape<2, 3, 2, 5>>(3);
  double total = 0, big = -1e9;
  for (double v : y) total += v, big = std::max(big, v);
  CHECK(mg::eval(mg::sum(y)).item() == doctest::Approx(total));
  CHECK(mg::eval(mg::max(y)).item() == big);
  auto s13 = mg::eval(mg::sum<1, 3>(y));
  auto s0 = mg::eval(mg::sum<0, 1, 2, 3>(y));
  CHECK(s0.item() == doctest::Approx(total));
  double check = 0;
  for (double v : s13) check += v;
  CHECK(check == doctest::Approx(total));
  CHECK(s13(1, 0) == doctest::Approx([&] {
          double s = 0;
          for (int j = 0; j < 3; ++j)
            for (int l = 0; l < 5; ++l) s += y(1, j, 0, l);
          return s;
        }()));
}

TEST_CASE("reductions pass finite differences") {
  auto x = mgt::random<S234>(5);
  mgt::check_grads([](auto x) { return mg::sum(x); }, x);
  mgt::check_grads([](auto x) { return mg::sum<1>(x); }, x);
  mgt::check_grads([](auto x) { return mg::sum<-1>(x, mg::keepdims); }, x);
  mgt::check_grads([](auto x) { return mg::sum<0, 2>(x); }, x);
  mgt::check_grads([](auto x) { return mg::mean(x); }, x);
  mgt::check_grads([](auto x) { return mg::mean<2>(x, mg::keepdims); }, x);
  mgt::check_grads([](auto x) { return mg::max<1>(x); }, x);
  mgt::check_grads([](auto x) { return mg::max<0, 2>(x, mg::keepdims); }, x);
  mgt::check_grads([](auto x) { return mg::min<2>(x); }, x);
  mgt::check_grads([](auto x) { return mg::min(x); }, x);
  // Reductions inside a larger expression, and second order through max.
  mgt::check_grads([](auto x) { return mg::sum<1>(mg::square(x)) * mg::max<1>(x); }, x);
  auto v = mgt::random<S234>(6);
  auto h = mg::hvp([](auto x) { return mg::sum(mg::square(mg::max<2>(x))); }, x, v);
  // d²/dx² of m² where m = max over axis 2 is 2 at the argmax and 0 elsewhere.
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      int arg = 0;
      for (int l = 1; l < 4; ++l)
        if (x(i, j, l) > x(i, j, arg)) arg = l;
      for (int l = 0; l < 4; ++l)
        CHECK(h(i, j, l) == doctest::Approx(l == arg ? 2 * v(i, j, l) : 0.0));
    }
}

TEST_CASE("max and min share the derivative evenly among ties, as torch.amax") {
  mg::tensor<double, mg::shape<2, 3>> x{{1, 3, 3}, {2, 2, 2}};
  auto [y, pullback] = mg::vjp([](auto x) { return mg::max<1>(x); }, x);
  CHECK(y(0) == 3);
  CHECK(y(1) == 2);
  mg::tensor<double, mg::shape<2>> g{6, 9};
  auto dx = std::get<0>(pullback(g));
  double want[] = {0, 3, 3, 3, 3, 3};
  mgt::check_close(dx, want, 0, 1e-15, "vjp with ties");
  mg::tensor<double, mg::shape<2, 3>> t{{5, 1, 2}, {1, 2, 6}};
  auto [y2, dy] = mg::jvp([](auto x) { return mg::max<1>(x); }, std::tuple{x}, std::tuple{t});
  double want_jvp[] = {1.5, 3};
  mgt::check_close(dy, want_jvp, 0, 1e-15, "jvp with ties");
  // min over all axes: the two smallest entries tie.
  mg::tensor<double, mg::shape<2, 2>> z{{-1, 4}, {-1, 0}};
  auto dz = mg::grad([](auto z) { return mg::min(z); })(z);
  double want_min[] = {0.5, 0, 0.5, 0};
  mgt::check_close(dz, want_min, 0, 1e-15, "grad of min with ties");
}

TEST_CASE("reductions over dyn extents") {
  mg::tensor<float, mg::shape<mg::dyn, 3>> x(mg::extents<2>{{4, 3}});
  for (mg::index_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 5) - 2.0f;
  auto s = mg::eval(mg::sum<0>(x));
  static_assert(std::same_as<typename decltype(s)::shape_type, mg::shape<3>>);
  auto m = mg::eval(mg::max<1>(x));
  static_assert(std::same_as<typename decltype(m)::shape_type, mg::shape<mg::dyn>>);
  REQUIRE(m.shape()[0] == 4);
  // x = [[-2, -1, 0], [1, 2, -2], [-1, 0, 1], [2, -2, -1]]
  float want_sum[] = {0, -1, -2};
  mgt::check_close(s, want_sum, 0, 1e-6, "sum over a dyn axis");
  float want_max[] = {0, 2, 1, 2};
  mgt::check_close(m, want_max, 0, 1e-6, "max over a static axis of a dyn tensor");
  CHECK(mg::eval(mg::mean(x)).item() == doctest::Approx(-0.25));
  auto g = mg::grad([](auto x) { return mg::mean(x); })(x);
  for (float v : g) CHECK(v == doctest::Approx(1.0 / 12));
}

TEST_CASE("argmax_axis1: matches PyTorch, index_t values, keepdims") {
  namespace r = ref::argmax_axis1;
  auto x = from<S234>(r::x);
  auto i = mg::eval(mg::argmax<1>(x));
  static_assert(std::same_as<decltype(i), mg::tensor<mg::index_t, S24>>);
  mgt::check_close(i, r::out, 0, 0, "argmax<1>");
  auto k = mg::eval(mg::argmax<-2>(x, mg::keepdims));
  static_assert(std::same_as<typename decltype(k)::shape_type, S214>);
  mgt::check_close(k, r::out, 0, 0, "argmax<-2> keepdims");
  // Default axis: the last one; agrees with max on an expression operand.
  auto last = mg::eval(mg::argmax(x * 2.0 - 1.0));
  auto m = mg::eval(mg::max<2>(x));
  static_assert(std::same_as<typename decltype(last)::shape_type, mg::shape<2, 3>>);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b) CHECK(x(a, b, static_cast<int>(last(a, b))) == m(a, b));
  // Axis 0 (no outer block) of a rank-1 and a rank-3 operand.
  mg::tensor<float, mg::shape<5>> v{0.5f, 3.0f, -1.0f, 3.5f, 2.0f};
  CHECK(mg::eval(mg::argmax(v)).item() == 3);
  auto a0 = mg::eval(mg::argmax<0>(x));
  for (int b = 0; b < 3; ++b)
    for (int c = 0; c < 4; ++c) CHECK(a0(b, c) == (x(1, b, c) > x(0, b, c) ? 1 : 0));
}

TEST_CASE("argmax: the first index on ties, NaN counts as largest (as torch.argmax)") {
  mg::tensor<double, mg::shape<4, 3>> x{{1, 3, 3}, {2, 2, 2}, {NAN, 5, NAN}, {-1, NAN, 7}};
  auto i = mg::eval(mg::argmax<1>(x));
  mg::index_t want[] = {1, 0, 0, 1};
  mgt::check_close(i, want, 0, 0, "argmax with ties and NaN");
  auto j = mg::eval(mg::argmax<0>(x));
  mg::index_t want0[] = {2, 3, 2};
  mgt::check_close(j, want0, 0, 0, "argmax over axis 0 with NaN");
}

TEST_CASE("argmax has no derivative: jvp and vjp are zero") {
  auto x = mgt::random<S234>(8);
  auto t = mgt::random<S234>(9);
  auto f = [](auto x) { return mg::argmax<1>(x); };
  auto [y, dy] = mg::jvp(f, std::tuple{x}, std::tuple{t});
  static_assert(std::same_as<typename decltype(dy)::value_type, mg::index_t>);
  for (auto d : dy) CHECK(d == 0);
  auto [y2, pullback] = mg::vjp(f, x);
  mg::tensor<mg::index_t, S24> cot;
  for (auto& c : cot) c = 1;
  auto dx = std::get<0>(pullback(cot));
  static_assert(std::same_as<typename decltype(dx)::value_type, double>);
  for (double d : dx) CHECK(d == 0);
  // A loss that reads argmax (as an accuracy would) still differentiates through the rest.
  auto g = mg::grad([](auto x) { return mg::sum(x) + mg::sum(mg::stop_gradient(x)); })(x);
  for (double d : g) CHECK(d == 1);
}

TEST_CASE("argmax over a dyn batch; shape_error on an empty axis") {
  mg::tensor<float, mg::shape<mg::dyn, 5>> x(mg::extents<2>{{7, 5}});
  for (mg::index_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7) % 11);
  auto i = mg::eval(mg::argmax(x));
  REQUIRE(i.shape() == mg::extents<1>{{7}});
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < 5; ++c) CHECK(x(r, c) <= x(r, static_cast<int>(i(r))));
  mg::tensor<float, mg::shape<3, mg::dyn>> empty(mg::extents<2>{{3, 0}});
  try {
    (void)mg::argmax(empty);
    FAIL("expected a shape_error");
  } catch (mg::shape_error const& e) {
    CHECK(std::string(e.what()) == "argmax: the reduced axis is empty: [3, 0]");
  }
  CHECK_NOTHROW((void)mg::argmax<0>(empty));
}
