#!/usr/bin/env python3
"""PyTorch peer of examples/fashion_mnist: the same recipe (MLP 784-128-10, ReLU, Adam lr 1e-3,
batch 64, shuffled, 5 epochs, pixels / 255), from the same Debian files. Prints per-epoch test
accuracy and time, for the comparison in the closing notes and docs.

    python3 bench/peers/fashion_mnist_mlp.py [--epochs 5] [--threads 1]
"""
import argparse, gzip, time
import numpy as np
import torch

DIR = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr = torch.tensor(idx(f"{DIR}/train-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
    ytr = torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    xte = torch.tensor(idx(f"{DIR}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
    yte = torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, a.epochs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch}  test accuracy {100 * acc:.2f}%  ({secs:.2f} s, CPU {cpu:.2f} s)", flush=True)


if __name__ == "__main__":
    main()
