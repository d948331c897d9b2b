"""Date and datetime expressions against Polars: dt.year/month/day/weekday, shifts by a
timedelta or weft.duration, date - date and datetime - datetime read with dt.total_days();
random dates around the epoch and leap days, with nulls; eager and lazy."""
import datetime as dt

import numpy as np
import polars as pl
import pytest

import weft
from weft import col, lit
from weft.errors import InvalidArgumentError

from expr_compare import SIZES, nulls, same


def frame(rng, n):
    days = rng.integers(-800_000, 800_000, n)  # years ~ -220 .. 4160: before and after 1970
    days[: n // 3] = rng.integers(-1000, 1000, n // 3)
    micros = days * 86_400_000_000 + rng.integers(0, 86_400_000_000, n)
    return pl.DataFrame({
        "d": pl.Series(nulls(rng, days.tolist()), dtype=pl.Int32).cast(pl.Date),
        "e": pl.Series(nulls(rng, (days - rng.integers(-400, 400, n)).tolist()), dtype=pl.Int32).cast(pl.Date),
        "t": pl.Series(nulls(rng, micros.tolist()), dtype=pl.Int64).cast(pl.Datetime("us")),
        "u": pl.Series(nulls(rng, (micros - rng.integers(-10**12, 10**12, n)).tolist()),
                       dtype=pl.Int64).cast(pl.Datetime("us")),
    })


@pytest.mark.parametrize("n", SIZES)
def test_parts(rng, n):
    p = frame(rng, n)
    w, q = [], []
    for c in ("d", "t"):
        for part in ("year", "month", "day", "weekday"):
            w.append(getattr(col(c).dt, part)().alias(f"{c}_{part}"))
            q.append(getattr(pl.col(c).dt, part)().alias(f"{c}_{part}"))
    same(p, w, q, col("d").dt.weekday() >= 6, pl.col("d").dt.weekday() >= 6)


@pytest.mark.parametrize("n", SIZES)
def test_shifts_and_differences(rng, n):
    p = frame(rng, n)
    w = [(col("d") + dt.timedelta(days=3)).alias("d3"), (col("d") - dt.timedelta(days=400)).alias("dm"),
         (col("d") + dt.timedelta(hours=30)).alias("dh"), (col("d") - dt.timedelta(hours=1)).alias("dmh"),
         (col("d") + weft.duration(days=-2, hours=5)).alias("dur"), (dt.timedelta(weeks=1) + col("d")).alias("rev"),
         (col("t") + dt.timedelta(days=1, microseconds=7)).alias("t1"), (col("t") - weft.duration(seconds=90)).alias("t2"),
         (col("d") - col("e")).dt.total_days().alias("dd"), (col("t") - col("u")).dt.total_days().alias("tt"),
         (col("d") - dt.date(1970, 1, 2)).dt.total_days().alias("dl"),
         (col("d") + (col("d") - col("e"))).alias("back")]
    q = [(pl.col("d") + dt.timedelta(days=3)).alias("d3"), (pl.col("d") - dt.timedelta(days=400)).alias("dm"),
         (pl.col("d") + dt.timedelta(hours=30)).alias("dh"), (pl.col("d") - dt.timedelta(hours=1)).alias("dmh"),
         (pl.col("d") + pl.duration(days=-2, hours=5)).alias("dur"), (dt.timedelta(weeks=1) + pl.col("d")).alias("rev"),
         (pl.col("t") + dt.timedelta(days=1, microseconds=7)).alias("t1"), (pl.col("t") - pl.duration(seconds=90)).alias("t2"),
         (pl.col("d") - pl.col("e")).dt.total_days().alias("dd"), (pl.col("t") - pl.col("u")).dt.total_days().alias("tt"),
         (pl.col("d") - dt.date(1970, 1, 2)).dt.total_days().alias("dl"),
         (pl.col("d") + (pl.col("d") - pl.col("e"))).alias("back")]
    same(p, w, q, (col("d") - col("e")).dt.total_days() > 0, (pl.col("d") - pl.col("e")).dt.total_days() > 0)


def test_duration_as_column_is_int64_microseconds(rng):
    p = frame(rng, 50)
    got = weft.from_arrow(p).select((col("d") - col("e")).alias("x")).to_polars()["x"]
    want = p.select((pl.col("d") - pl.col("e")).alias("x"))["x"].cast(pl.Int64)
    assert got.dtype == pl.Int64 and got.to_list() == want.to_list()


def test_tpch_style_filter(rng):
    p = frame(rng, 5000)
    lo = dt.date(1970, 1, 1)
    w = (col("d") >= lit(lo)) & (col("d") < lit(lo) + dt.timedelta(days=365))
    q = (pl.col("d") >= lo) & (pl.col("d") < pl.lit(lo) + dt.timedelta(days=365))
    same(p, [w.alias("m")], [q.alias("m")], w, q)


def test_errors(rng):
    w = weft.from_arrow(frame(rng, 5).with_columns(pl.lit(1).alias("i")))
    with pytest.raises(InvalidArgumentError, match="dt.total_days"):
        w.select(col("i").dt.total_days())
    with pytest.raises(InvalidArgumentError, match="dt.year"):
        w.select(col("i").dt.year())
    with pytest.raises(InvalidArgumentError, match=r"cannot apply \+"):
        w.select(col("d") + col("e"))
    with pytest.raises(InvalidArgumentError, match=r"cannot apply -"):
        w.select(col("d") - col("t"))
    with pytest.raises(InvalidArgumentError, match="duration"):
        weft.duration(days="3")
