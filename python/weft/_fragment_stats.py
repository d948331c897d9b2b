"""Per-fragment statistics of a dataset (min, max, nulls of its integer, float, string and
date columns), written into the manifest, and the test that skips a fragment a scan's
predicate rules out.

The test reads the weft predicate itself (weft_expr_inspect): comparisons of a column with
a literal of its kind (a number, a string, a date), is_null / is_not_null, & and |.
Anything else may match. A fragment is skipped only when no row of it can pass; weft's own
filter still decides every row read, so a kept fragment costs time, never a wrong row. A
float column holding NaN gets no statistics (NaN sorts above every number in weft, and
min/max leave it out). Strings compare by their UTF-8 bytes in weft and in Arrow's min/max,
which is Python's order of code points; dates are stored as days since 1970 and tagged, so
a number never meets a date. Statistics of an older manifest ([min, max, nulls]) are
numbers'."""

from __future__ import annotations

from typing import Any, Optional

from . import _lib

_OPS = {_lib.WEFT_OP_EQ: "==", _lib.WEFT_OP_NE: "!=", _lib.WEFT_OP_LT: "<",
        _lib.WEFT_OP_LE: "<=", _lib.WEFT_OP_GT: ">", _lib.WEFT_OP_GE: ">="}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def compute(table: Any) -> dict:
    """{column: [min, max, nulls]} of the integer and float columns of a pyarrow table
    (min and max None when every value is null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for field, column in zip(table.schema, table.columns):
        t = field.type
        if pa.types.is_date32(t):
            kind, column = "date", column.cast(pa.int32())
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            kind = "str"
        elif pa.types.is_integer(t) or pa.types.is_floating(t):
            kind = "num"
        else:
            continue
        if pa.types.is_floating(t) and pc.any(pc.is_nan(column)).as_py():
            continue
        mm = pc.min_max(column)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        out[field.name] = [lo, hi, column.null_count] + ([] if kind == "num" else [kind])
    return out


def _info(handle: int) -> Any:
    from ._scan_parquet import _info as info
    return info(handle)


def _column(info: Any) -> Optional[str]:
    while info.kind == _lib.WEFT_EXPR_ALIAS and info.a:
        info = _info(info.a)
    if info.kind == _lib.WEFT_EXPR_COLUMN and info.text is not None:
        return info.text.decode("utf-8")
    return None


def _literal(info: Any) -> Optional[tuple]:
    """(kind, value) of a literal node: ("num", int or float), ("str", str), ("date", days);
    a date is an integer literal cast to date. None for anything else (NaN too)."""
    if info.kind == _lib.WEFT_EXPR_CAST and info.a and info.type == _lib.WEFT_TYPE_DATE32:
        inner = _info(info.a)
        if inner.kind == _lib.WEFT_EXPR_LITERAL and not inner.is_null and inner.type == _lib.WEFT_TYPE_INT64:
            return ("date", inner.int_value)
        return None
    if info.kind != _lib.WEFT_EXPR_LITERAL or info.is_null:
        return None
    if info.type == _lib.WEFT_TYPE_INT64:
        return ("num", info.int_value)
    if info.type == _lib.WEFT_TYPE_FLOAT64 and info.float_value == info.float_value:
        return ("num", info.float_value)
    if info.type == _lib.WEFT_TYPE_DATE32:
        return ("date", info.int_value)
    if info.type == _lib.WEFT_TYPE_UTF8 and info.text is not None:
        return ("str", info.text.decode("utf-8"))
    return None


def _compare_may_match(op: str, lit: tuple, stat: list, rows: int) -> bool:
    lo, hi, nulls = stat[:3]
    kind = stat[3] if len(stat) > 3 else "num"
    if lo is not None and kind != lit[0]:
        return True  # a comparison across kinds: not this test's to judge
    value = lit[1]
    if lo is None:  # every value null: a comparison is never true
        return nulls < rows
    return {"==": lo <= value <= hi, "!=": True, "<": lo < value, "<=": lo <= value,
            ">": hi > value, ">=": hi >= value}[op]


def may_match(handle: Optional[int], stats: dict, rows: int) -> bool:
    """False only when no row of a fragment with these statistics passes the predicate."""
    if not handle:
        return True
    if rows == 0:
        return False
    info = _info(handle)
    if info.kind == _lib.WEFT_EXPR_ALIAS and info.a:
        return may_match(info.a, stats, rows)
    if info.kind == _lib.WEFT_EXPR_BINARY and info.op == _lib.WEFT_OP_AND:
        return may_match(info.a, stats, rows) and may_match(info.b, stats, rows)
    if info.kind == _lib.WEFT_EXPR_BINARY and info.op == _lib.WEFT_OP_OR:
        return may_match(info.a, stats, rows) or may_match(info.b, stats, rows)
    if info.kind == _lib.WEFT_EXPR_BINARY and info.op in _OPS:
        op, a, b = _OPS[info.op], _info(info.a), _info(info.b)
        name, value = _column(a), _literal(b)
        if name is None or value is None:
            name, value, op = _column(b), _literal(a), _FLIP[op]
        if name is None or value is None or name not in stats:
            return True
        return _compare_may_match(op, value, stats[name], rows)
    if info.kind == _lib.WEFT_EXPR_UNARY and info.op in (_lib.WEFT_OP_IS_NULL, _lib.WEFT_OP_IS_NOT_NULL):
        name = _column(_info(info.a))
        if name is None or name not in stats:
            return True
        nulls = stats[name][2]
        return nulls > 0 if info.op == _lib.WEFT_OP_IS_NULL else nulls < rows
    return True
