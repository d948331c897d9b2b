"""Exceptions raised for the weft_status codes of the C library."""

from . import _lib

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
    )
}


def _status_name(status):
    name = _lib.weft_status_name(int(status))
    return name.decode("utf-8", "replace") if name else f"weft_status({int(status)})"


def _error(status, message=None):
    """The exception for a failed status, with weft_last_error() as its message."""
    if message is None:
        raw = _lib.weft_last_error()
        message = raw.decode("utf-8", "replace") if raw else ""
    if not message:
        message = _status_name(status)
    return _BY_STATUS.get(int(status), WeftError)(message, status)


def _check(status):
    """Raises the WeftError subclass for `status` (with weft_last_error()) unless WEFT_OK.
    Call it straight after the C function, before any other call into weft on this thread."""
    if status != _lib.WEFT_OK:
        raise _error(status)
