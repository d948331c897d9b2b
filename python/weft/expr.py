"""Expressions: ``weft.col("v") * 2 > 1.5`` builds a tree in C (a weft_expr) that select,
with_columns and filter evaluate chunk by chunk over a table.

Types follow Polars, simplified: int op int gives the wider int (int64 when signedness
differs), any float gives float64 (float32 when both sides are float32 or small ints), a
Python int next to a column takes the column's type when it fits (``col_int32 + 1`` stays
int32), ``/`` is always a float, ``%`` takes the sign of the divisor and ``x % 0`` is null on
integers; comparisons give bool; ``&``, ``|`` and ``~`` are Kleene logic on bool. Casts are
strict: a value that does not fit or parse raises, naming the column and the value.
``str.to_lowercase`` / ``to_uppercase`` change ASCII letters only.
"""

from __future__ import annotations

import builtins
import ctypes
import datetime
import weakref
from typing import Any

import numpy as np

from . import _lib
from .errors import InvalidArgumentError, _check

__all__ = ["Expr", "AggExpr", "col", "lit", "len"]

_TYPE_NAMES = {  # type names users write (Polars, pyarrow, numpy spellings)
    "bool": _lib.WEFT_TYPE_BOOL, "boolean": _lib.WEFT_TYPE_BOOL,
    "int8": _lib.WEFT_TYPE_INT8, "int16": _lib.WEFT_TYPE_INT16,
    "int32": _lib.WEFT_TYPE_INT32, "int64": _lib.WEFT_TYPE_INT64,
    "uint8": _lib.WEFT_TYPE_UINT8, "uint16": _lib.WEFT_TYPE_UINT16,
    "uint32": _lib.WEFT_TYPE_UINT32, "uint64": _lib.WEFT_TYPE_UINT64,
    "float32": _lib.WEFT_TYPE_FLOAT32, "float64": _lib.WEFT_TYPE_FLOAT64,
    "float": _lib.WEFT_TYPE_FLOAT32, "double": _lib.WEFT_TYPE_FLOAT64,
    "utf8": _lib.WEFT_TYPE_UTF8, "str": _lib.WEFT_TYPE_UTF8, "string": _lib.WEFT_TYPE_UTF8,
    "large_string": _lib.WEFT_TYPE_UTF8, "large_utf8": _lib.WEFT_TYPE_UTF8,
    "date": _lib.WEFT_TYPE_DATE32, "date32": _lib.WEFT_TYPE_DATE32,
    "date32[day]": _lib.WEFT_TYPE_DATE32,
    "datetime": _lib.WEFT_TYPE_TIMESTAMP_US, "timestamp[us]": _lib.WEFT_TYPE_TIMESTAMP_US,
    "timestamp": _lib.WEFT_TYPE_TIMESTAMP_US, "timestamp_us": _lib.WEFT_TYPE_TIMESTAMP_US,
    "datetime64[us]": _lib.WEFT_TYPE_TIMESTAMP_US,
}
_PY_TYPES = {bool: _lib.WEFT_TYPE_BOOL, int: _lib.WEFT_TYPE_INT64, float: _lib.WEFT_TYPE_FLOAT64,
             str: _lib.WEFT_TYPE_UTF8, datetime.date: _lib.WEFT_TYPE_DATE32,
             datetime.datetime: _lib.WEFT_TYPE_TIMESTAMP_US}


def _weft_type(dtype):
    """A weft_type int from a name ("int64", "utf8", "date", ...), a numpy dtype, a Python
    type (int, float, str, bool) or a weft type int."""
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        if 0 <= dtype <= _lib.WEFT_TYPE_TIMESTAMP_US:
            return dtype
    elif isinstance(dtype, str) and dtype.lower() in _TYPE_NAMES:
        return _TYPE_NAMES[dtype.lower()]
    elif isinstance(dtype, type) and dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    else:
        try:
            d = np.dtype(dtype)
        except TypeError:
            d = None
        if d is not None:
            if d == np.dtype("datetime64[D]"):
                return _lib.WEFT_TYPE_DATE32
            if d == np.dtype("datetime64[us]"):
                return _lib.WEFT_TYPE_TIMESTAMP_US
            if d.kind in "biuf" and d.name in _TYPE_NAMES:
                return _TYPE_NAMES[d.name]
            if d.kind == "U":
                return _lib.WEFT_TYPE_UTF8
    raise InvalidArgumentError(
        f"cast: unknown type {dtype!r}; use a name such as 'int64', 'float64', 'utf8', 'bool', "
        "'date', 'datetime', a numpy dtype or a weft type int"
    )


def _free(handle):
    _lib.weft_expr_free(handle)


def _make(fn, *args):
    out = _lib.weft_expr_p()
    _check(fn(*args, ctypes.byref(out)))
    return Expr._own(out)


def _enc(s, what):
    if not isinstance(s, str):
        raise InvalidArgumentError(f"{what} must be a str, got {type(s).__name__} {s!r}")
    return s.encode("utf-8")


class Expr:
    """An expression over a table's columns (immutable; operators build new ones)."""

    __slots__ = ("_handle", "_finalizer", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to Expr's reflected operators

    @classmethod
    def _own(cls, handle):
        e = object.__new__(cls)
        e._handle = handle
        e._finalizer = weakref.finalize(e, _free, handle)
        return e

    def __init__(self, *args, **kwargs):
        raise TypeError("build expressions with weft.col(name) and weft.lit(value)")

    # -------------------------------------------------------------- binary operators
    def _bin(self, op, other, reflected=False):
        other = _expr(other)
        a, b = (other, self) if reflected else (self, other)
        return _make(_lib.weft_expr_binary, op, a._handle, b._handle)

    def __add__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_ADD, o)
    def __radd__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_ADD, o, True)
    def __sub__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_SUB, o)
    def __rsub__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_SUB, o, True)
    def __mul__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_MUL, o)
    def __rmul__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_MUL, o, True)
    def __truediv__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_DIV, o)
    def __rtruediv__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_DIV, o, True)
    def __mod__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_MOD, o)
    def __rmod__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_MOD, o, True)
    def __eq__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_EQ, o)  # noqa: D105
    def __ne__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_NE, o)
    def __lt__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_LT, o)
    def __le__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_LE, o)
    def __gt__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_GT, o)
    def __ge__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_GE, o)
    def __and__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_AND, o)
    def __rand__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_AND, o, True)
    def __or__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_OR, o)
    def __ror__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_OR, o, True)

    __hash__ = None  # == builds an expression, so Expr cannot be a dict key

    def __bool__(self):
        raise TypeError(
            "the truth value of an Expr is ambiguous: use & and | instead of and / or, "
            "and parentheses around comparisons: (col('a') > 1) & (col('b') < 2)"
        )

    # -------------------------------------------------------------- unary operators
    def _un(self, op):
        return _make(_lib.weft_expr_unary, op, self._handle)

    def __invert__(self): return self._un(_lib.WEFT_OP_NOT)
    def __neg__(self): return self._un(_lib.WEFT_OP_NEG)
    def __pos__(self): return self
    def __abs__(self): return self._un(_lib.WEFT_OP_ABS)

    def is_null(self) -> "Expr": return self._un(_lib.WEFT_OP_IS_NULL)
    def is_not_null(self) -> "Expr": return self._un(_lib.WEFT_OP_IS_NOT_NULL)
    def abs(self) -> "Expr": return self._un(_lib.WEFT_OP_ABS)
    def sqrt(self) -> "Expr": return self._un(_lib.WEFT_OP_SQRT)
    def log(self) -> "Expr": return self._un(_lib.WEFT_OP_LOG)
    def exp(self) -> "Expr": return self._un(_lib.WEFT_OP_EXP)
    def not_(self) -> "Expr": return self._un(_lib.WEFT_OP_NOT)

    def fill_null(self, value: Any) -> "Expr":
        """Nulls replaced by `value` (a Python scalar or an Expr of a compatible type)."""
        fill = _expr(value)  # held until C has taken its own reference
        return _make(_lib.weft_expr_fill_null, self._handle, fill._handle)

    def cast(self, dtype: Any) -> "Expr":
        """Strict cast: raises (naming the column and value) when a value does not fit."""
        return _make(_lib.weft_expr_cast, self._handle, _weft_type(dtype))

    def alias(self, name: builtins.str) -> "Expr":  # Expr.str is the namespace
        return _make(_lib.weft_expr_alias, self._handle, _enc(name, "alias name"))

    @property
    def str(self) -> "_StrNamespace":
        return _StrNamespace(self)

    # -------------------------------------------------------------- aggregations
    def sum(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_SUM, self)
    def mean(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_MEAN, self)
    def min(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_MIN, self)
    def max(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_MAX, self)
    def count(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_COUNT, self)
    def n_unique(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_N_UNIQUE, self)
    def std(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_STD, self)
    def var(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_VAR, self)
    def first(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_FIRST, self)
    def last(self) -> "AggExpr": return AggExpr(_lib.WEFT_AGG_LAST, self)

    # -------------------------------------------------------------- windows
    def over(self, partition_by: Any, *more: Any) -> "Expr":
        """This expression per group of the keys (column names or expressions; nulls form a
        group): its aggregations are computed per group and broadcast to the group's rows,
        as Polars' over (``col("v") / col("v").sum().over("g")``)."""
        items = list(partition_by) if isinstance(partition_by, (list, tuple)) else [partition_by]
        items += list(more)
        keys = [col(k) if isinstance(k, builtins.str) else k for k in items]
        for k in keys:
            if not isinstance(k, Expr):
                raise InvalidArgumentError(f"{self}.over(...): keys must be column names or "
                                           f"expressions, got {k!r}")
        if not keys:
            raise InvalidArgumentError(f"{self}.over(): needs at least one key")
        arr = (_lib.weft_expr_p * builtins.len(keys))(*[k._handle for k in keys])
        return _make(_lib.weft_expr_over, self._handle, builtins.len(keys), arr)

    # -------------------------------------------------------------- text
    def __str__(self):
        text = ctypes.c_char_p()
        _check(_lib.weft_expr_to_string(self._handle, ctypes.byref(text)))
        return text.value.decode("utf-8", "replace")

    def __repr__(self):
        return f"<Expr {self}>"


class _StrNamespace:
    """String operations: ``col("s").str.len_chars()`` and so on."""

    __slots__ = ("_e",)

    def __init__(self, e):
        self._e = e

    def len_chars(self) -> Expr:
        """Length in characters (UTF-8 code points), uint32."""
        return self._e._un(_lib.WEFT_OP_STR_LEN)

    def to_lowercase(self) -> Expr:
        """ASCII letters lowered; other characters unchanged."""
        return self._e._un(_lib.WEFT_OP_STR_LOWER)

    def to_uppercase(self) -> Expr:
        """ASCII letters raised; other characters unchanged."""
        return self._e._un(_lib.WEFT_OP_STR_UPPER)

    def contains(self, literal: str) -> Expr:
        """Whether the string contains `literal` (a plain substring, not a regex)."""
        return _make(_lib.weft_expr_str_contains, self._e._handle, _enc(literal, "str.contains literal"))

    def starts_with(self, prefix: str) -> Expr:
        return _make(_lib.weft_expr_str_starts_with, self._e._handle, _enc(prefix, "str.starts_with prefix"))


_AGG_NAMES = {
    _lib.WEFT_AGG_SUM: "sum", _lib.WEFT_AGG_MEAN: "mean", _lib.WEFT_AGG_MIN: "min",
    _lib.WEFT_AGG_MAX: "max", _lib.WEFT_AGG_COUNT: "count", _lib.WEFT_AGG_N_UNIQUE: "n_unique",
    _lib.WEFT_AGG_STD: "std", _lib.WEFT_AGG_VAR: "var", _lib.WEFT_AGG_FIRST: "first",
    _lib.WEFT_AGG_LAST: "last", _lib.WEFT_AGG_LEN: "len",
}


class AggExpr(Expr):
    """An aggregation (``col("v").sum()``, ``weft.len()``): an Expr whose value is one per
    group: per group in group_by(...).agg(), per window with .over(keys), and for the whole
    table in select / with_columns / filter (broadcast beside per-row columns; a select of
    aggregations only gives one row). Arithmetic on it gives an Expr
    (``col("a").sum() / col("b").sum()``). `kind` (a weft_agg_kind int), `input` (an Expr, or
    None for len) and `name` (the alias; None: the input's name) say what it is."""

    __slots__ = ("kind", "input", "name")

    def __new__(cls, kind, input=None, name=None):  # noqa: A002
        if kind not in _AGG_NAMES:
            raise InvalidArgumentError(f"unknown aggregation kind {kind!r}")
        if input is not None and not isinstance(input, Expr):
            input = _expr(input)
        out = _lib.weft_expr_p()
        _check(_lib.weft_expr_agg(kind, input._handle if input is not None else None,
                                  ctypes.byref(out)))
        if name is not None:
            agg = Expr._own(out)
            out = _lib.weft_expr_p()
            _check(_lib.weft_expr_alias(agg._handle, _enc(name, "alias name"), ctypes.byref(out)))
        e = cls._own(out)
        e.kind, e.input, e.name = kind, input, name
        return e

    def __init__(self, *args, **kwargs):  # built by __new__
        pass

    def alias(self, name: str) -> "AggExpr":
        _enc(name, "alias name")
        return AggExpr(self.kind, self.input, name)

    def __repr__(self):
        return f"<AggExpr {self}>"


def col(name: str) -> Expr:
    """The column called `name`."""
    return _make(_lib.weft_expr_column, _enc(name, "column name"))


def lit(value: Any) -> Expr:
    """A literal: int -> int64, float -> float64, bool, str -> utf8, datetime.date -> date,
    datetime.datetime (or numpy datetime64) -> timestamp[us], None -> null (its type taken
    from the other operand). An Expr is returned unchanged."""
    if isinstance(value, Expr):
        return value
    if value is None:
        return _make(_lib.weft_expr_literal_null, _lib.WEFT_TYPE_FLOAT64)
    if isinstance(value, (bool, np.bool_)):
        return _make(_lib.weft_expr_literal_bool, 1 if value else 0)
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if not -(2**63) <= v < 2**63:
            raise InvalidArgumentError(f"lit: {v} does not fit in int64")
        return _make(_lib.weft_expr_literal_int64, v)
    if isinstance(value, (float, np.floating)):
        return _make(_lib.weft_expr_literal_float64, float(value))
    if isinstance(value, (datetime.date, np.datetime64)):
        return _temporal_literal(value)
    if isinstance(value, str):
        if "\0" in value:
            raise InvalidArgumentError("lit: a string literal may not contain NUL characters")
        return _make(_lib.weft_expr_literal_utf8, value.encode("utf-8"))
    raise InvalidArgumentError(
        f"lit: unsupported value {value!r} of type {type(value).__name__}; "
        "use int, float, bool, str, datetime.date, datetime.datetime or None"
    )


_EPOCH = datetime.datetime(1970, 1, 1)


def _temporal_literal(value):
    """A date as date32 (days since 1970-01-01), a datetime as timestamp[us]: an int64
    literal cast to the type, so it compares with date and timestamp columns directly.
    Aware datetimes are converted to UTC, as Polars does."""
    if isinstance(value, np.datetime64):
        unit = np.datetime_data(value.dtype)[0]
        if np.isnat(value):
            raise InvalidArgumentError("lit: NaT is not a value; use None for a null")
        if unit in ("Y", "M", "W", "D"):
            days = int(value.astype("datetime64[D]").astype(np.int64))
            return _make(_lib.weft_expr_literal_int64, days).cast("date")
        micros = int(value.astype("datetime64[us]").astype(np.int64))
        return _make(_lib.weft_expr_literal_int64, micros).cast("datetime")
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        micros = (value - _EPOCH) // datetime.timedelta(microseconds=1)
        return _make(_lib.weft_expr_literal_int64, micros).cast("datetime")
    days = (value - _EPOCH.date()).days
    return _make(_lib.weft_expr_literal_int64, days).cast("date")


_expr = lit


def len() -> AggExpr:  # noqa: A001 - weft.len() mirrors polars.len()
    """Rows per group (nulls included), for group_by(...).agg()."""
    return AggExpr(_lib.WEFT_AGG_LEN, None, "len")
