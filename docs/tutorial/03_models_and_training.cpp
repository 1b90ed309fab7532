// docs/tutorial/03_models_and_training.md, compiled and run by CI: a sequential model whose
// parameter shapes are inferred, trained with Adam on a made-up two-class problem.
#include <cstdio>

#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

int main() {
  // [model]
  auto model = nn::sequential(nn::dense<16>{}, nn::relu{}, nn::dense<2>{});
  using In = mg::shape<mg::dyn, 2>;          // a batch of 2-D points
  auto params = model.init<In>(mg::rng{0});  // ((16,2),(16)), (), ((2,16),(2))
  static_assert(decltype(model)::param_count<In> == 16 * 2 + 16 + 2 * 16 + 2);
  std::printf("%s", decltype(model)::summary<In>().c_str());
  // [model]

  // Points inside the unit circle are class 1, outside class 0.
  mg::rng r{1};
  mg::tensor<float, In> x(mg::extents<2>{{256, 2}});
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{256}});
  for (mg::index_t i = 0; i < 256; ++i) {
    x(i, 0) = r.uniform<float>(-1.5f, 1.5f), x(i, 1) = r.uniform<float>(-1.5f, 1.5f);
    y(i) = x(i, 0) * x(i, 0) + x(i, 1) * x(i, 1) < 1 ? 1 : 0;
  }

  // [train]
  mg::optim::adam opt{.lr = 1e-2f};
  auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
  float first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    auto [value, grads] = mg::value_and_grad(loss)(params);  // grads shaped like params
    opt.step(params, grads);
    (step == 0 ? first : last) = value.item();
  }
  // [train]
  std::printf("loss %.3f -> %.3f\n", static_cast<double>(first), static_cast<double>(last));
  return last < 0.5f * first ? 0 : 1;
}
