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
from ._args import _c_names, _names, _run
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


def _descending_flags(descending: Union[bool, Sequence[bool]], keys: list[str]) -> ctypes.Array:
    """The C int array of sort directions: one bool for every key, or one bool per key."""
    if isinstance(descending, bool):
        desc = [descending] * len(keys)
    elif isinstance(descending, (list, tuple)) and all(isinstance(d, bool) for d in descending):
        desc = list(descending)
        if len(desc) != len(keys):
            raise InvalidArgumentError(
                f"sort: descending has {len(desc)} values but by has {len(keys)} columns {keys}"
            )
    else:
        raise InvalidArgumentError(f"sort: descending must be a bool or a list of bools, got {descending!r}")
    return (ctypes.c_int * len(keys))(*[1 if d else 0 for d in desc])


def sort(table: ctypes.c_void_p, by: Union[str, Sequence[str]],
         descending: Union[bool, Sequence[bool]] = False, device: Any = "auto",
         strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: `table` sorted (stably) by one or more columns; descending: one
    bool or one per column."""
    keys = _names(by, "sort by")
    desc_arr = _descending_flags(descending, keys)
    return _run("DataFrame.sort", _lib.weft_table_sort, device, strict, table, len(keys),
                _c_names(keys), desc_arr)


def unique(table: ctypes.c_void_p, subset: Union[None, str, Sequence[str]] = None,
           device: Any = "auto", strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: the first row of each distinct tuple of `subset` (every column
    when None), in order."""
    keys = [] if subset is None else _names(subset, "unique subset")
    return _run("DataFrame.unique", _lib.weft_table_unique, device, strict, table, len(keys),
                _c_names(keys))
