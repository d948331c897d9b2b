"""Exact (brute-force) vector search with a FAISS-like API.

    >>> index = weft.FlatIndex(dim=128, metric="l2")   # "l2" (squared), "ip", "cosine"
    >>> index.add(xb)                                   # ids 0..n-1 in order of addition
    >>> index.add(xb, copy=False)                       # or, into an empty index, borrow xb
    >>> index.add(xb2, ids=my_ids)                      # or your own int64 ids
    >>> D, I = index.search(xq, k=10)                   # (nq, k) float32, (nq, k) int64
    >>> D, I = index.search(xq, k=10, device="opencl", allowed=mask)
    >>> index.save("vectors.weft"); index = weft.load_index("vectors.weft")

Results are best first: smallest squared L2 distance, or largest inner product / cosine
similarity. Ties go to the smaller id, on every device. A row with fewer than k candidates
is padded with id -1 and distance +inf (l2) or -inf (ip, cosine).

Vectors and queries are float32: C-contiguous float32 input is used in place (the index
keeps its own copy, the one copy an add makes, unless add(copy=False) borrows it); other
input (float64, ints, non-contiguous) is converted a block of rows at a time, so the
transient float32 copy stays bounded (add: one block added at a time; search: the queries
searched a block at a time, a block holding at most 64 MiB of float32). NaN and inf are
refused, naming the argument and the row, and so are rows whose squared norm float32
cannot hold: under "cosine" below about 1.2e-38 or above 3.4e38, under "l2" and "ip" above
8.5e37 (float32 max / 4, past which distances overflow). Ids are 0 .. 2**63 - 2: -1 pads results, and 2**63 - 1 stays free for
the next sequential id. Searches may run from many threads at once on one index (the GIL is
released while the C library works); add and remove wait for running searches.
"""

import ctypes
import itertools
import os
import threading
import warnings
import weakref

import numpy as np

from . import _lib
from . import progress as _progress
from .errors import InvalidArgumentError, WeftError, _check, python_call
from .exec import _thread_exec

__all__ = ["FlatIndex", "Bitset", "load_index"]

_METRICS = {
    "l2": _lib.WEFT_METRIC_L2,
    "ip": _lib.WEFT_METRIC_IP,
    "cosine": _lib.WEFT_METRIC_COSINE,
}
_METRIC_NAMES = {v: k for k, v in _METRICS.items()}
_INT64_MAX = np.iinfo(np.int64).max
_FINITE_CHUNK = 1 << 20  # elements per pass of the NaN / inf check (bounds its memory)
_CONVERT_BYTES = 64 << 20  # float32 bytes a block of converted input holds at most

# Arrays indexes borrow (add(copy=False)): _BORROWED[key] = array, one key a borrow; the
# C library calls _release_borrow(key) once when that index stops reading it.
# _READ_ONLY[id(array)] = [borrows, writeable before the first]: the array is writeable
# again only when its last borrow ends (several indexes may borrow one array).
_BORROWED = {}
_READ_ONLY = {}
_borrow_keys = itertools.count(1)
_borrow_lock = threading.Lock()  # held for dict and flag updates only, never across a C call


def _borrow(array):
    with _borrow_lock:
        key = next(_borrow_keys)
        entry = _READ_ONLY.setdefault(id(array), [0, bool(array.flags.writeable)])
        entry[0] += 1
        _BORROWED[key] = array
        array.flags.writeable = False
    return key


def _release_borrow(key):
    try:
        with _borrow_lock:
            array = _BORROWED.pop(key)
            entry = _READ_ONLY[id(array)]
            entry[0] -= 1
            if entry[0]:
                return
            del _READ_ONLY[id(array)]
            if entry[1]:
                try:
                    array.flags.writeable = True
                except ValueError:  # its base became read-only meanwhile
                    pass
    except Exception:  # at interpreter exit the module's globals may be gone
        return


_RELEASE_BORROW = _lib.weft_release_fn(_release_borrow)


# ---------------------------------------------------------------------------- argument checks


def _int_arg(value, name, minimum):
    """value as a Python int >= minimum (ints and numpy integers; not bool, not float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InvalidArgumentError(f"{name} must be {kind}, got {value}")
    return value


def _metric_arg(metric):
    key = metric.lower() if isinstance(metric, str) else None
    if key not in _METRICS:
        raise InvalidArgumentError(f"metric must be 'l2', 'ip' or 'cosine', got {metric!r}")
    return key


def _asarray(value, name):
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged lists, ints past int64 and such
        raise InvalidArgumentError(f"{name}: cannot make an array of {value!r}: {exc}") from None


def _check_finite(a, name, row0=0):
    """Refuses NaN and inf in the rows of a float32 matrix, naming the argument and row
    (rows of a block starting at row0 of the argument)."""
    rows = max(1, _FINITE_CHUNK // max(1, a.shape[1]))
    for r0 in range(0, a.shape[0], rows):
        block = a[r0 : r0 + rows]
        if np.isfinite(block).all():
            continue
        bad_rows = ~np.isfinite(block).all(axis=1)
        r = int(np.argmax(bad_rows))
        row = block[r]
        col = int(np.argmax(~np.isfinite(row)))
        raise InvalidArgumentError(
            f"{name} row {row0 + r0 + r} holds {row[col]} at column {col} (as float32): NaN "
            "and inf are not allowed"
        )


_FLT_MAX = float(np.finfo(np.float32).max)
_FLT_MIN = float(np.finfo(np.float32).tiny)


def _check_norms(a, name, row0, metric):
    """The C library's squared-norm limits (index_flat.c), checked on a block of rows
    before any is added, so a block-wise add refuses bad input as a whole."""
    sq = np.einsum("ij,ij->i", a, a, dtype=np.float64)
    if metric == "cosine":
        bad = (sq < _FLT_MIN) | (sq > _FLT_MAX)
        why = ("is all zeros, which has no direction for the cosine metric", "has squared "
               f"norm {{}}, outside the float32 range {_FLT_MIN:g}..{_FLT_MAX:g} in which the "
               "cosine metric normalizes it (scale the row)")  # fmt: skip
    else:
        bad = sq > _FLT_MAX / 4
        why = (None, f"has squared norm {{}}, above the {_FLT_MAX / 4:g} (float32 max / 4) "
               f"past which {metric} distances overflow float32 (scale the row)")  # fmt: skip
    if bad.any():
        r = int(np.argmax(bad))
        text = why[0] if sq[r] == 0 and why[0] else why[1].format(f"{sq[r]:g}")
        raise InvalidArgumentError(f"{name} row {row0 + r} {text}")


def _shaped(value, name, dim):
    """value as an (n, dim) array of real numbers, not yet converted; one vector of length
    dim is one row."""
    arr = _asarray(value, name)
    if arr.dtype.kind not in "biuf":
        raise InvalidArgumentError(
            f"{name} has dtype {arr.dtype}: vectors must be real numbers (float32, or float64 "
            "and ints, which are converted)"
        )
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    elif arr.ndim != 2:
        raise InvalidArgumentError(
            f"{name} must be a 2-D array of shape (n, {dim}) or one vector of length {dim}, "
            f"got {arr.ndim} dimensions, shape {arr.shape}"
        )
    if arr.shape[1] != dim:
        raise InvalidArgumentError(
            f"{name} has {arr.shape[1]} columns (shape {arr.shape}) but the index has dim {dim}"
        )
    return arr


def _is_f32(arr):
    return arr.dtype == np.float32 and arr.flags.c_contiguous and arr.flags.aligned


def _to_f32(arr):
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.ascontiguousarray(arr, dtype=np.float32)


def _blocks(arr, name):
    """(row0, float32 C-contiguous block of finite rows) covering arr: arr itself when it
    is float32 C-contiguous already, else converted _CONVERT_BYTES at most at a time (one
    block alive at a time). A NaN / inf is reported with its row in arr."""
    if _is_f32(arr):
        _check_finite(arr, name)
        yield 0, arr
        return
    rows = max(1, _CONVERT_BYTES // (4 * max(1, arr.shape[1])))
    for r0 in range(0, arr.shape[0], rows):
        block = _to_f32(arr[r0 : r0 + rows])
        _check_finite(block, name, r0)
        yield r0, block
        del block


def _ids_arg(value, name, n=None, n_name=None):
    """value as a C-contiguous int64 1-D array of non-negative ids (a scalar is one id);
    with n, it must hold n ids (one per row of n_name)."""
    arr = _asarray(value, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{name} must be a 1-D array of ids, got shape {arr.shape}")
    if arr.size == 0 and arr.dtype.kind == "f":  # np.asarray([]) is float64
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{name} has dtype {arr.dtype}: ids must be integers (int64)")
    if n is not None and arr.shape[0] != n:
        raise InvalidArgumentError(
            f"{name} has length {arr.shape[0]} but {n_name} has {n} rows: one id per vector"
        )
    if arr.size:
        if arr.dtype.kind == "u" and arr.dtype.itemsize >= 8:
            big = arr > _INT64_MAX
            if big.any():
                i = int(np.argmax(big))
                raise InvalidArgumentError(f"{name}[{i}] = {arr[i]} does not fit in int64")
        if arr.dtype.kind == "i":
            neg = arr < 0
            if neg.any():
                i = int(np.argmax(neg))
                raise InvalidArgumentError(f"{name}[{i}] = {arr[i]} is negative: ids are >= 0")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _path_arg(path):
    try:
        raw = os.fsencode(path)
    except TypeError:
        raise InvalidArgumentError(
            f"path must be a str, bytes or os.PathLike, got {type(path).__name__}"
        ) from None
    if not raw:
        raise InvalidArgumentError("path is empty")
    if b"\0" in raw:
        raise InvalidArgumentError(f"path {path!r} contains a NUL byte")
    return raw


def _f32p(arr):
    return arr.ctypes.data_as(_lib.c_float_p)


def _i64p(arr):
    return None if arr is None else arr.ctypes.data_as(_lib.c_int64_p)


# ---------------------------------------------------------------------------- Bitset


class Bitset:
    """A set of allowed ids for FlatIndex.search: bit i (of byte i // 8, little-endian bit
    order) set = id i may be returned. Ids >= nbits are not allowed.

    ``bits`` is the packed np.uint8 array (at least ceil(nbits / 8) bytes), ``nbits`` the
    number of ids it covers.

        Bitset(mask)                 # from a bool mask: mask[i] True = id i allowed
        Bitset.from_ids(ids, size)   # from the allowed ids (size defaults to max(ids) + 1)
    """

    __slots__ = ("bits", "nbits")

    def __init__(self, mask=()):
        mask = _asarray(mask, "mask")
        if mask.size == 0 and mask.dtype.kind == "f":  # Bitset([])
            mask = mask.astype(bool)
        if mask.dtype != np.bool_ or mask.ndim != 1:
            raise InvalidArgumentError(
                "Bitset: mask must be a 1-D bool array (mask[i] True = id i allowed), got "
                f"dtype {mask.dtype}, shape {mask.shape} (Bitset.from_ids takes a list of ids)"
            )
        self.bits = np.packbits(mask, bitorder="little")
        self.nbits = int(mask.shape[0])

    @classmethod
    def from_ids(cls, ids, size=None):
        """The set of `ids` over ids 0 .. size - 1 (size: max(ids) + 1 when None)."""
        ids = _ids_arg(ids, "ids")
        if size is None:
            size = int(ids.max()) + 1 if ids.size else 0
        else:
            size = _int_arg(size, "size", 0)
            if ids.size and int(ids.max()) >= size:
                i = int(np.argmax(ids >= size))
                raise InvalidArgumentError(f"ids[{i}] = {ids[i]} is not below size = {size}")
        bits = np.zeros((size + 7) // 8, dtype=np.uint8)
        np.bitwise_or.at(bits, ids >> 3, np.left_shift(1, ids & 7).astype(np.uint8))
        return cls.from_packed(bits, size)

    @classmethod
    def from_packed(cls, bits, nbits):
        """A Bitset of an already packed little-endian np.uint8 array (copied)."""
        nbits = _int_arg(nbits, "nbits", 0)
        bits = _asarray(bits, "bits")
        if bits.dtype != np.uint8 or bits.ndim != 1:
            raise InvalidArgumentError(
                f"bits must be a 1-D np.uint8 array, got dtype {bits.dtype}, shape {bits.shape}"
            )
        if bits.shape[0] * 8 < nbits:
            raise InvalidArgumentError(
                f"bits has {bits.shape[0]} bytes, fewer than the {(nbits + 7) // 8} of "
                f"nbits = {nbits}"
            )
        out = cls.__new__(cls)
        out.bits = np.array(bits[: (nbits + 7) // 8], dtype=np.uint8, copy=True)
        out.nbits = nbits
        if nbits % 8:  # clear the bits past nbits, so equal sets compare equal
            out.bits[-1] &= np.uint8((1 << (nbits % 8)) - 1)
        return out

    def to_mask(self):
        """The bool mask of nbits entries."""
        return np.unpackbits(self.bits, count=self.nbits, bitorder="little").view(np.bool_)

    def ids(self):
        """The allowed ids, ascending (int64)."""
        return np.flatnonzero(self.to_mask()).astype(np.int64)

    def count(self):
        """How many ids are allowed."""
        return int(np.count_nonzero(self.to_mask()))

    def __len__(self):
        return self.nbits

    def __contains__(self, i):
        try:
            i = int(i)
        except (TypeError, ValueError):
            return False
        return 0 <= i < self.nbits and bool(self.bits[i >> 3] >> (i & 7) & 1)

    def __eq__(self, other):
        if not isinstance(other, Bitset):
            return NotImplemented
        return self.nbits == other.nbits and np.array_equal(
            self.bits[: (self.nbits + 7) // 8], other.bits[: (other.nbits + 7) // 8]
        )

    __hash__ = None

    def __repr__(self):
        return f"Bitset(nbits={self.nbits}, count={self.count()})"


def _allowed_arg(allowed):
    """(packed uint8 array or None, allowed_bits) for weft_index_search."""
    if allowed is None:
        return None, 0
    if isinstance(allowed, Bitset):
        bits, nbits = allowed.bits, allowed.nbits
        if bits.dtype != np.uint8 or not bits.flags.c_contiguous or bits.size * 8 < nbits:
            raise InvalidArgumentError(
                f"allowed: {allowed!r} holds {bits.size} bytes of dtype {bits.dtype} "
                f"for {nbits} bits"
            )
    else:
        mask = _asarray(allowed, "allowed")
        if mask.dtype != np.bool_ or mask.ndim != 1:
            raise InvalidArgumentError(
                "allowed must be a 1-D bool mask over ids (allowed[i] True = id i may be "
                f"returned) or a weft.Bitset, got dtype {mask.dtype}, shape {mask.shape}"
            )
        bits, nbits = np.packbits(mask, bitorder="little"), int(mask.shape[0])
    if bits.size == 0:  # nothing allowed: still a valid pointer
        bits = np.zeros(1, dtype=np.uint8)
    return bits, nbits


# ---------------------------------------------------------------------------- FlatIndex


class FlatIndex:
    """An exact (brute-force) index of float32 vectors with int64 ids.

    metric: "l2" (squared Euclidean distance, smaller is closer, as faiss's IndexFlatL2),
    "ip" (inner product, larger is closer) or "cosine" (cosine similarity, larger is
    closer; vectors are normalized when added, so a zero vector is refused).
    """

    @python_call("weft.FlatIndex")
    def __init__(self, dim, metric="l2"):
        self._handle = None
        dim = _int_arg(dim, "dim", 1)
        metric = _metric_arg(metric)
        handle = _lib.weft_index_p()
        _check(_lib.weft_index_create(dim, _METRICS[metric], ctypes.byref(handle)))
        self._own(handle)
        self._dim = dim
        self._metric = metric

    @classmethod
    def _adopt(cls, handle):
        """A FlatIndex owning an index the C library made (weft_index_load)."""
        dim, metric = ctypes.c_size_t(), _lib.weft_metric()
        _check(_lib.weft_index_dim(handle, ctypes.byref(dim)))
        _check(_lib.weft_index_metric(handle, ctypes.byref(metric)))
        self = cls.__new__(cls)
        self._dim = dim.value
        self._metric = _METRIC_NAMES.get(metric.value, str(metric.value))
        self._own(handle)
        return self

    def _own(self, handle):
        """Takes ownership of a weft_index handle: freed when the FlatIndex is collected, or at
        interpreter exit (weakref.finalize, as every handle this package owns). A borrowed
        array's release runs then, through the module-level _RELEASE_BORROW."""
        self._handle = handle
        self._finalizer = weakref.finalize(self, _lib.weft_index_free, handle)

    # -------------------------------------------------------------- properties

    @property
    def dim(self):
        """Dimension of the vectors."""
        return self._dim

    @property
    def metric(self):
        """'l2', 'ip' or 'cosine'."""
        return self._metric

    def __len__(self):
        count = ctypes.c_size_t()
        _check(_lib.weft_index_size(self._handle, ctypes.byref(count)))
        return count.value

    @property
    def ntotal(self):
        """Number of vectors in the index (len(index), as faiss)."""
        return len(self)

    def __repr__(self):
        return f"FlatIndex(dim={self._dim}, metric={self._metric!r}, ntotal={len(self)})"

    # -------------------------------------------------------------- operations

    @python_call("FlatIndex.add")
    def add(self, vectors, ids=None, *, copy=True):
        """Adds vectors ((n, dim), or one vector of length dim). ids: n distinct int64 ids
        in 0 .. 2**63 - 2 not in the index, or None for the next ids in sequence (0, 1, ...
        in order of addition, as faiss).

        copy=True (the default, as faiss): the index keeps its own copy. float32
        C-contiguous vectors are copied once, straight into the index; other input is
        converted a block of rows at a time (at most 64 MiB of float32 alive at once).

        copy=False: the index borrows `vectors` instead of copying them, which halves the
        memory of a large index. Only a float32, C-contiguous, aligned numpy array, added
        with ids=None to an empty index of metric "l2" or "ip" (cosine normalizes the rows
        it keeps), can be borrowed; anything else raises weft.InvalidArgumentError naming
        the reason (nothing is converted). The index keeps a reference to the array, so it
        stays alive after yours is gone, and marks it read-only (numpy refuses writes
        through it) for as long as it reads it. The first later add, or a remove that
        moves rows, copies the rows into the index first (copy on write); from then on,
        and when the index is freed, the array is released and made writeable again if it
        was. Norms are computed here: changing the memory meanwhile through another view
        or a base array is the caller's error (wrong distances, never a crash). save()
        writes the rows; load_index gives an index that owns its copy.
        """
        if not copy:
            self._add_borrowed(vectors, ids)
            return
        arr = _shaped(vectors, "vectors", self._dim)
        n = arr.shape[0]
        id_arr = None if ids is None else _ids_arg(ids, "ids", n, "vectors")
        if n == 0:
            return
        if _is_f32(arr):
            _check_finite(arr, "vectors")
            _progress._ensure()  # Ctrl-C and the bar for this long call
            _check(_lib.weft_index_add(self._handle, n, _f32p(arr), _i64p(id_arr)))
            return
        # Converted and added a block at a time. Every block is checked first (NaN / inf,
        # squared norms, repeated ids), so bad input leaves the index as it was. What only
        # the C library sees (an id already in the index; no memory) can still fail a later
        # block: the rows added by then are removed again (with explicit ids; sequential
        # ids cannot be told apart, so those rows stay, and the error says how many).
        for r0, block in _blocks(arr, "vectors"):
            _check_norms(block, "vectors", r0, self._metric)
        if id_arr is not None and n > 1:
            order = np.argsort(id_arr, kind="stable")
            same = id_arr[order[1:]] == id_arr[order[:-1]]
            if same.any():
                j = int(np.argmax(same))
                a, b = sorted((int(order[j]), int(order[j + 1])))
                raise InvalidArgumentError(
                    f"ids: id {id_arr[a]} appears twice (ids[{a}] and ids[{b}])"
                )
        added = 0
        try:
            for r0, block in _blocks(arr, "vectors"):
                part = None if id_arr is None else id_arr[r0 : r0 + block.shape[0]]
                _progress._ensure()  # Ctrl-C and the bar for this long call
                _check(_lib.weft_index_add(self._handle, block.shape[0], _f32p(block),
                                           _i64p(part)))  # fmt: skip
                added += block.shape[0]
        except WeftError as exc:
            if added and id_arr is not None:
                _lib.weft_index_remove(self._handle, added, _i64p(id_arr[:added]), None)
            elif added:
                exc.message = f"{exc} (the first {added} rows of vectors were added)"
                exc.args = (exc.message,)
            raise

    def _add_borrowed(self, vectors, ids):
        if not isinstance(vectors, np.ndarray):
            raise InvalidArgumentError(
                f"vectors: copy=False borrows a numpy array, got {type(vectors).__name__} "
                "(add it with copy=True)"
            )
        arr = _shaped(vectors, "vectors", self._dim)
        if vectors.dtype != np.float32:
            raise InvalidArgumentError(
                f"vectors has dtype {vectors.dtype}: copy=False borrows float32 arrays only "
                "(convert it, or add with copy=True)"
            )
        if not (arr.flags.c_contiguous and arr.flags.aligned):
            raise InvalidArgumentError(
                f"vectors (shape {vectors.shape}, strides {vectors.strides}) is not "
                "C-contiguous and aligned: copy=False borrows only such arrays "
                "(np.ascontiguousarray, or add with copy=True)"
            )
        if ids is not None:
            raise InvalidArgumentError(
                "ids: copy=False takes the next ids in sequence (ids=None), got ids"
            )
        if self._metric == "cosine":
            raise InvalidArgumentError(
                "copy=False: the cosine metric normalizes the rows it keeps, so it cannot "
                "borrow them (add with copy=True)"
            )
        held = len(self)
        if held:
            raise InvalidArgumentError(
                f"copy=False borrows into an empty index only; this one holds {held} vectors "
                "(add with copy=True)"
            )
        n = arr.shape[0]
        if n == 0:
            return
        key = _borrow(vectors)
        status = _lib.weft_index_add_borrowed(self._handle, n, _f32p(arr), _RELEASE_BORROW, key)
        if status != _lib.WEFT_OK:
            _release_borrow(key)  # not borrowed: the C library does not release it
            _check(status)

    @python_call("FlatIndex.remove")
    def remove(self, ids):
        """Removes the given ids (ids not in the index are ignored); returns how many
        vectors were removed."""
        id_arr = _ids_arg(ids, "ids")
        if id_arr.size == 0:
            return 0
        removed = ctypes.c_size_t()
        _check(
            _lib.weft_index_remove(self._handle, id_arr.size, _i64p(id_arr), ctypes.byref(removed))
        )
        return removed.value

    @python_call("FlatIndex.search")
    def search(self, queries, k, *, device="auto", strict=False, allowed=None,
               precision="auto"):
        """The k nearest vectors of each query, best first: (D, I), D float32 (nq, k)
        distances (or similarities), I int64 (nq, k) ids. One query of length dim gives
        (1, k) arrays.

        D by metric: "l2" gives *squared* Euclidean distances (as faiss's IndexFlatL2;
        np.sqrt(D) for the distances themselves), ascending; "ip" inner products and
        "cosine" cosine similarities, descending. When k exceeds the vectors there are
        (or that `allowed` lets through), each row is padded at its end with id -1 and
        distance inf ("l2") or -inf ("ip", "cosine"), as faiss does.

        device: "auto" (by cost), "cpu", "opencl", "cuda", an id like "opencl:0", a
        weft.Device, or several (the queries are split among them); strict=True fails
        instead of falling back to the CPU. allowed: a bool mask over ids (allowed[i]
        True = id i may be returned) or a weft.Bitset; ids past its end are excluded.

        precision: "auto" (default), "fp32", "bf16" or "int8", the arithmetic of the scan
        (on the CPU, and on an OpenCL or CUDA device with the same operands and bound).
        The answer is the same, bit for bit, whatever it is: "bf16" and "int8" compute
        the inner products with reduced operands only to pick candidates, which a rigorous
        error bound certifies, and rank those again in fp32. "bf16" (AVX512_BF16) keeps a
        bf16 copy of the vectors (half their size); "int8" (AVX512_VNNI: exact int32 sums
        of per-vector scaled int8 codes) an int8 copy (a quarter, plus 16 bytes a vector).
        On a CPU without the instructions the fp32 scan runs. "auto" takes int8, else bf16,
        where this CPU does their multiply-adds faster than fp32 ones (measured once) and
        the shape is large. weft.last_report() says which ran and how many candidates
        were ranked again.
        """
        k = _int_arg(k, "k", 1)
        x = _shaped(queries, "queries", self._dim)
        bits, nbits = _allowed_arg(allowed)
        # no queries: the C library checks k (its range) and nothing else, before we allocate
        _check(_lib.weft_index_search(None, self._handle, 0, None, k, None, 0, None, None))
        nq = x.shape[0]
        if not _is_f32(x):  # every block checked before any is searched
            for _ in _blocks(x, "queries"):
                pass
        distances = np.empty((nq, k), dtype=np.float32)
        labels = np.empty((nq, k), dtype=np.int64)
        if nq == 0:
            return distances, labels
        ex = _thread_exec()
        ex.configure(device, strict, "FlatIndex.search")
        ex.set_precision(precision, "FlatIndex.search")
        # float32 C-contiguous queries: one call; others a converted block at a time (the
        # report, weft.last_report(), then describes the last block)
        for q0, block in _blocks(x, "queries"):
            m = block.shape[0]
            status = _lib.weft_index_search(
                ex.handle, self._handle, m, _f32p(block), k,
                None if bits is None else bits.ctypes.data_as(_lib.c_uint8_p), nbits,
                _f32p(distances[q0 : q0 + m]), _i64p(labels[q0 : q0 + m]),
            )  # fmt: skip
            ex._mark_ran()
            _check(status)
        return distances, labels

    @python_call("FlatIndex.save")
    def save(self, path):
        """Writes the index to one file (atomically: a uniquely named temporary file
        beside it, synced, then renamed). On failure (weft.WeftIOError) the old file, if
        any, is left as it was."""
        _check(_lib.weft_index_save(self._handle, _path_arg(path)))


def _starts_with(raw_path, magic):
    """True when the file at raw_path is readable and starts with `magic` (any failure:
    False, and the load that follows reports it)."""
    try:
        with open(raw_path, "rb", buffering=0) as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


@python_call("weft.load_index")
def load_index(path, mmap=False):
    """Loads an index written by FlatIndex.save (a FlatIndex) or IVFIndex.save (an
    IVFIndex). A truncated or corrupted file, or one of another format, raises
    weft.CorruptError; a missing file, a directory or another non-regular file
    weft.WeftIOError (an OSError).

    mmap=True (IVF files) maps the file instead of reading it, as faiss's IO_FLAG_MMAP:
    opening reads the header, centroids, codebooks and list sizes only, and memory grows
    with the lists searches touch. The checksum and rows are not checked then (that would
    read the whole file); a bad pq code raises weft.CorruptError from the search that
    reaches its list, and the first add or remove copies the lists into memory and checks
    them as a plain load does. The file must not change while the index maps it."""
    raw = _path_arg(path)
    if not isinstance(mmap, bool):
        raise InvalidArgumentError(f"weft.load_index: mmap must be True or False, got {mmap!r}")
    if os.path.isfile(raw):
        from .ivf import IVF_MAGIC, _load_ivf  # ivf.py imports this module

        if _starts_with(raw, IVF_MAGIC):
            return _load_ivf(raw, mmap)
    if mmap and os.path.isfile(raw) and _starts_with(raw, b"WEFTIDX1"):
        raise InvalidArgumentError(f"weft.load_index: mmap=True maps IVF index files; {path!r} "
                                   "holds a FlatIndex, which loads with mmap=False")
    handle = _lib.weft_index_p()
    _check(_lib.weft_index_load(raw, ctypes.byref(handle)))
    try:
        return FlatIndex._adopt(handle)
    except BaseException:
        _lib.weft_index_free(handle)
        raise
