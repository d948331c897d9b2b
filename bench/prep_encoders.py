#!/usr/bin/env python3
"""ML data prep benchmark: weft's encoders against scikit-learn and Polars expressions.

    WEFT_LIBRARY=build/dev/lib PYTHONPATH=python python3 bench/prep_encoders.py --rows 2000000

The data: --rows rows of 16 float64 columns (normal, no nulls: scikit-learn would read a
null as NaN) and two strings, "city" (~100 values) and "user" (~10,000 values). The work:
standardize the 16 numbers (mean, population std) and one-hot encode "city", fitted and
applied to the same rows. Each peer gets its data in its own form first (untimed: a weft
DataFrame, a Polars DataFrame, numpy arrays for scikit-learn) and is timed for fit and for
transform (best of --repeat rounds, the peers taking turns). The answers are checked against each other (allclose for the
numbers, equal one-hot columns) before any time is printed.

    weft:          Pipeline([Standardize(numeric), OneHot("city")]).fit(df), .transform(df)
                   (weft's expressions on the CPU, all cores; device auto)
    scikit-learn:  StandardScaler on a (rows, 16) float64 array, OneHotEncoder(dtype=uint8,
                   sparse_output=False) on the city column (object array)
    Polars:        fit: one select of mean / std(ddof=0) per column and city's sorted unique
                   values; transform: with_columns((col - mean) / std) and (city == v) per
                   value, cast to uint8 (the same expressions weft builds)
"""

import argparse
import os
import sys
import time

import numpy as np

N_NUMERIC = 16


def make_data(rows, seed=1):
    rng = np.random.default_rng(seed)
    numbers = {f"x{i}": rng.normal(i, 1 + i, rows) for i in range(N_NUMERIC)}
    city_names = np.array([f"city_{k:03d}" for k in range(100)], dtype=object)
    user_names = np.array([f"user_{k:05d}" for k in range(10_000)], dtype=object)
    city = city_names[rng.integers(0, 100, rows)]
    user = user_names[rng.integers(0, 10_000, rows)]
    return numbers, city, user


class Peer:
    """A peer's fit and transform over its own copy of the data, timed in rounds."""

    def __init__(self, config, fit, transform, answer):
        self.config, self._fit, self._transform, self._answer = config, fit, transform, answer
        self.fit_s = self.transform_s = float("inf")
        self.out = None

    def round(self):
        self.out = None
        t = time.perf_counter()
        state = self._fit()
        t_fit = time.perf_counter() - t
        t = time.perf_counter()
        self.out = self._transform(state)
        t_tr = time.perf_counter() - t
        self.fit_s, self.transform_s = min(self.fit_s, t_fit), min(self.transform_s, t_tr)

    def answer(self):
        return self._answer(self.out)


def weft_peer(numbers, city, user):
    import weft

    df = weft.DataFrame({**numbers, "city": city, "user": user})
    cols = list(numbers)

    def fit():
        return weft.Pipeline([weft.Standardize(cols), weft.OneHot("city")]).fit(df)

    def answer(out):
        return ({c: out[c].to_numpy() for c in cols},
                {c: out[c].to_numpy() for c in out.columns if c.startswith("city_")})
    return Peer(f"weft {weft.__version__}, device auto (CPU here)", fit, lambda p: p.transform(df), answer)


def polars_peer(numbers, city, user):
    import polars as pl

    df = pl.DataFrame({**numbers, "city": city.tolist(), "user": user.tolist()})
    cols = list(numbers)

    def fit():
        stats = df.select([pl.col(c).mean().alias(f"m_{c}") for c in cols]
                          + [pl.col(c).std(ddof=0).alias(f"s_{c}") for c in cols]).row(0, named=True)
        cats = df.select(pl.col("city").unique().sort())["city"].to_list()
        return stats, cats

    def transform(state):
        stats, cats = state
        return df.with_columns(
            [((pl.col(c) - stats[f"m_{c}"]) / stats[f"s_{c}"]).alias(c) for c in cols]
            + [(pl.col("city") == v).cast(pl.UInt8).alias(f"city_{v}") for v in cats]).drop("city")

    def answer(out):
        return ({c: out[c].to_numpy() for c in cols},
                {c: out[c].to_numpy() for c in out.columns if c.startswith("city_")})
    return Peer(f"Polars {pl.__version__}, eager expressions, all cores", fit, transform, answer)


def sklearn_peer(numbers, city, user):
    try:
        import sklearn
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
    except ImportError:
        return None
    cols = list(numbers)
    x = np.column_stack([numbers[c] for c in cols])
    cities = city[:, None]

    def fit():
        return (StandardScaler().fit(x),
                OneHotEncoder(dtype=np.uint8, sparse_output=False, handle_unknown="ignore").fit(cities))

    def transform(state):
        scaler, onehot = state
        return scaler.transform(x), onehot.transform(cities), onehot

    def answer(out):
        xs, oh, enc = out
        return ({c: xs[:, i] for i, c in enumerate(cols)},
                {f"city_{v}": oh[:, k] for k, v in enumerate(enc.categories_[0])})
    return Peer(f"scikit-learn {sklearn.__version__}, StandardScaler + OneHotEncoder(dense uint8), "
                "numpy arrays", fit, transform, answer)


def check(name, got, ref):
    nums, dummies = got
    ref_nums, ref_dummies = ref
    for c, v in ref_nums.items():
        if not np.allclose(nums[c], v, rtol=1e-9, atol=1e-9):
            sys.exit(f"{name}: column {c} differs from weft's")
    if sorted(dummies) != sorted(ref_dummies):
        sys.exit(f"{name}: one-hot columns differ from weft's")
    for c, v in ref_dummies.items():
        if not np.array_equal(dummies[c], v):
            sys.exit(f"{name}: one-hot column {c} differs from weft's")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each peer runs once a round")
    ap.add_argument("--peers", default="weft,polars,sklearn")
    args = ap.parse_args()
    numbers, city, user = make_data(args.rows)
    print(f"rows {args.rows:,}: {N_NUMERIC} float64 + city (~100 values) + user (~10,000 values); "
          f"Standardize(16 numeric) + OneHot(city); {os.cpu_count()} CPUs; best of {args.repeat} "
          "rounds, the peers taking turns (a shared machine's load falls on all of them)")
    makers = {"weft": weft_peer, "polars": polars_peer, "sklearn": sklearn_peer}
    peers = {}
    for name in args.peers.split(","):
        p = makers[name](numbers, city, user)
        if p is None:
            print(f"{name}: not installed, skipped")
            continue
        peers[name] = p
        print(f"{name:8s} config: {p.config}")
    for _ in range(args.repeat):
        for p in peers.values():
            p.round()
    ref = peers["weft"].answer() if "weft" in peers else None
    if ref is not None:
        for name, p in peers.items():
            if name != "weft":
                check(name, p.answer(), ref)
        print("answers: the peers' standardized columns allclose to weft's, one-hot columns equal")
    print(f"{'peer':8s} {'fit s':>8s} {'transform s':>12s} {'total s':>8s} {'total / weft':>13s}")
    base = peers["weft"].fit_s + peers["weft"].transform_s if "weft" in peers else None
    for name, p in peers.items():
        total = p.fit_s + p.transform_s
        ratio = f"{total / base:.2f}x" if base else "-"
        print(f"{name:8s} {p.fit_s:8.3f} {p.transform_s:12.3f} {total:8.3f} {ratio:>13s}")


if __name__ == "__main__":
    main()
