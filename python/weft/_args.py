"""Helpers shared by the modules that call the C table operations: argument lists and the
one way an operation runs (this thread's exec, a C call, its error named after the Python
call). They deal in raw handles and plain values; frame.py wraps tables as DataFrames."""

from __future__ import annotations

import ctypes
from typing import Any, Callable, Iterable

from . import _lib
from .errors import InvalidArgumentError, _check
from .exec import _thread_exec

__all__: list[str] = []


def _flatten(items: Iterable[Any]) -> list[Any]:
    """The items, a list or tuple among them spliced in (one level): f("a", ["b", "c"])."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(item)
        else:
            out.append(item)
    return out


def _names(value: Any, what: str, allow_empty: bool = False) -> list[str]:
    """A list of column names from a str or a list/tuple of str (empty only if allowed)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        if value or allow_empty:
            return list(value)
    raise InvalidArgumentError(f"{what} must be a column name or a list of names, got {value!r}")


def _c_names(names: list[str]) -> ctypes.Array:
    """The C array of char * of `names` (one NULL slot when empty)."""
    return (ctypes.c_char_p * max(len(names), 1))(*[n.encode("utf-8") for n in names])


def _run(where: str, fn: Callable[..., int], device: Any, strict: bool, *args: Any) -> ctypes.c_void_p:
    """Calls fn(exec, *args, &out) with this thread's exec set to `device` / `strict`: the new
    table handle, which the caller owns. `where` names the Python call in errors."""
    out = _lib.weft_table_p()
    ex = _thread_exec()
    ex.configure(device, strict, where)
    status = fn(ex.handle, *args, ctypes.byref(out))
    ex._mark_ran()
    _check(status, where)
    return out


def _row_index_args(name: Any, offset: Any, where: str) -> tuple:
    """(name as bytes, offset) of with_row_index, checked."""
    if not isinstance(name, str):
        raise InvalidArgumentError(f"{where}: name must be a str, got {name!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgumentError(f"{where}: offset must be an integer >= 0, got {offset!r}")
    return name.encode("utf-8"), offset
