// SPDX-License-Identifier: MIT
// The only place for macros: version, host/device annotation, feature switches.
#pragma once

#define METAGRAD_VERSION_MAJOR 0
#define METAGRAD_VERSION_MINOR 1
#define METAGRAD_VERSION_PATCH 0

#if defined(__CUDACC__)
#define METAGRAD_HOST_DEVICE __host__ __device__
#else
#define METAGRAD_HOST_DEVICE
#endif

#if defined(_OPENMP)
#define METAGRAD_HAS_OPENMP 1
#else
#define METAGRAD_HAS_OPENMP 0
#endif

// METAGRAD_CBLAS=1 (CMake: -DMETAGRAD_WITH_BLAS=ON, which also links a BLAS) sends float and
// double GEMMs of run-time size above a threshold to cblas_sgemm / cblas_dgemm instead of
// Eigen's GEMM (see backend/cpu/matmul.hpp). Off by default.
#if !defined(METAGRAD_CBLAS)
#define METAGRAD_CBLAS 0
#endif

// METAGRAD_ASAN: built with AddressSanitizer (g++'s __SANITIZE_ADDRESS__, clang's feature
// test). The block cache (detail/pool.hpp) then poisons the blocks it keeps, so a read through
// a view of a freed tensor is reported although the memory was not returned to the system.
#if !defined(METAGRAD_ASAN)
#if defined(__SANITIZE_ADDRESS__)
#define METAGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define METAGRAD_ASAN 1
#endif
#endif
#endif
#if !defined(METAGRAD_ASAN)
#define METAGRAD_ASAN 0
#endif

// METAGRAD_SEPARATE_COMPILATION: the library's non-template entry points, compiled the same way by
// every program (the safetensors reader and writer, checkpoints' load and save, the IDX reader),
// are only declared by the headers and defined once, in the one translation unit of the program
// that includes <metagrad/src.hpp>, instead of in every translation unit that calls them (as
// spdlog's and Asio's compiled modes). Define it for every translation unit of the program (CMake:
// target_compile_definitions(app PRIVATE METAGRAD_SEPARATE_COMPILATION)). A translation unit that
// calls them then compiles faster: the Fashion-MNIST MLP's 1 s less (docs/performance.md). Off by
// default: metagrad is header-only.
#if defined(METAGRAD_SEPARATE_COMPILATION)
#define METAGRAD_DECL
#if defined(METAGRAD_SOURCE)
#define METAGRAD_BODIES 1
#else
#define METAGRAD_BODIES 0
#endif
#else
#define METAGRAD_DECL inline
#define METAGRAD_BODIES 1
#endif

// Internal headers check that the umbrella header was included first (Eigen's InternalHeaderCheck).
#define METAGRAD_INTERNAL_HEADER_OK 1
