"""group_by / unique on one integer key whose range passes 2^20 but stays within twice the
rows (dense ids: the direct-index path, its slot arrays over several row ranges) and just
past it (the hash path), against Polars: first-appearance order, nulls, negative keys."""

import numpy as np
import polars as pl
import pytest

import weft
import weft.expr as expr

col = expr.col


def frame_of(rng, n, span, null_rate):
    k = rng.integers(-span // 2, span - span // 2, n)
    mask = rng.random(n) < null_rate
    keys = pl.Series("k", [None if m else x for x, m in zip(k.tolist(), mask)], dtype=pl.Int64)
    return pl.DataFrame({"k": keys, "v": rng.integers(0, 100, n)})


@pytest.mark.parametrize("n,span", [(600_001, 1_100_000), (600_001, 1_200_003),
                                    (700_000, 1_500_000), (300_007, 2_000_000)])
@pytest.mark.parametrize("null_rate", [0.0, 0.05])
def test_group_by_dense_keys_matches_polars(n, span, null_rate):
    rng = np.random.default_rng(n + span)
    frame = frame_of(rng, n, span, null_rate)
    df = weft.from_arrow(frame.to_arrow())
    got = df.group_by("k").agg(col("v").sum().alias("s"), col("v").count().alias("c")).to_polars()
    want = frame.group_by("k", maintain_order=True).agg(pl.col("v").sum().alias("s"),
                                                        pl.col("v").count().alias("c"))
    assert got["k"].to_list() == want["k"].to_list()  # first-appearance order
    assert got["s"].cast(pl.Int64).to_list() == want["s"].cast(pl.Int64).to_list()
    assert got["c"].cast(pl.Int64).to_list() == want["c"].cast(pl.Int64).to_list()
    uniq = df.unique(subset=["k"]).to_polars()
    assert uniq["k"].to_list() == frame.unique(subset=["k"], maintain_order=True)["k"].to_list()
