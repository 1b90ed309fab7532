// SPDX-License-Identifier: MIT
// The training toolkit: fit and evaluate, callbacks, training checkpoints.
#pragma once
#include "callbacks.hpp"
#include "checkpoint.hpp"
#include "fit.hpp"
