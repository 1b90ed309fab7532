// expect: (add: shapes are incompatible for broadcasting.*broadcast_incompatible<(metagrad::)?shape<3, ?4>, ?(metagrad::)?shape<5>, ?(metagrad::)?add_op>|broadcast_incompatible<(metagrad::)?shape<3, ?4>, ?(metagrad::)?shape<5>, ?(metagrad::)?add_op>[^"]*"add: shapes are incompatible for broadcasting)
// NumPy broadcasting aligns right: (3,4) + (5) compares 4 with 5, neither is 1.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<3, 4>> const& a, mg::tensor<float, mg::shape<4>> const& b) {
  auto c = a + b;  // (3,4) + (4) => (3,4)
  (void)c;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<3, 4>> const& a, mg::tensor<float, mg::shape<5>> const& b) {
  auto c = a + b;  // (3,4) + (5): 4 != 5
  (void)c;
}
#endif
