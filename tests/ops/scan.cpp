// scan: a recurrence over the time axis, h_t = Cell(h_{t-1}, xs[t], p...), against a loop written
// by hand; vjp and jvp against finite differences with T static and dyn; the reverse sweep runs
// once however many arguments are differentiated; shape errors at run time.
#include <metagrad/ops/scan.hpp>

#include "support/check.hpp"

namespace mg = metagrad;

namespace {
/// h' = tanh(x W + h U + b): W (D,C), U (C,C), b (C).
struct tanh_cell {
  template <class H, class X, class W, class U, class B>
  auto operator()(H const& h, X const& x, W const& w, U const& u, B const& b) const {
    return mg::tanh(mg::matmul(x, w) + mg::matmul(h, u) + b);
  }
};
/// A cell whose carry does not reach its output through x: h' = h * h + x (checks the carry's
/// cotangent path on its own).
struct square_cell {
  template <class H, class X>
  auto operator()(H const& h, X const& x) const {
    return h * h + x;
  }
};
/// A cell that reads a shared value several times: z = share(x W + h U), h' = tanh(z) * z + z.
struct shared_cell {
  template <class H, class X, class W, class U>
  auto operator()(H const& h, X const& x, W const& w, U const& u) const {
    auto z = mg::share(mg::matmul(x, w) + mg::matmul(h, u));
    return mg::tanh(z) * z + mg::sigmoid(z);
  }
};
/// A cell that multiplies by one weight twice: h' = tanh(h U + (h * h) U + x). Each step sends U
/// two products over the batch; the reverse sweep stacks the first over the steps and adds the
/// second itself (ops/scan.hpp, scan_stacks).
struct twice_cell {
  template <class H, class X, class U>
  auto operator()(H const& h, X const& x, U const& u) const {
    return mg::tanh(mg::matmul(h, u) + mg::matmul(h * h, u) + x);
  }
};
int square_cell_calls = 0;
/// Counts how often a step is built: the reverse sweep builds each step once.
struct counting_cell {
  template <class H, class X, class W>
  auto operator()(H const& h, X const& x, W const& w) const {
    ++square_cell_calls;
    return mg::tanh(h + mg::matmul(x, w));
  }
};
}  // namespace

TEST_CASE("scan: values equal a loop over the steps") {
  constexpr mg::index_t T = 5, B = 2, D = 3, C = 4;
  auto xs = mgt::random<mg::shape<T, B, D>>(1);
  auto h0 = mgt::random<mg::shape<B, C>>(2);
  auto w = mgt::random<mg::shape<D, C>>(3);
  auto u = mgt::random<mg::shape<C, C>>(4);
  auto b = mgt::random<mg::shape<C>>(5);
  auto ys = mg::eval(mg::scan<tanh_cell>(h0, xs, w, u, b));
  static_assert(std::is_same_v<mg::shape_t<decltype(ys)>, mg::shape<T, B, C>>);
  std::vector<double> h(h0.data(), h0.data() + B * C), n(B * C);
  for (mg::index_t t = 0; t < T; ++t) {
    for (mg::index_t i = 0; i < B; ++i)
      for (mg::index_t j = 0; j < C; ++j) {
        double s = b(j);
        for (mg::index_t k = 0; k < D; ++k) s += xs(t, i, k) * w(k, j);
        for (mg::index_t k = 0; k < C; ++k) s += h[i * C + k] * u(k, j);
        n[i * C + j] = std::tanh(s);
      }
    h = n;
    for (mg::index_t i = 0; i < B; ++i)
      for (mg::index_t j = 0; j < C; ++j)
        CHECK(ys(t, i, j) == doctest::Approx(h[i * C + j]).epsilon(1e-13));
  }
}

TEST_CASE("scan: gradients against finite differences, T static") {
  auto xs = mgt::random<mg::shape<4, 2, 3>>(1);
  auto h0 = mgt::random<mg::shape<2, 4>>(2);
  auto w = mgt::random<mg::shape<3, 4>>(3);
  auto u = mgt::random<mg::shape<4, 4>>(4);
  auto b = mgt::random<mg::shape<4>>(5);
  mgt::check_grads([](auto const& hh, auto const& xx, auto const& ww, auto const& uu,
                      auto const& bb) { return mg::scan<tanh_cell>(hh, xx, ww, uu, bb); },
                   h0, xs, w, u, b);
  auto s0 = mgt::random<mg::shape<2, 3>>(6, -0.5, 0.5);
  auto sx = mgt::random<mg::shape<3, 2, 3>>(7, -0.5, 0.5);
  mgt::check_grads([](auto const& hh, auto const& xx) { return mg::scan<square_cell>(hh, xx); }, s0,
                   sx);
}

TEST_CASE("scan: a weight's per-step products summed as one stacked product, read once or twice") {
  // tanh_cell's W and U cotangents are products over the batch: the sweep stacks them and runs
  // one GEMM after the last step; twice_cell sends U two per step.
  auto xs = mgt::random<mg::shape<5, 3, 4>>(41, -0.5, 0.5);
  auto h0 = mgt::random<mg::shape<3, 4>>(42, -0.5, 0.5);
  auto u = mgt::random<mg::shape<4, 4>>(43, -0.5, 0.5);
  mgt::check_grads([](auto const& hh, auto const& xx,
                      auto const& uu) { return mg::scan<twice_cell>(hh, xx, uu); },
                   h0, xs, u);
  // The stacked sum against the per-step sum written out: dU = sum_t (h_t-1)^T g_t with
  // g_t = (1 - y_t^2) * (dy_t + g_t+1 U^T), for the loss sum(ys).
  constexpr mg::index_t T = 5, B = 3, D = 4, C = 4;
  auto w = mgt::random<mg::shape<D, C>>(44, -0.5, 0.5);
  auto b = mgt::random<mg::shape<C>>(45, -0.5, 0.5);
  auto du = mg::grad<3>(
      [](auto const& hh, auto const& xx, auto const& ww, auto const& uu, auto const& bb) {
        return mg::sum(mg::scan<tanh_cell>(hh, xx, ww, uu, bb));
      })(h0, xs, w, u, b);
  auto ys = mg::eval(mg::scan<tanh_cell>(h0, xs, w, u, b));
  std::vector<double> want(C * C, 0.0), carry(B * C, 0.0);
  for (mg::index_t t = T; t-- > 0;) {
    std::vector<double> g(B * C);
    for (mg::index_t i = 0; i < B; ++i)
      for (mg::index_t j = 0; j < C; ++j) {
        double y = ys(t, i, j);
        g[i * C + j] = (1 - y * y) * (1 + carry[i * C + j]);
      }
    for (mg::index_t k = 0; k < C; ++k)
      for (mg::index_t j = 0; j < C; ++j)
        for (mg::index_t i = 0; i < B; ++i)
          want[k * C + j] += (t == 0 ? h0(i, k) : ys(t - 1, i, k)) * g[i * C + j];
    for (mg::index_t i = 0; i < B; ++i)
      for (mg::index_t k = 0; k < C; ++k) {
        double s = 0;
        for (mg::index_t j = 0; j < C; ++j) s += g[i * C + j] * u(k, j);
        carry[i * C + k] = s;
      }
  }
  for (mg::index_t k = 0; k < C; ++k)
    for (mg::index_t j = 0; j < C; ++j)
      CHECK(du(k, j) == doctest::Approx(want[k * C + j]).epsilon(1e-12));
}

TEST_CASE("scan: a cell with a shared value gets each step's tangent and cotangent") {
  // Each step's shared node may sit where the previous step's was: forward mode once reused step
  // 0's tangent for every later step (wrong from the second step on).
  auto xs = mgt::random<mg::shape<5, 2, 3>>(31, -0.5, 0.5);
  auto h0 = mgt::random<mg::shape<2, 4>>(32, -0.5, 0.5);
  auto w = mgt::random<mg::shape<3, 4>>(33, -0.5, 0.5);
  auto u = mgt::random<mg::shape<4, 4>>(34, -0.5, 0.5);
  mgt::check_grads([](auto const& hh, auto const& xx, auto const& ww,
                      auto const& uu) { return mg::scan<shared_cell>(hh, xx, ww, uu); },
                   h0, xs, w, u);
}

TEST_CASE("scan: gradients against finite differences, T dyn, and a sum of the steps") {
  using XS = mg::shape<mg::dyn, 2, 3>;
  for (mg::index_t steps : {1, 3, 6}) {
    mg::tensor<double, XS> xs(mg::extents<3>{{steps, 2, 3}});
    std::mt19937 gen(static_cast<unsigned>(steps));
    std::uniform_real_distribution<double> d(-1, 1);
    for (auto& v : xs) v = d(gen);
    auto h0 = mgt::random<mg::shape<2, 4>>(2);
    auto w = mgt::random<mg::shape<3, 4>>(3);
    auto u = mgt::random<mg::shape<4, 4>>(4);
    auto b = mgt::random<mg::shape<4>>(5);
    auto f = [](auto const& hh, auto const& xx, auto const& ww, auto const& uu, auto const& bb) {
      return mg::scan<tanh_cell>(hh, xx, ww, uu, bb);
    };
    static_assert(
        std::is_same_v<mg::shape_t<decltype(f(h0, xs, w, u, b))>, mg::shape<mg::dyn, 2, 4>>);
    CHECK(mg::eval(f(h0, xs, w, u, b)).shape() == mg::extents<3>{{steps, 2, 4}});
    mgt::check_grads(f, h0, xs, w, u, b);
  }
}

TEST_CASE("scan: one reverse sweep for all arguments") {
  auto xs = mgt::random<mg::shape<6, 2, 3>>(1);
  auto h0 = mgt::random<mg::shape<2, 4>>(2);
  auto w = mgt::random<mg::shape<3, 4>>(3);
  auto loss = [](auto const& hh, auto const& xx, auto const& ww) {
    return mg::sum(mg::square(mg::scan<counting_cell>(hh, xx, ww)));
  };
  square_cell_calls = 0;
  auto g = mg::grad<0, 1, 2>(loss)(h0, xs, w);
  // 6 steps forward, 6 replayed by the one reverse sweep (plus the shape check's one build in
  // an unevaluated context, which does not run); three arguments do not triple the sweep.
  CHECK(square_cell_calls == 12);
  CHECK(std::get<2>(g).size() == 12);
}

TEST_CASE("scan: inside grad, the reverse sweep takes each step's values from the forward") {
  auto xs = mgt::random<mg::shape<6, 2, 3>>(1);
  auto h0 = mgt::random<mg::shape<2, 4>>(2);
  auto w = mgt::random<mg::shape<3, 4>>(3);
  auto u = mgt::random<mg::shape<4, 4>>(4);
  auto b = mgt::random<mg::shape<4>>(5);
  auto& r = mg::detail::residuals::local();
  auto loss = [](auto const& hh, auto const& xx, auto const& ww, auto const& uu, auto const& bb) {
    return mg::sum(mg::square(mg::scan<tanh_cell>(hh, xx, ww, uu, bb)));
  };
  auto taken = r.taken, mismatched = r.mismatched;
  auto [value, g] = mg::value_and_grad<0, 1, 2, 3, 4>(loss)(h0, xs, w, u, b);
  // Each step's two products (x W and h U) and its tanh were recorded by the forward and taken
  // by the sweep.
  CHECK(r.taken - taken == 6 * 3);
  CHECK(r.mismatched == mismatched);
  // The frame is gone with the transformation: nothing recorded stays.
  CHECK(r.values.empty());
  CHECK(r.recordings.empty());
  CHECK_FALSE(r.open);
  // Not inside a reverse-mode transformation: nothing is recorded, and a vjp's pullback (which
  // traces the forward again) records and replays like grad.
  auto ys = mg::eval(mg::scan<tanh_cell>(h0, xs, w, u, b));
  CHECK(r.values.empty());
  taken = r.taken;
  auto [y, pullback] =
      mg::vjp([](auto const& hh, auto const& xx, auto const& ww, auto const& uu,
                 auto const& bb) { return mg::scan<tanh_cell>(hh, xx, ww, uu, bb); },
              h0, xs, w, u, b);
  mgt::check_close(y, ys, 0, 0, "vjp's value is eval's");
  auto cts = pullback(mg::eval(2.0 * ys));  // the cotangent of sum(square(ys))
  CHECK(r.taken - taken == 6 * 3);
  mgt::check_close(std::get<0>(cts), std::get<0>(g), 1e-14, 1e-14, "dh0");
  mgt::check_close(std::get<1>(cts), std::get<1>(g), 1e-14, 1e-14, "dxs");
  mgt::check_close(std::get<3>(cts), std::get<3>(g), 1e-14, 1e-14, "dU");
  CHECK(r.values.empty());
}

TEST_CASE("scan: run-time shape errors name the extents") {
  mg::tensor<double, mg::shape<mg::dyn, mg::dyn, 3>> xs(mg::extents<3>{{2, 5, 3}});
  auto h0 = mgt::random<mg::shape<2, 4>>(2);
  auto w = mgt::random<mg::shape<3, 4>>(3);
  auto u = mgt::random<mg::shape<4, 4>>(4);
  auto b = mgt::random<mg::shape<4>>(5);
  CHECK_THROWS_WITH_AS(mg::scan<tanh_cell>(h0, xs, w, u, b),
                       doctest::Contains("scan: the sequence's batch"), mg::shape_error);
}
