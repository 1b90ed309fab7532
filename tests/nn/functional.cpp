// Functional models: a graph with two inputs, a merge and two outputs computes what the same
// layers applied by hand compute; parameters are inferred and named by node; gradients flow to
// every node; a single-input functional model trains with fit (batch norm and dropout included);
// and the summary reports shapes and constexpr totals. Inputs declared with names are read by
// name as by position, and the summary shows their names.
#include "support/blobs.hpp"
#include "support/check.hpp"

#include <metagrad/train/train.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace train = metagrad::train;

TEST_CASE("functional: two inputs, a merge, two outputs") {
  using A = mg::shape<mg::dyn, 4>;
  using B = mg::shape<mg::dyn, 3>;
  auto model = nn::functional<A, B>(nn::node(nn::dense<5>{}, nn::in<0>),                   // 0
                                    nn::node(nn::dense<5>{}, nn::in<1>),                   // 1
                                    nn::node(nn::merge_add{}, nn::at<0>, nn::at<1>),       // 2
                                    nn::node(nn::tanh{}, nn::at<2>),                       // 3
                                    nn::node(nn::dense<2>{}, nn::at<3>),                   // 4
                                    nn::node(nn::merge_concat<>{}, nn::at<3>, nn::at<0>),  // 5
                                    nn::node(nn::dense<1>{}, nn::at<5>))                   // 6
                   .outputs(nn::at<4>, nn::at<6>);
  using M = decltype(model);
  static_assert(std::is_same_v<M::node_shapes<5>::output, mg::shape<mg::dyn, 10>>);
  static_assert(M::param_count == (20 + 5) + (15 + 5) + (10 + 2) + (10 + 1));
  auto p = model.init<double>(mg::rng{1});
  std::vector<std::string> names;
  M::for_each_named(p, [&](std::string const& n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "4.weight",
                                          "4.bias", "6.weight", "6.bias"});
  auto a = mgt::random<A>(mg::extents<2>{{6, 4}}, 1);
  auto b = mgt::random<B>(mg::extents<2>{{6, 3}}, 2);
  auto [y1, y2] = model(p, a, b);
  auto h0 = nn::dense<5>{}(std::get<0>(p), mg::as_expr(a));
  auto h3 = mg::tanh(h0 + nn::dense<5>{}(std::get<1>(p), mg::as_expr(b)));
  auto want1 = mg::eval(nn::dense<2>{}(std::get<4>(p), h3));
  auto want2 = mg::eval(nn::dense<1>{}(std::get<6>(p), mg::concat<-1>(h3, h0)));
  mgt::check_close(mg::eval(y1), want1, 1e-14, 1e-14, "output 0");
  mgt::check_close(mg::eval(y2), want2, 1e-14, 1e-14, "output 1");
  // Gradients of a loss of both outputs reach every node's parameters: against finite differences.
  // (The tree must hold references to p: an expression refers to its leaves, not copies.)
  mgt::check_grads(
      [&](auto const& w0, auto const& w1, auto const& w6) {
        return std::apply(
            [&](auto const& o1, auto const& o2) { return mg::sum(o1) + mg::sum(mg::square(o2)); },
            model(std::forward_as_tuple(std::forward_as_tuple(w0, std::get<1>(std::get<0>(p))),
                                        std::forward_as_tuple(w1, std::get<1>(std::get<1>(p))),
                                        std::get<2>(p), std::get<3>(p), std::get<4>(p),
                                        std::get<5>(p),
                                        std::forward_as_tuple(w6, std::get<1>(std::get<6>(p)))),
                  mg::as_expr(a), mg::as_expr(b)));
      },
      std::get<0>(std::get<0>(p)), std::get<0>(std::get<1>(p)), std::get<0>(std::get<6>(p)));
  // Per example: dense 2*In*Out FLOPs, a merge of two values one per value, tanh one per value,
  // a concatenation none (data movement); each node's output is an activation.
  static_assert(M::flops == 2 * 4 * 5 + 2 * 3 * 5 + 5 + 5 + 2 * 5 * 2 + 0 + 2 * 10 * 1);
  static_assert(M::activations == 5 + 5 + 5 + 5 + 2 + 10 + 1);
  static_assert(M::activation_bytes<> == 4 * 33);
  static_assert(M::activation_bytes<double> == 8 * 33);
  CHECK(M::summary() ==
        "node layer            reads          output shape         params        FLOPs/example "
        "activation bytes/example\n"
        "0    dense            in0            [B, 5]               25            40            20\n"
        "1    dense            in1            [B, 5]               20            30            20\n"
        "2    add              at0,at1        [B, 5]               0             5             20\n"
        "3    tanh             at2            [B, 5]               0             5             20\n"
        "4    dense            at3            [B, 2]               12            20            8\n"
        "5    concat           at3,at0        [B, 10]              0             0             40\n"
        "6    dense            at5            [B, 1]               11            20            4\n"
        "total parameters: 68, forward FLOPs per example: 120, activation values per example: 33 "
        "(132 bytes)\n");
  CHECK(M::summary<double>().find("(264 bytes)") != std::string::npos);
}

TEST_CASE("functional: inputs declared with names are read by name") {
  using A = mg::shape<mg::dyn, 4>;
  using B = mg::shape<mg::dyn, 3>;
  // Node 1 reads "meta" twice, once by name and once by position: both are input 1.
  auto named = nn::functional<nn::input<"image", A>, nn::input<"meta", B>>(
                   nn::node(nn::dense<5>{}, nn::in<"image">),                   // 0
                   nn::node(nn::merge_concat<>{}, nn::in<"meta">, nn::in<1>),   // 1
                   nn::node(nn::dense<5>{}, nn::at<1>),                         // 2
                   nn::node(nn::merge_multiply{}, nn::at<0>, nn::at<2>),        // 3
                   nn::node(nn::merge_concat<>{}, nn::at<3>, nn::in<"image">))  // 4
                   .outputs(nn::at<4>);
  auto numbered = nn::functional<A, B>(nn::node(nn::dense<5>{}, nn::in<0>),                   // 0
                                       nn::node(nn::merge_concat<>{}, nn::in<1>, nn::in<1>),  // 1
                                       nn::node(nn::dense<5>{}, nn::at<1>),                   // 2
                                       nn::node(nn::merge_multiply{}, nn::at<0>, nn::at<2>),  // 3
                                       nn::node(nn::merge_concat<>{}, nn::at<3>, nn::in<0>))  // 4
                      .outputs(nn::at<4>);
  using M = decltype(named);
  using N = decltype(numbered);
  static_assert(std::is_same_v<M::input_shapes, std::tuple<A, B>>);
  static_assert(M::input_names[0] == "image" && M::input_names[1] == "meta");
  static_assert(N::input_names[0].empty());
  static_assert(std::is_same_v<M::params<double>, N::params<double>>);
  static_assert(std::is_same_v<M::node_shapes<4>::output, mg::shape<mg::dyn, 9>>);
  static_assert(M::param_count == N::param_count && M::flops == N::flops);
  // The same parameters (names too): a name changes how a node reads an input, nothing else.
  auto p = named.init<double>(mg::rng{5});
  std::vector<std::string> names;
  M::for_each_named(p, [&](std::string const& n, auto const&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  auto a = mgt::random<A>(mg::extents<2>{{6, 4}}, 6);
  auto b = mgt::random<B>(mg::extents<2>{{6, 3}}, 7);
  mgt::check_close(mg::eval(named(p, a, b)), mg::eval(numbered(p, a, b)), 0, 0, "named inputs");
  auto h0 = nn::dense<5>{}(std::get<0>(p), mg::as_expr(a));
  auto h2 = nn::dense<5>{}(std::get<2>(p), mg::concat<-1>(mg::as_expr(b), mg::as_expr(b)));
  mgt::check_close(mg::eval(named(p, a, b)), mg::eval(mg::concat<-1>(h0 * h2, mg::as_expr(a))),
                   1e-14, 1e-14, "by hand");
  // Gradients with respect to both inputs and a weight, against finite differences.
  mgt::check_grads(
      [&](auto const& x0, auto const& x1, auto const& w2) {
        return mg::sum(mg::square(
            named(std::forward_as_tuple(std::get<0>(p), std::get<1>(p),
                                        std::forward_as_tuple(w2, std::get<1>(std::get<2>(p))),
                                        std::get<3>(p), std::get<4>(p)),
                  x0, x1)));
      },
      a, b, std::get<0>(std::get<2>(p)));
  // The summary shows an input by its name, however the node refers to it.
  CHECK(M::summary() ==
        "node layer            reads          output shape         params        FLOPs/example "
        "activation bytes/example\n"
        "0    dense            image          [B, 5]               25            40            20\n"
        "1    concat           meta,meta      [B, 6]               0             0             24\n"
        "2    dense            at1            [B, 5]               35            60            20\n"
        "3    multiply         at0,at2        [B, 5]               0             5             20\n"
        "4    concat           at3,image      [B, 9]               0             0             36\n"
        "total parameters: 60, forward FLOPs per example: 105, activation values per example: 30 "
        "(120 bytes)\n");
  CHECK(N::summary().find("1    concat           in1,in1 ") != std::string::npos);
}

TEST_CASE("functional: a merge of three values costs two FLOPs per value") {
  using In = mg::shape<mg::dyn, 6>;
  auto model = nn::functional<In>(nn::node(nn::merge_add{}, nn::in<0>, nn::in<0>, nn::in<0>),
                                  nn::node(nn::merge_multiply{}, nn::at<0>, nn::in<0>))
                   .outputs(nn::at<1>);
  using M = decltype(model);
  static_assert(M::node_shapes<0>::flops == 2 * 6);
  static_assert(M::node_shapes<1>::flops == 6);
  static_assert(M::flops == 18);
}

namespace {
/// dense<4>, then Levels times: tanh, and a merge that reads the tanh twice (h -> 2 tanh(h)).
template <std::size_t... I>
auto doubling_chain(std::index_sequence<I...>) {
  using In = mg::shape<mg::dyn, 3>;
  auto nodes = std::tuple_cat(
      std::tuple{nn::node(nn::dense<4>{}, nn::in<0>)},
      std::tuple{nn::node(nn::tanh{}, nn::at<2 * I>),
                 nn::node(nn::merge_add{}, nn::at<2 * I + 1>, nn::at<2 * I + 1>)}...);
  constexpr std::size_t last = 2 * sizeof...(I);
  return std::apply([](auto const&... n) { return nn::functional<In>(n...); }, nodes)
      .outputs(nn::at<last>);
}
}  // namespace

TEST_CASE("functional: a value read twice at every level is held once") {
  constexpr int levels = 16;
  auto model = doubling_chain(std::make_index_sequence<levels>{});
  auto p = model.init<double>(mg::rng{2});
  auto x = mgt::random<mg::shape<mg::dyn, 3>>(mg::extents<2>{{5, 3}}, 3);
  auto y = model(p, x);
  // Without sharing, the expression would hold 2^16 copies of the first dense layer.
  CHECK(sizeof(y) < 4096);
  mg::tensor<double, mg::shape<mg::dyn, 4>> want = mg::eval(nn::dense<4>{}(std::get<0>(p), x));
  for (int k = 0; k < levels; ++k) want = mg::eval(2.0 * mg::tanh(want));
  mgt::check_close(mg::eval(y), want, 1e-14, 1e-14, "16 doubling levels");
  mgt::check_grads([&](auto const& z) { return model(p, z); }, x);
}

TEST_CASE("functional: a single-input model with a skip connection, batch norm and dropout fits") {
  using In = mg::shape<mg::dyn, 2>;
  auto model = nn::functional<In>(nn::node(nn::batch_norm{}, nn::in<0>),            // 0
                                  nn::node(nn::dense<16>{}, nn::at<0>),             // 1
                                  nn::node(nn::relu{}, nn::at<1>),                  // 2
                                  nn::node(nn::dense<16>{}, nn::at<2>),             // 3
                                  nn::node(nn::merge_add{}, nn::at<3>, nn::at<1>),  // 4
                                  nn::node(nn::dropout{0.1}, nn::at<4>),            // 5
                                  nn::node(nn::dense<3>{}, nn::at<5>))              // 6
                   .outputs(nn::at<6>);
  using M = decltype(model);
  auto ds = mgt::blobs(400, 3, 3, 7, 0);  // shifted and scaled: batch norm has work to do
  auto params = model.init(mg::rng{4});
  auto state = model.init_state();
  mg::optim::adam adam{.lr = 1e-2f};
  auto h = train::fit(model, params, state, adam, ds, &ds,
                      {.epochs = 4, .batch_size = 32, .show = train::progress::none});
  CHECK(h.back().val_accuracy > 0.95);
  CHECK(std::get<0>(std::get<0>(state))(0) == doctest::Approx(7.0).epsilon(0.1));
  std::vector<std::string> names;
  M::for_each_state_named(state, [&](std::string const& n, auto const&) { names.push_back(n); });
  CHECK(names ==
        std::vector<std::string>{"0.running_mean", "0.running_var", "0.num_batches_tracked"});
  CHECK(std::get<2>(std::get<0>(state)).data()[0] == 4 * 13);  // 4 epochs of 13 batches (400/32)
}
