"""DataFrame.group_by / sort / unique: hash grouping, radix and merge sorts in C.

group_by follows Polars' ``group_by(..., maintain_order=True)``, by column names or
expressions (``group_by((col("a") % 2).alias("odd"))``), and agg takes aggregations and
expressions of them (``col("a").sum() / col("b").count()``): one row per distinct key
tuple in order of first appearance, nulls forming their own group, key columns first. sort
is stable with nulls last (``nulls_last=True``); NaN sorts above every number. unique keeps
the first row of each distinct tuple, in order (``keep="first", maintain_order=True``).

Aggregation types: sum of signed integers is int64, of unsigned uint64, of bool the uint32
count of true, of floats the float type; mean/std/var float64; count/n_unique/len uint32;
min/max/first/last keep the type.
"""

from __future__ import annotations

import ctypes
import re
from typing import Any, Callable, Sequence, Union

from . import _lib
from ._args import _c_names, _flatten, _names, _run
from ._columns import table_schema
from .errors import InvalidArgumentError, _check
from .expr import Expr, col

__all__ = ["group_by", "sort", "unique"]


def _agg_array(flat: list) -> ctypes.Array:
    """The C array of weft_agg for AggExprs (which must outlive the call that reads it)."""
    arr = (_lib.weft_agg * max(len(flat), 1))()
    for i, a in enumerate(flat):
        arr[i].kind = a.kind
        arr[i].input = a.input._handle if a.input is not None else None
        arr[i].name = a.name.encode("utf-8") if a.name is not None else None
    return arr


def _expr_array(items: list) -> ctypes.Array:
    """The C array of weft_expr * of Exprs (which must outlive the call that reads it)."""
    return (_lib.weft_expr_p * max(len(items), 1))(*[e._handle for e in items])


def _flatten_aggs(aggs: Sequence[Any]) -> list:
    """The expressions of agg(...): aggregations, or expressions of them."""
    flat = []
    for a in aggs:
        items = a if isinstance(a, (list, tuple)) else [a]
        for item in items:
            if isinstance(item, str):
                raise InvalidArgumentError(
                    f"agg: {item!r} is a column name, not an aggregation; write e.g. "
                    f"weft.col({item!r}).sum() or weft.col({item!r}).first()"
                )
            if not isinstance(item, Expr):
                raise InvalidArgumentError(
                    f"agg: expected aggregations such as weft.col('v').sum(), got {item!r}"
                )
            flat.append(item)
    return flat


_BARE = re.compile(r'col\("([^"]*)"\)')


def _key_list(keys: Any, what: str) -> list:
    """Keys as a list of column names and expressions (a str, an Expr, or a list of them)."""
    items = list(keys) if isinstance(keys, (list, tuple)) else [keys]
    for k in items:
        if not isinstance(k, (str, Expr)):
            raise InvalidArgumentError(f"{what} must be column names or expressions, got {k!r}")
    return items


def _computed_keys(keys: list, out_name: Callable[[Expr], str]) -> tuple:
    """(names, exprs, renames) for keys that may be expressions: a column (a name or a bare
    col("x")) is grouped or sorted on as it is; any other expression is computed first under
    a name of its own (so it never replaces a column the aggregations read), which `renames`
    maps to its output name (its alias, else its leftmost column)."""
    names, exprs, renames = [], [], {}
    for i, k in enumerate(keys):
        if isinstance(k, str):
            names.append(k)
            continue
        m = _BARE.fullmatch(str(k))
        if m:
            names.append(m.group(1))
            continue
        hidden = f"__weft_key {i}"
        names.append(hidden)
        exprs.append(k.alias(hidden))
        renames[hidden] = out_name(k)
    return names, exprs, renames


def _out_name(table: ctypes.c_void_p, e: Expr, where: str) -> str:
    name = ctypes.c_char_p()
    kind = _lib.weft_type(0)
    _check(_lib.weft_expr_output(e._handle, table, ctypes.byref(name), ctypes.byref(kind)), where)
    return name.value.decode("utf-8")


def _renamed(table: ctypes.c_void_p, renames: dict, where: str, keep: Any = None) -> ctypes.c_void_p:
    """A select of `table` with the hidden key columns renamed (keep: only these columns)."""
    have = [n for n, _ in table_schema(table)]
    cols = [col(n).alias(renames[n]) if n in renames else col(n)
            for n in have if keep is None or n in keep]
    out = _lib.weft_table_p()  # no exec: the report stays the operation's
    _check(_lib.weft_table_select(None, table, len(cols), _expr_array(cols), ctypes.byref(out)), where)
    return out


def _with_keys(table: ctypes.c_void_p, exprs: list, device: Any, strict: bool,
               where: str) -> ctypes.c_void_p:
    return _run(where, _lib.weft_table_with_columns, device, strict, table, len(exprs),
                _expr_array(exprs))


def _per_row_keys(table: ctypes.c_void_p, exprs: list, keys: list, where: str) -> None:
    """An error naming a key that is one value (an aggregation without .over), not one per
    row: a select of it over none of the rows gives a row."""
    empty = _lib.weft_table_p()
    _check(_lib.weft_table_slice(table, 0, 0, ctypes.byref(empty)), where)
    originals = [k for k in keys if isinstance(k, Expr) and not _BARE.fullmatch(str(k))]
    try:
        for e, shown in zip(exprs, originals):
            out = _lib.weft_table_p()
            _check(_lib.weft_table_select(None, empty, 1, _expr_array([e]), ctypes.byref(out)), where)
            rows = ctypes.c_int64()
            _check(_lib.weft_table_num_rows(out, ctypes.byref(rows)))
            _lib.weft_table_free(out)
            if rows.value:
                raise InvalidArgumentError(
                    f"{where}: the key {shown} is an aggregation, one value rather than one per "
                    "row; sort by a per-row expression, or aggregate per group with .over(keys)")
    finally:
        _lib.weft_table_free(empty)


def group_by(table: ctypes.c_void_p, keys: Any, aggs: Sequence[Any],
             device: Any = "auto", strict: bool = False,
             where: str = "DataFrame.group_by(...).agg") -> ctypes.c_void_p:
    """A new table handle: one row per group of `keys` (names or expressions, a list, empty:
    the whole table) of `table` (first-appearance order), the keys, then each aggregation
    (an aggregation, or an expression of aggregations)."""
    keys = _key_list(keys, "group_by keys")
    flat = _flatten_aggs(aggs)
    names, exprs, renames = _computed_keys(keys, lambda e: _out_name(table, e, where))
    src = _with_keys(table, exprs, device, strict, where) if exprs else table
    try:
        out = _run(where, _lib.weft_table_agg, device, strict, src, len(names), _c_names(names),
                   len(flat), _expr_array(flat))
    finally:
        if exprs:
            _lib.weft_table_free(src)
    del flat  # the input expressions lived through the call
    if not renames:
        return out
    try:
        return _renamed(out, renames, where)
    finally:
        _lib.weft_table_free(out)


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


def sort(table: ctypes.c_void_p, by: Any, *more_by: Any,
         descending: Union[bool, Sequence[bool]] = False,
         nulls_last: Union[bool, Sequence[bool]] = False, device: Any = "auto",
         strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: `table` sorted (stably) by one or more columns or expressions;
    descending and nulls_last: one bool or one per key (nulls first by default, as Polars)."""
    where = "DataFrame.sort"
    items = _key_list(_flatten([by, *more_by]), "sort by")
    if not items:
        raise InvalidArgumentError("sort by must name at least one column, got []")
    keys, exprs, _ = _computed_keys(items, str)
    desc = _descending_flags(descending, keys, where)
    last = _bool_flags(nulls_last, keys, "nulls_last", where)
    if not exprs:
        return _run(where, _lib.weft_table_sort_nulls, device, strict, table, len(keys),
                    _c_names(keys), desc, last)
    _per_row_keys(table, exprs, items, where)
    src = _with_keys(table, exprs, device, strict, where)
    try:
        out = _run(where, _lib.weft_table_sort_nulls, device, strict, src, len(keys),
                   _c_names(keys), desc, last)
    finally:
        _lib.weft_table_free(src)
    try:
        return _renamed(out, {}, where, keep=[n for n, _ in table_schema(table)])
    finally:
        _lib.weft_table_free(out)


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
