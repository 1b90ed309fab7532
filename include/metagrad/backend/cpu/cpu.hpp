// SPDX-License-Identifier: MIT
// The cpu policy: every kernel on Eigen.
#pragma once
#include "elementwise.hpp"
#include "matmul.hpp"
#include "permute.hpp"
#include "reduce.hpp"
#include "threads.hpp"
