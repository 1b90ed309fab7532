#!/usr/bin/env python3
"""Plots one SGD step of the 784-128-10 MLP (mlp_small) against the batch size, one line per
contender, from the Google-Benchmark JSON that scripts/bench.sh writes (bench_mlp.json and the
peers' peer_*.json): medians, wall time (real_time) or CPU time, one thread by default.

    python3 bench/plot_batch.py build-bench/results/*.json --out docs/mlp_small_batch.png
        [--threads 1] [--time cpu|real]
"""
import argparse, json, re

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

UNIT = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}  # to microseconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default="docs/mlp_small_batch.png")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time", choices=["cpu", "real"], default="cpu")
    a = ap.parse_args()
    series = {}  # contender -> {batch: microseconds}
    for path in a.json:
        for b in json.load(open(path))["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            m = re.match(r"BM_mlp_small_b(\d+)_(\w+)/(\d+)", b["run_name"])
            if not m or int(m.group(3)) != a.threads:
                continue
            us = b[f"{a.time}_time"] * UNIT[b["time_unit"]]
            series.setdefault(m.group(2), {})[int(m.group(1))] = us
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for who in sorted(series, key=lambda w: (w != "metagrad", w)):
        pts = sorted(series[who].items())
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=who,
                linewidth=2.5 if who == "metagrad" else 1.5)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([16, 32, 64, 128, 256], labels=["16", "32", "64", "128", "256"])
    ax.set_xlabel("batch size")
    ax.set_ylabel(f"step time, us ({'CPU' if a.time == 'cpu' else 'wall'} time, median)")
    ax.set_title(f"SGD step, MLP 784-128-10, float32, {a.threads} thread(s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}: " + ", ".join(f"{w} ({len(s)} batch sizes)" for w, s in series.items()))


if __name__ == "__main__":
    main()
