"""DataFrame.select / with_columns / filter: expressions evaluated in C over partitions of
the table on the CPU pool. A bare column (``"x"`` or ``col("x")``, aliased or not) is shared
with the input, not copied. Output names: the alias, else the leftmost column of the
expression, else "literal"; two outputs of one name are an error. A literal alone gives a
column as long as the table.

Aggregations in select (``df.select(col("v").sum(), col("w").mean().alias("m"))``) give
one row, as in Polars: they run as a group_by without keys (in C, on the CPU pool). Mixing
aggregations with per-row columns is an error naming the column (Polars broadcasts the
aggregate over the rows; weft does not)."""

import ctypes

from . import _lib
from .errors import InvalidArgumentError, _check
from .exec import _thread_exec
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


def _run(where, fn, df, device, strict, *args):
    from .frame import DataFrame

    out = _lib.weft_table_p()
    ex = _thread_exec()
    ex.configure(device, strict, where)
    status = fn(ex.handle, df._handle, *args, ctypes.byref(out))
    ex._mark_ran()
    _check(status, where)
    return DataFrame._from_handle(out)


def _many(fn, what, df, exprs, device, strict):
    items = _exprs(exprs, what)
    arr = (_lib.weft_expr_p * max(len(items), 1))(*[e._handle for e in items])
    result = _run(f"DataFrame.{what}", fn, df, device, strict, len(items), arr)
    del items  # the expressions lived through the call
    return result


def select(df, exprs, device="auto", strict=False):
    """A new DataFrame of the given expressions' columns, in order; of one row when they are
    all aggregations (a group_by without keys)."""
    aggs = _agg_select(exprs, "select")
    if aggs is not None:
        from ._group import group_by

        return group_by(df, []).agg(aggs, device=device, strict=strict)
    return _many(_lib.weft_table_select, "select", df, exprs, device, strict)


def with_columns(df, exprs, device="auto", strict=False):
    """`df` plus computed columns; a name already in `df` is replaced in place."""
    return _many(_lib.weft_table_with_columns, "with_columns", df, exprs, device, strict)


def filter(df, predicate, device="auto", strict=False):  # noqa: A001
    """Rows where the bool expression is true (null counts as false). Several predicates
    (a list) are combined with &."""
    preds = _exprs(predicate, "filter")
    if not preds:
        raise InvalidArgumentError("filter: needs a predicate")
    p = preds[0]
    for q in preds[1:]:
        p = p & q
    return _run("DataFrame.filter", _lib.weft_table_filter, df, device, strict, p._handle)
