// detail::element<K>, std::get<K> without its compile-time cost on long std::tuples (a sequential
// model's layers, parameters and state; detail/meta.hpp): the same element, the same reference
// type for every value category, on both sides of its hop of 16 bases.
#include <string>

#include "support/check.hpp"

namespace mg = metagrad;
using mg::detail::element;

namespace {
template <std::size_t... I>
auto numbered(std::index_sequence<I...>) {
  return std::tuple<decltype(I, std::string())...>{std::to_string(I)...};
}
template <class Tuple, std::size_t K>
constexpr bool same_type_as_get() {
  using T = std::remove_reference_t<Tuple>;
  return std::is_same_v<decltype(element<K>(std::declval<T&>())),
                        decltype(std::get<K>(std::declval<T&>()))> &&
         std::is_same_v<decltype(element<K>(std::declval<T const&>())),
                        decltype(std::get<K>(std::declval<T const&>()))> &&
         std::is_same_v<decltype(element<K>(std::declval<T&&>())),
                        decltype(std::get<K>(std::declval<T&&>()))> &&
         std::is_same_v<decltype(element<K>(std::declval<T const&&>())),
                        decltype(std::get<K>(std::declval<T const&&>()))>;
}
}  // namespace

TEST_CASE("element<K> is std::get<K> on long and short tuples") {
  auto t = numbered(std::make_index_sequence<40>{});
  mg::detail::static_for<40>([&](auto k) {
    CHECK(&element<k>(t) == &std::get<k>(t));
    CHECK(element<k>(std::as_const(t)) == std::to_string(k));
  });
  using T = decltype(t);
  static_assert(same_type_as_get<T, 0>() && same_type_as_get<T, 15>() &&
                same_type_as_get<T, 16>() && same_type_as_get<T, 33>() &&
                same_type_as_get<T, 39>());
  std::string moved = element<32>(std::move(t));
  CHECK(moved == "32");

  // Reference elements stay references, as std::get keeps them.
  int a = 1, b = 2;
  std::tuple<int&, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int,
             int&, int&&>
      r{a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, std::move(b)};
  static_assert(same_type_as_get<decltype(r), 17>() && same_type_as_get<decltype(r), 18>());
  CHECK(&element<17>(r) == &a);
  CHECK(&element<18>(r) == &b);

  // Tuple-likes other than std::tuple: get found by argument-dependent lookup.
  auto f = mg::detail::make_flat_tuple(1, 2.5);
  CHECK(element<1>(f) == 2.5);
  std::array<int, 3> arr{7, 8, 9};
  CHECK(element<2>(arr) == 9);
}
