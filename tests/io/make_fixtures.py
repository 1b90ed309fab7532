#!/usr/bin/env python3
# Writes the PyTorch-made fixtures of tests/io/safetensors.cpp (tests/io/data/*.safetensors and the
# values they hold, expected.json), and with --verify checks the other direction: the file the C++
# test wrote with metagrad's writer loads with safetensors.torch and safetensors.numpy.
# Usage: python3 tests/io/make_fixtures.py [--verify [PATH]]
import json, os, sys, tempfile
import numpy as np
import torch
from safetensors.torch import save_file, load_file
from safetensors.numpy import load_file as load_numpy

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


def verify(path):
    # Must match the values written by TEST_CASE "interop: a file metagrad writes" in safetensors.cpp.
    want = {"weight": np.arange(12, dtype=np.float32).reshape(3, 4) * 0.25 - 1,
            "bias": np.array([0.1, -0.2, 0.3], dtype=np.float32),
            "steps": np.array([1, -2, 3 * 10**12], dtype=np.int64),
            "gain": np.array([[1.0 / 3, -2.5]], dtype=np.float64)}
    for loader in (load_file, load_numpy):
        got = loader(path)
        assert sorted(got) == sorted(want), (sorted(got), sorted(want))
        for k, v in want.items():
            g = got[k].numpy() if isinstance(got[k], torch.Tensor) else got[k]
            assert g.dtype == v.dtype and g.shape == v.shape and np.array_equal(g, v), (k, g, v)
    from safetensors import safe_open
    with safe_open(path, framework="np") as f:
        assert f.metadata() == {"producer": "metagrad", "epoch": "3"}, f.metadata()
    print("ok:", path, "loads in safetensors.torch and safetensors.numpy with the expected values")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        verify(sys.argv[2] if len(sys.argv) > 2 else os.path.join(tempfile.gettempdir(), "metagrad_io_interop.safetensors"))
    else:
        make()
