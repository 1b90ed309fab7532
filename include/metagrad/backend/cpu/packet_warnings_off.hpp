// SPDX-License-Identifier: MIT
// Included (no include guard) before code on Eigen's packet types, packet_warnings_on.hpp after
// it: packet types (__m256, ...) carry attributes that a template argument drops, and Eigen's
// own headers silence that warning the same way; g++ 12 takes the _mm_undefined_ps of Eigen's
// AVX-512 reductions (predux) for an uninitialized read (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
