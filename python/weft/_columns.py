"""Columns between Python and weft: numpy arrays and lists in, numpy arrays and lists out.

Numeric numpy arrays go to C without a copy: weft_table_from_columns takes their memory and
calls `_release` once no table or Arrow export uses it any more; until then the arrays are
held in `_KEEP` under the key given to C. Bool arrays are packed into Arrow's bitmap (a
copy), datetime64[D] narrowed to int32 days (a copy); lists are converted.
"""

import ctypes
import datetime
import itertools
import decimal
import math

import numpy as np

from . import _lib
from .errors import InvalidArgumentError, _check

__all__ = ["table_from_columns", "pick_columns", "column_view", "to_numpy", "to_list", "TYPE_NAMES"]



class _TypeNames(dict):
    """weft type int -> its name; decimal and vector types (precision and scale, or dim,
    packed in the int, so too many to list) are named on first use ("decimal[15,2]",
    "array[f32, 3]", as Polars prints them)."""

    def __missing__(self, t):
        if not is_decimal(t) and not is_vector(t):
            raise KeyError(t)
        name = _lib.weft_type_name(t).decode("ascii")
        self[t] = name
        return name


def is_decimal(t):
    """Whether weft type int `t` is a decimal128 type."""
    return isinstance(t, int) and bool(_lib.weft_type_is_decimal(t, None, None))


def is_vector(t):
    """Whether weft type int `t` is a float32 vector type (array[f32, dim])."""
    return isinstance(t, int) and bool(_lib.weft_type_is_vector(t, None))


def vector_dim(t):
    """The dim of vector type int `t`."""
    return t >> 8


def decimal_scale(t):
    """The scale of decimal type int `t`."""
    return (t >> 16) & 0xFF


TYPE_NAMES = _TypeNames({t: _lib.weft_type_name(t).decode("ascii")
                         for t in [*range(_lib.WEFT_TYPE_TIMESTAMP_US + 1), _lib.WEFT_TYPE_CATEGORICAL]})

_NUMPY_TYPES = {
    np.dtype(np.int8): _lib.WEFT_TYPE_INT8, np.dtype(np.int16): _lib.WEFT_TYPE_INT16,
    np.dtype(np.int32): _lib.WEFT_TYPE_INT32, np.dtype(np.int64): _lib.WEFT_TYPE_INT64,
    np.dtype(np.uint8): _lib.WEFT_TYPE_UINT8, np.dtype(np.uint16): _lib.WEFT_TYPE_UINT16,
    np.dtype(np.uint32): _lib.WEFT_TYPE_UINT32, np.dtype(np.uint64): _lib.WEFT_TYPE_UINT64,
    np.dtype(np.float32): _lib.WEFT_TYPE_FLOAT32, np.dtype(np.float64): _lib.WEFT_TYPE_FLOAT64,
}
_NUMPY_OF = {v: k for k, v in _NUMPY_TYPES.items()}
_NUMPY_OF[_lib.WEFT_TYPE_DATE32] = np.dtype(np.int32)
_NUMPY_OF[_lib.WEFT_TYPE_CATEGORICAL] = np.dtype(np.uint32)  # the codes
_NUMPY_OF[_lib.WEFT_TYPE_TIMESTAMP_US] = np.dtype("datetime64[us]")
_INT64 = (-(2**63), 2**63 - 1)
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_DATE = datetime.date(1970, 1, 1)

# ---------------------------------------------------------------------------- keeping memory

_KEEP = {}  # key -> the Python objects whose memory a weft table reads
_KEYS = itertools.count(1)


def _release_impl(key):
    # Called by C from any thread (ctypes takes the GIL), possibly at interpreter exit when
    # module globals are already gone: never raise.
    try:
        _KEEP.pop(key, None)
    except Exception:  # noqa: BLE001
        pass


_release = _lib.weft_release_fn(_release_impl)  # one callback object, alive as long as the module


def table_from_columns(names, views, keep):
    """A weft_table handle over `views` (a list of weft_column_view) whose memory `keep`
    (a list of objects) holds; weft drops `keep` when it no longer needs it."""
    n = len(names)
    c_names = (ctypes.c_char_p * max(n, 1))(*[s.encode("utf-8") for s in names])
    c_views = (_lib.weft_column_view * max(n, 1))(*views)
    key = next(_KEYS)
    _KEEP[key] = keep
    out = _lib.weft_table_p()
    status = _lib.weft_table_from_columns(n, c_names, c_views, _release, key, ctypes.byref(out))
    if status != _lib.WEFT_OK:
        _KEEP.pop(key, None)  # on failure weft never calls release
        _check(status)
    return out


def pick_columns(sources, names):
    """A weft_table handle of columns of other tables: sources[i] = (table handle, column
    index), named names[i]; buffers (and categorical dictionaries) shared in C."""
    n = len(names)
    c_tables = (_lib.weft_table_p * max(n, 1))(*[h for h, _ in sources])
    c_cols = (ctypes.c_size_t * max(n, 1))(*[i for _, i in sources])
    c_names = (ctypes.c_char_p * max(n, 1))(*[s.encode("utf-8") for s in names])
    out = _lib.weft_table_p()
    _check(_lib.weft_table_pick(n, c_tables, c_cols, c_names, ctypes.byref(out)))
    return out


def table_schema(handle) -> list:
    """[(name, weft type name)] of the columns of a table handle."""
    n = ctypes.c_size_t()
    _check(_lib.weft_table_num_columns(handle, ctypes.byref(n)))
    out = []
    for i in range(n.value):
        name = ctypes.c_char_p()
        _check(_lib.weft_table_column_name(handle, i, ctypes.byref(name)))
        view = _lib.weft_column_view()
        _check(_lib.weft_table_column(handle, i, ctypes.byref(view)))
        out.append((name.value.decode("utf-8"), TYPE_NAMES[view.type]))
    return out


# ---------------------------------------------------------------------------- Python -> C


def _bitmap(valid):
    """Arrow validity bitmap (uint8, bit i of byte i/8) of a bool array."""
    return np.packbits(np.asarray(valid, dtype=bool), bitorder="little")


def _view(wtype, length, values, validity=None, data=None, null_count=-1):
    v = _lib.weft_column_view()
    v.type = wtype
    v.length = length
    v.offset = 0
    v.null_count = null_count if validity is not None else 0
    v.validity = validity.ctypes.data if validity is not None else None
    v.values = values.ctypes.data if values is not None and values.size else _ZERO.ctypes.data
    v.data = data.ctypes.data if data is not None else None
    return v


_ZERO = np.zeros(2, dtype=np.int64)  # stands in for the buffers of empty columns


def _numeric(name, arr, valid):
    """(view, keep) for a 1-D numpy array; `valid` a bool array or None."""
    keep = []
    kind = arr.dtype.kind
    if valid is not None and valid.all():
        valid = None
    if kind == "b":
        values = _bitmap(arr)
        wtype = _lib.WEFT_TYPE_BOOL
    elif kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        nat = np.isnat(arr)
        if nat.any():
            valid = ~nat if valid is None else valid & ~nat
        if unit == "D":
            days = arr.view(np.int64)
            bad = (days < -(2**31)) | (days >= 2**31)
            if valid is not None:
                bad &= valid
            if bad.any():
                raise InvalidArgumentError(f"column {name!r}: date {arr[bad][0]} is out of the date32 range")
            values = days.astype(np.int32)
            wtype = _lib.WEFT_TYPE_DATE32
        elif unit in ("s", "ms", "us", "ns"):
            if unit == "ns":
                ns = arr.view(np.int64)
                ok = nat if valid is None else (nat | ~valid)
                if ((ns % 1000 != 0) & ~ok).any():
                    raise InvalidArgumentError(
                        f"column {name!r}: datetime64[ns] values with nanoseconds do not fit weft's "
                        "timestamp[us]; round them to microseconds first"
                    )
            values = arr if unit == "us" else arr.astype("datetime64[us]")
            values = np.ascontiguousarray(values).view(np.int64)
            wtype = _lib.WEFT_TYPE_TIMESTAMP_US
        else:
            raise InvalidArgumentError(
                f"column {name!r} has numpy dtype {arr.dtype}, which weft does not support "
                "(datetime64 units: D, s, ms, us, ns)"
            )
    elif arr.dtype.newbyteorder("=") in _NUMPY_TYPES or arr.dtype in _NUMPY_TYPES:
        native = arr.dtype.newbyteorder("=")
        values = np.ascontiguousarray(arr, dtype=native)  # no copy when already so
        wtype = _NUMPY_TYPES[native]
    else:
        raise InvalidArgumentError(
            f"column {name!r} has numpy dtype {arr.dtype}, which weft does not support (bool, "
            "int8-64, uint8-64, float32/64, str, datetime64)"
        )
    keep.append(values)
    validity = None
    null_count = 0
    if valid is not None:
        validity = _bitmap(valid)
        null_count = int(len(valid) - np.count_nonzero(valid))
        keep.append(validity)
    return _view(wtype, len(arr), values, validity, null_count=null_count), keep


def _decimals(name, items):
    """(view, keep) for decimal.Decimal or None: decimal(38, the most digits after the point
    among them), as Polars infers it; exact (no float between)."""
    parts = [x.as_tuple() if x is not None else None for x in items]
    if any(p is not None and not isinstance(p.exponent, int) for p in parts):
        raise InvalidArgumentError(f"column {name!r} holds a Decimal NaN or infinity; use None for a null")
    scale = max([-p.exponent for p in parts if p is not None] + [0])
    words = np.zeros(2 * len(items), dtype=np.uint64)
    valid = np.ones(len(items), dtype=bool)
    for i, p in enumerate(parts):
        if p is None:
            valid[i] = False
            continue
        v = int("".join(map(str, p.digits)) or "0") * 10 ** (p.exponent + scale)
        if scale > 38 or v >= 10**38:
            raise InvalidArgumentError(f"column {name!r}: {items[i]!r} does not fit decimal128 (38 digits)")
        v = -v if p.sign else v
        words[2 * i], words[2 * i + 1] = v & (2**64 - 1), (v >> 64) & (2**64 - 1)
    validity, null_count = None, 0
    if not valid.all():
        validity, null_count = _bitmap(valid), int(len(valid) - np.count_nonzero(valid))
    view = _view(_lib.WEFT_TYPE_DECIMAL(38, scale), len(items), words, validity, null_count=null_count)
    return view, [words, validity]


def _vectors(name, arr, valid=None):
    """(view, keep) for a 2-D array (rows, dim) as a vector column: float32 C-contiguous
    rows are read in place, anything else numeric is converted to float32 (a copy)."""
    if arr.dtype.kind not in "fiub" or arr.dtype.kind == "b":
        raise InvalidArgumentError(
            f"column {name!r} is a 2-D array of {arr.dtype}; a vector column takes numbers "
            "(float32 kept as is, other numbers converted to float32)")
    if arr.shape[1] < 1:
        raise InvalidArgumentError(f"column {name!r} has shape {arr.shape}: vectors need at least 1 value")
    if arr.shape[1] > _lib.WEFT_VECTOR_MAX_DIM:
        raise InvalidArgumentError(
            f"column {name!r} has vectors of {arr.shape[1]} values; weft takes at most {_lib.WEFT_VECTOR_MAX_DIM}")
    values = np.ascontiguousarray(arr, dtype=np.float32)  # no copy when already so
    keep = [values]
    validity, null_count = None, 0
    if valid is not None and not valid.all():
        validity = _bitmap(valid)
        null_count = int(len(valid) - np.count_nonzero(valid))
        keep.append(validity)
    view = _view(_lib.WEFT_TYPE_VECTOR(arr.shape[1]), arr.shape[0], values, validity, null_count=null_count)
    return view, keep


def _vectors_from_list(name, items):
    """(view, keep) for a list of vectors (lists, tuples or 1-D arrays of numbers) and None."""
    dim = None
    first = None
    for i, x in enumerate(items):
        if x is None:
            continue
        n = len(x)
        if dim is None:
            dim, first = n, i
        elif n != dim:
            raise InvalidArgumentError(
                f"column {name!r}: row {i} holds {n} values but row {first} holds {dim}; a "
                "vector column needs one length (ragged lists cannot be a vector column)")
    if dim is None:
        raise InvalidArgumentError(f"column {name!r}: every vector is None, so its length is unknown")
    valid = np.fromiter((x is not None for x in items), dtype=bool, count=len(items))
    try:
        arr = np.array([x if x is not None else [0.0] * dim for x in items], dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"column {name!r}: vectors must hold numbers ({exc})") from None
    return _vectors(name, arr.reshape(len(items), dim), valid)


def _strings(name, items):
    """(view, keep) for a sequence of str or None."""
    encoded = []
    valid = np.ones(len(items), dtype=bool)
    for i, s in enumerate(items):
        if s is None:
            valid[i] = False
            encoded.append(b"")
        else:
            encoded.append(s.encode("utf-8"))
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] > 2**31 - 1:
        raise InvalidArgumentError(
            f"column {name!r} holds {offsets[-1]} bytes of text; a weft utf8 column holds at most 2 GiB"
        )
    offsets = offsets.astype(np.int32)
    data = np.frombuffer(b"".join(encoded) + b"\0", dtype=np.uint8)
    keep = [offsets, data]
    validity = None
    null_count = 0
    if not valid.all():
        validity = _bitmap(valid)
        null_count = int(len(valid) - np.count_nonzero(valid))
        keep.append(validity)
    return _view(_lib.WEFT_TYPE_UTF8, len(items), offsets, validity, data, null_count), keep


def _kind(x):
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, np.integer)):
        return "int"
    if isinstance(x, (float, np.floating)):
        return "float"
    if isinstance(x, str):
        return "str"
    if isinstance(x, datetime.datetime):
        return "datetime"
    if isinstance(x, datetime.date):
        return "date"
    return type(x).__name__


def _micros(dt):
    if dt.tzinfo is not None:  # an aware datetime: its UTC wall time
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return (dt - _EPOCH) // datetime.timedelta(microseconds=1)


def _from_list(name, items):
    """(view, keep) for a list: the type is that of the non-None entries."""
    kinds = {_kind(x) for x in items if x is not None}
    if kinds == {"int", "float"}:
        kinds = {"float"}
    if len(kinds) > 1 and kinds <= {"list", "tuple", "ndarray"}:
        kinds = {"list"}
    if not kinds:
        kinds = {"float"}  # all null: a float64 column of nulls
    if len(kinds) > 1:
        raise InvalidArgumentError(
            f"column {name!r} mixes Python types {sorted(kinds)}; a column holds one type"
        )
    kind = kinds.pop()
    if kind == "str":
        return _strings(name, items)
    if kind == "Decimal":
        return _decimals(name, items)
    if kind in ("list", "tuple", "ndarray"):
        return _vectors_from_list(name, items)
    valid = np.fromiter((x is not None for x in items), dtype=bool, count=len(items))
    valid_or_none = None if valid.all() else valid
    if kind == "bool":
        arr = np.fromiter((bool(x) if x is not None else False for x in items), dtype=bool, count=len(items))
    elif kind == "int":
        ints = [int(x) if x is not None else 0 for x in items]
        lo, hi = min(ints, default=0), max(ints, default=0)
        if lo < _INT64[0] or hi > _INT64[1]:
            bad = lo if lo < _INT64[0] else hi
            raise InvalidArgumentError(f"column {name!r}: {bad} does not fit in int64")
        arr = np.array(ints, dtype=np.int64)
    elif kind == "float":
        arr = np.array([float(x) if x is not None else math.nan for x in items], dtype=np.float64)
    elif kind == "date":
        arr = np.array([(x - _EPOCH_DATE).days if x is not None else 0 for x in items], dtype=np.int64)
        arr = arr.astype("datetime64[D]")
    elif kind == "datetime":
        arr = np.array([_micros(x) if x is not None else 0 for x in items], dtype=np.int64)
        arr = arr.view("datetime64[us]")
    else:
        raise InvalidArgumentError(
            f"column {name!r} holds Python {kind} values, which weft does not support (bool, "
            "int, float, str, datetime.date, datetime.datetime, None)"
        )
    return _numeric(name, arr, valid_or_none)


def column_view(name, value):
    """(weft_column_view, keep) for one column given as a numpy array (masked arrays give
    nulls), or a list / tuple of Python values (None gives nulls)."""
    if isinstance(value, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(value)
        data = np.ma.getdata(value)
        if data.ndim == 2:  # a vector column: a row is null when all its values are masked
            if mask.ndim != 2:
                mask = np.broadcast_to(mask, data.shape)
            some, every = mask.any(axis=1), mask.all(axis=1)
            if (some & ~every).any():
                row = int(np.flatnonzero(some & ~every)[0])
                raise InvalidArgumentError(
                    f"column {name!r}: row {row} is partly masked; a vector is null as a whole")
            return _vectors(name, data, ~every)
        if data.ndim != 1:
            raise InvalidArgumentError(f"column {name!r} has {data.ndim} dimensions; columns are 1-D")
        if data.dtype.kind in "OU":
            items = data.tolist()
            return column_view(name, [None if m else x for x, m in zip(items, mask.tolist())])
        return _numeric(name, data, ~mask)
    if isinstance(value, np.ndarray):
        if value.ndim == 2 and value.dtype.kind != "O":
            return _vectors(name, value)
        if value.ndim != 1:
            raise InvalidArgumentError(
                f"column {name!r} has shape {value.shape}; columns are 1-D arrays (2-D: a vector column)"
            )
        if value.dtype.kind in "OUS":
            if value.dtype.kind == "S":
                raise InvalidArgumentError(
                    f"column {name!r} has numpy dtype {value.dtype} (bytes); decode it to str first"
                )
            return column_view(name, value.tolist())
        return _numeric(name, value, None)
    if isinstance(value, (list, tuple, range)):
        return _from_list(name, list(value))
    raise InvalidArgumentError(
        f"column {name!r}: expected a numpy array or a list, got {type(value).__name__}"
    )


# ---------------------------------------------------------------------------- C -> Python


class _Memory:
    """Exposes C memory to numpy (read-only) while keeping its owner alive."""

    def __init__(self, address, length, dtype, owner):
        self.__array_interface__ = {
            "data": (address, True),
            "shape": (length,),
            "typestr": np.dtype(dtype).str,
            "descr": np.dtype(dtype).descr,
            "version": 3,
        }
        self.owner = owner


def _wrap(address, length, dtype, owner):
    if length == 0 or not address:
        return np.empty(0, dtype=dtype)
    return np.asarray(_Memory(address, length, dtype, owner))


def _valid(view, owner):
    """Bool array of the rows that are not null, or None when none is."""
    if not view.validity or view.null_count == 0:
        return None
    start, n = view.offset, view.length
    nbytes = (start + n + 7) // 8
    bits = _wrap(view.validity, nbytes, np.uint8, owner)
    return np.unpackbits(bits, bitorder="little")[start:start + n].astype(bool)


def _values(view, owner):
    """The values of a fixed-width or bool column as a numpy array (no copy unless bool);
    decimal128: an (n, 2) int64 array of each value's low and high words."""
    n = view.length
    if is_decimal(view.type):
        return _wrap(view.values + view.offset * 16 if view.values else 0, 2 * n, np.int64, owner).reshape(n, 2)
    if is_vector(view.type):
        dim = vector_dim(view.type)
        return _wrap(view.values + view.offset * dim * 4 if view.values else 0, n * dim, np.float32,
                     owner).reshape(n, dim)
    if view.type == _lib.WEFT_TYPE_BOOL:
        nbytes = (view.offset + n + 7) // 8
        bits = _wrap(view.values, nbytes, np.uint8, owner)
        return np.unpackbits(bits, bitorder="little")[view.offset:view.offset + n].astype(bool)
    dtype = _NUMPY_OF[view.type]
    return _wrap(view.values + view.offset * dtype.itemsize if view.values else 0, n, dtype, owner)


def _strings_of(view, owner):
    """A list of str (None for nulls) of a utf8 column."""
    n = view.length
    if n == 0:
        return []
    offsets = _wrap(view.values + view.offset * 4, n + 1, np.int32, owner)
    start, end = int(offsets[0]), int(offsets[-1])
    blob = ctypes.string_at(view.data + start, end - start) if end > start else b""
    rel = (offsets - start).tolist()
    out = [blob[rel[i]:rel[i + 1]].decode("utf-8", "replace") for i in range(n)]
    valid = _valid(view, owner)
    if valid is not None:
        for i in np.flatnonzero(~valid).tolist():
            out[i] = None
    return out


def _decimals_of(view, owner):
    """A list of decimal.Decimal (None for nulls) of a decimal128 column, exactly (the
    16-byte little-endian integers with the column's scale as exponent, as Polars gives)."""
    n, scale = view.length, decimal_scale(view.type)
    if n == 0:
        return []
    words = _wrap(view.values + view.offset * 16, 2 * n, np.int64, owner)
    lo, hi = words[0::2].view(np.uint64).tolist(), words[1::2].tolist()
    out = []
    for low, high in zip(lo, hi):
        sign, digits, _ = decimal.Decimal((high << 64) | low).as_tuple()
        out.append(decimal.Decimal((sign, digits, -scale)))
    valid = _valid(view, owner)
    if valid is not None:
        for i in np.flatnonzero(~valid).tolist():
            out[i] = None
    return out


def _categories_of(view, owner):
    """A list of str (None for nulls) of a categorical column: its codes looked up in the
    dictionary the view carries (DataFrame._view sets view.dictionary)."""
    strings = _strings_of(view.dictionary, owner)
    codes = _values(view, owner).tolist()
    valid = _valid(view, owner)
    if valid is None:
        return [strings[c] for c in codes]
    return [strings[c] if ok else None for c, ok in zip(codes, valid.tolist())]


def to_numpy(view, owner):
    """A numpy array of a column: no copy for numeric and timestamp columns without nulls;
    with nulls, ints and floats become float (NaN for null), dates and timestamps NaT, bool
    and utf8 object arrays with None; decimals an object array of decimal.Decimal (as
    Polars); vectors a (rows, dim) float32 array (a null vector: a row of NaN)."""
    t = view.type
    if t == _lib.WEFT_TYPE_UTF8:
        return np.array(_strings_of(view, owner), dtype=object)
    if t == _lib.WEFT_TYPE_CATEGORICAL:
        return np.array(_categories_of(view, owner), dtype=object)
    if is_decimal(t):
        out = np.empty(view.length, dtype=object)
        out[:] = _decimals_of(view, owner)
        return out
    values = _values(view, owner)
    valid = _valid(view, owner)
    if is_vector(t):  # (rows, dim) float32; a null vector a row of NaN (a copy)
        if valid is None:
            return values
        out = values.copy()
        out[~valid] = np.nan
        return out
    if t == _lib.WEFT_TYPE_DATE32:
        values = values.astype("datetime64[D]")
    if valid is None:
        return values
    if t == _lib.WEFT_TYPE_BOOL:
        out = values.astype(object)
        out[~valid] = None
        return out
    if values.dtype.kind == "M":
        out = values.copy()
        out[~valid] = np.datetime64("NaT")
        return out
    out = values.astype(np.float32 if t == _lib.WEFT_TYPE_FLOAT32 else np.float64)
    out[~valid] = np.nan
    return out


def to_list(view, owner):
    """Python values of a column: int, float, bool, str, datetime.date, datetime.datetime
    (naive, UTC), decimal.Decimal, None for nulls."""
    t = view.type
    if t == _lib.WEFT_TYPE_UTF8:
        return _strings_of(view, owner)
    if t == _lib.WEFT_TYPE_CATEGORICAL:
        return _categories_of(view, owner)
    if is_decimal(t):
        return _decimals_of(view, owner)
    values = _values(view, owner)
    valid = _valid(view, owner)
    if is_vector(t):
        out = values.tolist()  # a list of floats a row
    elif t == _lib.WEFT_TYPE_DATE32:
        out = [_date(d) for d in values.tolist()]
    elif t == _lib.WEFT_TYPE_TIMESTAMP_US:
        out = [_datetime(u) for u in values.view(np.int64).tolist()]
    else:
        out = values.tolist()
    if valid is not None:
        for i in np.flatnonzero(~valid).tolist():
            out[i] = None
    return out


def _date(days):
    try:
        return _EPOCH_DATE + datetime.timedelta(days=days)
    except OverflowError:  # outside years 1-9999 (or the garbage under a null)
        return np.datetime64(days, "D")


def _datetime(micros):
    try:
        return _EPOCH + datetime.timedelta(microseconds=micros)
    except OverflowError:
        return np.datetime64(micros, "us")
