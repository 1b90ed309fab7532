// SPDX-License-Identifier: MIT
// Checkpoints of metagrad tensors: io::save(path, {io::named("0.weight", w), ...}, metadata) and
// io::load(path, {io::named("0.weight", w), ...}). A load checks every name, dtype and shape
// before it writes anything, and reports every problem at once; a failed load changes nothing.
#pragma once
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "../config.hpp"
#include "../expr/tensor.hpp"
#include "safetensors.hpp"

namespace metagrad::io {

/// Every problem a load found (missing, unexpected, wrong dtype, wrong shape), one per entry.
struct load_error : format_error {
  load_error(std::string const& what, std::vector<std::string> p)
      : format_error(what), problems(std::move(p)) {}
  std::vector<std::string> problems;
};

struct load_options {
  /// Accept tensors in the file that nobody asked for (e.g. loading a backbone only).
  bool allow_extra = false;
};

/// A tensor to load into: name, dtype, shape pattern (-1 for a dyn extent) and how to fill it.
/// Made by named(name, t) for a non-const tensor; converts to an entry so it can also be saved.
struct tensor_ref {
  std::string name;
  dtype type;
  std::vector<std::int64_t> pattern;  // the static shape, -1 where the tensor's extent is dyn
  std::vector<std::int64_t> shape;    // the tensor's extents now
  void const* data;
  /// Reads the tensor from a checked file into new storage; the result moves it in (noexcept).
  std::function<std::function<void()>(safetensors_file const&)> stage;

  operator entry() const { return {name, type, shape, data}; }
};

namespace detail {
template <std::size_t R>
std::vector<std::int64_t> to_vector(extents<R> const& e) {
  return std::vector<std::int64_t>(e.d.begin(), e.d.end());
}
inline bool matches(std::span<std::int64_t const> pattern, std::span<std::int64_t const> found) {
  return pattern.size() == found.size() &&
         std::equal(pattern.begin(), pattern.end(), found.begin(),
                    [](std::int64_t p, std::int64_t f) { return p == -1 || p == f; });
}
}  // namespace detail

/// A tensor to save under `name`, e.g. io::named("0.bias", b).
template <storable T, class Shape>
entry named(std::string name, tensor<T, Shape, device::cpu> const& t) {
  return {std::move(name), dtype_of<T>, detail::to_vector(t.shape()), t.data()};
}

namespace detail {
/// Memory of a fixed shape (a static-shaped tensor's, an optimizer's buffer) to load into or save
/// under `name`: staged in a vector, then copied in. Compiled once per element type.
template <storable T>
tensor_ref buffer_ref(std::string name, T* data, std::vector<std::int64_t> shape) {
  auto stage = [data, name](safetensors_file const& f) -> std::function<void()> {
    tensor_info const& info = f.info(name);
    auto fresh = std::make_shared<std::vector<T>>(info.byte_size() / sizeof(T));
    f.read_bytes(info, fresh->data());
    return
        [data, fresh]() noexcept { std::memcpy(data, fresh->data(), fresh->size() * sizeof(T)); };
  };
  return {std::move(name), dtype_of<T>, shape, shape, data, stage};
}
}  // namespace detail

/// A tensor to load into (or save) under `name`; dyn extents take the file's extents.
/// e.g. io::load("m.safetensors", {io::named("0.weight", w)});
template <storable T, class Shape>
tensor_ref named(std::string name, tensor<T, Shape, device::cpu>& t) {
  if constexpr (Shape::is_static) {
    return detail::buffer_ref(std::move(name), t.data(), detail::to_vector(t.shape()));
  } else {
    std::vector<std::int64_t> pattern(Shape::dims.begin(), Shape::dims.end());
    auto stage = [&t, name](safetensors_file const& f) -> std::function<void()> {
      tensor_info const& info = f.info(name);
      extents<Shape::rank> e;
      std::copy(info.shape.begin(), info.shape.end(), e.d.begin());
      auto fresh =
          std::make_shared<tensor<T, Shape, device::cpu>>(e, metagrad::detail::uninitialized_t{});
      f.read_bytes(info, fresh->data());
      return [&t, fresh]() noexcept { t = std::move(*fresh); };
    };
    return {std::move(name), dtype_of<T>, std::move(pattern), detail::to_vector(t.shape()),
            t.data(),        stage};
  }
}

/// What is wrong with loading `wanted` (name, dtype, shape pattern) from `f`; empty when nothing.
/// e.g. {"0.weight: expected F32, found F64", "missing tensor '1.bias'"}
METAGRAD_DECL std::vector<std::string> check(safetensors_file const& f,
                                             std::span<tensor_ref const> wanted,
                                             load_options const& options = {});

/// Loads every tensor of `wanted` from `f`, or throws load_error listing every problem and
/// leaves all of them as they were. Staging costs one extra copy of the tensors while it runs.
METAGRAD_DECL void load(safetensors_file const& f, std::span<tensor_ref const> wanted,
                        load_options const& options = {}, std::string const& source = "memory");
METAGRAD_DECL void load(std::filesystem::path const& path, std::initializer_list<tensor_ref> wanted,
                        load_options const& options = {});

/// Saves tensors (made by named) atomically, e.g. io::save("m.safetensors", {io::named("w", w)},
/// {{"epoch", "3"}}).
METAGRAD_DECL void save(std::filesystem::path const& path, std::initializer_list<entry> entries,
                        metadata const& meta = {});

// The definitions: here in a header-only build, in the translation unit that includes
// <metagrad/src.hpp> under METAGRAD_SEPARATE_COMPILATION (see config.hpp).
#if METAGRAD_BODIES
METAGRAD_DECL std::vector<std::string> check(safetensors_file const& f,
                                             std::span<tensor_ref const> wanted,
                                             load_options const& options) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (auto const& w : wanted) {
    if (!seen.insert(w.name).second) {
      problems.push_back(w.name + ": asked for twice");
      continue;
    }
    if (!f.contains(w.name)) {
      problems.push_back("missing tensor '" + w.name + "'");
      continue;
    }
    auto const& info = f.info(w.name);
    if (info.type != w.type)
      problems.push_back(w.name + ": expected " + std::string(to_string(w.type)) + ", found " +
                         std::string(to_string(info.type)));
    if (!detail::matches(w.pattern, info.shape))
      problems.push_back(w.name + ": expected " + dims_string(w.pattern) + ", found " +
                         dims_string(info.shape));
  }
  if (!options.allow_extra)
    for (auto const& name : f.names())
      if (!seen.count(name))
        problems.push_back("unexpected tensor '" + name +
                           "' (load_options::allow_extra ignores it)");
  return problems;
}

METAGRAD_DECL void load(safetensors_file const& f, std::span<tensor_ref const> wanted,
                        load_options const& options, std::string const& source) {
  auto problems = check(f, wanted, options);
  if (!problems.empty()) {
    std::string msg = "load '" + source + "': " + std::to_string(problems.size()) +
                      (problems.size() == 1 ? " problem" : " problems");
    for (auto const& p : problems) msg += "\n  " + p;
    throw load_error(msg, std::move(problems));
  }
  std::vector<std::function<void()>> commits;
  for (auto const& w : wanted) commits.push_back(w.stage(f));
  for (auto& c : commits) c();
}

METAGRAD_DECL void load(std::filesystem::path const& path, std::initializer_list<tensor_ref> wanted,
                        load_options const& options) {
  load(safetensors_file::open(path), std::span(wanted.begin(), wanted.size()), options,
       path.string());
}

METAGRAD_DECL void save(std::filesystem::path const& path, std::initializer_list<entry> entries,
                        metadata const& meta) {
  save_safetensors(path, entries, meta);
}
#endif  // METAGRAD_BODIES

}  // namespace metagrad::io
