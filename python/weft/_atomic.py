"""Atomic file writes from Python, as the C library's own (core/file_sync.c): the new
content goes to a uniquely named temporary file beside the target, is synced, then renamed
over it, so a failed write or a crash leaves the old file or the new one, never half a file.
write_parquet, the encoders' save and datasets' manifests use it."""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator, Union


def sync_directory(folder: str) -> None:
    """Makes a rename in `folder` durable; best effort (the file is in place already)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_file_mode(path: str) -> int:
    """The permissions the file gets: a replaced file keeps its own, a new one gets what
    open(O_CREAT, 0o666) would give under the umask (mkstemp's 0o600 would hide it from
    everyone else). The umask is read from /proc: os.umask can only read it by changing it,
    for every thread at once."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        pass
    mask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    mask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError, IndexError):
        pass
    return 0o666 & ~mask


def fsync_file(path: str) -> None:
    """Syncs the file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Union[str, os.PathLike]) -> Iterator[str]:
    """Yields a temporary path beside `path` to write the whole new file into; on leaving
    the block without an exception the file is synced and renamed over `path` (its folder
    synced too); on an exception it is removed and `path` is left as it was. OSError from
    creating the temporary file propagates: callers wrap it with their own call's name."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, _new_file_mode(path))
        yield tmp
        # On disk before the rename: else a power loss could leave the new name on an
        # empty file (a process crash alone cannot, the rename is atomic either way).
        fsync_file(tmp)
        os.replace(tmp, path)
        sync_directory(folder)
    except BaseException:
        if os.path.exists(tmp):  # the writer may have removed it already
            os.unlink(tmp)
        raise
