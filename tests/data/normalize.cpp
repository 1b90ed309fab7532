// SPDX-License-Identifier: MIT
// dataset::normalize: by the features' own mean and standard deviation (over all elements,
// divided by their count), by given statistics (another split's), and the errors for a standard
// deviation that is not > 0. Every expected value is computed by hand and exact in float.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <metagrad/data/dataset.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace mg = metagrad;
namespace md = metagrad::data;

namespace {

// Two-feature examples from rows of values, labelled 0, 1, 2, ...
template <class T = float>
md::dataset<T, mg::shape<2>> rows(std::vector<std::vector<T>> const& v) {
  auto const n = static_cast<mg::index_t>(v.size());
  mg::tensor<T, mg::shape<mg::dyn, 2>> x(mg::extents<2>{{n, 2}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{n}});
  for (mg::index_t i = 0; i < n; ++i) {
    x(i, 0) = v[static_cast<std::size_t>(i)][0];
    x(i, 1) = v[static_cast<std::size_t>(i)][1];
    y(i) = i;
  }
  return {std::move(x), std::move(y)};
}

template <class D>
std::vector<typename D::value_type> features(D const& d) {
  return {d.features.begin(), d.features.end()};
}

// The message of the invalid_argument that f throws ("" if it throws none).
template <class F>
std::string message_of(F f) {
  try {
    f();
  } catch (std::invalid_argument const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("normalize() uses the features' own mean and standard deviation, and returns them") {
  // 2 4 4 4 5 5 7 9: mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32, / 8 = 4, stddev 2.
  auto train = rows({{2, 4}, {4, 4}, {5, 5}, {7, 9}});
  auto const stats = train.normalize();
  CHECK(stats.mean == 5.0f);
  CHECK(stats.stddev == 2.0f);
  CHECK(features(train) == std::vector<float>{-1.5f, -0.5f, -0.5f, -0.5f, 0, 0, 1, 2});
  CHECK(train.labels(3) == 3);  // labels are untouched

  // Another split takes the training statistics, not its own.
  auto test = rows({{5, 7}, {3, 1}});
  test.normalize(stats);
  CHECK(features(test) == std::vector<float>{0, 1, -1, -2});
}

TEST_CASE("normalize(stats) computes (x - mean) / stddev in place, for float and double") {
  auto d = rows({{1, 2}, {3, -1}});
  d.normalize({.mean = 1, .stddev = 0.5f});
  CHECK(features(d) == std::vector<float>{0, 2, 4, -4});

  auto e = rows<double>({{10, 20}, {30, 40}});
  e.normalize({.mean = 25, .stddev = 10});
  CHECK(features(e) == std::vector<double>{-1.5, -0.5, 0.5, 1.5});
  // Its own statistics: mean 25, deviations 15 5 5 15, sq 500 / 4 = 125, stddev sqrt(125).
  auto f = rows<double>({{10, 20}, {30, 40}});
  auto const s = f.normalize();
  CHECK(s.mean == 25.0);
  CHECK(s.stddev == std::sqrt(125.0));
}

TEST_CASE("normalize(stats) rejects a standard deviation that is not > 0, saying what it found") {
  auto d = rows({{1, 2}, {3, 4}});
  auto const zero = message_of([&] { d.normalize({.mean = 1, .stddev = 0}); });
  CHECK(zero.find("dataset::normalize: expected a standard deviation > 0, found 0") == 0);
  CHECK(message_of([&] { d.normalize({.mean = 1, .stddev = -2}); }).find("found -2") !=
        std::string::npos);
  CHECK(message_of([&] {
          d.normalize({.mean = 1, .stddev = std::numeric_limits<float>::quiet_NaN()});
        }).find("found nan") != std::string::npos);
  CHECK(features(d) == std::vector<float>{1, 2, 3, 4});  // left as it was
}

TEST_CASE("normalize() of features that do not vary throws, and leaves them as they were") {
  auto d = rows({{3, 3}, {3, 3}});
  CHECK(message_of([&] { d.normalize(); }) ==
        "dataset::normalize: expected features that vary (a standard deviation > 0), found all 4 "
        "values equal to 3.000000");
  CHECK(features(d) == std::vector<float>{3, 3, 3, 3});
  md::dataset<float, mg::shape<2>> empty = rows({});
  CHECK(message_of([&] { empty.normalize(); }).find("found no features") != std::string::npos);
}
