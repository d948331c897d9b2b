"""Approximate vector search: an inverted-file index (IVF) and k-means, FAISS-style.

    >>> centroids, assign = weft.kmeans(x, k=256, niter=25, seed=0)
    >>> index = weft.IVFIndex(dim=128, nlist=1024, metric="l2", codec="flat")  # or "sq8"
    >>> index = weft.IVFIndex(dim=128, nlist=1024, codec="pq", m=16, refine=4)  # 16 bytes + id
    >>> index.train(xb)                                 # k-means centroids (+ sq8 ranges)
    >>> index.add(xb)                                   # ids 0..n-1, or ids=my_ids
    >>> D, I = index.search(xq, k=10, nprobe=16)        # (nq, k) float32, (nq, k) int64
    >>> D, I = index.search(xq, k=10, nprobe=16, allowed=mask_or_ids)
    >>> index.save("vectors.ivf"); index = weft.load_index("vectors.ivf")

Each vector lives in the list of its nearest centroid; a search scans the lists of the
nprobe centroids nearest each query (nprobe = nlist scans every list: with codec "flat"
that is the exact FlatIndex answer, bit for bit). A batch of queries is grouped by the
lists it probes, so each list is read once per batch, and the result does not depend on
the thread count. Results are as FlatIndex.search: best first, ties to the smaller id,
rows padded with id -1 and +inf (l2) / -inf (ip, cosine). A query that finds fewer than k
(allowed) rows in its nprobe lists probes the next lists in centroid order until it has k
or has probed every list; weft.last_report() says how many queries did.

codec "sq8" stores one byte a dimension (faiss's QT_8bit: per dimension the min and max of
the training vectors); "flat" the float32 vectors; "pq" m bytes a vector (faiss's IndexIVFPQ:
the residual to the list's centroid through m sub-quantizers of 2**nbits centroids, searched
by asymmetric distance through per-(query, list) lookup tables). refine=r (any codec, faiss's
IndexRefineFlat) keeps the float32 rows too and re-ranks each query's k * r best candidates
by exact distance. The search runs on the CPU: a device= other than the CPU is reported as
such (strict=True refuses it).
"""

from __future__ import annotations

import contextlib
import ctypes
import weakref
from typing import Any, Optional, Tuple

import numpy as np

from . import _lib
from . import progress as _progress
from .errors import InvalidArgumentError, _check, python_call
from .exec import _thread_exec
from .index import (
    Bitset,
    _allowed_arg,
    _asarray,
    _blocks,
    _f32p,
    _i64p,
    _ids_arg,
    _int_arg,
    _metric_arg,
    _METRICS,
    _METRIC_NAMES,
    _path_arg,
    _shaped,
)

__all__ = ["IVFIndex", "kmeans"]

_CODECS = {"flat": _lib.WEFT_IVF_FLAT, "sq8": _lib.WEFT_IVF_SQ8, "pq": _lib.WEFT_IVF_PQ}
_CODEC_NAMES = {v: k for k, v in _CODECS.items()}
IVF_MAGIC = b"WEFTIVF1"
_TRAIN_NITER_MAX = 1_000_000  # weft_ivf_train's and weft_ivf_set_pq_niter's bound


@contextlib.contextmanager
def _call(where):
    """Argument errors raised by the shared checks name the Python call."""
    try:
        yield
    except InvalidArgumentError as exc:
        message = str(exc)
        if message.startswith(where):
            raise
        raise InvalidArgumentError(f"{where}: {message}") from None


def _matrix(value, name, dim):
    """value as one float32 C-contiguous (n, dim) array of finite numbers."""
    arr = _shaped(value, name, dim)
    blocks = [b for _, b in _blocks(arr, name)]
    if len(blocks) == 1:
        return blocks[0]
    return np.concatenate(blocks) if blocks else np.empty((0, dim), dtype=np.float32)


def _ivf_allowed(allowed):
    """allowed= as FlatIndex.search takes it, or a 1-D integer array of allowed ids."""
    if allowed is None or isinstance(allowed, Bitset):
        return _allowed_arg(allowed)
    arr = _asarray(allowed, "allowed")
    if arr.ndim == 1 and arr.dtype.kind in "iu":
        return _allowed_arg(Bitset.from_ids(arr))
    if arr.ndim == 1 and arr.size == 0 and arr.dtype.kind == "f":  # [] : nothing allowed
        return _allowed_arg(Bitset.from_ids(arr.astype(np.int64)))
    if arr.dtype != np.bool_:
        raise InvalidArgumentError(
            "allowed must be a 1-D bool mask over ids, a 1-D array of allowed ids or a "
            f"weft.Bitset, got dtype {arr.dtype}, shape {arr.shape}"
        )
    return _allowed_arg(arr)


@python_call("weft.kmeans")
def kmeans(x: Any, k: int, niter: int = 25, seed: int = 0,
           max_points_per_centroid: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """k-means (Lloyd, squared L2) of the rows of x into k clusters: (centroids, assignments),
    centroids float32 (k, dim), assignments int64 (n,) (each row's nearest final centroid).

    Trains on a random sample of at most max_points_per_centroid * k rows (0: all rows),
    starts from k distinct sample rows, and refills an empty cluster by splitting the
    largest, as faiss.Kmeans does. The same seed gives the same centroids, bit for bit,
    whatever the thread count (WEFT_NUM_THREADS).
    """
    where = "weft.kmeans"
    with _call(where):
        arr = _asarray(x, "x")
        if arr.ndim != 2:
            raise InvalidArgumentError(f"x must be a 2-D array (n, dim), got shape {arr.shape}")
        dim = arr.shape[1]
        if dim == 0:
            raise InvalidArgumentError(f"x has 0 columns (shape {arr.shape})")
        k = _int_arg(k, "k", 1)
        niter = _int_arg(niter, "niter", 0)
        seed = _int_arg(seed, "seed", 0)
        if seed >= 1 << 64:
            raise InvalidArgumentError(f"seed must be below 2**64, got {seed}")
        mppc = _int_arg(max_points_per_centroid, "max_points_per_centroid", 0)
        data = _matrix(arr, "x", dim)
        n = data.shape[0]
        if n < k:
            raise InvalidArgumentError(f"k = {k} clusters need at least as many rows, x has {n}")
    centroids = np.empty((k, dim), dtype=np.float32)
    assign = np.empty(n, dtype=np.int64)
    _progress._ensure()  # Ctrl-C and the bar for this long call
    _check(_lib.weft_kmeans(n, dim, _f32p(data), k, niter, seed, mppc, _f32p(centroids),
                            _i64p(assign)), where)  # fmt: skip
    return centroids, assign


class IVFIndex:
    """An inverted-file index of float32 vectors with int64 ids (faiss's IndexIVFFlat,
    IndexIVFScalarQuantizer(QT_8bit) and IndexIVFPQ).

    nlist: the number of k-means lists. metric: "l2" (squared Euclidean distance, smaller
    is closer), "ip" (inner product, larger is closer; lists by largest inner product, as
    faiss) or "cosine" (vectors normalized when trained, added and searched). codec:
    "flat" (float32 rows), "sq8" (one byte a dimension) or "pq" (m bytes a vector: m
    sub-quantizers, m dividing dim, of 2**nbits centroids, nbits 4..8, each code one byte).
    refine: None, or r >= 1 to keep the float32 rows beside the codes and re-rank each
    query's k * r best candidates by exact distance (faiss's IndexRefineFlat; the index then
    holds dim * 4 more bytes a vector).
    """

    @python_call("weft.IVFIndex")
    def __init__(self, dim: int, nlist: int, metric: str = "l2", codec: str = "flat", *,
                 m: Optional[int] = None, nbits: int = 8,
                 refine: Optional[int] = None) -> None:  # fmt: skip
        self._handle = None
        with _call("weft.IVFIndex"):
            dim = _int_arg(dim, "dim", 1)
            nlist = _int_arg(nlist, "nlist", 1)
            metric = _metric_arg(metric)
            key = codec.lower() if isinstance(codec, str) else None
            if key not in _CODECS:
                raise InvalidArgumentError(f"codec must be 'flat', 'sq8' or 'pq', got {codec!r}")
            if key == "pq":
                if m is None:
                    raise InvalidArgumentError("codec='pq' needs m= (sub-quantizers, dividing dim)")
                m = _int_arg(m, "m", 1)
                if dim % m != 0:
                    raise InvalidArgumentError(f"m = {m} sub-quantizers must divide dim = {dim}")
                nbits = _int_arg(nbits, "nbits", 1)
                lo, hi = _lib.WEFT_IVF_PQ_MIN_NBITS, _lib.WEFT_IVF_PQ_MAX_NBITS
                if not lo <= nbits <= hi:
                    raise InvalidArgumentError(f"nbits must be in {lo}..{hi}, got {nbits}")
            elif m is not None:
                raise InvalidArgumentError(f"m = {m!r} is for codec='pq' (codec is {key!r})")
            if refine is not None:
                refine = _int_arg(refine, "refine", 1)
                if refine > _lib.WEFT_IVF_MAX_REFINE:
                    raise InvalidArgumentError(
                        f"refine must be in 1..{_lib.WEFT_IVF_MAX_REFINE} or None, got {refine}"
                    )
        handle = _lib.weft_ivf_p()
        if key == "pq":
            status = _lib.weft_ivf_create_pq(dim, nlist, _METRICS[metric], m, nbits,
                                             ctypes.byref(handle))  # fmt: skip
        else:
            status = _lib.weft_ivf_create(dim, nlist, _METRICS[metric], _CODECS[key],
                                          ctypes.byref(handle))  # fmt: skip
        _check(status, "weft.IVFIndex")
        self._own(handle)
        if refine is not None:
            _check(_lib.weft_ivf_set_refine(handle, refine), "weft.IVFIndex")

    @classmethod
    def _adopt(cls, handle):
        """An IVFIndex owning an index the C library made (weft_ivf_load)."""
        self = cls.__new__(cls)
        self._own(handle)
        return self

    def _own(self, handle):
        self._handle = handle
        self._finalizer = weakref.finalize(self, _lib.weft_ivf_free, handle)
        dim, nlist = ctypes.c_size_t(), ctypes.c_size_t()
        metric, codec = _lib.weft_metric(), _lib.weft_ivf_codec()
        _check(_lib.weft_ivf_info(handle, ctypes.byref(dim), ctypes.byref(nlist),
                                  ctypes.byref(metric), ctypes.byref(codec)))  # fmt: skip
        self._dim, self._nlist = dim.value, nlist.value
        self._metric = _METRIC_NAMES.get(metric.value, str(metric.value))
        self._codec = _CODEC_NAMES.get(codec.value, str(codec.value))
        m, nbits = ctypes.c_size_t(), ctypes.c_size_t()
        _check(_lib.weft_ivf_pq_info(handle, ctypes.byref(m), ctypes.byref(nbits)))
        self._m = m.value or None
        self._nbits = nbits.value or None

    # -------------------------------------------------------------- properties

    @property
    def dim(self) -> int:
        """Dimension of the vectors."""
        return self._dim

    @property
    def nlist(self) -> int:
        """Number of lists (k-means centroids)."""
        return self._nlist

    @property
    def metric(self) -> str:
        """'l2', 'ip' or 'cosine'."""
        return self._metric

    @property
    def codec(self) -> str:
        """'flat', 'sq8' or 'pq'."""
        return self._codec

    @property
    def m(self) -> Optional[int]:
        """pq: the number of sub-quantizers (code bytes a vector); None for flat and sq8."""
        return self._m

    @property
    def nbits(self) -> Optional[int]:
        """pq: bits of each sub-quantizer's code (2**nbits centroids); None for flat and sq8."""
        return self._nbits

    @property
    def refine(self) -> Optional[int]:
        """The re-ranking factor (k * refine candidates re-ranked on the kept rows), or None.
        Settable: None stops re-ranking; a factor needs an index that keeps its rows (made
        with refine=, or still without vectors)."""
        factor = ctypes.c_size_t()
        _check(_lib.weft_ivf_refine(self._handle, ctypes.byref(factor), None))
        return factor.value or None

    @refine.setter
    @python_call("IVFIndex.refine")
    def refine(self, value: Optional[int]) -> None:
        with _call("IVFIndex.refine"):
            factor = 0 if value is None else _int_arg(value, "refine", 1)
            if factor > _lib.WEFT_IVF_MAX_REFINE:
                raise InvalidArgumentError(
                    f"refine must be in 1..{_lib.WEFT_IVF_MAX_REFINE} or None, got {value}"
                )
            keeps = ctypes.c_int()
            _check(_lib.weft_ivf_refine(self._handle, None, ctypes.byref(keeps)))
            if factor and not keeps.value and len(self):
                raise InvalidArgumentError(
                    f"refine = {factor} needs the float32 rows, which an index keeps only when "
                    f"made with refine= or given it before its first add (this one holds "
                    f"{len(self)} vectors without them)"
                )
        _check(_lib.weft_ivf_set_refine(self._handle, factor), "IVFIndex.refine")

    @property
    def is_trained(self) -> bool:
        """True once train() has run (as faiss)."""
        trained = ctypes.c_int()
        _check(_lib.weft_ivf_is_trained(self._handle, ctypes.byref(trained)))
        return bool(trained.value)

    @property
    def ntotal(self) -> int:
        """Number of vectors in the index (len(index), as faiss)."""
        return len(self)

    @property
    def centroids(self) -> np.ndarray:
        """The trained centroids, float32 (nlist, dim) (a copy)."""
        out = np.empty((self._nlist, self._dim), dtype=np.float32)
        _check(_lib.weft_ivf_centroids(self._handle, _f32p(out)), "IVFIndex.centroids")
        return out

    @property
    def pq_codebooks(self) -> np.ndarray:
        """pq: the trained sub-quantizers, float32 (m, 2**nbits, dim // m) (a copy; faiss's
        ProductQuantizer.centroids in that shape)."""
        if self._m is None:
            raise InvalidArgumentError(
                f"IVFIndex.pq_codebooks: the index's codec is {self._codec!r}, not 'pq'"
            )
        out = np.empty((self._m, 1 << self._nbits, self._dim // self._m), dtype=np.float32)
        _check(_lib.weft_ivf_pq_codebooks(self._handle, _f32p(out)), "IVFIndex.pq_codebooks")
        return out

    def memory_bytes(self) -> int:
        """Bytes the index holds: centroids, codec tables (sq8 ranges, pq codebooks), codes,
        ids, norms (flat, sq8) and the rows kept for refine."""
        out = ctypes.c_size_t()
        _check(_lib.weft_ivf_memory_bytes(self._handle, ctypes.byref(out)))
        return out.value

    @property
    def nbytes(self) -> int:
        """memory_bytes(), as numpy names it (pq: about n * (m + 8) plus the codebooks)."""
        return self.memory_bytes()

    def __len__(self) -> int:
        count = ctypes.c_size_t()
        _check(_lib.weft_ivf_size(self._handle, ctypes.byref(count)))
        return count.value

    def __repr__(self) -> str:
        pq = f", m={self._m}, nbits={self._nbits}" if self._m else ""
        refine = self.refine
        extra = pq + (f", refine={refine}" if refine else "")
        return (f"IVFIndex(dim={self._dim}, nlist={self._nlist}, metric={self._metric!r}, "
                f"codec={self._codec!r}{extra}, ntotal={len(self)})")  # fmt: skip

    # -------------------------------------------------------------- operations

    @python_call("IVFIndex.train")
    def train(self, vectors: Any, niter: int = 10, seed: int = 0, pq_niter: int = 25) -> None:
        """Trains the centroids by k-means (weft.kmeans, niter iterations, on at most
        256 * nlist of the vectors) and, for "sq8", each dimension's min and max over all of
        them; for "pq" each sub-quantizer by k-means (pq_niter iterations, seed + 1 + its
        index) on its slice of the residuals to the centroids (of at most 256 * 2**nbits
        vectors). The iteration counts are faiss's (IndexIVF: 10, ProductQuantizer: 25).
        Needs at least nlist vectors (pq: and 2**nbits); an index holding vectors cannot be
        trained again."""
        where = "IVFIndex.train"
        with _call(where):
            niter = _int_arg(niter, "niter", 0)
            pq_niter = _int_arg(pq_niter, "pq_niter", 0)
            for name, value in (("niter", niter), ("pq_niter", pq_niter)):
                if value > _TRAIN_NITER_MAX:
                    raise InvalidArgumentError(
                        f"{name} must be in 0..{_TRAIN_NITER_MAX}, got {value}"
                    )
            seed = _int_arg(seed, "seed", 0)
            if seed >= 1 << 64:
                raise InvalidArgumentError(f"seed must be below 2**64, got {seed}")
            x = _matrix(vectors, "vectors", self._dim)
            if x.shape[0] < self._nlist:
                raise InvalidArgumentError(
                    f"vectors: {x.shape[0]} training vectors for nlist = {self._nlist} lists: "
                    "k-means needs at least one vector a list"
                )
            if self._nbits and x.shape[0] < 1 << self._nbits:
                raise InvalidArgumentError(
                    f"vectors: {x.shape[0]} training vectors for nbits = {self._nbits} "
                    f"({1 << self._nbits} centroids a sub-quantizer): k-means needs at least "
                    "one vector a centroid"
                )
        _progress._ensure()  # Ctrl-C and the bar for this long call
        if self._m:
            _check(_lib.weft_ivf_set_pq_niter(self._handle, pq_niter), where)
        _check(_lib.weft_ivf_train(self._handle, x.shape[0], _f32p(x), niter, seed), where)

    @python_call("IVFIndex.add")
    def add(self, vectors: Any, ids: Any = None) -> None:
        """Adds vectors ((n, dim), or one vector) to a trained index. ids: n distinct int64
        ids in 0 .. 2**63 - 2 not in the index, or None for the next ids in sequence."""
        where = "IVFIndex.add"
        with _call(where):
            arr = _shaped(vectors, "vectors", self._dim)
            id_arr = None if ids is None else _ids_arg(ids, "ids", arr.shape[0], "vectors")
            x = _matrix(arr, "vectors", self._dim)
        if x.shape[0] == 0:
            return
        _progress._ensure()  # Ctrl-C and the bar for this long call
        _check(_lib.weft_ivf_add(self._handle, x.shape[0], _f32p(x), _i64p(id_arr)), where)

    @python_call("IVFIndex.remove")
    def remove(self, ids: Any) -> int:
        """Removes the given ids (ids not in the index are ignored); returns how many."""
        with _call("IVFIndex.remove"):
            id_arr = _ids_arg(ids, "ids")
        if id_arr.size == 0:
            return 0
        removed = ctypes.c_size_t()
        _check(_lib.weft_ivf_remove(self._handle, id_arr.size, _i64p(id_arr),
                                    ctypes.byref(removed)), "IVFIndex.remove")  # fmt: skip
        return removed.value

    @python_call("IVFIndex.search")
    def search(self, queries: Any, k: int, nprobe: int = 1, *, allowed: Any = None,
               device: Any = "auto", strict: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        """The k nearest vectors of each query among the lists of its nprobe nearest
        centroids: (D, I), D float32 (nq, k), I int64 (nq, k), best first, as faiss.

        D by metric: "l2" gives *squared* Euclidean distances, ascending; "ip" inner
        products and "cosine" cosine similarities, descending. When fewer than k rows can
        be returned, each row is padded at its end with id -1 and distance inf ("l2") or
        -inf ("ip", "cosine"). nprobe: 1 .. nlist. allowed: a bool mask over ids
        (allowed[i] True = id i may be returned), an array of allowed ids, or a
        weft.Bitset; tested inside the list scans, and a query short of k allowed rows
        probes further lists (weft.last_report() says how many). The search runs on the
        CPU; device= names where you would have it run (reported; strict=True refuses a
        device other than the CPU).
        """
        where = "IVFIndex.search"
        with _call(where):
            k = _int_arg(k, "k", 1)
            nprobe = _int_arg(nprobe, "nprobe", 1)
            if nprobe > self._nlist:
                raise InvalidArgumentError(
                    f"nprobe must be in 1..nlist = {self._nlist}, got {nprobe}"
                )
            bits, nbits = _ivf_allowed(allowed)
            x = _matrix(queries, "queries", self._dim)
        nq = x.shape[0]
        distances = np.empty((nq, k), dtype=np.float32)
        labels = np.empty((nq, k), dtype=np.int64)
        ex = _thread_exec()
        ex.configure(device, strict, where)
        status = _lib.weft_ivf_search(
            ex.handle, self._handle, nq, _f32p(x), k, nprobe,
            None if bits is None else bits.ctypes.data_as(_lib.c_uint8_p), nbits,
            _f32p(distances), _i64p(labels),
        )  # fmt: skip
        ex._mark_ran()
        _check(status, where)
        return distances, labels

    @python_call("IVFIndex.save")
    def save(self, path: Any) -> None:
        """Writes the index to one file, atomically (a temporary file beside it, synced,
        renamed); weft.load_index reads it back."""
        with _call("IVFIndex.save"):
            raw = _path_arg(path)
        _check(_lib.weft_ivf_save(self._handle, raw), "IVFIndex.save")


def _load_ivf(raw_path, mmap=False):
    handle = _lib.weft_ivf_p()
    load = _lib.weft_ivf_load_mapped if mmap else _lib.weft_ivf_load
    _check(load(raw_path, ctypes.byref(handle)), "weft.load_index")
    try:
        return IVFIndex._adopt(handle)
    except BaseException:
        _lib.weft_ivf_free(handle)
        raise
