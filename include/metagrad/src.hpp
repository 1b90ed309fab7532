// SPDX-License-Identifier: MIT
// The definitions of metagrad's non-template entry points, for a program built with
// METAGRAD_SEPARATE_COMPILATION (see config.hpp): exactly one translation unit of the program
// includes this header before any other metagrad header, e.g. a file holding only
//   #include <metagrad/src.hpp>
// and is linked with zlib (-lz), which the IDX reader needs.
#pragma once
#if !defined(METAGRAD_SEPARATE_COMPILATION)
#error \
    "<metagrad/src.hpp> is for programs built with METAGRAD_SEPARATE_COMPILATION defined in every translation unit"
#endif
#if defined(METAGRAD_BODIES)
#error "<metagrad/src.hpp> must come before every other metagrad header of its translation unit"
#endif
#define METAGRAD_SOURCE 1
#include "data/idx.hpp"
#include "io/checkpoint.hpp"
#include "io/safetensors.hpp"
