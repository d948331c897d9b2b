"""select / with_columns of a predicate's values (OneHot's `(col(c) == v).cast("uint8")`,
`.fill_null(False)`, range tests) computed as a filter's keep bytes
(host/frame/select/select_literal.c) instead of by the interpreter. Checked against Polars
and against weft's interpreter on the same expression made unplannable (`| lit(False)`),
on random tables with nulls, NaN, extreme values, empty, one row and sizes that cross the
4,096-row chunks and the 65,536-row partitions."""

import numpy as np
import polars as pl
import pytest

import weft
from weft import col, lit

SIZES = [0, 1, 9, 4097, 70_001]
INT_TYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def table(n, seed):
    rng = np.random.default_rng(seed)
    i64 = rng.integers(-5, 6, n).astype(np.int64)
    i64[rng.random(n) < 0.05] = np.iinfo(np.int64).max
    f64 = rng.normal(0, 3, n)
    f64[rng.random(n) < 0.1] = np.nan
    null = rng.random(n) < 0.2
    words = np.array(["a", "bb", "", "é", "ccc"], dtype=object)[rng.integers(0, 5, n)]
    return pl.DataFrame({
        "code": pl.Series(rng.integers(-1, 100, n), dtype=pl.Int32),  # OneHot's codes: no nulls
        "i64": pl.Series(i64, dtype=pl.Int64),
        "f64": pl.Series(f64, dtype=pl.Float64),
        "n32": pl.Series([None if m else int(v) for v, m in zip(rng.integers(0, 5, n), null)],
                         dtype=pl.Int32),
        "s": pl.Series(words, dtype=pl.Utf8),
    })


def shapes():
    """(name, predicate builder, what is done to it, Polars' expression) of planned shapes."""
    out = []
    for t in INT_TYPES:
        out.append((f"code==7 as {t}", lambda: col("code") == 7, lambda p, t=t: p.cast(t),
                    (pl.col("code") == 7).cast(getattr(pl, _pl(t)))))
    out += [
        ("code==-1", lambda: col("code") == -1, lambda p: p, pl.col("code") == -1),
        ("i64 max", lambda: col("i64") == np.iinfo(np.int64).max, lambda p: p.cast("uint8"),
         (pl.col("i64") == np.iinfo(np.int64).max).cast(pl.UInt8)),
        ("i64 between", lambda: col("i64").is_between(-2, 3), lambda p: p.cast("int32"),
         pl.col("i64").is_between(-2, 3).cast(pl.Int32)),
        ("f64 > 0.5", lambda: col("f64") > 0.5, lambda p: p.cast("uint8"),
         (pl.col("f64") > 0.5).cast(pl.UInt8)),
        ("f64 != 0", lambda: col("f64") != 0.0, lambda p: p.cast("uint8"),
         (pl.col("f64") != 0.0).cast(pl.UInt8)),
        ("n32 fill", lambda: col("n32") == 3, lambda p: p.fill_null(False).cast("uint8"),
         (pl.col("n32") == 3).fill_null(False).cast(pl.UInt8)),
        ("n32 fill bool", lambda: col("n32") >= 2, lambda p: p.fill_null(False),
         (pl.col("n32") >= 2).fill_null(False)),
        ("s == é", lambda: col("s") == "é", lambda p: p.cast("uint8"),
         (pl.col("s") == "é").cast(pl.UInt8)),
        ("and", lambda: (col("code") >= 10) & (col("i64") < 2), lambda p: p.cast("int64"),
         ((pl.col("code") >= 10) & (pl.col("i64") < 2)).cast(pl.Int64)),
    ]
    return out


def _pl(t):
    return {"bool": "Boolean"}.get(t, t.capitalize().replace("Uint", "UInt"))


@pytest.mark.parametrize("n", SIZES)
def test_planned_values_equal_polars_and_the_interpreter(n):
    src = table(n, seed=n)
    df = weft.from_polars(src)
    for name, pred, post, ref in shapes():
        want = src.select(ref.alias("x"))["x"]
        got = df.select(post(pred()).alias("x")).to_polars()["x"]
        assert got.dtype == want.dtype, name
        assert got.to_list() == want.to_list(), name
        if n:
            assert "keep bytes" in weft.last_report(), name
        # the interpreter: `| lit(False)` makes the predicate no planned shape
        slow = df.select(post(pred() | lit(False)).alias("x")).to_polars()["x"]
        assert "keep bytes" not in weft.last_report(), name
        assert slow.to_list() == want.to_list(), name
        with_cols = df.with_columns(post(pred()).alias("x")).to_polars()["x"]
        assert with_cols.to_list() == want.to_list(), name


def test_unplannable_shapes_still_right():
    src = table(5000, seed=3)
    df = weft.from_polars(src)
    for name, expr, ref in [
        # nullable without fill_null: the nulls stay
        ("n32 == 3", (col("n32") == 3).cast("uint8"), (pl.col("n32") == 3).cast(pl.UInt8)),
        ("or false", ((col("code") == 7) | lit(False)).cast("uint8"),
         ((pl.col("code") == 7) | False).cast(pl.UInt8)),
        ("fill true", (col("n32") == 3).fill_null(True).cast("uint8"),
         (pl.col("n32") == 3).fill_null(True).cast(pl.UInt8)),
        ("to float", (col("code") == 7).cast("float64"), (pl.col("code") == 7).cast(pl.Float64)),
    ]:
        got = df.select(expr.alias("x")).to_polars()["x"].to_list()
        assert "keep bytes" not in weft.last_report(), name
        assert got == src.select(ref.alias("x"))["x"].to_list(), name


def test_onehot_transform_equals_polars():
    rng = np.random.default_rng(9)
    cities = np.array([f"c{k}" for k in range(30)], dtype=object)
    src = pl.DataFrame({"city": cities[rng.integers(0, 30, 70_001)],
                        "n": pl.Series([None if v < 0.1 else int(v * 10) for v in rng.random(70_001)],
                                       dtype=pl.Int64)})
    out = weft.OneHot(["city", "n"]).fit_transform(weft.from_polars(src)).to_polars()
    want = src.to_dummies(["city", "n"])
    assert sorted(out.columns) == sorted(want.columns)
    for c in want.columns:
        assert out[c].cast(pl.UInt8).to_list() == want[c].cast(pl.UInt8).to_list(), c
