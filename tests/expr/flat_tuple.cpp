// detail::flat_tuple, the tuple expressions hold their args in and derivative rules return
// cotangents in: tuple-like (get, tuple_size, tuple_element, structured bindings), moves what it
// is given as rvalues, and costs nothing to build for element types that are deep DAGs - the
// case std::tuple's constructors take exponential compile time on (detail/flat_tuple.hpp).
#include <string>

#include "support/check.hpp"

namespace mg = metagrad;
using mg::detail::flat_tuple;

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
  flat_tuple t{1, 2.5, std::string("three")};
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

TEST_CASE("flat_tuple moves rvalues and copies lvalues") {
  int copies = 0, moves = 0;
  counted x(&copies, &moves), y(&copies, &moves);
  flat_tuple<counted, counted> from_lvalues{x, y};
  CHECK(copies == 2);
  CHECK(moves == 0);
  flat_tuple<counted, counted> from_rvalues{std::move(x), std::move(y)};
  CHECK(copies == 2);
  CHECK(moves == 2);
  auto moved = std::move(from_rvalues);
  CHECK(moves == 4);
  CHECK(mg::detail::get<1>(std::move(moved)).moves == &moves);
}

TEST_CASE("flat_tuple holds element types that are deep DAGs") {
  using T = deep_type<30>::type;  // 2^30 leaves as a tree
  T x{};
  flat_tuple<T> one{x};
  flat_tuple<T, T> two{x, T{}};
  flat_tuple copy = two;
  CHECK(mg::detail::get<0>(one).a == nullptr);
  CHECK(mg::detail::get<1>(copy).b == nullptr);
}
