"""weft.knn_join: each left row with the k right rows whose vectors are nearest its own, as
one batched nearest search (every non-null left vector a query) joined back to the left
rows by query number. Works on the DataFrames it is given; it does not import frame.py."""

from typing import Any

import numpy as np

from . import _vectors
from .errors import InvalidArgumentError, python_call
from .expr import col

__all__ = ["knn_join"]


@python_call("weft.knn_join")
def knn_join(left: Any, right: Any, left_on: str, right_on: str, k: int = 10, metric: str = "l2",
             suffix: str = "_right") -> Any:
    """For each left row with a non-null vector in `left_on`, the k rows of `right` whose
    vectors in `right_on` are nearest it (by weft's exact k-NN engine; metric "l2", "cosine"
    or "dot" as in LazyFrame.nearest): the left columns, the right columns (names that clash
    take `suffix`, as join) and "_distance", in left row order, each left row's matches
    nearest first (ties to the smaller right row). Left rows with a null vector are left
    out; a left row gets fewer than k rows when the right side has fewer non-null vectors."""
    where = "weft.knn_join"
    for name, frame in (("left", left), ("right", right)):
        if not hasattr(frame, "lazy") or not hasattr(frame, "schema"):
            raise InvalidArgumentError(f"{where}: {name} must be a weft DataFrame, got {type(frame).__name__}")
    lschema = left.schema
    if left_on not in lschema:
        raise InvalidArgumentError(f"{where}: left has no column {left_on!r} (columns: {list(lschema)})")
    if not lschema[left_on].startswith("array[f32, "):
        raise InvalidArgumentError(f"{where}: left_on={left_on!r} is {lschema[left_on]}, not a vector column")
    for reserved in ("_distance", "_query", "_knn_left_row"):
        if reserved in lschema or reserved in right.schema:
            raise InvalidArgumentError(f"{where}: a column is named {reserved!r}, a name knn_join uses; rename it")
    series = left[left_on]
    valid = series._valid_mask()
    rows = np.arange(left.height) if valid is None else np.flatnonzero(valid)
    dim = int(lschema[left_on][len("array[f32, "):-1])
    queries = np.ascontiguousarray(series.to_numpy()[rows], dtype=np.float32).reshape(len(rows), dim)
    if len(rows) == 0:  # no query: the right side's columns over no rows, beside the left's
        queries = np.zeros((1, dim), dtype=np.float32)
    _vectors.nearest_args(where, right.schema, right_on, queries, k, metric)
    near = right.nearest(right_on, queries, k=k, metric=metric)
    if len(rows) == 0:
        near = near.head(0)
    left_rows = rows[near["_query"].to_numpy().astype(np.int64)] if near.height else np.zeros(0, np.int64)
    tagged = near.drop("_query")
    keyed = type(left)({"_knn_left_row": left_rows.astype(np.int64)})
    for name in tagged.columns:
        keyed = _with(keyed, name, tagged[name])
    numbered = left.with_row_index("_knn_left_row").with_columns(
        col("_knn_left_row").cast("int64"))
    out = numbered.join(keyed, on="_knn_left_row", how="inner", suffix=suffix)
    return out.drop("_knn_left_row")


def _with(frame, name, series):
    """`frame` with `series` added as column `name` (same length)."""
    data = {c: frame[c] for c in frame.columns}
    data[name] = series
    return type(frame)(data)
