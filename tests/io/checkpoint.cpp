// The typed checkpoint layer over metagrad tensors: round trip with metadata, one exception that
// lists every problem, all-or-nothing loads, and dyn extents taken from the file.
#include <doctest/doctest.h>

#include <metagrad/io/checkpoint.hpp>

#include "io/scratch.hpp"

namespace mg = metagrad;
namespace io = metagrad::io;

TEST_CASE("checkpoint: float, double and int64 tensors round trip with metadata") {
  mgt::scratch_dir dir("ckpt_roundtrip");
  auto p = dir / "m.safetensors";
  mg::tensor<float, mg::shape<2, 3>> w{{1.5f, -2, 3}, {4, 5, 6e-30f}};
  mg::tensor<double, mg::shape<3>> b{0.1, -0.2, 1.0 / 3};
  mg::tensor<std::int64_t, mg::shape<2>> n{-1, 1LL << 50};
  io::save(p, {io::named("0.weight", w), io::named("0.bias", b), io::named("steps", n)},
           {{"epoch", "7"}});
  mg::tensor<float, mg::shape<2, 3>> w2;
  mg::tensor<double, mg::shape<3>> b2;
  mg::tensor<std::int64_t, mg::shape<2>> n2;
  io::load(p, {io::named("0.weight", w2), io::named("0.bias", b2), io::named("steps", n2)});
  CHECK(std::equal(w.begin(), w.end(), w2.begin()));
  CHECK(std::equal(b.begin(), b.end(), b2.begin()));
  CHECK(n2(1) == 1LL << 50);
  CHECK(io::safetensors_file::open(p).metadata().at("epoch") == "7");
}

TEST_CASE("checkpoint: a failed load lists every problem and changes nothing") {
  mgt::scratch_dir dir("ckpt_errors");
  auto p = dir / "m.safetensors";
  mg::tensor<double, mg::shape<784, 128>> wt;
  mg::tensor<float, mg::shape<10>> b{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  mg::tensor<float, mg::shape<2>> extra{1, 2};
  mg::tensor<float, mg::shape<3>> ok{7, 8, 9};
  io::save(p, {io::named("0.weight", wt), io::named("1.weight", wt), io::named("0.bias", b),
               io::named("extra", extra), io::named("ok", ok)});
  mg::tensor<float, mg::shape<784, 128>> w0;        // dtype differs
  mg::tensor<double, mg::shape<128, 784>> w1;       // shape differs
  mg::tensor<float, mg::shape<3>> got{-1, -1, -1};  // would load fine
  mg::tensor<float, mg::shape<4>> missing;
  try {
    io::load(p, {io::named("0.weight", w0), io::named("1.weight", w1), io::named("ok", got),
                 io::named("2.bias", missing)});
    FAIL("load should throw");
  } catch (io::load_error const& e) {
    std::string msg = e.what();
    CHECK(msg.find("5 problems") != std::string::npos);
    CHECK(e.problems == std::vector<std::string>{
                            "0.weight: expected F32, found F64",
                            "1.weight: expected [128, 784], found [784, 128]",
                            "missing tensor '2.bias'",
                            "unexpected tensor '0.bias' (load_options::allow_extra ignores it)",
                            "unexpected tensor 'extra' (load_options::allow_extra ignores it)",
                        });
  }
  CHECK(got(0) == -1);  // all or nothing: the good tensor was not written either
  // With allow_extra, asking only for a subset works.
  io::load(io::safetensors_file::open(p), std::vector<io::tensor_ref>{io::named("ok", got)},
           {.allow_extra = true});
  CHECK(got(2) == 9);
}

TEST_CASE("checkpoint: dyn extents take the file's, and a read failure commits nothing") {
  mgt::scratch_dir dir("ckpt_dyn");
  auto p = dir / "m.safetensors";
  mg::tensor<float, mg::shape<3, 2>> w{{1, 2}, {3, 4}, {5, 6}};
  mg::tensor<float, mg::shape<2>> v{8, 9};
  io::save(p, {io::named("w", w), io::named("v", v)});
  mg::tensor<float, mg::shape<mg::dyn, 2>> d;
  mg::tensor<float, mg::shape<mg::dyn>> e;
  io::load(p, {io::named("w", d), io::named("v", e)});
  CHECK(d.shape() == mg::extents<2>{{3, 2}});
  CHECK(d(2, 1) == 6);
  mg::tensor<float, mg::shape<mg::dyn, 3>> wrong;
  CHECK_THROWS_WITH_AS(io::load(p, {io::named("w", wrong), io::named("v", e)}),
                       doctest::Contains("w: expected [-1, 3], found [3, 2]"), io::load_error);
  // The file shrinks between the check and the reads: the first tensor read fine, yet nothing moves
  // in.
  auto f = io::safetensors_file::open(p);
  std::filesystem::resize_file(p, std::filesystem::file_size(p) - 4);
  mg::tensor<float, mg::shape<3, 2>> a;
  mg::tensor<float, mg::shape<2>> c{-1, -1};
  CHECK_THROWS_AS(io::load(f, std::vector<io::tensor_ref>{io::named("w", a), io::named("v", c)}),
                  io::format_error);
  CHECK(a(0, 0) == 0);
  CHECK(c(1) == -1);
}
