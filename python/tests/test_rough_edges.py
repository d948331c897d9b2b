"""Rough edges a new user hit (issue 16.5): error messages that name the Python call, never
a C function; Series comparisons for df[mask]; timestamp[ns] through from_arrow."""

import re

import numpy as np
import pytest

import weft
from weft import col

# "weft_plan_filter", "weft_table_sort: ...": a C function's name anywhere in a message
_C_NAME = re.compile(r"(?<![A-Za-z0-9_./-])weft_[a-z0-9_]+")

_DF = weft.DataFrame(
    {"k": [1, 2, 3], "v": [1.0, None, 3.0], "s": ["a", "bb", None], "b": [True, False, None]}
)
_LF = _DF.lazy()


def _bad_calls(tmp):
    """(Python call, call) pairs: each call is wrong in one way and must raise an error
    whose message starts with the name of the Python call."""
    xb = np.random.default_rng(0).random((20, 4), dtype=np.float32)
    flat = weft.FlatIndex(dim=4)
    flat.add(xb)
    ivf = weft.IVFIndex(dim=4, nlist=2)
    csv = tmp / "some.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    short = tmp / "short.bin"
    short.write_bytes(b"WEF")
    bad_csv = tmp / "bad.csv"
    bad_csv.write_text("a,b\n1,2\n3,4,5\n")
    return [
        # vectors
        ("weft.FlatIndex", lambda: weft.FlatIndex(dim=0)),
        ("weft.FlatIndex", lambda: weft.FlatIndex(dim=4, metric="hamming")),
        ("FlatIndex.add", lambda: flat.add(np.ones((3, 5), np.float32))),
        ("FlatIndex.add", lambda: flat.add(np.full((1, 4), np.nan, np.float32))),
        ("FlatIndex.add", lambda: flat.add(xb[:2], ids=[1])),
        ("FlatIndex.add", lambda: flat.add(xb, copy=False)),
        ("FlatIndex.search", lambda: flat.search(xb[:1], k=0)),
        ("FlatIndex.search", lambda: flat.search(np.ones((1, 3), np.float32), k=1)),
        ("FlatIndex.search(device=...)", lambda: flat.search(xb[:1], k=1, device="tpu")),
        ("FlatIndex.search(precision=...)", lambda: flat.search(xb[:1], k=1, precision="fp8")),
        ("FlatIndex.search", lambda: flat.search(xb[:1], k=1, allowed=np.ones(3))),
        ("FlatIndex.remove", lambda: flat.remove([-1.5])),
        ("FlatIndex.save", lambda: flat.save(tmp / "no" / "dir" / "x.idx")),
        ("weft.load_index", lambda: weft.load_index(csv)),
        ("weft.load_index", lambda: weft.load_index(short)),
        ("weft.load_index", lambda: weft.load_index(tmp / "missing.idx")),
        ("weft.IVFIndex", lambda: weft.IVFIndex(dim=4, nlist=0)),
        ("weft.IVFIndex", lambda: weft.IVFIndex(dim=4, nlist=2, codec="pq")),
        ("IVFIndex.add", lambda: ivf.add(xb)),
        ("IVFIndex.search", lambda: ivf.search(xb[:1], k=1)),
        ("IVFIndex.train", lambda: weft.IVFIndex(dim=4, nlist=50).train(xb)),
        ("IVFIndex.train", lambda: ivf.train(np.ones((10, 3), np.float32))),
        ("weft.kmeans", lambda: weft.kmeans(xb, k=0)),
        ("weft.kmeans", lambda: weft.kmeans(xb, k=100)),
        # arrays and devices
        ("weft.axpy", lambda: weft.axpy(1.0, np.ones(3), np.ones(4))),
        ("weft.axpy(device=...)", lambda: weft.axpy(1.0, np.ones(3), np.ones(3), device="tpu:3")),
        ("weft.sum", lambda: weft.sum(np.array(["a", "b"]))),
        ("weft.reduce", lambda: weft.reduce(np.ones(3), op="median")),
        ("weft.sum", lambda: weft.sum(np.ones(3), valid=np.ones(2, bool))),
        ("weft.device", lambda: weft.device("tpu")),
        ("weft.device", lambda: weft.device(99)),
        ("weft.set_memory_limit", lambda: weft.set_memory_limit("tpu", 10)),
        ("weft.set_memory_limit", lambda: weft.set_memory_limit("cpu", -1)),
        # frames
        ("weft.DataFrame", lambda: weft.DataFrame(object())),
        ("weft.DataFrame", lambda: weft.DataFrame(np.zeros((2, 2, 2)))),
        ("weft.DataFrame", lambda: weft.DataFrame({"a": [1, 2], "b": [1]})),
        ("weft.DataFrame", lambda: weft.DataFrame([{"a": 1}, 3])),
        ("weft.from_arrow", lambda: weft.from_arrow(42)),
        ("DataFrame.filter", lambda: _DF.filter(col("k") + 1)),
        ("DataFrame.filter", lambda: _DF.filter(col("x") > 1)),
        ("DataFrame.select", lambda: _DF.select(col("x"))),
        ("DataFrame.select", lambda: _DF.select(col("s") + 1)),
        ("DataFrame.select", lambda: _DF.select(col("s") * col("k"))),
        ("DataFrame.with_columns", lambda: _DF.with_columns(col("x") * 2)),
        ("DataFrame.sort", lambda: _DF.sort("x")),
        ("DataFrame.sort(device=...)", lambda: _DF.sort("k", device="tpu")),
        ("DataFrame.sort", lambda: _DF.sort("k", "v", descending=[True])),
        ("DataFrame.unique", lambda: _DF.unique("x")),
        ("DataFrame.group_by(...).agg", lambda: _DF.group_by("x").agg(col("v").sum())),
        ("DataFrame.group_by(...).agg", lambda: _DF.group_by("k").agg(col("x").sum())),
        ("DataFrame.group_by(...).agg", lambda: _DF.group_by("k").agg(col("s").sum())),
        ("DataFrame.join", lambda: _DF.join(_DF, on="x")),
        ("DataFrame.join", lambda: _DF.join(_DF.rename({"s": "s2", "k": "kk"}), left_on="s", right_on="kk")),
        ("DataFrame.join", lambda: _DF.join(_DF, on="k", how="sideways")),
        ("DataFrame.top_k", lambda: _DF.top_k(-1, by="k")),
        ("DataFrame.slice", lambda: _DF.slice("a")),
        ("DataFrame.head", lambda: _DF.head("a")),
        ("DataFrame.drop", lambda: _DF.drop("x")),
        ("DataFrame.rename", lambda: _DF.rename({"x": "y"})),
        ("DataFrame.rename", lambda: _DF.rename({"k": "v"})),
        ("DataFrame[mask]", lambda: _DF[np.ones(2, bool)]),
        ("DataFrame[mask]", lambda: _DF[_DF["k"]]),
        ("DataFrame[...]", lambda: _DF["x"]),
        ("DataFrame[...]", lambda: _DF[1.5]),
        ("DataFrame.describe", lambda: _DF.describe(percentiles=[1.5])),
        ("DataFrame.with_row_index", lambda: _DF.with_row_index("k")),
        ("weft.concat", lambda: weft.concat([_DF, _DF.select("k")])),
        ("DataFrame.write_csv", lambda: _DF.write_csv(tmp / "no" / "dir" / "x.csv")),
        ("weft.read_csv", lambda: weft.read_csv(tmp / "missing.csv")),
        ("weft.read_csv", lambda: weft.read_csv(csv, separator=",,")),
        ("weft.read_csv", lambda: weft.read_csv(bad_csv)),
        ("weft.read_csv(device=...)", lambda: weft.read_csv(csv, device="tpu")),
        ("weft.scan_parquet", lambda: weft.scan_parquet(tmp / "missing.parquet").collect()),
        # expressions
        ("Expr.cast", lambda: _DF.select(col("k").cast("complex128"))),
        ("DataFrame.select", lambda: _DF.select(col("k").str.contains("a"))),
        ("str.contains(\"(\")", lambda: _DF.select(col("s").str.contains("("))),
        ("DataFrame.select", lambda: _DF.select(col("k").dt.year())),
        ("DataFrame.select", lambda: _DF.select(col("k").is_in(["a"]))),
        ("DataFrame.select", lambda: _DF.select(weft.when(col("b")).then(col("s")).otherwise(col("k")))),
        ("DataFrame.select", lambda: _DF.select(weft.when(col("k")).then(1).otherwise(2))),
        ("DataFrame.select", lambda: _DF.select(col("v").sum().over("x"))),
        ("weft.lit", lambda: _DF.select(weft.lit(object()))),
        ("DataFrame.select", lambda: _DF.select(col("s").mean())),
        # lazy
        ("LazyFrame.filter", lambda: _LF.filter(col("x") > 1).collect()),
        ("LazyFrame.select", lambda: _LF.select("x").collect()),
        ("LazyFrame.with_columns", lambda: _LF.with_columns(col("s") + 1).collect()),
        ("LazyFrame.sort", lambda: _LF.sort("x").collect()),
        ("LazyFrame.unique", lambda: _LF.unique("x").collect()),
        ("LazyFrame.join", lambda: _LF.join(_LF, on="x").collect()),
        ("LazyFrame.group_by(...).agg", lambda: _LF.group_by("x").agg(col("v").sum()).collect()),
        ("LazyFrame.group_by(...).agg", lambda: _LF.group_by("k").agg(col("s").sum()).collect()),
        ("LazyFrame.drop", lambda: _LF.drop("x").collect()),
        ("LazyFrame.rename", lambda: _LF.rename({"x": "y"}).collect()),
        ("LazyFrame.collect(device=...)", lambda: _LF.collect(device="tpu")),
        ("LazyFrame.collect", lambda: _LF.select(col("s").str.contains("a")).collect(device="opencl", strict=True)),
        ("LazyFrame.explain(device=...)", lambda: _LF.explain(device="tpu")),
        ("LazyFrame.head", lambda: _LF.head(-1).collect()),
    ]


def test_every_message_names_the_python_call_and_no_c_function(tmp_path):
    # C messages start with (and sometimes quote) their function's name; Python users see
    # the Python call instead, in every message of every kind of bad input
    wrong, silent = [], []
    for name, call in _bad_calls(tmp_path):
        try:
            call()
        except (weft.WeftError, ValueError, TypeError, LookupError, OSError) as e:
            text = str(e)
            if _C_NAME.search(text) or not text.startswith(name + ": "):
                wrong.append(f"{name}: {type(e).__name__}: {text}")
        else:
            silent.append(name)
    assert not wrong and not silent, "\n".join(wrong + [f"raised nothing: {silent}"])


def test_python_call_names_only_unnamed_errors():
    from weft.errors import python_call

    @python_call("weft.thing")
    def thing(message, _where=None):
        raise weft.InvalidArgumentError(message)

    for message, want in [
        ("k must be positive", "weft.thing: k must be positive"),
        ("thing: k must be positive", "weft.thing: k must be positive"),
        ("weft_thing_make: k", "weft.thing: k"),
        ("DataFrame.filter: column x", "DataFrame.filter: column x"),
        ("weft.device: unknown", "weft.device: unknown"),
    ]:
        with pytest.raises(weft.InvalidArgumentError) as e:
            thing(message)
        assert str(e.value) == want and e.value.args == (want,)
    with pytest.raises(weft.InvalidArgumentError, match="^weft.other: k"):
        thing("k", _where="weft.other")
    assert thing.__name__ == "thing"


# ------------------------------------------------------------- Series operators, df[mask]


def _frames(n, seed):
    """The same random columns (nulls, NaN) in weft and in Polars."""
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(seed)
    k = [None if rng.random() < 0.2 else int(x) for x in rng.integers(-5, 6, n)]
    j = [None if rng.random() < 0.2 else int(x) for x in rng.integers(1, 4, n)]
    v = [None if rng.random() < 0.2 else (float("nan") if rng.random() < 0.1 else float(x))
         for x in rng.standard_normal(n)]
    s = [None if rng.random() < 0.2 else str(x) for x in rng.choice(["a", "bb", "c"], n)]
    data = {"k": k, "j": j, "v": v, "s": s}
    pdf = pl.DataFrame(data, schema={"k": pl.Int64, "j": pl.Int64, "v": pl.Float64, "s": pl.Utf8})
    return weft.from_arrow(pdf), pdf


_SERIES_OPS = {
    "v > 0.5": lambda d: d["v"] > 0.5,
    "k <= j": lambda d: d["k"] <= d["j"],
    "k == 2": lambda d: d["k"] == 2,
    "k != j": lambda d: d["k"] != d["j"],
    "s == 'a'": lambda d: d["s"] == "a",
    "s >= 'b'": lambda d: d["s"] >= "b",
    "k + v": lambda d: d["k"] + d["v"],
    "3 - k": lambda d: 3 - d["k"],
    "k * j": lambda d: d["k"] * d["j"],
    "k / j": lambda d: d["k"] / d["j"],
    "k // j": lambda d: d["k"] // d["j"],
    "k % j": lambda d: d["k"] % d["j"],
    "2.5 * v": lambda d: 2.5 * d["v"],
    "(k > 0) & (v < 0)": lambda d: (d["k"] > 0) & (d["v"] < 0),
    "(k > 0) | (v < 0)": lambda d: (d["k"] > 0) | (d["v"] < 0),
    "~(k > 0)": lambda d: ~(d["k"] > 0),
    "-k": lambda d: -d["k"],
    "abs(v)": lambda d: abs(d["v"]),
    "k + k": lambda d: d["k"] + d["k"],
    "array - k": lambda d: np.arange(len(d["k"])) - d["k"],
    "k < array": lambda d: d["k"] < np.arange(len(d["k"])),
}


@pytest.mark.parametrize("n", [0, 1, 37, 1000])
@pytest.mark.parametrize("op", list(_SERIES_OPS), ids=str)
def test_series_operators_match_polars(op, n):
    df, pdf = _frames(n, seed=n)
    got, want = _SERIES_OPS[op](df), _SERIES_OPS[op](pdf)
    assert isinstance(got, weft.Series) and got.name == want.name
    assert len(got) == n
    g, w = got.to_list(), want.to_list()
    assert [x is None for x in g] == [x is None for x in w], op
    for a, b in zip(g, w):
        if isinstance(b, float):
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12), (op, a, b)
        else:
            assert a == b, (op, a, b)


@pytest.mark.parametrize("n", [0, 1, 37, 1000])
def test_mask_indexing_matches_polars(n):
    df, pdf = _frames(n, seed=100 + n)
    got = df[(df["v"] > 0) & (df["k"] != 1)]
    want = pdf.filter((pdf["v"] > 0) & (pdf["k"] != 1))
    from polars.testing import assert_frame_equal

    assert_frame_equal(got.to_polars(), want)  # NaN > 0 is true, as in Polars
    mask = np.asarray(df["j"].to_numpy() > 1) if n else np.zeros(0, bool)
    assert df[mask].height == int(mask.sum())
    assert df.filter(df["s"] == "a").height == pdf.filter(pdf["s"] == "a").height


def test_series_operand_errors_name_the_operator():
    df = weft.DataFrame({"k": [1, 2, 3], "s": ["a", "b", None]})
    with pytest.raises(weft.InvalidArgumentError, match=r"^Series >: the operands have 3 and 2 values"):
        df["k"] > df.head(2)["k"]
    with pytest.raises(weft.InvalidArgumentError, match=r'^Series \+: .*utf8 column "s"'):
        df["s"] + 1
    with pytest.raises(weft.InvalidArgumentError, match=r"^Series \*: unsupported value"):
        df["k"] * object()
    with pytest.raises(TypeError, match="truth value of a Series is ambiguous"):
        bool(df["k"] > 1)
    assert df["k"].equals(weft.DataFrame({"x": [1, 2, 3]})["x"])
    assert not df["k"].equals(df["s"])


# ------------------------------------------------- timestamps of other units than weft's us


@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
@pytest.mark.parametrize("source", ["pyarrow", "pyarrow batch", "polars"])
def test_timestamps_of_other_units_become_microseconds(unit, source):
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(7)
    n = 101
    seconds = rng.integers(-2_000_000_000, 2_000_000_000, n)
    scale = {"s": 1, "ms": 1_000, "ns": 1_000_000_000}[unit]
    values = [None if i % 9 == 4 else int(x) * scale for i, x in enumerate(seconds)]
    table = pa.table({"t": pa.array(values, pa.timestamp(unit, "UTC")), "x": np.arange(n)})
    obj = {"pyarrow": table, "pyarrow batch": table.to_batches()[0],
           "polars": pl.from_arrow(table)}[source]
    df = weft.from_arrow(obj)
    assert df.schema == {"t": "timestamp[us]", "x": "int64"}
    want = table.column("t").cast(pa.timestamp("us")).to_pylist()
    assert df["t"].to_list() == want
    assert df["x"].to_list() == list(range(n))


@pytest.mark.parametrize("source", ["pyarrow", "polars"])
def test_timestamps_finer_than_a_microsecond_name_the_column(source):
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    table = pa.table({"k": [1, 2], "when": pa.array([1_000, 1_000_001], pa.timestamp("ns"))})
    obj = table if source == "pyarrow" else pl.from_arrow(table)
    for make, where in ((weft.from_arrow, "weft.from_arrow"), (weft.DataFrame, "weft.DataFrame")):
        with pytest.raises(weft.InvalidArgumentError) as e:
            make(obj)
        text = str(e.value)
        assert text.startswith(f"{where}: column 'when' is timestamp[ns]"), text


@pytest.mark.parametrize("n", [0, 1, 5, 70_001])
@pytest.mark.parametrize("source", ["pyarrow", "pyarrow batch", "polars", "polars series", "pandas"])
def test_an_all_null_column_comes_in_as_float64_nulls(n, source):
    """Arrow's null type (Polars' Null dtype, pa.nulls, an all-None pandas column) has no
    weft type of its own: it becomes float64 with every row null, beside untouched columns."""
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    words = [str(i) for i in range(n)]  # typed below: an empty list alone has no type
    table = pa.table({"k": np.arange(n), "none": pa.nulls(n), "s": pa.array(words, pa.string())})
    obj = {"pyarrow": table, "pyarrow batch": table.combine_chunks().to_batches()[0] if n else table,
           "polars": pl.from_arrow(table),
           "polars series": {"k": np.arange(n), "none": pl.Series("none", [None] * n),
                             "s": pl.Series("s", words, dtype=pl.String)},
           "pandas": pd.DataFrame({"k": np.arange(n), "none": [None] * n,
                                   "s": pd.Series(words, dtype="string")})}[source]
    df = weft.DataFrame(obj)
    assert df.schema == {"k": "int64", "none": "float64", "s": "utf8"}
    assert df.height == n
    assert df["none"].null_count() == n
    assert df["k"].to_list() == list(range(n))
    back = pl.from_arrow(df.to_arrow())
    assert back["none"].dtype == pl.Float64 and back["none"].null_count() == n
    assert back["s"].to_list() == words


def test_an_arrow_type_weft_lacks_is_refused_by_the_python_call():
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(weft.UnsupportedError) as e:
        weft.from_arrow(pa.table({"d": pa.array([1], pa.duration("s"))}))
    assert str(e.value).startswith('weft.from_arrow: batch 0: Arrow column "d"'), str(e.value)


# ------------------------------------------------------------------- the notebook view

_PL_TYPES = {"i64": "int64", "str": "utf8", "bool": "bool"}


def _as_weft_types(page):
    for short, name in _PL_TYPES.items():
        page = page.replace(f"<td>{short}</td>", f"<td>{name}</td>")
    return page


@pytest.mark.parametrize("n", [0, 1, 3, 10, 25])
def test_repr_html_is_polars(n):
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(n)
    data = {
        "id": [None if i % 7 == 3 else int(x) for i, x in enumerate(rng.integers(-99, 99, n))],
        "name": [None if i % 5 == 1 else f"<n{i}> & \"q\"" for i in range(n)],
        "ok": [None if i % 4 == 2 else bool(i % 3) for i in range(n)],
    }
    schema = {"id": pl.Int64, "name": pl.Utf8, "ok": pl.Boolean}
    pdf = pl.DataFrame(data, schema=schema)
    df = weft.from_arrow(pdf)
    with pl.Config(tbl_rows=10):
        assert df._repr_html_() == _as_weft_types(pdf._repr_html_())
        assert df["name"]._repr_html_() == _as_weft_types(pdf["name"]._repr_html_())
    assert f"<small>shape: ({n}, 3)</small>" in df._repr_html_()


# ------------------------------------------------- FlatIndex.search: what its docstring says


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
@pytest.mark.parametrize("n, k", [(1, 4), (3, 5), (7, 7), (9, 4)])
def test_search_distances_and_padding_are_as_documented(metric, n, k):
    rng = np.random.default_rng(n * 10 + k)
    xb = rng.standard_normal((n, 6)).astype(np.float32)
    xq = rng.standard_normal((4, 6)).astype(np.float32)
    index = weft.FlatIndex(dim=6, metric=metric)
    index.add(xb)
    D, I = index.search(xq, k=k)
    assert D.shape == I.shape == (4, k) and D.dtype == np.float32 and I.dtype == np.int64
    q, b = xq.astype(np.float64), xb.astype(np.float64)
    if metric == "l2":
        ref = ((q[:, None, :] - b[None, :, :]) ** 2).sum(-1)  # squared, not the distance
    elif metric == "ip":
        ref = q @ b.T
    else:
        ref = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    m = min(n, k)
    np.testing.assert_allclose(D[:, :m], np.take_along_axis(ref, I[:, :m], 1), rtol=1e-4, atol=1e-4)
    order = np.sort(ref, 1) if metric == "l2" else -np.sort(-ref, 1)
    np.testing.assert_allclose(D[:, :m], order[:, :m], rtol=1e-4, atol=1e-4)
    assert np.all(I[:, m:] == -1)  # k past the vectors: id -1 ...
    assert np.all(D[:, m:] == (np.inf if metric == "l2" else -np.inf))  # ... and inf / -inf
    doc = " ".join(weft.FlatIndex.search.__doc__.split())
    assert "*squared* Euclidean distances" in doc and "id -1 and distance inf" in doc
