// SPDX-License-Identifier: MIT
// Fashion-MNIST (Xiao et al. 2017): 60000 train and 10000 test 28x28 grey images of 10 classes
// of clothing, read from the IDX files of Debian's dataset-fashion-mnist package. Pixels become
// T in [0, 1]; Sample picks the layout, shape<784> (N,784) or shape<1, 28, 28> (N,1,28,28).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "idx.hpp"

namespace metagrad::data {

enum class split { train, test };

/// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr char const* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// The 10 class names, indexed by label. e.g. fashion_mnist_classes()[9] == "Ankle boot".
inline std::vector<std::string> fashion_mnist_classes() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

/// A split of Fashion-MNIST; `limit` >= 0 keeps only the first `limit` examples (and reads no
/// further). e.g. auto test = data::fashion_mnist(data::split::test);              // (10000,784)
/// e.g. auto tr = data::fashion_mnist<float, shape<1, 28, 28>>(split::train, dir, 1000);
template <class T = float, class Sample = shape<784>>
dataset<T, Sample> fashion_mnist(split s, std::string const& dir = fashion_mnist_dir,
                                 index_t limit = -1) {
  static_assert(Sample::static_size == 28 * 28,
                "fashion_mnist: the sample shape must hold 784 pixels, e.g. shape<784> or "
                "shape<1, 28, 28>");
  std::string const prefix = s == split::train ? "train" : "t10k";
  std::string const images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  std::string const labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  for (auto const& path : {images, labels})
    if (!std::filesystem::exists(path))
      throw file_error("fashion_mnist: " + path +
                       " not found; install Debian's dataset-fashion-mnist package (apt-get "
                       "install dataset-fashion-mnist)");
  idx_array const a = read_idx(images, limit);
  if (a.type() != idx_type::u8 || a.dims.size() != 3 || a.dims[1] != 28 || a.dims[2] != 28)
    throw format_error(images + ": expected uint8 images of 28x28, found " + to_string(a.type()) +
                       " values of extents " + dims_string(a.dims));
  auto y = load_idx_labels(labels, limit);
  if (y.shape()[0] != a.dims[0])
    throw format_error(labels + ": expected " + std::to_string(a.dims[0]) +
                       " labels (one per image), found " + std::to_string(y.shape()[0]));
  for (index_t v : y)
    if (v < 0 || v > 9)
      throw format_error(labels + ": expected labels in 0..9, found " + std::to_string(v));

  extents<Sample::rank + 1> e;
  e[0] = a.dims[0];
  for (std::size_t i = 0; i < Sample::rank; ++i) e[i + 1] = Sample::dims[i];
  tensor<T, batched_t<Sample>> x(e, metagrad::detail::uninitialized_t{});
  auto const& pixels = std::get<std::vector<std::uint8_t>>(a.values);
  for (std::size_t i = 0; i < pixels.size(); ++i) x.data()[i] = static_cast<T>(pixels[i]) / T(255);
  return dataset<T, Sample>(std::move(x), std::move(y), fashion_mnist_classes());
}

}  // namespace metagrad::data
