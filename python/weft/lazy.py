"""LazyFrame: a query built first and run at once, Polars' lazy API over weft's C plans.

    >>> lf = df.lazy().filter(weft.col("v") > 0.5).group_by("k").agg(weft.col("v").sum())
    >>> print(lf.explain())            # the optimized plan, each operator with its device
    >>> out = lf.collect(device="auto")

Each method returns a new LazyFrame; nothing runs until collect(). The plan is checked as it
is built (an unknown column or a bad type raises there). collect() optimizes it first:
filters move down (below select / with_columns that pass their columns through, below
sorts, into the matching side of a join) and merge, and each scan keeps only the columns
used above it (without copying). The semantics are those of the eager DataFrame methods,
which run the operators (sort puts nulls first by default in both, as Polars).
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any, Callable, Optional, Sequence, Union

from . import _lib, _table_index, _vectors
from ._args import _c_names, _flatten, _names, _row_index_args
from ._columns import table_schema
from ._group import (_bool_flags, _computed_keys, _descending_flags, _expr_array,
                     _flatten_aggs, _key_list, _out_name, _per_row_keys, _top_k_args)
from ._join import _how, _keys
from ._select import _exprs
from .errors import InvalidArgumentError, NotFoundError, _check, python_call
from .exec import _thread_exec
from .expr import col

__all__ = ["LazyFrame", "LazyGroupBy"]

# frame.DataFrame, which this module does not import (frame.py imports it): frame.py binds
# it at import through _bind, to wrap the tables collect() makes and to take DataFrames in.
_DataFrame: Any = None


def _bind(frame_type: type) -> None:
    global _DataFrame
    _DataFrame = frame_type


# The vector indexes a plan's rows may carry (DataFrame.create_index), by plan handle:
# {column: (TableIndex, source frame, Binding)}, passed on to every plan built over it. A
# nearest hands its column's index to the C plan, which searches it only where its input
# is still the indexed rows (_table_index), so passing it on too far costs nothing wrong.
_PLAN_INDEXES: dict = {}


def _free(handle: ctypes.c_void_p) -> None:
    _PLAN_INDEXES.pop(handle.value, None)
    _lib.weft_plan_free(handle)


def _build(where: str, fn: Callable[..., int], *args: Any) -> "LazyFrame":
    """fn(*args, &out) -> a LazyFrame owning the new plan; `where` names the Python call."""
    out = _lib.weft_plan_p()
    _check(fn(*args, ctypes.byref(out)), where)
    indexes: dict = {}
    for a in args:  # the plans it is built over
        if isinstance(a, ctypes.c_void_p) and a.value in _PLAN_INDEXES:
            indexes.update(_PLAN_INDEXES[a.value])
    lf = LazyFrame._own(out)
    if indexes:
        _PLAN_INDEXES[out.value] = indexes
    return lf


class LazyFrame:
    """A lazy query over weft DataFrames (see the module docstring)."""

    __slots__ = ("_handle", "_finalizer", "__weakref__")

    @classmethod
    def _own(cls, handle: ctypes.c_void_p) -> "LazyFrame":
        lf = object.__new__(cls)
        lf._handle = handle
        lf._finalizer = weakref.finalize(lf, _free, handle)
        return lf

    def __init__(self, df: Any = None) -> None:
        if not isinstance(df, _DataFrame):
            df = _DataFrame(df)
        out = _lib.weft_plan_p()
        _check(_lib.weft_plan_scan(df._handle, ctypes.byref(out)), "weft.LazyFrame")  # shares df's buffers
        self._handle = out
        self._finalizer = weakref.finalize(self, _free, out)
        if df._indexes:
            _PLAN_INDEXES[out.value] = dict(df._indexes)

    # ------------------------------------------------------------------ schema

    def _schema(self) -> list:
        out = _lib.weft_table_p()
        _check(_lib.weft_plan_schema(self._handle, ctypes.byref(out)), "LazyFrame.schema")
        try:
            return table_schema(out)
        finally:
            _lib.weft_table_free(out)

    @property
    def columns(self) -> list[str]:
        """The output column names."""
        return [name for name, _ in self._schema()]

    @property
    def schema(self) -> dict[str, str]:
        """{column name: weft type name} of the output."""
        return dict(self._schema())

    # ------------------------------------------------------------------ operators

    def filter(self, *predicates: Any) -> "LazyFrame":
        """Rows where every predicate is true (null counts as false)."""
        preds = _exprs(_flatten(predicates), "filter")
        if not preds:
            raise InvalidArgumentError("filter: needs a predicate")
        p = preds[0]
        for q in preds[1:]:
            p = p & q
        return _build("LazyFrame.filter", _lib.weft_plan_filter, self._handle, p._handle)

    def _many(self, fn: Callable[..., int], what: str, exprs: Sequence[Any]) -> "LazyFrame":
        items = _exprs(_flatten(exprs), what)
        arr = (_lib.weft_expr_p * max(len(items), 1))(*[e._handle for e in items])
        return _build(f"LazyFrame.{what}", fn, self._handle, len(items), arr)

    def select(self, *exprs: Any) -> "LazyFrame":
        """Columns computed from expressions (or column names), in order. All aggregations
        (``col("v").sum()``, ...): one row, a group_by without keys, which runs fused with a
        filter directly under it (one pass, the filtered rows never built)."""
        return self._many(_lib.weft_plan_select, "select", exprs)

    def drop(self, *columns: Union[str, Sequence[str]], strict: bool = True) -> "LazyFrame":
        """The columns but the named ones (a select of the rest; strict: an unknown name is
        an error)."""
        names = _flatten(columns)
        have = self.columns
        for n in names:
            if not isinstance(n, str):
                raise InvalidArgumentError(f"LazyFrame.drop: column names are str, got {n!r}")
            if strict and n not in have:
                raise NotFoundError(f"LazyFrame.drop: column {n!r} not found; the columns are {have}")
        gone = set(names)
        return self.select([n for n in have if n not in gone])

    def rename(self, mapping: Union[dict, Callable[[str], str]], *,
               strict: bool = True) -> "LazyFrame":
        """The columns renamed: `mapping` a dict {old: new} or a function of the old name
        (a select of aliased columns; strict: an unknown old name is an error)."""
        have = self.columns
        if callable(mapping):
            new = [mapping(n) for n in have]
        elif isinstance(mapping, dict):
            missing = [old for old in mapping if old not in have]
            if strict and missing:
                raise NotFoundError(
                    f"LazyFrame.rename: column {missing[0]!r} not found; the columns are {have}"
                )
            new = [mapping.get(n, n) for n in have]
        else:
            raise InvalidArgumentError(
                f"LazyFrame.rename: expected a dict {{old: new}} or a function, got {type(mapping).__name__}"
            )
        return self.select([col(o).alias(n) if o != n else col(o) for o, n in zip(have, new)])

    def with_columns(self, *exprs: Any) -> "LazyFrame":
        """The columns plus computed ones (an existing name is replaced in place)."""
        return self._many(_lib.weft_plan_with_columns, "with_columns", exprs)

    def group_by(self, *keys: Any, maintain_order: bool = True) -> "LazyGroupBy":
        """Groups by key columns or expressions: .agg(...) gives one row per group, in order
        of first appearance (Polars' maintain_order=True; weft always keeps that order)."""
        if not maintain_order:
            raise InvalidArgumentError("group_by: weft always keeps the order of first appearance "
                                       "(maintain_order=True)")
        return LazyGroupBy(self, _key_list(_flatten(keys), "group_by keys"))

    def _out_name(self, e: Any, where: str) -> str:
        out = _lib.weft_table_p()
        _check(_lib.weft_plan_schema(self._handle, ctypes.byref(out)), where)
        try:
            return _out_name(out, e, where)
        finally:
            _lib.weft_table_free(out)

    def _with_keys(self, keys: list, where: str) -> tuple:
        """(plan, names, renames): the plan with the expression keys computed (_group's
        _computed_keys)."""
        names, exprs, renames = _computed_keys(keys, lambda e: self._out_name(e, where))
        lf = self
        if exprs:
            lf = _build(where, _lib.weft_plan_with_columns, self._handle, len(exprs), _expr_array(exprs))
        return lf, names, renames

    def sort(self, by: Union[str, Sequence[str]], *more_by: str,
             descending: Union[bool, Sequence[bool]] = False,
             nulls_last: Union[bool, Sequence[bool]] = False,
             maintain_order: bool = False) -> "LazyFrame":
        """Stable sort by one or more columns or expressions; descending and nulls_last: one
        bool or one per key; each key's nulls first unless nulls_last (Polars' default). A
        slice or head directly above a sort by columns runs as a top-k (only the first rows
        are sorted)."""
        where = "LazyFrame.sort"
        if not isinstance(maintain_order, bool):
            raise InvalidArgumentError(f"{where}: maintain_order must be a bool, got {maintain_order!r}")
        items = _key_list(_flatten([by, *more_by]), "sort by")
        if not items:
            raise InvalidArgumentError("sort by must name at least one column, got []")
        have = self.columns
        lf, keys, renames = self._with_keys(items, where)
        if renames:  # a key that is one value (an aggregation) is an error, as in the eager sort
            schema = _lib.weft_table_p()
            _check(_lib.weft_plan_schema(self._handle, ctypes.byref(schema)), where)
            try:
                _per_row_keys(schema, _computed_keys(items, str)[1], items, where)
            finally:
                _lib.weft_table_free(schema)
        desc = _descending_flags(descending, keys, where)
        last = _bool_flags(nulls_last, keys, "nulls_last", where)
        out = _build(where, _lib.weft_plan_sort_nulls, lf._handle, len(keys), _c_names(keys),
                     desc, last)
        return out.select(have) if renames else out
    def _top_k(self, k: int, by: Any, reverse: Any, bottom: bool) -> "LazyFrame":
        where = "LazyFrame.bottom_k" if bottom else "LazyFrame.top_k"
        k, keys, names, desc, last = _top_k_args(k, by, reverse, bottom, where)
        return _build(where, _lib.weft_plan_top_k, self._handle, k, len(keys), names, desc, last)

    def top_k(self, k: int, *, by: Union[str, Sequence[str]],
              reverse: Union[bool, Sequence[bool]] = False) -> "LazyFrame":
        """The k rows with the largest values of `by`, largest first (reverse: smallest, per
        key); nulls last."""
        return self._top_k(k, by, reverse, False)

    def bottom_k(self, k: int, *, by: Union[str, Sequence[str]],
                 reverse: Union[bool, Sequence[bool]] = False) -> "LazyFrame":
        """The k rows with the smallest values of `by`, smallest first (reverse: largest, per
        key); nulls last."""
        return self._top_k(k, by, reverse, True)

    def with_row_index(self, name: str = "index", offset: int = 0) -> "LazyFrame":
        """A first uint32 column `name` numbering the rows from `offset` (filters written
        after it stay after it, so the numbers are those of the rows before them)."""
        name_b, offset = _row_index_args(name, offset, "LazyFrame.with_row_index")
        return _build("LazyFrame.with_row_index", _lib.weft_plan_with_row_index, self._handle,
                      name_b, offset)

    def nearest(self, column: str, query: Any, k: int = 10, metric: str = "l2", *,
                nprobe: Optional[int] = None, use_index: bool = True,
                strict: bool = False) -> "LazyFrame":
        """The k rows whose vectors in `column` (array[f32, dim]) are nearest `query` (a 1-D
        array or list of dim numbers), with a float32 "_distance" column, nearest first,
        ties to the smaller row. metric: "l2" (squared Euclidean, as FlatIndex and Lance),
        "cosine" (1 - cosine similarity) or "dot" (minus the inner product: smaller is
        nearer). A 2-D query is a batch: k rows per query and a uint32 "_query" column. Rows
        with a null vector are never returned. A filter below or above it on the input's
        columns is its pre-filter (explain says "prefilter: ..."): the search runs over the
        rows that pass, so k rows come back whenever k rows pass (fewer when fewer do).

        An index on the column (DataFrame.create_index, Dataset.create_index) of this metric
        is searched instead of every candidate when the nearest's input is still the indexed
        rows (explain says "index: ..." or why not): the pre-filter's rows become its allowed
        set, ids are row numbers. nprobe: the IVF lists a query scans (default min(20,
        nlist)); use_index=False: the exact search. strict=True: a plan that would filter the
        rows after the search (a filter on "_distance" or on a column made above the
        nearest, which cannot be its pre-filter) is an error at explain and collect."""
        where = "LazyFrame.nearest"
        name, q, k, m, batch = _vectors.nearest_args(where, self.schema, column, query, k, metric)
        if not isinstance(use_index, bool) or not isinstance(strict, bool):
            raise InvalidArgumentError(f"{where}: use_index and strict are bools, got "
                                       f"{use_index!r}, {strict!r}")
        entry = _PLAN_INDEXES.get(self._handle.value, {}).get(column) if use_index else None
        if nprobe is not None:
            if isinstance(nprobe, bool) or not isinstance(nprobe, int) or nprobe < 1:
                raise InvalidArgumentError(f"{where}: nprobe={nprobe!r}; it must be an int >= 1")
            if entry is None or entry[0].kind == "flat":
                raise InvalidArgumentError(
                    f"{where}: nprobe={nprobe} applies to an IVF index, and column {column!r} has "
                    f"{'none here' if entry is None else 'a flat index'} (create_index(kind='ivf_flat'))")
        binding = None
        if entry is not None:
            tix, src = entry[0], entry[1]
            if tix.kind != "flat":
                nprobe = min(nprobe or 20, tix.params["nlist"])
            binding = _table_index.Binding(src._handle, tix, nprobe)
        return _build(where, _lib.weft_plan_nearest_indexed, self._handle, name, q.shape[0],
                      q.ctypes.data, q.shape[1], k, m, int(batch),
                      binding.handle if binding else None, int(strict))

    @python_call("LazyFrame.join")
    def join(self, other: Any, on: Union[None, str, Sequence[str]] = None,
             left_on: Union[None, str, Sequence[str]] = None,
             right_on: Union[None, str, Sequence[str]] = None, how: str = "inner",
             suffix: str = "_right", coalesce: Optional[bool] = None) -> "LazyFrame":
        """Hash join with another LazyFrame (or DataFrame), as DataFrame.join: how =
        "inner", "left", "right", "full", "semi", "anti" or "cross"; the same rows in the
        same order."""
        if isinstance(other, _DataFrame):
            other = other.lazy()
        if not isinstance(other, LazyFrame):
            raise InvalidArgumentError(f"join: other must be a LazyFrame or DataFrame, got {type(other).__name__}")
        kind = _how(how, suffix, coalesce)
        lk, rk = _keys(on, left_on, right_on, how)
        return _build("LazyFrame.join", _lib.weft_plan_join, self._handle, other._handle, len(lk),
                      _c_names(lk), _c_names(rk), kind, suffix.encode("utf-8"))

    def slice(self, offset: int, length: Optional[int] = None) -> "LazyFrame":
        """Rows [offset, offset + length); a negative offset counts from the end; length
        None: to the end."""
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise InvalidArgumentError(f"LazyFrame.slice: offset must be an integer, got {offset!r}")
        if length is None:
            length = 2**63 - 1
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise InvalidArgumentError(f"LazyFrame.slice: length must be an integer >= 0, got {length!r}")
        return _build("LazyFrame.slice", _lib.weft_plan_slice, self._handle, offset, length)

    def head(self, n: int = 5) -> "LazyFrame":
        """The first n rows."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidArgumentError(f"LazyFrame.head: n must be an integer >= 0, got {n!r}")
        return _build("LazyFrame.head", _lib.weft_plan_head, self._handle, n)

    limit = head

    def unique(self, subset: Union[None, str, Sequence[str]] = None, keep: str = "first",
               maintain_order: bool = True) -> "LazyFrame":
        """The first row of each distinct tuple of `subset` (all columns when None), in
        order (Polars' keep="first", maintain_order=True)."""
        if keep not in ("first", "any") or not maintain_order:
            raise InvalidArgumentError("unique: weft keeps the first row of each tuple, in order "
                                       f"(keep='first', maintain_order=True), got keep={keep!r}")
        keys = [] if subset is None else _names(subset, "unique subset")
        return _build("LazyFrame.unique", _lib.weft_plan_unique, self._handle, len(keys),
                      _c_names(keys))

    # ------------------------------------------------------------------ running

    def explain(self, device: Any = "auto", strict: bool = False) -> str:
        """The optimized plan, one operator a line (inputs indented under it), each with the
        device it will run on and why; after a collect() with the same device, what that
        run did."""
        ex = _thread_exec()
        ex.configure(device, strict, "LazyFrame.explain")
        text = ctypes.c_char_p()
        _check(_lib.weft_plan_explain(ex.handle, self._handle, ctypes.byref(text)),
               "LazyFrame.explain")
        return text.value.decode("utf-8", "replace") if text.value else ""

    def collect(self, device: Any = "auto", strict: bool = False) -> Any:
        """Runs the optimized plan: a DataFrame. strict=True raises (a weft.WeftError
        subclass) instead of falling back to the CPU when a device cannot run an operator;
        weft.last_report() then lists each operator and what ran it."""
        ex = _thread_exec()
        ex.configure(device, strict, "LazyFrame.collect")
        out = _lib.weft_table_p()
        status = _lib.weft_plan_collect(ex.handle, self._handle, ctypes.byref(out))
        ex._mark_ran()
        if status != 0:
            from ._plan_callbacks import take_error
            err = take_error()  # a scan's read or an index search raised: it, not its echo
            if err is not None:
                raise err
        _check(status, "LazyFrame.collect")
        df = _DataFrame._from_handle(out)
        for name, entry in _PLAN_INDEXES.get(self._handle.value, {}).items():
            if _table_index.matches(df._handle, entry[0], entry[2]):  # rows kept: index kept
                df._indexes[name] = entry
        return df

    def lazy(self) -> "LazyFrame":
        return self

    def __repr__(self) -> str:
        return f"<LazyFrame columns={self.columns!r}>"


class LazyGroupBy:
    """A LazyFrame grouped by key columns; .agg() gives the LazyFrame of one row per group."""

    def __init__(self, lf: LazyFrame, keys: list) -> None:
        self._lf = lf
        self._keys = keys

    def agg(self, *aggs: Any) -> LazyFrame:
        """One row per group: the keys, then each aggregation (or expression of them)."""
        where = "LazyFrame.group_by(...).agg"
        flat = _flatten_aggs(aggs)
        lf, keys, renames = self._lf._with_keys(self._keys, where)
        out = _build(where, _lib.weft_plan_agg, lf._handle, len(keys), _c_names(keys), len(flat),
                     _expr_array(flat))
        if not renames:
            return out
        return out.select([col(n).alias(renames[n]) if n in renames else col(n) for n in out.columns])

    def __repr__(self) -> str:
        return f"LazyGroupBy(keys={self._keys!r})"
