// expect: (reduction: axis out of range.*reduction_axis_out_of_range<(metagrad::)?shape<2, ?3>, ?3>|reduction_axis_out_of_range<(metagrad::)?shape<2, ?3>, ?3>[^"]*"reduction: axis out of range)
// A rank-2 operand has axes 0, 1 (or -2, -1); axis 3 does not exist.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto y = mg::sum<1>(x);  // (2,3) => (2)
  (void)y;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto y = mg::sum<3>(x);  // rank 2 has no axis 3
  (void)y;
}
#endif
