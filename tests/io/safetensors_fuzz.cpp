// SPDX-License-Identifier: MIT
// Regressions found by fuzzing the safetensors reader (tests/fuzz/safetensors.cpp): each input
// once crashed or misbehaved and must now be a format_error that says what was expected and found.
#include <doctest/doctest.h>

#include <metagrad/io/safetensors.hpp>
#include <string>

#include "io/scratch.hpp"

namespace io = metagrad::io;

TEST_CASE("safetensors fuzz: deeply nested JSON is rejected before parsing, not a stack overflow") {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  // 100000 levels once overflowed the stack when a message quoted the value (JSON is recursive).
  for (std::string const key : {"a", "__metadata__"})
    CHECK_THROWS_WITH_AS(
        io::safetensors_file::parse(mgt::raw_file("{\"" + key + "\":" + nested(100000) + "}", "")),
        "expected a header nested at most 32 levels deep, found 100001", io::format_error);
  // At the limit it parses (and fails later, on what the value is).
  CHECK_THROWS_WITH_AS(io::safetensors_file::parse(mgt::raw_file("{\"a\":" + nested(31) + "}", "")),
                       ("tensor 'a': expected an object, found " + nested(31)).c_str(),
                       io::format_error);
  // A message quotes at most 80 characters of a value.
  CHECK_THROWS_WITH_AS(
      io::safetensors_file::parse(mgt::raw_file("{\"a\":\"" + std::string(200, 'x') + "\"}", "")),
      ("tensor 'a': expected an object, found \"" + std::string(76, 'x') + "...").c_str(),
      io::format_error);
  // Brackets inside strings do not count, and escaped quotes do not end a string.
  auto const ok = R"({"__metadata__":{"k":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"[[[["},)"
                  R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  auto const f = io::safetensors_file::parse(mgt::raw_file(ok, "x"));
  CHECK(f.metadata().at("k") == std::string(36, '[') + "\"[[[[");
  CHECK(f.names().size() == 1);
}
