// expect: (expression mixes devices.*operands_on_different_devices<(metagrad::)?add_op, ?(metagrad::)?device::cpu, ?(metagrad::)?device::cuda>|operands_on_different_devices<(metagrad::)?add_op, ?(metagrad::)?device::cpu, ?(metagrad::)?device::cuda>[^"]*"expression mixes devices)
// Every operand of an op must live on one device: copy one of them first.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

void valid(mg::tensor<float, mg::shape<3>> const& a, mg::tensor<float, mg::shape<3>> const& b) {
  auto c = a + b;  // cpu + cpu
  (void)c;
}

#ifdef METAGRAD_SHOULD_FAIL
void misuse(mg::tensor<float, mg::shape<3>> const& a,
            mg::tensor<float, mg::shape<3>, mg::device::cuda> const& b) {
  auto c = a + b;  // cpu + cuda
  (void)c;
}
#endif
