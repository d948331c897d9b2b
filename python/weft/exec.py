"""weft_exec: where an operation runs, and the report of what ran where.

Every operation of this package runs with a weft_exec private to the calling thread,
created on first use and freed when the thread ends (or at interpreter exit).
`weft.last_report()` and `weft.last_device()` describe the last operation of this thread.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from typing import Any, Optional

from . import _lib
from . import progress as _progress
from .devices import Device, _device_info
from .errors import InvalidArgumentError, _check

__all__ = ["Exec", "last_report", "last_device"]


def _device_spec(device):
    """The C device string for device= ("auto", an id, a Device, an index, or a list)."""
    if device is None:
        return "auto"
    if isinstance(device, str):
        return device
    if isinstance(device, Device):
        return device.id
    if isinstance(device, int) and not isinstance(device, bool):
        if device < 0:
            raise InvalidArgumentError(f"device index must be >= 0, got {device}")
        return _device_info(device).id
    if isinstance(device, (list, tuple)):
        if not device:
            raise InvalidArgumentError("device list is empty")
        return ",".join(_device_spec(d) for d in device)
    raise InvalidArgumentError(
        "device must be 'auto', an id string, a weft.Device, an index or a list of them, "
        f"got {device!r}"
    )


def _free(handle):
    # Runs when the Exec is collected (thread end) or at interpreter exit (weakref.finalize).
    _lib.weft_exec_free(handle)


class Exec:
    """An owned weft_exec. Settings are applied with configure(); `report` and
    `last_device` describe the last operation run with it."""

    def __init__(self) -> None:
        handle = _lib.weft_exec_p()
        _check(_lib.weft_exec_create(ctypes.byref(handle)))
        self._handle = handle
        self._finalizer = weakref.finalize(self, _free, handle)
        self._device = None  # the spec last accepted by the C side
        self._strict = None
        self._precision = 0  # WEFT_PRECISION_AUTO, as weft_exec_create leaves it
        self._ran = False

    @property
    def handle(self) -> ctypes.c_void_p:
        if not self._finalizer.alive:
            raise InvalidArgumentError("weft.Exec used after close()")
        return self._handle

    def close(self) -> None:
        self._finalizer()

    def configure(self, device: Any = "auto", strict: bool = False,
                  where: Optional[str] = None) -> None:
        """Sets the device and strict mode; `where` names the Python call for errors
        ("LazyFrame.collect" gives "LazyFrame.collect(device=...): unknown device ...")."""
        spec = _device_spec(device)
        strict = 1 if strict else 0
        h = self.handle
        if spec != self._device:
            self._device = None
            _check(_lib.weft_exec_set_device(h, spec.encode("utf-8")),
                   f"{where}(device=...)" if where else "device=")
            self._device = spec
        if strict != self._strict:
            self._strict = None
            _check(_lib.weft_exec_set_strict(h, strict),
                   f"{where}(strict=...)" if where else "strict=")
            self._strict = strict

    def set_precision(self, precision: str, where: str) -> None:
        """The arithmetic of k-NN scans: "auto", "fp32", "bf16" or "int8"
        (weft_exec_set_precision); `where` names the Python call for errors."""
        codes = {"auto": 0, "fp32": 1, "bf16": 2, "int8": 3}
        if not isinstance(precision, str) or precision not in codes:
            raise InvalidArgumentError(
                f"{where}(precision=...): precision must be 'auto', 'fp32', 'bf16' or 'int8', "
                f"got {precision!r}")
        code = codes[precision]
        if code != self._precision:
            _check(_lib.weft_exec_set_precision(self.handle, code), f"{where}(precision=...)")
            self._precision = code

    def _mark_ran(self):
        self._ran = True

    @property
    def report(self) -> str:
        """Text of what the last operation did: device per partition group, rows,
        partition size and the reason for each choice ("" before the first one)."""
        if not self._ran:
            return ""
        text = ctypes.c_char_p()
        _check(_lib.weft_exec_report(self.handle, ctypes.byref(text)))
        return text.value.decode("utf-8", "replace") if text.value else ""

    @property
    def last_device(self) -> Optional[str]:
        """Id of the device the last operation ran on (the first, when split), or None."""
        if not self._ran:
            return None
        index = ctypes.c_size_t()
        _check(_lib.weft_exec_last_device(self.handle, ctypes.byref(index)))
        return _device_info(index.value).id

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_local = threading.local()


def _thread_exec():
    ex = getattr(_local, "exec", None)
    if ex is None:
        ex = _local.exec = Exec()
    _progress._ensure()  # every call made with the thread's exec reports its progress
    return ex


def last_report() -> str:
    """The report of the last operation run on this thread ("" if none yet)."""
    ex = getattr(_local, "exec", None)
    return ex.report if ex is not None else ""


def last_device() -> Optional[str]:
    """The id of the device the last operation on this thread ran on (None if none yet)."""
    ex = getattr(_local, "exec", None)
    return ex.last_device if ex is not None else None
