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
    unseen values."""

    def __init__(self, columns: Any, freq_threshold: int = 0) -> None:
        super().__init__(columns)
        if isinstance(freq_threshold, bool) or not isinstance(freq_threshold, int) or freq_threshold < 0:
            raise InvalidArgumentError(f"{self._call('__init__')}: freq_threshold must be an int >= 0, "
                                       f"got {freq_threshold!r}")
        self.freq_threshold = freq_threshold

    def params(self) -> dict:
        return {"columns": list(self.columns), "freq_threshold": self.freq_threshold}

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
        for c in self.columns:
            values = self.state["vocabulary"][c]
            code = when(col(c).is_null()).then(NULL)
            if schema[c] == "bool" or not values:  # at most two values: no join needed
                for v in values:
                    code = code.when(col(c) == v).then(FIRST + values.index(v))
                out = out.with_columns(code.otherwise(UNSEEN).cast("int32").alias(c))
                continue
            table = DataFrame({c: _key_column(values, schema[c]),
                               _CODE: np.arange(FIRST, FIRST + len(values), dtype=np.int32)})
            joined = out.join(table if isinstance(out, DataFrame) else table.lazy(), on=c, how="left")
            code = code.otherwise(col(_CODE).fill_null(UNSEEN)).cast("int32").alias(c)
            out = joined.with_columns(code).drop(_CODE)
        return out

    @property
    def vocabulary_(self) -> dict:
        """{column: its values in code order (the first has code 3)}."""
        return {c: list(v) for c, v in self.state["vocabulary"].items()}


def _key_column(values: list, dtype: str):
    """The vocabulary's values as a column the join can match with the data's."""
    if dtype == "utf8":
        return np.array(values, dtype=object)
    return np.array(values, dtype=np.uint64 if dtype == "uint64" else np.int64)
