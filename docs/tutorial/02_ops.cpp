// The snippets of docs/tutorial/02_ops.md, compiled and run in CI.
#undef NDEBUG  // the asserts are the snippet's checks, in every build type
#include <cassert>
#include <cmath>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;

int main() {
  // [convnet]
  mg::tensor<float, mg::shape<2, 1, 8, 8>> images;   // (N,C,H,W)
  mg::tensor<float, mg::shape<4, 1, 3, 3>> kernels;  // (O,C,KH,KW)
  mg::tensor<float, mg::shape<4>> bias;
  mg::tensor<mg::index_t, mg::shape<2>> labels{3, 1};
  kernels(0, 0, 1, 1) = 1;
  auto logits = [&](auto const& k, auto const& b) {
    auto h = mg::relu(mg::conv2d<mg::conv2d_params{.padding = 1}>(images, k, b));  // (2,4,8,8)
    auto p = mg::max_pool2d<2>(h);                                                 // (2,4,4,4)
    return mg::mean<2, 3>(p);                                                      // (2,4)
  };
  auto loss = [&](auto const& k, auto const& b) {
    auto logp = mg::log_softmax(logits(k, b));                                         // (2,4)
    auto picked = mg::take_along_axis<1>(logp, mg::reshape<mg::shape<2, 1>>(labels));  // (2,1)
    return -mg::mean(picked);
  };
  auto [value, grads] = mg::value_and_grad<0, 1>(loss)(kernels, bias);
  // [convnet]
  assert(std::fabs(value.item() - std::log(4.0f)) < 1e-5f);  // all logits equal: -log(1/4)
  assert(std::get<1>(grads).shape() == bias.shape());

  // [shape-ops]
  mg::tensor<float, mg::shape<4, 5>> x;
  auto rows = mg::slice<0, 1, 3>(x);                          // x[1:3]     => (2,5)
  auto every_other = mg::slice<1, 0, mg::end_of_axis, 2>(x);  // x[:, ::2]  => (4,3)
  auto both = mg::concat<0>(x, x);                            // (8,5)
  auto stacked = mg::stack<0>(x, x);                          // (2,4,5)
  auto flat = mg::reshape<mg::shape<20>>(x);                  // (20)
  auto t = mg::transpose(x);                                  // (5,4)
  // [shape-ops]
  static_assert(std::is_same_v<mg::shape_t<decltype(rows)>, mg::shape<2, 5>>);
  static_assert(std::is_same_v<mg::shape_t<decltype(every_other)>, mg::shape<4, 3>>);
  static_assert(std::is_same_v<mg::shape_t<decltype(both)>, mg::shape<8, 5>>);
  static_assert(std::is_same_v<mg::shape_t<decltype(stacked)>, mg::shape<2, 4, 5>>);
  static_assert(std::is_same_v<mg::shape_t<decltype(flat)>, mg::shape<20>>);
  static_assert(std::is_same_v<mg::shape_t<decltype(t)>, mg::shape<5, 4>>);

  // [embedding]
  mg::tensor<float, mg::shape<10, 3>> table;
  mg::tensor<mg::index_t, mg::shape<2, 4>> tokens{{1, 2, 2, 9}, {0, 0, 5, 1}};
  auto embedded = mg::take<0>(table, tokens);  // (2,4,3); its vjp adds repeated rows up
  // [embedding]
  static_assert(std::is_same_v<mg::shape_t<decltype(embedded)>, mg::shape<2, 4, 3>>);
  assert(mg::eval(embedded).shape() == (mg::extents<3>{{2, 4, 3}}));
  return 0;
}
