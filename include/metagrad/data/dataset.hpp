// SPDX-License-Identifier: MIT
// dataset<T, Sample>: N examples of static shape Sample, features (N, Sample...) and integer
// labels (N), with subsets (take, subset), layout changes (reshaped) and normalisation.
// e.g. dataset<float, shape<784>> holds features (N,784); reshaped<shape<1, 28, 28>>() (N,1,28,28).
#pragma once
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "../expr/tensor.hpp"

namespace metagrad::data {

namespace detail {
template <class Sample>
struct batched;
template <index_t... D>
struct batched<shape<D...>> {
  using type = shape<dyn, D...>;
};
}  // namespace detail

/// The shape of a batch of Sample: shape<dyn, D...>. e.g. batched_t<shape<784>> = shape<dyn, 784>.
template <class Sample>
using batched_t = typename detail::batched<Sample>::type;

/// A mean and standard deviation to normalise features with, (x - mean) / stddev.
template <class T>
struct normalization {
  T mean = 0;
  T stddev = 1;
};

/// Features (N, Sample...) and labels (N); Sample is a static shape.
/// e.g. dataset<float, shape<2>> d(std::move(x), std::move(y));
template <class T, class Sample>
requires(is_shape<Sample>&& Sample::is_static) struct dataset {
  using value_type = T;
  using sample_shape = Sample;
  static constexpr index_t sample_size = Sample::static_size;

  tensor<T, batched_t<Sample>> features;
  tensor<index_t, shape<dyn>> labels;
  std::vector<std::string> class_names;  ///< names of the label values, if known

  dataset() = default;
  dataset(tensor<T, batched_t<Sample>> x, tensor<index_t, shape<dyn>> y,
          std::vector<std::string> names = {})
      : features(std::move(x)), labels(std::move(y)), class_names(std::move(names)) {
    if (features.shape()[0] != labels.shape()[0])
      throw shape_error("dataset: expected as many labels as examples, found " +
                        std::to_string(labels.shape()[0]) + " labels for " +
                        std::to_string(features.shape()[0]) + " examples");
  }

  /// The number of examples N.
  index_t size() const { return labels.shape()[0]; }

  /// The first n examples (a copy). e.g. auto small = train.take(1000);
  dataset take(index_t n) const {
    if (n < 0 || n > size())
      throw std::out_of_range("dataset::take: expected 0 <= n <= " + std::to_string(size()) +
                              ", found " + std::to_string(n));
    auto x = rows_like(n);
    std::copy_n(features.data(), n * sample_size, x.data());
    tensor<index_t, shape<dyn>> y(extents<1>{{n}});
    std::copy_n(labels.data(), n, y.data());
    return dataset(std::move(x), std::move(y), class_names);
  }

  /// The examples at `indices`, in that order (a copy). e.g. auto v =
  /// d.subset(std::vector<index_t>{3, 1});
  dataset subset(std::span<index_t const> indices) const {
    auto const n = static_cast<index_t>(indices.size());
    auto x = rows_like(n);
    tensor<index_t, shape<dyn>> y(extents<1>{{n}});
    for (index_t i = 0; i < n; ++i) {
      index_t const k = indices[static_cast<std::size_t>(i)];
      if (k < 0 || k >= size())
        throw std::out_of_range("dataset::subset: expected indices in [0, " +
                                std::to_string(size()) + "), found " + std::to_string(k));
      std::copy_n(features.data() + k * sample_size, sample_size, x.data() + i * sample_size);
      y.data()[i] = labels.data()[k];
    }
    return dataset(std::move(x), std::move(y), class_names);
  }

  /// The same examples with another static sample shape of as many elements (a copy).
  /// e.g. auto images = flat.reshaped<shape<1, 28, 28>>();   // (N,784) => (N,1,28,28)
  template <class Other>
  dataset<T, Other> reshaped() const {
    static_assert(Other::static_size == sample_size,
                  "dataset::reshaped: the new sample shape must have as many elements");
    extents<Other::rank + 1> e;
    e[0] = size();
    for (std::size_t i = 0; i < Other::rank; ++i) e[i + 1] = Other::dims[i];
    tensor<T, batched_t<Other>> x(e, metagrad::detail::uninitialized_t{});
    std::copy_n(features.data(), features.size(), x.data());
    return dataset<T, Other>(std::move(x), labels, class_names);
  }

  /// Normalises the features in place by their own mean and standard deviation (over all
  /// elements, divided by their count) and returns them, to apply to other splits.
  /// e.g. test.normalize(train.normalize());
  normalization<T> normalize() {
    double sum = 0, sq = 0;
    auto const n = static_cast<double>(features.size());
    for (T v : features) sum += v;
    double const mean = n > 0 ? sum / n : 0;
    for (T v : features) sq += (v - mean) * (v - mean);
    if (sq == 0)  // nothing to divide by; say why, rather than "found 0"
      throw std::invalid_argument(
          "dataset::normalize: expected features that vary (a standard deviation > 0), found " +
          (n > 0 ? "all " + std::to_string(features.size()) + " values equal to " +
                       std::to_string(mean)
                 : std::string("no features")));
    normalization<T> const stats{static_cast<T>(mean),
                                 static_cast<T>(n > 0 ? std::sqrt(sq / n) : 0)};
    normalize(stats);
    return stats;
  }
  /// Normalises the features in place by given statistics. e.g. d.normalize({0.2860f, 0.3530f});
  void normalize(normalization<T> stats) {
    if (!(stats.stddev > 0))
      throw std::invalid_argument("dataset::normalize: expected a standard deviation > 0, found " +
                                  std::to_string(stats.stddev));
    for (T& v : features) v = (v - stats.mean) / stats.stddev;
  }

 private:
  tensor<T, batched_t<Sample>> rows_like(index_t n) const {
    auto e = features.shape();
    e[0] = n;
    return tensor<T, batched_t<Sample>>(e, metagrad::detail::uninitialized_t{});
  }
};

}  // namespace metagrad::data
