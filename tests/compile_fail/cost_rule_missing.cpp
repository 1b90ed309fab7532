// expect: (cost: an op of the expression has no cost rule.*op_has_no_cost_rule<no_rule_op>|op_has_no_cost_rule<no_rule_op>[^"]*"cost: an op of the expression has no cost rule)
// Costing an expression (nn::expression_cost, a struct model's flops) needs every op's cost
// rule: an op without flops<Out, Args...> is named.
#include <metagrad/metagrad.hpp>

namespace mg = metagrad;
namespace nn = metagrad::nn;

/// A non-elementwise op with a shape rule but no cost rule.
struct no_rule_op {
  static constexpr char const* name = "no_rule";
  template <class S>
  using result_shape = S;
  template <class S>
  mg::extents<S::rank> result_extents(mg::extents<S::rank> const& e) const {
    return e;
  }
};

using X = mg::tensor_view<float, mg::shape<mg::dyn, 3>>;
static_assert(nn::expression_cost<mg::node<mg::permute_op<std::array{0, 1}>, X>>.flops == 0);

#ifdef METAGRAD_SHOULD_FAIL
static_assert(nn::expression_cost<mg::node<no_rule_op, X>>.flops == 0);
#endif
