"""Feeding a training loop: a DataFrame's rows in batches of numpy arrays or torch tensors.

    >>> for batch in df.iter_batches(4096, columns=["x0", "x1", "y"], shuffle=True, seed=0):
    ...     step(batch["x0"], batch["y"])           # dict of column name -> numpy array

Shuffling follows weft's own seeded permutation (weft_shuffled_rows: a keyed Feistel network
computed position by position, so it costs no memory and is the same on any thread count
and any split into DataLoader workers; not numpy's permutation). The rows of a group of
batches, about _GROUP_BYTES, are gathered at a time, so the table is never copied whole and
memory stays flat; a batch is a view of its group. When every column is a number without
nulls, C gathers the group straight into a numpy buffer (weft_table_take_shuffled), and a
buffer no batch still holds is reused for a later group, so no fresh memory is faulted in
per group; other tables (bool, strings, nulls) take the row numbers (weft_shuffled_rows)
and weft_table_take, with to_numpy's rule (ints with nulls as float with NaN).
Without shuffle, batches are views of the table itself (no copy) unless a column has
nulls: to_numpy's rule then applies. The same seed gives the same batches. format="torch"
hands the same memory to torch through DLPack (bool and columns with nulls are copied);
unshuffled tensors therefore share the table's buffers.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._columns import _NUMPY_OF
from .errors import InvalidArgumentError, _check
from .frame import DataFrame

__all__ = ["iter_batches", "take", "check_seed", "shuffled_rows"]

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


def shuffled_rows(n: int, seed: int, start: int = 0, count: Optional[int] = None) -> np.ndarray:
    """Positions [start, start + count) of weft's seeded permutation of 0..n-1 (int64), the
    order iter_batches(shuffle=True, seed=seed), DataFrame.shuffle and sample give."""
    count = n - start if count is None else count
    rows = np.empty(count, dtype=np.int64)
    _check(_lib.weft_shuffled_rows(n, seed, start, count,
                                   rows.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))),
           "weft.batches.shuffled_rows")
    return rows


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
    """A function of one column's numpy array (Series.to_numpy's) -> the array or tensor."""
    if fmt == "numpy":
        return lambda a: a
    from .interchange import _NUMERIC, array_tensor, torch_of
    torch = torch_of(where)
    for s in sub:
        if s._view().type not in _NUMERIC and s.dtype != "bool":
            raise InvalidArgumentError(f"{where}: column {s.name!r} is {s.dtype}, which a torch "
                                       "tensor cannot hold: leave it out with columns=[...]")

    def tensor(a):
        if a.dtype == object:  # bool with nulls: NaN as a float32 tensor
            a = np.where(np.equal(a, None), np.nan, a).astype(np.float32)
        return array_tensor(torch, a)
    return tensor


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
    if shuffle and seed is None:
        seed = int(np.random.default_rng().integers(0, 2**63))
    groups = _Groups(sub, seed if shuffle else None, batch_size)
    return _batches(groups, b0 * batch_size, min(b1 * batch_size, total), batch_size, convert)


def _batches(groups, start, end, batch_size, convert):
    for g0 in range(start, end, groups.rows):
        g1 = min(g0 + groups.rows, end)
        arrays = {name: convert(a) for name, a in groups.gather(g0, g1).items()}
        for b0 in range(0, g1 - g0, batch_size):
            yield {name: a[b0:b0 + batch_size] for name, a in arrays.items()}
        del arrays  # the group's memory goes back (or to the pool) before the next is gathered


_POOL = 3  # group buffers kept for reuse: the one the loop holds a batch of, and spares


class _Groups:
    """The rows of positions [g0, g1) of the order (the table's own, or the seeded
    permutation's) as {name: numpy array}, a whole number of batches at a time."""

    def __init__(self, sub: DataFrame, seed: Optional[int], batch_size: int) -> None:
        self.sub, self.seed = sub, seed
        views = [s._view() for s in sub]
        row_bytes = max(sum(_NUMPY_OF[v.type].itemsize if v.type in _NUMPY_OF else 16
                            for v in views), 1)
        self.rows = batch_size * max(1, _GROUP_BYTES // (row_bytes * batch_size))
        from .interchange import _NUMERIC
        # Numbers without nulls are gathered by C straight into a reused numpy buffer.
        self.direct = seed is not None and all(v.type in _NUMERIC and not v.null_count
                                               for v in views)
        self.dtypes = [_NUMPY_OF[v.type] for v in views] if self.direct else None
        self.buffers: list = []

    def gather(self, g0: int, g1: int) -> dict:
        if self.seed is None:
            return _as_numpy(self.sub.slice(g0, g1 - g0))  # no copy
        if not self.direct:
            rows = shuffled_rows(self.sub.height, self.seed, g0, g1 - g0)
            return _as_numpy(take(self.sub, rows, "DataFrame.iter_batches"))
        count = g1 - g0
        sizes = [-(-count * d.itemsize // 64) * 64 for d in self.dtypes]  # 64-byte aligned
        buf = self._buffer(sum(sizes))
        arrays, ptrs, at = {}, (ctypes.c_void_p * max(len(sizes), 1))(), 0
        for j, (s, d, size) in enumerate(zip(self.sub, self.dtypes, sizes)):
            a = buf[at:at + count * d.itemsize].view(d)
            arrays[s.name], ptrs[j], at = a, a.ctypes.data, at + size
        _check(_lib.weft_table_take_shuffled(self.sub._handle, self.seed, g0, count, ptrs),
               "DataFrame.iter_batches")
        return arrays

    def _buffer(self, nbytes: int) -> np.ndarray:
        """A buffer of nbytes that no batch still views (the pool's references, the loop's
        and getrefcount's own are all that hold it), else a fresh one."""
        for buf in self.buffers:
            if buf.nbytes >= nbytes and sys.getrefcount(buf) == 3:
                return buf
        buf = np.empty(max(nbytes, 64), dtype=np.uint8)
        self.buffers = (self.buffers + [buf])[-_POOL:]  # older ones go when their batches do
        return buf


def _as_numpy(t: DataFrame) -> dict:
    return {s.name: s.to_numpy() for s in t}
