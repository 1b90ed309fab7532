// SPDX-License-Identifier: MIT
// data/: readers (IDX, CSV), datasets, batching, and Fashion-MNIST. Needs zlib (link ZLIB::ZLIB).
// e.g. for (auto [x, y] : data::batch_loader(data::fashion_mnist(data::split::train), {.batch_size
// = 64}))
#pragma once
#include "csv.hpp"
#include "dataset.hpp"
#include "fashion_mnist.hpp"
#include "idx.hpp"
#include "loader.hpp"
#include "source.hpp"
