#!/usr/bin/env python3
"""Shuffling a whole table and splitting it: weft's df.shuffle(seed) (its own seeded
permutation, computed on the CPU pool, then weft_table_take) against the path it replaced
(numpy's permutation + weft_table_take), numpy alone (permutation + np.take per column),
Polars' df.sample(fraction=1, shuffle=True, seed), and a stratified train_test_split
against scikit-learn's (row numbers only: scikit-learn splits index arrays).

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/prep_shuffle.py --rows 10000000

A table of --rows rows x --cols float32 columns plus an int64 "label" of --classes classes;
column f0 holds the row number (exact in float32 below 2^24 rows). Each is timed best of
--repeat, setup untimed; each result is checked untimed (every row once, values following
their rows; weft's order equals iter_batches(shuffle=True, seed)'s).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import cpu_model, log  # noqa: E402


def best(fn, repeat):
    secs, out = float("inf"), None
    for _ in range(repeat):
        out = None
        t0 = time.perf_counter()
        out = fn()
        secs = min(secs, time.perf_counter() - t0)
    return secs, out


def rows_ok(ids, n):
    seen = np.zeros(n, dtype=np.int64)
    np.add.at(seen, ids, 1)
    return bool((seen == 1).all())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cols", type=int, default=16)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if a.rows >= 1 << 24:
        sys.exit("--rows must be below 2^24: column f0 names each row exactly in float32")
    import polars as pl
    import weft
    from weft.batches import shuffled_rows, take
    rng = np.random.default_rng(1)
    cols = {f"f{j}": rng.random(a.rows, dtype=np.float32) for j in range(a.cols)}
    cols["f0"] = np.arange(a.rows, dtype=np.float32)
    cols["label"] = rng.integers(0, a.classes, a.rows)
    gb = sum(c.nbytes for c in cols.values()) / 1e9
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; {a.rows} rows x {a.cols} float32 + "
          f"int64 label ({gb:.2f} GB), best of {a.repeat}")
    df, pdf = weft.DataFrame(cols), pl.DataFrame(cols)
    n, s = a.rows, a.seed
    runs = {
        "weft df.shuffle(seed)": lambda: df.shuffle(seed=s),
        "numpy permutation + weft take (the old path)":
            lambda: take(df, np.random.default_rng(s).permutation(n), "bench"),
        "numpy permutation + np.take per column":
            lambda: _np_take(cols, np.random.default_rng(s).permutation(n)),
        f"polars {pl.__version__} df.sample(fraction=1, shuffle=True, seed)":
            lambda: pdf.sample(fraction=1, shuffle=True, seed=s),
    }
    results = {}
    for name, fn in runs.items():
        log(f"{name}: timing")
        secs, out = best(fn, a.repeat)
        ids = (out["f0"].to_numpy() if not isinstance(out, dict) else out["f0"]).astype(np.int64)
        label = out["label"].to_numpy() if not isinstance(out, dict) else out["label"]
        ok = rows_ok(ids, n) and np.array_equal(label, cols["label"][ids])
        if name.startswith("weft"):
            ok = ok and np.array_equal(ids, shuffled_rows(n, s))
        results[name] = secs
        print(f"- {name}: {secs:.3f} s, {gb / secs:.2f} GB/s, {'ok' if ok else 'WRONG'}")
        del out
    split = {
        "weft train_test_split(stratify='label')":
            lambda: weft.train_test_split(df, test_size=0.2, seed=s, stratify="label"),
    }
    try:
        from sklearn.model_selection import train_test_split as sk_split
        import sklearn
        split[f"scikit-learn {sklearn.__version__} train_test_split(arange(n), stratify=y) "
              "(indices only)"] = lambda: sk_split(np.arange(n), test_size=0.2, random_state=s,
                                                   stratify=cols["label"])
    except ImportError as e:
        print(f"scikit-learn: not timed, import failed: {e}")
    for name, fn in split.items():
        log(f"{name}: timing")
        secs, (train, test) = best(fn, a.repeat)
        if name.startswith("weft"):
            train, test = (t["f0"].to_numpy().astype(np.int64) for t in (train, test))
        ok = rows_ok(np.concatenate([train, test]), n) and len(test) == int(np.ceil(0.2 * n))
        results[name] = secs
        print(f"- {name}: {secs:.3f} s, {'ok' if ok else 'WRONG'}")
    w = results["weft df.shuffle(seed)"]
    print("\n| run | s | vs weft shuffle |\n|---|---|---|")
    for name, secs in results.items():
        print(f"| {name} | {secs:.3f} | {secs / w:.2f} |")


def _np_take(cols, perm):
    return {k: np.take(v, perm) for k, v in cols.items()}


if __name__ == "__main__":
    main()
