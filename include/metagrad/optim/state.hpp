// SPDX-License-Identifier: MIT
// An optimizer's state, kept apart from the tree type it was made for: a step count and, for each
// named kind of buffer (e.g. "exp_avg"), one buffer per parameter leaf shaped like that leaf.
// It is created on the first step (or by init), checked against the tree on every later step
// without allocating, and visited by name for checkpoints ("exp_avg.3", "step").
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../detail/pool.hpp"
#include "../eval/evaluate.hpp"
#include "../expr/tree.hpp"

namespace metagrad::optim {

namespace detail {

/// The element types an optimizer updates.
template <class T>
concept parameter_value = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// What the state knows of one leaf: its element type and extents.
struct leaf_record {
  bool is_double = false;
  std::vector<std::int64_t> shape;
  std::size_t size = 0;
};

class state {
 public:
  /// Steps taken so far; 0 before the first (PyTorch's state["step"]).
  std::int64_t step = 0;

  state() = default;
  /// Copies are deep, as tensors': a copied optimizer continues on its own.
  state(state const& o) : step(o.step), ready_(o.ready_), leaves_(o.leaves_), kinds_(o.kinds_) {
    for (auto const& b : o.buffers_)
      std::copy_n(b.data(), b.size(), buffers_.emplace_back(b.size()).data());
  }
  state& operator=(state const& o) {
    if (this != &o) *this = state(o);
    return *this;
  }
  state(state&&) noexcept = default;
  state& operator=(state&&) noexcept = default;

  bool ready() const { return ready_; }
  std::size_t leaves() const { return leaves_.size(); }

  /// Zeroed buffers of each kind for every leaf of params (replacing any state there was).
  template <class Tree>
  void create(Tree const& params, std::initializer_list<char const*> kinds) {
    leaves_.clear();
    kinds_.clear();
    buffers_.clear();
    step = 0;
    tree_for_each(
        [&](auto const& p) {
          using T = typename std::remove_cvref_t<decltype(p)>::value_type;
          static_assert(parameter_value<T>, "optimizer: parameters must hold float or double");
          leaf_record r{std::is_same_v<T, double>, {}, static_cast<std::size_t>(p.size())};
          for (std::size_t d = 0; d < p.shape().rank; ++d) r.shape.push_back(p.shape()[d]);
          leaves_.push_back(std::move(r));
        },
        params);
    for (char const* k : kinds) {
      kinds_.emplace_back(k);
      for (auto const& r : leaves_) {
        std::size_t bytes = r.size * (r.is_double ? sizeof(double) : sizeof(float));
        auto& b = buffers_.emplace_back(bytes);
        std::fill_n(b.data(), bytes, std::byte{0});  // all-zero bytes are +0.0 in IEEE 754
      }
    }
    ready_ = true;
  }

  /// Throws unless params (and grads, leaf by leaf) have the structure the state was made for.
  template <class Tree, class Grads>
  void check(Tree const& params, Grads const& grads, char const* who) const {
    constexpr std::size_t n = tree_size<std::remove_cvref_t<Tree>>;
    if (n != leaves_.size())
      throw std::invalid_argument(std::string(who) + ": the optimizer state was made for " +
                                  std::to_string(leaves_.size()) + " parameter leaves, step got " +
                                  std::to_string(n));
    std::size_t i = 0;
    tree_for_each(
        [&](auto const& p, auto const& g) {
          using T = typename std::remove_cvref_t<decltype(p)>::value_type;
          check_leaf(i++, std::is_same_v<T, double>, p.shape().d, g.shape().d, who);
        },
        params, grads);
  }

  /// Throws unless leaf i's parameter (is_double, extents p) is what the state was made for and
  /// its gradient's extents g are p. Not a template: one copy serves every leaf shape.
  void check_leaf(std::size_t i, bool is_double, std::span<index_t const> p,
                  std::span<index_t const> g, char const* who) const {
    auto const& r = leaves_[i];
    if (r.is_double != is_double || !std::ranges::equal(r.shape, p))
      throw std::invalid_argument(std::string(who) + ": parameter leaf " + std::to_string(i) +
                                  " is " + (is_double ? "double " : "float ") + dims_string(p) +
                                  ", the optimizer state was made for " +
                                  (r.is_double ? "double " : "float ") + dims_string(r.shape));
    if (!std::ranges::equal(g, p))
      throw std::invalid_argument(std::string(who) + ": gradient leaf " + std::to_string(i) +
                                  " has extents " + dims_string(g) + ", its parameter " +
                                  dims_string(p));
  }

  /// The buffer of kind k for leaf i, as T (the leaf's element type, checked by check()).
  template <class T>
  T* data(std::size_t k, std::size_t i) {
    return reinterpret_cast<T*>(buffers_[k * leaves_.size() + i].data());
  }
  /// That buffer as an expression leaf shaped like p, e.g. view(k, i, p) * beta1.
  template <class P>
  auto view(std::size_t k, std::size_t i, P const& p) {
    using V = tensor_view<typename P::value_type, typename P::shape_type, typename P::device_type>;
    return V(data<typename P::value_type>(k, i), p.shape());
  }

  /// Calls f(name, data, shape) for "step" (one std::int64_t) and every buffer ("exp_avg.3").
  template <class F>
  void visit(F&& f) {
    f(std::string("step"), &step, std::vector<std::int64_t>{1});
    for (std::size_t k = 0; k < kinds_.size(); ++k)
      for (std::size_t i = 0; i < leaves_.size(); ++i) {
        std::string name = kinds_[k] + "." + std::to_string(i);
        if (leaves_[i].is_double)
          f(name, data<double>(k, i), leaves_[i].shape);
        else
          f(name, data<float>(k, i), leaves_[i].shape);
      }
  }

 private:
  bool ready_ = false;
  std::vector<leaf_record> leaves_;
  std::vector<std::string> kinds_;
  std::vector<metagrad::detail::buffer<std::byte>> buffers_;  // [kind * leaves + leaf]
};

/// A leaf's elements as one flat run: a parameter or gradient seen by an optimizer's update.
template <class L>
auto flat_view(L const& leaf) {
  using V = tensor_view<typename L::value_type, shape<dyn>, typename L::device_type>;
  static_assert(
      requires { leaf.data(); },
      "optimizer: gradient leaves must be tensors or tensor_views (held in memory)");
  return V(leaf.data(), extents<1>{{leaf.size()}});
}

/// Runs update(dst, p, g, leaf index) over the leaves of params and grads, creating the state
/// first if needed (by init) and checking it otherwise. p and g are flat views of the leaf's
/// parameter and gradient, and dst is the parameter's memory, which the update writes in place:
/// an optimizer's kernels are compiled once per element type and device, not once per leaf
/// shape (their per-shape copies were a third of an MLP's training program's compile time).
template <class Opt, class Tree, class Grads, class Update>
void step_leaves(Opt& opt, Tree& params, Grads const& grads, Update&& update, char const* who) {
  if (!opt.state.ready()) opt.init(params);
  opt.state.check(params, grads, who);
  ++opt.state.step;
  std::size_t i = 0;
  tree_for_each([&](auto& p, auto const& g) { update(p.data(), flat_view(p), flat_view(g), i++); },
                params, grads);
}

/// a + w (b - a) as torch.lerp computes it (the form depends on w, for accuracy near w = 1).
template <class T, class A, class B>
void lerp_into(T* dst, A const& a, B const& b, double w) {
  T wt = static_cast<T>(w);
  if (wt < T(0.5))
    evaluate_into(dst, a + wt * (b - a));
  else
    evaluate_into(dst, b - (b - a) * (T(1) - wt));
}

}  // namespace detail
}  // namespace metagrad::optim
