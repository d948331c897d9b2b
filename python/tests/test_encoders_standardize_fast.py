"""Standardize on a DataFrame of integer and float64 columns (one pass in C,
weft_table_standardize) against the expression path (the same encoder on a LazyFrame: the
same bits) and scikit-learn's StandardScaler: nulls, every integer type, sliced inputs
(offsets not a multiple of 8), with_mean / with_std off, empty and one-row frames; and the
C call's errors."""

import ctypes

import numpy as np
import pyarrow as pa
import pytest

import weft
from weft import _lib

sklearn_pre = pytest.importorskip("sklearn.preprocessing")

TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def table(rng, n, null_rate=0.2):
    cols = {"f": rng.normal(3.0, 2.0, n), "g": rng.normal(-1e6, 1e3, n)}
    for t in TYPES:
        info = np.iinfo(t)
        cols[np.dtype(t).name] = rng.integers(max(info.min, -1000), min(info.max, 1000), n).astype(t)
    arrays = {c: pa.array(v, mask=(rng.random(n) < null_rate) if c != "g" else None)
              for c, v in cols.items()}
    arrays["s"] = pa.array([f"v{k}" for k in range(n)])  # a column left alone
    return pa.table(arrays)


NUMERIC = ["f", "g"] + [np.dtype(t).name for t in TYPES]


@pytest.fixture
def fast_calls(monkeypatch):
    calls = []
    real = _lib.weft_table_standardize

    def counting(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(_lib, "weft_table_standardize", counting)
    return calls


def same(a, b):
    assert a.columns == b.columns and a.dtypes == b.dtypes
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f":
            assert np.array_equal(x.view(np.int64), y.view(np.int64)) or np.array_equal(x, y, equal_nan=True), c
        else:
            assert x.tolist() == y.tolist(), c


@pytest.mark.parametrize("n", [1, 7, 1000, 70_001])
@pytest.mark.parametrize("flags", [(True, True), (False, True), (True, False)])
def test_same_bits_as_the_expressions_and_sklearn(n, flags, fast_calls):
    rng = np.random.default_rng(n)
    df = weft.from_arrow(table(rng, n, null_rate=0.2 if n > 1 else 0.0))  # no all-null column
    enc = weft.Standardize(NUMERIC, with_mean=flags[0], with_std=flags[1]).fit(df)
    out = enc.transform(df)
    assert fast_calls
    same(out, enc.transform(df.lazy()).collect())
    assert out.schema == {**df.schema, **{c: "float64" for c in NUMERIC}}
    assert out["s"].to_list() == df["s"].to_list()
    for c in NUMERIC:
        x = np.asarray(df[c].to_numpy(), dtype=np.float64)  # nulls as NaN: sklearn's missing
        ref = sklearn_pre.StandardScaler(with_mean=flags[0], with_std=flags[1]).fit_transform(x[:, None])[:, 0]
        got = out[c].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(ref)), c
        scale = 1.0 + np.nanmax(np.abs(x))  # the means' last bits differ (summation orders)
        np.testing.assert_allclose(got[~np.isnan(got)], ref[~np.isnan(ref)], rtol=1e-9, atol=1e-12 * scale)
        assert out[c].null_count() == df[c].null_count()


@pytest.mark.parametrize("offset", [0, 3, 8, 13])
def test_sliced_inputs_keep_their_nulls(offset, fast_calls):
    rng = np.random.default_rng(offset)
    df = weft.from_arrow(table(rng, 5000, null_rate=0.3))
    enc = weft.Standardize(NUMERIC).fit(df)
    part = df.slice(offset, 4001)
    same(enc.transform(part), enc.transform(part.lazy()).collect())
    assert len(fast_calls) == 1


def test_empty_and_float32_and_unfitted_columns(fast_calls):
    df = weft.DataFrame({"a": np.arange(5, dtype=np.int64), "b": np.ones(5)})
    enc = weft.Standardize(["a", "b"]).fit(df)
    out = enc.transform(df.slice(0, 0))
    assert out.height == 0 and out.schema == {"a": "float64", "b": "float64"}
    assert out.columns == ["a", "b"] and len(fast_calls) == 1
    assert enc.transform(df)["b"].to_list() == [0.0] * 5  # a constant column: std 1
    f32 = weft.DataFrame({"x": np.arange(4, dtype=np.float32)})
    e32 = weft.Standardize("x").fit(f32)
    assert e32.transform(f32).schema["x"] == "float32" and len(fast_calls) == 2  # expressions
    nothing = weft.Standardize("a").fit(weft.DataFrame({"a": np.ma.masked_all(3, dtype=np.int64)}))
    assert nothing.transform(df)["a"].to_list() == [None] * 5 and len(fast_calls) == 2


def test_c_call_errors_name_the_column():
    df = weft.DataFrame({"a": [1, 2], "s": ["x", "y"], "f": np.ones(2, dtype=np.float32)})
    out = _lib.weft_table_p()

    def call(cols):
        n = len(cols)
        idx = (ctypes.c_size_t * n)(*cols)
        vals = (ctypes.c_double * n)(*([0.0] * n))
        return _lib.weft_table_standardize(df._handle, n, idx, vals, vals, ctypes.byref(out))
    for cols, msg in (([1], 'column "s" is not an integer or float64'),
                      ([2], 'column "f" is not an integer or float64'),
                      ([0, 0], 'column "a" is listed twice'), ([7], "column 7 is past")):
        assert call(cols) == _lib.WEFT_ERR_INVALID_ARGUMENT
        assert msg in _lib.weft_last_error().decode()
