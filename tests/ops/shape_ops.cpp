// reshape, transpose, permute, broadcast_to, slice, concat, stack: values and derivatives against
// PyTorch and finite differences; dyn extents and their run-time shape errors.
#include "reference/shape_ops.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

namespace {
/// check_reference of a unary f on a reference case's arrays (x, out, cot, tan_x, jvp_out, grad_x).
template <class SX, class SO, class F, class... A>
void unary_reference(F f, A const&... a) {
  auto const& [x, out, cot, tan, jvp_out, grad] = std::tie(a...);
  mgt::check_reference(f, std::tuple{from<SX>(x)}, out, from<SO>(cot), std::tuple{from<SX>(tan)},
                       jvp_out, grad);
}
/// The same for a binary f (a, b, out, cot, tan_a, tan_b, jvp_out, grad_a, grad_b).
template <class SA, class SB, class SO, class F, class... A>
void binary_reference(F f, A const&... arr) {
  auto const& [a, b, out, cot, ta, tb, jvp_out, ga, gb] = std::tie(arr...);
  mgt::check_reference(f, std::tuple{from<SA>(a), from<SB>(b)}, out, from<SO>(cot),
                       std::tuple{from<SA>(ta), from<SB>(tb)}, jvp_out, ga, gb);
}
}  // namespace

TEST_CASE("reshape matches PyTorch and infers one dyn extent") {
  using S234 = mg::shape<2, 3, 4>;
  unary_reference<S234, mg::shape<4, 6>>(
      [](auto x) { return mg::reshape<mg::shape<4, 6>>(x); }, ref::reshape::x, ref::reshape::out,
      ref::reshape::cot, ref::reshape::tan_x, ref::reshape::jvp_out, ref::reshape::grad_x);
  unary_reference<S234, mg::shape<4, 6>>(
      [](auto x) { return mg::reshape<mg::shape<mg::dyn, 6>>(x); }, ref::reshape::x,
      ref::reshape::out, ref::reshape::cot, ref::reshape::tan_x, ref::reshape::jvp_out,
      ref::reshape::grad_x);
  auto x = from<S234>(ref::reshape::x);
  auto y = mg::eval(mg::reshape<mg::shape<4, mg::dyn>>(x));
  CHECK(y.shape() == mg::extents<2>{{4, 6}});
  mgt::check_grads([](auto x) { return mg::reshape<mg::shape<6, 4>>(mg::tanh(x)) * 2.0; },
                   mgt::random<S234>(3));
  CHECK_THROWS_WITH_AS((mg::reshape<mg::shape<mg::dyn, 5>>(x)),
                       doctest::Contains("reshape: element count differs"), mg::shape_error);
  mg::tensor<double, mg::shape<mg::dyn, 4>> d(mg::extents<2>{{3, 4}});
  CHECK_THROWS_WITH_AS((mg::reshape<mg::shape<5, 2>>(d)),
                       doctest::Contains("reshape: element count differs"), mg::shape_error);
  CHECK(mg::eval(mg::reshape<mg::shape<2, 6>>(d)).shape() == mg::extents<2>{{2, 6}});
}

TEST_CASE("transpose and permute match PyTorch") {
  unary_reference<mg::shape<3, 4>, mg::shape<4, 3>>(
      [](auto x) { return mg::transpose(x); }, ref::transpose_2d::x, ref::transpose_2d::out,
      ref::transpose_2d::cot, ref::transpose_2d::tan_x, ref::transpose_2d::jvp_out,
      ref::transpose_2d::grad_x);
  unary_reference<mg::shape<2, 3, 4>, mg::shape<4, 2, 3>>(
      [](auto x) { return mg::permute<2, 0, 1>(x); }, ref::permute::x, ref::permute::out,
      ref::permute::cot, ref::permute::tan_x, ref::permute::jvp_out, ref::permute::grad_x);
  static_assert(
      std::same_as<mg::shape_t<decltype(mg::transpose(mg::tensor<double, mg::shape<5, 3, 4>>{}))>,
                   mg::shape<5, 4, 3>>);
  mgt::check_grads([](auto x) { return mg::transpose(x) * mg::permute<0, 2, 1>(x); },
                   mgt::random<mg::shape<2, 3, 3>>(4));
  mgt::check_grads([](auto x) { return mg::permute<1, 2, 0>(mg::square(x)); },
                   mgt::random<mg::shape<2, 3, 4>>(5));
  // dyn extents permute with the axes.
  mg::tensor<double, mg::shape<mg::dyn, 4>> d(mg::extents<2>{{3, 4}});
  for (int i = 0; i < 12; ++i) d.data()[i] = i;
  auto t = mg::eval(mg::transpose(d));
  static_assert(std::same_as<decltype(t)::shape_type, mg::shape<4, mg::dyn>>);
  CHECK(t.shape() == mg::extents<2>{{4, 3}});
  CHECK(t(1, 2) == d(2, 1));
}

TEST_CASE("permute keeping trailing axes in place copies whole runs, with the same values") {
  // (1, 0, 2): a scan's batch-major <-> time-major; (0, 2, 1, 3): attention's heads; the
  // identity; and (2, 1, 0), which moves every axis (one element at a time).
  auto x = mgt::random<mg::shape<3, 4, 5>>(6);
  auto y = mgt::random<mg::shape<2, 3, 4, 5>>(7);
  auto a = mg::eval(mg::permute<1, 0, 2>(x));
  auto b = mg::eval(mg::permute<0, 2, 1, 3>(y));
  auto c = mg::eval(mg::permute<0, 1, 2>(x));
  auto d = mg::eval(mg::permute<2, 1, 0>(x));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 5; ++k) {
        CHECK(a(j, i, k) == x(i, j, k));
        CHECK(c(i, j, k) == x(i, j, k));
        CHECK(d(k, j, i) == x(i, j, k));
        for (int n = 0; n < 2; ++n) CHECK(b(n, j, i, k) == y(n, i, j, k));
      }
  mgt::check_grads([](auto x) { return mg::permute<1, 0, 2>(mg::square(x)); }, x);
  // A dyn leading axis, and an empty one.
  mg::tensor<double, mg::shape<mg::dyn, 2, 3>> e(mg::extents<3>{{4, 2, 3}});
  for (int i = 0; i < 24; ++i) e.data()[i] = i;
  auto f = mg::eval(mg::permute<1, 0, 2>(e));
  CHECK(f.shape() == mg::extents<3>{{2, 4, 3}});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) CHECK(f(j, i, k) == e(i, j, k));
  mg::tensor<double, mg::shape<mg::dyn, 2, 3>> empty(mg::extents<3>{{0, 2, 3}});
  CHECK(mg::eval(mg::permute<1, 0, 2>(empty)).shape() == mg::extents<3>{{2, 0, 3}});
}

TEST_CASE("broadcast_to matches PyTorch") {
  unary_reference<mg::shape<3, 1>, mg::shape<2, 3, 4>>(
      [](auto x) { return mg::broadcast_to<mg::shape<2, 3, 4>>(x); }, ref::broadcast_to::x,
      ref::broadcast_to::out, ref::broadcast_to::cot, ref::broadcast_to::tan_x,
      ref::broadcast_to::jvp_out, ref::broadcast_to::grad_x);
  mgt::check_grads(
      [](auto x) {
        return mg::broadcast_to<mg::shape<2, 3>>(x) * mg::broadcast_to<mg::shape<2, 3>>(x);
      },
      mgt::random<mg::shape<3>>(6));
  mg::tensor<double, mg::shape<mg::dyn>> d(mg::extents<1>{{3}});
  CHECK_THROWS_WITH_AS((mg::broadcast_to<mg::shape<2, 4>>(d)), doctest::Contains("broadcast"),
                       mg::shape_error);
  CHECK(mg::eval(mg::broadcast_to<mg::shape<2, 3>>(d)).shape() == mg::extents<2>{{2, 3}});
}

TEST_CASE("slice matches PyTorch: x[1:3, 0:5:2] as two slices") {
  unary_reference<mg::shape<4, 5>, mg::shape<2, 3>>(
      [](auto x) { return mg::slice<1, 0, 5, 2>(mg::slice<0, 1, 3>(x)); }, ref::slice::x,
      ref::slice::out, ref::slice::cot, ref::slice::tan_x, ref::slice::jvp_out, ref::slice::grad_x);
  // The same with Python's bounds: negative from the end, too large clamps.
  unary_reference<mg::shape<4, 5>, mg::shape<2, 3>>(
      [](auto x) { return mg::slice<-1, 0, 100, 2>(mg::slice<0, -3, -1>(x)); }, ref::slice::x,
      ref::slice::out, ref::slice::cot, ref::slice::tan_x, ref::slice::jvp_out, ref::slice::grad_x);
}

TEST_CASE("slice: Python bounds, shapes and finite differences") {
  using S45 = mg::shape<4, 5>;
  auto x = mgt::random<S45>(8);
  auto check_shape = []<class Want>(auto e, Want) {
    static_assert(std::same_as<mg::shape_t<decltype(e)>, Want>);
  };
  check_shape(mg::slice<0, 1>(x), mg::shape<3, 5>{});                      // x[1:]
  check_shape(mg::slice<1, -2>(x), mg::shape<4, 2>{});                     // x[:, -2:]
  check_shape(mg::slice<1, 0, mg::end_of_axis, 3>(x), mg::shape<4, 2>{});  // x[:, ::3]
  check_shape(mg::slice<0, 3, 1>(x), mg::shape<0, 5>{});                   // empty
  check_shape(mg::slice<0, -100, 100>(x), mg::shape<4, 5>{});              // clamped
  auto y = mg::eval(mg::slice<1, 1, mg::end_of_axis, 2>(x));               // x[:, 1::2]
  CHECK(y(2, 1) == x(2, 3));
  mgt::check_grads(
      [](auto x) { return mg::slice<1, 1, 5, 3>(mg::tanh(x)) * mg::slice<1, 0, 2>(x); },
      mgt::random<mg::shape<2, 5>>(9));
  mgt::check_grads([](auto x) { return mg::slice<1, 1, -1, 2>(x * x); },
                   mgt::random<mg::shape<2, 6, 3>>(10));
  // grad of grad: slice and unslice transpose each other.
  auto f = [](auto x) { return mg::sum(mg::square(mg::slice<0, 1, 4, 2>(x))); };
  mgt::check_grads([&](auto x) { return mg::grad(f)(x) * 1.0; }, mgt::random<mg::shape<5>>(11));
}

TEST_CASE("a value sliced several times sums its cotangents into the sliced positions") {
  // The way an LSTM reads its gates: overlapping, strided and disjoint slices of one value, a leaf
  // and a shared node, each slice's cotangent added into dst (unslice's kernel accumulates).
  auto f = [](auto x) {
    auto t = mg::share(mg::tanh(x));
    return mg::sum(mg::slice<1, 0, 3>(t) * mg::slice<1, 2, 5>(x)) +
           mg::sum(mg::square(mg::slice<1, 1, 6, 2>(t))) + mg::sum(mg::slice<1, 4>(t) * 3.0);
  };
  mgt::check_grads(f, mgt::random<mg::shape<3, 6>>(12));
  mgt::check_grads([&](auto x) { return mg::grad(f)(x) * 1.0; }, mgt::random<mg::shape<3, 6>>(13));
  // accumulate_into of an unslice adds g at the sliced positions and leaves the rest.
  auto g = mgt::random<mg::shape<2, 2>>(14);
  auto dst = mgt::random<mg::shape<2, 5>>(15);
  auto before = mg::eval(dst * 1.0);
  mg::accumulate_into(dst.data(), mg::make_node(mg::unslice_op<1, 1, 5, 2, 5>{5}, g.view()));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j) {
      double const want = before(i, j) + (j == 1 || j == 3 ? g(i, j / 2) : 0.0);
      CHECK(dst(i, j) == doctest::Approx(want).epsilon(1e-15));
    }
}

TEST_CASE("slice of a dyn axis has a run-time extent") {
  mg::tensor<double, mg::shape<mg::dyn, 3>> d(mg::extents<2>{{7, 3}});
  for (int i = 0; i < 21; ++i) d.data()[i] = i;
  auto s = mg::slice<0, 1, -1, 2>(d);  // d[1:-1:2]: rows 1, 3, 5
  static_assert(std::same_as<mg::shape_t<decltype(s)>, mg::shape<mg::dyn, 3>>);
  auto y = mg::eval(s);
  CHECK(y.shape() == mg::extents<2>{{3, 3}});
  CHECK(y(2, 1) == d(5, 1));
  auto [v, pullback] = mg::vjp([](auto x) { return mg::slice<0, 1, -1, 2>(x); }, d);
  mg::tensor<double, mg::shape<mg::dyn, 3>> ct(mg::extents<2>{{3, 3}});
  std::fill(ct.begin(), ct.end(), 1.0);
  auto g = std::get<0>(pullback(ct));
  CHECK(g.shape() == d.shape());
  CHECK(g(1, 0) == 1.0);
  CHECK(g(2, 0) == 0.0);
  CHECK(g(6, 2) == 0.0);
}

TEST_CASE("concat matches PyTorch") {
  binary_reference<mg::shape<2, 3>, mg::shape<4, 3>, mg::shape<6, 3>>(
      [](auto a, auto b) { return mg::concat<0>(a, b); }, ref::concat_axis0::a,
      ref::concat_axis0::b, ref::concat_axis0::out, ref::concat_axis0::cot,
      ref::concat_axis0::tan_a, ref::concat_axis0::tan_b, ref::concat_axis0::jvp_out,
      ref::concat_axis0::grad_a, ref::concat_axis0::grad_b);
  binary_reference<mg::shape<2, 3>, mg::shape<2, 1>, mg::shape<2, 4>>(
      [](auto a, auto b) { return mg::concat<-1>(a, b); }, ref::concat_axis1::a,
      ref::concat_axis1::b, ref::concat_axis1::out, ref::concat_axis1::cot,
      ref::concat_axis1::tan_a, ref::concat_axis1::tan_b, ref::concat_axis1::jvp_out,
      ref::concat_axis1::grad_a, ref::concat_axis1::grad_b);
}

TEST_CASE("concat: three operands, finite differences, second order, dyn extents") {
  auto a = mgt::random<mg::shape<2, 2, 3>>(12);
  auto b = mgt::random<mg::shape<2, 1, 3>>(13);
  auto c = mgt::random<mg::shape<2, 4, 3>>(14);
  mgt::check_grads(
      [](auto a, auto b, auto c) {
        return mg::concat<1>(a, mg::tanh(b), c * 3.0) * mg::concat<1>(c, a, b);
      },
      a, b, c);
  mgt::check_grads([](auto a, auto b, auto c) { return mg::exp(mg::concat<1>(a, b, c)); }, a, b, c);
  mgt::check_grads([](auto a, auto b) { return mg::concat<1>(a, a * b) * mg::concat<1>(b, a, b); },
                   a, b);
  auto f = [](auto a, auto b) { return mg::sum(mg::square(mg::concat<0>(a, b))); };
  mgt::check_grads([&](auto a, auto b) { return mg::grad<0>(f)(a, b) * 1.0; },
                   mgt::random<mg::shape<2>>(1), mgt::random<mg::shape<3>>(2));
  // A dyn axis: extents are joined at run time; other extents must agree.
  mg::tensor<double, mg::shape<mg::dyn, 3>> d(mg::extents<2>{{4, 3}});
  for (int i = 0; i < 12; ++i) d.data()[i] = i;
  auto r = mgt::random<mg::shape<2, 3>>(1);  // named: s holds a view of it
  auto s = mg::concat<0>(d, r);
  static_assert(std::same_as<mg::shape_t<decltype(s)>, mg::shape<mg::dyn, 3>>);
  CHECK(mg::eval(s).shape() == mg::extents<2>{{6, 3}});
  auto [v, pullback] = mg::vjp([](auto x, auto y) { return mg::concat<0>(y, x); }, d, d);
  auto [ga, gb] = pullback(v);
  CHECK(ga(3, 2) == 11.0);
  CHECK(gb(1, 1) == 4.0);
  mg::tensor<double, mg::shape<3, mg::dyn>> e(mg::extents<2>{{3, 5}});
  auto row = mgt::random<mg::shape<1, 5>>(1);
  auto t = mg::concat<0>(row, e);
  static_assert(std::same_as<mg::shape_t<decltype(t)>, mg::shape<4, 5>>);
  mg::tensor<double, mg::shape<3, mg::dyn>> wrong(mg::extents<2>{{3, 4}});
  CHECK_THROWS_WITH_AS((mg::concat<0>(mgt::random<mg::shape<1, 5>>(1), wrong)),
                       doctest::Contains("concat: extents differ off the concatenation axis"),
                       mg::shape_error);
}

TEST_CASE("stack matches PyTorch") {
  using S23 = mg::shape<2, 3>;
  binary_reference<S23, S23, mg::shape<2, 2, 3>>(
      [](auto a, auto b) { return mg::stack<0>(a, b); }, ref::stack_axis0::a, ref::stack_axis0::b,
      ref::stack_axis0::out, ref::stack_axis0::cot, ref::stack_axis0::tan_a,
      ref::stack_axis0::tan_b, ref::stack_axis0::jvp_out, ref::stack_axis0::grad_a,
      ref::stack_axis0::grad_b);
  binary_reference<S23, S23, mg::shape<2, 3, 2>>(
      [](auto a, auto b) { return mg::stack<2>(a, b); }, ref::stack_axis2::a, ref::stack_axis2::b,
      ref::stack_axis2::out, ref::stack_axis2::cot, ref::stack_axis2::tan_a,
      ref::stack_axis2::tan_b, ref::stack_axis2::jvp_out, ref::stack_axis2::grad_a,
      ref::stack_axis2::grad_b);
  binary_reference<S23, S23, mg::shape<2, 3, 2>>(
      [](auto a, auto b) { return mg::stack<-1>(a, b); }, ref::stack_axis2::a, ref::stack_axis2::b,
      ref::stack_axis2::out, ref::stack_axis2::cot, ref::stack_axis2::tan_a,
      ref::stack_axis2::tan_b, ref::stack_axis2::jvp_out, ref::stack_axis2::grad_a,
      ref::stack_axis2::grad_b);
  mgt::check_grads([](auto a, auto b) { return mg::stack<1>(a, mg::tanh(b), a * b); },
                   mgt::random<S23>(3), mgt::random<S23>(4));
  mg::tensor<double, mg::shape<mg::dyn, 3>> d(mg::extents<2>{{2, 3}}),
      wrong(mg::extents<2>{{4, 3}});
  CHECK(mg::eval(mg::stack<0>(d, d, d)).shape() == mg::extents<3>{{3, 2, 3}});
  CHECK_THROWS_WITH_AS(mg::stack<0>(d, wrong),
                       doctest::Contains("stack: operands must have the same shape"),
                       mg::shape_error);
}
