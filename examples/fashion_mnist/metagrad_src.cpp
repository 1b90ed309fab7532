// metagrad's non-template entry points (the IDX reader, safetensors, checkpoints), compiled once
// for the whole program rather than in mlp.cpp and lenet.cpp each: examples/CMakeLists.txt builds
// this directory with METAGRAD_SEPARATE_COMPILATION (see include/metagrad/config.hpp).
#include <metagrad/src.hpp>
