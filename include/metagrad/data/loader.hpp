// SPDX-License-Identifier: MIT
// batch_loader: iterates a dataset in batches of views, x (B,Sample...) and y (B), B = batch_size
// except a last partial batch (kept unless drop_last). In order, the views point into the dataset
// (zero copy); shuffled, each epoch gathers into two buffers the loader owns and reuses.
// e.g. for (auto [x, y] : batch_loader(train, {.batch_size = 64, .shuffle = true}, rng{1})) ...
#pragma once
#include <cstring>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "../random/philox.hpp"
#include "dataset.hpp"

namespace metagrad::data {

struct loader_options {
  index_t batch_size = 32;
  bool shuffle = false;    ///< a new permutation each epoch, from the loader's rng
  bool drop_last = false;  ///< drop the last batch if it is smaller than batch_size
};

/// One batch: views valid until the next batch is read (shuffled) or the dataset changes.
template <class T, class Sample>
struct batch {
  tensor_view<T, batched_t<Sample>> x;
  tensor_view<index_t, shape<dyn>> y;
};

/// Batches of a dataset that must outlive the loader. Epoch e shuffles with rng.fold_in(e), so a
/// seed fixes every epoch's order and a run can resume at any epoch (set_epoch).
template <class T, class Sample>
class batch_loader {
 public:
  using value_type = batch<T, Sample>;

  batch_loader(dataset<T, Sample> const& ds, loader_options opt, rng r = rng{0})
      : ds_(&ds), opt_(opt), rng_(r) {
    if (opt_.batch_size <= 0)
      throw std::invalid_argument("batch_loader: expected batch_size > 0, found " +
                                  std::to_string(opt_.batch_size));
    if (opt_.shuffle) {
      auto const b = static_cast<std::size_t>(std::min(opt_.batch_size, ds.size()));
      order_.resize(static_cast<std::size_t>(ds.size()));
      x_buf_.resize(b * static_cast<std::size_t>(Sample::static_size));
      y_buf_.resize(b);
    }
  }

  class iterator {
   public:
    using value_type = batch<T, Sample>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    value_type operator*() const { return loader_->at(index_); }
    iterator& operator++() { return ++index_, *this; }
    iterator operator++(int) {
      auto old = *this;
      ++index_;
      return old;
    }
    friend bool operator==(iterator const& a, iterator const& b) { return a.index_ == b.index_; }

   private:
    friend class batch_loader;
    iterator(batch_loader const* l, index_t i) : loader_(l), index_(i) {}
    batch_loader const* loader_ = nullptr;
    index_t index_ = 0;
  };

  /// Starts an epoch: with shuffling, draws this epoch's order, then advances the epoch count.
  iterator begin() {
    if (opt_.shuffle) {
      std::iota(order_.begin(), order_.end(), index_t{0});
      rng_.fold_in(static_cast<std::uint64_t>(epoch_)).shuffle(order_.begin(), order_.end());
    }
    ++epoch_;
    return {this, 0};
  }
  iterator end() const { return {this, size()}; }

  /// Batches per epoch. e.g. 60000 examples in batches of 64: 938 (937 with drop_last).
  index_t size() const {
    index_t const n = ds_->size(), b = opt_.batch_size;
    return opt_.drop_last ? n / b : (n + b - 1) / b;
  }
  /// The epoch the next begin() starts (0 for a new loader).
  index_t epoch() const { return epoch_; }
  void set_epoch(index_t e) { epoch_ = e; }
  /// This epoch's order of examples (empty without shuffling).
  std::vector<index_t> const& order() const { return order_; }

 private:
  value_type at(index_t i) const {
    index_t const start = i * opt_.batch_size;
    index_t const rows = std::min(opt_.batch_size, ds_->size() - start);
    constexpr index_t f = Sample::static_size;
    extents<Sample::rank + 1> e = ds_->features.shape();
    e[0] = rows;
    if (!opt_.shuffle)
      return {{ds_->features.data() + start * f, e},
              {ds_->labels.data() + start, extents<1>{{rows}}}};
    for (index_t r = 0; r < rows; ++r) {
      index_t const k = order_[static_cast<std::size_t>(start + r)];
      std::memcpy(x_buf_.data() + r * f, ds_->features.data() + k * f, sizeof(T) * f);
      y_buf_[static_cast<std::size_t>(r)] = ds_->labels.data()[k];
    }
    return {{x_buf_.data(), e}, {y_buf_.data(), extents<1>{{rows}}}};
  }

  dataset<T, Sample> const* ds_;
  loader_options opt_;
  rng rng_;
  index_t epoch_ = 0;
  std::vector<index_t> order_;
  // Written by at() through a const iterator: the gather buffers are the loader's scratch.
  mutable std::vector<T> x_buf_;
  mutable std::vector<index_t> y_buf_;
};

template <class T, class Sample>
batch_loader(dataset<T, Sample> const&, loader_options, rng) -> batch_loader<T, Sample>;
template <class T, class Sample>
batch_loader(dataset<T, Sample> const&, loader_options) -> batch_loader<T, Sample>;

}  // namespace metagrad::data
