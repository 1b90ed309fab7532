// expect: (permute: the axes must be a permutation.*permutation_invalid<(metagrad::)?shape<2, ?3, ?4>, ?0, ?0, ?1>|permutation_invalid<(metagrad::)?shape<2, ?3, ?4>, ?0, ?0, ?1>[^"]*"permute: the axes must be a permutation)
// permute<P...> on a rank-3 operand needs each of 0, 1, 2 exactly once.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<2, 3, 4>> const& x) {
  auto y = mg::permute<2, 0, 1>(x);  // (2,3,4) => (4,2,3)
  (void)y;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<2, 3, 4>> const& x) {
  auto y = mg::permute<0, 0, 1>(x);  // axis 0 twice, axis 2 missing
  (void)y;
}
#endif
