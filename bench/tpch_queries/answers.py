"""Answers as plain data, and their comparison.

An answer is {"names": [...], "columns": [[values], ...]}: Python values (int, float,
Decimal, str, datetime.date, None) taken from an Arrow table, so it crosses processes and
needs no engine to compare. Two answers agree when they have the same column names, the same
shape, their ORDER BY columns hold the same values in the same order (ties may come in any
order, so only those columns are compared row by row), and their rows agree as multisets.
Values: floats and decimals as floats within RTOL relative (Polars' decimal products keep
the inputs' scale, truncating each row's product, where SQL's keep every digit: the sums then
differ in the last cents, which the tolerance covers; a decimal quotient keeps the dividend's
scale, so a decimal also agrees within one unit of its last digit), the rest exactly. One
exception: the sum of no rows is NULL in SQL and 0 in Polars, so a one-row, one-column
answer of 0 agrees with NULL (Q17 at small scale factors)."""

import datetime
import math
from decimal import Decimal

RTOL = 1e-6


def from_arrow(table):
    """The answer of a pyarrow Table (or anything with to_arrow())."""
    if hasattr(table, "to_arrow") and not hasattr(table, "column_names"):
        table = table.to_arrow()
    cols = []
    for c in table.columns:
        c = c.combine_chunks() if hasattr(c, "combine_chunks") else c
        cols.append(c.to_pylist())
    return {"names": list(table.column_names), "columns": cols}


def _exact(v):
    return v is None or isinstance(v, (bool, int, str, datetime.date))


def _ulp(v):
    """One unit of a decimal's last digit (0 for anything else)."""
    if isinstance(v, Decimal) and v.is_finite():
        return 10.0 ** v.as_tuple().exponent
    return 0.0


def same_value(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (float, Decimal)) or isinstance(b, (float, Decimal)):
        if isinstance(a, (str, datetime.date)) or isinstance(b, (str, datetime.date)):
            return False
        x, y = float(a), float(b)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        ulp = max(_ulp(a), _ulp(b))
        return abs(x - y) <= max(RTOL * max(abs(x), abs(y)), ulp) or x == y
    if isinstance(a, datetime.date) != isinstance(b, datetime.date):
        return False
    return a == b


def _sort_key(row, exact_cols, other_cols):
    """Rows sorted by the columns whose values compare exactly, then by the others rounded
    (floats that agree within RTOL then sort alike, but for values near a rounding edge)."""
    def norm(v):
        return (v is not None, v)

    def approx(v):
        if v is None:
            return (False, 0.0)
        f = float(v)
        return (True, float(f"{f:.4g}") if math.isfinite(f) else f)

    return tuple(norm(row[i]) for i in exact_cols) + tuple(approx(row[i]) for i in other_cols)


def differ(got, want, order_by=()):
    """None when `got` agrees with `want`, else a sentence saying where they differ."""
    gn, wn = got["columns"], want["columns"]
    if len(gn) != len(wn):
        return f"{len(gn)} columns {got['names']} against {len(wn)} {want['names']}"
    if got["names"] != want["names"]:
        return f"columns {got['names']} against {want['names']}"
    rows = len(wn[0]) if wn else 0
    if any(len(c) != rows for c in gn + wn):
        return f"{len(gn[0]) if gn else 0} rows against {rows}"
    # the ORDER BY columns, row by row (by name in the expected answer, by position in got)
    for name in order_by:
        i = want["names"].index(name)
        for r, (a, b) in enumerate(zip(gn[i], wn[i])):
            if not same_value(a, b):
                return f"order: column {name!r} row {r}: {a!r} against {b!r}"
    if rows == 1 and len(wn) == 1 and {gn[0][0], wn[0][0]} <= {None, 0}:
        return None  # a sum of no rows: NULL in SQL, 0 in Polars
    exact = [i for i in range(len(wn)) if all(_exact(v) for v in gn[i] + wn[i])]
    other = [i for i in range(len(wn)) if i not in exact]
    g_rows = sorted(zip(*gn), key=lambda r: _sort_key(r, exact, other))
    w_rows = sorted(zip(*wn), key=lambda r: _sort_key(r, exact, other))
    for r, (a, b) in enumerate(zip(g_rows, w_rows)):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same_value(x, y):
                return (f"column {want['names'][i]!r} ({got['names'][i]!r} here): {x!r} against "
                        f"{y!r} (rows sorted: row {r} is {a!r} against {b!r})")
    return None
