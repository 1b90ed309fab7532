// The README's first example, compiled and run in CI.
#undef NDEBUG  // the asserts are the snippet's checks, in every build type
#include <cassert>
#include <iostream>

#include <metagrad/metagrad.hpp>
namespace mg = metagrad;

int main() {
  mg::tensor<float, mg::shape<2, 3>> x{{1, 2, 3}, {4, 5, 6}};
  mg::tensor<float, mg::shape<3, 2>> w{{1, 0}, {0, 1}, {1, 1}};
  auto f = [](auto const& x, auto const& w) { return mg::sum(mg::tanh(mg::matmul(x, w))); };

  std::cout << mg::eval(f(x, w)) << '\n';                   // tensor(3.9992)
  auto dw = mg::grad<1>(f)(x, w);                           // df/dw, a tensor<float, shape<3, 2>>
  auto [value, grads] = mg::value_and_grad<0, 1>(f)(x, w);  // one forward pass, both gradients
  auto hv = mg::hvp([&](auto const& w) { return f(x, w); }, w, dw);  // jvp of grad

  assert(value.item() > 3.99f && std::get<1>(grads)(0, 0) == dw(0, 0));
  assert(hv.shape() == w.shape());
  return 0;
}
