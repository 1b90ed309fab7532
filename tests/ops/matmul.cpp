// matmul: 2-D, batched, broadcast batch axes, vector operands (NumPy rules) against PyTorch and
// finite differences; dyn batch extents and the run-time inner-dimension error.
#include "reference/linalg.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

namespace {
auto const mm = [](auto a, auto b) { return mg::matmul(a, b); };

/// check_reference of matmul on a reference case's arrays (a, b, out, cot, tan_a, tan_b, jvp_out,
/// grad_a, grad_b).
template <class SA, class SB, class SO, class... A>
void matmul_reference(A const&... arr) {
  auto const& [a, b, out, cot, ta, tb, jvp_out, ga, gb] = std::tie(arr...);
  mgt::check_reference(mm, std::tuple{from<SA>(a), from<SB>(b)}, out, from<SO>(cot),
                       std::tuple{from<SA>(ta), from<SB>(tb)}, jvp_out, ga, gb);
}

}  // namespace

TEST_CASE("matmul 2-D matches PyTorch") {
  namespace r = ref::matmul_2d;
  matmul_reference<mg::shape<3, 4>, mg::shape<4, 5>, mg::shape<3, 5>>(
      r::a, r::b, r::out, r::cot, r::tan_a, r::tan_b, r::jvp_out, r::grad_a, r::grad_b);
}

TEST_CASE("matmul batched matches PyTorch") {
  namespace r = ref::matmul_batched;
  matmul_reference<mg::shape<2, 3, 4>, mg::shape<2, 4, 5>, mg::shape<2, 3, 5>>(
      r::a, r::b, r::out, r::cot, r::tan_a, r::tan_b, r::jvp_out, r::grad_a, r::grad_b);
}

TEST_CASE("matmul with broadcast batch axes matches PyTorch") {
  namespace r = ref::matmul_bcast;
  matmul_reference<mg::shape<2, 1, 3, 4>, mg::shape<5, 4, 2>, mg::shape<2, 5, 3, 2>>(
      r::a, r::b, r::out, r::cot, r::tan_a, r::tan_b, r::jvp_out, r::grad_a, r::grad_b);
}

TEST_CASE("matmul with a vector operand matches PyTorch") {
  {
    namespace r = ref::matmul_vec_mat;
    matmul_reference<mg::shape<4>, mg::shape<4, 5>, mg::shape<5>>(
        r::a, r::b, r::out, r::cot, r::tan_a, r::tan_b, r::jvp_out, r::grad_a, r::grad_b);
  }
  {
    namespace r = ref::matmul_mat_vec;
    matmul_reference<mg::shape<3, 4>, mg::shape<4>, mg::shape<3>>(
        r::a, r::b, r::out, r::cot, r::tan_a, r::tan_b, r::jvp_out, r::grad_a, r::grad_b);
  }
}

TEST_CASE("matmul passes finite differences") {
  mgt::check_grads(mm, mgt::random<mg::shape<3, 4>>(1), mgt::random<mg::shape<4, 2>>(2));
  mgt::check_grads(mm, mgt::random<mg::shape<2, 3, 4>>(3), mgt::random<mg::shape<4, 2>>(4));
  mgt::check_grads(mm, mgt::random<mg::shape<3, 4>>(5), mgt::random<mg::shape<2, 4, 2>>(6));
  mgt::check_grads(mm, mgt::random<mg::shape<2, 1, 3, 4>>(7), mgt::random<mg::shape<3, 4, 2>>(8));
  mgt::check_grads(mm, mgt::random<mg::shape<4>>(9), mgt::random<mg::shape<2, 4, 3>>(10));
  mgt::check_grads(mm, mgt::random<mg::shape<2, 3, 4>>(11), mgt::random<mg::shape<4>>(12));
  mgt::check_grads(mm, mgt::random<mg::shape<4>>(13), mgt::random<mg::shape<4>>(14));
  // Transposed operands and a chain: the vjp rules use matmul_op<TA, TB>.
  mgt::check_grads(
      [](auto a, auto b) { return mg::tanh(mg::matmul(mg::transpose(a), mg::matmul(a, b))); },
      mgt::random<mg::shape<3, 4>>(15), mgt::random<mg::shape<4, 2>>(16));
  // A batched lhs and a 2-D rhs, plain and transposed (a dense layer on (B,T,D)): the rhs's
  // cotangent is one product over the lhs's rows folded.
  mgt::check_grads([](auto a, auto w) { return mg::matmul(a, mg::transpose(w)); },
                   mgt::random<mg::shape<2, 3, 4>>(19), mgt::random<mg::shape<5, 4>>(20));
  mgt::check_grads(mm, mgt::random<mg::shape<2, 2, 3, 4>>(21), mgt::random<mg::shape<4, 2>>(22));
  // A parameter read by two products: its second cotangent is added by a GEMM with beta = 1
  // (accumulate_into), for a plain and a batched lhs.
  mgt::check_grads([](auto a, auto w) { return mg::matmul(a, w) * mg::matmul(mg::tanh(a), w); },
                   mgt::random<mg::shape<3, 4>>(23), mgt::random<mg::shape<4, 2>>(24));
  mgt::check_grads([](auto a, auto w) { return mg::matmul(a, w) * mg::matmul(mg::tanh(a), w); },
                   mgt::random<mg::shape<2, 3, 4>>(25), mgt::random<mg::shape<4, 2>>(26));
  // Second order: grad of a scalar function of matmul.
  auto f = [](auto a, auto b) { return mg::sum(mg::tanh(mg::matmul(a, b))); };
  mgt::check_grads([&](auto a, auto b) { return mg::grad<1>(f)(a, b) * 1.0; },
                   mgt::random<mg::shape<2, 3>>(17), mgt::random<mg::shape<3, 2>>(18));
}

TEST_CASE("matmul with a dyn batch: (B,4) x (4,5) => (B,5)") {
  auto x = mgt::random<mg::shape<mg::dyn, 4>>(mg::extents<2>{{3, 4}}, 1);
  auto w = mgt::random<mg::shape<4, 5>>(2);
  auto y = mg::matmul(x, w);
  static_assert(std::same_as<mg::shape_t<decltype(y)>, mg::shape<mg::dyn, 5>>);
  auto v = mg::eval(y);
  CHECK(v.shape() == mg::extents<2>{{3, 5}});
  // The same rows as a static (3,4) operand.
  mg::tensor<double, mg::shape<3, 4>> xs;
  std::copy(x.begin(), x.end(), xs.begin());
  mgt::check_close(v, mg::eval(mg::matmul(xs, w)).data(), 15, 1e-14, 1e-14, "dyn batch value");
  auto [value, pullback] = mg::vjp(mm, x, w);
  auto ct = mgt::random<mg::shape<mg::dyn, 5>>(mg::extents<2>{{3, 5}}, 3);
  auto [gx, gw] = pullback(ct);
  mg::tensor<double, mg::shape<3, 5>> cs;
  std::copy(ct.begin(), ct.end(), cs.begin());
  auto [vs, pbs] = mg::vjp(mm, xs, w);
  auto [gxs, gws] = pbs(cs);
  CHECK(gx.shape() == x.shape());
  mgt::check_close(gx, gxs.data(), 12, 1e-14, 1e-14, "dyn batch grad x");
  mgt::check_close(gw, gws, 1e-14, 1e-14, "dyn batch grad w");
  // A dyn batch on both sides of a batched product: (B,2,4) x (B,4,3).
  auto a = mgt::random<mg::shape<mg::dyn, 2, 4>>(mg::extents<3>{{2, 2, 4}}, 4);
  auto b = mgt::random<mg::shape<mg::dyn, 4, 3>>(mg::extents<3>{{2, 4, 3}}, 5);
  CHECK(mg::eval(mg::matmul(a, b)).shape() == mg::extents<3>{{2, 2, 3}});
  // A dyn batch on the lhs of a 2-D rhs: (B,2,4) x (4,5), against the static (2,2,4).
  auto [va, pba] = mg::vjp(mm, a, w);
  auto ca = mgt::random<mg::shape<mg::dyn, 2, 5>>(mg::extents<3>{{2, 2, 5}}, 6);
  auto [ga, gwa] = pba(ca);
  mg::tensor<double, mg::shape<2, 2, 4>> as;
  mg::tensor<double, mg::shape<2, 2, 5>> cas;
  std::copy(a.begin(), a.end(), as.begin());
  std::copy(ca.begin(), ca.end(), cas.begin());
  auto [vas, pbas] = mg::vjp(mm, as, w);
  auto [gas, gwas] = pbas(cas);
  mgt::check_close(ga, gas.data(), 16, 1e-14, 1e-14, "dyn batched lhs grad a");
  mgt::check_close(gwa, gwas, 1e-14, 1e-14, "dyn batched lhs grad w");
}

TEST_CASE("matmul: inner extents that differ at run time throw shape_error") {
  auto w = mgt::random<mg::shape<4, 5>>(2);
  auto x = mgt::random<mg::shape<3, mg::dyn>>(mg::extents<2>{{3, 6}}, 1);
  CHECK_THROWS_WITH_AS(mg::matmul(x, w), doctest::Contains("matmul: inner dimensions differ"),
                       mg::shape_error);
  auto v = mgt::random<mg::shape<mg::dyn>>(mg::extents<1>{{3}}, 1);
  CHECK_THROWS_WITH_AS(mg::matmul(v, w), doctest::Contains("matmul: inner dimensions differ"),
                       mg::shape_error);
  CHECK_THROWS_WITH_AS(mg::matmul(w, v), doctest::Contains("matmul: inner dimensions differ"),
                       mg::shape_error);
  auto a = mgt::random<mg::shape<mg::dyn, 2, 4>>(mg::extents<3>{{2, 2, 4}}, 4);
  auto b = mgt::random<mg::shape<mg::dyn, 4, 3>>(mg::extents<3>{{3, 4, 3}}, 5);
  CHECK_THROWS_WITH_AS(mg::matmul(a, b), doctest::Contains("matmul"), mg::shape_error);
}

TEST_CASE("matmul of a transpose reads the operand transposed, without a copy") {
  auto x = mgt::random<mg::shape<3, 4>>(21);
  auto w = mgt::random<mg::shape<5, 4>>(22);  // (out,in), as a dense layer's weight
  auto y = mg::matmul(x, mg::transpose(w));   // (3,4) x (4,5) => (3,5)
  static_assert(std::same_as<typename decltype(y)::op_type, mg::matmul_op<false, true>>);
  auto wt = mg::eval(mg::transpose(w));
  mgt::check_close(mg::eval(y), mg::eval(mg::matmul(x, wt)), 1e-14, 1e-14, "x @ w^T");
  auto xt = mg::eval(mg::transpose(x));
  auto z = mg::matmul(mg::transpose(xt), mg::transpose(w));
  static_assert(std::same_as<typename decltype(z)::op_type, mg::matmul_op<true, true>>);
  mgt::check_close(mg::eval(z), mg::eval(mg::matmul(x, wt)), 1e-14, 1e-14, "xt^T @ w^T");
  mgt::check_grads([](auto a, auto b) { return mg::matmul(a, mg::transpose(b)); }, x, w);
  mgt::check_grads([](auto a, auto b) { return mg::matmul(mg::transpose(a), b); }, xt, wt);
  // Batched: (2,3,4) x transpose((5,4)).
  auto xb = mgt::random<mg::shape<2, 3, 4>>(23);
  mgt::check_grads([](auto a, auto b) { return mg::matmul(a, mg::transpose(b)); }, xb, w);
}

TEST_CASE("accumulate_into adds a product into memory, as dst + product") {
  auto a = mgt::random<mg::shape<2, 3, 4>>(27);
  auto b = mgt::random<mg::shape<4, 5>>(28);
  auto c = mgt::random<mg::shape<2, 3, 5>>(29);
  auto want = mg::eval(c + mg::matmul(a, b));
  mg::accumulate_into(c.data(), mg::matmul(a, b));
  mgt::check_close(c, want, 1e-14, 1e-14, "batched lhs, folded rows");
  auto d = mgt::random<mg::shape<4, 5>>(30);
  auto want_t = mg::eval(d + mg::matmul(mg::transpose(mgt::random<mg::shape<4, 4>>(31)), b));
  mg::accumulate_into(d.data(), mg::matmul(mg::transpose(mgt::random<mg::shape<4, 4>>(31)), b));
  mgt::check_close(d, want_t, 1e-14, 1e-14, "transposed lhs");
  // An elementwise expression: the fused dst + e.
  auto e = mgt::random<mg::shape<4, 5>>(32);
  auto want_e = mg::eval(e + mg::exp(b));
  mg::accumulate_into(e.data(), mg::exp(b));
  mgt::check_close(e, want_e, 1e-14, 1e-14, "elementwise");
}
