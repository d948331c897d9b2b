"""Crash consistency of weft's writers: a child process rewrites one file in a loop
(FlatIndex.save, DataFrame.write_csv, DataFrame.write_parquet), alternating two versions,
and is killed with SIGKILL at random points; the file left behind must be, byte for byte and
once loaded, the old version or the new one, never a mix or a truncated file.

The children fork from a multiprocessing forkserver that imported weft once, so a kill costs
milliseconds rather than an interpreter start; each writer gets a few seconds' budget."""

import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import weft

pq = pytest.importorskip("pyarrow.parquet")

KILLS = 100           # per writer, at most
SECONDS = 18.0        # per writer, after which it stops once it has MIN_KILLS
MAX_SECONDS = 120.0   # per writer, at most: a loaded machine starts writers slowly
MIN_KILLS = 15        # fewer means the machine was too slow for the test to mean anything

# What both the test and the child run: the two versions of each writer's content, and the
# write itself. Source text, so the child (exec() in a forked process) needs no import of
# this test module.
WRITERS = """
import numpy as np
import weft


def make(kind, version):
    # Version 0 or 1: different sizes and values, so a mix cannot pass for either.
    rng = np.random.default_rng(100 + version)
    if kind == "index":
        n = 6000 + 1500 * version
        index = weft.FlatIndex(24, "l2")
        index.add(rng.standard_normal((n, 24)).astype(np.float32))
        return index
    n = 6000 + 2000 * version
    return weft.DataFrame({
        "id": np.arange(n, dtype=np.int64) * (version + 1),
        "x": rng.standard_normal(n),
        "s": [f"row {i} of version {version}" for i in range(n)],
    })


def write(kind, content, path):
    if kind == "index":
        content.save(path)
    elif kind == "csv":
        content.write_csv(path)
    else:
        content.write_parquet(path)
"""
exec(WRITERS)

# The child: writes version B, then A, then B ... over `path` until it is killed; `ready` is
# set just before its first write.
CHILD = WRITERS + """
kind, path = args["kind"], args["path"]
versions = [make(kind, v) for v in (0, 1)]
ready.set()
i = 1
while True:
    write(kind, versions[i % 2], path)
    i += 1
"""


def load_equals(kind, path, content):
    """Whether the file at `path` loads and equals `content`."""
    if kind == "index":
        loaded = weft.load_index(path)
        q = np.random.default_rng(7).standard_normal((5, 24)).astype(np.float32)
        d1, i1 = loaded.search(q, 5, device="cpu")
        d2, i2 = content.search(q, 5, device="cpu")
        return len(loaded) == len(content) and np.array_equal(i1, i2) and np.array_equal(d1, d2)
    loaded = weft.read_csv(path) if kind == "csv" else weft.read_parquet(path)
    return loaded.to_arrow().equals(content.to_arrow())


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "weft", "pyarrow.parquet"])
    return ctx


@pytest.mark.parametrize("kind", ["index", "csv", "parquet"])
def test_a_killed_writer_leaves_the_old_file_or_the_new_one(kind, tmp_path):
    ctx = _context()
    path = str(tmp_path / f"target.{kind}")
    versions = [make(kind, 0), make(kind, 1)]
    refs = []
    t0 = time.perf_counter()
    for v in (0, 1):
        ref = str(tmp_path / f"ref{v}.{kind}")
        write(kind, versions[v], ref)
        with open(ref, "rb") as f:
            refs.append(f.read())
    write_seconds = (time.perf_counter() - t0) / 2
    assert refs[0] != refs[1]
    write(kind, versions[0], path)

    rnd = random.Random(f"crash {kind}")
    kills = mid_write = 0
    start = time.monotonic()
    child_globals = {"args": {"kind": kind, "path": path}}
    while kills < KILLS and (time.monotonic() - start < SECONDS or
                             (kills < MIN_KILLS and time.monotonic() - start < MAX_SECONDS)):
        ready = ctx.Event()
        child_globals["ready"] = ready
        proc = ctx.Process(target=exec, args=(CHILD, child_globals))
        proc.start()
        assert ready.wait(30), f"{kind}: the writer never started"
        # Anywhere in the next few writes, the rename included.
        time.sleep(rnd.uniform(0, 3 * write_seconds))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL, f"{kind}: the writer ended by itself ({proc.exitcode})"
        kills += 1
        with open(path, "rb") as f:
            now = f.read()
        assert now in refs, (
            f"{kind}, kill {kills}: the file is neither version ({len(now)} bytes; versions "
            f"have {len(refs[0])} and {len(refs[1])})")
        assert load_equals(kind, path, versions[refs.index(now)]), f"{kind}, kill {kills}"
        # A kill between creating the temporary file and renaming it leaves that file
        # beside the target (nothing can remove it): proof the kill landed mid-write.
        leftovers = [p for p in os.listdir(tmp_path)
                     if p not in (os.path.basename(path), f"ref0.{kind}", f"ref1.{kind}")]
        mid_write += bool(leftovers)
        for p in leftovers:
            assert p.startswith(os.path.basename(path) + "."), p
            os.unlink(tmp_path / p)
    print(f"{kind}: {kills} kills, {mid_write} of them during a write, "
          f"{time.monotonic() - start:.1f} s")
    assert kills >= MIN_KILLS, f"{kind}: only {kills} kills in {MAX_SECONDS} s"
    assert mid_write > 0, f"{kind}: no kill landed inside a write"
