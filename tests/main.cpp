// The single doctest main() for metagrad_tests; every other tests/**/*.cpp only registers
// test cases.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
