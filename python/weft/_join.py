"""DataFrame.join: a hash join in C (weft_table_join), Polars' semantics.

Rows come out in left order, each left row followed by its matches in right order (Polars'
``maintain_order="left"``); null keys never match. The output has the left columns, then
the right's non-key columns, a name already taken getting ``suffix``.
"""

import ctypes

from . import _lib
from .errors import InvalidArgumentError, _check
from .exec import _thread_exec

__all__ = ["join"]

_KINDS = {
    "inner": _lib.WEFT_JOIN_INNER,
    "left": _lib.WEFT_JOIN_LEFT,
    "semi": _lib.WEFT_JOIN_SEMI,
    "anti": _lib.WEFT_JOIN_ANTI,
}


def _names(value, what):
    """A list of column names from a str or a list/tuple of str."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidArgumentError(f"{what} must be a column name or a non-empty list of names, got {value!r}")


def _keys(on, left_on, right_on):
    if on is not None:
        if left_on is not None or right_on is not None:
            raise InvalidArgumentError("join: give either on= or left_on=/right_on=, not both")
        keys = _names(on, "on")
        return keys, keys
    if left_on is None or right_on is None:
        raise InvalidArgumentError("join: needs on= or both left_on= and right_on=")
    lk, rk = _names(left_on, "left_on"), _names(right_on, "right_on")
    if len(lk) != len(rk):
        raise InvalidArgumentError(
            f"join: left_on has {len(lk)} columns {lk} but right_on has {len(rk)} {rk}"
        )
    return lk, rk


def join(df, other, on=None, left_on=None, right_on=None, how="inner", suffix="_right",
         device="auto", strict=False):
    """Joins `df` with `other` on equal keys. how: "inner", "left", "semi" or "anti"."""
    from .frame import DataFrame

    if not isinstance(other, DataFrame):
        raise InvalidArgumentError(f"join: other must be a weft DataFrame, got {type(other).__name__}")
    if how not in _KINDS:
        raise InvalidArgumentError(f"join: how must be one of {sorted(_KINDS)}, got {how!r}")
    if not isinstance(suffix, str):
        raise InvalidArgumentError(f"join: suffix must be a str, got {suffix!r}")
    lk, rk = _keys(on, left_on, right_on)
    larr = (ctypes.c_char_p * len(lk))(*[k.encode("utf-8") for k in lk])
    rarr = (ctypes.c_char_p * len(rk))(*[k.encode("utf-8") for k in rk])
    out = _lib.weft_table_p()
    ex = _thread_exec()
    ex.configure(device, strict, "DataFrame.join")
    status = _lib.weft_table_join(
        ex.handle, df._handle, other._handle, len(lk), larr, rarr, _KINDS[how],
        suffix.encode("utf-8"), ctypes.byref(out),
    )
    ex._mark_ran()
    _check(status, "DataFrame.join")
    return DataFrame._from_handle(out)
