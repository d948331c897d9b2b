"""weft and the array ecosystem: DLPack out of a Series, numpy and torch out of a DataFrame,
and arrays, pandas and Polars in.

    >>> x = np.from_dlpack(df["a"])      # no copy: x reads weft's buffer
    >>> t = torch.from_dlpack(df["a"])   # the same for torch
    >>> df.to_numpy()                    # 2-D, Polars' common supertype
    >>> df.to_torch()                    # one 2-D tensor; return_type="dict": one a column
    >>> weft.from_dlpack(t)              # 1-D: a Series; 2-D: a DataFrame

DLPack has no null mask, so a column with nulls is refused (fill_null first). DLPack before
1.0 cannot mark memory read-only either: a consumer asking for an older version (torch before
2.5 does) gets weft's buffer as writable, as PyTorch gives its own tensors out; writing
through it changes the DataFrame. A 1.0 consumer (numpy 2) gets it marked read-only.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _lib
from ._columns import _NUMPY_OF, _values
from .errors import InvalidArgumentError, UnsupportedError
from .frame import DataFrame, Series, _require, from_arrow

__all__ = ["from_dlpack", "from_pandas", "from_polars", "series_dlpack", "frame_to_numpy",
           "frame_to_torch", "torch_of"]

_NUMERIC = {_lib.WEFT_TYPE_INT8, _lib.WEFT_TYPE_INT16, _lib.WEFT_TYPE_INT32, _lib.WEFT_TYPE_INT64,
            _lib.WEFT_TYPE_UINT8, _lib.WEFT_TYPE_UINT16, _lib.WEFT_TYPE_UINT32,
            _lib.WEFT_TYPE_UINT64, _lib.WEFT_TYPE_FLOAT32, _lib.WEFT_TYPE_FLOAT64}
_CPU = (1, 0)  # DLPack's (kDLCPU, device 0)


def _exportable(s: Series, where: str) -> np.ndarray:
    """The Series' values as a read-only numpy view of weft's buffer, or the error saying why
    DLPack cannot carry them."""
    view = s._view()
    if view.type not in _NUMERIC:
        raise UnsupportedError(
            f"{where}: column {s.name!r} is {s.dtype}; DLPack carries numeric columns "
            "(int8-64, uint8-64, float32/64): cast it first (weft.col(...).cast(...)) or use "
            "Series.to_numpy()")
    if view.null_count:
        raise InvalidArgumentError(
            f"{where}: column {s.name!r} has {view.null_count} nulls and DLPack has no null "
            f"mask: fill them first (df.with_columns(weft.col({s.name!r}).fill_null(0))) or "
            "use Series.to_numpy(), which gives NaN for nulls")
    return _values(view, s._df)


def series_dlpack(s: Series, stream: Any = None, max_version: Optional[tuple] = None,
                  dl_device: Optional[tuple] = None, copy: Optional[bool] = None) -> Any:
    """Series.__dlpack__ (the array API's signature): a capsule over weft's buffer, which the
    capsule keeps alive; copy=True exports a copy instead."""
    where = f"Series({s.name!r}).__dlpack__"
    if dl_device is not None and tuple(dl_device) != _CPU:
        raise UnsupportedError(f"{where}: weft's columns are in host memory (kDLCPU); "
                               f"dl_device={dl_device!r} was asked for")
    if stream is not None:
        raise InvalidArgumentError(f"{where}: stream must be None for host memory, got {stream!r}")
    values = _exportable(s, where)
    if copy:
        values = values.copy()
    elif max_version is None or tuple(max_version) < (1, 0):
        values = np.asarray(_Writable(values))  # an old consumer cannot be told "read-only"
    if max_version is None:
        return values.__dlpack__(stream=None)
    return values.__dlpack__(stream=None, max_version=tuple(max_version))


class _Writable:
    """The same memory as a read-only array, offered writable (numpy refuses legacy DLPack
    for read-only arrays); holds the array, and so weft's table, alive."""

    def __init__(self, arr: np.ndarray) -> None:
        iface = dict(arr.__array_interface__)
        iface["data"] = (iface["data"][0], False)
        self.__array_interface__ = iface
        self.owner = arr


# ---------------------------------------------------------------------------- frame -> 2-D


def _column_dtype(s: Series) -> Optional[np.dtype]:
    """The numpy dtype a column takes in a 2-D array as Polars gives it (ints with nulls:
    float32 up to 16 bits, else float64), or None when it is not a number or bool."""
    view = s._view()
    if view.type == _lib.WEFT_TYPE_BOOL:
        return None if view.null_count else np.dtype(bool)
    if view.type not in _NUMERIC:
        return None
    dtype = _NUMPY_OF[view.type]
    if view.null_count and dtype.kind in "iu":
        return np.dtype(np.float32 if dtype.itemsize <= 2 else np.float64)
    return dtype


def frame_to_numpy(df: DataFrame, order: str = "fortran") -> np.ndarray:
    """DataFrame.to_numpy: see there."""
    if order not in ("fortran", "c"):
        raise InvalidArgumentError(f"DataFrame.to_numpy: order must be 'fortran' or 'c', got {order!r}")
    cols = list(df)
    dtypes = [_column_dtype(s) for s in cols]
    if cols and all(d is not None for d in dtypes):
        dtype = np.result_type(*dtypes)
    elif cols and len({s.dtype for s in cols}) == 1 and _temporal(cols[0]):
        dtype = cols[0].to_numpy().dtype
    else:
        dtype = np.dtype(object)
    out = np.empty((df.height, len(cols)), dtype=dtype, order="F" if order == "fortran" else "C")
    for j, s in enumerate(cols):
        out[:, j] = s.to_numpy()  # nulls: NaN (numbers), NaT, None (the Series' own rule)
    return out


def _temporal(s: Series) -> bool:
    view = s._view()
    return view.type in (_lib.WEFT_TYPE_DATE32, _lib.WEFT_TYPE_TIMESTAMP_US)


# ---------------------------------------------------------------------------- torch


def torch_of(where: str) -> Any:
    """The torch module, or an ImportError naming the call."""
    return _require("torch", where)


def array_tensor(torch: Any, arr: np.ndarray) -> Any:
    """A tensor over a numpy array's memory (DLPack). bool goes as uint8 and is converted
    back (a copy), since torch before 2.0 reads no DLPack bool; a read-only array is offered
    writable, as legacy DLPack requires (the arrays given here are weft's own copies or
    its immutable columns)."""
    if arr.dtype == np.bool_:
        return torch.from_dlpack(np.asarray(_Writable(np.ascontiguousarray(arr).view(np.uint8)))).to(torch.bool)
    return torch.from_dlpack(np.asarray(_Writable(np.ascontiguousarray(arr))))


def _tensor(torch: Any, s: Series, where: str) -> Any:
    """A tensor of one column: weft's buffer itself when DLPack can carry it, else a copy
    of Series.to_numpy() (nulls as NaN)."""
    view = s._view()
    if view.type in _NUMERIC and not view.null_count:
        return array_tensor(torch, _exportable(s, where))  # weft's buffer itself
    if view.type == _lib.WEFT_TYPE_BOOL or (view.type in _NUMERIC):
        arr = s.to_numpy()
        if arr.dtype == object:  # bool with nulls: Polars gives nulls as NaN in float32
            arr = np.where(np.equal(arr, None), np.nan, arr).astype(np.float32)
        return array_tensor(torch, arr)
    raise UnsupportedError(f"{where}: column {s.name!r} is {s.dtype}; tensors hold numbers "
                           "and bool: drop or cast it first")


def frame_to_torch(df: DataFrame, return_type: str = "tensor", dtype: Any = None) -> Any:
    """DataFrame.to_torch: see there."""
    where = f"DataFrame.to_torch(return_type={return_type!r})"
    if return_type not in ("tensor", "dict"):
        raise InvalidArgumentError(f"DataFrame.to_torch: return_type must be 'tensor' or 'dict', "
                                   f"got {return_type!r}")
    torch = torch_of(where)
    if return_type == "dict":
        out = {s.name: _tensor(torch, s, where) for s in df}
        return {k: v.to(dtype) for k, v in out.items()} if dtype is not None else out
    for s in df:
        if _column_dtype(s) is None and s._view().type != _lib.WEFT_TYPE_BOOL:
            raise UnsupportedError(f"{where}: column {s.name!r} is {s.dtype}; a tensor holds "
                                   "numbers and bool: drop or cast it first")
    arr = frame_to_numpy(df, order="c")
    if arr.dtype == object:  # bool with nulls among the columns
        arr = np.where(np.equal(arr, None), np.nan, arr).astype(np.float32)
    t = array_tensor(torch, arr)
    return t.to(dtype) if dtype is not None else t


# ---------------------------------------------------------------------------- in


def from_dlpack(obj: Any, name: str = "column_0") -> Any:
    """A weft Series (1-D) or DataFrame (2-D: columns "column_0", ... as Polars) of anything
    with __dlpack__ (a torch tensor, a numpy / CuPy-on-host / JAX array) in host memory.
    1-D numeric data is used in place (no copy; weft keeps the producer alive); 2-D data is
    row-major, so each column is copied out of it (a column-major array is used in place)."""
    try:
        arr = np.from_dlpack(obj)
    except (AttributeError, BufferError, RuntimeError, TypeError) as exc:
        raise InvalidArgumentError(
            f"weft.from_dlpack: cannot read a {type(obj).__name__} through DLPack in host "
            f"memory ({exc}); move a device tensor to the CPU first (tensor.cpu())") from None
    if arr.ndim == 1:
        return DataFrame({name: arr})[name]
    if arr.ndim == 2:
        return DataFrame(arr)
    raise InvalidArgumentError(f"weft.from_dlpack: expected a 1-D or 2-D array, got shape {arr.shape}")


def from_pandas(data: Any) -> DataFrame:
    """A DataFrame of a pandas DataFrame or Series (weft.from_arrow; the constructor takes
    them too)."""
    if type(data).__module__.split(".")[0] != "pandas":
        raise InvalidArgumentError(f"weft.from_pandas: expected a pandas DataFrame or Series, "
                                   f"got {type(data).__name__}")
    return from_arrow(data, _where="weft.from_pandas")


def from_polars(data: Any) -> DataFrame:
    """A DataFrame of a Polars DataFrame or Series, through the Arrow PyCapsule Interface
    (no copy but of string views)."""
    if type(data).__module__.split(".")[0] != "polars":
        raise InvalidArgumentError(f"weft.from_polars: expected a Polars DataFrame or Series, "
                                   f"got {type(data).__name__}")
    if hasattr(data, "to_frame") and not hasattr(data, "columns"):
        data = data.to_frame()
    return from_arrow(data, _where="weft.from_polars")
