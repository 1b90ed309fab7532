// SPDX-License-Identifier: MIT
// Every layer of nn/ (see layer.hpp for what a layer provides).
#pragma once
#include "activation.hpp"
#include "attention.hpp"
#include "batch_norm.hpp"
#include "conv2d.hpp"
#include "dense.hpp"
#include "dropout.hpp"
#include "embedding.hpp"
#include "last_step.hpp"
#include "layer.hpp"
#include "mode.hpp"
#include "normalization.hpp"
#include "pool.hpp"
#include "recurrent.hpp"
#include "reshape.hpp"
#include "transformer.hpp"
