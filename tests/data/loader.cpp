// SPDX-License-Identifier: MIT
// batch_loader: batch counts, the last partial batch and drop_last, in-order views, and shuffling
// (a permutation each epoch, a new one per epoch, fixed by the seed, resumable with set_epoch).
#include <doctest/doctest.h>

#include <algorithm>
#include <metagrad/data/loader.hpp>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace mg = metagrad;
namespace md = metagrad::data;

namespace {

// n examples of 2 features: example i is (i, -i) with label i (so a batch shows which it holds).
md::dataset<float, mg::shape<2>> numbered(mg::index_t n) {
  mg::tensor<float, mg::shape<mg::dyn, 2>> x(mg::extents<2>{{n, 2}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    x(i, 0) = static_cast<float>(i);
    x(i, 1) = static_cast<float>(-i);
    y(i) = i;
  }
  return {std::move(x), std::move(y)};
}

// One epoch: the labels of every batch, in order, after checking each batch's features agree.
template <class Loader>
std::vector<std::vector<mg::index_t>> epoch(Loader& loader) {
  std::vector<std::vector<mg::index_t>> out;
  for (auto [x, y] : loader) {
    REQUIRE(x.shape()[0] == y.shape()[0]);
    std::vector<mg::index_t> labels;
    for (mg::index_t r = 0; r < y.shape()[0]; ++r) {
      CHECK(x.data()[2 * r] == static_cast<float>(y.data()[r]));
      CHECK(x.data()[2 * r + 1] == -static_cast<float>(y.data()[r]));
      labels.push_back(y.data()[r]);
    }
    out.push_back(labels);
  }
  return out;
}

std::vector<mg::index_t> flat(std::vector<std::vector<mg::index_t>> const& batches) {
  std::vector<mg::index_t> all;
  for (auto const& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

std::vector<mg::index_t> iota(mg::index_t n) {
  std::vector<mg::index_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), mg::index_t{0});
  return v;
}

}  // namespace

TEST_CASE("batch_loader: batch count, the last partial batch, and drop_last") {
  auto const ds = numbered(10);
  md::batch_loader keep(ds, {.batch_size = 4});
  CHECK(keep.size() == 3);
  auto const batches = epoch(keep);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<mg::index_t>{0, 1, 2, 3});
  CHECK(batches[1] == std::vector<mg::index_t>{4, 5, 6, 7});
  CHECK(batches[2] == std::vector<mg::index_t>{8, 9});  // the partial batch is kept

  md::batch_loader drop(ds, {.batch_size = 4, .drop_last = true});
  CHECK(drop.size() == 2);
  auto const dropped = epoch(drop);
  REQUIRE(dropped.size() == 2);
  CHECK(flat(dropped) == std::vector<mg::index_t>{0, 1, 2, 3, 4, 5, 6, 7});

  // An exact multiple has no partial batch either way; a batch larger than the data is one batch.
  CHECK(md::batch_loader(ds, {.batch_size = 5}).size() == 2);
  CHECK(md::batch_loader(ds, {.batch_size = 5, .drop_last = true}).size() == 2);
  md::batch_loader big(ds, {.batch_size = 64});
  CHECK(big.size() == 1);
  CHECK(flat(epoch(big)) == iota(10));
  CHECK(md::batch_loader(ds, {.batch_size = 64, .drop_last = true}).size() == 0);
  // 60000 examples in batches of 64, as the header's example says.
  auto const mnist_sized = numbered(60000);
  CHECK(md::batch_loader(mnist_sized, {.batch_size = 64}).size() == 938);
  CHECK(md::batch_loader(mnist_sized, {.batch_size = 64, .drop_last = true}).size() == 937);
}

TEST_CASE("batch_loader: in order, the views point into the dataset") {
  auto const ds = numbered(6);
  md::batch_loader loader(ds, {.batch_size = 4});
  auto it = loader.begin();
  auto const first = *it;
  CHECK(first.x.data() == ds.features.data());
  CHECK(first.y.data() == ds.labels.data());
  auto const second = *++it;
  CHECK(second.x.data() == ds.features.data() + 4 * 2);
  CHECK(second.x.shape() == mg::extents<2>{{2, 2}});
  CHECK(++it == loader.end());
  CHECK(loader.order().empty());
}

TEST_CASE("batch_loader: shuffling is a permutation, new each epoch, fixed by the seed") {
  auto const ds = numbered(23);
  md::batch_loader a(ds, {.batch_size = 5, .shuffle = true}, mg::rng{7});
  CHECK(a.size() == 5);
  auto const e0 = epoch(a);
  auto const e1 = epoch(a);
  REQUIRE(e0.size() == 5);
  CHECK(e0.back().size() == 3);
  auto sorted0 = flat(e0), sorted1 = flat(e1);
  std::sort(sorted0.begin(), sorted0.end());
  std::sort(sorted1.begin(), sorted1.end());
  CHECK(sorted0 == iota(23));  // every example exactly once
  CHECK(sorted1 == iota(23));
  CHECK(flat(e0) != iota(23));  // shuffled (23! orders; in order would be a broken shuffle)
  CHECK(flat(e0) != flat(e1));  // a new order each epoch
  CHECK(a.epoch() == 2);

  // The same seed gives the same epochs; another seed other ones.
  md::batch_loader b(ds, {.batch_size = 5, .shuffle = true}, mg::rng{7});
  CHECK(epoch(b) == e0);
  CHECK(epoch(b) == e1);
  md::batch_loader c(ds, {.batch_size = 5, .shuffle = true}, mg::rng{8});
  CHECK(epoch(c) != e0);

  // Resuming at epoch 1 replays epoch 1 without running epoch 0.
  md::batch_loader resumed(ds, {.batch_size = 5, .shuffle = true}, mg::rng{7});
  resumed.set_epoch(1);
  CHECK(resumed.epoch() == 1);
  CHECK(epoch(resumed) == e1);
  CHECK(resumed.epoch() == 2);
  resumed.set_epoch(0);
  CHECK(epoch(resumed) == e0);
  CHECK(resumed.order().size() == 23);
}

TEST_CASE("batch_loader: shuffled with drop_last, full batches of distinct examples") {
  auto const ds = numbered(10);
  md::batch_loader loader(ds, {.batch_size = 4, .shuffle = true, .drop_last = true}, mg::rng{3});
  CHECK(loader.size() == 2);
  auto const e0 = flat(epoch(loader));
  CHECK(e0.size() == 8);
  auto sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // no repeats
}

TEST_CASE("batch_loader: batch_size must be positive; an empty dataset has no batches") {
  auto const ds = numbered(3);
  CHECK_THROWS_WITH_AS(md::batch_loader(ds, {.batch_size = 0}),
                       "batch_loader: expected batch_size > 0, found 0", std::invalid_argument);
  CHECK_THROWS_AS(md::batch_loader(ds, {.batch_size = -2}), std::invalid_argument);
  auto const none = numbered(0);
  md::batch_loader empty(none, {.batch_size = 4, .shuffle = true});
  CHECK(empty.size() == 0);
  CHECK(epoch(empty).empty());
}
