// take_along_axis (torch.gather) and take (index_select, embedding lookup): values and
// derivatives against PyTorch (repeated indices accumulate) and finite differences; integer
// index leaves; out-of-range indices and run-time shape errors.
#include "reference/shape_ops.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mg::index_t;
using mgt::from;

namespace {
template <class S, std::size_t N>
mg::tensor<index_t, S> indices(long const (&a)[N]) {
  return from<S, index_t>(a);
}
}  // namespace

TEST_CASE("take_along_axis / gather match torch.gather, with repeated indices") {
  namespace r = ref::gather_axis1;
  using SX = mg::shape<3, 5>;
  auto idx = indices<mg::shape<3, 2>>(r::idx);
  auto f = [&](auto x) { return mg::take_along_axis<1>(x, idx); };
  mgt::check_reference(f, std::tuple{from<SX>(r::x)}, r::out, from<mg::shape<3, 2>>(r::cot),
                       std::tuple{from<SX>(r::tan_x)}, r::jvp_out, r::grad_x);
  auto g = [&](auto x) { return mg::gather<-1>(x, idx.view()); };
  mgt::check_reference(g, std::tuple{from<SX>(r::x)}, r::out, from<mg::shape<3, 2>>(r::cot),
                       std::tuple{from<SX>(r::tan_x)}, r::jvp_out, r::grad_x);
}

TEST_CASE("take / index_select match an embedding lookup, with repeated indices") {
  namespace r = ref::gather_axis0;
  using ST = mg::shape<5, 3>;
  auto idx = indices<mg::shape<4>>(r::idx);
  auto f = [&](auto table) { return mg::take<0>(table, idx); };
  mgt::check_reference(f, std::tuple{from<ST>(r::table)}, r::out, from<mg::shape<4, 3>>(r::cot),
                       std::tuple{from<ST>(r::tan_table)}, r::jvp_out, r::grad_table);
  auto g = [&](auto table) { return mg::index_select<0>(table, idx); };
  mgt::check_reference(g, std::tuple{from<ST>(r::table)}, r::out, from<mg::shape<4, 3>>(r::cot),
                       std::tuple{from<ST>(r::tan_table)}, r::jvp_out, r::grad_table);
}

TEST_CASE("integer index leaves: value types and index tensors as function arguments") {
  namespace r = ref::gather_axis0;
  mg::tensor<index_t, mg::shape<4>> idx{1, 3, 1, 0};
  auto table = from<mg::shape<5, 3>>(r::table);
  auto e = mg::take<0>(table, idx);
  static_assert(std::same_as<mg::value_t<decltype(e)>, double>);
  static_assert(std::same_as<mg::shape_t<decltype(e)>, mg::shape<4, 3>>);
  static_assert(std::same_as<mg::value_t<decltype(mg::as_expr(idx))>, index_t>);
  mgt::check_close(mg::eval(e), r::out, 0, 0, "take value");
  // The index tensor as an argument of vjp: it gets a zero cotangent, the table the scatter-add.
  auto [v, pullback] = mg::vjp([](auto t, auto i) { return mg::take<0>(t, i); }, table, idx);
  auto [gt, gi] = pullback(from<mg::shape<4, 3>>(r::cot));
  static_assert(std::same_as<decltype(gi), mg::tensor<index_t, mg::shape<4>>>);
  mgt::check_close(gt, r::grad_table, 1e-12, 1e-12, "grad table");
  for (auto i : gi) CHECK(i == 0);
  // Other integer types work as indices too, and negative indices count from the end.
  mg::tensor<int, mg::shape<2>> small{-1, 0};
  auto s = mg::eval(mg::take<0>(table, small));
  CHECK(s(0, 2) == table(4, 2));
  CHECK(s(1, 0) == table(0, 0));
}

TEST_CASE("take and take_along_axis: shapes, finite differences, second order") {
  auto x = mgt::random<mg::shape<2, 4, 3>>(21);
  mg::tensor<index_t, mg::shape<2, 3>> tokens{{0, 3, 3}, {1, 0, 3}};
  // Embedding-style lookup with a rank-2 index: (V,D) x (B,T) => (B,T,D).
  auto table = mgt::random<mg::shape<4, 3>>(22);
  auto emb = mg::take<0>(table, tokens);
  static_assert(std::same_as<mg::shape_t<decltype(emb)>, mg::shape<2, 3, 3>>);
  CHECK(mg::eval(emb)(1, 2, 1) == table(3, 1));
  // A middle axis: (2,4,3) taken along axis 1 by (2,3) => (2,2,3,3).
  auto mid = mg::take<1>(x, tokens);
  static_assert(std::same_as<mg::shape_t<decltype(mid)>, mg::shape<2, 2, 3, 3>>);
  CHECK(mg::eval(mid)(1, 0, 1, 2) == x(1, tokens(0, 1), 2));
  mgt::check_grads([&](auto t) { return mg::tanh(mg::take<0>(t, tokens)); }, table);
  mgt::check_grads([&](auto x) { return mg::take<1>(x * x, tokens); }, x);
  mg::tensor<index_t, mg::shape<4>> last{2, 0, 2, -1};
  mgt::check_grads([&](auto x) { return mg::take<-1>(x, last) * 2.0; }, x);
  mg::tensor<index_t, mg::shape<2, 2, 3>> along{{{0, 3, 3}, {1, 1, 2}}, {{3, 2, 1}, {0, 0, 0}}};
  auto y = mg::eval(mg::take_along_axis<1>(x, along));
  CHECK(y(1, 0, 2) == x(1, 1, 2));
  mgt::check_grads([&](auto x) { return mg::exp(mg::take_along_axis<1>(x, along)); }, x);
  // grad of grad: scatter_add / index_add and the gathers transpose each other.
  auto f = [&](auto x) { return mg::sum(mg::square(mg::take_along_axis<1>(x, along))); };
  mgt::check_grads([&](auto x) { return mg::grad(f)(x) * 1.0; }, x);
  auto h = [&](auto t) { return mg::sum(mg::square(mg::take<0>(t, tokens))); };
  mgt::check_grads([&](auto t) { return mg::grad(h)(t) * 1.0; }, table);
}

TEST_CASE("gathers: out-of-range indices and run-time shape errors") {
  auto table = mgt::random<mg::shape<5, 3>>(23);
  mg::tensor<index_t, mg::shape<3>> bad{1, 5, 0};
  CHECK_THROWS_WITH_AS(mg::eval(mg::take<0>(table, bad)),
                       "take: index 5 is out of range for axis 0 with extent 5", std::out_of_range);
  mg::tensor<index_t, mg::shape<3>> neg{-6, 0, 0};
  CHECK_THROWS_AS(mg::eval(mg::take<0>(table, neg)), std::out_of_range);
  mg::tensor<index_t, mg::shape<5, 1>> col{{0}, {1}, {2}, {0}, {7}};
  CHECK_THROWS_WITH_AS(mg::eval(mg::take_along_axis<1>(table, col)),
                       "take_along_axis: index 7 is out of range for axis 1 with extent 3",
                       std::out_of_range);
  auto vj = [&] { return mg::vjp([&](auto t) { return mg::take<0>(t, bad); }, table); };
  CHECK_THROWS_AS(vj(), std::out_of_range);
  // dyn extents off the axis are checked when the node is built.
  mg::tensor<double, mg::shape<mg::dyn, 5>> x(mg::extents<2>{{3, 5}});
  mg::tensor<index_t, mg::shape<mg::dyn, 2>> rows4(mg::extents<2>{{4, 2}}),
      rows3(mg::extents<2>{{3, 2}});
  CHECK_THROWS_WITH_AS(mg::take_along_axis<1>(x, rows4),
                       doctest::Contains("take_along_axis: extents differ off the axis"),
                       mg::shape_error);
  auto ok = mg::take_along_axis<1>(x, rows3);
  static_assert(std::same_as<mg::shape_t<decltype(ok)>, mg::shape<mg::dyn, 2>>);
  CHECK(mg::eval(ok).shape() == mg::extents<2>{{3, 2}});
  // take with a dyn index count: (5,3) x (n) => (n,3).
  mg::tensor<index_t, mg::shape<mg::dyn>> some(std::vector<index_t>{4, 4, 0, 2, 1, 3},
                                               mg::extents<1>{{6}});
  auto rows = mg::eval(mg::take<0>(table, some));
  CHECK(rows.shape() == mg::extents<2>{{6, 3}});
  CHECK(rows(1, 2) == table(4, 2));
}
