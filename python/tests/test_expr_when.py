"""when/then/otherwise, is_in, is_between and the rounding operators (round, floor, ceil, //)
against Polars on random data with nulls and NaN, eager and lazy."""
import datetime as dt
import re

import numpy as np
import polars as pl
import pytest

import weft
from weft import col, lit
from weft.errors import InvalidArgumentError

from expr_compare import SIZES, nulls, same


def frame(rng, n):
    f = rng.normal(0, 10, n).round(2)
    f[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "i": pl.Series(nulls(rng, rng.integers(-20, 20, n).tolist()), dtype=pl.Int64),
        "j": pl.Series(nulls(rng, rng.integers(-5, 5, n).tolist()), dtype=pl.Int32),
        "u": pl.Series(rng.integers(0, 9, n).tolist(), dtype=pl.UInt8),
        "f": pl.Series(nulls(rng, f.tolist()), dtype=pl.Float64),
        "g": pl.Series(nulls(rng, (rng.normal(0, 3, n).round(3)).tolist()), dtype=pl.Float32),
        "s": pl.Series(nulls(rng, [f"s{x}" for x in rng.integers(0, 6, n)]), dtype=pl.String),
        "b": pl.Series(nulls(rng, (rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
        "d": pl.Series(nulls(rng, [dt.date(2020, 1, 1) + dt.timedelta(days=int(x))
                                   for x in rng.integers(0, 60, n)]), dtype=pl.Date),
    })


@pytest.mark.parametrize("n", SIZES)
def test_when_then_otherwise(rng, n):
    p = frame(rng, n)
    w = [
        weft.when(col("i") > 0).then(col("f")).otherwise(col("j")).alias("a"),
        weft.when(col("b")).then(col("s")).otherwise(lit("none")).alias("b2"),
        weft.when(col("i") > 5).then(col("i")).when(col("i") < -5).then(-col("i")).otherwise(0).alias("c"),
        weft.when(col("j") == 0).then(col("g")).alias("no_otherwise"),
        weft.when(col("i") > 0, col("b")).then("s").otherwise("s").alias("two_predicates"),
        weft.when(col("f") > 1).then(col("d")).otherwise(None).alias("dates"),
        weft.when(col("i").is_null()).then(lit(True)).otherwise(col("b")).alias("bools"),
    ]
    q = [
        pl.when(pl.col("i") > 0).then(pl.col("f")).otherwise(pl.col("j")).alias("a"),
        pl.when(pl.col("b")).then(pl.col("s")).otherwise(pl.lit("none")).alias("b2"),
        pl.when(pl.col("i") > 5).then(pl.col("i")).when(pl.col("i") < -5).then(-pl.col("i")).otherwise(0).alias("c"),
        pl.when(pl.col("j") == 0).then(pl.col("g")).alias("no_otherwise"),
        pl.when(pl.col("i") > 0, pl.col("b")).then("s").otherwise("s").alias("two_predicates"),
        pl.when(pl.col("f") > 1).then(pl.col("d")).otherwise(None).alias("dates"),
        pl.when(pl.col("i").is_null()).then(pl.lit(True)).otherwise(pl.col("b")).alias("bools"),
    ]
    same(p, w, q, weft.when(col("i") > 0).then(col("b")).otherwise(col("f") > 0),
         pl.when(pl.col("i") > 0).then(pl.col("b")).otherwise(pl.col("f") > 0))


def test_when_names_and_errors(rng):
    p = frame(rng, 5)
    w = weft.from_arrow(p)
    assert w.select(weft.when(col("i") > 0).then(col("f")).otherwise(col("j"))).columns == ["f"]
    assert w.select(weft.when(col("i") > 0).then(lit(1.5)).otherwise(col("j"))).columns == ["literal"]
    with pytest.raises(InvalidArgumentError, match="when"):
        w.select(weft.when(col("i")).then(col("f")))
    with pytest.raises(InvalidArgumentError, match="when/then/otherwise"):
        w.select(weft.when(col("b")).then(col("s")).otherwise(col("f")))
    with pytest.raises(InvalidArgumentError, match="at least one condition"):
        weft.when()


@pytest.mark.parametrize("n", SIZES)
def test_is_in(rng, n):
    p = frame(rng, n)
    days = [dt.date(2020, 1, 5), dt.date(2020, 2, 1)]
    w = [
        col("i").is_in([1, 2, -3, None]).alias("ints"),
        col("j").is_in((0, 4)).alias("tuple"),
        col("u").is_in(np.array([3, 8, 300])).alias("numpy"),
        col("f").is_in([float("nan"), 1.5, -0.0]).alias("floats"),
        col("g").is_in([0.5, 1.0]).alias("float32"),
        col("s").is_in(["s1", "s3", "nope"]).alias("strs"),
        col("d").is_in(days).alias("dates"),
        col("b").is_in([True]).alias("bools"),
        col("i").is_in([]).alias("empty"),
        col("s").is_in(weft.from_arrow(pl.DataFrame({"x": ["s2", None]}))["x"]).alias("series"),
    ]
    q = [
        pl.col("i").is_in([1, 2, -3, None]).alias("ints"),
        pl.col("j").is_in((0, 4)).alias("tuple"),
        pl.col("u").is_in([3, 8, 300]).alias("numpy"),
        pl.col("f").is_in([float("nan"), 1.5, -0.0]).alias("floats"),
        pl.col("g").is_in([0.5, 1.0]).alias("float32"),
        pl.col("s").is_in(["s1", "s3", "nope"]).alias("strs"),
        pl.col("d").is_in(days).alias("dates"),
        pl.col("b").is_in([True]).alias("bools"),
        pl.col("i").is_in(pl.Series([], dtype=pl.Int64).implode()).alias("empty"),
        pl.col("s").is_in(["s2", None]).alias("series"),
    ]
    same(p, w, q, col("s").is_in(["s1", "s2"]), pl.col("s").is_in(["s1", "s2"]))


def test_is_in_errors(rng):
    w = weft.from_arrow(frame(rng, 5))
    with pytest.raises(InvalidArgumentError, match="is_in"):
        w.select(col("i").is_in([1.5]))  # Polars 2 does not coerce either
    with pytest.raises(InvalidArgumentError, match="is_in"):
        w.select(col("s").is_in([1]))
    with pytest.raises(InvalidArgumentError, match="is_in"):
        col("s").is_in("abc")
    with pytest.raises(InvalidArgumentError, match="is_in"):
        col("s").is_in([1, "a"])


@pytest.mark.parametrize("n", SIZES)
def test_is_between(rng, n):
    p = frame(rng, n)
    w, q = [], []
    for closed in ("both", "left", "right", "none"):
        w += [col("i").is_between(-3, 3, closed=closed).alias(f"i_{closed}"),
              col("f").is_between(col("g"), 5.0, closed=closed).alias(f"f_{closed}"),
              col("d").is_between(dt.date(2020, 1, 10), dt.date(2020, 2, 1), closed=closed).alias(f"d_{closed}")]
        q += [pl.col("i").is_between(-3, 3, closed=closed).alias(f"i_{closed}"),
              pl.col("f").is_between(pl.col("g"), 5.0, closed=closed).alias(f"f_{closed}"),
              pl.col("d").is_between(dt.date(2020, 1, 10), dt.date(2020, 2, 1), closed=closed).alias(f"d_{closed}")]
    same(p, w, q, col("i").is_between(0, 10), pl.col("i").is_between(0, 10))
    with pytest.raises(InvalidArgumentError, match="closed"):
        col("i").is_between(0, 1, closed="both_")


@pytest.mark.parametrize("n", SIZES)
def test_round_floor_ceil_floordiv(rng, n):
    p = frame(rng, n).with_columns(
        pl.Series("h", rng.normal(0, 100, n) * 1.0, dtype=pl.Float64),
        pl.Series("t", (rng.integers(-8, 8, n) / 2).tolist(), dtype=pl.Float64))
    w = [col("f").round(0).alias("r0"), col("h").round(2).alias("r2"), col("t").round().alias("ties"),
         col("g").round(1).alias("r32"), col("i").round(1).alias("rint"),
         col("f").floor().alias("fl"), col("g").ceil().alias("ce"), col("i").floor().alias("ifl"),
         (col("i") // col("j")).alias("div_ii"), (col("i") // 3).alias("div_i3"),
         (col("i") // -4).alias("div_neg"), (col("f") // col("g")).alias("div_ff"),
         (col("f") // 0.0).alias("div_f0"), (col("u") // col("u")).alias("div_uu"),
         (col("j") // 2).alias("div_j"), (7 // col("j")).alias("rdiv")]
    q = [pl.col("f").round(0).alias("r0"), pl.col("h").round(2).alias("r2"), pl.col("t").round().alias("ties"),
         pl.col("g").round(1).alias("r32"), pl.col("i").round(1).alias("rint"),
         pl.col("f").floor().alias("fl"), pl.col("g").ceil().alias("ce"), pl.col("i").floor().alias("ifl"),
         (pl.col("i") // pl.col("j")).alias("div_ii"), (pl.col("i") // 3).alias("div_i3"),
         (pl.col("i") // -4).alias("div_neg"), (pl.col("f") // pl.col("g")).alias("div_ff"),
         (pl.col("f") // 0.0).alias("div_f0"), (pl.col("u") // pl.col("u")).alias("div_uu"),
         (pl.col("j") // 2).alias("div_j"), (7 // pl.col("j")).alias("rdiv")]
    same(p, w, q)


def test_round_errors():
    with pytest.raises(InvalidArgumentError, match="decimals"):
        col("f").round(-1)
    with pytest.raises(InvalidArgumentError, match="mode"):
        col("f").round(1, mode="half_away_from_zero")


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_device_runs_when_round_floordiv_and_dates(device, rng):
    """The device bytecode's when/then/otherwise, floor/ceil/round, //, dt.* and date
    shifts give the CPU's values, null slots and Polars' results."""
    from device_skip import require

    require(device)
    p = frame(rng, 5000).with_columns(
        pl.Series("t", (rng.integers(-8, 8, 5000) / 2).tolist(), dtype=pl.Float64),
        pl.Series("ts", rng.integers(-10**15, 10**15, 5000), dtype=pl.Int64).cast(pl.Datetime("us")))
    df = weft.from_arrow(p)
    w = [weft.when(col("i") > 0).then(col("f")).when(col("b")).then(col("j")).otherwise(col("g")).alias("when"),
         weft.when(col("b")).then(col("d")).alias("when_date"),
         col("f").round(1).alias("r1"), col("t").round().alias("ties"), col("g").round(2).alias("r32"),
         col("f").floor().alias("fl"), col("g").ceil().alias("ce"), col("i").floor().alias("ifl"),
         (col("i") // col("j")).alias("div_ii"), (col("f") // col("t")).alias("div_ff"),
         (col("u") // 2).alias("div_u"), (col("j") // -3).alias("div_j"),
         col("d").dt.year().alias("y"), col("d").dt.month().alias("m"), col("ts").dt.day().alias("day"),
         col("ts").dt.weekday().alias("wd"), (col("d") + dt.timedelta(hours=-30)).alias("shift"),
         (col("d") - dt.date(2020, 1, 1)).dt.total_days().alias("days"),
         col("i").is_between(-3, 3).alias("between")]
    q = [pl.when(pl.col("i") > 0).then(pl.col("f")).when(pl.col("b")).then(pl.col("j")).otherwise(pl.col("g")).alias("when"),
         pl.when(pl.col("b")).then(pl.col("d")).alias("when_date"),
         pl.col("f").round(1).alias("r1"), pl.col("t").round().alias("ties"), pl.col("g").round(2).alias("r32"),
         pl.col("f").floor().alias("fl"), pl.col("g").ceil().alias("ce"), pl.col("i").floor().alias("ifl"),
         (pl.col("i") // pl.col("j")).alias("div_ii"), (pl.col("f") // pl.col("t")).alias("div_ff"),
         (pl.col("u") // 2).alias("div_u"), (pl.col("j") // -3).alias("div_j"),
         pl.col("d").dt.year().alias("y"), pl.col("d").dt.month().alias("m"), pl.col("ts").dt.day().alias("day"),
         pl.col("ts").dt.weekday().alias("wd"), (pl.col("d") + dt.timedelta(hours=-30)).alias("shift"),
         (pl.col("d") - dt.date(2020, 1, 1)).dt.total_days().alias("days"),
         pl.col("i").is_between(-3, 3).alias("between")]
    for a, b in zip(w, q):
        got = df.select(a, device=device, strict=True)
        assert str(weft.last_device()) == device, weft.last_report()
        cpu = df.select(a, device="cpu")
        assert got.to_polars().equals(cpu.to_polars()), a
        assert got.to_polars().equals(p.select(b)), a
    cond = weft.when(col("d").dt.month() == 1).then(col("f") // 2 > 0).otherwise(col("b"))
    pcond = pl.when(pl.col("d").dt.month() == 1).then(pl.col("f") // 2 > 0).otherwise(pl.col("b"))
    assert df.filter(cond, device=device, strict=True).to_polars().equals(p.filter(pcond))


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_new_operators_fall_back_to_the_cpu_with_the_reason(device, rng):
    from device_skip import require

    require(device)
    p = frame(rng, 300)
    df = weft.from_arrow(p)
    cases = [
        (col("i").is_in([1, 2]), "is_in"),
        (col("g") // col("g"), "floor division (//) of float32"),
        (col("s").str.ends_with("1"), "string operation"),
        (weft.when(col("s").str.ends_with("1")).then(col("i")), "string operation"),
    ]
    for e, reason in cases:
        with pytest.raises(weft.UnsupportedError, match=re.escape(reason)):
            df.select(e, device=device, strict=True)
        got = df.select(e, device=device)
        assert f"fell back to cpu: {reason}" in weft.last_report(), weft.last_report()
        assert got.to_polars().equals(df.select(e, device="cpu").to_polars())
