"""Column operations on numpy arrays: axpy and reductions (sum, min, max).

float32 and float64 arrays go to C without a copy when C-contiguous; other real dtypes
(bool, ints) are converted to float64. Validity is either a numpy bool mask (True = valid)
or a numpy masked array (mask True = null); it is packed into an Arrow bitmap for C.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _lib
from .errors import InvalidArgumentError, _check, python_call
from .exec import _thread_exec

__all__ = ["axpy", "sum", "min", "max", "reduce", "ReduceResult"]

_DTYPES = {np.dtype(np.float32): _lib.WEFT_FLOAT32, np.dtype(np.float64): _lib.WEFT_FLOAT64}
_REDUCE_OPS = {"sum": _lib.WEFT_REDUCE_SUM, "min": _lib.WEFT_REDUCE_MIN, "max": _lib.WEFT_REDUCE_MAX}
_U8P = _lib.c_uint8_p


def _describe(arr):
    return _describe_shape(arr.shape)


def _describe_shape(shape):
    return f"length {shape[0]}" if len(shape) == 1 else f"shape {shape}"


def _split(value, name):
    """(data ndarray, bool mask of nulls or None) of an array-like or masked array."""
    if isinstance(value, np.ma.MaskedArray):
        mask = np.ma.getmask(value)
        data = np.ma.getdata(value)
        return data, (None if mask is np.ma.nomask else np.asarray(mask, dtype=bool))
    try:
        return np.asarray(value), None
    except Exception as exc:  # ragged lists and such
        raise InvalidArgumentError(f"{name}: cannot make an array of {value!r}: {exc}") from None


def _target_dtype(name, dtype):
    if dtype in _DTYPES:
        return dtype
    if dtype.kind in "biuf":  # bool, ints, float16/longdouble -> float64
        return np.dtype(np.float64)
    raise InvalidArgumentError(
        f"{name} has dtype {dtype}: weft takes real numbers (float32, float64, ints, bool)"
    )


def _contiguous(arr, dtype):
    """arr as a C-contiguous 1-D array of dtype, without a copy when it already is one."""
    if arr.dtype != dtype or not (arr.flags.c_contiguous and arr.flags.aligned):
        arr = np.ascontiguousarray(arr, dtype=dtype)
    return arr.reshape(-1)


def _validity(name, valid, null_mask, shape):
    """The combined bool mask (True = valid) of an explicit `valid` and a masked array's
    mask, or None when every value is valid."""
    out = None
    if valid is not None:
        valid = np.asarray(valid)
        if valid.dtype != np.bool_:
            raise InvalidArgumentError(
                f"{name}_valid must be a numpy bool array (True = valid), got dtype {valid.dtype}"
            )
        if valid.shape != shape:
            raise InvalidArgumentError(
                f"{name}_valid has {_describe(valid)} but {name} has {_describe_shape(shape)}"
            )
        out = valid
    if null_mask is not None:
        out = ~null_mask if out is None else (out & ~null_mask)
    return out


def _pack(valid):
    """An Arrow validity bitmap (bit i of byte i/8, 1 = valid) of a bool mask."""
    return np.packbits(valid.reshape(-1), bitorder="little")


def _unpack(bits, n):
    return np.unpackbits(bits, count=n, bitorder="little").view(np.bool_)


def _ptr(arr):
    return arr.ctypes.data_as(ctypes.c_void_p)


def _bits_ptr(bits):
    return None if bits is None else bits.ctypes.data_as(_U8P)


@python_call("weft.axpy")
def axpy(a: float, x: Any, y: Any, *, device: Any = "auto", strict: bool = False,
         x_valid: Optional[np.ndarray] = None, y_valid: Optional[np.ndarray] = None) -> Any:
    """out = a * x + y on a device.

    Returns the result array (dtype float32 when both inputs are float32, else float64).
    With x_valid / y_valid (bool masks, True = valid) it returns (out, out_valid), where
    out_valid = x_valid AND y_valid; with masked arrays it returns a masked array. Null
    slots of the result hold 0.
    """
    masked = isinstance(x, np.ma.MaskedArray) or isinstance(y, np.ma.MaskedArray)
    x, x_nulls = _split(x, "x")
    y, y_nulls = _split(y, "y")
    if x.shape != y.shape:
        raise InvalidArgumentError(
            f"x and y must have the same length: x has {_describe(x)}, y has {_describe(y)}"
        )
    try:
        a = float(a)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"a must be a real number, got {a!r}") from None
    shape = x.shape
    xv = _validity("x", x_valid, x_nulls, shape)
    yv = _validity("y", y_valid, y_nulls, shape)

    tx = _target_dtype("x", x.dtype)
    ty = _target_dtype("y", y.dtype)
    dtype = tx if tx == ty else np.dtype(np.float64)
    xc = _contiguous(x, dtype)
    yc = _contiguous(y, dtype)
    n = xc.shape[0]

    out = np.empty(n, dtype=dtype)
    x_bits = None if xv is None else _pack(xv)
    y_bits = None if yv is None else _pack(yv)
    with_valid = x_bits is not None or y_bits is not None
    out_bits = np.zeros((n + 7) // 8, dtype=np.uint8) if with_valid else None

    ex = _thread_exec()
    ex.configure(device, strict, "weft.axpy")
    status = _lib.weft_axpy(
        ex.handle, _DTYPES[dtype], n, a,
        _ptr(xc), _bits_ptr(x_bits),
        _ptr(yc), _bits_ptr(y_bits),
        _ptr(out), _bits_ptr(out_bits),
    )  # fmt: skip
    ex._mark_ran()
    _check(status, "weft.axpy")

    out = out.reshape(shape)
    if masked:
        mask = np.zeros(shape, dtype=bool) if out_bits is None else ~_unpack(out_bits, n).reshape(shape)
        return np.ma.MaskedArray(out, mask=mask)
    if with_valid:
        return out, _unpack(out_bits, n).reshape(shape)
    return out


@dataclass(frozen=True)
class ReduceResult:
    value: float  # sum (0 when no valid value); min/max ignore NaN
    count: int  # valid (non-null) values seen
    is_null: bool  # min/max of no valid value


@python_call("weft.reduce")
def reduce(x: Any, op: str = "sum", *, valid: Optional[np.ndarray] = None, device: Any = "auto",
           strict: bool = False, _where: str = "weft.reduce") -> "ReduceResult":
    """Reduces x with op "sum", "min" or "max"; nulls (valid False, or masked) are skipped.
    Returns a ReduceResult (value, count of valid values, is_null)."""
    try:
        cop = _REDUCE_OPS[op]
    except (KeyError, TypeError):
        raise InvalidArgumentError(f"op must be 'sum', 'min' or 'max', got {op!r}") from None
    x, nulls = _split(x, "x")
    v = _validity("x", valid, nulls, x.shape)
    dtype = _target_dtype("x", x.dtype)
    xc = _contiguous(x, dtype)
    bits = None if v is None else _pack(v)

    result = _lib.weft_reduce_result()
    ex = _thread_exec()
    ex.configure(device, strict, _where)
    status = _lib.weft_reduce(
        ex.handle, _DTYPES[dtype], cop, xc.shape[0], _ptr(xc), _bits_ptr(bits),
        ctypes.byref(result),
    )  # fmt: skip
    ex._mark_ran()
    _check(status, _where)
    return ReduceResult(result.value, result.count, bool(result.is_null))


def sum(x: Any, *, valid: Optional[np.ndarray] = None, device: Any = "auto",  # noqa: A001 (weft.sum)
        strict: bool = False) -> float:
    """Sum of the valid values of x as a Python float (0.0 when none; accumulated in
    float64; NaN propagates)."""
    return reduce(x, "sum", valid=valid, device=device, strict=strict, _where="weft.sum").value


def min(x: Any, *, valid: Optional[np.ndarray] = None, device: Any = "auto",  # noqa: A001 (weft.min)
        strict: bool = False) -> Optional[float]:
    """Smallest valid value of x (NaN ignored), or None when x has no valid value."""
    r = reduce(x, "min", valid=valid, device=device, strict=strict, _where="weft.min")
    return None if r.is_null else r.value


def max(x: Any, *, valid: Optional[np.ndarray] = None, device: Any = "auto",  # noqa: A001 (weft.max)
        strict: bool = False) -> Optional[float]:
    """Largest valid value of x (NaN ignored), or None when x has no valid value."""
    r = reduce(x, "max", valid=valid, device=device, strict=strict, _where="weft.max")
    return None if r.is_null else r.value
