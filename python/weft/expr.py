"""Expressions: ``weft.col("v") * 2 > 1.5`` builds a tree in C (a weft_expr) that select,
with_columns and filter evaluate chunk by chunk over a table.

Types follow Polars, simplified: int op int gives the wider int (int64 when signedness
differs), any float gives float64 (float32 when both sides are float32 or small ints), a
Python int next to a column takes the column's type when it fits (``col_int32 + 1`` stays
int32), ``/`` is always a float, ``%`` takes the sign of the divisor and ``x % 0`` is null on
integers; comparisons give bool; ``&``, ``|`` and ``~`` are Kleene logic on bool. Casts are
strict: a value that does not fit or parse raises, naming the column and the value.
``str.to_lowercase`` / ``to_uppercase`` change ASCII letters only. ``str.contains`` and
``str.replace`` take a regular expression unless ``literal=True`` (Polars' dialect: patterns
that Rust regex rejects, such as backreferences and lookaround, raise). weft has no duration
type: ``date - date`` and ``datetime - datetime`` are int64 microseconds that
``.dt.total_days()`` reads, and ``datetime.timedelta`` / ``weft.duration(...)`` shift dates
and datetimes.
"""

from __future__ import annotations

import builtins
import ctypes
import datetime
import decimal
import re
import weakref
from typing import Any

import numpy as np

from . import _lib, _vectors
from .errors import InvalidArgumentError, _check, python_call

__all__ = ["Expr", "AggExpr", "col", "lit", "len", "when", "duration"]

_TYPE_NAMES = {  # type names users write (Polars, pyarrow, numpy spellings)
    "bool": _lib.WEFT_TYPE_BOOL, "boolean": _lib.WEFT_TYPE_BOOL,
    "int8": _lib.WEFT_TYPE_INT8, "int16": _lib.WEFT_TYPE_INT16,
    "int32": _lib.WEFT_TYPE_INT32, "int64": _lib.WEFT_TYPE_INT64,
    "uint8": _lib.WEFT_TYPE_UINT8, "uint16": _lib.WEFT_TYPE_UINT16,
    "uint32": _lib.WEFT_TYPE_UINT32, "uint64": _lib.WEFT_TYPE_UINT64,
    "float32": _lib.WEFT_TYPE_FLOAT32, "float64": _lib.WEFT_TYPE_FLOAT64,
    "float": _lib.WEFT_TYPE_FLOAT32, "double": _lib.WEFT_TYPE_FLOAT64,
    "utf8": _lib.WEFT_TYPE_UTF8, "str": _lib.WEFT_TYPE_UTF8, "string": _lib.WEFT_TYPE_UTF8,
    "categorical": _lib.WEFT_TYPE_CATEGORICAL, "category": _lib.WEFT_TYPE_CATEGORICAL,
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


_DECIMAL_NAME = re.compile(r"^\s*decimal(?:128)?\s*[\(\[]\s*(\d+)\s*,\s*(\d+)\s*[\)\]]\s*$", re.I)


def _decimal_type(precision, scale, dtype):
    try:
        p, s = int(precision), int(scale)
    except (TypeError, ValueError):
        p = s = -1
    if not (1 <= p <= 38 and 0 <= s <= p):
        raise InvalidArgumentError(
            f"cast: decimal type {dtype!r} needs precision 1..38 and scale 0..precision "
            "(Polars' pl.Decimal(precision, scale))"
        )
    return _lib.WEFT_TYPE_DECIMAL(p, s)


def _weft_type(dtype):
    """A weft_type int from a name ("int64", "utf8", "date", "decimal(15,2)", ...), a numpy
    dtype, a Python type (int, float, str, bool), Polars' pl.Decimal(p, s), pyarrow's
    decimal128(p, s) or a weft type int."""
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        if (0 <= dtype <= _lib.WEFT_TYPE_TIMESTAMP_US or dtype == _lib.WEFT_TYPE_CATEGORICAL
                or _lib.weft_type_is_decimal(dtype, None, None)):
            return dtype
    elif getattr(dtype, "__name__", type(dtype).__name__) in ("Categorical", "Enum") and \
            "polars" in (getattr(dtype, "__module__", "") or type(dtype).__module__):
        return _lib.WEFT_TYPE_CATEGORICAL  # pl.Categorical / pl.Enum(...): weft's categorical
    elif isinstance(dtype, str) and dtype.lower() in _TYPE_NAMES:
        return _TYPE_NAMES[dtype.lower()]
    elif isinstance(dtype, str) and _DECIMAL_NAME.match(dtype):
        return _decimal_type(*_DECIMAL_NAME.match(dtype).groups(), dtype)
    elif "decimal" in type(dtype).__name__.lower() and hasattr(dtype, "precision"):
        # pl.Decimal(15, 2) and pa.decimal128(15, 2): both carry precision and scale
        return _decimal_type(dtype.precision, getattr(dtype, "scale", None), dtype)
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
        "'date', 'datetime', 'decimal(15,2)', a numpy dtype or a weft type int"
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
    def __floordiv__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_FLOORDIV, o)
    def __rfloordiv__(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_FLOORDIV, o, True)

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
    def floor(self) -> "Expr": return self._un(_lib.WEFT_OP_FLOOR)
    def ceil(self) -> "Expr": return self._un(_lib.WEFT_OP_CEIL)
    def floordiv(self, o: Any) -> "Expr": return self._bin(_lib.WEFT_OP_FLOORDIV, o)

    def round(self, decimals: int = 0, mode: builtins.str = "half_to_even") -> "Expr":
        """Floats rounded to `decimals` places, ties to even (Polars' default); integers
        unchanged; decimals rounded exactly, ties to even, as decimal(precision + 1, scale)
        when `decimals` is below the scale (Polars' type)."""
        if mode != "half_to_even":
            raise InvalidArgumentError(
                f"round(mode={mode!r}): only mode='half_to_even' (Polars' default) is supported")
        if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
            raise InvalidArgumentError(f"round(decimals={decimals!r}): decimals must be an int >= 0")
        return _make(_lib.weft_expr_round, self._handle, decimals)

    def _distance(self, method, metric, query):
        q, _ = _vectors.queries(f"{self}.{method}(...)", query)
        return _make(_lib.weft_expr_vector_distance, self._handle, metric, q.shape[1],
                     q.ctypes.data)

    def l2_distance(self, query: Any) -> "Expr":
        """The squared Euclidean distance of each vector of this vector column to `query`
        (a 1-D list or array of numbers, taken as float32): float32, null for a null
        vector. Squared, as weft's FlatIndex, faiss and Lance (no square root)."""
        return self._distance("l2_distance", _lib.WEFT_METRIC_L2, query)

    def cosine_distance(self, query: Any) -> "Expr":
        """1 - the cosine similarity of each vector to `query`: float32, null for a null
        vector, NaN for a zero vector (as numpy)."""
        return self._distance("cosine_distance", _lib.WEFT_METRIC_COSINE, query)

    def dot(self, query: Any) -> "Expr":
        """The inner product of each vector with `query`: float32, null for a null vector."""
        return self._distance("dot", _lib.WEFT_METRIC_IP, query)

    def is_in(self, values: Any) -> "Expr":
        """Whether each value is one of `values` (a list, tuple, set, numpy array or weft
        Series of ints, floats, strings, dates, datetimes or decimal.Decimal). Nulls in
        `values` match nothing; a null input gives null. Integers and floats do not mix (as
        Polars 2); a decimal column takes Decimal values, compared exactly at any scale."""
        return _is_in(self, values)

    def is_between(self, lower_bound: Any, upper_bound: Any, closed: builtins.str = "both") -> "Expr":
        """lower_bound <= x <= upper_bound; `closed` ("both", "left", "right", "none") says
        which bounds are included. As Polars, the comparisons are and-ed with Kleene logic."""
        if closed not in ("both", "left", "right", "none"):
            raise InvalidArgumentError(
                f"is_between(closed={closed!r}): use 'both', 'left', 'right' or 'none'")
        lo = self >= lower_bound if closed in ("both", "left") else self > lower_bound
        hi = self <= upper_bound if closed in ("both", "right") else self < upper_bound
        return lo & hi

    def fill_null(self, value: Any) -> "Expr":
        """Nulls replaced by `value` (a Python scalar or an Expr of a compatible type)."""
        fill = _expr(value)  # held until C has taken its own reference
        return _make(_lib.weft_expr_fill_null, self._handle, fill._handle)

    @python_call("Expr.cast")
    def cast(self, dtype: Any) -> "Expr":
        """Strict cast: raises (naming the column and value) when a value does not fit."""
        return _make(_lib.weft_expr_cast, self._handle, _weft_type(dtype))

    def alias(self, name: builtins.str) -> "Expr":  # Expr.str is the namespace
        return _make(_lib.weft_expr_alias, self._handle, _enc(name, "alias name"))

    @property
    def str(self) -> "_StrNamespace":
        return _StrNamespace(self)

    @property
    def dt(self) -> "_DtNamespace":
        return _DtNamespace(self)

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

    def len_bytes(self) -> Expr:
        """Length in bytes (UTF-8), uint32."""
        return self._e._un(_lib.WEFT_OP_STR_LEN_BYTES)

    def contains(self, pattern: str, *, literal: bool = False, strict: bool = True) -> Expr:
        """Whether the string matches the regular expression `pattern` anywhere (Polars'
        semantics), or contains it as plain text with ``literal=True``."""
        p = _enc(pattern, "str.contains pattern")
        return _make(_lib.weft_expr_str_contains_pattern, self._e._handle, p, 1 if literal else 0)

    def starts_with(self, prefix: str) -> Expr:
        return _make(_lib.weft_expr_str_starts_with, self._e._handle, _enc(prefix, "str.starts_with prefix"))

    def ends_with(self, suffix: str) -> Expr:
        return _make(_lib.weft_expr_str_ends_with, self._e._handle, _enc(suffix, "str.ends_with suffix"))

    def slice(self, offset: int, length: int | None = None) -> Expr:
        """`length` characters (None: to the end) from character `offset` (negative: from the end)."""
        for name, v in (("offset", offset), ("length", length)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
                raise InvalidArgumentError(f"str.slice({name}={v!r}): {name} must be an int")
        if length is not None and length < 0:
            raise InvalidArgumentError(f"str.slice(length={length!r}): length must be >= 0 or None")
        return _make(_lib.weft_expr_str_slice, self._e._handle, int(offset),
                     -1 if length is None else int(length))

    def replace(self, pattern: str, value: str, *, literal: bool = False, n: int = 1) -> Expr:
        """The first `n` matches of `pattern` (a regex unless ``literal=True``) replaced by
        `value` ($1, ${name}: a group's text, as Polars)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidArgumentError(f"str.replace(n={n!r}): n must be an int >= 0")
        return _make(_lib.weft_expr_str_replace, self._e._handle, _enc(pattern, "str.replace pattern"),
                     _enc(value, "str.replace value"), 1 if literal else 0, n)

    def replace_all(self, pattern: str, value: str, *, literal: bool = False) -> Expr:
        """Every match of `pattern` (a regex unless ``literal=True``) replaced by `value`."""
        return _make(_lib.weft_expr_str_replace, self._e._handle,
                     _enc(pattern, "str.replace_all pattern"), _enc(value, "str.replace_all value"),
                     1 if literal else 0, -1)

    def strip_chars(self, characters: str | None = None) -> Expr:
        """Leading and trailing characters of `characters` removed (None: white space)."""
        chars = None if characters is None else _enc(characters, "str.strip_chars characters")
        return _make(_lib.weft_expr_str_strip_chars, self._e._handle, chars)


class _DtNamespace:
    """Date and datetime parts: ``col("d").dt.year()`` and so on (Polars' names and types)."""

    __slots__ = ("_e",)

    def __init__(self, e):
        self._e = e

    def year(self) -> Expr:
        """The year, int32."""
        return self._e._un(_lib.WEFT_OP_DT_YEAR)

    def month(self) -> Expr:
        """The month, 1..12, int8."""
        return self._e._un(_lib.WEFT_OP_DT_MONTH)

    def day(self) -> Expr:
        """The day of the month, 1..31, int8."""
        return self._e._un(_lib.WEFT_OP_DT_DAY)

    def weekday(self) -> Expr:
        """The ISO weekday: Monday 1 .. Sunday 7, int8."""
        return self._e._un(_lib.WEFT_OP_DT_WEEKDAY)

    def total_days(self) -> Expr:
        """Whole days of a duration (date - date, datetime - datetime), toward zero, int64."""
        return self._e._un(_lib.WEFT_OP_DT_TOTAL_DAYS)


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


@python_call("weft.lit")
def lit(value: Any) -> Expr:
    """A literal: int -> int64, float -> float64, bool, str -> utf8, datetime.date -> date,
    datetime.datetime (or numpy datetime64) -> timestamp[us], decimal.Decimal ->
    decimal(38, its digits after the point), None -> null (its type taken from the other
    operand). An Expr is returned unchanged."""
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
    if isinstance(value, datetime.timedelta):
        return _make(_lib.weft_expr_literal_duration, value // datetime.timedelta(microseconds=1))
    if isinstance(value, np.timedelta64):
        if np.isnat(value):
            raise InvalidArgumentError("lit: NaT is not a value; use None for a null")
        return _make(_lib.weft_expr_literal_duration, int(value.astype("timedelta64[us]").astype(np.int64)))
    if isinstance(value, (datetime.date, np.datetime64)):
        return _temporal_literal(value)
    if isinstance(value, decimal.Decimal):
        return _decimal_literal(value)
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


def _decimal_literal(value):
    """decimal(38, digits after the point), as Polars' lit(Decimal(...)): the exact text
    cast by weft, so no float rounding comes between."""
    if not value.is_finite():
        raise InvalidArgumentError(f"lit: {value!r} is not a finite decimal")
    sign, digits, exponent = value.as_tuple()
    scale = max(-exponent, 0)
    if scale > 38 or builtins.len(digits) + max(exponent, 0) > 38:
        raise InvalidArgumentError(f"lit: {value!r} does not fit decimal128 (38 digits)")
    text = format(value, "f")
    return _make(_lib.weft_expr_literal_utf8, text.encode("ascii")).cast(_lib.WEFT_TYPE_DECIMAL(38, scale))


_expr = lit


def duration(*, weeks: int = 0, days: int = 0, hours: int = 0, minutes: int = 0, seconds: int = 0,
             milliseconds: int = 0, microseconds: int = 0) -> Expr:
    """A constant duration (Polars' ``pl.duration`` with scalar arguments), to add to or
    subtract from a date or datetime."""
    parts = dict(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds,
                 milliseconds=milliseconds, microseconds=microseconds)
    for k, v in parts.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InvalidArgumentError(f"duration({k}={v!r}): {k} must be a number (weft takes "
                                       "scalar durations only)")
    td = datetime.timedelta(**{k: float(v) for k, v in parts.items()})
    return lit(td)


class _When:
    """``weft.when(cond)``: waits for ``.then(value)``."""

    __slots__ = ("_conds", "_thens")

    def __init__(self, conds, thens):
        self._conds = conds
        self._thens = thens

    def then(self, value: Any) -> "_Then":
        return _Then(self._conds, self._thens + [_then_value(value)])


class _Then(Expr):
    """A when/then chain: an expression (null where no condition holds) that takes
    ``.when(...)`` for another branch or ``.otherwise(value)``."""

    __slots__ = ("_conds", "_thens")

    @classmethod
    def _chain(cls, conds, thens, otherwise):
        e = otherwise
        for c, t in zip(reversed(conds), reversed(thens)):
            e = _make(_lib.weft_expr_when, c._handle, t._handle, None if e is None else e._handle)
        return e

    def __new__(cls, conds, thens):
        e = _Then._chain(conds, thens, None)
        obj = object.__new__(cls)
        obj._handle = e._handle
        obj._finalizer = weakref.finalize(obj, _free, e._handle)
        e._finalizer.detach()
        obj._conds = conds
        obj._thens = thens
        return obj

    def __init__(self, conds, thens):
        pass

    def when(self, *predicates: Any) -> _When:
        return _When(self._conds + [_condition(predicates)], self._thens)

    def otherwise(self, value: Any) -> Expr:
        return _Then._chain(self._conds, self._thens, _then_value(value))


def _then_value(value):
    # Polars reads a str in then/otherwise as a column name; so does weft
    if isinstance(value, builtins.str):
        return col(value)
    return _expr(value)


def _condition(predicates):
    if not predicates:
        raise InvalidArgumentError("when(): give at least one condition")
    cond = None
    for p in predicates:
        p = col(p) if isinstance(p, builtins.str) else _expr(p)
        cond = p if cond is None else cond & p
    return cond


def when(*predicates: Any) -> _When:
    """``when(cond).then(x).otherwise(y)``: x where cond is true, else y (a null cond counts as
    false; without otherwise, null). Chains: ``.when(c2).then(x2)`` before ``.otherwise``.
    Several predicates are and-ed, as Polars."""
    return _When([_condition(predicates)], [])


def _is_in(e, values):
    from .frame import Series  # frame imports expr

    if isinstance(values, Series):
        values = values.to_list()
    elif isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            values = [None if np.isnat(v) else v for v in values]
        else:
            values = values.tolist()
    elif isinstance(values, (list, tuple, set, frozenset)):
        values = list(values)
    else:
        raise InvalidArgumentError(
            f"is_in: values must be a list, tuple, set, numpy array or weft Series, got "
            f"{type(values).__name__}")
    vals = [v for v in values if v is not None]
    if vals and builtins.all(isinstance(v, (bool, np.bool_)) for v in vals):
        arr = np.array([1 if v else 0 for v in vals], dtype=np.int64)
        t = _lib.WEFT_TYPE_BOOL
    elif builtins.all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in vals):
        try:
            arr = np.array([int(v) for v in vals], dtype=np.int64)
        except OverflowError:
            raise InvalidArgumentError("is_in: an integer value does not fit in int64") from None
        t = _lib.WEFT_TYPE_INT64
    elif builtins.all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in vals):
        arr = np.array([float(v) for v in vals], dtype=np.float64)
        t = _lib.WEFT_TYPE_FLOAT64
    elif builtins.all(isinstance(v, builtins.str) for v in vals):
        enc = [v.encode("utf-8") for v in vals]
        if builtins.any(b"\0" in b for b in enc):
            raise InvalidArgumentError("is_in: a string value may not contain NUL characters")
        arr = (ctypes.c_char_p * builtins.max(builtins.len(enc), 1))(*enc)
        return _make(_lib.weft_expr_is_in, e._handle, _lib.WEFT_TYPE_UTF8,
                     ctypes.cast(arr, ctypes.c_void_p), builtins.len(enc))
    elif builtins.all(isinstance(v, (datetime.datetime, np.datetime64)) and not (
            isinstance(v, np.datetime64) and np.datetime_data(v.dtype)[0] in ("Y", "M", "W", "D"))
            for v in vals):
        arr = np.array([_micros(v) for v in vals], dtype=np.int64)
        t = _lib.WEFT_TYPE_TIMESTAMP_US
    elif builtins.all(isinstance(v, (datetime.date, np.datetime64)) and not isinstance(v, datetime.datetime)
                      for v in vals):
        arr = np.array([_days(v) for v in vals], dtype=np.int64)
        t = _lib.WEFT_TYPE_DATE32
    elif vals and builtins.all(isinstance(v, decimal.Decimal) for v in vals):
        return _is_in_decimals(e, vals)
    else:
        kinds = sorted({type(v).__name__ for v in vals})
        raise InvalidArgumentError(f"is_in: values must all be ints, floats, strings, dates or "
                                   f"datetimes, got {', '.join(kinds)}")
    arr = np.ascontiguousarray(arr)
    return _make(_lib.weft_expr_is_in, e._handle, t, arr.ctypes.data_as(ctypes.c_void_p), builtins.len(arr))


def _is_in_decimals(e, vals):
    """is_in with decimal.Decimal values: 128-bit integers at the largest scale among them
    (a decimal column of any scale compares with them exactly, as Polars' is_in)."""
    where = f"{e}.is_in(...)"
    if builtins.any(not v.is_finite() for v in vals):
        raise InvalidArgumentError(f"{where}: a Decimal value is NaN or infinite")
    scale = builtins.max(builtins.max(-v.as_tuple().exponent, 0) for v in vals)
    if scale > 38:
        raise InvalidArgumentError(f"{where}: a Decimal value has {scale} digits after the point; "
                                   f"a decimal holds at most 38")
    ints = [int(v.scaleb(scale)) for v in vals]
    if builtins.any(abs(i) >= 10 ** 38 for i in ints):
        raise InvalidArgumentError(f"{where}: a Decimal value does not fit decimal(38, {scale})")
    buf = b"".join(i.to_bytes(16, "little", signed=True) for i in ints)
    arr = ctypes.create_string_buffer(buf, builtins.len(buf))
    return _make(_lib.weft_expr_is_in, e._handle, _lib.WEFT_TYPE_DECIMAL(38, scale),
                 ctypes.cast(arr, ctypes.c_void_p), builtins.len(ints))


def _micros(v):
    if isinstance(v, np.datetime64):
        return int(v.astype("datetime64[us]").astype(np.int64))
    if v.tzinfo is not None:
        v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return (v - _EPOCH) // datetime.timedelta(microseconds=1)


def _days(v):
    if isinstance(v, np.datetime64):
        return int(v.astype("datetime64[D]").astype(np.int64))
    return (v - _EPOCH.date()).days


def len() -> AggExpr:  # noqa: A001 - weft.len() mirrors polars.len()
    """Rows per group (nulls included), for group_by(...).agg()."""
    return AggExpr(_lib.WEFT_AGG_LEN, None, "len")
