"""Series operators, as Polars: ``s > 0.5``, ``s == t``, ``s * 2``, ``~mask``, ``a & b`` give
a new Series (named after the left operand's column), so ``df[df["v"] > 0.5]`` works.

Each is one expression evaluated in C over a table of the operands' columns (shared, not
copied): the same types, casts, null rules and errors as ``col("v") > 0.5``. The other
operand is a Series or a 1-D numpy array of the same length, or a scalar (as weft.lit)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _lib
from ._args import _run
from ._columns import column_view, table_from_columns
from .errors import InvalidArgumentError
from .expr import col, lit

__all__ = ["SeriesOps"]

class SeriesOps:
    """The operators of Series (a mixin: Series has _df, _view(), name and __len__)."""

    def _other(self, other, where):
        """(name, weft_column_view, keep) of a Series or numpy operand, None for a scalar.
        The name is the one errors quote: the Series', else "array"."""
        if isinstance(other, SeriesOps):
            name, view, keep = other.name, other._view(), [other._df]
        elif isinstance(other, np.ndarray) and other.ndim > 0:
            name = "array"
            view, keep = column_view(name, other)
        else:
            return None
        if name == self.name:
            name += " (right)"
        if view.length != len(self):
            raise InvalidArgumentError(
                f"{where}: the operands have {len(self)} and {view.length} values; they must match"
            )
        return name, view, keep

    def _apply(self, where, build, other=None, has_other=False):
        """The Series of build(col(left)[, right]) over this Series and `other`."""
        names, views, keep = [self.name], [self._view()], [self._df]
        right = None
        if has_other:
            found = self._other(other, where)
            if found is None:
                try:
                    right = lit(other)
                except InvalidArgumentError as e:
                    raise InvalidArgumentError(f"{where}: {e.message.split(': ', 1)[-1]}") from None
            else:
                names.append(found[0])
                views.append(found[1])
                keep.extend(found[2])
                right = col(found[0])
        left = col(self.name)
        expr = (build(left, right) if has_other else build(left)).alias(self.name)
        frame_type = type(self._df)
        table = frame_type._from_handle(table_from_columns(names, views, keep))
        arr = (_lib.weft_expr_p * 1)(expr._handle)
        out = _run(where, _lib.weft_table_select, "auto", False, table._handle, 1, arr)
        del expr, table  # both lived through the call
        return type(self)(frame_type._from_handle(out), 0)

    def _binary(self, symbol, other, reflected=False):
        where = f"Series {symbol}"
        if reflected:
            return self._apply(where, lambda a, b: _OPS[symbol](b, a), other, True)
        return self._apply(where, _OPS[symbol], other, True)

    def __eq__(self, other: Any) -> Any: return self._binary("==", other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Any: return self._binary("!=", other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Any: return self._binary("<", other)
    def __le__(self, other: Any) -> Any: return self._binary("<=", other)
    def __gt__(self, other: Any) -> Any: return self._binary(">", other)
    def __ge__(self, other: Any) -> Any: return self._binary(">=", other)
    def __add__(self, other: Any) -> Any: return self._binary("+", other)
    def __radd__(self, other: Any) -> Any: return self._binary("+", other, True)
    def __sub__(self, other: Any) -> Any: return self._binary("-", other)
    def __rsub__(self, other: Any) -> Any: return self._binary("-", other, True)
    def __mul__(self, other: Any) -> Any: return self._binary("*", other)
    def __rmul__(self, other: Any) -> Any: return self._binary("*", other, True)
    def __truediv__(self, other: Any) -> Any: return self._binary("/", other)
    def __rtruediv__(self, other: Any) -> Any: return self._binary("/", other, True)
    def __floordiv__(self, other: Any) -> Any: return self._binary("//", other)
    def __rfloordiv__(self, other: Any) -> Any: return self._binary("//", other, True)
    def __mod__(self, other: Any) -> Any: return self._binary("%", other)
    def __rmod__(self, other: Any) -> Any: return self._binary("%", other, True)
    def __and__(self, other: Any) -> Any: return self._binary("&", other)
    def __rand__(self, other: Any) -> Any: return self._binary("&", other, True)
    def __or__(self, other: Any) -> Any: return self._binary("|", other)
    def __ror__(self, other: Any) -> Any: return self._binary("|", other, True)

    def __invert__(self) -> Any: return self._apply("Series ~", lambda a: ~a)
    def __neg__(self) -> Any: return self._apply("Series -", lambda a: -a)
    def __abs__(self) -> Any: return self._apply("abs(Series)", abs)
    def __pos__(self) -> Any: return self

    __hash__ = None  # == gives a Series, as in Polars, so a Series is not a dict key
    # numpy_array * s: numpy steps aside so that Series.__rmul__ answers (a Series), rather
    # than numpy multiplying each element of s into an object array
    __array_ufunc__ = None

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a Series is ambiguous: use & and | instead of and / or, "
            "s.equals(t) to compare two Series, and parentheses around comparisons"
        )

    def equals(self, other: Any) -> bool:
        """True when `other` is a Series of the same type, length, values and nulls (NaN
        equals NaN), as Polars' Series.equals; the name is not compared."""
        return isinstance(other, SeriesOps) and self._equals(other)


_OPS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b,
}
