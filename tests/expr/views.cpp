// Tensors, zero-copy views over memory the caller owns (pointer, span, Eigen), printing, threads.
#include <Eigen/Core>
#include <sstream>
#include <vector>

#include "support/check.hpp"

namespace mg = metagrad;

TEST_CASE("tensor: nested lists, flat ranges, element access, shape") {
  mg::tensor<float, mg::shape<2, 3>> t{{1, 2, 3}, {4, 5, 6}};
  CHECK(t(1, 2) == 6);
  CHECK(t.shape() == mg::extents<2>{{2, 3}});
  CHECK(t.size() == 6);
  std::vector<double> v{1, 2, 3, 4};
  mg::tensor<double, mg::shape<2, 2>> u(v);
  CHECK(u(1, 0) == 3);
  CHECK_THROWS_AS((mg::tensor<double, mg::shape<3>>(v)), mg::shape_error);
  mg::tensor<float, mg::shape<mg::dyn, 2>> d{{1, 2}, {3, 4}, {5, 6}};
  CHECK(d.shape()[0] == 3);
  CHECK_THROWS_WITH_AS((mg::tensor<float, mg::shape<2, 2>>{{1, 2}, {3}}),
                       doctest::Contains("ragged"), mg::shape_error);
}

TEST_CASE("tensor prints as PyTorch does") {
  std::ostringstream os;
  os << mg::tensor<float, mg::shape<2, 2>>{{1, 2}, {3, 4}};
  CHECK(os.str() == "tensor([[1., 2.],\n        [3., 4.]])");
  os.str("");
  os << mg::tensor<float, mg::shape<3>>{0.5f, -1.25f, 2};
  CHECK(os.str() == "tensor([ 0.5000, -1.2500,  2.0000])");
  os.str("");
  os << mg::tensor<float, mg::shape<>>{3.5f};
  CHECK(os.str() == "tensor(3.5000)");
}

TEST_CASE("views over a raw pointer and a span enter graphs without copying") {
  std::vector<float> data{1, 2, 3, 4, 5, 6};
  mg::tensor_view<float, mg::shape<2, 3>> v(data.data());
  auto s = mg::eval(mg::sum<1>(v));
  CHECK(s(0) == 6);
  CHECK(s(1) == 15);
  data[0] = 10;  // the view reads the caller's memory
  CHECK(mg::eval(mg::sum(v)).item() == 30);
  mg::tensor_view<float, mg::shape<mg::dyn, 3>> dv(std::span<float const>(data), {{2, 3}});
  CHECK(mg::eval(mg::sum(dv)).item() == 30);
  CHECK_THROWS_AS(
      (mg::tensor_view<float, mg::shape<mg::dyn, 4>>(std::span<float const>(data), {{2, 4}})),
      mg::shape_error);
  // Extents that a static axis does not allow: the message names both.
  CHECK_THROWS_WITH_AS((mg::tensor_view<float, mg::shape<2, 3>>(data.data(), {{3, 2}})),
                       doctest::Contains("do not fit the static shape"), mg::shape_error);
}

TEST_CASE("views over Eigen matrices, row- and column-major, and their gradients") {
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> a;
  a << 1, 2, 3, 4, 5, 6;
  Eigen::MatrixXd b(3, 2);  // column-major
  b << 1, 0, 0, 1, 1, 1;
  auto av = mg::view(a);
  auto bv = mg::view(b);
  static_assert(std::is_same_v<mg::shape_t<decltype(bv)>, mg::shape<mg::dyn, mg::dyn>>);
  auto c = mg::eval(mg::matmul(av, bv));
  Eigen::MatrixXd want = a * b;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) CHECK(c(i, j) == doctest::Approx(want(i, j)));
  auto g = mg::grad([](auto w, auto x) { return mg::sum(mg::matmul(x, w)); })(bv, av);
  CHECK(g.shape() == mg::extents<2>{{3, 2}});
  CHECK(g(0, 0) == doctest::Approx(5.0));  // column sums of a
  Eigen::MatrixXd block = b.topRows(2);
  CHECK_NOTHROW(mg::view(block));
}

TEST_CASE("the cpu thread count is set through the API") {
  int before = mg::num_threads();
  mg::set_num_threads(2);
  CHECK(mg::num_threads() == 2);
  mg::set_num_threads(1);
  CHECK(mg::num_threads() == 1);
  mg::set_num_threads(before);
}

#if METAGRAD_HAS_OPENMP
TEST_CASE("a product too small to gain from threads runs on one, and Eigen follows the count") {
  int before = mg::num_threads();
  mg::set_num_threads(2);
  CHECK(Eigen::nbThreads() == 2);
  {
    mg::detail::threads_for_work small(mg::detail::parallel_min_work - 1);
    CHECK(mg::num_threads() == 1);
    CHECK(Eigen::nbThreads() == 1);
  }
  CHECK(mg::num_threads() == 2);
  {
    mg::detail::threads_for_work large(mg::detail::parallel_min_work);
    CHECK(Eigen::nbThreads() == 2);
  }
  CHECK(Eigen::nbThreads() == 2);
  mg::set_num_threads(before);
}
#endif
