"""The fused filter + aggregate's hot loop (host/frame/fused/masked_hot.c): every conjunct a column
without nulls compared with a number, every aggregation len or a float sum / mean (of a
column, of a product of two columns, or of another expression). Against Polars on the same
data, for every operator and column type, with NaN, infinities and -0.0 in the values,
constants outside int32's range, and sizes around the 4096-row chunk and 65,536-row range."""

import datetime

import numpy as np
import polars as pl
import polars.testing as plt
import pytest

import weft
from weft import col

OPS = ["==", "!=", "<", "<=", ">", ">="]


def _cmp(c, op, q):
    return {"==": c == q, "!=": c != q, "<": c < q, "<=": c <= q, ">": c > q, ">=": c >= q}[op]


def _frame(rng, n):
    f = np.round(rng.normal(size=n), 1)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 0.5])
    pick = rng.random(n) < 0.05
    f[pick] = rng.choice(specials, pick.sum())
    return pl.DataFrame({
        "f": f,
        "x": rng.normal(size=n),
        "y": rng.normal(size=n),
        "i64": rng.integers(-5, 5, n),
        "i32": pl.Series(rng.integers(-5, 5, n), dtype=pl.Int32),
        "d": pl.Series(rng.integers(0, 10, n), dtype=pl.Int32).cast(pl.Date),
        "ts": pl.Series(rng.integers(0, 10, n), dtype=pl.Int64).cast(pl.Datetime("us")),
    })


def _run(df, pred_w, pred_p):
    lf = weft.from_arrow(df).lazy().filter(pred_w).select(
        weft.len().alias("n"), col("x").sum().alias("xs"), col("x").mean().alias("xm"),
        (col("x") * col("y")).sum().alias("xy"), (col("x") + col("y")).sum().alias("xpy"))
    assert lf.explain().startswith("filter + aggregate (fused)"), lf.explain()
    want = df.lazy().filter(pred_p).select(
        pl.len().alias("n"), pl.col("x").sum().alias("xs"), pl.col("x").mean().alias("xm"),
        (pl.col("x") * pl.col("y")).sum().alias("xy"), (pl.col("x") + pl.col("y")).sum().alias("xpy")).collect()
    plt.assert_frame_equal(lf.collect().to_polars(), want, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 4095, 4097, 70_001])
@pytest.mark.parametrize("op", OPS)
def test_float_column_with_nan_and_infinities(rng, n, op):
    df = _frame(rng, n)
    for q in (0.5, 0.0, -np.inf, np.inf):
        _run(df, _cmp(col("f"), op, q), _cmp(pl.col("f"), op, q))


@pytest.mark.parametrize("op", OPS)
def test_integer_date_and_timestamp_columns(rng, op):
    df = _frame(rng, 9000)
    for c, q, pq in (("i64", 1, 1), ("i32", -2, -2), ("i32", 2**40, 2**40), ("i32", -(2**40), -(2**40)),
                     ("d", datetime.date(1970, 1, 5), datetime.date(1970, 1, 5)),
                     ("ts", datetime.datetime(1970, 1, 1, 0, 0, 0, 4), datetime.datetime(1970, 1, 1, 0, 0, 0, 4))):
        _run(df, _cmp(col(c), op, q), _cmp(pl.col(c), op, pq))


def test_several_conjuncts_as_tpch_q6(rng):
    df = _frame(rng, 70_001)
    _run(df, (col("d") >= datetime.date(1970, 1, 3)) & (col("d") < datetime.date(1970, 1, 8))
         & (col("f") >= -0.5) & (col("f") <= 0.5) & (col("i64") < 3),
         (pl.col("d") >= datetime.date(1970, 1, 3)) & (pl.col("d") < datetime.date(1970, 1, 8))
         & (pl.col("f") >= -0.5) & (pl.col("f") <= 0.5) & (pl.col("i64") < 3))


@pytest.mark.parametrize("lower", [">", ">="])
@pytest.mark.parametrize("upper", ["<", "<="])
def test_ranges_on_one_column_in_one_pass(rng, lower, upper):
    """Two bounds on one column, in either order, run as one range compare: every bound
    kind, every column type, bounds at values the column holds (NaN, -0.0 in the floats);
    two lower bounds on one column are not a range and still AND."""
    df = _frame(rng, 9001)
    cases = [("f", -0.5, 0.5, -0.5, 0.5), ("f", -np.inf, 0.0, -np.inf, 0.0), ("i64", -2, 2, -2, 2),
             ("i32", -(2**40), 1, -(2**40), 1),
             ("d", datetime.date(1970, 1, 3), datetime.date(1970, 1, 8),
              datetime.date(1970, 1, 3), datetime.date(1970, 1, 8)),
             ("ts", datetime.datetime(1970, 1, 1, 0, 0, 0, 2), datetime.datetime(1970, 1, 1, 0, 0, 0, 7),
              datetime.datetime(1970, 1, 1, 0, 0, 0, 2), datetime.datetime(1970, 1, 1, 0, 0, 0, 7))]
    for c, lo, hi, plo, phi in cases:
        w_lo, w_hi = _cmp(col(c), lower, lo), _cmp(col(c), upper, hi)
        p_lo, p_hi = _cmp(pl.col(c), lower, plo), _cmp(pl.col(c), upper, phi)
        _run(df, w_lo & w_hi, p_lo & p_hi)
        _run(df, w_hi & w_lo & (col("x") > -1.0), p_hi & p_lo & (pl.col("x") > -1.0))
        _run(df, (col("x") < 1.0) & w_lo & _cmp(col(c), lower, hi), (pl.col("x") < 1.0) & p_lo & _cmp(pl.col(c), lower, phi))


def test_same_bits_as_the_general_pass(rng):
    """A null in a compared column sends the pass off the hot loop; over the rows where it
    is not null the two loops must give the same bits (both add in the same 8 lanes)."""
    n = 70_001
    df = _frame(rng, n)
    with_null = df.with_columns(pl.when(pl.int_range(n) == 0).then(None).otherwise(pl.col("i64")).alias("i64"))
    pred = (col("i64") > -3) & (col("f") < 1.0)
    hot = weft.from_arrow(df.with_columns(pl.when(pl.int_range(n) == 0).then(-9).otherwise(pl.col("i64")).alias("i64")))
    cold = weft.from_arrow(with_null)
    out = [t.lazy().filter(pred).select(col("x").sum().alias("s"), (col("x") * col("y")).sum().alias("p")).collect().to_polars()
           for t in (hot, cold)]
    plt.assert_frame_equal(out[0], out[1], check_exact=True)


def test_few_groups_vector_sums_same_bits_as_the_scalar_loop(rng):
    """The keyed pass adds the float sums of up to 4 groups in vector registers (AVX2), of
    more groups in a scalar loop; both add each lane's rows in the same order. Moving the
    first row of every 65,536-row range (its value 0.0, which changes no sum) into a fifth
    group sends those ranges to the scalar loop: the four groups' sums must keep their bits."""
    n = 200_003
    k = rng.choice(np.array(["A", "N", "R", "F"]), n)
    x = rng.normal(size=n) * 1e3
    y = rng.normal(size=n)
    firsts = np.arange(0, n, 65536)
    x[firsts] = 0.0
    five = k.copy()
    five[firsts] = "Z"
    out = []
    for keys in (k, five):
        df = weft.DataFrame({"k": keys, "x": x, "y": y})
        lf = (df.lazy().filter(col("y") > -0.5).group_by("k")
              .agg(col("x").sum().alias("s"), (col("x") * (1 - col("y"))).sum().alias("p"))
              .sort("k"))
        got = lf.collect().to_polars()
        assert "filter + aggregate (fused)" in weft.last_report(), weft.last_report()
        out.append(got.filter(pl.col("k") != "Z"))
    plt.assert_frame_equal(out[0], out[1], check_exact=True)
    want = (pl.DataFrame({"k": k, "x": x, "y": y}).filter(pl.col("y") > -0.5).group_by("k")
            .agg(pl.col("x").sum().alias("s"), (pl.col("x") * (1 - pl.col("y"))).sum().alias("p"))
            .sort("k"))
    plt.assert_frame_equal(out[0], want, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize("op", OPS)
def test_one_compare_one_sum_in_one_loop_same_bits(rng, op):
    """filter_sum's shape (one compare on a float64 column, one float sum) runs in a single
    loop with the mask in registers; it must give the general pass's bits. A null in the
    compared column sends the pass off the hot loops; row 0 holds 0.0 in what is summed,
    so whether it is kept changes no sum."""
    n = 70_001
    df = _frame(rng, n).with_columns(pl.when(pl.int_range(n) == 0).then(0.0).otherwise(pl.col("x")).alias("x"),
                                     pl.when(pl.int_range(n) == 0).then(0.0).otherwise(pl.col("f")).alias("f"))
    cold = weft.from_arrow(df.with_columns(pl.when(pl.int_range(n) == 0).then(None).otherwise(pl.col("f")).alias("f")))
    hot = weft.from_arrow(df)
    for q in (0.5, 0.0, -np.inf, np.inf):
        for summed in ("x", "f"):
            out = [t.lazy().filter(_cmp(col("f"), op, q)).select(col(summed).sum().alias("s")).collect().to_polars()
                   for t in (hot, cold)]
            plt.assert_frame_equal(out[0], out[1], check_exact=True)
    _run(df, _cmp(col("f"), op, 0.5), _cmp(pl.col("f"), op, 0.5))


@pytest.mark.parametrize("summed", ["x", "x*y"])
def test_one_sum_after_several_conjuncts_same_bits(rng, summed):
    """One float sum after several conjuncts (ranges on int64, date32, timestamp and float64
    columns, single compares): the loop with the mask in registers against the general
    pass (a null in i64 at row 0 sends it there; hot, row 0 fails the predicate)."""
    n = 70_001
    df = _frame(rng, n)
    hot = weft.from_arrow(df.with_columns(pl.when(pl.int_range(n) == 0).then(-9).otherwise(pl.col("i64")).alias("i64")))
    cold = weft.from_arrow(df.with_columns(pl.when(pl.int_range(n) == 0).then(None).otherwise(pl.col("i64")).alias("i64")))
    expr = col("x") * col("y") if summed == "x*y" else col("x")
    preds = [
        (col("i64") >= -3) & (col("i64") < 4) & (col("f") > -1.0),
        (col("d") >= datetime.date(1970, 1, 2)) & (col("i64") > -4) & (col("d") < datetime.date(1970, 1, 8))
        & (col("f") <= 0.7) & (col("f") > -0.7) & (col("i32") != 2),
        (col("i64") != -9) & (col("ts") > datetime.datetime(1970, 1, 1, 0, 0, 0, 1))
        & (col("ts") <= datetime.datetime(1970, 1, 1, 0, 0, 0, 8)) & (col("y") >= 0.0),
    ]
    for pred in preds:
        out = [t.lazy().filter(pred).select(expr.sum().alias("s"), weft.len().alias("n")).collect().to_polars()
               for t in (hot, cold)]
        plt.assert_frame_equal(out[0], out[1], check_exact=True)


@pytest.mark.parametrize("n", [0, 1, 4097, 70_001])
@pytest.mark.parametrize("keep", [0.01, 0.5])
@pytest.mark.parametrize("keyed", [False, True])
def test_count_of_columns_with_nulls_counts_kept_valid_rows(rng, n, keep, keyed):
    # count(column) in the fused pass reads only the validity bits (no value loaded): every
    # type, nulls, sparse (1%) and dense (50%) filters, with and without group keys, aliases
    import pyarrow as pa
    import decimal
    nulls = rng.random(n) < 0.3
    t = pa.table({
        "p": rng.random(n),
        "g": rng.integers(0, 5, n),
        "i": pa.array(rng.integers(-9, 9, n), mask=nulls),
        "f": pa.array(rng.normal(size=n), mask=rng.random(n) < 0.1),
        "s": pa.array([None if b else f"v{v}" for b, v in zip(nulls[::-1], range(n))], pa.string()),
        "dec": pa.array([None if b else decimal.Decimal(int(v)) / 100 for b, v in
                         zip(rng.random(n) < 0.2, rng.integers(-10**6, 10**6, n))], pa.decimal128(15, 2)),
    })
    aggs_w = [col(c).count().alias(f"c_{c}") for c in ("i", "f", "s", "dec")] + [
        col("i").alias("ii").count().alias("c_alias"), weft.len().alias("n"), col("f").sum().alias("fs")]
    aggs_p = [pl.col(c).count().alias(f"c_{c}") for c in ("i", "f", "s", "dec")] + [
        pl.col("i").alias("ii").count().alias("c_alias"), pl.len().alias("n"), pl.col("f").sum().alias("fs")]
    lf = weft.from_arrow(t).lazy().filter(col("p") < keep)
    lp = pl.from_arrow(t).lazy().filter(pl.col("p") < keep)
    if keyed:
        got = lf.group_by("g").agg(*aggs_w).sort("g").collect().to_polars()
        want = lp.group_by("g").agg(*aggs_p).sort("g").collect()
    else:
        got = lf.select(*aggs_w).collect().to_polars()
        want = lp.select(*aggs_p).collect()
    assert "fused" in weft.last_report() or n == 0, weft.last_report()  # 0 rows: not fused
    plt.assert_frame_equal(got, want, check_dtypes=False, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
