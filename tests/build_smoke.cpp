// Guards the build system itself: the test binary links, the library's include path is
// visible, and the headers agree with the version in project(metagrad VERSION ...), which
// tests/CMakeLists.txt passes in as METAGRAD_CMAKE_VERSION_*.
#include <doctest/doctest.h>

#include <metagrad/config.hpp>

static_assert(__cplusplus >= 202002L, "metagrad requires C++20");

TEST_CASE("build smoke: header version matches the CMake project version") {
  CHECK(METAGRAD_VERSION_MAJOR == METAGRAD_CMAKE_VERSION_MAJOR);
  CHECK(METAGRAD_VERSION_MINOR == METAGRAD_CMAKE_VERSION_MINOR);
  CHECK(METAGRAD_VERSION_PATCH == METAGRAD_CMAKE_VERSION_PATCH);
}
