"""Vector indexes tied to a table's rows: DataFrame.create_index and what nearest searches.

An index over a vector column holds the non-null vectors with their row numbers as ids
(a weft.FlatIndex, or a weft.IVFIndex for kind "ivf_flat" / "ivf_sq8" / "ivf_pq"). The
DataFrame keeps it by column name. A nearest on that column hands it to the C plan bound to
the column's buffer (weft_vector_index_new): at collect the plan searches it only when the
nearest's input holds that very buffer with the same rows (operations that pass the column
through keep it: select, with_columns, drop, rename, lazy plans of those), with the
pre-filter's rows as the index's allowed set; otherwise (a filter, sort or join made new
rows) the exact search runs and explain / the report say why. A DataFrame made by an
operation keeps the indexes whose column it still holds that way (DataFrame.indexes).
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any, Optional

import numpy as np

from . import _lib
from ._plan_callbacks import Registry, guarded
from .errors import InvalidArgumentError, _check

KINDS = ("flat", "ivf_flat", "ivf_sq8", "ivf_pq")
_INDEX_METRIC = {"l2": "l2", "dot": "ip", "ip": "ip", "cosine": "cosine"}
_C_METRIC = {"l2": 0, "dot": 1, "cosine": 2}  # weft_metric, by nearest's metric names


class TableIndex:
    """One index over a vector column: its kind, metric ("l2", "dot" or "cosine", as
    nearest names them), parameters and the FlatIndex / IVFIndex holding row numbers."""

    __slots__ = ("column", "kind", "metric", "params", "index", "rows")

    def __init__(self, column: str, kind: str, metric: str, params: dict, index: Any, rows: int):
        self.column, self.kind, self.metric = column, kind, metric
        self.params, self.index, self.rows = params, index, rows

    def describe(self, nprobe: Optional[int] = None) -> str:
        """What explain and the report call it: kind, parameters, metric and column."""
        parts = [f"{k}={v}" for k, v in self.params.items()
                 if k in ("nlist", "m", "nbits", "refine") and v is not None]
        if nprobe is not None:
            parts.append(f"nprobe={nprobe}")
        parts.append(self.metric)
        return f"{self.kind}({', '.join(parts)}) on \"{self.column}\""

    def info(self) -> dict:
        """{"name", "column", "kind", "metric", and the parameters} (as Lance's list_indices)."""
        return {"name": f"{self.column}_idx", "column": self.column, "kind": self.kind,
                "metric": self.metric, **self.params, "rows": self.rows}

    def __repr__(self) -> str:
        return f"<weft index {self.describe()}>"


def _ivf_codec(kind: str, where: str, m: Optional[int], nbits: int, refine: Optional[int]) -> dict:
    """IVFIndex's codec arguments for an IVF kind."""
    if kind == "ivf_flat":
        return {"codec": "flat"}
    if kind == "ivf_sq8":
        return {"codec": "sq8"}
    if m is None:
        raise InvalidArgumentError(f"{where}: kind='ivf_pq' needs m= (sub-vectors a vector)")
    args = {"codec": "pq", "m": m, "nbits": nbits}
    if refine is not None:
        args["refine"] = refine
    return args


def _int(value: Any, name: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidArgumentError(f"{where}: {name}={value!r}; it must be an int >= {minimum}")
    return int(value)


def build(series: Any, column: str, kind: str, metric: str, nlist: Optional[int], m: Optional[int],
          nbits: int, niter: int, seed: int, sample_rate: int, where: str,
          refine: Optional[int] = None, pq_niter: int = 25) -> TableIndex:
    """The index of `kind` over the non-null vectors of `series`, ids their row numbers."""
    from .index import FlatIndex
    from .ivf import IVFIndex

    if kind not in KINDS:
        raise InvalidArgumentError(f"{where}: kind={kind!r}; use one of {list(KINDS)}")
    if metric not in _INDEX_METRIC:
        raise InvalidArgumentError(f"{where}: metric={metric!r}; use 'l2', 'cosine' or 'dot'")
    metric = "dot" if metric == "ip" else metric
    dim = int(series.dtype[len("array[f32, "):-1])
    valid = series._valid_mask()
    ids = np.arange(len(series), dtype=np.int64) if valid is None else np.flatnonzero(valid)
    vectors = series.to_numpy()[ids] if ids.size < len(series) else series.to_numpy()
    params: dict = {}
    if kind == "flat":
        index = FlatIndex(dim, _INDEX_METRIC[metric])
    else:
        niter = _int(niter, "niter", where, 1)
        pq_niter = _int(pq_niter, "pq_niter", where, 1)
        sample_rate = _int(sample_rate, "sample_rate", where, 1)
        if nlist is None:  # Lance's default: about sqrt(rows) lists
            nlist = max(1, min(int(np.sqrt(max(ids.size, 1))), 4096))
        nlist = _int(nlist, "nlist", where, 1)
        if ids.size < nlist:
            raise InvalidArgumentError(
                f"{where}: nlist={nlist} lists need at least {nlist} non-null vectors to train "
                f"on; column {column!r} has {ids.size}")
        if kind != "ivf_pq" and (m is not None or refine is not None):
            raise InvalidArgumentError(f"{where}: m= and refine= are for kind='ivf_pq' (kind is {kind!r})")
        codec = _ivf_codec(kind, where, m, nbits, refine)
        params["nlist"] = nlist
        if kind == "ivf_pq":
            params.update(m=m, nbits=nbits, refine=refine)
        index = IVFIndex(dim, nlist, _INDEX_METRIC[metric], **codec)
        take = min(ids.size, nlist * sample_rate)  # as Lance: a sample of rows per list
        sample = vectors if take == ids.size else vectors[
            np.sort(np.random.default_rng(seed).choice(ids.size, take, replace=False))]
        index.train(sample, niter=niter, seed=seed, pq_niter=pq_niter)
    if ids.size:
        index.add(vectors, ids)
    return TableIndex(column, kind, metric, params, index, len(series))


# ---------------------------------------------------------------- the search callback

_bound = Registry()  # ctx id -> (TableIndex, nprobe), while a plan holds the binding


def _search_impl(ctx: int, exec_: Optional[int], nq: int, q: int, k: int,
                 allowed: Optional[int], nbits: int, dist: int, rows: int) -> None:
    # exec_: the nearest's own exec, on the device the plan placed it (its report gets the
    # search's lines: where it ran, or why an IVF scan stayed on the CPU)
    tix, nprobe = _bound[ctx]
    index = tix.index
    fp, lp = ctypes.cast(dist, _lib.c_float_p), ctypes.cast(rows, _lib.c_int64_p)
    qp = ctypes.cast(q, _lib.c_float_p)
    ap = ctypes.cast(allowed, _lib.c_uint8_p) if allowed else None
    if tix.kind == "flat":
        status = _lib.weft_index_search(exec_, index._handle, nq, qp, k, ap, nbits, fp, lp)
    else:
        status = _lib.weft_ivf_search(exec_, index._handle, nq, qp, k, min(nprobe, index.nlist),
                                      ap, nbits, fp, lp)
    _check(status, "nearest (index search)")
    if tix.metric != "l2":  # similarities to distances: smaller is nearer, as exact nearest
        d = np.ctypeslib.as_array(fp, shape=(nq * k,))
        if tix.metric == "dot":
            np.negative(d, out=d)
        else:
            np.subtract(np.float32(1), d, out=d)


_SEARCH = _lib.weft_vector_search_fn(guarded(_search_impl))
_RELEASE = _lib.weft_vector_release_fn(_bound.release)


class Binding:
    """A weft_vector_index: `tix` searched with `nprobe` over the rows of `table_handle`'s
    column as they are now (freed with this object; plans keep their own reference)."""

    __slots__ = ("handle", "_finalizer", "__weakref__")

    def __init__(self, table_handle: Any, tix: TableIndex, nprobe: Optional[int]) -> None:
        ctx = _bound.add((tix, nprobe or 1))
        out = _lib.weft_vector_index_p()
        text = tix.describe(nprobe if tix.kind != "flat" else None).encode("utf-8")
        # the share of the rows one search reads: fewer candidates are searched exactly
        fraction = 1.0 if tix.kind == "flat" else min(nprobe or 1, tix.params["nlist"]) / tix.params["nlist"]
        _check(_lib.weft_vector_index_new(table_handle, tix.column.encode("utf-8"),
                                          _C_METRIC[tix.metric], text, fraction, _SEARCH,
                                          _RELEASE, ctx, ctypes.byref(out)), "create_index")
        self.handle = out
        self._finalizer = weakref.finalize(self, _lib.weft_vector_index_free, out)


def matches(table_handle: Any, tix: TableIndex, binding: Binding) -> bool:
    """Whether `table_handle` holds the indexed column's buffer with the same rows."""
    return bool(_lib.weft_vector_index_matches(binding.handle, table_handle,
                                               tix.column.encode("utf-8")))
