// expect: (elementwise op: shapes are incompatible for broadcasting.*broadcast_incompatible<(metagrad::)?shape<2, ?3>, ?(metagrad::)?shape<2>, ?(metagrad::)?mul_op>|broadcast_incompatible<(metagrad::)?shape<2, ?3>, ?(metagrad::)?shape<2>, ?(metagrad::)?mul_op>[^"]*"elementwise op: shapes are incompatible for broadcasting)
// Ops built with make_binary (mul, div, pow, maximum, ...) share one check; its diagnostic type
// names the op: (2,3) * (2) compares 3 with 2.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<2, 3>> const& a,
           mg::tensor<float, mg::shape<2, 1>> const& b) {
  auto c = a * b;  // (2,3) * (2,1) => (2,3)
  (void)c;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<2, 3>> const& a, mg::tensor<float, mg::shape<2>> const& b) {
  auto c = a * b;  // (2,3) * (2): 3 != 2
  (void)c;
}
#endif
