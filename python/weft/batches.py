"""Feeding a training loop: a DataFrame's rows in batches of numpy arrays or torch tensors.

    >>> for batch in df.iter_batches(4096, columns=["x0", "x1", "y"], shuffle=True, seed=0):
    ...     step(batch["x0"], batch["y"])           # dict of column name -> numpy array

Shuffling draws one permutation of the rows per call (numpy's Generator(seed)), then weft's
C gather (weft_table_take) copies the rows of a group of batches at a time, about 32 MiB,
so the table is never copied whole and memory stays flat; a batch is a view of its group.
Without shuffle, batches are views of the table itself (no copy) unless a column has
nulls: to_numpy's rule then applies (ints and floats as float with NaN). The same seed gives
the same batches. format="torch" hands the same memory to torch through DLPack (bool and
columns with nulls are copied); unshuffled tensors therefore share the table's buffers.
"""

from __future__ import annotations

import ctypes
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._columns import _NUMPY_OF
from .errors import InvalidArgumentError, _check
from .frame import DataFrame

__all__ = ["iter_batches", "take", "check_seed", "permutation"]

_GROUP_BYTES = 32 << 20  # rows gathered per C call: enough to amortise it and read each column in a long run
_FORMATS = ("numpy", "torch")


def take(df: DataFrame, rows: np.ndarray, where: str) -> DataFrame:
    """The rows listed (int64 row numbers), in order, gathered in C (weft_table_take)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    out = _lib.weft_table_p()
    ptr = rows.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))
    _check(_lib.weft_table_take(df._handle, ptr, rows.size, ctypes.byref(out)), where)
    return DataFrame._from_handle(out)


def check_seed(seed: Any, where: str) -> Optional[int]:
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgumentError(f"{where}: seed must be None or an integer >= 0, got {seed!r}")
    return int(seed)


def permutation(n: int, seed: Optional[int]) -> np.ndarray:
    """The rows 0..n-1 in the order seed gives (a fresh one for None)."""
    return np.random.default_rng(seed).permutation(n).astype(np.int64, copy=False)


def _check_size(batch_size: Any, where: str) -> int:
    if (isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer))
            or batch_size <= 0):
        raise InvalidArgumentError(f"{where}: batch_size must be an integer > 0, got {batch_size!r}")
    return int(batch_size)


def select_columns(df: DataFrame, columns: Union[None, str, Sequence[str]], where: str) -> DataFrame:
    """The named columns (all for None), sharing the buffers; an unknown name is an error."""
    if columns is None:
        return df
    names = [columns] if isinstance(columns, str) else list(columns)
    return df._columns([df._index(n, where) for n in names])


def _converter(sub: DataFrame, fmt: str, where: str):
    """A function of a table of sub's columns -> {name: array or tensor}."""
    if fmt == "numpy":
        return lambda t: {s.name: s.to_numpy() for s in t}
    from .interchange import _NUMERIC, array_tensor, torch_of
    torch = torch_of(where)
    for s in sub:
        if s._view().type not in _NUMERIC and s.dtype != "bool":
            raise InvalidArgumentError(f"{where}: column {s.name!r} is {s.dtype}, which a torch "
                                       "tensor cannot hold: leave it out with columns=[...]")

    def tensors(t):
        out = {}
        for s in t:
            a = s.to_numpy()
            if a.dtype == object:  # bool with nulls: NaN as a float32 tensor
                a = np.where(np.equal(a, None), np.nan, a).astype(np.float32)
            out[s.name] = array_tensor(torch, a)
        return out
    return tensors


def iter_batches(df: DataFrame, batch_size: int, columns: Union[None, str, Sequence[str]] = None,
                 shuffle: bool = False, seed: Optional[int] = None, drop_last: bool = False,
                 format: str = "numpy", _part: tuple = (0, 1)) -> Iterator[dict]:
    """DataFrame.iter_batches: see there. _part = (k, parts): only the k-th of `parts`
    contiguous runs of batches (a DataLoader worker's share)."""
    where = "DataFrame.iter_batches"
    batch_size = _check_size(batch_size, where)
    seed = check_seed(seed, where)
    if format not in _FORMATS:
        raise InvalidArgumentError(f"{where}: format must be 'numpy' or 'torch', got {format!r}")
    sub = select_columns(df, columns, where)
    convert = _converter(sub, format, where)
    n = sub.height
    total = n - n % batch_size if drop_last else n
    nbatches = -(-total // batch_size)
    k, parts = _part
    b0, b1 = nbatches * k // parts, nbatches * (k + 1) // parts
    perm = permutation(n, seed) if shuffle else None
    return _batches(sub, perm, b0 * batch_size, min(b1 * batch_size, total), batch_size, convert)


def _batches(sub, perm, start, end, batch_size, convert):
    row_bytes = max(sum(_NUMPY_OF[t].itemsize if t in _NUMPY_OF else 16
                        for t in (s._view().type for s in sub)), 1)
    group = batch_size * max(1, _GROUP_BYTES // (row_bytes * batch_size))
    for g0 in range(start, end, group):
        g1 = min(g0 + group, end)
        if perm is None:
            part = sub.slice(g0, g1 - g0)  # no copy
        else:
            part = take(sub, perm[g0:g1], "DataFrame.iter_batches")
        arrays = convert(part)
        del part
        for b0 in range(0, g1 - g0, batch_size):
            yield {name: a[b0:b0 + batch_size] for name, a in arrays.items()}
        del arrays  # the group's memory goes back before the next is gathered
