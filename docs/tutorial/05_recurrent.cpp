// docs/tutorial/05_recurrent.md, compiled and run by CI: an LSTM reads sequences of 8 numbers
// and learns whether their sum is positive; then a recurrence of one's own through mg::scan.
#include <cstdio>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

/// h' = tanh(x W + h U): a cell is a stateless type that builds one step's expression.
struct my_cell {
  template <class H, class X, class W, class U>
  auto operator()(H const& h, X const& x, W const& w, U const& u) const {
    return mg::tanh(mg::matmul(x, w) + mg::matmul(h, u));
  }
};

int main() {
  constexpr mg::index_t B = 32, T = 8;
  using In = mg::shape<B, T, 1>;  // batch first: (B, T, D)
  auto model = nn::sequential(nn::lstm<16>{}, nn::last_step{}, nn::dense<2>{});
  static_assert(decltype(model)::param_count<In> == 4 * (16 * 1 + 16 * 16 + 2 * 16) + 16 * 2 + 2);
  auto params = model.init<In, float>(mg::rng{7});
  mg::optim::adam opt{.lr = 1e-2};

  mg::rng data{11};
  mg::tensor<float, In> x;
  mg::tensor<mg::index_t, mg::shape<B>> y;
  auto next_batch = [&] {
    data.fill_uniform(x.data(), static_cast<std::size_t>(x.size()), -1.0f, 1.0f);
    for (mg::index_t b = 0; b < B; ++b) {
      float s = 0;
      for (mg::index_t t = 0; t < T; ++t) s += x(b, t, 0);
      y(b) = s > 0 ? 1 : 0;
    }
  };
  auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
  for (int step = 0; step < 300; ++step) {
    next_batch();
    auto [l, g] = mg::value_and_grad(loss)(params);
    opt.step(params, g);
    if (step % 100 == 0) std::printf("step %3d  loss %.4f\n", step, static_cast<double>(l()));
  }
  next_batch();
  auto logits = mg::eval(model(params, x));
  int right = 0;
  for (mg::index_t b = 0; b < B; ++b) right += (logits(b, 1) > logits(b, 0)) == (y(b) == 1);
  std::printf("held-out batch: %d/%d right\n", right, static_cast<int>(B));

  // A recurrence of one's own: h0 (B,C), xs (T,B,D) time first, T decided at run time.
  mg::tensor<double, mg::shape<mg::dyn, 2, 3>> xs(mg::extents<3>{{5, 2, 3}});
  mg::rng{1}.fill_uniform(xs.data(), static_cast<std::size_t>(xs.size()), -1.0, 1.0);
  mg::tensor<double, mg::shape<2, 4>> h0{};
  mg::tensor<double, mg::shape<3, 4>> w;
  mg::tensor<double, mg::shape<4, 4>> u;
  mg::rng{2}.fill_uniform(w.data(), 12, -0.5, 0.5);
  mg::rng{3}.fill_uniform(u.data(), 16, -0.5, 0.5);
  auto f = [](auto const& hh, auto const& xx, auto const& ww, auto const& uu) {
    return mg::sum(mg::scan<my_cell>(hh, xx, ww, uu));  // ys: (T, 2, 4)
  };
  auto [dw, du] = mg::grad<2, 3>(f)(h0, xs, w, u);
  std::printf("d/dw[0,0] = %.6f, d/du[0,0] = %.6f\n", dw(0, 0), du(0, 0));
  return right >= 26 ? 0 : 1;
}
