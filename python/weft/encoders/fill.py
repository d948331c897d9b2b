"""FillNull: nulls replaced by a value learned from the column (mean, median, min, max) or
given (zero, value=...), as scikit-learn's SimpleImputer with null as the missing value."""

from __future__ import annotations

from typing import Any, Optional

from ..errors import InvalidArgumentError
from ..expr import col
from ._base import NUMERIC_TYPES, Encoder, Frame, collect, one_row, plain, register

_STRATEGIES = ("mean", "median", "min", "max", "zero")
_ORDERED = NUMERIC_TYPES | {"utf8", "bool"}


@register
class FillNull(Encoder):
    """``col(c).fill_null(v)`` per column. `strategy`: "mean", "median" (the middle value, or
    the mean of the two middle ones, as Polars' and numpy's median), "min", "max" (learned by
    fit over the non-null values) or "zero" (0); or `value=` a fixed scalar. The default is
    "mean". As Polars' fill_null, an integer column filled with a float mean becomes float64;
    NaN is a value, not a null (it is not filled; in median it counts as the largest value,
    as Polars sorts). A column with no value in fit keeps its nulls."""

    def __init__(self, columns: Any, strategy: Optional[str] = None, value: Any = None) -> None:
        super().__init__(columns)
        if strategy is not None and value is not None:
            raise InvalidArgumentError(f"{self._call('__init__')}: give strategy or value, not both "
                                       f"(strategy={strategy!r}, value={value!r})")
        if value is None and strategy is None:
            strategy = "mean"
        if strategy is not None and strategy not in _STRATEGIES:
            raise InvalidArgumentError(f"{self._call('__init__')}: strategy={strategy!r}; use one of "
                                       f"{', '.join(map(repr, _STRATEGIES))} or value=...")
        if value is not None and not isinstance(value, (int, float, str, bool)):
            raise InvalidArgumentError(f"{self._call('__init__')}: value must be an int, float, str "
                                       f"or bool, got {value!r}")
        self.strategy, self.value = strategy, value

    def params(self) -> dict:
        return {"columns": list(self.columns), "strategy": self.strategy, "value": self.value}

    def _types(self):
        if self.strategy in ("mean", "median", "zero"):
            return NUMERIC_TYPES
        if self.strategy in ("min", "max"):
            return _ORDERED
        return None

    def _types_text(self) -> str:
        if self.strategy in ("min", "max"):
            return "numeric, string or bool columns"
        return f"numeric columns for strategy={self.strategy!r}"

    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        if self.value is not None:
            return {"fill": {c: self.value for c in self.columns}}
        if self.strategy == "zero":
            return {"fill": {c: 0 for c in self.columns}}
        if self.strategy == "median":
            return {"fill": {c: _median(frame, c) for c in self.columns}}
        aggs = [getattr(col(c), self.strategy)().alias(f"f{i}") for i, c in enumerate(self.columns)]
        row = one_row(frame.select(*aggs))
        return {"fill": {c: plain(row[f"f{i}"]) for i, c in enumerate(self.columns)}}

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        exprs = [col(c).fill_null(self.state["fill"][c]).alias(c)
                 for c in self.columns if self.state["fill"][c] is not None]
        return frame.with_columns(*exprs) if exprs else frame

    @property
    def fill_values(self) -> dict:
        """{column: the value that replaces its nulls}."""
        return dict(self.state["fill"])


def _median(frame: Frame, c: str) -> Optional[float]:
    """The median of the non-null values: weft sorts them and the middle one or two come
    back."""
    values = frame.select(col(c)).filter(col(c).is_not_null())
    n = one_row(values.select(col(c).count().alias("n")))["n"]
    if n == 0:
        return None
    middle = collect(values.sort(c).slice((n - 1) // 2, 2 - n % 2))[c].to_list()
    return float(sum(middle)) / len(middle)
