"""DataFrame.select / with_columns / filter: expressions evaluated in C over partitions of
the table on the CPU pool. A bare column (``"x"`` or ``col("x")``, aliased or not) is shared
with the input, not copied. Output names: the alias, else the leftmost column of the
expression, else "literal"; two outputs of one name are an error. A literal alone gives a
column as long as the table."""

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


def _run(fn, df, device, strict, *args):
    from .frame import DataFrame

    out = _lib.weft_table_p()
    ex = _thread_exec()
    ex.configure(device, strict)
    status = fn(ex.handle, df._handle, *args, ctypes.byref(out))
    ex._mark_ran()
    _check(status)
    return DataFrame._from_handle(out)


def _many(fn, what, df, exprs, device, strict):
    items = _exprs(exprs, what)
    arr = (_lib.weft_expr_p * max(len(items), 1))(*[e._handle for e in items])
    result = _run(fn, df, device, strict, len(items), arr)
    del items  # the expressions lived through the call
    return result


def select(df, exprs, device="auto", strict=False):
    """A new DataFrame of the given expressions' columns, in order."""
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
    return _run(_lib.weft_table_filter, df, device, strict, p._handle)
