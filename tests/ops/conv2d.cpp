// conv2d: values and derivatives against PyTorch (stride, padding, dilation, groups) and finite
// differences, second order through the derivative primitives, dyn batch and run-time errors.
#include "reference/conv.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using mgt::shape_of;

// One PyTorch case: conv2d(x, w, b) with the case's stride, padding, dilation and groups.
#define CONV2D_REFERENCE_CASE(NAME)                                                              \
  TEST_CASE(#NAME ": value, vjp and jvp match PyTorch") {                                        \
    namespace r = ref::NAME;                                                                     \
    using X = shape_of<r::x_shape>;                                                              \
    using W = shape_of<r::w_shape>;                                                              \
    using B = shape_of<r::b_shape>;                                                              \
    using O = shape_of<r::out_shape>;                                                            \
    static constexpr mg::conv2d_params p{r::stride, r::padding, r::dilation, r::groups};         \
    auto f = [](auto x, auto w, auto b) { return mg::conv2d<p>(x, w, b); };                      \
    static_assert(                                                                               \
        std::same_as<mg::shape_t<decltype(f(from<X>(r::x), from<W>(r::w), from<B>(r::b)))>, O>); \
    mgt::check_reference(f, std::tuple{from<X>(r::x), from<W>(r::w), from<B>(r::b)}, r::out,     \
                         from<O>(r::cot),                                                        \
                         std::tuple{from<X>(r::tan_x), from<W>(r::tan_w), from<B>(r::tan_b)},    \
                         r::jvp_out, r::grad_x, r::grad_w, r::grad_b);                           \
  }

CONV2D_REFERENCE_CASE(conv2d_basic)
CONV2D_REFERENCE_CASE(conv2d_stride_pad)
CONV2D_REFERENCE_CASE(conv2d_dilation)
CONV2D_REFERENCE_CASE(conv2d_groups)

TEST_CASE("conv2d: the numeric-parameter form and float") {
  namespace r = ref::conv2d_stride_pad;
  using X = shape_of<r::x_shape>;
  using W = shape_of<r::w_shape>;
  auto x = from<X>(r::x);
  auto w = from<W>(r::w);
  auto b = from<shape_of<r::b_shape>>(r::b);
  mgt::check_close(mg::eval(mg::conv2d<2, 1>(x, w, b)), r::out, 1e-12, 1e-12, "conv2d<2, 1>");
  mgt::check_close(mg::eval(mg::conv2d<mg::conv2d_params{.stride = 2, .padding = 1}>(x, w) +
                            mg::reshape<mg::shape<3, 1, 1>>(b)),
                   r::out, 1e-12, 1e-12, "conv2d<params> without bias, plus bias");
  auto xf = from<X, float>(r::x);
  auto wf = from<W, float>(r::w);
  auto bf = from<shape_of<r::b_shape>, float>(r::b);
  mgt::check_close(mg::eval(mg::conv2d<2, 1>(xf, wf, bf)), r::out, 1e-5, 1e-5, "float conv2d");
}

TEST_CASE("conv2d: rectangular parameters, 1x1 kernels and groups pass finite differences") {
  auto x = mgt::random<mg::shape<2, 4, 5, 6>>(1);
  auto w = mgt::random<mg::shape<6, 2, 3, 2>>(2);
  auto b = mgt::random<mg::shape<6>>(3);
  static constexpr mg::conv2d_params p{
      .stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  auto y = mg::conv2d<p>(x, w, b);
  static_assert(std::same_as<mg::shape_t<decltype(y)>, mg::shape<2, 6, 3, 4>>);
  mgt::check_grads([](auto x, auto w, auto b) { return mg::conv2d<p>(x, w, b); }, x, w, b);
  // A 1x1 kernel, stride 1, no padding: the GEMM reads x directly (no col buffer).
  auto w1 = mgt::random<mg::shape<3, 4, 1, 1>>(4);
  mgt::check_grads([](auto x, auto w) { return mg::tanh(mg::conv2d(x, w)); }, x, w1);
  // ...and with a stride, the general path: same values at the strided positions.
  auto y1 = mg::eval(mg::conv2d(x, w1));
  auto y2 = mg::eval(mg::conv2d<2>(x, w1));
  static_assert(std::same_as<typename decltype(y2)::shape_type, mg::shape<2, 3, 3, 3>>);
  for (mg::index_t n = 0; n < 2; ++n)
    for (mg::index_t o = 0; o < 3; ++o)
      for (mg::index_t i = 0; i < 3; ++i)
        for (mg::index_t j = 0; j < 3; ++j)
          CHECK(y2.data()[((n * 3 + o) * 3 + i) * 3 + j] ==
                doctest::Approx(y1.data()[((n * 3 + o) * 5 + 2 * i) * 6 + 2 * j]));
}

TEST_CASE("conv2d: second order through conv2d_input_grad and conv2d_weight_grad") {
  auto x = mgt::random<mg::shape<1, 2, 5, 5>>(5);
  auto w = mgt::random<mg::shape<2, 2, 3, 3>>(6);
  auto loss = [](auto x, auto w) { return mg::sum(mg::tanh(mg::conv2d<2, 1>(x, w))); };
  mgt::check_grads([&](auto x, auto w) { return mg::grad<0>(loss)(x, w); }, x, w);
  mgt::check_grads([&](auto x, auto w) { return mg::grad<1>(loss)(x, w); }, x, w);
}

TEST_CASE("conv2d: dyn batch and run-time shape errors") {
  using XD = mg::shape<mg::dyn, 3, 6, 6>;
  namespace r = ref::conv2d_basic;
  mg::tensor<double, XD> x(mg::extents<4>{{2, 3, 6, 6}});
  std::copy(std::begin(r::x), std::end(r::x), x.data());
  auto w = from<mg::shape<4, 3, 3, 3>>(r::w);
  auto b = from<mg::shape<4>>(r::b);
  auto y = mg::conv2d(x, w, b);
  static_assert(std::same_as<mg::shape_t<decltype(y)>, mg::shape<mg::dyn, 4, 4, 4>>);
  mgt::check_close(mg::eval(y), r::out, 1e-12, 1e-12, "dyn batch conv2d");
  auto cot = from<mg::shape<2, 4, 4, 4>>(r::cot);
  auto [dx, dw, db] = mg::grad<0, 1, 2>(
      [&](auto x, auto w, auto b) { return mg::sum(mg::conv2d(x, w, b) * cot); })(x, w, b);
  CHECK(dx.shape() == mg::extents<4>{{2, 3, 6, 6}});
  mgt::check_close(dx, r::grad_x, 1e-10, 1e-12, "dyn batch grad x");
  mgt::check_close(dw, r::grad_w, 1e-10, 1e-12, "dyn batch grad w");
  mgt::check_close(db, r::grad_b, 1e-10, 1e-12, "dyn batch grad b");

  mg::tensor<double, mg::shape<1, mg::dyn, 6, 6>> c(mg::extents<4>{{1, 2, 6, 6}});
  CHECK_THROWS_WITH_AS(mg::conv2d(c, w),
                       "conv2d: input channels differ from weight's in-channels times groups: "
                       "[1, 2, 6, 6] with weight [4, 3, 3, 3]",
                       mg::shape_error);
  mg::tensor<double, mg::shape<1, 3, mg::dyn, 6>> small(mg::extents<4>{{1, 3, 2, 6}});
  CHECK_THROWS_WITH_AS(mg::conv2d(small, w),
                       doctest::Contains("conv2d: kernel larger than padded input"),
                       mg::shape_error);
  CHECK_NOTHROW(mg::conv2d<1, 1>(small, w));
  mg::tensor<double, mg::shape<mg::dyn>> b5(mg::extents<1>{{5}});
  CHECK_THROWS_WITH_AS(mg::conv2d(x, w, b5),
                       doctest::Contains("conv2d: bias length differs from weight's out-channels"),
                       mg::shape_error);
  mg::tensor<double, mg::shape<mg::dyn, 2, 3, 3>> wg(mg::extents<4>{{3, 2, 3, 3}});
  mg::tensor<double, mg::shape<1, 4, 6, 6>> x4;
  CHECK_THROWS_WITH_AS(
      (mg::conv2d<1, 0, 1, 2>(x4, wg)),
      doctest::Contains("conv2d: weight's out-channels must be divisible by groups"),
      mg::shape_error);
}

TEST_CASE("conv2d: a batch split among threads gives one thread's values") {
  // 7 images of 3x16x16 through 8 filters of 3x3, padding 1: 7 * 8 * 27 * 256 multiply-adds,
  // enough to split the batch (detail::item_threads); 7 images split unevenly (3 and 4).
  auto x = mgt::random<mg::shape<7, 3, 16, 16>>(11);
  auto w = mgt::random<mg::shape<8, 3, 3, 3>>(12);
  auto cot = mgt::random<mg::shape<7, 8, 16, 16>>(13);
  auto loss = [&](auto x, auto w) { return mg::sum(mg::conv2d<1, 1>(x, w) * cot); };
  int const before = mg::num_threads();
  mg::set_num_threads(1);
  auto y1 = mg::eval(mg::conv2d<1, 1>(x, w));
  auto [dx1, dw1] = mg::grad<0, 1>(loss)(x, w);
  mg::set_num_threads(2);
  CHECK(mg::detail::item_threads(7, 7 * 8 * 27 * 256) == (METAGRAD_HAS_OPENMP ? 2 : 1));
  auto y2 = mg::eval(mg::conv2d<1, 1>(x, w));
  auto [dx2, dw2] = mg::grad<0, 1>(loss)(x, w);
  mg::set_num_threads(before);
  // Each image is computed as on one thread: the value and the input gradient are the same
  // bits; the weight gradient sums the threads' partial sums, in another order.
  CHECK(mgt::same_bits(y1, y2));
  CHECK(mgt::same_bits(dx1, dx2));
  mgt::check_close(dw2, dw1, 1e-12, 1e-12, "weight gradient on two threads");
}
