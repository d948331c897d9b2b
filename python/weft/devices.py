"""Devices and backends: listing, lookup and memory limits."""

from __future__ import annotations

import contextlib
import ctypes
from dataclasses import dataclass, field
from typing import Iterator, Union

from . import _lib
from .errors import InvalidArgumentError, _check, python_call

__all__ = [
    "Device",
    "Backend",
    "devices",
    "device",
    "backends",
    "set_memory_limit",
    "memory_limit",
]

_KIND_NAMES = {
    _lib.WEFT_DEVICE_CPU: "cpu",
    _lib.WEFT_DEVICE_OPENCL: "opencl",
    _lib.WEFT_DEVICE_CUDA: "cuda",
}


def _text(raw):
    return raw.decode("utf-8", "replace")


def _fmt_bytes(n):
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value = float(n)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # unreachable


@dataclass(frozen=True)
class Device:
    """A device weft found (a snapshot: memory_used_bytes is the value when listed)."""

    id: str  # "cpu:0", "opencl:0", "cuda:1": what `device=` accepts
    kind: str  # "cpu", "opencl" or "cuda"
    ordinal: int  # index among devices of the same kind
    name: str
    memory_bytes: int
    memory_limit_bytes: int
    memory_used_bytes: int
    compute_units: int
    has_fp64: bool
    index: int = field(default=0, compare=False)  # position in weft.devices()

    def __repr__(self):
        return (
            f"Device(id={self.id!r}, name={self.name!r}, "
            f"memory={_fmt_bytes(self.memory_bytes)}, "
            f"limit={_fmt_bytes(self.memory_limit_bytes)}, "
            f"used={_fmt_bytes(self.memory_used_bytes)}, "
            f"compute_units={self.compute_units}, fp64={self.has_fp64})"
        )

    def __str__(self):
        return self.id


@dataclass(frozen=True)
class Backend:
    """A backend weft knows of, whether or not it loaded."""

    name: str  # "cpu", "opencl", "cuda"
    loaded: bool  # its library loaded and its driver answered
    device_count: int
    library: str  # the shared library tried ("" for cpu, which is built in)
    reason: str  # why it was skipped, when not loaded; when loaded, devices left out (if any)

    def __repr__(self):
        if self.loaded:
            note = f", note={self.reason!r}" if self.reason else ""
            return f"Backend({self.name!r}, loaded, devices={self.device_count}{note})"
        return f"Backend({self.name!r}, not loaded: {self.reason!r})"


def _device_count():
    n = ctypes.c_size_t()
    _check(_lib.weft_device_count(ctypes.byref(n)))
    return n.value


def _device_info(index):
    info = _lib.weft_device_info()
    _check(_lib.weft_device_get_info(index, ctypes.byref(info)))
    return Device(
        id=_text(info.id),
        kind=_KIND_NAMES.get(info.kind, str(info.kind)),
        ordinal=info.ordinal,
        name=_text(info.name),
        memory_bytes=info.memory_bytes,
        memory_limit_bytes=info.memory_limit_bytes,
        memory_used_bytes=info.memory_used_bytes,
        compute_units=info.compute_units,
        has_fp64=bool(info.has_fp64),
        index=index,
    )


def devices() -> list[Device]:
    """The devices found: index 0 is always the CPU, then OpenCL devices, then CUDA ones."""
    return [_device_info(i) for i in range(_device_count())]


def _find(device_id):
    index = ctypes.c_size_t()
    _check(_lib.weft_device_find(device_id.encode("utf-8"), ctypes.byref(index)))
    return index.value


def _index(device):
    """weft's device index for a Device, an id string ("opencl:0") or an index."""
    if isinstance(device, Device):
        return _find(device.id)
    if isinstance(device, str):
        return _find(device)
    if isinstance(device, int) and not isinstance(device, bool):
        if device < 0:
            raise InvalidArgumentError(f"device index must be >= 0, got {device}")
        return device
    raise InvalidArgumentError(
        f"device must be a weft.Device, an id string or an index, got {device!r}"
    )


@python_call("weft.device")
def device(device: Union[Device, str, int]) -> Device:
    """The Device for an id ("cpu", "opencl:1", "cuda") or an index."""
    return _device_info(_index(device))


def backends() -> list[Backend]:
    """Every backend weft knows of (cpu, opencl, cuda), loaded or not, with the reason
    a backend was skipped."""
    n = ctypes.c_size_t()
    _check(_lib.weft_backend_count(ctypes.byref(n)))
    out = []
    for i in range(n.value):
        info = _lib.weft_backend_info()
        _check(_lib.weft_backend_get_info(i, ctypes.byref(info)))
        out.append(
            Backend(
                name=_text(info.name),
                loaded=bool(info.loaded),
                device_count=info.device_count,
                library=_text(info.library),
                reason=_text(info.reason),
            )
        )
    return out


@python_call("weft.set_memory_limit")
def set_memory_limit(device: Union[Device, str, int], nbytes: int) -> None:
    """Caps the bytes weft may hold on `device` (0 restores the physical size)."""
    nbytes = int(nbytes)
    if nbytes < 0:
        raise InvalidArgumentError(f"memory limit must be >= 0 bytes, got {nbytes}")
    _check(_lib.weft_device_set_memory_limit(_index(device), nbytes), "weft.set_memory_limit")


def release_memory() -> int:
    """Returns to the system the freed host memory weft keeps for reuse (large temporaries
    and columns, up to WEFT_SCRATCH_CACHE_MB; it also goes by itself after 2 s idle, at the
    next large allocation). Returns the bytes released."""
    n = ctypes.c_uint64(0)
    _check(_lib.weft_release_cached_memory(ctypes.byref(n)))
    return n.value


@contextlib.contextmanager
def memory_limit(device: Union[Device, str, int], nbytes: int) -> Iterator[None]:
    """Context manager: caps `device` at `nbytes` and puts the previous limit back."""
    index, previous = _limit_before(device, nbytes)
    try:
        yield
    finally:
        set_memory_limit(index, previous)


@python_call("weft.memory_limit")
def _limit_before(device, nbytes):
    """(device index, its limit before) after capping it at `nbytes`: memory_limit's first
    step, in a function so that its errors name weft.memory_limit (a generator's would be
    raised past the decorator)."""
    index = _index(device)
    previous = _device_info(index).memory_limit_bytes
    set_memory_limit(index, nbytes)
    return index, previous
