"""DLPack out of a Series, DataFrame.to_numpy against Polars, weft.from_dlpack / from_pandas /
from_polars (issue 16)."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

import weft

NUMERIC = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64"]


def _data(rng, dtype, n):
    if dtype == "bool":
        return rng.random(n) < 0.5
    if dtype.startswith("float"):
        return rng.normal(size=n).astype(dtype)
    return rng.integers(0, 100, size=n).astype(dtype)


def _with_nulls(rng, values):
    return np.ma.masked_array(values, mask=rng.random(len(values)) < 0.3)


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("n", [0, 1, 1000])
def test_dlpack_shares_weft_buffer(rng, dtype, n):
    values = _data(rng, dtype, n)
    s = weft.DataFrame({"x": values})["x"]
    assert s.__dlpack_device__() == (1, 0)
    out = np.from_dlpack(s)
    assert out.dtype == np.dtype(dtype) and out.shape == (n,)
    np.testing.assert_array_equal(out, values)
    if n:
        assert np.shares_memory(out, s.to_numpy())  # weft's buffer, not a copy
        assert not out.flags.writeable  # a DLPack 1.0 consumer is told read-only


def test_dlpack_of_a_slice_and_legacy_consumers(rng):
    values = rng.normal(size=100)
    df = weft.DataFrame({"x": values}).slice(7, 50)
    out = np.from_dlpack(df["x"])
    np.testing.assert_array_equal(out, values[7:57])
    legacy = np.from_dlpack(_Legacy(df["x"]))  # no max_version: writable, same memory
    assert np.shares_memory(legacy, out)
    np.testing.assert_array_equal(legacy, values[7:57])
    copied = np.from_dlpack(_Copied(df["x"]))
    np.testing.assert_array_equal(copied, values[7:57])
    assert not np.shares_memory(copied, out)


class _Legacy:
    """A producer seen through a consumer that asks for DLPack 0.x (torch < 2.5)."""

    def __init__(self, s):
        self.s = s

    def __dlpack__(self, stream=None):
        return self.s.__dlpack__()

    def __dlpack_device__(self):
        return self.s.__dlpack_device__()


class _Copied(_Legacy):
    """A consumer asking for a copy (the array API's copy=True)."""

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return self.s.__dlpack__(max_version=max_version, copy=True)


def test_dlpack_refuses_nulls_and_other_types(rng):
    df = weft.DataFrame({"x": _with_nulls(rng, np.arange(50.0)), "s": ["a"] * 50,
                         "b": [True] * 50})
    with pytest.raises(weft.InvalidArgumentError, match=r"Series\('x'\).__dlpack__.*nulls.*fill_null"):
        np.from_dlpack(df["x"])
    with pytest.raises(weft.UnsupportedError, match=r"__dlpack__.*'s' is utf8"):
        np.from_dlpack(df["s"])
    with pytest.raises(weft.UnsupportedError, match="'b' is bool"):
        np.from_dlpack(df["b"])
    with pytest.raises(weft.UnsupportedError, match="dl_device"):
        weft.DataFrame({"x": [1.0]})["x"].__dlpack__(dl_device=(2, 0))


TYPE_SETS = [["int32", "float32"], ["int8", "float32"], ["int16", "float32"], ["int64", "uint64"],
             ["int8", "uint8"], ["bool", "int8"], ["bool", "float32"], ["bool", "bool"],
             ["float64"], ["uint32", "float32", "int8"], ["int64", "float64", "bool"]]


@pytest.mark.parametrize("types", TYPE_SETS, ids=lambda t: "+".join(t))
@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("n", [0, 1, 257])
def test_to_numpy_matches_polars(rng, types, nulls, n):
    cols = {}
    for j, t in enumerate(types):
        v = _data(rng, t, n)
        cols[f"c{j}"] = _with_nulls(rng, v) if nulls and t != "bool" else v
    df = weft.DataFrame(cols)
    want = pl.DataFrame(df.to_arrow()).to_numpy()
    got = df.to_numpy()
    assert got.shape == (n, len(types)) and got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)  # NaN where Polars has NaN
    assert got.flags.f_contiguous
    c = df.to_numpy(order="c")
    assert c.flags.c_contiguous
    np.testing.assert_array_equal(c, want)


def test_to_numpy_other_types_as_polars():
    df = weft.DataFrame({"a": [1, None], "s": ["x", "y"]})
    got, want = df.to_numpy(), pl.DataFrame(df.to_arrow()).to_numpy()
    assert got.dtype == want.dtype == object
    assert got[:, 1].tolist() == ["x", "y"] and np.isnan(got[1, 0]) and got[0, 0] == 1
    assert weft.DataFrame().to_numpy().shape == (0, 0)
    days = np.array(["2024-01-01", "NaT", "1999-12-31"], dtype="datetime64[D]")
    dates = weft.DataFrame({"d": days, "e": days[::-1].copy()})
    want = pl.DataFrame(dates.to_arrow()).to_numpy()
    assert dates.to_numpy().dtype == want.dtype == np.dtype("datetime64[D]")
    np.testing.assert_array_equal(dates.to_numpy(), want)
    with pytest.raises(weft.InvalidArgumentError, match="order"):
        df.to_numpy(order="k")


def test_from_dlpack_one_and_two_dims(rng):
    x = rng.normal(size=333).astype(np.float32)
    s = weft.from_dlpack(x)
    assert isinstance(s, weft.Series) and s.name == "column_0"
    assert np.shares_memory(s.to_numpy(), x)  # used in place
    m = rng.integers(0, 9, size=(41, 3))
    df = weft.from_dlpack(m)
    assert df.columns == ["column_0", "column_1", "column_2"]
    np.testing.assert_array_equal(df.to_numpy(), m)
    assert weft.from_dlpack(np.zeros(0)).to_list() == []
    with pytest.raises(weft.InvalidArgumentError, match="1-D or 2-D"):
        weft.from_dlpack(np.zeros((2, 2, 2)))
    with pytest.raises(weft.InvalidArgumentError, match="weft.from_dlpack"):
        weft.from_dlpack([1, 2])
    # The producer stays alive as long as weft reads it.
    import gc
    y = rng.normal(size=1000)
    want, ys = y.copy(), weft.from_dlpack(y)
    del y
    gc.collect()
    np.testing.assert_array_equal(ys.to_numpy(), want)
    # A weft Series round trip: the same buffer again.
    back = weft.from_dlpack(s)
    assert np.shares_memory(back.to_numpy(), x)


def test_from_pandas_and_polars(rng):
    data = {"a": rng.normal(size=20), "b": [None if i % 3 else f"s{i}" for i in range(20)]}
    want = weft.DataFrame(data)
    assert weft.from_pandas(pd.DataFrame(data)).equals(want)
    assert weft.from_polars(pl.DataFrame(data)).equals(want)
    assert weft.from_polars(pl.Series("a", data["a"]))["a"].to_list() == list(data["a"])
    with pytest.raises(weft.InvalidArgumentError, match="weft.from_pandas"):
        weft.from_pandas(pl.DataFrame(data))
    with pytest.raises(weft.InvalidArgumentError, match="weft.from_polars"):
        weft.from_polars(pd.DataFrame(data))
