#!/usr/bin/env python3
"""Shuffled training batches: weft's iter_batches against a torch DataLoader over a
TensorDataset and against Polars' sample(fraction=1, shuffle=True) + iter_slices.

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/prep_batches.py --rows 2000000

A table of --rows rows x --cols float32 columns (column 0 holds the row number, exact in
float32 below 2^24 rows), read once per epoch in shuffled batches of --batch rows. Each
engine's epoch is timed (best of --repeat) with the batches only produced and held, then
one more epoch is checked untimed: every row exactly once, each batch's values equal to the
table's rows it names. GB/s = rows x cols x 4 bytes / seconds. Each engine's setup (the
table in its own form) is untimed. Output shapes differ: weft and Polars give a dict of
one array per column, torch one (batch, cols) tensor.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import cpu_model, log  # noqa: E402


def weft_epochs(X, batch, seed):
    import weft
    df = weft.DataFrame({f"f{j}": X[:, j] for j in range(X.shape[1])})  # strided: copied once
    config = (f"weft {weft.__version__}: df.iter_batches({batch}, shuffle=True, seed={seed}) "
              f"-> dict of {X.shape[1]} numpy arrays")

    def epoch():
        return df.iter_batches(batch, shuffle=True, seed=seed)
    return config, epoch, lambda b: np.column_stack(list(b.values()))


def weft_gather_alone(X, seed, repeat):
    """Seconds of the C gather alone (weft_table_take_shuffled over the whole epoch, 32 MiB
    groups into one reused buffer): iter_batches without its Python per-batch work."""
    import ctypes
    import weft
    from weft import _lib
    df = weft.DataFrame({f"f{j}": X[:, j] for j in range(X.shape[1])})
    n, cols = X.shape
    group = max(1, (32 << 20) // (4 * cols))
    buf = np.empty((cols, group), dtype=np.float32)
    ptrs = (ctypes.c_void_p * cols)(*[buf[j].ctypes.data for j in range(cols)])
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for g0 in range(0, n, group):
            assert _lib.weft_table_take_shuffled(df._handle, seed, g0, min(group, n - g0), ptrs) == 0
        best = min(best, time.perf_counter() - t0)
    return best


def polars_epochs(X, batch, seed):
    import polars as pl
    df = pl.DataFrame({f"f{j}": X[:, j] for j in range(X.shape[1])})
    config = (f"polars {pl.__version__} ({pl.thread_pool_size()} threads): "
              f"df.sample(fraction=1, shuffle=True, seed={seed}).iter_slices({batch}) "
              "-> {name: Series.to_numpy()}")

    def epoch():
        for part in df.sample(fraction=1, shuffle=True, seed=seed).iter_slices(batch):
            yield {s.name: s.to_numpy() for s in part}
    return config, epoch, lambda b: np.column_stack(list(b.values()))


def torch_epochs(X, batch, seed, fast):
    import torch
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset
    t = torch.from_dlpack(np.ascontiguousarray(X))  # the table as one (rows, cols) tensor
    ds = TensorDataset(t)
    g = torch.Generator()
    if fast:
        sampler = BatchSampler(RandomSampler(ds, generator=g), batch, drop_last=False)
        loader = DataLoader(ds, sampler=sampler, batch_size=None, num_workers=0)
        config = (f"torch {torch.__version__} ({torch.get_num_threads()} threads): "
                  f"DataLoader(TensorDataset(X), sampler=BatchSampler(RandomSampler, {batch}), "
                  "batch_size=None, num_workers=0) -> one tensor gathered per batch")
    else:
        loader = DataLoader(ds, batch_size=batch, shuffle=True, generator=g, num_workers=0)
        config = (f"torch {torch.__version__} ({torch.get_num_threads()} threads): "
                  f"DataLoader(TensorDataset(X), batch_size={batch}, shuffle=True, "
                  "num_workers=0) -> rows fetched one by one, collated")

    def epoch():
        g.manual_seed(seed)
        for (b,) in loader:
            yield b
    return config, epoch, lambda b: np.from_dlpack(b)


def timed(epoch, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in epoch():
            pass
        best = min(best, time.perf_counter() - t0)
    return best


def check(epoch, as_matrix, X):
    """Every row once, and each batch's values the table's rows it names."""
    seen = np.zeros(len(X), dtype=np.int64)
    for b in epoch():
        m = as_matrix(b)
        ids = m[:, 0].astype(np.int64)
        if not np.array_equal(m, X[ids]):
            return "WRONG values"
        np.add.at(seen, ids, 1)
    return "ok" if (seen == 1).all() else "WRONG multiset"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--slow-torch", action="store_true",
                    help="also time torch's per-row default DataLoader (very slow)")
    a = ap.parse_args()
    if a.rows >= 1 << 24:
        sys.exit("--rows must be below 2^24: column 0 names each row exactly in float32")
    rng = np.random.default_rng(1)
    X = rng.random((a.rows, a.cols), dtype=np.float32)
    X[:, 0] = np.arange(a.rows, dtype=np.float32)
    gb = X.nbytes / 1e9
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; {a.rows} rows x {a.cols} float32 "
          f"({gb:.2f} GB), batch {a.batch}, best of {a.repeat}")
    engines = [("weft", lambda: weft_epochs(X, a.batch, a.seed)),
               ("polars", lambda: polars_epochs(X, a.batch, a.seed))]
    try:
        import torch  # noqa: F401
        engines.append(("torch", lambda: torch_epochs(X, a.batch, a.seed, fast=True)))
        if a.slow_torch:
            engines.append(("torch-default", lambda: torch_epochs(X, a.batch, a.seed, fast=False)))
    except ImportError as e:
        print(f"torch: not timed, import failed: {e}")
    secs = weft_gather_alone(X, a.seed, a.repeat)
    print(f"- weft gather alone (weft_table_take_shuffled, {os.environ.get('WEFT_NUM_THREADS', 'all')} "
          f"threads): {secs:.3f} s, {gb / secs:.2f} GB/s")
    results = {}
    for name, make in engines:
        log(f"{name}: setting up")
        config, epoch, as_matrix = make()
        secs = timed(epoch, a.repeat)
        verdict = check(epoch, as_matrix, X)
        results[name] = secs
        print(f"- {name}: {config}\n    {secs:.3f} s, {gb / secs:.2f} GB/s, rows {verdict}")
    print("\n| engine | s | GB/s | weft speedup |\n|---|---|---|---|")
    for name, secs in results.items():
        print(f"| {name} | {secs:.3f} | {gb / secs:.2f} | {secs / results['weft']:.2f} |")


if __name__ == "__main__":
    main()
