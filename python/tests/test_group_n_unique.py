"""n_unique per group on many rows (the radix-partitioned path: several partitions, every
pool thread) against Polars: mostly distinct pairs, few groups, nulls in the values, negative
and wide-range values (the packed pairs do not fit: the hash-table path), dates, bools,
floats and strings."""

import numpy as np
import polars as pl
import pytest

import weft
import weft.expr as expr

col = expr.col


def check(frame, keys, value):
    df = weft.from_arrow(frame.to_arrow())
    ours = df.group_by(*keys).agg(col(value).n_unique().alias("n"))
    theirs = frame.group_by(keys, maintain_order=True).agg(pl.col(value).n_unique().alias("n"))
    got = ours.to_polars()
    assert got.columns == theirs.columns
    got = got.sort(keys, nulls_last=True)
    want = theirs.sort(keys, nulls_last=True)
    assert got["n"].cast(pl.Int64).to_list() == want["n"].cast(pl.Int64).to_list()
    assert got.select(keys).to_dicts() == want.select(keys).to_dicts()


def values(rng, n, kind, null_rate):
    if kind == "int":
        v = rng.integers(-500, 500, n)
    elif kind == "wide":
        v = rng.integers(-(2**62), 2**62, n)
    elif kind == "float":
        v = rng.standard_normal(n).round(1)
        v[rng.random(n) < 0.05] = np.nan
        v[rng.random(n) < 0.05] = -0.0
    elif kind == "bool":
        v = rng.random(n) < 0.5
    else:
        v = np.array([f"s{x}" for x in rng.integers(0, 300, n)])
    mask = rng.random(n) < null_rate
    dtype = {"int": pl.Int64, "wide": pl.Int64, "float": pl.Float64, "bool": pl.Boolean}
    return pl.Series("v", [None if m else x for x, m in zip(v.tolist(), mask)],
                     dtype=dtype.get(kind, pl.String))


@pytest.mark.parametrize("n", [1, 999, 70_001, 300_017])
@pytest.mark.parametrize("kind", ["int", "wide", "float", "bool", "str"])
@pytest.mark.parametrize("groups", [3, 40_000])
def test_n_unique_matches_polars(n, kind, groups):
    rng = np.random.default_rng(n * 7 + groups + len(kind))
    frame = pl.DataFrame({"k": rng.integers(0, groups, n), "v": values(rng, n, kind, 0.1)})
    check(frame, ["k"], "v")


def test_n_unique_all_null_and_dates():
    rng = np.random.default_rng(5)
    n = 100_003
    frame = pl.DataFrame({
        "k": rng.integers(0, 1000, n),
        "v": pl.Series([None] * n, dtype=pl.Int32),
        "d": pl.Series(rng.integers(0, 20_000, n), dtype=pl.Int32).cast(pl.Date),
    })
    check(frame, ["k"], "v")
    check(frame, ["k"], "d")


def test_n_unique_empty():
    frame = pl.DataFrame({"k": pl.Series([], dtype=pl.Int64), "v": pl.Series([], dtype=pl.Int64)})
    check(frame, ["k"], "v")
