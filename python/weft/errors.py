"""Exceptions raised for the weft_status codes of the C library.

C messages start with the C function's name ("weft_plan_filter: column 'x' not found");
`_check(status, where)` replaces that prefix with the Python call's name ("LazyFrame.filter:
column 'x' not found"), the one place where C errors become exceptions.
"""

import functools
import re

from . import _lib
from . import progress as _progress

__all__ = [
    "WeftError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "DeviceMemoryError",
    "DeviceError",
    "UnsupportedError",
    "NotFoundError",
    "BackendUnavailableError",
    "WeftIOError",
    "CorruptError",
    "InternalError",
]


class WeftError(Exception):
    """A failure reported by weft. ``status`` is the weft_status code (an int), ``message``
    the text of weft_last_error() (which argument, which value, which device)."""

    status = _lib.WEFT_ERR_INTERNAL

    def __init__(self, message="", status=None):
        if status is not None:
            self.status = int(status)
        self.message = message
        super().__init__(message)

    @property
    def status_name(self):
        return _status_name(self.status)

    def __str__(self):
        return self.message or self.status_name

    def __repr__(self):
        return f"{type(self).__name__}({self.message!r}, status={self.status_name})"


class InvalidArgumentError(WeftError, ValueError):
    """WEFT_ERR_INVALID_ARGUMENT: a bad argument; the message names it and its value."""

    status = _lib.WEFT_ERR_INVALID_ARGUMENT


class OutOfMemoryError(WeftError, MemoryError):
    """WEFT_ERR_OUT_OF_MEMORY: a host allocation failed."""

    status = _lib.WEFT_ERR_OUT_OF_MEMORY


class DeviceMemoryError(WeftError):
    """WEFT_ERR_DEVICE_MEMORY: device memory (or its memory limit) exhausted."""

    status = _lib.WEFT_ERR_DEVICE_MEMORY


class DeviceError(WeftError):
    """WEFT_ERR_DEVICE: a CUDA / OpenCL / BLAS call failed."""

    status = _lib.WEFT_ERR_DEVICE


class UnsupportedError(WeftError):
    """WEFT_ERR_UNSUPPORTED: the device cannot run this (strict mode, missing feature)."""

    status = _lib.WEFT_ERR_UNSUPPORTED


class NotFoundError(WeftError, LookupError):
    """WEFT_ERR_NOT_FOUND: unknown device, id or name."""

    status = _lib.WEFT_ERR_NOT_FOUND


class BackendUnavailableError(WeftError):
    """WEFT_ERR_BACKEND_UNAVAILABLE: backend library or driver missing."""

    status = _lib.WEFT_ERR_BACKEND_UNAVAILABLE


class WeftIOError(WeftError, OSError):
    """WEFT_ERR_IO: a file could not be read or written."""

    status = _lib.WEFT_ERR_IO

    def __init__(self, message="", status=None):
        WeftError.__init__(self, message, status)

    def __str__(self):
        return WeftError.__str__(self)


class CorruptError(WeftError):
    """WEFT_ERR_CORRUPT: a file is truncated, corrupted or of another format."""

    status = _lib.WEFT_ERR_CORRUPT


class InternalError(WeftError):
    """WEFT_ERR_INTERNAL: a bug in weft."""

    status = _lib.WEFT_ERR_INTERNAL


class CancelledError(WeftError):
    """WEFT_ERR_CANCELLED: the progress callback (weft.config.progress set to a function)
    asked the work to stop; its inputs are unchanged. Ctrl-C raises KeyboardInterrupt."""

    status = _lib.WEFT_ERR_CANCELLED


_BY_STATUS = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        OutOfMemoryError,
        DeviceMemoryError,
        DeviceError,
        UnsupportedError,
        NotFoundError,
        BackendUnavailableError,
        WeftIOError,
        CorruptError,
        InternalError,
        CancelledError,
    )
}


def _status_name(status):
    name = _lib.weft_status_name(int(status))
    return name.decode("utf-8", "replace") if name else f"weft_status({int(status)})"


_C_PREFIX = re.compile(r"(?:weft_[A-Za-z0-9_]+: )+")  # "weft_plan_join: weft_table_join: "

# The Python call behind a C function, for the callers that do not name themselves.
_PYTHON_NAMES = {
    "weft_device_find": "weft.device",
    "weft_index_create": "weft.FlatIndex",
    "weft_index_add": "FlatIndex.add",
    "weft_index_add_borrowed": "FlatIndex.add(copy=False)",
    "weft_index_remove": "FlatIndex.remove",
    "weft_index_search": "FlatIndex.search",
    "weft_index_save": "FlatIndex.save",
    "weft_index_load": "weft.load_index",
    "weft_kmeans": "weft.kmeans",
    "weft_ivf_create": "weft.IVFIndex",
    "weft_ivf_train": "IVFIndex.train",
    "weft_ivf_add": "IVFIndex.add",
    "weft_ivf_remove": "IVFIndex.remove",
    "weft_ivf_search": "IVFIndex.search",
    "weft_ivf_save": "IVFIndex.save",
    "weft_ivf_load": "weft.load_index",
}


_C_NAME = re.compile(r"(?<![A-Za-z0-9_.])weft_[a-z0-9_]+")


def _python_names_inside(message):
    """C advice quotes C functions ("call weft_ivf_train first"): the Python call instead."""
    return _C_NAME.sub(lambda m: _PYTHON_NAMES.get(m.group(0), m.group(0)), message)


def _python_message(message, where=None):
    """`message` with a leading C function name ("weft_xxx: ") replaced by `where`, the
    Python call ("LazyFrame.filter"); without `where`, by the known Python call of that C
    function, else left as it is. A message without a C prefix gets `where: ` in front.
    C functions named further on become their Python calls where known."""
    return _python_names_inside(_python_prefix(message, where))


def _python_prefix(message, where):
    m = _C_PREFIX.match(message)
    if m is None:
        if not where or not message:
            return message
        short = where.split("(")[0].split(".")[-1] + ": "  # C's "read_csv: " under weft.read_csv
        if message.startswith(short):
            message = message[len(short):]
        # ... and after a context C put in front ('"a.csv": read_csv: line 3: ...')
        return f"{where}: {message.replace(': ' + short, ': ')}"
    name = where or _PYTHON_NAMES.get(m.group(0).split(":")[0])
    return f"{name}: {message[m.end():]}" if name else message


def _error(status, message=None, where=None):
    """The exception for a failed status, with weft_last_error() as its message (its C
    function name replaced by `where`, see _python_message)."""
    if message is None:
        raw = _lib.weft_last_error()
        message = raw.decode("utf-8", "replace") if raw else ""
        message = _python_message(message, where)
    if not message:
        message = f"{where}: {_status_name(status)}" if where else _status_name(status)
    return _BY_STATUS.get(int(status), WeftError)(message, status)


def _check(status, where=None):
    """Raises the WeftError subclass for `status` (with weft_last_error()) unless WEFT_OK.
    `where` names the Python call ("DataFrame.filter", "collect(device=...)"): it replaces
    the C function name the message starts with. Call it straight after the C function,
    before any other call into weft on this thread."""
    if status != _lib.WEFT_OK:
        if status == _lib.WEFT_ERR_CANCELLED and _progress._take_interrupt():
            raise KeyboardInterrupt
        raise _error(status, where=where)
    if _progress._local.__dict__.get("interrupted"):  # Ctrl-C after the work had finished
        _progress._take_interrupt()
        raise KeyboardInterrupt


# A message that already names a Python call: "weft.read_csv: ...", "DataFrame.filter: ...",
# "DataFrame[mask]: ...", "FlatIndex.search(precision=...): ...", "Series >: ...".
_NAMED = re.compile(r"(?:weft\.\S*|[A-Z][A-Za-z]*(?:[.\[(]\S*)?|str\.\S+|Series [^:]*|abs\(Series\)): ")


def _name_the_call(error, where):
    """`error` (a WeftError) with its message starting with `where`, unless it already
    names a Python call (an inner call's own name is the more precise one)."""
    if error.message and not _NAMED.match(error.message):
        error.message = _python_message(error.message, where)
        error.args = (error.message,)


def python_call(where):
    """Decorates a public function or method so that every WeftError it raises names it:
    `where` ("FlatIndex.add") goes in front of a message that names no Python call
    ("vectors has 5 columns ..." becomes "FlatIndex.add: vectors has 5 columns ..."). A
    `_where` keyword argument of the call, when given, names it instead (weft.sum calling
    weft.reduce)."""

    def decorate(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except WeftError as e:
                _name_the_call(e, kwargs.get("_where") or where)
                raise

        return call

    return decorate
