// The fused elementwise loop: a chain of the elementwise ops (one loop, Eigen's vectorised float
// functions) in float against the same chain in double; the split among threads; reductions and
// masks at every length against plain loops.
#include <cmath>
#include <utility>

#include "support/check.hpp"

namespace mg = metagrad;

TEST_CASE("a fused chain of elementwise ops in float matches double") {
  using S = mg::shape<4, 37>;  // not a multiple of the SIMD width: the tail is exercised too
  auto xd = mgt::random<S>(5, -3, 3);
  mg::tensor<float, S> xf;
  for (mg::index_t i = 0; i < xd.size(); ++i) xf.data()[i] = static_cast<float>(xd.data()[i]);
  auto f = [](auto x) {
    auto r = mg::rsqrt(mg::abs(x) + 1);
    return mg::softplus(mg::sin(x) * mg::gelu(x)) + mg::sqrt(mg::abs(x) + 1) -
           mg::pow(mg::clamp(x, -0.5, 0.5), 2.0) + mg::where(x > 0, mg::leaky_relu(x), mg::cos(x)) +
           mg::maximum(x, r) * mg::minimum(x, -r) + mg::gelu(x, mg::gelu_approximation::tanh) +
           mg::pow(mg::abs(x) + 0.5, mg::tanh(x));
  };
  mgt::check_close(mg::eval(f(xf)), mg::eval(f(xd)), 1e-5, 1e-5, "float value");
  auto sum_f = [&](auto x) { return mg::sum(f(x)); };
  mgt::check_close(mg::grad(sum_f)(xf), mg::grad(sum_f)(xd), 1e-4, 1e-4, "float gradient");
}

TEST_CASE("a fused loop split among threads gives one thread's values") {
  // relu(x + b) over (32, 3, 40, 40) with b over channels: 96 blocks of 1600 elements, split by
  // blocks; x * y - z over 200003 elements: one block, split within it (not a multiple of 64).
  using X = mg::shape<32, 3, 40, 40>;
  auto x = mgt::random<X, float>(21);
  auto b = mgt::random<mg::shape<3, 1, 1>, float>(22);
  using V = mg::shape<200003>;
  auto u = mgt::random<V, float>(23), v = mgt::random<V, float>(24), w = mgt::random<V, float>(25);
  auto blocks = [&] { return mg::eval(mg::relu(x + b)); };
  auto flat = [&] { return mg::eval(u * v - w); };
  auto costly = [&] { return mg::eval(mg::tanh(u) * mg::tanh(u) + v); };  // memos: one thread
  int const before = mg::num_threads();
  mg::set_num_threads(1);
  auto b1 = blocks();
  auto f1 = flat();
  auto c1 = costly();
  mg::set_num_threads(2);
  CHECK(mg::detail::item_threads(32 * 3, X::static_size, mg::detail::parallel_min_elements) ==
        (METAGRAD_HAS_OPENMP ? 2 : 1));
  CHECK(mg::detail::item_threads(200003 / 64, 200003, mg::detail::parallel_min_elements) ==
        (METAGRAD_HAS_OPENMP ? 2 : 1));
  auto b2 = blocks();
  auto f2 = flat();
  auto c2 = costly();
  mg::set_num_threads(before);
  CHECK(mgt::same_bits(b1, b2));
  CHECK(mgt::same_bits(f1, f2));
  CHECK(mgt::same_bits(c1, c2));
  // And the values themselves, element by element.
  for (mg::index_t i = 0; i < X::static_size; ++i)
    REQUIRE(b2.data()[i] == std::max(0.0f, x.data()[i] + b.data()[(i / 1600) % 3]));
  for (mg::index_t i = 0; i < V::static_size; ++i)
    REQUIRE(std::abs(f2.data()[i] - (u.data()[i] * v.data()[i] - w.data()[i])) <= 1e-6f);
}

// The fused loop computes whole SIMD packets, then the tail value by value; a reduction keeps two
// packet accumulators. Every length from 1 to 70 (static and dyn) crosses each of those paths.
TEST_CASE("fused reductions and comparisons agree with a plain loop at every length") {
  auto const data = mgt::random<mg::shape<70>, float>(31, -4, 4);
  auto run = [&](auto x, int n) {
    CAPTURE(n);
    double sum = 0;
    float hi = -INFINITY, lo = INFINITY;
    for (int i = 0; i < n; ++i) {
      float const v = std::tanh(data.data()[i]) * 2.0f;
      sum += v, hi = std::max(hi, v), lo = std::min(lo, v);
    }
    auto y = mg::tanh(x) * 2.0f;
    CHECK(mg::eval(mg::sum(y)).item() == doctest::Approx(sum).epsilon(1e-5));
    CHECK(mg::eval(mg::max(y)).item() == doctest::Approx(hi).epsilon(1e-6));
    CHECK(mg::eval(mg::min(y)).item() == doctest::Approx(lo).epsilon(1e-6));
    // Comparisons and where give exact masks: 1 or 0, and the branch taken.
    auto m = mg::eval((x > 0.5f) + (x <= -1.0f) * 2.0f + mg::equal(x, x) * 4.0f +
                      mg::not_equal(x, 0.25f) * 8.0f +
                      mg::where(x < 0.0f, mg::leaky_relu(x, 0.5), x * 3.0f) * 16.0f);
    for (int i = 0; i < n; ++i) {
      float const v = data.data()[i];
      float const want = float(v > 0.5f) + float(v <= -1.0f) * 2.0f + 4.0f + 8.0f +
                         (v < 0.0f ? v * 0.5f : v * 3.0f) * 16.0f;
      REQUIRE(m.data()[i] == want);
    }
  };
  [&]<int... N>(std::integer_sequence<int, N...>) {
    (run(mg::tensor_view<float, mg::shape<N + 1>>(data.data()), N + 1), ...);
  }
  (std::make_integer_sequence<int, 70>{});
  for (int n = 1; n <= 70; ++n)
    run(mg::tensor_view<float, mg::shape<mg::dyn>>(data.data(), {n}), n);
}
