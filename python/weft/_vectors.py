"""Query vectors from Python for the vector operations (distance expressions, nearest):
checked and converted to C-contiguous float32 once, with errors naming the Python call."""

import numpy as np

from .errors import InvalidArgumentError

__all__ = ["queries"]


def queries(where, query, batch=False):
    """(float32 array of shape (nq, dim), is_batch) for one query (a 1-D list, tuple or
    array of numbers) or, with batch=True, also a 2-D array / list of queries."""
    if isinstance(query, (str, bytes, dict, set)) or np.isscalar(query) or query is None:
        raise InvalidArgumentError(
            f"{where}: the query must be a 1-D list or array of numbers, got {type(query).__name__} {query!r}")
    try:
        arr = np.asarray(query)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{where}: the query is not an array of numbers ({exc})") from None
    if arr.dtype.kind not in "fiu":
        raise InvalidArgumentError(
            f"{where}: the query has dtype {arr.dtype}; it takes numbers (converted to float32)")
    if arr.ndim == 2 and not batch:
        raise InvalidArgumentError(f"{where}: the query has shape {arr.shape}; it takes one vector (1-D)")
    if arr.ndim not in (1, 2):
        raise InvalidArgumentError(
            f"{where}: the query has shape {arr.shape}; it takes a vector (1-D) or a batch of them (2-D)")
    is_batch = arr.ndim == 2
    arr = np.ascontiguousarray(arr.reshape(-1, arr.shape[-1]) if arr.size or arr.ndim == 2 else arr.reshape(1, 0),
                               dtype=np.float32)
    if arr.shape[1] == 0:
        raise InvalidArgumentError(f"{where}: the query is empty; it needs one value per dimension")
    if is_batch and arr.shape[0] == 0:
        raise InvalidArgumentError(f"{where}: the batch of queries is empty")
    if not np.isfinite(arr).all():
        i = np.argwhere(~np.isfinite(arr))[0]
        where_in = f"[{i[0]}, {i[1]}]" if is_batch else f"[{i[1]}]"
        raise InvalidArgumentError(f"{where}: query{where_in} is {arr[tuple(i)]}; queries must be finite")
    return arr, is_batch


_METRICS = {"l2": 0, "dot": 1, "cosine": 2}  # weft_metric: WEFT_METRIC_L2, _IP, _COSINE


def nearest_args(where, schema, column, query, k, metric):
    """(column bytes, queries (nq, dim) float32, k, weft_metric, batch) for nearest(),
    checked against `schema` ({name: type name}) with errors naming `where` and the value."""
    if not isinstance(column, str):
        raise InvalidArgumentError(f"{where}: the column must be a name (str), got {column!r}")
    if column not in schema:
        raise InvalidArgumentError(f"{where}: no column {column!r} (columns: {list(schema)})")
    dtype = schema[column]
    if not dtype.startswith("array[f32, "):
        raise InvalidArgumentError(
            f"{where}: column {column!r} is {dtype}, not a vector column (array[f32, dim]: build it "
            "from a 2-D float array or a fixed-size list)")
    dim = int(dtype[len("array[f32, "):-1])
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise InvalidArgumentError(f"{where}: k={k!r}; k must be an int >= 1")
    if k > 1 << 20:
        raise InvalidArgumentError(f"{where}: k={k}; the k-NN engine returns at most {1 << 20} rows a query")
    if metric not in _METRICS:
        raise InvalidArgumentError(f"{where}: metric={metric!r}; use 'l2', 'cosine' or 'dot'")
    q, batch = queries(where, query, batch=True)
    if q.shape[1] != dim:
        raise InvalidArgumentError(
            f"{where}: the query has {q.shape[1]} values but column {column!r} holds vectors of {dim}")
    if metric == "cosine":
        zero = np.flatnonzero(~(q.astype(np.float64) ** 2).sum(axis=1).astype(bool))
        if zero.size:
            which = f"query {int(zero[0])}" if batch else "the query"
            raise InvalidArgumentError(f"{where}: {which} is all zeros, which has no direction for metric='cosine'")
    return column.encode("utf-8"), q, int(k), _METRICS[metric], batch
