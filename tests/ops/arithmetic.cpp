// add, sub, mul, div, neg: values and derivatives against PyTorch and finite differences.
#include "reference/elementwise.hpp"
#include "support/check.hpp"

namespace mg = metagrad;
using mgt::from;

using S34 = mg::shape<3, 4>;
using S234 = mg::shape<2, 3, 4>;
using S31 = mg::shape<3, 1>;
MGT_BINARY_REFERENCE_CASE(add_same, a + b, S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(add_bcast, a + b, S234, S31, S234)
MGT_BINARY_REFERENCE_CASE(sub_same, a - b, S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(sub_bcast, a - b, S234, S31, S234)
MGT_BINARY_REFERENCE_CASE(mul_same, a* b, S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(mul_bcast, a* b, S234, S31, S234)
MGT_BINARY_REFERENCE_CASE(div_same, a / b, S34, S34, S34)
MGT_BINARY_REFERENCE_CASE(div_bcast, a / b, S234, S31, S234)

TEST_CASE("neg matches PyTorch") {
  namespace r = ref::neg;
  mgt::check_reference([](auto x) { return -x; }, std::tuple{from<S34>(r::x)}, r::out,
                       from<S34>(r::cot), std::tuple{from<S34>(r::tan_x)}, r::jvp_out, r::grad_x);
}

TEST_CASE("arithmetic with scalars and broadcasting passes finite differences") {
  auto a = mgt::random<mg::shape<2, 3>>(1);
  auto b = mgt::random<mg::shape<3>>(2, 0.5, 2.0);
  mgt::check_grads([](auto a, auto b) { return (a * b - 2.0) / b + a * 3; }, a, b);
  mgt::check_grads([](auto a, auto b) { return 1.0 / (b * b) - a; }, a, b);
}
