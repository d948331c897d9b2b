"""DataFrame.select / with_columns / filter: expressions evaluated in C over partitions of
the table on the CPU pool. A bare column (``"x"`` or ``col("x")``, aliased or not) is shared
with the input, not copied. Output names: the alias, else the leftmost column of the
expression, else "literal"; two outputs of one name are an error. A literal alone gives a
column as long as the table.

Aggregations inside expressions follow Polars: a select of aggregations only
(``df.select(col("v").sum() * 2, col("w").mean().alias("m"))``) gives one row; beside per-row
columns, or in with_columns and filter, an aggregation is broadcast to every row
(``filter(col("v") == col("v").max())``), and ``.over(keys)`` computes it per group of the
keys and broadcasts it to the group's rows. C splits the work (an aggregation stage by
group_by's machinery, then the usual evaluation reading each aggregation as a column)."""

from __future__ import annotations

import ctypes
from typing import Any

from . import _lib
from ._args import _run
from .errors import InvalidArgumentError
from .expr import Expr, col

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
        else:
            raise InvalidArgumentError(
                f"{what}: expected expressions (weft.col(...)) or column names, got {e!r}"
            )
    return out


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
