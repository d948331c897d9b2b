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
