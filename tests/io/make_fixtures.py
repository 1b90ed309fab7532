#!/usr/bin/env python3
# The PyTorch side of tests/io/safetensors.cpp, both directions of issue #3.
#
# PyTorch -> metagrad: `python3 tests/io/make_fixtures.py` writes tests/io/data/{linear,sequential,
# mixed}.safetensors with safetensors.torch.save_file, and the values they hold in expected.json;
# TEST_CASE "interop: files PyTorch wrote load with the values it saved" reads them in CI.
#
# metagrad -> PyTorch: tests/io/data/written_by_metagrad.safetensors was written by metagrad's writer
# (TEST_CASE "interop: metagrad writes byte for byte ..." in safetensors.cpp) and checked here with
# safetensors.torch (load_file, safe_open): values, dtypes, shapes, metadata. CI has no Python, so the
# C++ test pins the claim instead: it writes the same tensors again and fails unless the bytes equal
# the committed file's. When that test fails because the writer changed on purpose:
#   1. build and run the test; its failure message names the file it wrote, e.g.
#      /tmp/metagrad_written_by_metagrad_<pid>.safetensors
#   2. cp that file tests/io/data/written_by_metagrad.safetensors
#   3. python3 tests/io/make_fixtures.py --verify tests/io/data/written_by_metagrad.safetensors
#      (needs `pip install torch safetensors numpy`, torch >= 2.3 for U16/U32/U64); it prints every
#      tensor it checked, then "ok".
#   4. run the C++ test again (it passes) and commit the file.
# If you change the tensors, change written_by_metagrad() in safetensors.cpp and WRITTEN_BY_METAGRAD
# below together.
#
# Usage: python3 tests/io/make_fixtures.py [--verify [PATH]]   (PATH: the committed file by default)
import json, os, sys
import numpy as np
import torch
from safetensors.torch import save_file, load_file

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def describe(state):
    names = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8"}
    # repr of a Python float round-trips a double exactly, and every float32 is a double.
    return {k: {"dtype": names[v.dtype], "shape": list(v.shape), "values": v.flatten().tolist()}
            for k, v in state.items()}


def make():
    os.makedirs(DATA, exist_ok=True)
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 3)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    mixed = {"f64": torch.randn(2, 3, dtype=torch.float64),
             "i64": torch.tensor([[-(2**40), 7], [0, 2**62]], dtype=torch.int64),
             "i32": torch.tensor([-5, 6, 2**31 - 1], dtype=torch.int32),
             "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
             "scalar": torch.tensor(3.5)}
    files = {"linear": (linear.state_dict(), {"format": "pt", "model": "nn.Linear(4, 3)"}),
             "sequential": (seq.state_dict(), {"format": "pt"}),
             "mixed": (mixed, None)}
    expected = {}
    for stem, (state, meta) in files.items():
        state = {k: v.contiguous() for k, v in state.items()}
        save_file(state, os.path.join(DATA, stem + ".safetensors"), metadata=meta)
        expected[stem] = {"metadata": meta or {}, "tensors": describe(state)}
    with open(os.path.join(DATA, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


# The tensors of tests/io/data/written_by_metagrad.safetensors: name -> (dtype, shape, values).
# Must match written_by_metagrad() in safetensors.cpp (which gives f16, bf16 and f8 as bit patterns).
WRITTEN_BY_METAGRAD = {
    "model.0.weight": (torch.float32, [2, 3], [np.float32(1) / np.float32(3), -2.5, 0, 1e-30, 3e38, -np.inf]),
    "model.0.bias": (torch.float32, [3], [0.1, -0.2, 0.3]),
    "model.1.gain": (torch.float64, [1, 2], [1.0 / 3, -2.5]),
    "model.1.scale": (torch.float64, [], [-0.125]),
    "optim.step": (torch.int64, [], [3 * 10**12]),
    "optim.state.model.0.weight.empty": (torch.float32, [2, 0], []),
    "optim.state.model.0.bias.empty": (torch.int64, [0], []),
    "dtypes.i64": (torch.int64, [2, 2], [-(2**40), 7, 0, 2**62]),
    "dtypes.i32": (torch.int32, [3], [-5, 6, 2**31 - 1]),
    "dtypes.i16": (torch.int16, [2], [-(2**15), 2**15 - 1]),
    "dtypes.i8": (torch.int8, [2], [-128, 127]),
    "dtypes.u64": (torch.uint64, [2], [0, 2**64 - 1]),
    "dtypes.u32": (torch.uint32, [2], [0, 2**32 - 1]),
    "dtypes.u16": (torch.uint16, [2], [0, 2**16 - 1]),
    "dtypes.u8": (torch.uint8, [3], [0, 255, 17]),
    "dtypes.bool": (torch.bool, [2, 2], [True, False, False, True]),
    "dtypes.f16": (torch.float16, [4], [1, -2, 0.5, 65504]),
    "dtypes.bf16": (torch.bfloat16, [4], [1, -2, 0.5, 3]),
    "dtypes.f8_e4m3": (torch.float8_e4m3fn, [4], [1, -2, 0.5, 448]),
    "dtypes.f8_e5m2": (torch.float8_e5m2, [4], [1, -2, 0.5, 57344]),
}
WRITTEN_BY_METAGRAD_METADATA = {"format": "pt", "producer": "metagrad", "note": 'caf\u00e9 "quoted" back\\slash\ttab'}
SAFETENSORS_DTYPE = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                     torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                     torch.uint64: "U64", torch.uint32: "U32", torch.uint16: "U16", torch.uint8: "U8",
                     torch.bool: "BOOL", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2"}


def expected_tensor(dtype, shape, values):
    # float8 has no tensor() constructor on every torch version: go through float64 (exact here).
    if dtype in (torch.float8_e4m3fn, torch.float8_e5m2):
        return torch.tensor(values, dtype=torch.float64).to(dtype).reshape(shape)
    return torch.tensor(values, dtype=dtype).reshape(shape)


def same_tensor(got, want):
    # dtype, shape, the bytes PyTorch holds, and the values as Python numbers (exact comparisons).
    return (got.dtype == want.dtype and list(got.shape) == list(want.shape)
            and got.reshape(-1).view(torch.uint8).tolist() == want.reshape(-1).view(torch.uint8).tolist()
            and got.tolist() == want.tolist())


def verify(path):
    from safetensors import safe_open
    want = {k: expected_tensor(*v) for k, v in WRITTEN_BY_METAGRAD.items()}
    got = load_file(path)  # safetensors.torch
    assert sorted(got) == sorted(want), ("names", sorted(got), sorted(want))
    for name, w in want.items():
        assert same_tensor(got[name], w), (name, got[name], w)
    with safe_open(path, framework="pt") as f:
        assert f.metadata() == WRITTEN_BY_METAGRAD_METADATA, ("metadata", f.metadata())
        print("  __metadata__:", f.metadata())
        assert sorted(f.keys()) == sorted(want), ("names", sorted(f.keys()))
        for name, w in want.items():
            s = f.get_slice(name)
            assert s.get_dtype() == SAFETENSORS_DTYPE[w.dtype], (name, s.get_dtype())
            assert list(s.get_shape()) == list(w.shape), (name, s.get_shape())
            assert same_tensor(f.get_tensor(name), w), (name, f.get_tensor(name), w)
            print(f"  {name}: {s.get_dtype()} {list(w.shape)} = {w.tolist()}")
    with safe_open(path, framework="np") as f:  # and safetensors.numpy, for the dtypes numpy has
        numpy_has = [k for k, w in want.items() if w.dtype not in (torch.bfloat16, torch.float8_e4m3fn, torch.float8_e5m2)]
        for name in numpy_has:
            g, w = f.get_tensor(name), want[name]
            assert (str(g.dtype), list(g.shape), g.tolist()) == (str(w.dtype)[6:], list(w.shape), w.tolist()), (name, g, w)
    print(f"  safetensors.numpy reads the {len(numpy_has)} tensors of dtypes numpy has with the same values")
    print(f"ok: {path} loads in safetensors.torch (load_file, safe_open) with {len(want)} tensors of "
          f"{len(set(w.dtype for w in want.values()))} dtypes and the expected values, dtypes, shapes and metadata")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        verify(sys.argv[2] if len(sys.argv) > 2 else os.path.join(DATA, "written_by_metagrad.safetensors"))
    else:
        make()
