// expect: (reshape: element count differs.*reshape_element_count_differs<(metagrad::)?shape<2, ?3>, ?(metagrad::)?shape<4, ?2> ?>|reshape_element_count_differs<(metagrad::)?shape<2, ?3>, ?(metagrad::)?shape<4, ?2> ?>[^"]*"reshape: element count differs)
// reshape keeps every element: (2,3) holds 6, (4,2) holds 8.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto y = mg::reshape<mg::shape<3, 2>>(x);  // (2,3) => (3,2)
  (void)y;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto y = mg::reshape<mg::shape<4, 2>>(x);  // (2,3) => (4,2): 6 != 8 elements
  (void)y;
}
#endif
