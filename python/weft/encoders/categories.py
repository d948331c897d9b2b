"""What OneHot and Categorify share: the distinct values of a column (learned by weft's
group_by), how they sort, and how a value is named in an output column."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError
from ..expr import col, len as count_rows
from ._base import CATEGORICAL_TYPES, Frame, collect

TYPES_TEXT = "string, categorical, integer or bool columns (cast floats first)"


def value_counts(frame: Frame, c: str) -> tuple:
    """([(value, rows)] of the non-null values, null rows) of column c."""
    df = collect(frame.group_by(c).agg(count_rows().alias("__n")))
    values, counts = df[c].to_list(), df["__n"].to_list()
    nulls = 0
    pairs = []
    for v, n in zip(values, counts):
        if v is None:
            nulls = n
        else:
            pairs.append((v, n))
    return pairs, nulls


def value_name(v: Any) -> str:
    """A value as Polars' to_dummies writes it in a column name: true / false for bools."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def check_types(schema: dict, columns: list, where: str) -> None:
    for c in columns:
        if schema[c] not in CATEGORICAL_TYPES:
            raise InvalidArgumentError(f"{where}: column {c!r} is {schema[c]}; takes {TYPES_TEXT}")


def unknown_rows(frame: Frame, c: str, known: list, nulls_known: bool):
    """The first value of column c that is not one of `known` (a null counts when nulls
    were not seen), or a marker that there is none: weft filters, one row comes back."""
    cond = col(c).is_not_null() & ~col(c).is_in(known)
    if not nulls_known:
        cond = cond | col(c).is_null()
    rows = collect(frame.filter(cond).select(col(c)).head(1))
    return (True, rows[c].to_list()[0]) if rows.height else (False, None)
