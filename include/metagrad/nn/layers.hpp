// SPDX-License-Identifier: MIT
// Every layer of nn/ (see layer.hpp for what a layer provides).
#pragma once
#include "activation.hpp"
#include "conv2d.hpp"
#include "dense.hpp"
#include "embedding.hpp"
#include "layer.hpp"
#include "normalization.hpp"
#include "pool.hpp"
#include "reshape.hpp"
