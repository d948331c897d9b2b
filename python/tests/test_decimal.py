"""decimal128(precision, scale) columns against Polars (and pyarrow): import and export,
arithmetic and comparisons with Polars' result types and rounding, casts, fill_null,
aggregations, keys of sort / group_by / join, overflow errors, on random data with nulls,
negative values, empty frames, one row and sizes that cross the evaluator's chunks."""

import decimal
import os

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weft
from device_skip import require
from weft import col, lit

D = decimal.Decimal
SIZES = [0, 1, 7, 4099, 9001]


def decimals(rng, n, precision, scale, null_rate=0.2, digits=None):
    """Random decimal.Decimal values (None for nulls) that fit decimal(precision, scale)."""
    digits = precision if digits is None else digits
    top = 10 ** min(digits, 18) - 1
    ints = rng.integers(-top, top, n, endpoint=True)
    if digits > 18:  # wider than int64: a high part too
        ints = [int(x) * 10 ** (digits - 18) + int(y) for x, y in
                zip(ints, rng.integers(0, 10 ** (digits - 18), n))]
    out = [D(int(v)).scaleb(-scale) for v in ints]
    for i in np.flatnonzero(rng.random(n) < null_rate).tolist():
        out[i] = None
    return out


def frame(n, seed=0):
    rng = np.random.default_rng(seed + n)
    disc = [None if x is None else abs(x) for x in decimals(rng, n, 3, 2, 0.1, digits=2)]
    data = {
        "k": pl.Series(rng.integers(0, 4, n)),
        "a": pl.Series(decimals(rng, n, 15, 2), dtype=pl.Decimal(15, 2)),
        "b": pl.Series(disc, dtype=pl.Decimal(15, 2)),
        "c": pl.Series(decimals(rng, n, 10, 4), dtype=pl.Decimal(10, 4)),
        "i": pl.Series(rng.integers(-1000, 1000, n)),
        "i32": pl.Series(rng.integers(0, 10000, n), dtype=pl.Int32),
        "f": pl.Series([None if m else float(x) for m, x in
                        zip(rng.random(n) < 0.1, np.round(rng.normal(0, 50, n), 2))],
                       dtype=pl.Float64),
    }
    return pl.DataFrame(data)


def same(got, want, approx=()):
    """Frames equal in names, dtypes and values (columns in `approx`: floats to 1e-12)."""
    got = got.to_polars() if hasattr(got, "to_polars") else got
    assert got.columns == want.columns
    assert got.schema == want.schema, (got.schema, want.schema)
    for name in want.columns:
        g, w = got[name].to_list(), want[name].to_list()
        if name in approx:
            assert len(g) == len(w)
            for x, y in zip(g, w):
                assert (x is None) == (y is None) and (x is None or abs(x - y) <= 1e-12 * max(1.0, abs(y))), (name, x, y)
        else:
            assert g == w, (name, [(i, x, y) for i, (x, y) in enumerate(zip(g, w)) if x != y][:5])


# ---------------------------------------------------------------------------- in and out


@pytest.mark.parametrize("n", SIZES)
def test_roundtrip_polars_arrow_parquet(n, tmp_path):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    assert df.dtypes[1:4] == ["decimal[15,2]", "decimal[15,2]", "decimal[10,4]"]
    same(df, pdf)
    table = df.to_arrow()
    assert table.schema.field("a").type == pa.decimal128(15, 2)
    assert table.column("c").to_pylist() == pdf["c"].to_list()
    path = str(tmp_path / "d.parquet")
    df.write_parquet(path)
    assert pq.read_schema(path).field("c").type == pa.decimal128(10, 4)
    back = weft.read_parquet(path)
    same(back, pdf)
    assert df["a"].to_list() == pdf["a"].to_list()
    assert all(isinstance(x, D) for x in df["c"].to_list() if x is not None)
    if n > 3:
        same(df.slice(2, n - 3), pdf.slice(2, n - 3))


def test_arrow_import_is_zero_copy_and_checks_format():
    arr = pa.array([D("1.50"), None, D("-2.25")], pa.decimal128(7, 2))
    df = weft.from_arrow(pa.table({"x": arr}))
    address = arr.buffers()[1].address
    view = df["x"].to_numpy()
    assert view.tolist() == [D("1.50"), None, D("-2.25")]
    assert df.to_arrow().column("x").chunk(0).buffers()[1].address == address
    with pytest.raises(weft.UnsupportedError, match="decimal256"):
        weft.from_arrow(pa.table({"y": pa.array([D("1")], pa.decimal256(40, 0))}))


def test_python_decimals_build_a_column_like_polars():
    items = [D("1.5"), None, D("-2.25"), D("1E+3"), D("-0")]
    same(weft.DataFrame({"x": items}), pl.DataFrame({"x": items}))
    with pytest.raises(weft.InvalidArgumentError, match="'x'.*NaN"):
        weft.DataFrame({"x": [D("NaN")]})


def test_series_repr_numpy_and_equality():
    df = weft.DataFrame(pl.DataFrame({"x": pl.Series([D("1.25"), None], dtype=pl.Decimal(15, 2))}))
    assert df["x"].dtype == "decimal[15,2]"
    assert "1.25" in repr(df["x"]) and "decimal[15,2]" in repr(df)
    assert df["x"].to_numpy().tolist() == [D("1.25"), None]
    assert df.equals(df.slice(0, 2))


# ---------------------------------------------------------------------------- expressions


ARITH = {
    "prod": lambda c: c("a") * c("b"),
    "disc_price": lambda c: c("a") * (1 - c("b")),
    "charge": lambda c: c("a") * (1 - c("b")) * (1 + c("b")),
    "mixed_add": lambda c: c("a") + c("c"),
    "mixed_sub": lambda c: c("c") - c("a"),
    "mixed_mul": lambda c: c("a") * c("c"),
    "int_lit": lambda c: c("a") * 3,
    "int_lit_left": lambda c: 7 - c("c"),
    "int_col": lambda c: c("a") + c("i"),
    "int32_col": lambda c: c("i32") * c("a"),
    "float_lit": lambda c: c("a") + 0.5,
    "float_col": lambda c: c("a") * c("f"),
    "neg": lambda c: -c("a"),
    "abs": lambda c: c("c").abs(),
    "sqrt": lambda c: c("b").sqrt(),
}


@pytest.mark.parametrize("n", SIZES)
def test_arithmetic_matches_polars(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    got = df.select([f(col).alias(name) for name, f in ARITH.items()])
    want = pdf.select([f(pl.col).alias(name) for name, f in ARITH.items()])
    same(got, want, approx=("float_lit", "float_col", "sqrt"))


@pytest.mark.parametrize("n", [1, 4099])
def test_division_matches_polars(n):
    pdf = frame(n).with_columns(pl.col("b") + pl.lit(D("0.01")))  # never zero
    df = weft.DataFrame(pdf)
    exprs = {"q": lambda c: c("a") / c("b"), "q2": lambda c: c("c") / c("b"), "qi": lambda c: c("a") / 3}
    same(df.select([f(col).alias(k) for k, f in exprs.items()]),
         pdf.select([f(pl.col).alias(k) for k, f in exprs.items()]))


def test_rounding_is_half_to_even_like_polars():
    a = [D("0.05"), D("-0.05"), D("0.15"), D("0.25"), D("1.25"), D("-1.25"), D("0.15")]
    b = [D("0.50"), D("0.50"), D("0.50"), D("0.50"), D("0.07"), D("0.07"), D("0.10")]
    pdf = pl.DataFrame({"a": pl.Series(a, dtype=pl.Decimal(15, 2)), "b": pl.Series(b, dtype=pl.Decimal(15, 2))})
    got = weft.DataFrame(pdf).select((col("a") * col("b")).alias("p"))
    same(got, pdf.select((pl.col("a") * pl.col("b")).alias("p")))
    assert got["p"].to_list() == [D("0.02"), D("-0.02"), D("0.08"), D("0.12"), D("0.09"), D("-0.09"), D("0.02")]


@pytest.mark.parametrize("n", SIZES)
def test_comparisons_match_polars(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    cmps = {
        "between": lambda c: (c("b") >= 0.05) & (c("b") <= 0.07),
        "eq_float": lambda c: c("b") == 0.07,
        "lt_float": lambda c: c("a") < 0.3,
        "scales": lambda c: c("a") > c("c"),
        "scales_eq": lambda c: c("a") == c("c"),
        "int_col": lambda c: c("a") >= c("i"),
        "int_lit": lambda c: c("c") != 0,
        "float_col": lambda c: c("a") <= c("f"),
        "is_null": lambda c: c("a").is_null(),
    }
    same(df.select([f(col).alias(k) for k, f in cmps.items()]),
         pdf.select([f(pl.col).alias(k) for k, f in cmps.items()]))
    kept = df.filter((col("b") >= 0.05) & (col("b") <= 0.07) & (col("a") < 24))
    same(kept, pdf.filter((pl.col("b") >= 0.05) & (pl.col("b") <= 0.07) & (pl.col("a") < 24)))


CASTS = {  # name: (column, the weft spelling of the type, Polars' type)
    "f64": ("a", "float64", pl.Float64),
    "f32": ("c", "float32", pl.Float32),
    "i64": ("a", "int64", pl.Int64),
    "i32": ("c", "int32", pl.Int32),
    "down": ("c", "decimal(15,2)", pl.Decimal(15, 2)),
    "up": ("a", pl.Decimal(20, 6), pl.Decimal(20, 6)),
    "from_int": ("i", "decimal[10,3]", pl.Decimal(10, 3)),
    "from_float": ("f", pa.decimal128(18, 1), pl.Decimal(18, 1)),
    "text": ("a", "utf8", pl.String),
    "bool": ("c", "bool", pl.Boolean),
}


@pytest.mark.parametrize("n", [0, 1, 4099])
def test_casts_match_polars(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    got = df.select([col(c).cast(spec).alias(k) for k, (c, spec, _) in CASTS.items()])
    same(got, pdf.select([pl.col(c).cast(t).alias(k) for k, (c, _, t) in CASTS.items()]))


def test_cast_from_text_and_float_round_half_to_even():
    texts = ["1.234", "-0.005", "12", "1e2", "0.015", "-7.125"]
    df = weft.DataFrame({"s": texts, "x": [0.125, 0.135, -0.125, 2.675, 0.005, 1.0]})
    pdf = pl.DataFrame({"s": texts, "x": [0.125, 0.135, -0.125, 2.675, 0.005, 1.0]})
    same(df.select(col("s").cast("decimal(15,2)"), col("x").cast("decimal(15,2)")),
         pdf.select(pl.col("s").cast(pl.Decimal(15, 2)), pl.col("x").cast(pl.Decimal(15, 2))))
    with pytest.raises(weft.InvalidArgumentError, match='"abc" of column "s"'):
        weft.DataFrame({"s": ["1", "abc"]}).select(col("s").cast("decimal(10,2)"))


@pytest.mark.parametrize("n", [1, 4099])
def test_fill_null_and_literals(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    same(df.select(col("a").fill_null(0).alias("z"), col("a").fill_null(col("c")).alias("o"),
                   col("a").fill_null(0.5).alias("fl")),
         pdf.select(pl.col("a").fill_null(0).alias("z"), pl.col("a").fill_null(pl.col("c")).alias("o"),
                    pl.col("a").fill_null(0.5).alias("fl")))
    same(df.select((col("a") + lit(D("1.5"))).alias("l")),
         pdf.select((pl.col("a") + pl.lit(D("1.5"))).alias("l")))


@pytest.mark.parametrize("n", [1, 4099])
def test_when_then_otherwise_over_decimals(n):
    # TPC-H Q8 / Q14: sum(when(...).then(price * (1 - discount)).otherwise(0))
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    exprs = lambda c, when: [
        when(c("k") == 1).then(c("a") * (1 - c("b"))).otherwise(0).alias("promo"),
        when(c("k") >= 2).then(c("a")).otherwise(c("c")).alias("mixed"),
        when(c("k") == 0).then(c("a")).otherwise(None).alias("nulls"),
        when(c("k") == 3).then(c("a")).otherwise(0.5).alias("flt"),
    ]
    same(df.select(exprs(col, weft.when)), pdf.select(exprs(pl.col, pl.when)), approx=("flt",))
    total = lambda c, when: [when(c("k") == 1).then(c("a") * (1 - c("b"))).otherwise(0).sum().alias("s")]
    same(df.select(total(col, weft.when)), pdf.select(total(pl.col, pl.when)))


def test_type_errors_name_the_operation():
    df = weft.DataFrame(frame(3))
    with pytest.raises(weft.InvalidArgumentError, match=r"cannot apply & to decimal\[15,2\] column \"a\""):
        df.select(col("a") & col("b"))
    with pytest.raises(weft.InvalidArgumentError, match="decimal"):
        df.select(col("a").cast("decimal(39,2)"))


# ---------------------------------------------------------------------------- aggregations


@pytest.mark.parametrize("n", SIZES + [300_000])
def test_group_by_aggregations_match_polars(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    aggs = lambda c: [c("a").sum().alias("s"), c("c").sum().alias("sc"), c("a").mean().alias("m"),
                      c("a").min().alias("mn"), c("c").max().alias("mx"), c("a").count().alias("n"),
                      c("a").first().alias("fi"), c("a").last().alias("la"),
                      (c("a") * (1 - c("b"))).sum().alias("rev")]
    got = df.group_by("k").agg(aggs(col)).sort("k")
    want = pdf.group_by("k").agg(aggs(pl.col)).sort("k").with_columns(pl.col("n").cast(pl.UInt32))
    same(got, want, approx=("m",))
    glob = df.select(col("a").sum().alias("s"), col("a").mean().alias("m"), col("c").min().alias("mn"))
    gwant = pdf.select(pl.col("a").sum().alias("s"), pl.col("a").mean().alias("m"), pl.col("c").min().alias("mn"))
    same(glob, gwant, approx=("m",))


def test_sum_overflow_is_an_error_naming_the_column():
    big = D("9" * 36 + ".00")
    df = weft.DataFrame(pl.DataFrame({"k": [1, 1, 1, 2], "big": pl.Series([big, big, big, D("1")], dtype=pl.Decimal(38, 2))}))
    with pytest.raises(weft.InvalidArgumentError, match=r'sum of "big" overflows decimal\[38,2\]'):
        df.group_by("k").agg(col("big").sum())
    with pytest.raises(weft.InvalidArgumentError, match='decimal overflow.*column "big"'):
        df.select(col("big") * 100)
    with pytest.raises(weft.InvalidArgumentError, match=r'cannot cast value 999.*of column "big" .*decimal\[10,2\]'):
        df.select(col("big").cast("decimal(10,2)"))
    with pytest.raises(weft.InvalidArgumentError, match="out of range"):
        df.select(col("big").cast("int64"))


def test_overflow_ignores_null_slots():
    # the values under nulls are never checked: a null row holding garbage must not fail
    words = np.array([1, 0, -1, 0x7FFFFFFFFFFFFFFF, 5, 0], dtype=np.int64)
    arr = pa.Array.from_buffers(pa.decimal128(38, 0), 3, [pa.py_buffer(np.packbits([1, 0, 1], bitorder="little")),
                                                          pa.py_buffer(words)])
    df = weft.from_arrow(pa.table({"x": arr}))
    assert df.select((col("x") * 10).alias("y"))["y"].to_list() == [D(10), None, D(50)]


# ---------------------------------------------------------------------------- keys


@pytest.mark.parametrize("n", [0, 1, 4099])
def test_sort_group_join_unique_on_decimal_keys(n):
    pdf = frame(n).with_columns((pl.col("a") / 1000).cast(pl.Decimal(15, 2)).alias("a"))  # repeats
    df = weft.DataFrame(pdf)
    for desc in (False, True):
        same(df.sort(["a", "k"], descending=desc), pdf.sort(["a", "k"], descending=desc, maintain_order=True))
    same(df.group_by("a").agg(col("k").sum()).sort("a"),
         pdf.group_by("a").agg(pl.col("k").sum()).sort("a"))
    right = pdf.select("a", pl.col("i").alias("j")).unique("a", keep="first").filter(pl.col("a").is_not_null())
    got = df.join(weft.DataFrame(right), on="a").sort(["a", "k", "i"])
    same(got, pdf.join(right, on="a").sort(["a", "k", "i"]))
    assert sorted(map(str, df.unique("a")["a"].to_list())) == sorted(map(str, pdf.unique("a")["a"].to_list()))


@pytest.mark.parametrize("n", [1, 4099])
def test_aggregates_broadcast_over_rows(n):
    # TPC-H Q15: keep the rows whose decimal equals its maximum
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    same(df.filter(col("a") == col("a").max()).select("k", "a"),
         pdf.filter(pl.col("a") == pl.col("a").max()).select("k", "a"))
    same(df.select((col("c") - col("c").min()).alias("d")), pdf.select((pl.col("c") - pl.col("c").min()).alias("d")))


def test_lazy_filter_group_by_over_decimals():
    pdf = frame(4099)
    df = weft.DataFrame(pdf)
    q = df.lazy().filter(col("b") <= 0.06).group_by("k").agg((col("a") * (1 - col("b"))).sum().alias("r"))
    same(q.collect().sort("k"),
         pdf.lazy().filter(pl.col("b") <= 0.06).group_by("k").agg((pl.col("a") * (1 - pl.col("b"))).sum().alias("r")).collect().sort("k"))


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_devices_fall_back_to_the_cpu_with_the_reason(device):
    require(device)
    pdf = frame(4099)
    df = weft.DataFrame(pdf)
    e = (col("a") * (1 - col("b"))).alias("x")
    got = df.select(e, device=device)
    assert "decimal128" in weft.last_report() and "runs on the CPU" in weft.last_report()
    same(got, pdf.select((pl.col("a") * (1 - pl.col("b"))).alias("x")))
    with pytest.raises(weft.UnsupportedError, match="decimal128"):
        df.select(e, device=device, strict=True)


def test_sort_report_counts_the_keys_named_not_the_decimal_words():
    # a decimal key sorts as two 64-bit words; the report still says how many keys were named
    d = pa.array([decimal.Decimal("1.5"), decimal.Decimal("-2.25"), decimal.Decimal("3")] * 50,
                 pa.decimal128(30, 2))
    df = weft.from_arrow(pa.table({"d": d, "x": np.arange(150)}))
    out = df.sort("d")
    assert "sort by 1 key on" in weft.last_report()
    assert [str(v) for v in out["d"].to_list()[:2]] == ["-2.25", "-2.25"]
    df.sort("x", "d")
    assert "sort by 2 keys on" in weft.last_report()


# ---------------------------------------------------------------------------- rounding


@pytest.mark.parametrize("n", SIZES)
def test_round_floor_ceil_mod_floordiv_match_polars(n):
    # Polars' types (round/floor/ceil: one more digit; % and //: decimal(38, larger scale)),
    # ties to even, // toward -inf, % with the divisor's sign; divisors without zeros (a zero
    # divisor is an error in both, tested below)
    pdf = frame(n)
    rng = np.random.default_rng(n + 5)
    nz = [D(int(v)).scaleb(-3) for v in rng.choice([-1, 1], n) * rng.integers(1, 5000, n)]
    pdf = pdf.with_columns(pl.Series("z", nz, dtype=pl.Decimal(12, 3)),
                           pl.Series("iz", rng.choice([-7, -2, 3, 5], n)))
    df = weft.DataFrame(pdf)
    exprs = {
        "r0": lambda c: c("a").round(0), "r1": lambda c: c("a").round(1),
        "r2": lambda c: c("c").round(2), "r9": lambda c: c("c").round(9),
        "fl": lambda c: c("c").floor(), "ce": lambda c: c("a").ceil(),
        "mz": lambda c: c("a") % c("z"), "fz": lambda c: c("a") // c("z"),
        "mi": lambda c: c("c") % c("iz"), "fi": lambda c: c("c") // c("iz"),
        "im": lambda c: c("iz") % c("z"),
        # float divisors with exact reciprocals: Polars divides by a constant as a product
        # with its reciprocal, which rounds differently from a division (weft divides)
        "ff": lambda c: c("a") // 0.5, "mf": lambda c: c("a") % 0.25,
    }
    got = df.select(*[f(col).alias(k) for k, f in exprs.items()]).to_polars()
    want = pdf.select(*[f(pl.col).alias(k) for k, f in exprs.items()])
    assert got.schema == want.schema
    for k in exprs:
        assert got[k].to_list() == want[k].to_list(), k


def test_rounding_a_full_precision_decimal_overflows_with_an_error():
    # decimal(38, 1) holding 10^37 - 0.1 rounded to a whole number needs 39 digits: an error
    big = pa.array([D("9" * 37 + ".9"), D(5)], pa.decimal128(38, 1))
    df = weft.from_arrow(pa.table({"a": big}))
    with pytest.raises(weft.InvalidArgumentError, match="decimal overflow"):
        df.select(col("a").round(0))
    zero = weft.from_arrow(pa.table({"a": pa.array([D("1.5"), None], pa.decimal128(5, 1)),
                                     "b": pa.array([D("0.0"), D("0.0")], pa.decimal128(5, 1))}))
    with pytest.raises(weft.InvalidArgumentError, match="division by zero"):
        zero.select(col("a") % col("b"))
    # a zero divisor beside a null is no error: that row is null
    assert zero.slice(1, 1).select((col("a") // col("b")).alias("q"))["q"].to_list() == [None]


@pytest.mark.parametrize("n", SIZES)
def test_is_in_with_decimal_values_of_any_scale_matches_polars(n):
    pdf = frame(n)
    df = weft.DataFrame(pdf)
    rng = np.random.default_rng(n + 11)
    picks = [v for v in pdf["a"].drop_nulls().head(5).to_list()]
    vals = picks + [D("0.001"), D("-1"), D("123.450")] + [D(int(v)).scaleb(-3) for v in rng.integers(-10**6, 10**6, 20)]
    got = df.select(col("a").is_in(vals).alias("x"), col("c").is_in(vals).alias("y"))
    want = pdf.select(pl.col("a").is_in(pl.Series(vals, dtype=pl.Decimal(38, 3)).implode()).alias("x"),
                      pl.col("c").is_in(pl.Series(vals, dtype=pl.Decimal(38, 3)).implode()).alias("y"))
    assert got["x"].to_list() == want["x"].to_list()
    assert got["y"].to_list() == want["y"].to_list()
    if n >= 7:
        assert builtins_sum(got["x"].to_list()) >= 1  # the picked values are found


def builtins_sum(values):
    return sum(1 for v in values if v)


def test_is_in_decimal_bad_values_name_the_call():
    df = weft.DataFrame(frame(3))
    with pytest.raises(weft.InvalidArgumentError, match=r"is_in.*NaN"):
        df.select(col("a").is_in([D("NaN")]))
    with pytest.raises(weft.InvalidArgumentError, match=r"is_in.*38"):
        df.select(col("a").is_in([D("1e-40")]))
    with pytest.raises(weft.InvalidArgumentError, match="cannot apply is_in to decimal"):
        df.select(col("a").is_in([1.5]))  # floats do not mix with decimals (Polars refuses too)
