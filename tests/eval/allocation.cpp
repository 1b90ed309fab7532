// A training step repeated on the same shapes allocates nothing after its first run: every
// operator new and every block the tensor cache takes from the system is counted.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "support/check.hpp"

namespace {
std::atomic<long> news{0};
}  // namespace

// Counting replacements of the global allocation functions (for the whole test binary; only the
// difference over a measured region is read).
void* operator new(std::size_t n) {
  ++news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc{};
}
// noinline: g++ 12 -O3 otherwise sees free() of operator new's pointer (-Wmismatched-new-delete),
// not knowing that this operator new is malloc.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow pair too (libstdc++'s get_temporary_buffer, behind std::stable_sort, allocates with
// it and frees with sized delete): left to the sanitizer runtime, its blocks would be "operator
// new" ones freed by the free() above, an alloc-dealloc-mismatch in the ASan build.
void* operator new(std::size_t n, std::nothrow_t const&) noexcept {
  ++news;
  return std::malloc(n ? n : 1);
}
[[gnu::noinline]] void operator delete(void* p, std::nothrow_t const&) noexcept { std::free(p); }

namespace mg = metagrad;

namespace {
/// Runs step() n more times (after the caller's warm-up) and checks that none of those runs
/// allocated: no operator new, no block the tensor cache had to take from the system. Returns
/// the last run's result.
template <class Step>
auto check_steps_allocate_nothing(Step& step, int n) {
  auto& cache = mg::detail::block_cache::local();
  long news_before = news.load();
  auto blocks_before = cache.fresh_blocks();
  decltype(step()) last{};
  for (int i = 0; i < n; ++i) last = step();
  CHECK(news.load() - news_before == 0);
  CHECK(cache.fresh_blocks() - blocks_before == 0);
  return last;
}

/// One training step of params on loss with opt, as a callable returning the loss.
template <class Loss, class Params, class Opt>
auto training_step(Loss& loss, Params& params, Opt& opt) {
  return [&] {
    auto [l, g] = mg::value_and_grad(loss)(params);
    opt.step(params, g);
    return l.item();
  };
}
}  // namespace

TEST_CASE("a repeated training step allocates nothing after the first") {
  mg::tensor<float, mg::shape<8, 4>> x = mgt::random<mg::shape<8, 4>, float>(1);
  mg::tensor<float, mg::shape<8, 1>> y = mgt::random<mg::shape<8, 1>, float>(2);
  auto w1 = mgt::random<mg::shape<4, 16>, float>(3);
  auto b1 = mgt::random<mg::shape<16>, float>(4);
  auto w2 = mgt::random<mg::shape<16, 1>, float>(5);
  auto loss = [&](auto const& w1, auto const& b1, auto const& w2) {
    auto h = mg::tanh(mg::matmul(x, w1) + b1);
    return mg::mean(mg::square(mg::matmul(h, w2) - y));
  };
  auto step = [&] {
    auto [l, g] = mg::value_and_grad<0, 1, 2>(loss)(w1, b1, w2);
    mg::eval_into(w1, w1 - 0.1f * std::get<0>(g));
    mg::eval_into(b1, b1 - 0.1f * std::get<1>(g));
    mg::eval_into(w2, w2 - 0.1f * std::get<2>(g));
    return l.item();
  };
  float first = step();
  step();  // warm-up: the caches reach their steady state
  float last = check_steps_allocate_nothing(step, 20);
  CHECK(last < first);  // and it trains
}

TEST_CASE("a small static graph's step (eval/small.hpp) allocates nothing after the first") {
  // The OR gate: every node has at most 6 values, so the step runs on the stack.
  mg::tensor<float, mg::shape<3, 2>> x{{0, 0}, {0, 1}, {1, 0}};
  mg::tensor<float, mg::shape<3, 1>> y{{0}, {1}, {1}};
  mg::tensor<float, mg::shape<2, 2>> w1{{0.15f, -0.25f}, {0.20f, 0.30f}};
  mg::tensor<float, mg::shape<2>> b1{0.0f, 0.0f};
  mg::tensor<float, mg::shape<2, 1>> w2{{0.25f}, {-0.20f}};
  auto loss = [&](auto const& w1, auto const& b1, auto const& w2) {
    auto h = mg::sigmoid(mg::matmul(x, w1) + b1);
    return mg::mean(mg::square(mg::sigmoid(mg::matmul(h, w2)) - y));
  };
  static_assert(mg::detail::small::graph<decltype(loss(w1.view(), b1.view(), w2.view()))>);
  auto step = [&] {
    auto [l, g] = mg::value_and_grad<0, 1, 2>(loss)(w1, b1, w2);
    mg::eval_into(w1, w1 - 2.0f * std::get<0>(g));
    mg::eval_into(b1, b1 - 2.0f * std::get<1>(g));
    mg::eval_into(w2, w2 - 2.0f * std::get<2>(g));
    return l.item();
  };
  float first = step();
  step();
  float last = check_steps_allocate_nothing(step, 20);
  CHECK(last < first);
}

TEST_CASE("a sequential model's Adam step on a dyn batch allocates nothing after the first") {
  namespace nn = metagrad::nn;
  using In = mg::shape<mg::dyn, 12>;
  auto model = nn::sequential(nn::dense<16>{}, nn::relu{}, nn::dense<3>{});
  auto params = model.init<In>(mg::rng{3});
  mg::tensor<float, In> x(mg::extents<2>{{10, 12}});
  for (auto& v : x) v = 0.1f;
  x(0, 0) = 1, x(1, 3) = -1;
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{10}});
  for (mg::index_t i = 0; i < 10; ++i) y(i) = i % 3;
  mg::optim::adam opt{.lr = 1e-2f};
  auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
  auto step = training_step(loss, params, opt);
  float first = step();
  step();  // warm-up: the optimizer's state and the caches are made
  float last = check_steps_allocate_nothing(step, 20);
  CHECK(last < first);
}

TEST_CASE("a conv and dense step on two threads allocates nothing after the first") {
  // Products large enough for the GEMM to split among threads, and a batch for conv2d to split:
  // each thread's packing memory comes from its own scratch arena, kept after the warm-up.
  namespace nn = metagrad::nn;
  using In = mg::shape<mg::dyn, 3, 16, 16>;
  auto model = nn::sequential(nn::conv2d<16, 3>{}, nn::relu{}, nn::flatten{}, nn::dense<64>{},
                              nn::relu{}, nn::dense<4>{});
  auto params = model.init<In>(mg::rng{5});
  mg::tensor<float, In> x(mg::extents<4>{{32, 3, 16, 16}});
  mg::rng r{6};
  for (auto& v : x) v = r.uniform<float>(-1.0f, 1.0f);
  mg::tensor<mg::index_t, mg::shape<mg::dyn>> y(mg::extents<1>{{32}});
  for (mg::index_t i = 0; i < 32; ++i) y(i) = i % 4;
  mg::optim::sgd opt{.lr = 1e-2f};
  auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
  auto step = training_step(loss, params, opt);
  int const threads = mg::num_threads();
  mg::set_num_threads(2);
  float first = step();
  step();
  float last = check_steps_allocate_nothing(step, 5);
  mg::set_num_threads(threads);
  CHECK(last < first);
}

TEST_CASE("a step through a shared value (mg::share) allocates nothing after the first") {
  auto x = mgt::random<mg::shape<6, 5>, float>(11);
  auto w = mgt::random<mg::shape<5, 5>, float>(12);
  // h is read three times at each of three levels: the trace computes each shared value once
  // and keeps it in a pooled block.
  auto loss = [&](auto const& w) {
    auto h = mg::share(mg::tanh(mg::matmul(x, w)));
    auto h2 = mg::share(h * h + h);
    auto h3 = mg::share(mg::sigmoid(h2) * h2 - h2);
    return mg::mean(h3 * h3);
  };
  auto step = [&] {
    auto [l, g] = mg::value_and_grad(loss)(w);
    mg::eval_into(w, w - 0.1f * g);
    return l.item();
  };
  step();
  step();
  check_steps_allocate_nothing(step, 10);
}

TEST_CASE("an LSTM step allocates nothing after the first (its forward kept for the sweep)") {
  namespace nn = metagrad::nn;
  using In = mg::shape<4, 5, 3>;  // (B, T, D)
  auto model = nn::sequential(nn::lstm<6>{}, nn::last_step{}, nn::dense<2>{});
  auto params = model.init<In>(mg::rng{5});
  auto x = mgt::random<In, float>(13);
  mg::tensor<mg::index_t, mg::shape<4>> y{0, 1, 1, 0};
  mg::optim::sgd opt{.lr = 0.1f};
  auto& r = mg::detail::residuals::local();
  auto loss = [&](auto const& p) { return nn::cross_entropy(model(p, x), y); };
  auto step = training_step(loss, params, opt);
  float first = step();
  step();
  auto taken = r.taken;
  float last = check_steps_allocate_nothing(step, 10);
  CHECK(r.taken > taken);  // the reverse sweeps took the forward's values
  CHECK(last < first);
}

namespace {
// Destroyed after the main thread's thread_local block cache: its storage must go back to the
// system, not into the destroyed cache (AddressSanitizer reports it otherwise; without it the
// heap is corrupted at exit).
mg::tensor<float, mg::shape<4>> const& static_tensor() {
  static mg::tensor<float, mg::shape<4>> const t{1, 2, 3, 4};
  return t;
}
}  // namespace

TEST_CASE("a tensor with static storage duration outlives the block cache") {
  CHECK(static_tensor()(3) == 4);
  auto doubled = mg::eval(static_tensor() * 2.0f);
  CHECK(doubled(3) == 8);
}

// std::stable_sort takes its buffer with nothrow new and returns it with sized delete; in the
// ASan build this failed as an alloc-dealloc-mismatch until the nothrow pair was replaced too.
TEST_CASE("the counting allocator's nothrow new pairs with its delete") {
  long const before = news.load();
  std::vector<int> v(1000);
  for (int i = 0; i < 1000; ++i) v[std::size_t(i)] = (i * 7919) % 1000;
  std::stable_sort(v.begin(), v.end());
  CHECK(std::is_sorted(v.begin(), v.end()));
  int* p = new (std::nothrow) int(3);
  REQUIRE(p != nullptr);
  CHECK(*p == 3);
  delete p;
  CHECK(news.load() - before >= 2);  // the vector and the nothrow int at least
}

#if METAGRAD_ASAN
#include <sanitizer/asan_interface.h>

TEST_CASE("under AddressSanitizer, the blocks the cache keeps are poisoned") {
  using mg::detail::block_cache;
  void* p = block_cache::allocate(256);
  CHECK(__asan_region_is_poisoned(p, 256) == nullptr);
  block_cache::deallocate(p, 256);
  CHECK(__asan_address_is_poisoned(p));
  CHECK(__asan_address_is_poisoned(static_cast<char*>(p) + 255));
  void* q = block_cache::allocate(256);  // the same block, from the cache
  CHECK(q == p);
  CHECK(__asan_region_is_poisoned(q, 256) == nullptr);
  block_cache::deallocate(q, 256);
}
#endif
