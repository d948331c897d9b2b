"""What a plan calls back into Python at collect time (a scan's read, an index's search):
the objects its callbacks find by a ctx id while a plan holds them, the guard that turns an
exception into a status, and that exception, which LazyFrame.collect raises again."""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Callable, Optional

from . import _lib

_errors = threading.local()  # the exception a callback raised, on the collecting thread


def take_error() -> Optional[BaseException]:
    """The exception the last failed callback on this thread raised (once), or None."""
    err = getattr(_errors, "value", None)
    _errors.value = None
    return err


def write_note(note: int, cap: int, text: str) -> None:
    """Copies `text` into a callback's note buffer of `cap` bytes (cut, NUL-terminated)."""
    data = text.encode("utf-8")[: max(cap - 1, 0)]
    if cap > 0:
        ctypes.memmove(note, data + b"\0", len(data) + 1)


def guarded(impl: Callable[..., None]) -> Callable[..., int]:
    """A callback body as C calls it: 0, or WEFT_ERR_INVALID_ARGUMENT with the exception
    kept for collect (a C status cannot carry a Python exception's type)."""
    def call(*args: Any) -> int:
        try:
            impl(*args)
            return 0
        except BaseException as e:  # raised again by LazyFrame.collect, on this thread
            _errors.value = e
            return _lib.WEFT_ERR_INVALID_ARGUMENT
    return call


class Registry:
    """Objects by ctx id while a plan holds them: C keeps only the integer, and releases it
    through `release` (a ctypes release callback) when the plan is freed."""

    def __init__(self) -> None:
        self._items: dict = {}
        self._next = 1
        self._lock = threading.Lock()

    def add(self, obj: Any) -> int:
        with self._lock:
            ctx = self._next
            self._next += 1
            self._items[ctx] = obj
        return ctx

    def __getitem__(self, ctx: int) -> Any:
        return self._items[ctx]

    def __len__(self) -> int:
        return len(self._items)

    def release(self, ctx: int) -> None:
        with self._lock:
            self._items.pop(ctx, None)
