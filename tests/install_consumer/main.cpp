// Compiled against the installed package only: if a header is missing from the install
// rules, or a dependency is missing from metagradConfig.cmake, this fails to build.
#include <metagrad/metagrad.hpp>

#include <cstdio>

int main() {
  static_assert(METAGRAD_VERSION_MAJOR == 0, "unexpected metagrad major version");
  // TODO: evaluate a tiny expression (e.g. a scalar graph and its gradient) once the
  // public API settles, and return non-zero if the value is wrong.
  std::printf("metagrad %d.%d.%d installed and usable\n", METAGRAD_VERSION_MAJOR,
              METAGRAD_VERSION_MINOR, METAGRAD_VERSION_PATCH);
  return 0;
}
