// expect: (grad: the function must return a scalar.*(metagrad::)?shape<2, ?3>::rank|(metagrad::)?shape<2, ?3>::rank[^"]*"grad: the function must return a scalar)
// grad differentiates a scalar loss; for a tensor-valued f use vjp(f, x) and pull back a cotangent.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto g = mg::grad([](auto v) { return mg::sum(mg::tanh(v)); })(x);  // () => dx (2,3)
  (void)g;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<2, 3>> const& x) {
  auto g = mg::grad([](auto v) { return mg::tanh(v); })(x);  // returns (2,3), not a scalar
  (void)g;
}
#endif
