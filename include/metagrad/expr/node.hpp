// SPDX-License-Identifier: MIT
// node<Op, Args...>: an op applied to argument expressions. The op gives the result's shape type
// (`result_shape`) and run-time extents (`result_extents`, which checks dyn extents); the node
// holds its args by value, so an expression's type records the whole graph.
#pragma once
#include <concepts>
#include <tuple>
#include <utility>

#include "../detail/meta.hpp"
#include "leaf.hpp"

namespace metagrad {

namespace detail {
template <class Op, class... Args>
struct op_value_type {
  using type = value_t<std::tuple_element_t<0, std::tuple<Args...>>>;
};
template <class Op, class... Args>
requires requires { typename Op::template value_type<Args...>; }
struct op_value_type<Op, Args...> {
  using type = typename Op::template value_type<Args...>;
};

template <class Op>
constexpr zero_rule zeros_of() {
  if constexpr (requires { Op::zeros; })
    return Op::zeros;
  else
    return zero_rule::never;
}
}  // namespace detail

/// Named in the diagnostic, e.g. operands_on_different_devices<add_op, device::cpu, device::cuda>.
template <class Op, class... Devices>
struct operands_on_different_devices {
  static constexpr bool value = false;
};

template <class Op, class... Args>
struct node : expr_tag, extents_member<typename Op::template result_shape<shape_t<Args>...>> {
  using first_arg = std::tuple_element_t<0, std::tuple<Args...>>;
  using shape_type = typename Op::template result_shape<shape_t<Args>...>;
  using value_type = typename detail::op_value_type<Op, Args...>::type;
  using device_type = device_t<first_arg>;
  using op_type = Op;
  static constexpr std::size_t rank = shape_type::rank;

  // If the compiler points here, one expression mixed tensors of different devices.
  // is_same_v, not std::same_as: g++ 12 would add a "constraints not satisfied" trail.
  static_assert((std::is_same_v<device_t<Args>, device_type> && ...) ||
                    operands_on_different_devices<Op, device_t<Args>...>::value,
                "expression mixes devices: every operand of an op must live on the same device");

  using extents_member<shape_type>::ext;
  [[no_unique_address]] Op op;
  detail::flat_tuple<Args...> args;

  // An aggregate: built in place by make_node, by memoize (a memo has its operand's extents),
  // and by the passes that rebuild a node over new args (a trace, prepare, the small path's
  // values), which take its extents as they are. Each site writes the braces itself: a
  // constructor or a shared helper would be one more function per node type, a symbol spelling
  // the whole subexpression, which g++ mangles at a cost that grows faster than its length.
};

template <class E>
inline constexpr bool is_node = false;
template <class Op, class... Args>
inline constexpr bool is_node<node<Op, Args...>> = true;

/// Builds node<Op, Args...>, folding symbolic zeros by the op's zero_rule.
template <class Op, class... Args>
auto make_node(Op op, Args const&... args) {
  constexpr zero_rule rule = detail::zeros_of<Op>();
  constexpr bool fold = (rule == zero_rule::any && (is_zero<Args> || ...)) ||
                        (rule == zero_rule::all && (is_zero<Args> && ...));
  if constexpr (fold) {
    using N = node<Op, Args...>;
    return zero<typename N::value_type, typename N::shape_type, typename N::device_type>(
        op.template result_extents<shape_t<Args>...>(args.ext...));
  } else {
    // Static operands have been checked at compile time and give a static result: its extents
    // are constants, not a run-time walk over the operands'. A static result of a dyn operand
    // (a reshape) still checks it.
    using N = node<Op, Args...>;
    using S = typename N::shape_type;
    if constexpr (!S::is_static) {
      return N{{},
               extents_member<S>(op.template result_extents<shape_t<Args>...>(args.ext...)),
               op,
               {{{args}...}}};
    } else {
      if constexpr (!(shape_t<Args>::is_static && ...))
        (void)op.template result_extents<shape_t<Args>...>(args.ext...);
      return N{{}, {}, op, {{{args}...}}};
    }
  }
}

}  // namespace metagrad
