// SPDX-License-Identifier: MIT
// Learning-rate schedules: callables from the step number (0 for the first step) to the lr, in
// closed form. Each matches a torch.optim.lr_scheduler class stepped once per optimizer step:
// the value after t calls of scheduler.step(). Set opt.lr = schedule(t) before step t.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

namespace metagrad::optim {

/// torch.optim.lr_scheduler.StepLR: base * gamma^floor(t / step_size), e.g.
/// step_lr{.base = 0.1, .step_size = 30, .gamma = 0.1}(45) == 0.01.
struct step_lr {
  double base;
  std::int64_t step_size;
  double gamma = 0.1;

  double operator()(std::int64_t t) const {
    if (step_size <= 0)
      throw std::invalid_argument("step_lr: step_size must be positive, found " +
                                  std::to_string(step_size));
    return base * std::pow(gamma, static_cast<double>(t / step_size));
  }
};

/// torch.optim.lr_scheduler.ExponentialLR: base * gamma^t, e.g.
/// exponential_lr{.base = 0.1, .gamma = 0.9}(2) == 0.081.
struct exponential_lr {
  double base;
  double gamma;

  double operator()(std::int64_t t) const { return base * std::pow(gamma, static_cast<double>(t)); }
};

/// torch.optim.lr_scheduler.CosineAnnealingLR (its closed form, which it follows also past t_max:
/// the cosine rises again): eta_min + (base - eta_min) (1 + cos(pi t / t_max)) / 2, e.g.
/// cosine_annealing{.base = 0.1, .t_max = 10}(5) == 0.05.
struct cosine_annealing {
  double base;
  std::int64_t t_max;
  double eta_min = 0;

  double operator()(std::int64_t t) const {
    if (t_max <= 0)
      throw std::invalid_argument("cosine_annealing: t_max must be positive, found " +
                                  std::to_string(t_max));
    double c = std::cos(std::numbers::pi * static_cast<double>(t) / static_cast<double>(t_max));
    return eta_min + (base - eta_min) * (1 + c) / 2;
  }
};

/// A linear warm-up from start_factor * then(0) to then(0) over `steps` steps, then the schedule
/// `then` restarted at 0: torch's SequentialLR([LinearLR(start_factor, 1.0, total_iters = steps),
/// then], milestones = [steps]), e.g. linear_warmup{5, 0.1, cosine_annealing{0.1, 20}}.
template <class Then>
struct linear_warmup {
  std::int64_t steps;
  double start_factor;
  Then then;

  double operator()(std::int64_t t) const {
    if (t >= steps) return then(t - steps);
    double f =
        start_factor + (1 - start_factor) * static_cast<double>(t) / static_cast<double>(steps);
    return then(0) * f;
  }
};
template <class Then>
linear_warmup(std::int64_t, double, Then) -> linear_warmup<Then>;

}  // namespace metagrad::optim
