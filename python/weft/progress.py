"""Progress bars for long weft calls, and Ctrl-C that stops them (weft_set_progress).

The C library calls one ctypes callback, set once per Python thread, from the thread that
called weft, at most every 0.1 s of long work (read_csv, sort, group_by, join, the indexes'
add, train and search, k-means, collect), never for a short call. The callback takes the GIL
only then. What it does is `weft.config.progress`:

- "auto" (the default): a tqdm bar (tqdm.auto: the notebook widget in Jupyter) once the
  work has lasted `weft.config.progress_delay` seconds (1 s), when tqdm is installed and
  someone is watching: stderr is a terminal, or this is a Jupyter kernel (a log file or a
  CI job's output gets no bars);
- True: a bar wherever stderr goes, and tqdm must be installed (an ImportError when set
  without it);
- False: no bar;
- a function f(what, done, total): called instead of a bar; a true result cancels the work,
  which then raises weft.CancelledError with its inputs unchanged.

Whatever the setting, Ctrl-C during long work cancels it (its inputs unchanged) and raises
KeyboardInterrupt once weft has stopped: the callback tells weft to stop, and errors._check
raises the interrupt on the calling thread. Python runs a signal's handler at the first
instruction of the next Python function, which during long work is this callback, before
any `try` of its own could catch it (ctypes would print the exception and drop it). So a
weft call on the main thread puts a SIGINT handler in front of Python's default one (only
when that default is the handler in place): in the callback's frame it records the
interrupt, anywhere else it is the default handler (KeyboardInterrupt).
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from typing import Any, Callable, Optional, Union

from . import _lib

__all__ = ["config", "set_progress"]

_INTERVAL_S = 0.1  # the most often weft calls back during long work


def _tqdm_class() -> Optional[type]:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class _Config:
    """weft's settings: `progress` ("auto", True, False or a function f(what, done, total)
    whose true result cancels the work) and `progress_delay` (seconds of work before a bar
    appears, default 1.0)."""

    def __init__(self) -> None:
        self._progress: Union[str, bool, Callable[[str, int, int], Any]] = "auto"
        self._delay = 1.0

    @property
    def progress(self) -> Union[str, bool, Callable[[str, int, int], Any]]:
        return self._progress

    @progress.setter
    def progress(self, value: Union[str, bool, Callable[[str, int, int], Any]]) -> None:
        if value is True and _tqdm_class() is None:
            raise ImportError("weft.config.progress = True needs tqdm: pip install tqdm (or set "
                              "it to \"auto\", which shows no bar without tqdm)")
        if not (value == "auto" or isinstance(value, bool) or callable(value)):
            raise ValueError(f"weft.config.progress: expected \"auto\", True, False or a function "
                             f"f(what, done, total), got {value!r}")
        self._progress = value

    @property
    def progress_delay(self) -> float:
        return self._delay

    @progress_delay.setter
    def progress_delay(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"weft.config.progress_delay: expected seconds >= 0, got {seconds!r}")
        self._delay = float(seconds)

    def __repr__(self) -> str:
        return f"weft.config(progress={self._progress!r}, progress_delay={self._delay!r})"


config = _Config()


def set_progress(value: Union[str, bool, Callable[[str, int, int], Any]]) -> None:
    """Sets weft.config.progress: "auto", True, False, or a function f(what, done, total)
    whose true result cancels the work (weft.CancelledError)."""
    config.progress = value


class _Work:
    """One call's progress on one thread: when it began, and its bar once shown."""

    __slots__ = ("start", "bar")

    def __init__(self, start: float) -> None:
        self.start = start
        self.bar: Any = None


_local = threading.local()


def _on_progress(user: Any, what: bytes, done: int, total: int) -> int:
    """weft's callback: never raises into C (ctypes would print and return 0)."""
    try:
        stop = 1 if getattr(_local, "interrupted", False) else 0
        return _show(what, done, total) or stop
    except KeyboardInterrupt:
        _local.interrupted = True
        return 1
    except Exception:  # a broken bar must not break the work
        return 0


def _show(what: bytes, done: int, total: int) -> int:
    """The bar (or the user's function) for one callback; 1 to cancel."""
    mode = config.progress
    name = what.decode("utf-8", "replace")
    if callable(mode) and not isinstance(mode, bool):
        return 1 if mode(name, int(done), int(total)) else 0
    now = time.monotonic()
    work = getattr(_local, "work", None)
    if work is None:  # the first call comes one interval after the work began
        work = _local.work = _Work(now - getattr(_local, "interval", _INTERVAL_S))
    if done >= total:  # the end of this call's work
        _local.work = None
        if work.bar is not None:
            work.bar.update(int(total) - work.bar.n)
            work.bar.close()
        return 0
    if (work.bar is None and mode is not False and now - work.start >= config.progress_delay
            and (mode is True or _watched())):
        tqdm = _tqdm_class()
        if tqdm is not None:
            work.bar = tqdm(total=int(total), desc=f"weft {name}", leave=False, unit="",
                            unit_scale=True,
                            dynamic_ncols=True)
    if work.bar is not None:
        if work.bar.total != total:
            work.bar.total = int(total)
        work.bar.update(int(done) - work.bar.n)
    return 0


def _watched() -> bool:
    """Whether a bar would be seen: stderr is a terminal, or a Jupyter kernel shows it."""
    import sys
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # a replaced or closed stderr
        pass
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and hasattr(shell, "kernel")


_CALLBACK = _lib.weft_progress_fn(_on_progress)  # kept alive for the process's life


def _on_sigint(signum: int, frame: Any) -> None:
    """SIGINT: recorded for the callback when its frame is the one Python interrupts (the
    callback then cancels the work); otherwise Python's default, KeyboardInterrupt."""
    if frame is not None and frame.f_code is _on_progress.__code__:
        _local.interrupted = True
        return
    signal.default_int_handler(signum, frame)


def _take_sigint() -> None:
    """On the main thread: _on_sigint in front of Python's default SIGINT handler, when that
    default is in place (checked at each call: a library or a test may have put its own
    handler there for a while; one that stays is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _on_sigint)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        pass


def _ensure() -> None:
    """Sets the callback for this thread's calls into weft (again when progress_delay went
    under the interval: a delay of 0 shows a bar from the first step, as tests want)."""
    _take_sigint()
    interval = min(_INTERVAL_S, config.progress_delay)
    if getattr(_local, "interval", None) == interval:
        return
    status = _lib.weft_set_progress(_CALLBACK, None, ctypes.c_double(interval))
    if status == _lib.WEFT_OK:
        _local.interval = interval


def _take_interrupt() -> bool:
    """Whether Ctrl-C stopped this thread's last call (and forgets it)."""
    if getattr(_local, "interrupted", False):
        _local.interrupted = False
        _local.work = None
        return True
    return False
