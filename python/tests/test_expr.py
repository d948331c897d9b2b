"""weft expressions, select / with_columns / filter against numpy and pyarrow.compute on
random data with nulls."""

import ctypes

import numpy as np
import pytest

import weft
from weft import _columns, _lib
from weft import col, lit
from weft.frame import DataFrame

import pyarrow as pa
import pyarrow.compute as pc


def make_df(columns):
    names, views, keep = [], [], []
    for name, value in columns.items():
        view, k = _columns.column_view(name, value)
        names.append(name)
        views.append(view)
        keep.append(k)
    return DataFrame._from_handle(_columns.table_from_columns(names, views, keep))


def view_of(df, name):
    idx = ctypes.c_size_t()
    _lib.weft_table_column_index(df._handle, name.encode(), ctypes.byref(idx))
    view = _lib.weft_column_view()
    _lib.weft_table_column(df._handle, idx.value, ctypes.byref(view))
    return view


def column(df, name):
    return _columns.to_list(view_of(df, name), df)


def names(df):
    n = ctypes.c_size_t()
    _lib.weft_table_num_columns(df._handle, ctypes.byref(n))
    out = []
    for i in range(n.value):
        s = ctypes.c_char_p()
        _lib.weft_table_column_name(df._handle, i, ctypes.byref(s))
        out.append(s.value.decode())
    return out


def masked(values, rng, rate=0.1):
    return np.ma.MaskedArray(values, mask=rng.random(len(values)) < rate)


def as_list(m):
    return [None if x is np.ma.masked else x for x in m.tolist()]


SIZES = [0, 1, 17, 70001]
LIST_SIZES = [1, 17, 70001]  # str / bool columns from lists: an empty list has no type


@pytest.mark.parametrize("n", SIZES)
def test_arithmetic_against_numpy(n):
    rng = np.random.default_rng(n)
    a = masked(rng.integers(-1000, 1000, n).astype(np.int32), rng)
    b = masked(rng.integers(-10, 10, n).astype(np.int64), rng)
    x = masked(rng.standard_normal(n), rng)
    df = make_df({"a": a, "b": b, "x": x})
    out = df.select([
        (col("a") + col("b")).alias("add"), (col("a") - col("b")).alias("sub"),
        (col("a") * col("b")).alias("mul"), (col("a") % col("b")).alias("mod"),
        (col("a") / col("b")).alias("div"), (col("x") * 2 + col("a")).alias("fx"),
        (1 - col("a")).alias("rsub"), (-col("x")).alias("neg"), col("x").abs().alias("abs"),
    ])
    assert names(out) == ["add", "sub", "mul", "mod", "div", "fx", "rsub", "neg", "abs"]
    av, bv = a.astype(np.int64), b
    with np.errstate(all="ignore"):
        assert column(out, "add") == as_list(av + bv)
        assert column(out, "sub") == as_list(av - bv)
        assert column(out, "mul") == as_list(av * bv)
        want_mod = [None if x is None or y is None or y == 0 else x % y
                    for x, y in zip(as_list(av), as_list(bv))]
        assert column(out, "mod") == want_mod  # Python's sign rule, null for % 0
        div = np.ma.getdata(av).astype(float) / np.ma.getdata(bv).astype(float)
        got = column(out, "div")
        mask = np.ma.getmaskarray(av) | np.ma.getmaskarray(bv)
        for i in range(n):
            if mask[i]:
                assert got[i] is None
            else:
                assert got[i] == div[i] or (np.isnan(got[i]) and np.isnan(div[i]))
        assert column(out, "fx") == as_list(x * 2 + a.astype(float))
    assert column(out, "rsub") == as_list(1 - a)
    assert column(out, "neg") == as_list(-x)
    assert column(out, "abs") == as_list(abs(x))
    assert view_of(out, "rsub").type == _lib.WEFT_TYPE_INT32  # an int literal keeps int32


def test_kleene_against_pyarrow():
    vals = [True, False, None]
    a = [x for x in vals for _ in vals]
    b = [y for _ in vals for y in vals]
    df = make_df({"a": a, "b": b})
    out = df.select([(col("a") & col("b")).alias("and"), (col("a") | col("b")).alias("or"),
                              (~col("a")).alias("not"), col("a").is_null().alias("isnull"),
                              col("a").is_not_null().alias("notnull")])
    pa_a, pa_b = pa.array(a, pa.bool_()), pa.array(b, pa.bool_())
    assert column(out, "and") == pc.and_kleene(pa_a, pa_b).to_pylist()
    assert column(out, "or") == pc.or_kleene(pa_a, pa_b).to_pylist()
    assert column(out, "not") == pc.invert(pa_a).to_pylist()
    assert column(out, "isnull") == [x is None for x in a]
    assert column(out, "notnull") == [x is not None for x in a]


@pytest.mark.parametrize("n", LIST_SIZES)
def test_comparisons_and_strings_against_pyarrow(n):
    rng = np.random.default_rng(n + 1)
    words = ["", "a", "ab", "B", "é", "日本", "abé", "Ab"]
    s = [None if rng.random() < 0.1 else words[rng.integers(len(words))] for _ in range(n)]
    t = [words[rng.integers(len(words))] for _ in range(n)]
    v = masked(rng.integers(-3, 3, n).astype(np.int16), rng)
    df = make_df({"s": s, "t": t, "v": v})
    pa_s, pa_t = pa.array(s, pa.string()), pa.array(t, pa.string())
    out = df.select([
        (col("s") < col("t")).alias("lt"), (col("s") == col("t")).alias("eq"),
        (col("s") >= "ab").alias("ge"), (col("v") != 0).alias("ne"),
        col("s").str.len_chars().alias("len"), col("s").str.contains("b").alias("contains"),
        col("s").str.starts_with("a").alias("starts"), col("s").str.to_uppercase().alias("upper"),
        col("s").str.to_lowercase().alias("lower"), col("s").fill_null("?").alias("filled"),
    ])
    assert column(out, "lt") == pc.less(pa_s, pa_t).to_pylist()
    assert column(out, "eq") == pc.equal(pa_s, pa_t).to_pylist()
    assert column(out, "ge") == pc.greater_equal(pa_s, "ab").to_pylist()
    assert column(out, "ne") == [None if x is None else x != 0 for x in as_list(v)]
    assert column(out, "len") == pc.utf8_length(pa_s).to_pylist()
    assert view_of(out, "len").type == _lib.WEFT_TYPE_UINT32
    assert column(out, "contains") == pc.match_substring(pa_s, "b").to_pylist()
    assert column(out, "starts") == pc.starts_with(pa_s, "a").to_pylist()
    assert column(out, "upper") == pc.utf8_upper(pa_s).to_pylist()  # "é" too (test_str_case.py)
    assert column(out, "lower") == pc.utf8_lower(pa_s).to_pylist()
    assert column(out, "filled") == pc.fill_null(pa_s, "?").to_pylist()


def test_casts_and_their_errors():
    df = make_df({"x": np.array([1, -5, 300], dtype=np.int64), "s": ["12", "-3", "abc"],
                  "f": np.array([1.5, -2.7, 1e30])})
    out = df.select([col("x").cast("int16").alias("i16"), col("x").cast("str").alias("xs"),
                              col("x").cast(np.float32).alias("f32"), col("f").cast("utf8").alias("fs"),
                              (col("x") > 0).cast("int64").alias("b2i")])
    assert column(out, "i16") == [1, -5, 300]
    assert column(out, "xs") == ["1", "-5", "300"]
    assert view_of(out, "f32").type == _lib.WEFT_TYPE_FLOAT32
    assert column(out, "fs") == ["1.5", "-2.7", "1e+30"]
    assert column(out, "b2i") == [1, 0, 1]
    with pytest.raises(weft.InvalidArgumentError, match=r'value 300 of column "x" from int64 to int8'):
        df.select([col("x").cast("int8")])
    with pytest.raises(weft.InvalidArgumentError, match=r'value "abc" of column "s" from utf8 to int64'):
        df.select([col("s").cast("int64")])
    with pytest.raises(weft.InvalidArgumentError, match=r'column "f" from float64 to int32'):
        df.select([col("f").cast("int32")])
    ok = make_df({"s": ["12", "-3"]}).select([col("s").cast(int)])
    assert column(ok, "s") == [12, -3]
    with pytest.raises(weft.InvalidArgumentError, match="unknown type"):
        col("x").cast("decimal")


def test_type_errors_and_missing_columns():
    df = make_df({"s": ["a"], "v": np.array([1.0])})
    with pytest.raises(weft.InvalidArgumentError, match=r'cannot apply \+ to utf8 column "s" and int64 literal'):
        df.select([col("s") + 1])
    with pytest.raises(weft.NotFoundError, match='"nope"'):
        df.select([col("nope") * 2])
    with pytest.raises(weft.InvalidArgumentError, match="float64, not bool"):
        df.filter(col("v"))
    with pytest.raises(weft.InvalidArgumentError, match='"v" appears twice'):
        df.select(["v", col("v") + 1])
    with pytest.raises(TypeError, match="ambiguous"):
        bool(col("v") > 1)
    # aggregations alone give one row (test_aggregate_select.py); beside rows they broadcast
    # (test_agg_expr.py), so the same output name twice is the error
    with pytest.raises(weft.InvalidArgumentError, match='"v" appears twice'):
        df.select([col("v").sum(), col("v")])


@pytest.mark.parametrize("n", LIST_SIZES)
def test_filter_against_numpy(n):
    rng = np.random.default_rng(n + 2)
    k = masked(rng.integers(0, 100, n), rng)
    f = rng.standard_normal(n).astype(np.float32)
    b = [None if rng.random() < 0.1 else bool(rng.random() < 0.5) for _ in range(n)]
    s = [None if rng.random() < 0.1 else f"r{i}é" for i in range(n)]
    df = make_df({"k": k, "f": f, "b": b, "s": s})
    keep = (np.ma.getdata(k) < 30) & ~np.ma.getmaskarray(k)
    out = df.filter(col("k") < 30)
    rows = np.flatnonzero(keep).tolist()
    kl, fl = as_list(k), f.tolist()
    assert column(out, "k") == [kl[i] for i in rows]
    assert column(out, "f") == [fl[i] for i in rows]
    assert column(out, "b") == [b[i] for i in rows]
    assert column(out, "s") == [s[i] for i in rows]
    assert column(df.filter(lit(False)), "s") == []
    assert column(df.filter(lit(True)), "s") == s
    assert column(df.filter(col("b")), "s") == [s[i] for i in range(n) if b[i]]
    both = df.filter([col("k") < 30, col("b")])
    assert column(both, "s") == [s[i] for i in rows if b[i]]


def test_select_shares_and_with_columns_replaces():
    v = np.arange(10, dtype=np.float64)
    df = make_df({"v": v, "w": np.arange(10, dtype=np.int64)})
    out = df.select(["v", col("w").alias("w2")])
    assert view_of(out, "v").values == view_of(df, "v").values
    assert view_of(out, "w2").values == view_of(df, "w").values
    wc = df.with_columns([col("v") * 2, (col("w") + 1).alias("z")])
    assert names(wc) == ["v", "w", "z"]
    assert column(wc, "v") == (v * 2).tolist()
    assert column(wc, "z") == list(range(1, 11))
    assert view_of(wc, "w").values == view_of(df, "w").values
    assert weft.last_report() != ""


def test_repr_and_aggexpr():
    e = (col("v") > 0.5) & col("b").is_null()
    assert str(e) == '[([(col("v")) > (0.5)]) & (col("b").is_null())]'
    assert repr(col("v") + 1) == '<Expr [(col("v")) + (1)]>'
    a = col("v").mean().alias("m")
    assert (a.kind, a.name, str(a.input)) == (_lib.WEFT_AGG_MEAN, "m", 'col("v")')
    assert col("v").sum().name is None
    n = weft.len()
    assert (n.kind, n.input, n.name) == (_lib.WEFT_AGG_LEN, None, "len")
    assert str(lit(None)) == "null" and str(lit("x")) == '"x"' and str(lit(True)) == "true"


def test_against_polars():
    import polars as pl
    rng = np.random.default_rng(9)
    n = 5000
    x = rng.standard_normal(n)
    x[rng.random(n) < 0.1] = np.nan
    y = rng.standard_normal(n)
    y[rng.random(n) < 0.1] = np.nan
    i = rng.integers(-50, 50, n).astype(np.int32)
    j = rng.integers(-5, 5, n).astype(np.int32)
    exprs = lambda c, lt: [  # noqa: E731 - the same expressions in both libraries
        (c("x") == c("y")).alias("eq"), (c("x") > c("y")).alias("gt"), (c("x") <= 0.5).alias("le"),
        (c("i") % c("j")).alias("mod"), (c("i") + 1).alias("add1"), (c("i") * 2.5).alias("mulf"),
        (c("i") / c("j")).alias("div"), c("i").cast(pl.String if lt is pl.lit else "str").alias("s"),
        (c("x") > 0).fill_null(lt(False)).alias("fill"), (-c("i")).abs().alias("abs"),
    ]
    df = make_df({"x": x, "y": y, "i": i, "j": j})
    got = df.select(exprs(col, lit))
    want = pl.DataFrame({"x": x, "y": y, "i": i, "j": j}).select(exprs(pl.col, pl.lit))
    for name in want.columns:
        w = want[name].to_list()
        g = column(got, name)
        assert len(g) == len(w), name
        for a, b in zip(g, w):
            same = a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))
            assert same, (name, a, b)
    type_of = {"mod": _lib.WEFT_TYPE_INT32, "add1": _lib.WEFT_TYPE_INT32, "mulf": _lib.WEFT_TYPE_FLOAT64,
               "div": _lib.WEFT_TYPE_FLOAT64, "eq": _lib.WEFT_TYPE_BOOL}
    for name, t in type_of.items():
        assert view_of(got, name).type == t, name


def test_through_dataframe_methods():
    df = make_df({"a": np.ma.MaskedArray([1, 2, 3, 4], mask=[0, 0, 1, 0]), "s": ["x", "é", "yz", "w"]})
    out = df.select(col("a") * 2, col("s").str.len_chars().alias("n"))
    assert column(out, "a") == [2, 4, None, 8]
    assert column(out, "n") == [1, 1, 2, 1]
    big = df.with_columns((col("a") > 1).alias("big")).filter(col("big"))
    assert column(big, "s") == ["é", "w"]
    assert column(df.filter(col("s").str.contains("y")), "s") == ["yz"]
