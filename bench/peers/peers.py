#!/usr/bin/env python3
"""Python peers of the C++ benchmarks (issue 4): PyTorch eager, torch.compile and JAX jit on the
same tasks, float32, with the thread count set through each library:

    or_gate            one SGD step (lr 2, MSE) of the 2-2-1 sigmoid network on three rows
    mlp_small_b<B>     one SGD step (lr 0.05, softmax CE) of 784-128-10 ReLU, B = 16 .. 256
    mlp_wide_b256      one SGD step of 784-512-512-10
    lenet_b32          one SGD step of the LeNet-5-style CNN of bench/lenet.cpp on (32,1,28,28)
    lstm               one SGD step (lr 0.1, softmax CE) of bench/lstm.cpp's LSTM 32 -> 64 (batch
                       first, batch 16, 32 steps) with a dense head 64 -> 10 on the last step
    fused_fwd          sigmoid(0.7x + 0.1) * tanh(x) over 1M floats
    fused_grad         its sum and the gradient w.r.t. x

Each task runs warm-up steps (for torch.compile and jit: the compilation), then 5 repetitions
of as many steps as fill 0.2 s; it prints one line per task and writes Google-Benchmark-shaped
JSON (medians, names BM_<task>_<contender>[/<threads>], as the C++ programs name them) that
scripts/bench.sh's table reads next to the C++ results. Wall time is time.perf_counter; CPU
time is time.process_time (all of the process's threads).

    python3 bench/peers/peers.py --framework torch|torch_compile|jax --threads 1 [--out f.json]
        [--tasks or_gate,mlp_small_b32,...]

Threads: torch.set_num_threads(t); JAX: XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1 for one thread (set before jax is imported), the default
(all cores, here 2) otherwise.
"""
import argparse, json, os, statistics, sys, time

ALL_TASKS = ["or_gate", "mlp_small_b16", "mlp_small_b32", "mlp_small_b64", "mlp_small_b128",
             "mlp_small_b256", "mlp_wide_b256", "lenet_b32", "lstm", "fused_fwd", "fused_grad"]

# lstm: batch, steps, input width, hidden width, classes (bench/lstm.cpp)
LSTM_B, LSTM_T, LSTM_D, LSTM_H, LSTM_C = 16, 32, 32, 64, 10


def measure(step, reps=5, min_time=0.2, warmup=5):
    for _ in range(warmup):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time / 4:  # calibrate the iteration count
        step()
        n += 1
    iters = max(1, int(n * 4))
    walls, cpus = [], []
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            step()
        walls.append((time.perf_counter() - w0) / iters)
        cpus.append((time.process_time() - c0) / iters)
    return statistics.median(walls), statistics.median(cpus), iters


def mlp_widths(task):
    return [784, 512, 512, 10] if task.startswith("mlp_wide") else [784, 128, 10]


def batch_of(task):
    return int(task.rsplit("_b", 1)[1])


# ------------------------------------------------------------------------------------------
# PyTorch (eager or torch.compile)
# ------------------------------------------------------------------------------------------
def torch_tasks(threads, compiled):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    tn = torch.nn
    maybe = (lambda f: torch.compile(f)) if compiled else (lambda f: f)

    def sgd_step(model, loss_fn, x, y, lr):
        params = list(model.parameters())

        def fwd_bwd():
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        fb = maybe(fwd_bwd)

        def step():
            for p in params:
                p.grad = None
            loss = fb()
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-lr)
            return loss.item()
        return step

    def make(task):
        if task == "or_gate":
            model = tn.Sequential(tn.Linear(2, 2), tn.Sigmoid(), tn.Linear(2, 1), tn.Sigmoid())
            x = torch.tensor([[0., 0.], [0., 1.], [1., 0.]])
            y = torch.tensor([[0.], [1.], [1.]])
            return sgd_step(model, tn.functional.mse_loss, x, y, 2.0)
        if task.startswith("mlp"):
            w = mlp_widths(task)
            layers = []
            for i in range(len(w) - 1):
                layers += [tn.Linear(w[i], w[i + 1]), tn.ReLU()]
            model = tn.Sequential(*layers[:-1])
            b = batch_of(task)
            x, y = torch.rand(b, 784), torch.randint(0, 10, (b,))
            return sgd_step(model, tn.functional.cross_entropy, x, y, 0.05)
        if task.startswith("lenet"):
            model = tn.Sequential(tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2),
                                  tn.Conv2d(6, 16, 5), tn.ReLU(), tn.MaxPool2d(2), tn.Flatten(),
                                  tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84), tn.ReLU(),
                                  tn.Linear(84, 10))
            b = batch_of(task)
            x, y = torch.rand(b, 1, 28, 28), torch.randint(0, 10, (b,))
            return sgd_step(model, tn.functional.cross_entropy, x, y, 0.05)
        if task == "lstm":
            class LstmHead(tn.Module):
                def __init__(self):
                    super().__init__()
                    self.lstm = tn.LSTM(LSTM_D, LSTM_H, batch_first=True)
                    self.head = tn.Linear(LSTM_H, LSTM_C)

                def forward(self, x):
                    return self.head(self.lstm(x)[0][:, -1])
            x = torch.rand(LSTM_B, LSTM_T, LSTM_D) * 2 - 1
            y = torch.randint(0, LSTM_C, (LSTM_B,))
            return sgd_step(LstmHead(), tn.functional.cross_entropy, x, y, 0.1)
        x = torch.rand(1 << 20) * 6 - 3
        if task == "fused_fwd":
            f = maybe(lambda x: torch.sigmoid(0.7 * x + 0.1) * torch.tanh(x))

            def step():
                with torch.no_grad():
                    return f(x)
            return step
        xg = x.clone().requires_grad_(True)

        def value_and_grad(x):
            y = (torch.sigmoid(0.7 * x + 0.1) * torch.tanh(x)).sum()
            y.backward()
            return y
        g = maybe(value_and_grad)

        def step():
            xg.grad = None
            return g(xg).item()
        return step
    return make


# ------------------------------------------------------------------------------------------
# JAX (jit)
# ------------------------------------------------------------------------------------------
def jax_tasks(threads):
    import jax
    import jax.numpy as jnp
    key = jax.random.PRNGKey(0)

    def dense_init(key, i, o):
        k1, k2 = jax.random.split(key)
        bound = 1.0 / (i ** 0.5)
        return (jax.random.uniform(k1, (i, o), minval=-bound, maxval=bound),
                jax.random.uniform(k2, (o,), minval=-bound, maxval=bound))

    def ce(logits, y):
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - jnp.take_along_axis(
            logits, y[:, None], axis=1)[:, 0])

    def sgd(loss, params, x, y, lr):
        @jax.jit
        def update(params):
            v, g = jax.value_and_grad(loss)(params, x, y)
            return v, jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g)
        state = {"p": params}

        def step():
            v, state["p"] = update(state["p"])
            return v.block_until_ready()
        return step

    def make(task):
        if task == "or_gate":
            params = [dense_init(key, 2, 2), dense_init(jax.random.fold_in(key, 1), 2, 1)]
            x = jnp.array([[0., 0.], [0., 1.], [1., 0.]])
            y = jnp.array([[0.], [1.], [1.]])

            def loss(p, x, y):
                h = jax.nn.sigmoid(x @ p[0][0] + p[0][1])
                return jnp.mean((jax.nn.sigmoid(h @ p[1][0] + p[1][1]) - y) ** 2)
            return sgd(loss, params, x, y, 2.0)
        if task.startswith("mlp"):
            w = mlp_widths(task)
            params = [dense_init(jax.random.fold_in(key, i), w[i], w[i + 1])
                      for i in range(len(w) - 1)]
            b = batch_of(task)
            x = jax.random.uniform(key, (b, 784))
            y = jax.random.randint(key, (b,), 0, 10)

            def loss(p, x, y):
                h = x
                for i, (wi, bi) in enumerate(p):
                    h = h @ wi + bi
                    if i + 1 < len(p):
                        h = jax.nn.relu(h)
                return ce(h, y)
            return sgd(loss, params, x, y, 0.05)
        if task.startswith("lenet"):
            ks = [jax.random.fold_in(key, i) for i in range(5)]

            def conv_init(k, o, c, kk):
                bound = 1.0 / ((c * kk * kk) ** 0.5)
                k1, k2 = jax.random.split(k)
                return (jax.random.uniform(k1, (o, c, kk, kk), minval=-bound, maxval=bound),
                        jax.random.uniform(k2, (o,), minval=-bound, maxval=bound))
            params = [conv_init(ks[0], 6, 1, 5), conv_init(ks[1], 16, 6, 5),
                      dense_init(ks[2], 400, 120), dense_init(ks[3], 120, 84),
                      dense_init(ks[4], 84, 10)]
            b = batch_of(task)
            x = jax.random.uniform(key, (b, 1, 28, 28))
            y = jax.random.randint(key, (b,), 0, 10)

            def conv(h, wb, pad):
                out = jax.lax.conv_general_dilated(h, wb[0], (1, 1), [(pad, pad), (pad, pad)])
                return out + wb[1][None, :, None, None]

            def pool(h):
                return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                             "VALID")

            def loss(p, x, y):
                h = pool(jax.nn.relu(conv(x, p[0], 2)))
                h = pool(jax.nn.relu(conv(h, p[1], 0))).reshape(x.shape[0], -1)
                h = jax.nn.relu(h @ p[2][0] + p[2][1])
                h = jax.nn.relu(h @ p[3][0] + p[3][1])
                return ce(h @ p[4][0] + p[4][1], y)
            return sgd(loss, params, x, y, 0.05)
        if task == "lstm":
            ks = [jax.random.fold_in(key, i) for i in range(6)]
            bound = 1.0 / (LSTM_H ** 0.5)
            G = 4 * LSTM_H

            def u(k, shape):
                return jax.random.uniform(k, shape, minval=-bound, maxval=bound)
            # torch's layout and gate order (i, f, g, o): w_ih (4H, D), w_hh (4H, H)
            params = [u(ks[0], (G, LSTM_D)), u(ks[1], (G, LSTM_H)), u(ks[2], (G,)),
                      u(ks[3], (G,)), dense_init(ks[4], LSTM_H, LSTM_C)]
            x = jax.random.uniform(key, (LSTM_B, LSTM_T, LSTM_D), minval=-1.0, maxval=1.0)
            y = jax.random.randint(key, (LSTM_B,), 0, LSTM_C)

            def loss(p, x, y):
                w_ih, w_hh, b_ih, b_hh, (w, b) = p
                xs = jnp.swapaxes(x, 0, 1) @ w_ih.T + (b_ih + b_hh)  # (T, B, 4H)

                def cell(hc, z):
                    h, c = hc
                    z = z + h @ w_hh.T
                    i, f, g, o = jnp.split(z, 4, axis=1)
                    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                    h = jax.nn.sigmoid(o) * jnp.tanh(c)
                    return (h, c), None
                zero = jnp.zeros((x.shape[0], LSTM_H), x.dtype)
                (h, _), _ = jax.lax.scan(cell, (zero, zero), xs)
                return ce(h @ w + b, y)
            return sgd(loss, params, x, y, 0.1)
        x = jax.random.uniform(key, (1 << 20,), minval=-3.0, maxval=3.0)

        def f(x):
            return jax.nn.sigmoid(0.7 * x + 0.1) * jnp.tanh(x)
        if task == "fused_fwd":
            jf = jax.jit(f)
            return lambda: jf(x).block_until_ready()
        jg = jax.jit(jax.value_and_grad(lambda x: jnp.sum(f(x))))
        return lambda: jg(x)[1].block_until_ready()
    return make


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--framework", choices=["torch", "torch_compile", "jax"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tasks", default=",".join(ALL_TASKS))
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.framework == "jax":
        if a.threads == 1:
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                       " --xla_cpu_multi_thread_eigen=false"
                                       " intra_op_parallelism_threads=1")
        make = jax_tasks(a.threads)
        who = "jax_jit"
    else:
        make = torch_tasks(a.threads, a.framework == "torch_compile")
        who = "pytorch" if a.framework == "torch" else "torch_compile"
    results = []
    for task in a.tasks.split(","):
        try:
            wall, cpu, iters = measure(make(task))
        except Exception as e:  # e.g. torch.compile without a working C++ toolchain
            print(f"{task:<16} {who:<14} t={a.threads}: failed: {type(e).__name__}: {e}",
                  file=sys.stderr)
            continue
        # or_gate and fused have no thread argument in the C++ programs (one thread): the
        # 2-thread figures of those get their own contender name.
        threaded = task.startswith(("mlp", "lenet", "lstm"))
        name = f"BM_{task}_{who}/{a.threads}" if threaded else (
            f"BM_{task}_{who}" if a.threads == 1 else f"BM_{task}_{who}_{a.threads}threads")
        print(f"{task:<16} {who:<14} t={a.threads}: {wall * 1e6:12.1f} us wall "
              f"{cpu * 1e6:12.1f} us cpu  ({iters} steps x 5)", flush=True)
        results.append({"name": name + "_median", "run_name": name, "aggregate_name": "median",
                        "run_type": "aggregate", "real_time": wall * 1e6, "cpu_time": cpu * 1e6,
                        "time_unit": "us", "iterations": iters})
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"context": {"framework": who, "threads": a.threads},
                       "benchmarks": results}, f, indent=1)


if __name__ == "__main__":
    main()
