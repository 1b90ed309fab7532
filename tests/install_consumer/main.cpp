// Compiled against the installed package only: if a header is missing from the install
// rules, or a dependency is missing from metagradConfig.cmake, this fails to build.
#include <metagrad/metagrad.hpp>

#include <cmath>
#include <cstdio>

namespace mg = metagrad;

int main() {
  static_assert(METAGRAD_VERSION_MAJOR == 0, "unexpected metagrad major version");
  mg::tensor<double, mg::shape<2, 2>> x{{1, 2}, {3, 4}};
  auto f = [](auto const& x) { return mg::sum(mg::tanh(x) * x); };
  auto [value, g] = mg::value_and_grad(f)(x);
  // d/dx (tanh(x) x) = tanh(x) + x (1 - tanh(x)^2)
  double want = std::tanh(3.0) + 3.0 * (1 - std::tanh(3.0) * std::tanh(3.0));
  bool ok = std::fabs(g(1, 0) - want) < 1e-12 && value.item() > 0;
  std::printf("metagrad %d.%d.%d installed: f = %.6f, df/dx[1,0] = %.6f (%s)\n",
              METAGRAD_VERSION_MAJOR, METAGRAD_VERSION_MINOR, METAGRAD_VERSION_PATCH, value.item(),
              g(1, 0), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
