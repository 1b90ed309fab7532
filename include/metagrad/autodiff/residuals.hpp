// SPDX-License-Identifier: MIT
// Residuals: values a forward pass saves so that the reverse pass need not compute them again.
// The reverse pass of a loop (scan's sweep, ops/scan.hpp) traces each step's expression again to
// get the values its derivative rules read - the step's matrix products and gate values - which
// is the forward's work done twice. Inside a reverse-mode transformation on concrete values
// (grad, value_and_grad, a vjp's pullback: a residuals_frame is open), a loop's forward instead
// records each step: every value its trace computes (autodiff/trace.hpp, trace_node) is computed
// into this frame's arena, and its pointer goes on a tape, in the order the trace computed it. The
// reverse sweep then traces the same step expression in replay mode: each value the trace would
// compute is taken from the tape instead, as long as the tape's next entry has the expression's
// type and size (the trace of one expression type computes the same nodes in the same order); at
// the first entry that does not match, the trace computes from there on (a mismatch costs time,
// not correctness). Memory: the values of every step, held until the transformation ends
// (what PyTorch's autograd keeps for its backward). The arena and the registries keep their
// capacity: after the first call, recording allocates nothing.
#pragma once
#include <cstddef>
#include <vector>

#include "../eval/evaluate.hpp"
#include "../eval/scratch.hpp"

namespace metagrad::detail {

using residual_arena = arena<struct residual_tag>;

struct residuals {
  enum class mode : unsigned char { off, record, replay };
  struct value {
    void (*type)();  // the type of the expression the value was computed from (its evaluate_into)
    void const* ptr;
    std::size_t n;
  };
  /// One loop's recording: `steps` runs of `per_step` values from values[first].
  struct recording {
    void const* key;  // the loop's output, whose vjp looks its recording up
    void (*type)();   // the type of the step expression recorded
    std::size_t first, per_step, steps;
  };

  std::vector<value> values;
  std::vector<recording> recordings;
  bool open = false;  // a reverse-mode frame is open: loops record their forward
  mode now = mode::off;
  std::size_t cursor = 0, end = 0;  // the replay's range of values
  // Counts for tests and profiles: values replays took from a tape, and replayed steps that
  // went out of step with their tape (and computed the rest).
  std::size_t taken = 0, mismatched = 0;

  static residuals& local() {
    thread_local residuals r;
    return r;
  }
  template <class E>
  static void type_tag() {}

  /// The recording of the loop whose output is at key, copied to out (the registry may grow
  /// while it is replayed). The newest: the output's memory holds the last loop that wrote it.
  bool find(void const* key, void (*type)(), std::size_t steps, recording& out) const {
    for (auto r = recordings.rbegin(); r != recordings.rend(); ++r)
      if (r->key == key && r->type == type && r->steps == steps) {
        out = *r;
        return true;
      }
    return false;
  }
};

/// Sets the tape's mode for its lifetime.
class residual_mode {
 public:
  explicit residual_mode(residuals::mode m) : r_(residuals::local()), outer_(r_.now) { r_.now = m; }
  residual_mode(residual_mode const&) = delete;
  residual_mode& operator=(residual_mode const&) = delete;
  ~residual_mode() { r_.now = outer_; }

 private:
  residuals& r_;
  residuals::mode outer_;
};

/// A reverse-mode transformation's frame: loops record their forward inside it; their values and
/// recordings are dropped when it ends.
class residuals_frame {
 public:
  residuals_frame()
      : mark_(residual_arena::mark()),
        values_(residuals::local().values.size()),
        recordings_(residuals::local().recordings.size()),
        outer_open_(residuals::local().open),
        mode_(residuals::mode::off) {
    residuals::local().open = true;
  }
  residuals_frame(residuals_frame const&) = delete;
  residuals_frame& operator=(residuals_frame const&) = delete;
  ~residuals_frame() {
    auto& r = residuals::local();
    r.values.resize(values_);
    r.recordings.resize(recordings_);
    r.open = outer_open_;
    residual_arena::release(mark_);
  }

 private:
  residual_arena::position mark_;
  std::size_t values_, recordings_;
  bool outer_open_;
  residual_mode mode_;
};

/// Whether materialize computes E into new memory (rather than viewing memory E reads).
template <class E>
inline constexpr bool materialize_computes =
    !view_leaf<E> && !is_shared_expr<E> && !reshape_node<E> && !identity_over_memory<E>();

/// materialize(e) for a trace: recorded on the tape, or taken from it, when a loop asks for it.
template <class E>
auto traced_value(E const& e) {
  auto& r = residuals::local();
  if (r.now == residuals::mode::off) return materialize(e);
  if constexpr (materialize_computes<E>) {
    using T = value_t<E>;
    using V = tensor_view<T, shape_t<E>, device_t<E>>;
    auto n = static_cast<std::size_t>(e.ext.size());
    // The value's type, told by its evaluate_into, a function this needs anyway (residuals'
    // type_tag<E> would be one more symbol spelling the subexpression, for every node traced).
    void (*const evaluate)(T*, E const&) = &evaluate_into<E>;
    auto const type = reinterpret_cast<void (*)()>(evaluate);
    if (r.now == residuals::mode::replay) {
      if (r.cursor < r.end && r.values[r.cursor].type == type && r.values[r.cursor].n == n) {
        ++r.taken;
        return V(static_cast<T const*>(r.values[r.cursor++].ptr), e.ext);
      }
      ++r.mismatched;
      r.now = residuals::mode::off;  // out of step with the tape: compute the rest of the step
      return materialize(e);
    }
    T* p = residual_arena::take<T>(n);
    {
      residual_mode computing(residuals::mode::off);  // a loop inside e records on its own
      evaluate_into(p, e);
    }
    r.values.push_back({type, p, n});
    return V(p, e.ext);
  } else {
    residual_mode computing(residuals::mode::off);
    return materialize(e);
  }
}

/// A loop's forward recording its steps under `key` (the loop's output) when a frame is open.
template <class Step>
class residual_recorder {
 public:
  residual_recorder(void const* key, std::size_t steps)
      : active_(residuals::local().open && steps > 0),
        first_(residuals::local().values.size()),
        key_(key),
        steps_(steps) {}
  residual_recorder(residual_recorder const&) = delete;
  residual_recorder& operator=(residual_recorder const&) = delete;

  /// make()'s traced step expression, its values recorded.
  template <class Make>
  auto step(Make&& make) {
    if (!active_) return make();
    auto& r = residuals::local();
    std::size_t before = r.values.size();
    auto traced = [&] {
      residual_mode recording(residuals::mode::record);
      return make();
    }();
    std::size_t count = r.values.size() - before;
    if (done_ == 0)
      per_step_ = count;
    else if (count != per_step_)
      active_ = false;  // steps that differ cannot be replayed by position
    ++done_;
    return traced;
  }
  ~residual_recorder() {
    if (active_ && done_ == steps_)
      residuals::local().recordings.push_back(
          {key_, &residuals::type_tag<Step>, first_, per_step_, steps_});
  }

 private:
  bool active_;
  std::size_t first_;
  void const* key_;
  std::size_t steps_, per_step_ = 0, done_ = 0;
};

/// make()'s traced step t of a recording, its values taken from the tape (or computed again
/// where the tape does not match).
template <class Make>
auto replay_step(residuals::recording const& rec, std::size_t t, Make&& make) {
  auto& r = residuals::local();
  r.cursor = rec.first + t * rec.per_step;
  r.end = r.cursor + rec.per_step;
  residual_mode replaying(residuals::mode::replay);
  return make();
}

}  // namespace metagrad::detail
