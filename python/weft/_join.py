"""DataFrame.join: a hash join in C (weft_table_join), Polars' semantics.

how: "inner", "left", "right", "full", "semi", "anti" or "cross" (no keys). Null keys never
match (Polars' ``nulls_equal=False``); integer keys of any width and signedness compare by
value. The hash table is built on the smaller side. Columns as Polars lays them out: the left
columns, then the right's (a name already taken gets ``suffix``); ``coalesce`` (default:
every join but "full") merges each key pair into one column.

Row order: Polars promises none by default (``maintain_order="none"``); weft always gives
inner, left, semi and anti joins in left order, each left row's matches in right order
(Polars' ``maintain_order="left_right"``); a right join in right order, each right row's
matches in left order (``"right_left"``); a full join as the left join, then the right rows
that matched nothing, in right order (``"left_right"``); a cross join left row by left row.
"""

from __future__ import annotations

import ctypes
from typing import Any, Optional, Sequence, Union

from . import _lib
from ._args import _c_names, _run
from .errors import InvalidArgumentError

__all__ = ["join"]

_KINDS = {
    "inner": _lib.WEFT_JOIN_INNER,
    "left": _lib.WEFT_JOIN_LEFT,
    "semi": _lib.WEFT_JOIN_SEMI,
    "anti": _lib.WEFT_JOIN_ANTI,
    "right": _lib.WEFT_JOIN_RIGHT,
    "full": _lib.WEFT_JOIN_FULL,
    "cross": _lib.WEFT_JOIN_CROSS,
}

Names = Union[str, Sequence[str]]


def _key_names(value: Any, what: str) -> list[str]:
    """A list of column names from a str or a non-empty list/tuple of str."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidArgumentError(f"{what} must be a column name or a non-empty list of names, got {value!r}")


def _keys(on: Optional[Names], left_on: Optional[Names], right_on: Optional[Names],
          how: str = "inner") -> tuple[list[str], list[str]]:
    if how == "cross":
        if on is not None or left_on is not None or right_on is not None:
            raise InvalidArgumentError("join: how='cross' takes no keys (on=, left_on=, right_on=)")
        return [], []
    if on is not None:
        if left_on is not None or right_on is not None:
            raise InvalidArgumentError("join: give either on= or left_on=/right_on=, not both")
        keys = _key_names(on, "on")
        return keys, keys
    if left_on is None or right_on is None:
        raise InvalidArgumentError("join: needs on= or both left_on= and right_on=")
    lk, rk = _key_names(left_on, "left_on"), _key_names(right_on, "right_on")
    if len(lk) != len(rk):
        raise InvalidArgumentError(
            f"join: left_on has {len(lk)} columns {lk} but right_on has {len(rk)} {rk}"
        )
    return lk, rk


def _how(how: str, suffix: str, coalesce: Optional[bool] = None) -> int:
    """The weft_join_kind of `how` with the coalesce flag, after checking the arguments."""
    if how not in _KINDS:
        raise InvalidArgumentError(f"join: how must be one of {sorted(_KINDS)}, got {how!r}")
    if not isinstance(suffix, str):
        raise InvalidArgumentError(f"join: suffix must be a str, got {suffix!r}")
    if coalesce is not None and not isinstance(coalesce, bool):
        raise InvalidArgumentError(f"join: coalesce must be None, True or False, got {coalesce!r}")
    flag = 0 if coalesce is None else _lib.WEFT_JOIN_COALESCE if coalesce else _lib.WEFT_JOIN_NO_COALESCE
    return _KINDS[how] | flag


def join(left: ctypes.c_void_p, right: ctypes.c_void_p, on: Optional[Names] = None,
         left_on: Optional[Names] = None, right_on: Optional[Names] = None, how: str = "inner",
         suffix: str = "_right", coalesce: Optional[bool] = None, device: Any = "auto",
         strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: table `left` joined with table `right` (see the module's text)."""
    kind = _how(how, suffix, coalesce)
    lk, rk = _keys(on, left_on, right_on, how)
    return _run("DataFrame.join", _lib.weft_table_join, device, strict, left, right, len(lk),
                _c_names(lk), _c_names(rk), kind, suffix.encode("utf-8"))
