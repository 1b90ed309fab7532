// max_pool2d and avg_pool2d: values and derivatives against PyTorch and finite differences,
// argmax routing on ties, second order through the derivative primitives, dyn extents.
#include <cmath>
#include <limits>

#include "reference/conv.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using mgt::shape_of;

// One PyTorch case: POOL(x) with the case's kernel_size, stride and padding.
#define POOL2D_REFERENCE_CASE(NAME, POOL)                                       \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                       \
    namespace r = ref::NAME;                                                    \
    using X = shape_of<r::x_shape>;                                             \
    using O = shape_of<r::out_shape>;                                           \
    static constexpr mg::pool2d_params p{                                       \
        .kernel = r::kernel_size, .stride = r::stride, .padding = r::padding};  \
    auto f = [](auto x) { return mg::POOL<p>(x); };                             \
    static_assert(std::same_as<mg::shape_t<decltype(f(from<X>(r::x)))>, O>);    \
    mgt::check_reference(f, std::tuple{from<X>(r::x)}, r::out, from<O>(r::cot), \
                         std::tuple{from<X>(r::tan_x)}, r::jvp_out, r::grad_x); \
  }

POOL2D_REFERENCE_CASE(max_pool2d, max_pool2d)
POOL2D_REFERENCE_CASE(max_pool2d_overlap, max_pool2d)
POOL2D_REFERENCE_CASE(avg_pool2d, avg_pool2d)
POOL2D_REFERENCE_CASE(avg_pool2d_pad, avg_pool2d)

TEST_CASE("pool2d: numeric-parameter forms, default stride, unbatched input") {
  namespace r = ref::max_pool2d_overlap;
  auto x = from<shape_of<r::x_shape>>(r::x);
  mgt::check_close(mg::eval(mg::max_pool2d<3, 2, 1>(x)), r::out, 0, 0, "max_pool2d<3, 2, 1>");
  namespace a = ref::avg_pool2d;
  auto y = from<shape_of<a::x_shape>>(a::x);
  mgt::check_close(mg::eval(mg::avg_pool2d<2>(y)), a::out, 1e-12, 1e-12, "avg_pool2d<2>");
  mgt::check_close(mg::eval(mg::max_pool2d<mg::pool2d_params{.kernel = 2}>(
                       from<shape_of<ref::max_pool2d::x_shape>>(ref::max_pool2d::x))),
                   ref::max_pool2d::out, 0, 0, "max_pool2d{.kernel = 2}");
  // (H,W) planes only: leading axes are planes, whatever their number.
  auto m = mg::eval(mg::max_pool2d<3, 2, 1>(mg::reshape<mg::shape<2, 7, 7>>(x)));
  static_assert(std::same_as<typename decltype(m)::shape_type, mg::shape<2, 4, 4>>);
  mgt::check_close(m, r::out, 0, 0, "rank-3 max_pool2d");
}

TEST_CASE("max_pool2d routes the cotangent to the first maximum of each window") {
  // Window (0,0) of a 2x2 pool holds 1, 5, 5, 0: PyTorch picks the first 5 (row-major).
  mg::tensor<double, mg::shape<1, 1, 2, 4>> x{{{{1, 5, 2, 2}, {5, 0, 2, 2}}}};
  mg::tensor<double, mg::shape<1, 1, 1, 2>> g{{{{10, 20}}}};
  auto [y, pullback] = mg::vjp([](auto x) { return mg::max_pool2d<2>(x); }, x);
  CHECK(y.data()[0] == 5);
  CHECK(y.data()[1] == 2);
  auto [dx] = pullback(g);
  double want[] = {0, 10, 20, 0, 0, 0, 0, 0};
  mgt::check_close(dx, want, 0, 0, "max_pool2d vjp on ties");
}

TEST_CASE(
    "pool gradients: tiling windows route g to each first maximum (max) or spread it (avg); "
    "uncovered rows, columns 0") {
  // 2x2 windows with stride 2 on 7x5 planes: the last row and column are in no window.
  auto x = mgt::random<mg::shape<2, 3, 7, 5>>(3);
  mg::tensor<double, mg::shape<2, 3, 3, 2>> g;
  for (int i = 0; i < 36; ++i) g.data()[i] = 1 + i;
  auto [y, pullback] = mg::vjp([](auto x) { return mg::max_pool2d<2>(x); }, x);
  auto [dx] = pullback(g);
  for (int p = 0; p < 6; ++p)
    for (int i = 0; i < 7; ++i)
      for (int j = 0; j < 5; ++j) {
        double want = 0;
        if (i < 6 && j < 4) {
          int wi = i / 2, wj = j / 2, bi = 2 * wi, bj = 2 * wj;  // the window and its first max
          for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 2; ++b)
              if (x.data()[p * 35 + (2 * wi + a) * 5 + 2 * wj + b] > x.data()[p * 35 + bi * 5 + bj])
                bi = 2 * wi + a, bj = 2 * wj + b;
          if (bi == i && bj == j) want = g.data()[p * 6 + wi * 2 + wj];
        }
        CHECK(dx.data()[p * 35 + i * 5 + j] == want);
      }
  mgt::check_grads([](auto x) { return mg::max_pool2d<2>(x); }, x);
  // The same planes with run-time extents (the kernel's other instantiation).
  mg::tensor<double, mg::shape<2, 3, mg::dyn, mg::dyn>> xd(mg::extents<4>{{2, 3, 7, 5}});
  std::copy_n(x.data(), x.size(), xd.data());
  mg::tensor<double, mg::shape<2, 3, mg::dyn, mg::dyn>> gd(mg::extents<4>{{2, 3, 3, 2}});
  std::copy_n(g.data(), g.size(), gd.data());
  auto [yd, pullback_d] = mg::vjp([](auto x) { return mg::max_pool2d<2>(x); }, xd);
  auto [dxd] = pullback_d(gd);
  CHECK(mgt::same_bits(dx, dxd));
  // avg_pool2d's gradient writes tiling windows once too: g/4 in each, 0 where none covers.
  auto [ya, pullback_a] = mg::vjp([](auto x) { return mg::avg_pool2d<2>(x); }, x);
  auto [dxa] = pullback_a(g);
  for (int p = 0; p < 6; ++p)
    for (int i = 0; i < 7; ++i)
      for (int j = 0; j < 5; ++j)
        CHECK(dxa.data()[p * 35 + i * 5 + j] ==
              (i < 6 && j < 4 ? g.data()[p * 6 + i / 2 * 2 + j / 2] * 0.25 : 0.0));
  auto [yad, pullback_ad] = mg::vjp([](auto x) { return mg::avg_pool2d<2>(x); }, xd);
  auto [dxad] = pullback_ad(gd);
  CHECK(mgt::same_bits(dxa, dxad));
}

TEST_CASE("max_pool2d: a NaN wins its window, with and without padding") {
  // PyTorch's rule (`val > maxval || isnan(val)`): the value is NaN, the cotangent goes to it.
  double const nan = std::numeric_limits<double>::quiet_NaN();
  mg::tensor<double, mg::shape<1, 1, 2, 4>> x{{{{1, nan, 3, 2}, {0, 5, 7, 7}}}};
  mg::tensor<double, mg::shape<1, 1, 1, 2>> g{{{{10, 20}}}};
  auto [y, pullback] = mg::vjp([](auto x) { return mg::max_pool2d<2>(x); }, x);  // no padding
  CHECK(std::isnan(y.data()[0]));
  CHECK(y.data()[1] == 7);
  auto [dx] = pullback(g);
  double want[] = {0, 10, 0, 0, 0, 0, 20, 0};
  mgt::check_close(dx, want, 0, 0, "max_pool2d vjp with a NaN");
  // Padded (windows clipped to the plane): (1,3) windows, stride 2, one column of padding.
  static constexpr mg::pool2d_params p{.kernel = {1, 3}, .stride = {1, 2}, .padding = {0, 1}};
  auto [yp, pullback_p] = mg::vjp([](auto x) { return mg::max_pool2d<p>(x); }, x);
  static_assert(std::same_as<mg::shape_t<decltype(yp)>, mg::shape<1, 1, 2, 2>>);
  CHECK(std::isnan(yp(0, 0, 0, 0)));  // {pad, 1, nan}
  CHECK(std::isnan(yp(0, 0, 0, 1)));  // {nan, 3, 2}
  CHECK(yp(0, 0, 1, 1) == 7);         // {5, 7, 7}: the first 7
  mg::tensor<double, mg::shape<1, 1, 2, 2>> gp{{{{1, 2}, {3, 4}}}};
  auto [dxp] = pullback_p(gp);
  double want_p[] = {0, 3, 0, 0, 0, 3, 4, 0};  // row 1: 5 wins {pad, 0, 5}, the first 7 {5, 7, 7}
  mgt::check_close(dxp, want_p, 0, 0, "padded max_pool2d vjp with a NaN");
}

TEST_CASE("max_pool2d: overlapping rectangular windows without padding pass finite differences") {
  auto x = mgt::random<mg::shape<2, 3, 7, 6>>(3);
  static constexpr mg::pool2d_params p{.kernel = {3, 2}, .stride = {2, 1}};
  static_assert(std::same_as<mg::shape_t<decltype(mg::max_pool2d<p>(x))>, mg::shape<2, 3, 3, 5>>);
  mgt::check_grads([](auto x) { return mg::max_pool2d<p>(x); }, x);
}

TEST_CASE("pool2d: rectangular windows and second order pass finite differences") {
  auto x = mgt::random<mg::shape<2, 2, 5, 6>>(1);
  static constexpr mg::pool2d_params p{.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 0}};
  static_assert(std::same_as<mg::shape_t<decltype(mg::max_pool2d<p>(x))>, mg::shape<2, 2, 3, 5>>);
  mgt::check_grads([](auto x) { return mg::max_pool2d<p>(x); }, x);
  mgt::check_grads([](auto x) { return mg::avg_pool2d<p>(mg::tanh(x)); }, x);
  // Second order: derivatives of max_pool2d_grad / avg_pool2d_grad (and the gather).
  auto small = mgt::random<mg::shape<1, 2, 4, 4>>(2);
  auto loss = [](auto x) {
    return mg::sum(mg::tanh(mg::max_pool2d<2>(x * x))) +
           mg::sum(mg::tanh(mg::avg_pool2d<3, 1, 1>(x * x)));
  };
  mgt::check_grads([&](auto x) { return mg::grad(loss)(x); }, small);
}

TEST_CASE("pool2d: dyn extents and run-time shape errors") {
  namespace r = ref::avg_pool2d_pad;
  mg::tensor<double, mg::shape<mg::dyn, 2, mg::dyn, 7>> x(mg::extents<4>{{1, 2, 7, 7}});
  std::copy(std::begin(r::x), std::end(r::x), x.data());
  auto y = mg::avg_pool2d<3, 2, 1>(x);
  static_assert(std::same_as<mg::shape_t<decltype(y)>, mg::shape<mg::dyn, 2, mg::dyn, 4>>);
  mgt::check_close(mg::eval(y), r::out, 1e-12, 1e-12, "dyn avg_pool2d");
  auto cot = from<mg::shape<1, 2, 4, 4>>(r::cot);
  auto dx = mg::grad([&](auto x) { return mg::sum(mg::avg_pool2d<3, 2, 1>(x) * cot); })(x);
  mgt::check_close(dx, r::grad_x, 1e-12, 1e-12, "dyn avg_pool2d grad");
  auto m = mg::grad([](auto x) { return mg::sum(mg::max_pool2d<2>(x)); })(x);
  CHECK(m.shape() == x.shape());

  mg::tensor<double, mg::shape<1, 1, mg::dyn, 4>> tiny(mg::extents<4>{{1, 1, 1, 4}});
  CHECK_THROWS_WITH_AS(mg::max_pool2d<3>(tiny),
                       "max_pool2d: kernel larger than padded input; input [1, 1, 1, 4], kernel "
                       "(3,3), padding (0,0)",
                       mg::shape_error);
  CHECK_THROWS_WITH_AS(mg::avg_pool2d<2>(tiny),
                       doctest::Contains("avg_pool2d: kernel larger than padded input"),
                       mg::shape_error);
  CHECK_NOTHROW(mg::avg_pool2d<3, 1, 1>(tiny));
}

TEST_CASE("pooling split among threads gives one thread's values") {
  // LeNet's first pool: (32, 6, 28, 28), 2x2 windows; and a padded 3x3 one, stride 2. Planes are
  // split among threads (detail::item_threads); each is computed as on one thread.
  using X = mg::shape<32, 6, 28, 28>;
  auto x = mgt::random<X, float>(31);
  auto run = [&] {
    auto max2 = mg::eval(mg::max_pool2d<2>(x));
    auto max3 = mg::eval(mg::max_pool2d<3, 2, 1>(x));
    auto avg3 = mg::eval(mg::avg_pool2d<3, 2, 1>(x));
    auto loss = [](auto x) {
      return mg::sum(mg::square(mg::max_pool2d<2>(x))) + mg::sum(mg::max_pool2d<3, 2, 1>(x)) +
             mg::sum(mg::square(mg::avg_pool2d<3, 2, 1>(x))) +
             mg::sum(mg::square(mg::avg_pool2d<2>(x)));
    };
    auto [y, tangent] =  // the tangent of a max pool gathers at the maxima
        mg::jvp([](auto x) { return mg::max_pool2d<2>(x); }, std::tuple{x}, std::tuple{x * x});
    return std::tuple{max2, max3, avg3, mg::grad(loss)(x), tangent};
  };
  int const before = mg::num_threads();
  mg::set_num_threads(1);
  auto one = run();
  mg::set_num_threads(2);
  CHECK(mg::detail::item_threads(32 * 6, X::static_size, mg::detail::parallel_min_elements) ==
        (METAGRAD_HAS_OPENMP ? 2 : 1));
  auto two = run();
  mg::set_num_threads(before);
  CHECK(mgt::same_bits(std::get<0>(one), std::get<0>(two)));
  CHECK(mgt::same_bits(std::get<1>(one), std::get<1>(two)));
  CHECK(mgt::same_bits(std::get<2>(one), std::get<2>(two)));
  CHECK(mgt::same_bits(std::get<3>(one), std::get<3>(two)));
  CHECK(mgt::same_bits(std::get<4>(one), std::get<4>(two)));
}
