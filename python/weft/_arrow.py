"""The Arrow PyCapsule Interface: weft tables in and out of pyarrow, Polars, pandas
and anything else that speaks `__arrow_c_stream__` / `__arrow_c_array__`, without copying.

Import hands the capsule's struct to C, which moves it (the capsule is left with
release == NULL, so its destructor does nothing). Export returns a capsule around a
PyMem_RawMalloc'd ArrowArrayStream whose destructor releases the stream unless the
consumer moved it, then frees the struct.
"""

import ctypes
from ctypes import c_char_p, c_size_t, c_void_p, py_object

from . import _lib
from .errors import _check

__all__ = ["table_from_arrow", "stream_capsule"]

_STREAM = b"arrow_array_stream"
_SCHEMA = b"arrow_schema"
_ARRAY = b"arrow_array"

# Prototypes of our own (not ctypes.pythonapi's shared function objects, whose argtypes
# other code may set differently).
_api = ctypes.pythonapi
_get_pointer = ctypes.PYFUNCTYPE(c_void_p, py_object, c_char_p)(("PyCapsule_GetPointer", _api))
# In a destructor the capsule is being deallocated: it must not be touched as an object.
_get_pointer_raw = ctypes.PYFUNCTYPE(c_void_p, c_void_p, c_char_p)(("PyCapsule_GetPointer", _api))
_destructor_fn = ctypes.CFUNCTYPE(None, c_void_p)
_capsule_new = ctypes.PYFUNCTYPE(py_object, c_void_p, c_char_p, _destructor_fn)(("PyCapsule_New", _api))
_raw_malloc = ctypes.PYFUNCTYPE(c_void_p, c_size_t)(("PyMem_RawMalloc", _api))
_raw_free = ctypes.PYFUNCTYPE(None, c_void_p)(("PyMem_RawFree", _api))
_release_stream_fn = ctypes.CFUNCTYPE(None, c_void_p)


class _ArrowArrayStream(ctypes.Structure):
    _fields_ = [
        ("get_schema", c_void_p),
        ("get_next", c_void_p),
        ("get_last_error", c_void_p),
        ("release", c_void_p),
        ("private_data", c_void_p),
    ]


def _stream_destructor_impl(capsule):
    try:
        ptr = _get_pointer_raw(capsule, _STREAM)
        if not ptr:
            return
        stream = _ArrowArrayStream.from_address(ptr)
        if stream.release:  # not moved by a consumer
            _release_stream_fn(stream.release)(ptr)
        _raw_free(ptr)
    except BaseException:  # noqa: BLE001 - a destructor must not raise
        pass


_stream_destructor = _destructor_fn(_stream_destructor_impl)


def stream_capsule(handle):
    """A PyCapsule "arrow_array_stream" of one batch holding the table's buffers."""
    size = ctypes.sizeof(_ArrowArrayStream)
    ptr = _raw_malloc(size)
    if not ptr:
        raise MemoryError("weft: no memory for an ArrowArrayStream")
    ctypes.memset(ptr, 0, size)
    status = _lib.weft_table_to_stream(handle, ptr)
    if status != _lib.WEFT_OK:
        _raw_free(ptr)
        _check(status)
    return _capsule_new(ptr, _STREAM, _stream_destructor)


def table_from_arrow(obj, where=None):
    """A weft_table handle from an object of the Arrow PyCapsule Interface (a stream of
    record batches, or one struct array), or None when `obj` speaks neither. `where` names
    the Python call in errors."""
    out = _lib.weft_table_p()
    if hasattr(obj, "__arrow_c_stream__"):
        capsule = obj.__arrow_c_stream__()
        status = _lib.weft_table_from_stream(_get_pointer(capsule, _STREAM), ctypes.byref(out))
        _check(status, where)
        del capsule  # released by C already: its destructor sees release == NULL
        return out
    if hasattr(obj, "__arrow_c_array__"):
        schema, array = obj.__arrow_c_array__()
        status = _lib.weft_table_from_arrow(
            _get_pointer(schema, _SCHEMA), _get_pointer(array, _ARRAY), ctypes.byref(out)
        )
        _check(status, where)  # on failure nothing moved: the capsules release their structs
        del schema, array
        return out
    return None
