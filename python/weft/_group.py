"""DataFrame.group_by / sort / unique: hash grouping, radix and merge sorts in C.

group_by follows Polars' ``group_by(..., maintain_order=True)``: one row per distinct key
tuple in order of first appearance, nulls forming their own group, key columns first. sort
is stable with nulls last (``nulls_last=True``); NaN sorts above every number. unique keeps
the first row of each distinct tuple, in order (``keep="first", maintain_order=True``).

Aggregation types: sum of signed integers is int64, of unsigned uint64, of bool the uint32
count of true, of floats the float type; mean/std/var float64; count/n_unique/len uint32;
min/max/first/last keep the type.
"""

from __future__ import annotations

import ctypes
from typing import Any, Sequence, Union

from . import _lib
from ._args import _c_names, _flatten, _names, _run
from .errors import InvalidArgumentError
from .expr import AggExpr

__all__ = ["group_by", "sort", "unique"]


def _agg_array(flat: list) -> ctypes.Array:
    """The C array of weft_agg for AggExprs (which must outlive the call that reads it)."""
    arr = (_lib.weft_agg * max(len(flat), 1))()
    for i, a in enumerate(flat):
        arr[i].kind = a.kind
        arr[i].input = a.input._handle if a.input is not None else None
        arr[i].name = a.name.encode("utf-8") if a.name is not None else None
    return arr


def _flatten_aggs(aggs: Sequence[Any]) -> list:
    flat = []
    for a in aggs:
        items = a if isinstance(a, (list, tuple)) else [a]
        for item in items:
            if isinstance(item, str):
                raise InvalidArgumentError(
                    f"agg: {item!r} is a column name, not an aggregation; write e.g. "
                    f"weft.col({item!r}).sum() or weft.col({item!r}).first()"
                )
            if not isinstance(item, AggExpr):
                raise InvalidArgumentError(
                    f"agg: expected aggregations such as weft.col('v').sum(), got {item!r}"
                )
            flat.append(item)
    return flat


def group_by(table: ctypes.c_void_p, keys: Union[str, Sequence[str]], aggs: Sequence[Any],
             device: Any = "auto", strict: bool = False,
             where: str = "DataFrame.group_by(...).agg") -> ctypes.c_void_p:
    """A new table handle: one row per group of `keys` (a name or a list, empty: the whole
    table) of `table` (first-appearance order), the keys, then each aggregation."""
    keys = _names(keys, "group_by keys", allow_empty=True)
    flat = _flatten_aggs(aggs)
    arr = _agg_array(flat)
    out = _run(where, _lib.weft_table_group_by, device, strict, table, len(keys), _c_names(keys),
               len(flat), arr)
    del flat  # the input expressions lived through the call
    return out


def _bool_flags(value: Union[bool, Sequence[bool]], keys: list[str], what: str,
                where: str) -> ctypes.Array:
    """The C int array of one flag per key, from one bool or one bool per key."""
    if isinstance(value, bool):
        flags = [value] * len(keys)
    elif isinstance(value, (list, tuple)) and all(isinstance(d, bool) for d in value):
        flags = list(value)
        if len(flags) != len(keys):
            raise InvalidArgumentError(
                f"{where}: {what} has {len(flags)} values but by has {len(keys)} columns {keys}"
            )
    else:
        raise InvalidArgumentError(f"{where}: {what} must be a bool or a list of bools, got {value!r}")
    return (ctypes.c_int * len(keys))(*[1 if d else 0 for d in flags])


def _descending_flags(descending: Union[bool, Sequence[bool]], keys: list[str],
                      where: str = "sort") -> ctypes.Array:
    """The C int array of sort directions: one bool for every key, or one bool per key."""
    return _bool_flags(descending, keys, "descending", where)


def _sort_args(by: Any, more_by: Sequence[Any], descending: Any, nulls_last: Any,
               where: str) -> tuple:
    """(keys, C names, descending flags, nulls_last flags) of a sort's arguments."""
    keys = _names(_flatten([by, *more_by]), "sort by")
    return (keys, _c_names(keys), _descending_flags(descending, keys, where),
            _bool_flags(nulls_last, keys, "nulls_last", where))


def _top_k_args(k: Any, by: Any, reverse: Any, bottom: bool, where: str) -> tuple:
    """(k, keys, C names, descending flags, nulls_last flags) of top_k / bottom_k: Polars'
    top_k sorts descending (bottom_k ascending), reverse flips a key, nulls always last."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InvalidArgumentError(f"{where}: k must be an integer >= 0, got {k!r}")
    keys = _names(_flatten([by]), f"{where} by")
    rev = _bool_flags(reverse, keys, "reverse", where)
    desc = (ctypes.c_int * len(keys))(*[int(bool(r) == bottom) for r in rev])
    last = (ctypes.c_int * len(keys))(*([1] * len(keys)))
    return k, keys, _c_names(keys), desc, last


def sort(table: ctypes.c_void_p, by: Union[str, Sequence[str]], *more_by: str,
         descending: Union[bool, Sequence[bool]] = False,
         nulls_last: Union[bool, Sequence[bool]] = False, device: Any = "auto",
         strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: `table` sorted (stably) by one or more columns; descending and
    nulls_last: one bool or one per column (nulls first by default, as Polars)."""
    keys, names, desc, last = _sort_args(by, more_by, descending, nulls_last, "DataFrame.sort")
    return _run("DataFrame.sort", _lib.weft_table_sort_nulls, device, strict, table, len(keys),
                names, desc, last)


def top_k(table: ctypes.c_void_p, k: int, by: Any, reverse: Any, bottom: bool,
          device: Any = "auto", strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: the k rows with the largest (bottom: smallest) values of `by`."""
    where = "DataFrame.bottom_k" if bottom else "DataFrame.top_k"
    k, keys, names, desc, last = _top_k_args(k, by, reverse, bottom, where)
    return _run(where, _lib.weft_table_top_k, device, strict, table, k, len(keys), names, desc, last)


def unique(table: ctypes.c_void_p, subset: Union[None, str, Sequence[str]] = None,
           device: Any = "auto", strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: the first row of each distinct tuple of `subset` (every column
    when None), in order."""
    keys = [] if subset is None else _names(subset, "unique subset")
    return _run("DataFrame.unique", _lib.weft_table_unique, device, strict, table, len(keys),
                _c_names(keys))
