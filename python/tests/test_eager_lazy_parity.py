"""Every eager DataFrame method with a LazyFrame twin gives the same answer on the same
random data (nulls, NaN, empty and one-row frames, sizes off any tile): the lazy plan runs
through the optimizer (pushdown, projection, fusion, top-k), the eager call does not, so
a difference is a planner or operator bug. Also against Polars where both exist."""

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col

SIZES = [0, 1, 13, 3001]


def _frame(rng, n):
    def nulls(values, rate=0.15):
        mask = rng.random(n) < rate
        return [None if m else x for x, m in zip(values, mask)]

    f = np.round(rng.normal(size=n), 2)
    f[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "k": pl.Series(nulls(rng.integers(0, 5, n).tolist()), dtype=pl.Int64),
        "g": pl.Series(nulls([f"g{x}" for x in rng.integers(0, 4, n)]), dtype=pl.String),
        "v": pl.Series(nulls(f.tolist()), dtype=pl.Float64),
        "i": pl.Series(nulls(rng.integers(-100, 100, n).tolist()), dtype=pl.Int64),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
    })


def _right(rng, n):
    n = min(n, 40)
    return pl.DataFrame({
        "k": pl.Series([None if rng.random() < 0.2 else int(x) for x in rng.integers(0, 5, n)], dtype=pl.Int64),
        "w": pl.Series([f"w{x}" for x in rng.integers(0, 9, n)], dtype=pl.String),
    })


# (name, eager call, lazy call): each takes the weft frame (eager) or its LazyFrame
PAIRS = [
    ("select", lambda d: d.select(col("v") * 2, (col("i") + col("k")).alias("s")),
     lambda l: l.select(col("v") * 2, (col("i") + col("k")).alias("s"))),
    ("with_columns", lambda d: d.with_columns((col("v") > 0).alias("pos"), col("i").alias("k")),
     lambda l: l.with_columns((col("v") > 0).alias("pos"), col("i").alias("k"))),
    ("filter", lambda d: d.filter((col("v") > 0.1) | col("b")), lambda l: l.filter((col("v") > 0.1) | col("b"))),
    ("group_by", lambda d: d.group_by("k", "g").agg(col("v").sum(), col("i").max(), weft.len()),
     lambda l: l.group_by("k", "g").agg(col("v").sum(), col("i").max(), weft.len())),
    ("agg select", lambda d: d.select(col("v").mean(), col("i").min()),
     lambda l: l.select(col("v").mean(), col("i").min())),
    ("sort", lambda d: d.sort("k", "v", descending=[True, False], nulls_last=[False, True]),
     lambda l: l.sort("k", "v", descending=[True, False], nulls_last=[False, True])),
    ("sort default", lambda d: d.sort("v"), lambda l: l.sort("v")),
    ("sort head", lambda d: d.sort("i", descending=True).head(7), lambda l: l.sort("i", descending=True).head(7)),
    ("top_k", lambda d: d.top_k(5, by=["k", "v"]), lambda l: l.top_k(5, by=["k", "v"])),
    ("bottom_k", lambda d: d.bottom_k(5, by="g", reverse=True), lambda l: l.bottom_k(5, by="g", reverse=True)),
    ("unique", lambda d: d.unique(["k", "g"]), lambda l: l.unique(["k", "g"])),
    ("unique all", lambda d: d.select("k", "b").unique(), lambda l: l.select("k", "b").unique()),
    ("head", lambda d: d.head(4), lambda l: l.head(4)),
    ("slice", lambda d: d.slice(-5, 3), lambda l: l.slice(-5, 3)),
    ("drop", lambda d: d.drop("g", "b"), lambda l: l.drop("g", "b")),
    ("rename", lambda d: d.rename({"k": "key", "v": "value"}), lambda l: l.rename({"k": "key", "v": "value"})),
    ("with_row_index", lambda d: d.with_row_index(), lambda l: l.with_row_index()),
    ("with_row_index then filter", lambda d: d.with_row_index("r", offset=10).filter(col("k") == 2),
     lambda l: l.with_row_index("r", offset=10).filter(col("k") == 2)),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("pair", range(len(PAIRS)), ids=[p[0] for p in PAIRS])
def test_eager_equals_lazy(rng, n, pair):
    name, eager, lazy = PAIRS[pair]
    df = weft.DataFrame(_frame(rng, n))
    want = eager(df).to_polars()
    got = lazy(df.lazy()).collect().to_polars()
    plt.assert_frame_equal(got, want)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("how", ["inner", "left", "semi", "anti"])
def test_join_eager_equals_lazy(rng, n, how):
    left, right = weft.DataFrame(_frame(rng, n)), weft.DataFrame(_right(rng, n))
    want = left.join(right, on="k", how=how).to_polars()
    got = left.lazy().join(right.lazy(), on="k", how=how).collect().to_polars()
    plt.assert_frame_equal(got, want)


@pytest.mark.parametrize("n", SIZES)
def test_with_row_index_n_unique_like_polars(rng, n):
    pdf = _frame(rng, n)
    df = weft.DataFrame(pdf)
    plt.assert_frame_equal(df.with_row_index().to_polars(), pdf.with_row_index())
    plt.assert_frame_equal(df.lazy().with_row_index("r", 5).collect().to_polars(), pdf.with_row_index("r", 5))
    plt.assert_frame_equal(df.lazy().with_row_index().select("index").collect().to_polars(),
                           pdf.with_row_index().select("index"))
    assert df.n_unique() == pdf.n_unique()
    assert df.n_unique(subset=["k", "g"]) == pdf.n_unique(subset=["k", "g"])
    # distinct pairs counted through group_by, as a Polars user writes it
    assert df.group_by("k", "g").agg(weft.len()).height == pdf.group_by("k", "g").len().height


def test_with_row_index_errors(rng):
    df = weft.DataFrame(_frame(rng, 5))
    with pytest.raises(weft.InvalidArgumentError, match=r"DataFrame.with_row_index: offset must be"):
        df.with_row_index(offset=-1)
    with pytest.raises(weft.InvalidArgumentError, match="already called \"k\""):
        df.with_row_index("k")
    with pytest.raises(weft.InvalidArgumentError, match="already called \"k\""):
        df.lazy().with_row_index("k")
    with pytest.raises(weft.InvalidArgumentError, match="uint32"):
        df.with_row_index(offset=2**32 - 2)
    assert "WITH_ROW_INDEX \"index\" from 0" in df.lazy().with_row_index().filter(col("k") > 1).explain()
