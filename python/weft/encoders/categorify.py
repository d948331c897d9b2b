"""Categorify: categories to dense int32 codes, NVTabular's convention."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from ..expr import col, when
from ..frame import DataFrame
from ._base import CATEGORICAL_TYPES, Encoder, Frame, plain, register
from .categories import TYPES_TEXT, value_counts

PADDING, NULL, UNSEEN, FIRST = 0, 1, 2, 3
_CODE = "__weft_categorify_code"


@register
class Categorify(Encoder):
    """Each column's values replaced by int32 codes, with NVTabular's (23.x) convention: 0
    is never given (padding), 1 is null, 2 is a value fit did not see or saw fewer than
    `freq_threshold` times (out of vocabulary), and the vocabulary takes 3, 4, ... by
    falling frequency in the fit data (ties: the smaller value first). So the most frequent
    value is 3 and ``max code + 1`` sizes an embedding table. Transform is a left join of
    the rows with the vocabulary (value -> code) in weft, then one expression for nulls and
    unseen values.

    ``as_categorical=True`` gives each string (or categorical) column as a weft categorical
    column instead (Polars' Enum of the fitted vocabulary): its dictionary is the vocabulary
    in code order, so a row's dictionary index is its code minus 3 (Arrow's, Polars' and
    pandas' category codes), and nulls and unseen values are null."""

    def __init__(self, columns: Any, freq_threshold: int = 0, as_categorical: bool = False) -> None:
        super().__init__(columns)
        if isinstance(freq_threshold, bool) or not isinstance(freq_threshold, int) or freq_threshold < 0:
            raise InvalidArgumentError(f"{self._call('__init__')}: freq_threshold must be an int >= 0, "
                                       f"got {freq_threshold!r}")
        if not isinstance(as_categorical, bool):
            raise InvalidArgumentError(f"{self._call('__init__')}: as_categorical must be a bool, "
                                       f"got {as_categorical!r}")
        self.freq_threshold = freq_threshold
        self.as_categorical = as_categorical

    def params(self) -> dict:
        return {"columns": list(self.columns), "freq_threshold": self.freq_threshold,
                "as_categorical": self.as_categorical}

    def _types(self):
        return CATEGORICAL_TYPES

    def _types_text(self) -> str:
        return TYPES_TEXT

    def _fit(self, frame: Frame, schema: dict, where: str) -> dict:
        vocab = {}
        for c in self.columns:
            pairs, _ = value_counts(frame, c)
            kept = [(plain(v), n) for v, n in pairs if n >= self.freq_threshold]
            kept.sort(key=lambda p: (-p[1], p[0]))
            vocab[c] = [v for v, _ in kept]
        return {"vocabulary": vocab}

    def _transform(self, frame: Frame, schema: dict, where: str) -> Frame:
        if _CODE in schema:
            raise InvalidArgumentError(f"{where}: the input has a column named {_CODE!r}, which "
                                       "Categorify uses for its join")
        out = frame
        if self.as_categorical:
            text = [c for c in self.columns if schema[c] not in ("utf8", "categorical")]
            if text:
                raise InvalidArgumentError(f"{where}: as_categorical=True takes string or categorical "
                                           f"columns; {text[0]!r} is {schema[text[0]]}")
        for c in self.columns:
            values = self.state["vocabulary"][c]
            if self.as_categorical:
                out = self._as_categorical(out, c, values, schema[c])
                continue
            code = when(col(c).is_null()).then(NULL)
            if schema[c] == "bool" or not values:  # at most two values: no join needed
                for v in values:
                    code = code.when(col(c) == v).then(FIRST + values.index(v))
                out = out.with_columns(code.otherwise(UNSEEN).cast("int32").alias(c))
                continue
            table = _vocabulary_table(c, values, schema[c],
                                      np.arange(FIRST, FIRST + len(values), dtype=np.int32))
            joined = out.join(table if isinstance(out, DataFrame) else table.lazy(), on=c, how="left")
            code = code.otherwise(col(_CODE).fill_null(UNSEEN)).cast("int32").alias(c)
            out = joined.with_columns(code).drop(_CODE)
        return out

    @staticmethod
    def _as_categorical(out: Frame, c: str, values: list, dtype: str) -> Frame:
        """Column c as a categorical over the vocabulary (a left join with a table whose
        categorical column was built from the vocabulary in order: its dictionary)."""
        table = _vocabulary_table(c, values, dtype, np.array(values, dtype=object))
        table = table.with_columns(col(_CODE).cast("categorical"))
        joined = out.join(table if isinstance(out, DataFrame) else table.lazy(), on=c, how="left")
        return joined.with_columns(col(_CODE).alias(c)).drop(_CODE)

    @property
    def vocabulary_(self) -> dict:
        """{column: its values in code order (the first has code 3)}."""
        return {c: list(v) for c, v in self.state["vocabulary"].items()}


def _vocabulary_table(c: str, values: list, dtype: str, codes) -> DataFrame:
    """The vocabulary (column c, typed to join the data's) beside `codes` (column _CODE)."""
    table = DataFrame({c: _key_column(values, dtype), _CODE: codes})
    return table.with_columns(col(c).cast("categorical")) if dtype == "categorical" else table


def _key_column(values: list, dtype: str):
    """The vocabulary's values as a column the join can match with the data's."""
    if dtype in ("utf8", "categorical"):
        return np.array(values, dtype=object)
    return np.array(values, dtype=np.uint64 if dtype == "uint64" else np.int64)
