// expect: (matmul: inner dimensions differ.*matmul_inner_dimensions_differ<(metagrad::)?shape<32, ?784>, ?(metagrad::)?shape<128, ?10> ?>|matmul_inner_dimensions_differ<(metagrad::)?shape<32, ?784>, ?(metagrad::)?shape<128, ?10> ?>[^"]*"matmul: inner dimensions differ)
// (M,K) x (K,N) needs lhs K == rhs K: (32,784) x (128,10) has 784 != 128.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<32, 784>> const& x,
           mg::tensor<float, mg::shape<784, 10>> const& w) {
  auto y = mg::matmul(x, w);  // (32,784) x (784,10) => (32,10)
  (void)y;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<32, 784>> const& x,
            mg::tensor<float, mg::shape<128, 10>> const& w) {
  auto y = mg::matmul(x, w);  // (32,784) x (128,10): 784 != 128
  (void)y;
}
#endif
