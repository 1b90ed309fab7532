// expect: scan: higher-order derivatives through scan
// A Hessian-vector product through an lstm: scan supports first-order vjp and jvp only.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

void build() {
  using In = mg::shape<2, 3, 4>;
  mg::tensor<double, In> x, v;
  auto p = nn::lstm<5>{}.init<double, In>(mg::rng{0});
  auto f = [&](auto const& xx) { return mg::sum(nn::lstm<5>{}(p, xx)); };
#ifdef METAGRAD_SHOULD_FAIL
  auto h = mg::hvp(f, x, v);
#else
  auto h = mg::grad(f)(x);
#endif
  (void)h;
}
