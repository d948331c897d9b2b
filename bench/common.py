"""What the benchmarks share: a forked-child runner (so each engine's peak RSS is its own and
a crash costs one cell of a table, not the run), a fresh-process runner with its own
environment (for libraries that read it as they load), the CPU's name, and progress lines."""

import multiprocessing
import os
import platform
import sys
import traceback


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def status_kib(field):
    """A field of /proc/self/status in KiB (VmRSS, VmHWM: the peak since the last reset)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss():
    """Resets the peak resident set (VmHWM) to the current one; False if the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _child_main(conn, fn, args):
    try:
        conn.send(("ok", fn(*args)))
    except BaseException:  # noqa: BLE001 (reported in the parent)
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _answer(parent, proc):
    """The child's ("ok", value) or ("error", why), once it has exited."""
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", None
    proc.join()
    code = proc.exitcode
    if status == "error" and value is None:
        value = (f"child killed by signal {-code}" if code is not None and code < 0
                 else f"child died without an answer (exit {code})")  # fmt: skip
    elif status == "ok" and code not in (0, None):
        status, value = "error", f"child exited with {code}"
    return status, value


def in_child(fn, *args):
    """("ok", fn(*args)) or ("error", why), fn run in a forked child (the inputs are shared
    copy-on-write)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, args))
    proc.start()
    child.close()
    return _answer(parent, proc)


def in_fresh_process(fn, *args, unset=(), setenv=None):
    """in_child, but fn runs in a new interpreter (spawned, not forked) whose environment lacks
    the variables `unset` and has those of `setenv`: for settings a library reads once as it
    loads (OPENBLAS_CORETYPE), which a forked child of a process that loaded it cannot change.
    fn and args are pickled (fn must be a module-level function; pass data by recipe, not as
    large arrays); the parent's environment is back as it was when this returns."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, args))
    saved = {k: os.environ.get(k) for k in set(unset) | set(setenv or {})}
    try:
        for k in unset:
            os.environ.pop(k, None)
        for k, v in (setenv or {}).items():
            os.environ[k] = v
        proc.start()  # the child's environment is a copy of this one, taken now
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    child.close()
    return _answer(parent, proc)


def sayer(markdown):
    """print, or in --markdown mode a list item (a blank line stays blank)."""
    if not markdown:
        return lambda s="": print(s)
    return lambda s="": print(f"- {s}" if s else "")


def status():
    """This process's resident set now and at its peak, MiB: {"VmRSS": .., "VmHWM": ..}."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out
