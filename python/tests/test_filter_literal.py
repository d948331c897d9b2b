"""Filters that are conjunctions of `column <cmp> constant` run from the columns' own types
(host/frame/select/filter_literal.c), not through the expression interpreter. Checked three
ways on random tables with nulls, NaN, extreme values and sizes that cross the 4,096-row
chunks: against Polars, and against weft's interpreter on the same predicate made
unplannable (`| lit(False)` turns the conjunction into an OR)."""

import datetime
import decimal
import operator

import numpy as np
import polars as pl
import pytest

import weft
from weft import col, lit

D = decimal.Decimal
OPS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]
SIZES = [0, 1, 9, 4097, 10_003]


def table(n, seed):
    rng = np.random.default_rng(seed)

    def nulls(values, rate=0.15):
        mask = rng.random(n) < rate
        return [None if m else v for v, m in zip(values, mask)]

    i64 = rng.integers(-5, 6, n).astype(np.int64)
    i64[rng.random(n) < 0.05] = np.iinfo(np.int64).max
    i64[rng.random(n) < 0.05] = np.iinfo(np.int64).min
    f64 = rng.normal(0, 3, n)
    f64[rng.random(n) < 0.1] = np.nan
    f64[rng.random(n) < 0.05] = np.inf
    f32 = rng.normal(0, 3, n).astype(np.float32)
    f32[rng.random(n) < 0.1] = np.nan
    dec = [D(int(v)).scaleb(-2) for v in rng.integers(-999, 1000, n)]
    days = rng.integers(9000, 9100, n)
    # wider than int64 in some rows: the 128-bit comparison, not the low words
    wide = [D(int(v) * (10 ** 20 if b else 1)).scaleb(-2)
            for v, b in zip(rng.integers(-999, 1000, n), rng.random(n) < 0.1)]
    return pl.DataFrame({
        "i8": pl.Series(nulls(rng.integers(-128, 128, n).tolist()), dtype=pl.Int8),
        "i32": pl.Series(nulls(rng.integers(-50, 50, n).tolist()), dtype=pl.Int32),
        "i64": pl.Series(nulls(i64.tolist()), dtype=pl.Int64),
        "u16": pl.Series(nulls(rng.integers(0, 100, n).tolist()), dtype=pl.UInt16),
        "f32": pl.Series(nulls(f32.tolist()), dtype=pl.Float32),
        "f64": pl.Series(nulls(f64.tolist()), dtype=pl.Float64),
        "dec": pl.Series(nulls(dec), dtype=pl.Decimal(15, 2)),
        "dec38": pl.Series(nulls(wide), dtype=pl.Decimal(38, 2)),
        "day": pl.Series(nulls([datetime.date(1970, 1, 1) + datetime.timedelta(days=int(d))
                                for d in days]), dtype=pl.Date),
        "day2": pl.Series(nulls([datetime.date(1970, 1, 1) + datetime.timedelta(days=int(d))
                                 for d in rng.integers(9000, 9100, n)]), dtype=pl.Date),
        "s": pl.Series(nulls([WORDS[int(k)] for k in rng.integers(0, len(WORDS), n)]), dtype=pl.Utf8),
    })


WORDS = ["MAIL", "SHIP", "AIR", "AIR REG", "", "MAILS", "MAI", "TRUCK", "é", "RAIL"]
# string terms: a set (is_in, short and past the 16 a scan takes) or one string (==, !=)
STRING_TERMS = [["MAIL", "SHIP"], ["AIR REG"], [], ["", "é"], WORDS + [f"w{i}" for i in range(20)],
                "MAIL", "", "nothing", None]
# two columns compared: ints of different widths, dates, floats with NaN
PAIRS = [("i32", "i8"), ("day", "day2"), ("f64", "f32"), ("u16", "i64")]


# constants each column is compared with: ints, floats (NaN, inf, between integers and
# exactly on them), decimals of other scales, dates, and bounds past the column's type
CONSTANTS = {
    "i8": [0, 3, -128, 127, 300, -300, 2.5, -0.5, float("nan"), float("inf")],
    "i32": [0, 7, -50, 49, 2.5, 1e10, float("nan")],
    "i64": [0, -5, 5, np.iinfo(np.int64).max, np.iinfo(np.int64).min, 2.5, 9.3e18, float("nan")],
    "u16": [0, 50, 99, -1, 70000, 50.5],
    "f32": [0, 1.5, -2, 0.1, float("nan"), float("inf"), float("-inf")],
    "f64": [0, 1.5, -2, 0.1, float("nan"), float("inf"), float("-inf")],
    "dec": [0, 1, -3, 0.05, 0.07, 2.675, float("nan"), D("0.055"), D("1.5"), D("-9.99")],
    "dec38": [0, 5, -5.5, D(10 ** 20), D("-3.00"), 1e22, float("inf")],
    "day": [datetime.date(1994, 9, 1), datetime.date(1994, 10, 15), datetime.date(2000, 1, 1)],
}


def literal(value, for_polars):
    if isinstance(value, D):  # a decimal literal of its own scale
        scale = -value.as_tuple().exponent
        dtype = pl.Decimal(38, scale)
        return pl.lit(value, dtype=dtype) if for_polars else lit(value).cast(f"decimal(38,{scale})")
    return pl.lit(value) if for_polars else lit(value)


def term(c, lit_, name, op, value, for_polars):
    if name == "pair":
        return op(c(value[0]), c(value[1]))
    if name == "s" and isinstance(value, list):
        return c("s").is_in(value)
    if name == "s":
        if value is None:
            return op(c("s"), lit_(None).cast(pl.Utf8 if for_polars else "utf8"))
        return (c("s") == value) if op in (operator.eq, operator.le) else (c("s") != value)
    return op(c(name), literal(value, for_polars))


def polars_rows(pdf, terms):
    pred = None
    for name, op, value in terms:
        t = term(pl.col, pl.lit, name, op, value, True)
        pred = t if pred is None else pred & t
    return pdf.with_row_index("_r").filter(pred)["_r"].to_list()


def weft_rows(df, terms, planned):
    pred = None
    for name, op, value in terms:
        t = term(col, lit, name, op, value, False)
        pred = t if pred is None else pred & t
    if not planned:
        pred = pred | lit(False)
    return df.with_row_index("_r").filter(pred)["_r"].to_list()


@pytest.mark.parametrize("n", SIZES)
def test_each_column_against_each_constant(n):
    pdf = table(n, seed=n)
    df = weft.DataFrame(pdf)
    for name, values in CONSTANTS.items():
        for value in values:
            for op in OPS:
                terms = [(name, op, value)]
                want = weft_rows(df, terms, planned=False)
                got = weft_rows(df, terms, planned=True)
                assert got == want, (name, op.__name__, value)
                if not (isinstance(value, float) and np.isnan(value) and name.startswith("dec")):
                    assert got == polars_rows(pdf, terms), (name, op.__name__, value)


def random_terms(rng, k):
    """k random terms: a column against a constant, a string test or two columns compared."""
    names = list(CONSTANTS) + ["s", "pair"]
    out = []
    for _ in range(k):
        name = names[int(rng.integers(len(names)))]
        values = {"s": STRING_TERMS, "pair": PAIRS}.get(name, CONSTANTS.get(name))
        out.append((name, OPS[int(rng.integers(len(OPS)))], values[int(rng.integers(len(values)))]))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_random_conjunctions(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.choice(SIZES[1:]))
    pdf = table(n, seed)
    df = weft.DataFrame(pdf)
    for _ in range(40):
        terms = random_terms(rng, int(rng.integers(1, 5)))
        want = weft_rows(df, terms, planned=False)
        assert weft_rows(df, terms, planned=True) == want, terms
        assert want == polars_rows(pdf, terms), terms


@pytest.mark.parametrize("n", SIZES)
def test_strings_and_column_pairs(n):
    pdf = table(n, seed=n + 1)
    df = weft.DataFrame(pdf)
    cases = [("s", operator.eq, v) for v in STRING_TERMS] + [("s", operator.ne, v) for v in STRING_TERMS]
    cases += [("pair", op, pair) for pair in PAIRS for op in OPS]
    for name, op, value in cases:
        terms = [(name, op, value), ("i32", operator.gt, -40)]
        want = weft_rows(df, terms, planned=False)
        assert weft_rows(df, terms, planned=True) == want, terms
        assert want == polars_rows(pdf, terms), terms


def conj(c, lit_, terms, for_polars):
    pred = None
    for name, op, value in terms:
        t = term(c, lit_, name, op, value, for_polars)
        pred = t if pred is None else pred & t
    return pred


@pytest.mark.parametrize("seed", range(4))
def test_or_of_conjunctions(seed):
    """Q19's shape: top terms AND an OR of conjunctions (nested ORs flattened)."""
    rng = np.random.default_rng(200 + seed)
    n = int(rng.choice(SIZES[1:]))
    pdf = table(n, seed)
    df = weft.DataFrame(pdf)
    for _ in range(20):
        top = random_terms(rng, int(rng.integers(0, 3)))
        ors = [random_terms(rng, int(rng.integers(1, 4))) for _ in range(int(rng.integers(2, 4)))]

        def build(c, lit_, for_polars):
            disj = None
            for d in ors:
                x = conj(c, lit_, d, for_polars)
                disj = x if disj is None else (disj | x)
            return disj if not top else conj(c, lit_, top, for_polars) & disj

        pred = build(col, lit, False)
        got = df.with_row_index("_r").filter(pred)["_r"].to_list()
        want = df.with_row_index("_r").filter(pred | lit(False))["_r"].to_list()
        assert got == want, (top, ors)
        ppred = build(pl.col, pl.lit, True)
        assert got == pdf.with_row_index("_r").filter(ppred)["_r"].to_list(), (top, ors)


def test_between_and_reversed_operands_and_null_constant():
    pdf = table(5000, 7)
    df = weft.DataFrame(pdf)
    got = df.filter(col("dec").is_between(0.05, 0.07) & (lit(3) > col("i32")))
    want = pdf.filter(pl.col("dec").is_between(0.05, 0.07) & (pl.lit(3) > pl.col("i32")))
    assert got.to_polars().equals(want)
    assert df.filter(col("i32") < lit(None).cast("int32")).height == 0
    sliced = df.slice(1234, 2000)  # a column view with an offset
    got = sliced.filter((col("day") >= datetime.date(1994, 10, 1)) & (col("f64") < 1.0))
    want = pdf.slice(1234, 2000).filter((pl.col("day") >= datetime.date(1994, 10, 1)) & (pl.col("f64") < 1.0))
    assert got.to_polars().equals(want)


@pytest.mark.parametrize("seed", range(3))
def test_fused_filter_and_aggregate_takes_the_same_plan(seed):
    """A lazy filter under a group_by runs fused (frame/fused/masked_agg.c), where the planned
    predicate replaces the conjunct loop: same groups and sums as the interpreter's."""
    rng = np.random.default_rng(300 + seed)
    # past one range of the fused pass (65,536 rows): partials merge across ranges
    n = 140_001 if seed == 0 else 10_003
    pdf = table(n, seed).with_columns((pl.col("i32").fill_null(0) % 3).alias("k"))
    df = weft.DataFrame(pdf)
    for _ in range(15):
        terms = random_terms(rng, int(rng.integers(1, 4)))
        pred = conj(col, lit, terms, False)

        aggs = [col("f64").sum().alias("s"), col("i64").count().alias("c"),
                col("dec").sum().alias("ds"), col("dec").mean().alias("dm"),
                col("dec38").min().alias("dmin"), col("dec38").max().alias("dmax"),
                (col("dec") * col("dec")).sum().alias("dsq"), col("dec").count().alias("dc")]

        def run(p):
            return df.lazy().filter(p).group_by("k").agg(*aggs).sort("k").collect().to_polars()

        got, want = run(pred), run(pred | lit(False))
        assert got.equals(want), terms
        # eager: filter, then group_by (not fused; agg_decimal.c for the decimals)
        eager = df.filter(pred).group_by("k").agg(*aggs).sort("k").to_polars()
        assert got.equals(eager), terms
        ref = (pdf.filter(conj(pl.col, pl.lit, terms, True)).group_by("k")
               .agg(pl.col("i64").count().alias("c")).sort("k"))
        assert got.select("k", "c").cast({"c": pl.Int64}).equals(ref.cast({"c": pl.Int64})), terms


def test_fused_decimal_sum_overflow_names_the_column():
    big = D("9" * 36 + ".00")
    pdf = pl.DataFrame({"k": [1, 1, 1, 2], "x": [1, 2, 3, 4],
                        "big": pl.Series([big, big, big, D("1")], dtype=pl.Decimal(38, 2))})
    lf = weft.DataFrame(pdf).lazy().filter(col("x") > 0).group_by("k").agg(col("big").sum())
    with pytest.raises(weft.InvalidArgumentError, match=r'sum of "big" overflows decimal\[38,2\]'):
        lf.collect()
    ok = weft.DataFrame(pdf).lazy().filter(col("x") > 3).group_by("k").agg(col("big").sum()).collect()
    assert ok["big"].to_list() == [D("1.00")]


def test_fused_decimal_expression_never_sees_a_dropped_row():
    """The fused pass evaluates a decimal aggregation's expression on the kept rows only: a
    product that would overflow on a row the filter drops is no error (the unfused plan
    never computes it either)."""
    big = D("9" * 34 + ".00")
    n = 9000
    pdf = pl.DataFrame({"k": [i % 3 for i in range(n)], "x": list(range(n)),
                        "v": pl.Series([big if i == 4500 else D(i).scaleb(-2) for i in range(n)],
                                       dtype=pl.Decimal(38, 2))})
    df = weft.DataFrame(pdf)
    agg = [(col("v") * 1000).sum().alias("s"), col("v").max().alias("m")]
    got = df.lazy().filter(col("x") != 4500).group_by("k").agg(*agg).sort("k").collect()
    assert "fused" in weft.last_report()
    want = df.filter(col("x") != 4500).group_by("k").agg(*agg).sort("k")
    assert got.to_polars().equals(want.to_polars())
    with pytest.raises(weft.InvalidArgumentError, match="overflow"):
        df.lazy().filter(col("x") >= 0).group_by("k").agg(*agg).collect()
