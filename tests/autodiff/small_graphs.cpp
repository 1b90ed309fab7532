// Small static graphs (eval/small.hpp, autodiff/small.hpp) against the general path: each function
// is evaluated and differentiated on tensors of static shapes (small: computed on the stack) and
// on dyn-shaped views of the same memory (the general path: trace, scratch, fused kernels), which
// must agree to rounding. Which path a graph takes is pinned with static_asserts.
#include "support/check.hpp"

namespace mg = metagrad;
using mg::dyn;
using mg::shape;

namespace {

template <class E>
constexpr bool small_graph = mg::detail::small::graph<E>;

/// The same memory as t, with every extent dyn but its 1s (only static 1s broadcast): what the
/// general path gets.
template <class T, class S>
auto dyn_view(mg::tensor<T, S> const& t) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return mg::tensor_view<T, shape<(S::dims[I] == 1 ? 1 : dyn)...>>(t.data(), t.shape());
  }
  (std::make_index_sequence<S::rank>{});
}

/// value_and_grad of f w.r.t. all of args, small (static) against general (dyn views).
template <class F, class... S>
void check_against_general(F f, mg::tensor<double, S> const&... args) {
  static_assert(small_graph<decltype(f(mg::as_expr(args)...))>, "the static case must be small");
  static_assert(!small_graph<decltype(f(dyn_view(args)...))>, "the dyn case must not be");
  auto [v1, g1] = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return mg::value_and_grad<I...>(f)(args...);
  }
  (std::index_sequence_for<S...>{});
  auto [v2, g2] = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return mg::value_and_grad<I...>(f)(dyn_view(args)...);
  }
  (std::index_sequence_for<S...>{});
  CHECK(v1.item() == doctest::Approx(v2.item()).epsilon(1e-12));
  auto const y1 = mg::eval(f(mg::as_expr(args)...));
  CHECK(y1.item() == doctest::Approx(v2.item()).epsilon(1e-12));
  if constexpr (sizeof...(S) == 1) {
    mgt::check_close(g1, g2.data(), g2.size(), 1e-12, 1e-13, "gradient");
  } else {
    mg::detail::static_for<sizeof...(S)>([&](auto i) {
      auto const& a = std::get<i>(g1);
      auto const& b = std::get<i>(g2);
      mgt::check_close(a, b.data(), b.size(), 1e-12, 1e-13, "gradient " + std::to_string(i));
    });
  }

  // Forward mode along random tangents: small against general, and against the gradients
  // (f's derivative along t is the sum over the arguments of <gradient, t>).
  auto const tans = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple{mgt::random<S>(100 + unsigned(I))...};
  }
  (std::index_sequence_for<S...>{});
  auto [y3, dy3] = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return mg::jvp(f, std::forward_as_tuple(args...), std::forward_as_tuple(std::get<I>(tans)...));
  }
  (std::index_sequence_for<S...>{});
  auto [y4, dy4] = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return mg::jvp(f, std::tuple{dyn_view(args)...}, std::tuple{dyn_view(std::get<I>(tans))...});
  }
  (std::index_sequence_for<S...>{});
  CHECK(y3.item() == doctest::Approx(v2.item()).epsilon(1e-12));
  CHECK(dy3.item() == doctest::Approx(dy4.item()).epsilon(1e-12));
  double along = 0;
  mg::detail::static_for<sizeof...(S)>([&](auto i) {
    auto const& g = [&]() -> auto const& {
      if constexpr (sizeof...(S) == 1)
        return g1;
      else
        return std::get<i>(g1);
    }
    ();
    for (mg::index_t k = 0; k < g.size(); ++k) along += g.data()[k] * std::get<i>(tans).data()[k];
  });
  CHECK(dy3.item() == doctest::Approx(along).epsilon(1e-10));
  if constexpr (sizeof...(S) == 1) {
    // Forward over reverse: the Hessian along the tangent.
    auto const& a = (args, ...);
    auto h1 = mg::hvp(f, a, std::get<0>(tans));
    auto h2 = mg::hvp(f, dyn_view(a), dyn_view(std::get<0>(tans)));
    mgt::check_close(h1, h2.data(), h2.size(), 1e-12, 1e-13, "Hessian-vector product");
  }
}

}  // namespace

TEST_CASE("small graphs: the OR-gate network's loss and gradients match the general path") {
  auto x = mgt::from<shape<3, 2>>({0., 0., 0., 1., 1., 0.});
  auto y = mgt::from<shape<3, 1>>({0., 1., 1.});
  auto loss = [&](auto const& w1, auto const& b1, auto const& w2, auto const& b2) {
    auto h = mg::sigmoid(mg::matmul(x, w1) + b1);
    auto p = mg::sigmoid(mg::matmul(h, w2) + b2);
    return mg::mean(mg::square(p - y));
  };
  check_against_general(loss, mgt::random<shape<2, 2>>(1), mgt::random<shape<2>>(2),
                        mgt::random<shape<2, 1>>(3), mgt::random<shape<1>>(4));
}

TEST_CASE("small graphs: broadcasting, reductions over chosen axes, products with transposes") {
  auto a = mgt::random<shape<2, 3>>(5);
  auto b = mgt::random<shape<3>>(6);
  auto c = mgt::random<shape<2, 1>>(7);
  auto d = mgt::random<shape<4, 3>>(8);
  SUBCASE("broadcast operands: (2,3) with (3) and (2,1)") {
    check_against_general(
        [](auto const& a, auto const& b, auto const& c) {
          return mg::sum(a * b + mg::exp(a) / (1.0 + mg::square(c)) - c * b);
        },
        a, b, c);
  }
  SUBCASE("sum, max and min over one axis, mean over all") {
    check_against_general(
        [](auto const& a) {
          return mg::sum(mg::max<1>(a) * mg::sum<1>(a)) + mg::mean(mg::min<0>(a) * mg::sum<0>(a));
        },
        a);
  }
  SUBCASE("matmul of a transposed operand, both sides") {
    check_against_general(
        [](auto const& a, auto const& d) {
          return mg::sum(mg::tanh(mg::matmul(a, mg::transpose(d)))) +
                 mg::sum(mg::matmul(mg::transpose(a), a));
        },
        a, d);
  }
  SUBCASE("reshape, and an argument used three times") {
    check_against_general(
        [](auto const& a, auto const& b) {
          return mg::sum(mg::square(mg::reshape<shape<3, 2>>(a)) * a.ext[0] +
                         mg::reshape<shape<3, 2>>(a * b));
        },
        a, b);
  }
  SUBCASE("permute, slice and concat, and their transposes in the reverse pass") {
    auto e = mgt::random<shape<2, 3, 2>>(16);
    check_against_general(
        [](auto const& a, auto const& e) {
          auto p = mg::permute<2, 0, 1>(e);                        // (2,2,3)
          auto s = mg::slice<2, 0, 3, 2>(p);                       // (2,2,2)
          auto c = mg::concat<0>(a, mg::sin(mg::slice<0, 1>(a)));  // (3,3)
          return mg::sum(mg::tanh(s) * mg::slice<0, 0, 2>(mg::transpose(a))) +
                 mg::sum(mg::square(mg::slice<1, 0, 2>(c)) * mg::slice<1, 1, 8>(c)) +
                 mg::mean(mg::concat<0>(mg::exp(e), e));
        },
        a, e);
  }
  SUBCASE("batched matmul, batch axes broadcast") {
    auto p = mgt::random<shape<2, 1, 3, 2>>(17);
    auto q = mgt::random<shape<3, 2, 3>>(18);
    auto r = mgt::random<shape<2, 2>>(19);
    check_against_general(
        [](auto const& p, auto const& q, auto const& r) {
          auto pq = mg::matmul(p, q);  // (2,1,3,2) x (3,2,3) => (2,3,3,3)
          return mg::sum(mg::sigmoid(pq)) + mg::sum(mg::square(mg::matmul(p, r))) +
                 mg::sum(mg::matmul(mg::transpose(q), mg::transpose(p)));
        },
        p, q, r);
  }
  SUBCASE("stop_gradient: its argument's value, no cotangent through it") {
    check_against_general(
        [](auto const& a, auto const& b) {
          return mg::sum(mg::square(a) * mg::stop_gradient(a * b) + mg::stop_gradient(b));
        },
        a, b);
  }
  SUBCASE("elementwise functions") {
    check_against_general(
        [](auto const& a, auto const& b) {
          auto u = mg::where(a > 0.0, a, 0.1 * a) + mg::maximum(a, b) + mg::clamp(a, -0.5, 0.5);
          auto v = mg::relu(a) + mg::softplus(a) + mg::sqrt(1.0 + mg::square(a)) +
                   mg::log1p(mg::square(b)) + mg::gelu(a) + mg::abs(a - b);
          return mg::mean(u * v);
        },
        a, b);
  }
}

TEST_CASE("small graphs: gradients against finite differences") {
  mgt::check_grads(
      [](auto const& a, auto const& w) { return mg::sum(mg::sigmoid(mg::matmul(a, w)) * 3.0); },
      mgt::random<shape<2, 3>>(9), mgt::random<shape<3, 3>>(10));
}

template <int N, class X>
auto tanh_chain(X const& x) {
  if constexpr (N == 0)
    return x;
  else
    return tanh_chain<N - 1>(mg::tanh(x));
}

TEST_CASE("small graphs: which graphs are small") {
  using v23 = mg::tensor_view<float, shape<2, 3>>;
  using v33 = mg::tensor_view<float, shape<3, 3>>;
  using big = mg::tensor_view<float, shape<16, 16>>;
  using vdyn = mg::tensor_view<float, shape<dyn, 3>>;
  static_assert(small_graph<decltype(mg::sum(mg::matmul(v23{}, v33{})))>);
  static_assert(!small_graph<decltype(mg::sum(big{}))>, "a node over 64 values");
  static_assert(!small_graph<decltype(mg::sum(vdyn{}))>, "a dyn extent");
  static_assert(small_graph<decltype(mg::sum(mg::transpose(v23{})))>);
  using v1144 = mg::tensor_view<float, shape<1, 1, 4, 4>>;
  static_assert(!small_graph<decltype(mg::sum(mg::max_pool2d<2>(v1144{})))>,
                "max_pool2d: no small kernel");
  static_assert(!small_graph<decltype(mg::sum(mg::share(v23{} * 2.0f)))>, "a shared value");
  // 512 bytes per node of 8x8 doubles: 40 nodes fit max_stack_bytes (32 KiB), 70 do not.
  using v88 = mg::tensor_view<double, shape<8, 8>>;
  static_assert(small_graph<decltype(mg::sum(tanh_chain<40>(v88{})))>);
  static_assert(!small_graph<decltype(mg::sum(tanh_chain<70>(v88{})))>, "over max_stack_bytes");
}

TEST_CASE("small graphs: a graph with no small kernel for a node takes the general path") {
  auto a = mgt::random<shape<1, 1, 4, 4>>(11);
  auto c = mgt::random<shape<2, 2>>(12);
  auto f = [&](auto const& a) { return mg::sum(mg::tanh(mg::max_pool2d<2>(a * 2.0)) * c); };
  static_assert(!small_graph<decltype(f(mg::as_expr(a)))>);
  auto [v1, g1] = mg::value_and_grad(f)(a);
  auto [v2, g2] = mg::value_and_grad(f)(dyn_view(a));
  CHECK(v1.item() == doctest::Approx(v2.item()).epsilon(1e-12));
  mgt::check_close(g1, g2.data(), g2.size(), 1e-12, 1e-13, "gradient");
}

TEST_CASE("small graphs: eval_into a tensor read by its own expression, and unused arguments") {
  auto w = mgt::random<shape<2, 2>>(13);
  auto g = mgt::random<shape<2, 2>>(14);
  auto want = mg::eval(dyn_view(w) - 0.5 * dyn_view(g));
  mg::eval_into(w, w - 0.5 * g);
  mgt::check_close(w, want.data(), want.size(), 0, 0, "w - 0.5 g in place");
  // a product into one of its operands goes through an array first
  auto m = mgt::random<shape<2, 2>>(15);
  auto prod = mg::eval(mg::matmul(dyn_view(m), dyn_view(g)));
  mg::eval_into(m, mg::matmul(m, g));
  mgt::check_close(m, prod.data(), prod.size(), 1e-15, 1e-15, "m = m g");

  auto [v, grads] = mg::value_and_grad<0, 1>(
      [](auto const& a, auto const&) { return mg::sum(mg::square(a)); })(w, g);
  CHECK(v.item() > 0);
  for (mg::index_t i = 0; i < 4; ++i) {
    CHECK(std::get<0>(grads).data()[i] == doctest::Approx(2 * w.data()[i]));
    CHECK(std::get<1>(grads).data()[i] == 0.0);
  }
  auto only = mg::grad([](auto const& a) { return mg::sum(mg::exp(a)); })(w);
  for (mg::index_t i = 0; i < 4; ++i)
    CHECK(only.data()[i] == doctest::Approx(std::exp(w.data()[i])));
}
