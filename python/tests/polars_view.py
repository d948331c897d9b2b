"""Polars views of weft tables for the tests: read straight from the C column views, so a
comparison never goes through weft's own Arrow export; and Polars -> CSV -> weft."""
import ctypes

import numpy as np
import polars as pl

import weft
from weft import _lib

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
    """A Polars Series of a weft column view (read straight from its buffers)."""
    n, off = v.length, v.offset
    valid = _bits(v.validity, off, n)
    if v.type == _lib.WEFT_TYPE_BOOL:
        values = list(_bits(v.values, off, n))
        dtype = pl.Boolean
    elif v.type == _lib.WEFT_TYPE_UTF8:
        offs = np.frombuffer((ctypes.c_int32 * (off + n + 1)).from_address(v.values), dtype=np.int32)
        end = int(offs[off + n]) if n else 0
        data = ctypes.string_at(v.data, end) if end else b""
        values = [data[offs[off + i]:offs[off + i + 1]].decode("utf-8") for i in range(n)]
        dtype = pl.String
    else:
        np_t = _NP[v.type]
        size = np.dtype(np_t).itemsize * (off + n)
        arr = np.frombuffer((ctypes.c_char * size).from_address(v.values), dtype=np_t)[off:off + n]
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
    """A weft DataFrame as a Polars one, through the C column views only."""
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


def from_polars(frame, tmp_path, name="t.csv"):
    """Polars -> CSV (written by Polars) -> weft, with the Polars types given."""
    path = tmp_path / name
    frame.write_csv(path)
    overrides = {c: str(t) for c, t in frame.schema.items()}
    return weft.read_csv(path, schema_overrides=overrides)
