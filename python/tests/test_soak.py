"""Soak: 16 Python threads mixing every operation on shared data (read_csv, filter, group_by,
join, sort, lazy plans' collect, a Parquet scan read through a Python callback, FlatIndex and IVFIndex add / search / remove, nearest) for a
bounded time, each answer checked against the one computed by a single thread first, then
the process's RSS must come back near its level before the run (a leak of a fraction of the
operations would not). WEFT_SOAK_SECONDS sets the time (default 60; longer runs locally).

The index writers add vectors far from every query and remove them again, so every search
has one right answer, the base rows', whatever the writers did by then. Also checks that
long weft calls release the GIL (ctypes.CDLL does; the only PyDLL use, ctypes.pythonapi in
_arrow.py, makes short C-API calls), so the threads really run weft at once."""
import ctypes
import gc
import os
import threading
import time

import numpy as np
import pytest

import weft
from weft import col

SECONDS = float(os.environ.get("WEFT_SOAK_SECONDS", "60"))
THREADS = 16
DIM = 16
BASE = 2000
FAR = 1_000_000  # ids of the writers' far vectors


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle():
    """Frees what Python, weft's scratch cache and glibc's arenas keep for reuse, so RSS
    measures what is still held."""
    gc.collect()
    weft.release_memory()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return rss_bytes()


def make_data(tmp_path):
    rng = np.random.default_rng(17)
    n = 30_000
    v = rng.normal(size=n)
    v[rng.random(n) < 0.05] = np.nan
    left = weft.DataFrame({
        "k": rng.integers(0, 50, n),
        "g": [f"g{x}" if x % 7 else None for x in rng.integers(0, 40, n)],
        "v": v,
        "i": rng.integers(0, 1000, n),
    })
    right = weft.DataFrame({"k": np.arange(0, 60, 2), "w": [f"w{x}" for x in range(30)]})
    path = str(tmp_path / "left.csv")
    left.write_csv(path)
    parquet = str(tmp_path / "left.parquet")
    left.write_parquet(parquet, row_group_size=4000)
    emb = rng.normal(size=(3000, 8)).astype(np.float32)
    vec = weft.DataFrame({"id": np.arange(3000), "emb": emb})
    base = rng.uniform(-1, 1, size=(BASE, DIM)).astype(np.float32)
    queries = rng.uniform(-1, 1, size=(6, DIM)).astype(np.float32)
    return dict(left=left, right=right, path=path, parquet=parquet, vec=vec, emb_q=emb[:3] + 0.01,
                base=base, queries=queries)


def operations(d, flat, ivf):
    left, right = d["left"], d["right"]
    ops = {
        "read_csv": lambda: weft.read_csv(d["path"]),
        "filter": lambda: left.filter((col("i") > 300) & col("g").is_not_null()),
        "group_by": lambda: left.group_by("k", "g").agg(col("v").sum().alias("s"),
                                                       col("i").max().alias("m"),
                                                       col("i").count().alias("c")),
        "join": lambda: left.join(right, on="k", how="left"),
        "sort": lambda: left.sort("g", "i", descending=[False, True]),
        "lazy collect": lambda: (left.lazy().filter(col("v") < 1.0).group_by("k")
                                 .agg(col("v").sum().alias("s"), col("i").mean().alias("m"))
                                 .sort("k").collect()),
        "lazy join": lambda: (left.lazy().join(right.lazy(), on="k").filter(col("i") < 500)
                              .select("k", "w", "i").collect()),
        # a scan whose rows come from a Python callback (ctypes takes the GIL in it)
        "scan_parquet collect": lambda: (weft.scan_parquet(d["parquet"]).filter(col("i") > 900)
                                         .select("k", "g", "i").collect()),
        "flat search": lambda: flat.search(d["queries"], 5),
        "ivf search": lambda: ivf.search(d["queries"], 5, nprobe=4),
        "nearest": lambda: d["vec"].nearest("emb", d["emb_q"], k=4),
    }
    return ops


def same(a, b):
    if isinstance(a, tuple):
        return all(np.array_equal(x, y) for x, y in zip(a, b))
    return a.equals(b)


def writer(index, t, r, rng):
    """Adds a batch of far vectors with ids of this thread and round, then removes them."""
    n = int(rng.integers(1, 30))
    ids = FAR + t * 10_000_000 + r * 64 + np.arange(n)
    index.add((rng.uniform(-1, 1, size=(n, DIM)) + 40 + t).astype(np.float32), ids)
    removed = index.remove(ids)
    assert removed == n, (removed, n)


def test_soak_sixteen_threads_every_operation_rss(tmp_path):
    d = make_data(tmp_path)
    flat = weft.FlatIndex(DIM)
    flat.add(d["base"])
    ivf = weft.IVFIndex(DIM, 8)
    ivf.train(d["base"], seed=1)
    ivf.add(d["base"])
    ops = operations(d, flat, ivf)
    want = {name: op() for name, op in ops.items()}
    assert (want["flat search"][1] < BASE).all()
    names = list(ops) + ["flat add/remove", "ivf add/remove"]

    counts = {name: 0 for name in names}
    errors = []
    lock = threading.Lock()

    def run(t, deadline, rounds=None):
        rng = np.random.default_rng(t)
        r = 0
        while (time.monotonic() < deadline) if rounds is None else r < rounds:
            name = names[(t + r) % len(names)]
            try:
                if name == "flat add/remove":
                    writer(flat, t, r, rng)
                elif name == "ivf add/remove":
                    writer(ivf, t, r, rng)
                else:
                    got = ops[name]()
                    if not same(got, want[name]):
                        raise AssertionError(f"{name}: the answer differs from one thread's")
            except Exception as e:  # noqa: BLE001 - every failure is reported below
                with lock:
                    errors.append(f"thread {t} round {r} {name}: {e!r}")
                return
            with lock:
                counts[name] += 1
            r += 1

    def run_all(**kw):
        threads = [threading.Thread(target=run, args=(t,), kwargs=kw) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    run_all(deadline=0, rounds=len(names))  # warm-up: every thread, every operation once
    assert not errors, errors[:5]
    baseline = settle()
    start = time.monotonic()
    run_all(deadline=start + SECONDS)
    elapsed = time.monotonic() - start
    assert not errors, errors[:5]
    total = sum(counts.values())
    print(f"\nsoak: {THREADS} threads, {elapsed:.0f} s, {total} operations: {counts}")
    assert all(c > 0 for c in counts.values()), counts
    assert len(flat) == BASE and len(ivf) == BASE
    for name in ("flat search", "ivf search"):
        assert same(ops[name](), want[name])
    after = settle()
    grown = after - baseline
    # glibc's arenas and Python's allocator keep some pages; a leak of even a small share of
    # the operations (each moves MBs) would pass this by far
    assert grown < max(64 << 20, baseline // 4), (
        f"RSS grew by {grown >> 20} MiB over {total} operations "
        f"(baseline {baseline >> 20} MiB, after {after >> 20} MiB)")


def test_long_calls_release_the_gil():
    """A Python thread keeps running while another thread is inside a long weft call."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(200_000, 64)).astype(np.float32)
    index = weft.FlatIndex(64)
    index.add(base)
    q = rng.normal(size=(64, 64)).astype(np.float32)
    index.search(q, 10)  # warm
    ticks = [0]
    done = threading.Event()

    def spin():
        while not done.is_set():
            ticks[0] += 1

    t0 = time.perf_counter()
    for _ in range(3):
        index.search(q, 10)
    alone = (time.perf_counter() - t0) / 3
    th = threading.Thread(target=spin)
    th.start()
    time.sleep(0.05)  # the spinner runs; switch interval 5 ms
    before = ticks[0]
    t0 = time.perf_counter()
    index.search(q, 10)
    inside = time.perf_counter() - t0
    during = ticks[0] - before
    done.set()
    th.join()
    # with the GIL held through the search, the spinner would not tick at all during it
    assert during > 1000, (during, inside, alone)
