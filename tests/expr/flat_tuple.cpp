// detail::flat_tuple, the tuple expressions hold their args in and derivative rules return
// cotangents in: tuple-like (get, tuple_size, tuple_element, structured bindings), an aggregate
// (no constructor to instantiate per tuple type), built by make_flat_tuple, which moves what it
// is given as rvalues, and costs nothing to build for element types that are deep DAGs - the
// case std::tuple's constructors take exponential compile time on (detail/flat_tuple.hpp).
#include <string>

#include "support/check.hpp"

namespace mg = metagrad;
using mg::detail::flat_tuple;
using mg::detail::make_flat_tuple;

namespace {
struct counted {
  int* copies;
  int* moves;
  counted(int* c, int* m) : copies(c), moves(m) {}
  counted(counted const& o) : copies(o.copies), moves(o.moves) { ++*copies; }
  counted(counted&& o) noexcept : copies(o.copies), moves(o.moves) { ++*moves; }
  counted& operator=(counted const&) = default;
  counted& operator=(counted&&) = default;
};

/// pair<pair<...>, pair<...>> doubled Depth times: 2^Depth leaves counted as a tree, Depth + 1
/// distinct types. std::tuple<deep<30>> t(x) does not compile in 20 s with g++ 12 or clang 14.
template <class A, class B>
struct pair {
  A const* a;
  B const* b;
};
template <int Depth>
struct deep_type {
  using type = pair<typename deep_type<Depth - 1>::type, typename deep_type<Depth - 1>::type>;
};
template <>
struct deep_type<0> {
  using type = int;
};
}  // namespace

TEST_CASE("flat_tuple is tuple-like") {
  auto t = make_flat_tuple(1, 2.5, std::string("three"));
  static_assert(std::tuple_size_v<decltype(t)> == 3);
  static_assert(std::is_same_v<std::tuple_element_t<1, decltype(t)>, double>);
  static_assert(std::is_same_v<std::tuple_element_t<2, decltype(t)>, std::string>);
  CHECK(get<0>(t) == 1);  // found by argument-dependent lookup
  CHECK(mg::detail::get<1>(t) == 2.5);
  get<0>(t) = 4;
  auto [a, b, c] = t;
  CHECK(a == 4);
  CHECK(b == 2.5);
  CHECK(c == "three");
  CHECK(mg::detail::unpack(t, [](int x, double y, std::string const& z) {
          return x + y + static_cast<double>(z.size());
        }) == 4 + 2.5 + 5);
  flat_tuple<> empty;
  static_assert(std::tuple_size_v<decltype(empty)> == 0);
}

TEST_CASE("flat_tuple and node are aggregates") {
  // A constructor would be one more function per type, each a symbol spelling the whole
  // subexpression: the reason both are aggregates (detail/flat_tuple.hpp, expr/node.hpp).
  static_assert(std::is_aggregate_v<flat_tuple<int, double>>);
  flat_tuple<int, double> braced{{{1}, {2.5}}};
  CHECK(get<1>(braced) == 2.5);
  mg::tensor<float, mg::shape<2>> a{1, 2}, b{3, 5};
  auto sum = a + b * 2.0f;
  static_assert(std::is_aggregate_v<decltype(sum)>);
  CHECK(mg::eval(sum)(1) == 12);
}

TEST_CASE("every expression has args: a leaf's are none, a node's are its operands") {
  // The walks recurse as f(arg, arg.args) (autodiff/trace.hpp, autodiff/backward.hpp,
  // eval/evaluate.hpp): a leaf's empty args come from expr_tag, a node's own hide them.
  mg::tensor<float, mg::shape<2>> a{1, 2}, b{3, 5};
  auto v = a.view();
  auto c = mg::constant<float, mg::shape<>>(2.0f);
  auto z = mg::zeros_like(v);
  auto s = mg::share(v * v);
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(v.args)>> == 0);
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(c.args)>> == 0);
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(z.args)>> == 0);
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(s.args)>> == 0);
  auto e = mg::exp(v) + b.view();
  static_assert(std::tuple_size_v<std::remove_cvref_t<decltype(e.args)>> == 2);
  CHECK(get<1>(e.args).ptr == b.data());
  // Two expressions are copied into the node as they are (no as_expr): the values agree with
  // the tensor path's.
  CHECK(mg::eval(mg::exp(v) + mg::exp(v) * v)(1) ==
        doctest::Approx(mg::eval(mg::exp(a) + mg::exp(a) * a)(1)));
  CHECK(mg::eval(s)(1) == 4);
}

TEST_CASE("make_flat_tuple moves rvalues and copies lvalues") {
  int copies = 0, moves = 0;
  counted x(&copies, &moves), y(&copies, &moves);
  auto from_lvalues = make_flat_tuple(x, y);
  static_assert(std::is_same_v<decltype(from_lvalues), flat_tuple<counted, counted>>);
  CHECK(copies == 2);
  CHECK(moves == 0);
  auto from_rvalues = make_flat_tuple(std::move(x), std::move(y));
  CHECK(copies == 2);
  CHECK(moves == 2);
  auto moved = std::move(from_rvalues);
  CHECK(moves == 4);
  CHECK(mg::detail::get<1>(std::move(moved)).moves == &moves);
}

TEST_CASE("flat_tuple holds element types that are deep DAGs") {
  using T = deep_type<30>::type;  // 2^30 leaves as a tree
  T x{};
  flat_tuple<T> one{{{x}}};
  auto two = make_flat_tuple(x, T{});
  flat_tuple copy = two;
  CHECK(mg::detail::get<0>(one).a == nullptr);
  CHECK(mg::detail::get<1>(copy).b == nullptr);
}
