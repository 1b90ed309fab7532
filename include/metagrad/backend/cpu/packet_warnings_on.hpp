// SPDX-License-Identifier: MIT
// The end of a packet_warnings_off.hpp region.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
