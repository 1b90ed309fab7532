// SPDX-License-Identifier: MIT
// The cpu policy: every kernel on Eigen.
#pragma once
#include "argmax.hpp"
#include "concat.hpp"
#include "conv2d.hpp"
#include "dropout_mask.hpp"
#include "elementwise.hpp"
#include "gather.hpp"
#include "interop.hpp"
#include "matmul.hpp"
#include "permute.hpp"
#include "pool2d.hpp"
#include "reduce.hpp"
#include "slice.hpp"
#include "small.hpp"
#include "threads.hpp"
