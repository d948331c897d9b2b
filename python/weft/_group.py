"""DataFrame.group_by / sort / unique: hash grouping, radix and merge sorts in C.

group_by follows Polars' ``group_by(..., maintain_order=True)``: one row per distinct key
tuple in order of first appearance, nulls forming their own group, key columns first. sort
is stable with nulls last (``nulls_last=True``); NaN sorts above every number. unique keeps
the first row of each distinct tuple, in order (``keep="first", maintain_order=True``).

Aggregation types: sum of signed integers is int64, of unsigned uint64, of bool the uint32
count of true, of floats the float type; mean/std/var float64; count/n_unique/len uint32;
min/max/first/last keep the type.
"""

import ctypes

from . import _lib
from .errors import InvalidArgumentError, _check
from .exec import _thread_exec

__all__ = ["GroupBy", "group_by", "sort", "unique"]


def _names(value, what, allow_empty=False):
    """A list of column names from a str or a list/tuple of str."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        if value or allow_empty:
            return list(value)
    raise InvalidArgumentError(f"{what} must be a column name or a list of names, got {value!r}")


def _c_names(names):
    return (ctypes.c_char_p * max(len(names), 1))(*[n.encode("utf-8") for n in names])


def _run(where, fn, device, strict, *args):
    """Calls fn(exec, *args, &out) with this thread's exec; a DataFrame of the result.
    `where` names the Python call in errors."""
    from .frame import DataFrame

    out = _lib.weft_table_p()
    ex = _thread_exec()
    ex.configure(device, strict, where)
    status = fn(ex.handle, *args, ctypes.byref(out))
    ex._mark_ran()
    _check(status, where)
    return DataFrame._from_handle(out)


def _agg_array(flat):
    """The C array of weft_agg for AggExprs (which must outlive the call that reads it)."""
    arr = (_lib.weft_agg * max(len(flat), 1))()
    for i, a in enumerate(flat):
        arr[i].kind = a.kind
        arr[i].input = a.input._handle if a.input is not None else None
        arr[i].name = a.name.encode("utf-8") if a.name is not None else None
    return arr


def _flatten_aggs(aggs):
    from .expr import AggExpr

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


class GroupBy:
    """The rows of a DataFrame grouped by key columns; .agg() computes one row per group."""

    def __init__(self, df, keys):
        self._df = df
        self._keys = keys

    def agg(self, *aggs, device="auto", strict=False):
        """One row per group (first-appearance order): the keys, then each aggregation."""
        flat = _flatten_aggs(aggs)
        arr = _agg_array(flat)
        keys = _c_names(self._keys)
        df = _run("DataFrame.group_by(...).agg", _lib.weft_table_group_by, device, strict, self._df._handle, len(self._keys), keys,
                  len(flat), arr)
        del flat  # the input expressions lived through the call
        return df

    def __repr__(self):
        return f"GroupBy(keys={self._keys!r})"


def group_by(df, keys):
    """Groups `df` by one column name or a list of them (an empty list: the whole table)."""
    return GroupBy(df, _names(keys, "group_by keys", allow_empty=True))


def _descending_flags(descending, keys):
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


def sort(df, by, descending=False, device="auto", strict=False):
    """Stable sort by one or more columns; descending: one bool or one per column."""
    keys = _names(by, "sort by")
    desc_arr = _descending_flags(descending, keys)
    return _run("DataFrame.sort", _lib.weft_table_sort, device, strict, df._handle, len(keys), _c_names(keys), desc_arr)


def unique(df, subset=None, device="auto", strict=False):
    """The first row of each distinct tuple of `subset` (every column when None), in order."""
    keys = [] if subset is None else _names(subset, "unique subset")
    return _run("DataFrame.unique", _lib.weft_table_unique, device, strict, df._handle, len(keys), _c_names(keys))
