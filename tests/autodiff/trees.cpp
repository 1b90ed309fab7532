// grad and value_and_grad over parameter trees (nested std::tuples of tensors): gradients come
// back shaped like the differentiated arguments, equal to the gradients w.r.t. the flat leaves.
#include <doctest/doctest.h>

#include <metagrad/metagrad.hpp>

#include "support/check.hpp"

namespace mg = metagrad;

namespace {
using w_t = mg::tensor<double, mg::shape<3, 2>>;
using b_t = mg::tensor<double, mg::shape<2>>;
using v_t = mg::tensor<double, mg::shape<2, 1>>;

auto flat_loss = [](auto const& x, auto const& w, auto const& b, auto const& v) {
  return mg::sum(mg::tanh(mg::matmul(mg::tanh(mg::matmul(x, w) + b), v)));
};
}  // namespace

TEST_CASE("tree_for_each, tree_map, tree_flatten and tree_unflatten keep the leaf order") {
  std::tuple<int, std::tuple<int, int>, std::tuple<>, int> t{1, {2, 3}, {}, 4};
  static_assert(mg::tree_size<decltype(t)> == 4);
  std::vector<int> seen;
  mg::tree_for_each([&](int a, int b) { seen.push_back(a * 10 + b); }, t, t);
  CHECK(seen == std::vector<int>{11, 22, 33, 44});
  auto doubled = mg::tree_map([](int a) { return 2 * a; }, t);
  CHECK(std::get<1>(std::get<1>(doubled)) == 6);
  auto flat = mg::tree_flatten(t);
  static_assert(std::tuple_size_v<decltype(flat)> == 4);
  std::get<2>(flat) = 30;
  CHECK(std::get<1>(std::get<1>(t)) == 30);
  auto back = mg::tree_unflatten<decltype(t)>(std::tuple{5, 6, 7, 8});
  CHECK(std::get<0>(std::get<1>(back)) == 6);
  CHECK(std::get<3>(back) == 8);
  // A one-child tuple of a tuple keeps its nesting.
  std::tuple<std::tuple<int, int>> nested{{1, 2}};
  auto same = mg::tree_map([](int a) { return a; }, nested);
  static_assert(std::is_same_v<decltype(same), std::tuple<std::tuple<int, int>>>);
}

TEST_CASE("grad of a tree argument equals the gradients w.r.t. its leaves") {
  mg::tensor<double, mg::shape<4, 3>> x{
      {0.1, -0.2, 0.3}, {0.4, 0.5, -0.6}, {-0.7, 0.8, 0.9}, {1.0, -1.1, 0.2}};
  w_t w{{0.3, -0.1}, {0.2, 0.5}, {-0.4, 0.1}};
  b_t b{0.05, -0.02};
  v_t v{{0.7}, {-0.3}};
  auto params = std::tuple{std::tuple{w, b}, v};

  auto tree_loss = [&](auto const& p) {
    auto const& [layer, head] = p;
    return flat_loss(x, std::get<0>(layer), std::get<1>(layer), head);
  };
  auto [value, g] = mg::value_and_grad(tree_loss)(params);
  auto [value_ref, gw, gb, gv] = [&] {
    auto [val, gr] = mg::value_and_grad<1, 2, 3>(flat_loss)(x, w, b, v);
    return std::tuple{val, std::get<0>(gr), std::get<1>(gr), std::get<2>(gr)};
  }();
  CHECK(value.item() == doctest::Approx(value_ref.item()));
  static_assert(std::is_same_v<decltype(g), std::tuple<std::tuple<w_t, b_t>, v_t>>);
  mgt::check_close(std::get<0>(std::get<0>(g)), gw, 1e-12, 1e-12, "tree grad");
  mgt::check_close(std::get<1>(std::get<0>(g)), gb, 1e-12, 1e-12, "tree grad");
  mgt::check_close(std::get<1>(g), gv, 1e-12, 1e-12, "tree grad");

  // grad<1> over (data, tree): the data argument is not differentiated.
  auto data_first = [](auto const& in, auto const& p) {
    return flat_loss(in, std::get<0>(std::get<0>(p)), std::get<1>(std::get<0>(p)), std::get<1>(p));
  };
  auto g1 = mg::grad<1>(data_first)(x, params);
  mgt::check_close(std::get<1>(g1), gv, 1e-12, 1e-12, "tree grad");
  // Both: the data's gradient is a plain tensor, the tree's a tree.
  auto [gx, gp] = mg::grad<0, 1>(data_first)(x, params);
  auto gx_ref = mg::grad<0>(flat_loss)(x, w, b, v);
  mgt::check_close(gx, gx_ref, 1e-12, 1e-12, "tree grad");
  mgt::check_close(std::get<1>(std::get<0>(gp)), gb, 1e-12, 1e-12, "tree grad");
}

TEST_CASE("grad of grad through a tree argument (a Hessian-vector product of the leaves)") {
  b_t b{0.3, -0.4};
  auto f = [](auto const& p) { return mg::sum(mg::exp(std::get<0>(p)) * std::get<1>(p)); };
  auto params = std::tuple{b, b};
  // d/dp0 of sum(exp(p0) * p1) = exp(p0) * p1; its grad w.r.t. the tree again, summed.
  auto g2 = mg::grad([&](auto const& p) {
    auto g = mg::grad(f)(p);
    return mg::sum(std::get<0>(g));
  })(params);
  // d/dp0 sum(exp(p0) p1) = exp(p0) p1;  d/dp1 = exp(p0).
  for (int i = 0; i < 2; ++i) {
    CHECK(std::get<0>(g2)(i) == doctest::Approx(std::exp(b(i)) * b(i)));
    CHECK(std::get<1>(g2)(i) == doctest::Approx(std::exp(b(i))));
  }
}
