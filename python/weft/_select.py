"""DataFrame.select / with_columns / filter: expressions evaluated in C over partitions of
the table on the CPU pool. A bare column (``"x"`` or ``col("x")``, aliased or not) is shared
with the input, not copied. Output names: the alias, else the leftmost column of the
expression, else "literal"; two outputs of one name are an error. A literal alone gives a
column as long as the table.

Aggregations in select (``df.select(col("v").sum(), col("w").mean().alias("m"))``) give
one row, as in Polars: they run as a group_by without keys (in C, on the CPU pool). Mixing
aggregations with per-row columns is an error naming the column (Polars broadcasts the
aggregate over the rows; weft does not)."""

from __future__ import annotations

import ctypes
from typing import Any

from . import _lib
from ._args import _run
from ._group import group_by
from .errors import InvalidArgumentError
from .expr import AggExpr, Expr, col

__all__ = ["select", "with_columns", "filter"]


def _exprs(exprs, what):
    """A list of Expr from an Expr, a column name, or a list / tuple of them."""
    items = exprs if isinstance(exprs, (list, tuple)) else [exprs]
    out = []
    for e in items:
        if isinstance(e, (list, tuple)):
            out.extend(_exprs(e, what))
        elif isinstance(e, str):
            out.append(col(e))
        elif isinstance(e, Expr):
            out.append(e)
        elif isinstance(e, AggExpr):
            raise InvalidArgumentError(
                f"{what}: {e!r} is an aggregation; use it in group_by(...).agg()"
            )
        else:
            raise InvalidArgumentError(
                f"{what}: expected expressions (weft.col(...)) or column names, got {e!r}"
            )
    return out


def _flat(exprs):
    items = exprs if isinstance(exprs, (list, tuple)) else [exprs]
    out = []
    for e in items:
        out.extend(_flat(e) if isinstance(e, (list, tuple)) else [e])
    return out


def _agg_select(exprs, what):
    """The aggregations when `exprs` are all aggregations (a select of one row); None when
    none is; an error naming the first per-row column when they are mixed."""
    items = _flat(exprs)
    aggs = [e for e in items if isinstance(e, AggExpr)]
    if not aggs:
        return None
    for e in items:
        if not isinstance(e, AggExpr):
            shown = repr(e) if isinstance(e, str) else f"'{e}'"
            raise InvalidArgumentError(
                f"{what}: {shown} is a column of every row but {aggs[0]!r} is an aggregation "
                "(one row); weft does not broadcast aggregates (Polars does): aggregate every "
                "output, e.g. col(...).first(), or compute the rows and the aggregates apart"
            )
    return aggs


def _many(fn, what: str, table: ctypes.c_void_p, exprs: Any, device: Any,
          strict: bool) -> ctypes.c_void_p:
    items = _exprs(exprs, what)
    arr = (_lib.weft_expr_p * max(len(items), 1))(*[e._handle for e in items])
    result = _run(f"DataFrame.{what}", fn, device, strict, table, len(items), arr)
    del items  # the expressions lived through the call
    return result


def select(table: ctypes.c_void_p, exprs: Any, device: Any = "auto",
           strict: bool = False) -> ctypes.c_void_p:
    """A new table handle of the given expressions' columns, in order; of one row when they
    are all aggregations (a group_by without keys)."""
    aggs = _agg_select(exprs, "select")
    if aggs is not None:
        return group_by(table, [], aggs, device=device, strict=strict, where="DataFrame.select")
    return _many(_lib.weft_table_select, "select", table, exprs, device, strict)


def with_columns(table: ctypes.c_void_p, exprs: Any, device: Any = "auto",
                 strict: bool = False) -> ctypes.c_void_p:
    """A new table handle: `table` plus computed columns; a name already there is replaced
    in place."""
    return _many(_lib.weft_table_with_columns, "with_columns", table, exprs, device, strict)


def filter(table: ctypes.c_void_p, predicate: Any, device: Any = "auto",  # noqa: A001
           strict: bool = False) -> ctypes.c_void_p:
    """A new table handle of the rows where the bool expression is true (null counts as
    false). Several predicates (a list) are combined with &."""
    preds = _exprs(predicate, "filter")
    if not preds:
        raise InvalidArgumentError("filter: needs a predicate")
    p = preds[0]
    for q in preds[1:]:
        p = p & q
    return _run("DataFrame.filter", _lib.weft_table_filter, device, strict, table, p._handle)
