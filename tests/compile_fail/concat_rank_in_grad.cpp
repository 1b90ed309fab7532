// expect: concat: operands must have the same rank
// errors: 1
// A shape error inside a differentiated function is one error: concat's. The graph it leaves
// (operands of ranks 1 and 2) is small and static, and neither the small path's kernels nor the
// gradient accumulator's stack path may add errors of their own about it.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

auto gradient(mg::tensor<double, mg::shape<2, 3>> const& a) {
#ifdef METAGRAD_SHOULD_FAIL
  return mg::grad([](auto const& x) { return mg::sum(mg::concat<0>(mg::sum<0>(x), x)); })(a);
#else
  return mg::grad(
      [](auto const& x) { return mg::sum(mg::concat<0>(mg::sum<0>(x, mg::keepdims), x)); })(a);
#endif
}
