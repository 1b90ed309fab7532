// SPDX-License-Identifier: MIT
// Optimizers (sgd, adam, adamw, rmsprop, adagrad), learning-rate schedules and gradient clipping,
// each matching its PyTorch namesake; e.g. optim::adam opt{.lr = 1e-3}; opt.step(params, grads);
#pragma once
#include "adam.hpp"
#include "clip.hpp"
#include "rmsprop.hpp"
#include "schedule.hpp"
#include "sgd.hpp"
