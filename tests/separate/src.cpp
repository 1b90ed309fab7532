// The one translation unit of metagrad_separate_tests that defines metagrad's non-template entry
// points (METAGRAD_SEPARATE_COMPILATION, include/metagrad/config.hpp). The binary's other TUs are
// the unit tests of those entry points (io/safetensors.cpp, io/checkpoint.cpp, data/idx.cpp), so
// they pass in both builds: each definition linked once, none missing, the same behaviour.
#include <metagrad/src.hpp>
