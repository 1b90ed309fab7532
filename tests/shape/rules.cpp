// Shape rules in-process: the predicates in shape/rules.hpp (and next to each op) accept the
// valid combinations and reject the ones tests/compile_fail/ pins; valid calls are well-formed
// (requires probes); dyn extents that do not fit throw shape_error with the compile-time words.
#include <doctest/doctest.h>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace rules = mg::rules;
using mg::dyn;
using mg::shape;

namespace {

template <class T, class S>
using tensor = mg::tensor<T, S>;

// Probes: well-formed only when the call is. Used for valid combinations only: an invalid one
// fails a static_assert in the op's body, a hard error that these cannot catch (see
// tests/compile_fail/ for those).
template <class A, class B>
concept can_matmul = requires(A const& a, B const& b) {
  mg::matmul(a, b);
};
template <class A, class B>
concept can_add = requires(A const& a, B const& b) {
  a + b;
};
template <class A, class B>
concept can_sub = requires(A const& a, B const& b) {
  a - b;
};
template <class To, class X>
concept can_reshape = requires(X const& x) {
  mg::reshape<To>(x);
};

// ---- broadcasting: (3,4) + (5) is the compile_fail/broadcast_incompatible case
static_assert(rules::broadcastable<shape<3, 4>, shape<4>>());
static_assert(rules::broadcastable<shape<2, 3, 4>, shape<3, 1>>());
static_assert(rules::broadcastable<shape<3, 4>, shape<>>());
static_assert(rules::broadcastable<shape<dyn, 4>, shape<7, 4>>());  // checked at run time
static_assert(!rules::broadcastable<shape<3, 4>, shape<5>>());
static_assert(!rules::broadcastable<shape<2, 3>, shape<3, 2>>());
static_assert(std::same_as<mg::broadcast_shape<shape<2, 3, 4>, shape<3, 1>>, shape<2, 3, 4>>);
static_assert(std::same_as<mg::broadcast_shape<shape<dyn, 4>, shape<1, 4>>, shape<dyn, 4>>);
static_assert(can_add<tensor<float, shape<3, 4>>, tensor<float, shape<4>>>);
static_assert(can_sub<tensor<float, shape<2, 3, 4>>, tensor<float, shape<3, 1>>>);
static_assert(can_add<tensor<float, shape<3, 4>>, double>);

// ---- matmul: (32,784) x (128,10) is the compile_fail/matmul_inner_dims case
static_assert(rules::matmul_compatible<shape<32, 784>, shape<784, 10>>());
static_assert(rules::matmul_compatible<shape<dyn, 784>, shape<784, 10>>());
static_assert(rules::matmul_compatible<shape<5, 2, 3>, shape<3, 4>>());
static_assert(rules::matmul_compatible<shape<32, dyn>, shape<128, 10>>());  // checked at run time
static_assert(!rules::matmul_compatible<shape<32, 784>, shape<128, 10>>());
static_assert(!rules::matmul_compatible<shape<2, 2, 3>, shape<5, 3, 4>>());  // batch 2 vs 5
static_assert(can_matmul<tensor<float, shape<32, 784>>, tensor<float, shape<784, 10>>>);
static_assert(can_matmul<tensor<float, shape<784>>, tensor<float, shape<784, 10>>>);

// ---- reshape: (2,3) => (4,2) is the compile_fail/reshape_element_count case
static_assert(rules::reshape_compatible<shape<2, 3>, shape<3, 2>>());
static_assert(rules::reshape_compatible<shape<2, 3>, shape<6>>());
static_assert(rules::reshape_compatible<shape<dyn, 3>, shape<4, 2>>());  // checked at run time
static_assert(!rules::reshape_compatible<shape<2, 3>, shape<4, 2>>());
static_assert(can_reshape<shape<3, 2>, tensor<float, shape<2, 3>>>);
static_assert(can_reshape<shape<dyn>, tensor<float, shape<2, 3>>>);

// ---- reduction axes: sum<3> on rank 2 is the compile_fail/reduction_axis_out_of_range case
static_assert(rules::axes_in_range<shape<2, 3>, 0>());
static_assert(rules::axes_in_range<shape<2, 3>, 1, -2>());
static_assert(rules::axes_in_range<shape<2, 3>>());  // no axes: all of them
static_assert(!rules::axes_in_range<shape<2, 3>, 2>());
static_assert(!rules::axes_in_range<shape<2, 3>, 3>());
static_assert(!rules::axes_in_range<shape<2, 3>, 0, -3>());
static_assert(mg::normalize_axis(-1, 2) == 1);
static_assert(mg::normalize_axis(2, 2) == -1);

// ---- permute: permute<0, 0, 1> on rank 3 is the compile_fail/permute_invalid case
static_assert(mg::valid_permutation<3, 2, 0, 1>());
static_assert(!mg::valid_permutation<3, 0, 0, 1>());
static_assert(!mg::valid_permutation<3, 0, 1>());
static_assert(!mg::valid_permutation<2, 0, 2>());

// The diagnostic types are false, so `rule || diagnostic<...>::value` is just the rule.
static_assert(!mg::matmul_inner_dimensions_differ<shape<32, 784>, shape<128, 10>>::value);
static_assert(!mg::broadcast_incompatible<shape<3, 4>, shape<5>, mg::add_op>::value);
static_assert(!mg::reshape_element_count_differs<shape<2, 3>, shape<4, 2>>::value);
static_assert(!mg::reduction_axis_out_of_range<shape<2, 3>, 3>::value);

}  // namespace

// Run-time twins: the static shapes allow it (a dyn extent), the run-time extents do not.

TEST_CASE("matmul: dyn inner extents that differ throw shape_error with the static rule's words") {
  tensor<float, shape<32, dyn>> x(mg::extents<2>{{32, 784}});
  tensor<float, shape<dyn, 10>> w(mg::extents<2>{{128, 10}});
  CHECK_THROWS_WITH_AS(mg::matmul(x, w),
                       "matmul: inner dimensions differ; (M,K) x (K,N) needs lhs K == rhs K, got "
                       "[32, 784] and [128, 10]",
                       mg::shape_error);
  tensor<float, shape<dyn, 10>> ok(mg::extents<2>{{784, 10}});
  CHECK(mg::matmul(x, ok).ext == mg::extents<2>{{32, 10}});
}

TEST_CASE("add, sub and mul: dyn extents that do not broadcast throw shape_error") {
  tensor<float, shape<3, dyn>> a(mg::extents<2>{{3, 4}});
  tensor<float, shape<dyn>> b(mg::extents<1>{{5}});
  CHECK_THROWS_WITH_AS(a + b,
                       "add: shapes are incompatible for broadcasting; each dimension must match "
                       "or be 1, got [3, 4] and [5]",
                       mg::shape_error);
  CHECK_THROWS_WITH_AS(a - b,
                       "sub: shapes are incompatible for broadcasting; each dimension must match "
                       "or be 1, got [3, 4] and [5]",
                       mg::shape_error);
  tensor<float, shape<2, dyn>> m(mg::extents<2>{{2, 3}});
  tensor<float, shape<dyn>> n(mg::extents<1>{{2}});
  CHECK_THROWS_WITH_AS(m * n,
                       "mul: shapes are incompatible for broadcasting; each dimension must match "
                       "or be 1, got [2, 3] and [2]",
                       mg::shape_error);
  tensor<float, shape<dyn>> c(mg::extents<1>{{4}});
  CHECK((a + c).ext == mg::extents<2>{{3, 4}});
}

TEST_CASE("reshape: a dyn element count that differs throws shape_error") {
  tensor<float, shape<dyn, 3>> x(mg::extents<2>{{2, 3}});
  CHECK_THROWS_WITH_AS((mg::reshape<shape<4, 2>>(x)),
                       "reshape: element count differs; the new shape must hold as many elements, "
                       "got [2, 3] to [4, 2]",
                       mg::shape_error);
  CHECK_THROWS_WITH_AS((mg::reshape<shape<dyn, 4>>(x)),
                       "reshape: element count differs; the new shape must hold as many elements, "
                       "got [2, 3] to [-1, 4]",
                       mg::shape_error);
  CHECK(mg::reshape<shape<3, 2>>(x).ext == mg::extents<2>{{3, 2}});
  CHECK(mg::reshape<shape<dyn>>(x).ext == mg::extents<1>{{6}});
}
