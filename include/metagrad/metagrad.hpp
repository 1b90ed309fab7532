// SPDX-License-Identifier: MIT
// metagrad: deep learning whose computation graphs are C++ types. One include for the cpu policy.
// e.g. auto dw = metagrad::grad<1>([](auto x, auto w) { return sum(tanh(matmul(x, w))); })(x, w);
#pragma once
#include "config.hpp"

#include "shape/check.hpp"
#include "shape/rules.hpp"
#include "shape/shape.hpp"

#include "expr/expression.hpp"
#include "expr/leaf.hpp"
#include "expr/node.hpp"
#include "expr/print.hpp"
#include "expr/tensor.hpp"

#include "ops/add.hpp"
#include "ops/broadcast_to.hpp"
#include "ops/compare.hpp"
#include "ops/div.hpp"
#include "ops/exp.hpp"
#include "ops/identity.hpp"
#include "ops/log.hpp"
#include "ops/matmul.hpp"
#include "ops/max.hpp"
#include "ops/mul.hpp"
#include "ops/neg.hpp"
#include "ops/permute.hpp"
#include "ops/relu.hpp"
#include "ops/reshape.hpp"
#include "ops/sigmoid.hpp"
#include "ops/square.hpp"
#include "ops/sub.hpp"
#include "ops/sum.hpp"
#include "ops/tanh.hpp"

#include "eval/evaluate.hpp"

#include "autodiff/backward.hpp"
#include "autodiff/forward.hpp"
#include "autodiff/trace.hpp"
#include "autodiff/transforms.hpp"

#include "backend/cpu/cpu.hpp"
