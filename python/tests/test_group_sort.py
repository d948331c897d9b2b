"""group_by / sort / unique checked against Polars (group_by(maintain_order=True),
sort(nulls_last=True, maintain_order=True), unique(keep="first", maintain_order=True)) on
fresh random data with nulls, NaN and strings; empty and one-row tables."""

import ctypes
import datetime

import numpy as np
import pytest

import weft
from weft import _lib

import polars as pl
import polars.testing as plt
import weft.expr as expr

from weft import _csv, _group  # noqa: E402

col = expr.col

_NP = {
    _lib.WEFT_TYPE_INT8: np.int8, _lib.WEFT_TYPE_INT16: np.int16, _lib.WEFT_TYPE_INT32: np.int32,
    _lib.WEFT_TYPE_INT64: np.int64, _lib.WEFT_TYPE_UINT8: np.uint8, _lib.WEFT_TYPE_UINT16: np.uint16,
    _lib.WEFT_TYPE_UINT32: np.uint32, _lib.WEFT_TYPE_UINT64: np.uint64,
    _lib.WEFT_TYPE_FLOAT32: np.float32, _lib.WEFT_TYPE_FLOAT64: np.float64,
    _lib.WEFT_TYPE_DATE32: np.int32, _lib.WEFT_TYPE_TIMESTAMP_US: np.int64,
}


def _bits(address, offset, n):
    if not address:
        return np.ones(n, dtype=bool)
    nbytes = (offset + n + 7) // 8
    raw = np.frombuffer((ctypes.c_uint8 * nbytes).from_address(address), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[offset:offset + n].astype(bool)


def _series(name, v):
    """A Polars Series of a weft column view, read straight from its buffers."""
    n, off = v.length, v.offset
    valid = _bits(v.validity, off, n)
    if v.type == _lib.WEFT_TYPE_BOOL:
        values, dtype = list(_bits(v.values, off, n)), pl.Boolean
    elif v.type == _lib.WEFT_TYPE_UTF8:
        offs = np.frombuffer((ctypes.c_int32 * (off + n + 1)).from_address(v.values), dtype=np.int32)
        end = int(offs[off + n]) if n else 0
        data = ctypes.string_at(v.data, end) if end else b""
        values = [data[offs[off + i]:offs[off + i + 1]].decode("utf-8") for i in range(n)]
        dtype = pl.String
    else:
        np_t = _NP[v.type]
        size = np.dtype(np_t).itemsize * (off + n)
        arr = np.frombuffer((ctypes.c_char * size).from_address(v.values), dtype=np_t)[off:off + n] if n else []
        values = list(arr.tolist()) if n else []
        dtype = {_lib.WEFT_TYPE_DATE32: pl.Int32, _lib.WEFT_TYPE_TIMESTAMP_US: pl.Int64}.get(
            v.type, pl.from_numpy(np.zeros(1, np_t)).dtypes[0])
    values = [x if ok else None for x, ok in zip(values, valid)]
    s = pl.Series(name, values, dtype=dtype)
    if v.type == _lib.WEFT_TYPE_DATE32:
        s = s.cast(pl.Date)
    elif v.type == _lib.WEFT_TYPE_TIMESTAMP_US:
        s = s.cast(pl.Datetime("us"))
    return s


def to_polars(df):
    h = df._handle
    ncols = ctypes.c_size_t()
    _lib.weft_table_num_columns(h, ctypes.byref(ncols))
    cols = []
    for i in range(ncols.value):
        name = ctypes.c_char_p()
        _lib.weft_table_column_name(h, i, ctypes.byref(name))
        v = _lib.weft_column_view()
        assert _lib.weft_table_column(h, i, ctypes.byref(v)) == 0
        cols.append(_series(name.value.decode("utf-8"), v))
    return pl.DataFrame(cols)


def from_polars(frame, tmp_path):
    """Polars -> CSV -> weft, with the Polars types given."""
    path = tmp_path / "t.csv"
    frame.write_csv(path)
    return _csv.read_csv(path, schema_overrides={c: str(t) for c, t in frame.schema.items()})


WORDS = ["a", "b", "ab", "", "zz", "日本", "b "]


def random_frame(rng, n, groups=5, null_rate=0.15):
    def nulls(values):
        return [None if m else v for v, m in zip(values, rng.random(n) < null_rate)]

    floats = rng.standard_normal(n) * 100
    floats[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "k": pl.Series(nulls(rng.integers(-groups, groups, n).tolist()), dtype=pl.Int64),
        "s": pl.Series(nulls([WORDS[i] for i in rng.integers(0, len(WORDS), n)]), dtype=pl.String),
        "b": pl.Series(nulls((rng.random(n) < 0.5).tolist()), dtype=pl.Boolean),
        "d": pl.Series(nulls([datetime.date(2020, 1, 1) + datetime.timedelta(days=int(x))
                              for x in rng.integers(0, groups, n)]), dtype=pl.Date),
        "v": pl.Series(nulls(floats.tolist()), dtype=pl.Float64),
        "i": pl.Series(nulls(rng.integers(-1000, 1000, n).tolist()), dtype=pl.Int64),
        "w": pl.Series(nulls(rng.integers(-(2**40), 2**40, n).tolist()), dtype=pl.Int64),
    })


def both_aggs(c, kinds):
    """The same aggregations for weft and for Polars, named alike."""
    ours, theirs = [], []
    for k in kinds:
        name = f"{c}_{k}"
        ours.append(getattr(col(c), k)().alias(name))
        theirs.append(getattr(pl.col(c), k)().alias(name))
    return ours, theirs


NUMERIC = ["sum", "mean", "min", "max", "count", "n_unique", "std", "var", "first", "last"]
ANY = ["min", "max", "count", "n_unique", "first", "last"]


@pytest.mark.parametrize("n", [0, 1, 17, 5000])
@pytest.mark.parametrize("keys", [["k"], ["s"], ["s", "b"], ["d", "k"], ["b"]])
def test_group_by_matches_polars(rng, tmp_path, n, keys):
    frame = random_frame(rng, n)
    df = from_polars(frame, tmp_path)
    ours, theirs = [], []
    for c, kinds in [("v", NUMERIC), ("i", NUMERIC), ("s", ANY), ("b", ANY), ("d", ANY)]:
        o, t = both_aggs(c, kinds)
        ours += o
        theirs += t
    got = to_polars(_group.group_by(df, keys).agg(ours, expr.len()))
    want = frame.group_by(keys, maintain_order=True).agg(theirs + [pl.len()])
    want = want.with_columns(pl.col("i_sum").cast(pl.Int64))
    plt.assert_frame_equal(got, want, check_exact=False)
    assert "cpu:0" in weft.last_report()


def test_group_by_no_keys_and_wide_ints(rng, tmp_path):
    frame = random_frame(rng, 3001, groups=1000)
    df = from_polars(frame, tmp_path)
    o, t = both_aggs("v", ["sum", "mean", "std"])
    got = to_polars(_group.group_by(df, []).agg(o))
    plt.assert_frame_equal(got, frame.select(t), check_exact=False)
    o, t = both_aggs("v", ["sum", "max"])
    got = to_polars(_group.group_by(df, "w").agg(o))  # wide int64 keys: the hash path
    plt.assert_frame_equal(got, frame.group_by("w", maintain_order=True).agg(t), check_exact=False)


def test_group_by_errors(rng, tmp_path):
    df = from_polars(random_frame(rng, 10), tmp_path)
    with pytest.raises(weft.InvalidArgumentError, match="column name, not an aggregation"):
        _group.group_by(df, "k").agg("v")
    with pytest.raises(weft.NotFoundError, match="nope"):
        _group.group_by(df, "nope").agg(col("v").sum())
    with pytest.raises(weft.InvalidArgumentError, match="sum"):
        _group.group_by(df, "k").agg(col("s").sum())
    with pytest.raises(weft.InvalidArgumentError, match="twice"):
        _group.group_by(df, "k").agg(col("v").sum().alias("k"))


@pytest.mark.parametrize("n", [0, 1, 2, 999, 20001])
def test_sort_matches_polars(rng, tmp_path, n):
    frame = random_frame(rng, n, groups=50).with_row_index("row")
    df = from_polars(frame, tmp_path)
    cases = [("v", False), ("v", True), ("k", True), ("s", False), ("b", True), ("d", False),
             (["s", "v"], [False, True]), (["b", "k", "i"], [True, False, True]), (["d", "s"], False)]
    for by, desc in cases:
        got = to_polars(_group.sort(df, by, descending=desc))
        want = frame.sort(by, descending=desc, nulls_last=True, maintain_order=True)
        plt.assert_frame_equal(got, want)


def test_sort_errors(rng, tmp_path):
    df = from_polars(random_frame(rng, 10), tmp_path)
    with pytest.raises(weft.NotFoundError, match="nope"):
        _group.sort(df, "nope")
    with pytest.raises(weft.InvalidArgumentError, match="descending"):
        _group.sort(df, ["k", "v"], descending=[True])


@pytest.mark.parametrize("n", [0, 1, 3000])
def test_unique_matches_polars(rng, tmp_path, n):
    frame = random_frame(rng, n, groups=3)
    df = from_polars(frame, tmp_path)
    for subset in [None, "k", ["s", "b"], ["d", "k", "b"]]:
        got = to_polars(_group.unique(df, subset))
        want = frame.unique(subset=subset, keep="first", maintain_order=True)
        plt.assert_frame_equal(got, want)


def test_dataframe_methods(rng, tmp_path):
    """The DataFrame methods delegate here with the same results."""
    frame = random_frame(rng, 500, groups=4)
    df = from_polars(frame, tmp_path)
    got = to_polars(df.group_by("s", "b").agg(col("v").mean().alias("m"), expr.len()))
    want = frame.group_by(["s", "b"], maintain_order=True).agg(pl.col("v").mean().alias("m"), pl.len())
    plt.assert_frame_equal(got, want, check_exact=False)
    plt.assert_frame_equal(to_polars(df.sort(["k", "v"], descending=[True, False])),
                           frame.sort(["k", "v"], descending=[True, False], nulls_last=True,
                                      maintain_order=True))
    plt.assert_frame_equal(to_polars(df.unique(["d"])),
                           frame.unique(subset=["d"], keep="first", maintain_order=True))
