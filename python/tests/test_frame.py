"""weft.DataFrame: construction (zero-copy from numpy), Arrow / Polars / pandas round trips,
display, slices, concat, describe and errors."""

import datetime
import gc

import numpy as np
import pytest

import weft

INT_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def random_frame(rng, n, null_rate=0.3):
    """A dict of every type as Python lists with None (reference values)."""

    def nulls(values):
        mask = rng.random(n) < null_rate
        return [None if m else v for v, m in zip(values, mask)]

    words = ["", "a", "bb", "héllo", "a longer string of text", "x" * 40]
    return {
        "b": nulls(rng.random(n) < 0.5),
        "i": nulls(rng.integers(-(2**40), 2**40, n).tolist()),
        "f": nulls(rng.normal(size=n).tolist()),
        "s": nulls([words[k] for k in rng.integers(0, len(words), n)]),
        "d": nulls([datetime.date(1970, 1, 1) + datetime.timedelta(days=int(k))
                    for k in rng.integers(-30000, 30000, n)]),
        "t": nulls([datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=int(k))
                    for k in rng.integers(-(2**50), 2**50, n)]),
    }


def clean(values):
    return [bool(v) if isinstance(v, (bool, np.bool_)) else v for v in values]


# ---------------------------------------------------------------------------- construction


def test_numpy_columns_are_not_copied():
    a = np.arange(10, dtype=np.float64)
    i = np.arange(10, dtype=np.int32)
    df = weft.DataFrame({"a": a, "i": i})
    a[3] = 99.5
    i[0] = -7
    assert df["a"].to_numpy()[3] == 99.5
    assert df["i"].to_numpy()[0] == -7
    assert not df["a"].to_numpy().flags.writeable
    out = df["a"].to_numpy()
    del a, i, df
    gc.collect()
    assert out[3] == 99.5  # the numpy view keeps the table, which keeps the array


def test_data_outlives_the_numpy_array():
    df = weft.DataFrame({"x": np.arange(1000, dtype=np.int64) * 3})
    gc.collect()
    assert df["x"].to_numpy().sum() == 3 * 999 * 1000 // 2
    s = df.slice(10, 5)
    del df
    gc.collect()
    assert s["x"].to_list() == [30, 33, 36, 39, 42]


def test_release_after_the_last_user():
    from weft import _columns

    before = len(_columns._KEEP)
    df = weft.DataFrame({"x": np.arange(5.0)})
    assert len(_columns._KEEP) == before + 1
    s = df.slice(1, 2)
    del df
    gc.collect()
    assert len(_columns._KEEP) == before + 1  # the slice still reads the memory
    del s
    gc.collect()
    assert len(_columns._KEEP) == before


@pytest.mark.parametrize("dtype", INT_TYPES + ["float32", "float64"])
def test_every_numpy_type(rng, dtype):
    info = np.iinfo(dtype) if dtype in INT_TYPES else None
    if info:
        a = rng.integers(info.min, info.max, 37, dtype=dtype, endpoint=True)
    else:
        a = rng.normal(size=37).astype(dtype)
    df = weft.DataFrame({"v": a})
    assert df.schema == {"v": dtype}
    np.testing.assert_array_equal(df["v"].to_numpy(), a)
    assert df["v"].to_numpy().dtype == a.dtype
    # masked: nulls; float copy with NaN
    m = np.ma.masked_array(a, mask=np.arange(37) % 4 == 1)
    dm = weft.DataFrame({"v": m})
    assert dm["v"].null_count() == 9
    got = dm["v"].to_numpy()
    assert np.isnan(got[1::4]).all()
    np.testing.assert_array_equal(got[0::4], a[0::4].astype(got.dtype))
    assert dm["v"].to_list() == [None if k % 4 == 1 else a[k].item() for k in range(37)]


def test_bool_dates_timestamps_from_numpy():
    b = np.array([True, False, True, True, False, False, True, False, True])
    d = np.array(["2020-02-29", "NaT", "1900-01-01"], dtype="datetime64[D]")
    t = np.array(["2020-02-29T12:00:00.000001", "NaT", "1960-01-01"], dtype="datetime64[us]")
    df = weft.DataFrame({"b": b})
    assert df.schema == {"b": "bool"}
    np.testing.assert_array_equal(df["b"].to_numpy(), b)
    dt = weft.DataFrame({"d": d, "t": t, "ns": t.astype("datetime64[ns]"), "ms": t.astype("datetime64[ms]")})
    assert dt.schema == {"d": "date32", "t": "timestamp[us]", "ns": "timestamp[us]", "ms": "timestamp[us]"}
    assert dt["d"].to_list() == [datetime.date(2020, 2, 29), None, datetime.date(1900, 1, 1)]
    np.testing.assert_array_equal(dt["t"].to_numpy(), t)  # NaT for null
    assert dt["ns"].to_list() == dt["t"].to_list()
    assert dt["ms"].to_list()[0] == datetime.datetime(2020, 2, 29, 12)


def test_lists_with_none(rng):
    ref = random_frame(rng, 50)
    df = weft.DataFrame(ref)
    assert df.schema == {"b": "bool", "i": "int64", "f": "float64", "s": "utf8", "d": "date32",
                         "t": "timestamp[us]"}
    for name, values in ref.items():
        assert df[name].to_list() == clean(values), name
    assert weft.DataFrame({"m": [1, 2.5, None]}).schema == {"m": "float64"}
    assert weft.DataFrame({"n": [None, None]}).schema == {"n": "float64"}
    assert weft.DataFrame({"u": np.array(["x", "yz"])})["u"].to_list() == ["x", "yz"]
    assert weft.DataFrame({"o": np.array(["x", None], dtype=object)})["o"].to_list() == ["x", None]
    assert weft.DataFrame({"nan": [1.0, float("nan")]})["nan"].null_count() == 0  # NaN is a value
    aware = datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert weft.DataFrame({"z": [aware]})["z"].to_list() == [datetime.datetime(2020, 1, 1, 10)]


def test_empty_and_one_row():
    e = weft.DataFrame()
    assert e.shape == (0, 0) and e.columns == []
    z = weft.DataFrame({"a": np.zeros(0), "s": []})
    assert z.shape == (0, 2)
    assert z["a"].to_numpy().shape == (0,)
    assert z["s"].to_list() == []
    one = weft.DataFrame({"a": [1], "s": ["x"]})
    assert one.shape == (1, 2) and one["s"].to_list() == ["x"]
    assert "shape: (0, 2)" in repr(z)


def test_bad_input_errors():
    with pytest.raises(weft.InvalidArgumentError, match=r"'a' has 3.*'b' has 2"):
        weft.DataFrame({"a": [1, 2, 3], "b": [1, 2]})
    with pytest.raises(weft.InvalidArgumentError, match=r"'c'.*complex128"):
        weft.DataFrame({"c": np.zeros(3, dtype=complex)})
    with pytest.raises(weft.InvalidArgumentError, match=r"'h'.*float16"):
        weft.DataFrame({"h": np.zeros(3, dtype=np.float16)})
    with pytest.raises(weft.InvalidArgumentError, match=r"'m'.*mixes.*int.*str"):
        weft.DataFrame({"m": [1, "x"]})
    with pytest.raises(weft.InvalidArgumentError, match=r"'o'.*dict"):
        weft.DataFrame({"o": [{"a": 1}]})
    with pytest.raises(weft.InvalidArgumentError, match=r"'g'.*int64"):
        weft.DataFrame({"g": [2**70]})
    with pytest.raises(weft.InvalidArgumentError, match=r"'three'.*shape"):
        weft.DataFrame({"three": np.zeros((2, 2, 2))})  # 2-D is a vector column
    with pytest.raises(weft.InvalidArgumentError, match=r"'ns'.*nanoseconds"):
        weft.DataFrame({"ns": np.array([1], dtype="datetime64[ns]")})
    with pytest.raises(weft.InvalidArgumentError):
        weft.DataFrame(42)
    with pytest.raises(weft.NotFoundError, match="nope"):
        weft.DataFrame({"a": [1]})["nope"]


# ---------------------------------------------------------------------------- access


def test_schema_slices_head_tail(rng):
    ref = random_frame(rng, 23)
    df = weft.DataFrame(ref)
    assert df.shape == (23, 6) and len(df) == 23 and df.height == 23 and df.width == 6
    assert df.columns == list(ref)
    assert df.dtypes == list(df.schema.values())
    for off, length in [(0, 5), (3, 10), (20, 100), (23, 1), (30, 2), (-5, None), (-5, -2), (4, 0)]:
        s = df.slice(off, length)
        lo = max(23 + off, 0) if off < 0 else min(off, 23)
        hi = 23 if length is None else (23 + length if length < 0 else min(lo + length, 23))
        assert s.height == max(hi - lo, 0), (off, length)
        assert s["s"].to_list() == clean(ref["s"][lo:hi])
        assert s["i"].to_list() == ref["i"][lo:hi]
    assert df.head(3)["i"].to_list() == ref["i"][:3]
    assert df.tail(4)["f"].to_list() == ref["f"][-4:]
    assert df.head(-20)["i"].to_list() == ref["i"][:3]
    assert df.tail(-20)["i"].to_list() == ref["i"][20:]
    assert df[2:6]["b"].to_list() == clean(ref["b"][2:6])
    assert df[["s", "i"]].columns == ["s", "i"]
    assert df["i"][3] == ref["i"][3] and df["i"][-1] == ref["i"][-1]
    assert df.to_dict(as_series=False)["d"] == ref["d"]
    assert weft.DataFrame({"x": df["i"]})["x"].to_list() == ref["i"]


def test_concat(rng):
    # (a list of only None would make a float64 column: the one-row part has no nulls)
    parts = [random_frame(rng, n, 0.0 if n == 1 else 0.3) for n in (5, 4, 1, 17)]
    frames = [weft.DataFrame(p) for p in parts]
    frames[1] = frames[1].head(0)  # empty lists would be float64 columns of no rows
    parts[1] = {k: [] for k in parts[1]}
    frames[3] = frames[3].slice(3)  # an offset that is not a multiple of 8
    parts[3] = {k: v[3:] for k, v in parts[3].items()}
    c = weft.concat(frames)
    for name in parts[0]:
        assert c[name].to_list() == clean(sum((p[name] for p in parts), [])), name
    with pytest.raises(weft.InvalidArgumentError, match="'s'|\"s\""):
        weft.concat([frames[0], weft.DataFrame({**parts[0], "s": [1] * 5})])
    with pytest.raises(weft.InvalidArgumentError):
        weft.concat([])


def test_equals_and_describe():
    a = weft.DataFrame({"x": [1.0, float("nan"), None], "s": ["a", None, "c"]})
    b = weft.DataFrame({"x": np.ma.masked_array([1.0, np.nan, 7.0], mask=[0, 0, 1]), "s": ["a", None, "c"]})
    assert a.equals(b)
    assert not a.equals(weft.DataFrame({"x": [1.0, float("nan"), 2.0], "s": ["a", None, "c"]}))
    assert not a.equals(weft.DataFrame({"x": [1.0, float("nan"), None], "s": ["a", "b", "c"]}))
    d = weft.DataFrame({"i": [1, 2, None, 4], "f": [0.5, None, None, None], "s": ["a"] * 4}).describe()
    assert d.columns == ["statistic", "i", "f", "s"]
    stats = dict(zip(d["statistic"].to_list(), d["i"].to_list()))
    assert stats == {"count": 3.0, "null_count": 1.0, "mean": pytest.approx(7 / 3),
                     "std": pytest.approx(np.std([1, 2, 4], ddof=1)), "min": 1.0, "25%": 2.0,
                     "50%": 2.0, "75%": 4.0, "max": 4.0}
    assert d["f"].to_list() == [1.0, 3.0, 0.5, None, 0.5, 0.5, 0.5, 0.5, 0.5]
    assert d["s"].to_list() == ["4", "0", None, None, "a", None, None, None, "a"]


# ---------------------------------------------------------------------------- display


def test_repr_shows_names_types_values_and_truncates():
    df = weft.DataFrame({"idx": np.arange(100), "name": [f"n{k}" for k in range(100)],
                         "flag": [k % 3 == 0 if k % 5 else None for k in range(100)]})
    text = repr(df)
    assert "shape: (100, 3)" in text
    for word in ("idx", "name", "flag", "int64", "utf8", "bool", '"n0"', '"n99"', "null", "…"):
        assert word in text, word
    assert '"n50"' not in text
    assert len(text.splitlines()) == 1 + 5 + 11 + 1
    small = repr(df.head(3))
    assert "…" not in small and '"n2"' in small
    page = df._repr_html_()
    assert "<table" in page and "<th>idx</th>" in page and "<td>utf8</td>" in page
    assert "&hellip;" in page and "&quot;n99&quot;" in page and "n50" not in page
    evil = weft.DataFrame({"<b>": ["<script>x</script>"]})._repr_html_()
    assert "<script>" not in evil and "&lt;b&gt;" in evil
    wide = weft.DataFrame({f"c{k}": [k] for k in range(30)})
    assert "c0" in repr(wide) and "c29" in repr(wide) and "c15" not in repr(wide)
    s = repr(df["name"])
    assert "Series: 'name' [utf8]" in s and '"n0"' in s and "…" in s
    long = repr(weft.DataFrame({"t": ["y" * 100]}))
    assert "y" * 100 not in long and "…" in long


# ---------------------------------------------------------------------------- pyarrow


def arrow_reference(pa, rng, n):
    ref = random_frame(rng, n)
    return pa.table({
        "b": pa.array(ref["b"], pa.bool_()),
        "i8": pa.array([None if v is None else v % 100 for v in ref["i"]], pa.int8()),
        "i16": pa.array([None if v is None else v % 30000 for v in ref["i"]], pa.int16()),
        "i32": pa.array([None if v is None else v % 2**31 for v in ref["i"]], pa.int32()),
        "i64": pa.array(ref["i"], pa.int64()),
        "u8": pa.array([None if v is None else v % 256 for v in ref["i"]], pa.uint8()),
        "u16": pa.array([None if v is None else v % 65536 for v in ref["i"]], pa.uint16()),
        "u32": pa.array([None if v is None else v % 2**32 for v in ref["i"]], pa.uint32()),
        "u64": pa.array([None if v is None else v % 2**64 for v in ref["i"]], pa.uint64()),
        "f32": pa.array(ref["f"], pa.float32()),
        "f64": pa.array(ref["f"], pa.float64()),
        "s": pa.array(ref["s"], pa.string()),
        "d": pa.array(ref["d"], pa.date32()),
        "t": pa.array(ref["t"], pa.timestamp("us")),
    })


@pytest.mark.parametrize("n", [0, 1, 37, 300])
def test_pyarrow_round_trip(rng, n):
    import pyarrow as pa
    table = arrow_reference(pa, rng, n)
    df = weft.from_arrow(table)
    assert df.shape == (n, table.num_columns)
    assert df.schema["u64"] == "uint64" and df.schema["t"] == "timestamp[us]"
    back = df.to_arrow()
    assert back.equals(table)
    assert pa.table(df).equals(table)
    for off, length in [(0, n), (3, 20), (n // 2, n)]:
        sl = table.slice(off, length)
        assert weft.from_arrow(sl).to_arrow().equals(sl)
        assert weft.from_arrow(table).slice(off, length).to_arrow().equals(sl)
    for name in ("i64", "s", "d"):
        assert df[name].to_list() == table.column(name).to_pylist()


def test_pyarrow_zero_copy_and_batches(rng):
    import pyarrow as pa
    values = np.arange(1000, dtype=np.float64)
    table = pa.table({"v": values})
    df = weft.from_arrow(table)
    buf = table.column("v").chunks[0].buffers()[1]
    assert df["v"].to_numpy().ctypes.data == buf.address  # imported in place
    out = df.to_arrow()
    assert out.column("v").chunks[0].buffers()[1].address == buf.address  # exported in place
    del table, df
    gc.collect()
    assert out.column("v").to_numpy()[999] == 999.0
    batch = pa.record_batch({"x": [1, None, 3], "s": ["a", "b", None]})
    assert weft.from_arrow(batch).to_arrow().equals(pa.Table.from_batches([batch]))
    struct = batch.to_struct_array()
    assert weft.from_arrow(struct).columns == ["x", "s"]
    chunked = pa.Table.from_batches([batch, batch.slice(1), batch.slice(0, 0)])
    got = weft.from_arrow(chunked)
    assert got.to_arrow().equals(chunked.combine_chunks())
    reader = pa.RecordBatchReader.from_batches(batch.schema, [])
    empty = weft.from_arrow(reader)
    assert empty.shape == (0, 2) and empty.schema == {"x": "int64", "s": "utf8"}
    large = pa.table({"l": pa.array(["x", None, "yz"], pa.large_string())})
    assert weft.from_arrow(large)["l"].to_list() == ["x", None, "yz"]
    view = pa.table({"v": pa.array(["short", None, "a string longer than twelve"], pa.string_view())})
    assert weft.from_arrow(view)["v"].to_list() == ["short", None, "a string longer than twelve"]
    tz = pa.table({"t": pa.array([0, 1], pa.timestamp("us", tz="UTC"))})
    assert weft.from_arrow(tz).schema == {"t": "timestamp[us]"}


def test_pyarrow_unsupported_types_name_the_column(rng):
    import pyarrow as pa
    with pytest.raises(weft.UnsupportedError, match=r'"when".*"tDs"'):
        weft.from_arrow(pa.table({"ok": [1], "when": pa.array([1], pa.duration("s"))}))
    # ns timestamps become weft's us when lossless; else the column is named
    with pytest.raises(weft.InvalidArgumentError, match=r"column 'when' is timestamp\[ns\]"):
        weft.from_arrow(pa.table({"ok": [1], "when": pa.array([1], pa.timestamp("ns"))}))
    # dictionaries of strings are categorical columns (test_categorical.py); of numbers, refused
    with pytest.raises(weft.UnsupportedError, match=r'"cat".*dictionary'):
        weft.from_arrow(pa.table({"cat": pa.array([1.5, 2.5]).dictionary_encode()}))
    with pytest.raises(weft.UnsupportedError, match=r'"lst"'):
        weft.from_arrow(pa.table({"lst": [[1, 2]]}))
    with pytest.raises(weft.InvalidArgumentError, match="__arrow_c_stream__"):
        weft.from_arrow([1, 2, 3])
    t = pa.table({"x": [1, 2]})  # a failed import leaves the source usable
    with pytest.raises(weft.UnsupportedError):
        weft.from_arrow(pa.table({"x": [1, 2], "h": pa.array([1, 2], pa.float16())}))
    assert weft.from_arrow(t)["x"].to_list() == [1, 2]


def test_pyarrow_construction_from_dict():
    import pyarrow as pa
    df = weft.DataFrame({"a": pa.array([1, None]), "b": pa.chunked_array([["x"], ["y"]])})
    assert df["a"].to_list() == [1, None] and df["b"].to_list() == ["x", "y"]
    assert df["a"].to_arrow().to_pylist() == [1, None]


# ---------------------------------------------------------------------------- polars, pandas


def test_polars_round_trip(rng):
    import polars as pl
    import pyarrow as pa
    pdf = pl.from_arrow(arrow_reference(pa, rng, 60))
    df = weft.from_arrow(pdf)  # Polars exports string views: copied into utf8
    assert df.schema["s"] == "utf8"
    back = df.to_polars()
    assert back.equals(pdf)
    assert pl.DataFrame(df).equals(pdf)
    assert pl.from_arrow(df.to_arrow()).equals(pdf)
    sl = pdf.slice(7, 20)
    assert weft.from_arrow(sl).to_polars().equals(sl)
    empty = pdf.head(0)
    assert weft.from_arrow(empty).to_polars().equals(empty)
    assert weft.DataFrame({"p": pl.Series([1, None, 3])})["p"].to_list() == [1, None, 3]


def test_pandas_round_trip():
    import pandas as pd
    pdf = pd.DataFrame({
        "i": [1, 2, 3],
        "f": [0.5, None, 2.0],
        "s": ["a", None, "c"],
        "t": pd.to_datetime(["2020-01-01T00:00:00", "2021-06-01T12:00:00", None]),
        "c": pd.Categorical(["x", "y", "x"]),
    })
    df = weft.from_arrow(pdf)
    assert df.schema == {"i": "int64", "f": "float64", "s": "utf8", "t": "timestamp[us]", "c": "categorical"}
    assert df["s"].to_list() == ["a", None, "c"]
    assert df["t"].to_list()[1] == datetime.datetime(2021, 6, 1, 12)
    assert df["c"].to_list() == ["x", "y", "x"]
    back = df.to_pandas()
    assert back["i"].tolist() == [1, 2, 3]
    assert weft.DataFrame(pdf).shape == (3, 5)


def test_lazy_gives_a_lazy_frame():  # the LazyFrame itself: test_lazy.py
    lf = weft.DataFrame({"a": [1]}).lazy()
    assert isinstance(lf, weft.LazyFrame) and lf.collect()["a"].to_list() == [1]


def test_frames_freed_on_other_threads():
    import threading

    from weft import _columns

    before = len(_columns._KEEP)
    frames = [weft.DataFrame({"x": np.arange(100.0) + k, "s": ["a"] * 100}) for k in range(50)]
    views = [f.slice(5, 10) for f in frames]

    def drop(items):
        while items:
            items.pop()
        gc.collect()

    threads = [threading.Thread(target=drop, args=(chunk,)) for chunk in (frames, views)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gc.collect()
    assert len(_columns._KEEP) == before


def test_frames_alive_at_interpreter_exit():
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, weft\n"
        "df = weft.DataFrame({'x': np.arange(10.0), 's': ['a'] * 10})\n"
        "keep = [df.slice(2, 3), df['x'].to_numpy(), df.__arrow_c_stream__()]\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok" and out.stderr == ""


# ---------------------------------------------------------------------------- other inputs


def test_from_2d_numpy_array_as_polars():
    arr = np.arange(6, dtype=np.float64).reshape(3, 2)
    df = weft.DataFrame(arr)
    assert df.shape == (3, 2)
    assert df.columns == ["column_0", "column_1"]
    assert df["column_1"].to_list() == [1.0, 3.0, 5.0]
    assert weft.DataFrame(np.zeros((3, 2))).shape == (3, 2)
    one = weft.DataFrame(np.arange(4))
    assert one.columns == ["column_0"] and one["column_0"].to_list() == [0, 1, 2, 3]
    pl = pytest.importorskip("polars")
    assert df.columns == pl.DataFrame(arr).columns


def test_from_list_of_dicts_as_polars():
    rows = [{"a": 1, "b": "x"}, {"b": "y", "c": 2.5}]
    df = weft.DataFrame(rows)
    assert df.columns == ["a", "b", "c"]
    assert df.to_dict(as_series=False) == {"a": [1, None], "b": ["x", "y"], "c": [None, 2.5]}
    assert weft.DataFrame([]).shape == (0, 0)
    pl = pytest.importorskip("polars")
    assert df.to_dict(as_series=False) == pl.DataFrame(rows).to_dict(as_series=False)


@pytest.mark.parametrize("data", [42, "text", [1, 2, 3], [{"a": 1}, 5], np.zeros((2, 2, 2))])
def test_unsupported_input_names_weft_dataframe(data):
    with pytest.raises(weft.InvalidArgumentError) as e:
        weft.DataFrame(data)
    assert str(e.value).startswith("weft.DataFrame:"), str(e.value)
    assert "from_arrow" not in str(e.value)


# ---------------------------------------------------------------------------- Polars' API


def test_null_count_is_a_method():
    s = weft.DataFrame({"v": [1.0, None, 3.0, None]})["v"]
    assert s.null_count() == 2


def test_drop():
    df = weft.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, 1.5]})
    assert df.drop("b").columns == ["a", "c"]
    assert df.drop("a", "c").columns == ["b"]
    assert df.drop(["a", "b"]).to_dict(as_series=False) == {"c": [0.5, 1.5]}
    assert df.drop("zz", strict=False).columns == ["a", "b", "c"]
    with pytest.raises(weft.NotFoundError, match="^DataFrame.drop: .*zz"):
        df.drop("zz")
    lf = df.lazy()
    assert lf.drop("b").collect().columns == ["a", "c"]
    with pytest.raises(weft.NotFoundError, match="LazyFrame.drop"):
        lf.drop("zz")


def test_rename():
    df = weft.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    out = df.rename({"a": "id"})
    assert out.columns == ["id", "b"] and out["id"].to_list() == [1, 2]
    assert df.rename(str.upper).columns == ["A", "B"]
    with pytest.raises(weft.NotFoundError, match="DataFrame.rename"):
        df.rename({"zz": "q"})
    assert df.rename({"zz": "q"}, strict=False).columns == ["a", "b"]
    with pytest.raises(weft.InvalidArgumentError, match="repeat"):
        df.rename({"a": "b"})
    lazy = df.lazy().rename({"b": "name"}).collect()
    assert lazy.columns == ["a", "name"] and lazy["name"].to_list() == ["x", "y"]
    with pytest.raises(weft.NotFoundError, match="LazyFrame.rename"):
        df.lazy().rename({"zz": "q"})


def test_boolean_mask_indexing():
    df = weft.DataFrame({"a": [1, 2, 3, 4], "s": ["w", "x", "y", "z"]})
    mask = np.array([True, False, True, False])
    assert df[mask].to_dict(as_series=False) == {"a": [1, 3], "s": ["w", "y"]}
    with_null = weft.DataFrame({"m": [True, None, False, True]})["m"]
    assert df[with_null]["a"].to_list() == [1, 4]  # null counts as false
    assert df.filter(mask).height == 2
    both = df.with_columns((weft.col("a") > 2).alias("big"))
    assert both[both["big"]]["a"].to_list() == [3, 4]
    with pytest.raises(weft.InvalidArgumentError, match="3 values"):
        df[np.array([True, False, True])]
    with pytest.raises(weft.InvalidArgumentError, match="not bool"):
        df[df["a"]]


def test_star_import_keeps_the_builtins():
    namespace = {}
    exec("from weft import *", namespace)  # noqa: S102
    for name in ("len", "sum", "min", "max"):
        assert name not in namespace, name
    assert "DataFrame" in namespace and "col" in namespace
    assert weft.sum(np.arange(4.0)) == 6.0 and weft.min(np.arange(4.0)) == 0.0
    assert callable(weft.len) and callable(weft.max)


def test_series_constructor_as_polars():
    """weft.Series(name, values, dtype) and weft.Series(values), as pl.Series."""
    import polars as pl
    cases = [(("x", [1, 2, None]), pl.Series("x", [1, 2, None])),
             (("y", [1.5, None, -2.0]), pl.Series("y", [1.5, None, -2.0])),
             (("s", ["a", None, "é"]), pl.Series("s", ["a", None, "é"])),
             (([3, 4],), pl.Series([3, 4])),
             (("d", [1, 2], "float64"), pl.Series("d", [1, 2], dtype=pl.Float64)),
             (("e",), pl.Series("e"))]
    for args, want in cases:
        got = weft.Series(*args)
        assert got.name == want.name, args
        assert got.to_list() == want.to_list(), args
        assert len(got) == len(want), args
        repr(got)  # a Series made this way prints (it used to crash)
    assert weft.Series("d", [1, 2], "float64").dtype == "float64"
