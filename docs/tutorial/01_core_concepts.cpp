// The snippets of docs/tutorial/01_core_concepts.md, compiled and run in CI.
#undef NDEBUG  // the asserts are the snippet's checks, in every build type
#include <cassert>
#include <cmath>
#include <iostream>
#include <vector>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

int main() {
  // [tensors]
  mg::tensor<float, mg::shape<2, 3>> a{{1, 2, 3}, {4, 5, 6}};
  mg::tensor<float, mg::shape<3>> b{0.5f, -1, 2};
  std::cout << a << '\n';  // tensor([[1., 2., 3.],
                           //         [4., 5., 6.]])
  // [tensors]

  // [expressions]
  auto e = mg::tanh(a * b + 1.0f);  // (2,3) * (3) => (2,3): nothing computed yet
  auto y = mg::eval(e);             // now it is, in one fused loop
  std::cout << y << '\n';
  // [expressions]
  assert(std::fabs(y(0, 0) - std::tanh(1.5f)) < 1e-6f);

  // [share]
  auto layer = [](auto const& x) {
    auto h = mg::share(mg::tanh(x));  // read three times below, held (and computed) once
    return h * h + h;
  };
  auto deep = layer(layer(layer(layer(a))));  // four levels: the type stays small
  auto d = mg::eval(deep);
  auto dd = mg::grad([&](auto const& x) { return mg::sum(layer(layer(x))); })(a);
  // [share]
  static_assert(sizeof(deep) < 256);
  assert(d.shape() == a.shape() && dd.shape() == a.shape());

  // [reductions]
  auto rows = mg::eval(mg::sum<1>(a));                 // (2,3) => (2):   tensor([ 6., 15.])
  auto kept = mg::eval(mg::mean<1>(a, mg::keepdims));  // (2,3) => (2,1)
  auto total = mg::eval(mg::sum(a)).item();            // every axis => 21
  // [reductions]
  assert(rows(1) == 15 && kept(0, 0) == 2 && total == 21);

  // [grad]
  mg::tensor<float, mg::shape<3, 2>> w{{1, 0}, {0, 1}, {1, 1}};
  auto f = [](auto const& x, auto const& w) { return mg::sum(mg::tanh(mg::matmul(x, w))); };
  auto dw = mg::grad<1>(f)(a, w);  // d f / d w, shape (3,2)
  auto [value, grads] = mg::value_and_grad<0, 1>(f)(a, w);
  auto [dx, dw2] = grads;  // both gradients from one forward pass
  // [grad]
  assert(dw.shape() == w.shape() && dx.shape() == a.shape() && dw2(0, 0) == dw(0, 0));
  (void)value;

  // [jvp]
  mg::tensor<float, mg::shape<2, 3>> da{{1, 0, 0}, {0, 0, 0}};
  auto [fx, df] =
      mg::jvp(f, std::tuple{a, w}, std::tuple{da, mg::tensor<float, mg::shape<3, 2>>{}});
  // df is the derivative of f along (da, 0): equal to the gradient's (0,0) element
  // [jvp]
  assert(std::fabs(df.item() - dx(0, 0)) < 1e-6f);
  (void)fx;

  // [hvp]
  mg::tensor<double, mg::shape<3>> x{0.1, 0.2, 0.3}, v{1, 0, 0};
  auto g = [](auto const& x) { return mg::sum(mg::exp(x) * x); };
  auto hv = mg::hvp(g, x, v);  // H(x) v = jvp of grad: here (e^x (x + 2)) v elementwise
  // [hvp]
  assert(std::fabs(hv(0) - std::exp(0.1) * 2.1) < 1e-12);

  {
    // [small]
    mg::tensor<float, mg::shape<3, 2>> xs{{0, 0}, {0, 1}, {1, 0}};
    mg::tensor<float, mg::shape<2, 2>> w{{0.1f, -0.2f}, {0.3f, 0.4f}};
    auto loss = [&](auto const& w) { return mg::mean(mg::square(mg::sigmoid(mg::matmul(xs, w)))); };
    static_assert(mg::is_small_graph<decltype(loss(w))>);
    auto [l, dw] = mg::value_and_grad(loss)(w);  // on the stack: only l and dw are allocated
    mg::tensor<float, mg::shape<2, 2>> v{{1, 0}, {0, 1}};
    auto [l2, dl] = mg::jvp(loss, std::tie(w), std::tie(v));  // std::tie: w and v are not copied
    // [small]
    // along v = identity, the derivative is the trace of dw
    assert(std::fabs(dl.item() - (dw(0, 0) + dw(1, 1))) < 1e-6f && l2.item() == l.item());
    // the general path (a dyn extent) gives the same gradient
    mg::tensor_view<float, mg::shape<mg::dyn, 2>> wd(w.data(), {{2, 2}});
    auto dw_general = mg::grad(loss)(wd);
    for (int i = 0; i < 4; ++i) assert(std::fabs(dw.data()[i] - dw_general.data()[i]) < 1e-6f);
    assert(l.item() > 0);
  }

  // [views]
  std::vector<float> data{1, 2, 3, 4, 5, 6};
  mg::tensor_view<float, mg::shape<mg::dyn, 3>> batch(data.data(), {{2, 3}});  // no copy
  auto s = mg::eval(mg::sum<0>(batch));  // tensor([5., 7., 9.])
  // [views]
  assert(s(2) == 9);

  // [dyn]
  mg::tensor<float, mg::shape<mg::dyn, 3>> wrong{{1, 2, 3}};
  mg::tensor<float, mg::shape<2, 3>> fixed{{1, 2, 3}, {4, 5, 6}};
  try {
    auto bad = wrong + mg::tensor<float, mg::shape<4, 3>>{};  // (1,3) + (4,3): dyn never broadcasts
    (void)bad;
  } catch (mg::shape_error const& err) {
    std::cout << err.what() << '\n';  // add: shapes are incompatible for broadcasting; each
                                      // dimension must match or be 1, got [1, 3] and [4, 3]
  }
  // [dyn]
  (void)fixed;
  return 0;
}
