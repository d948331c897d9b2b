#!/usr/bin/env python3
"""Exact k-NN benchmark: weft.FlatIndex against faiss-cpu (IndexFlatL2) and numpy (and torch).

Run from the repository root, after a Release build of libweft (cmake --build build):

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/knn.py

Each peer (faiss, numpy) runs twice, each time in a fresh interpreter with its own
environment: "as installed" (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset: the kernels its
OpenBLAS picks itself), and "best kernel" (OPENBLAS_CORETYPE set to each of --best-coretype
in turn, OPENBLAS_L2_SIZE unset; the fastest per k is kept). An OpenBLAS older than the CPU
takes it for an old core and runs SSE kernels (faiss's wheel: OpenBLAS 0.3.15), so only the
second row is the peer at its best, and the weft/best ratio is the one to quote. The kernel
each run reports (threadpoolctl) is printed in its row. weft links no BLAS. Smoke run:
`python3 bench/knn.py --quick`. Table for bench/RESULTS.md: add `--markdown`. See
bench/README.md for what each column means. `--data real,real-ip --nb N`: the real 384-d
set of bench/embeddings.py (squared L2, inner product), its held-out rows the queries.

`--engines ...,torch` adds brute force on a torch device (`--torch-device`, default cuda:
matmul + topk, TF32 off), checked against weft like the peers, and the device's sgemm rate
alone (one query block's product) below the table; where torch does not import or the
device is absent, it is skipped with a one-line message.

One process run. Each weft engine (on cpu:0, with device "auto" and on each other device)
runs in a forked child per dataset, each peer run in a spawned one (its environment set
before its BLAS loads), torch in a forked child (no OpenBLAS setting to make; it opens the
device there), so each peak RSS and its increase over the inputs are the engine's own; the
parent only makes the data and compares the answers (it never loads weft, faiss, torch or
OpenMP itself, so forking stays safe).
"""

import argparse
import datetime
import os
import platform
import re
import resource
import subprocess
import tempfile
import sys
import time

import numpy as np

from common import cpu_model, in_child, in_fresh_process, log, reset_peak_rss, sayer, status_kib

OPENBLAS_ENV = {v: os.environ.get(v) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}  # fmt: skip

DIM = 128
CLUSTERS = 1000
CLUSTER_SIGMA = 0.1
NUMPY_BLOCK_BYTES = 128 << 20  # distance block of the numpy engine
WARMUP_QUERIES = 256  # for the estimate of a run (--time-limit)
REPEAT_BUDGET_S = 5.0  # default: no more repeats once a run took longer
RTOL = 1e-5
# --data kinds from bench/embeddings.py's real set (384-d MiniLM embeddings of WordNet
# glosses, L2-normalised): the queries are its held-out rows; each kind names its metric
REAL_DATA = {"real": "l2", "real-ip": "ip"}
PEERS = ("faiss", "numpy")
# what a peer's "as installed" and "best kernel" runs unset: the kernels and cache sizes
# OpenBLAS would detect itself (the best-kernel runs then set OPENBLAS_CORETYPE alone)
OPENBLAS_FORCED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ---------------------------------------------------------------------------- data


def make_data(kind, n, dim, seed, role="base"):
    """n x dim float32: "uniform" in [0, 1), or "clustered": CLUSTERS gaussian blobs
    (sigma CLUSTER_SIGMA) around centers uniform in [0, 1). Made in chunks (bounded memory).
    The centers are always the same, so the queries come from the database's blobs.
    A REAL_DATA kind: the real set's first n base rows, or (role "queries") its held-out rows."""
    if kind in REAL_DATA:
        from embeddings import query_split

        if dim != 384:
            raise SystemExit(f"--data {kind}: the real set is 384-d, not --dim {dim}")
        return query_split(nb=n)[0] if role == "base" else query_split(nb=1, nq=n)[1]
    out = np.empty((n, dim), dtype=np.float32)
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(12345).random((CLUSTERS, dim), dtype=np.float32)
    step = 1 << 16
    for r0 in range(0, n, step):
        m = min(step, n - r0)
        if kind == "uniform":
            out[r0 : r0 + m] = rng.random((m, dim), dtype=np.float32)
        elif kind == "clustered":
            labels = rng.integers(0, CLUSTERS, size=m)
            block = rng.standard_normal((m, dim), dtype=np.float32)
            block *= CLUSTER_SIGMA
            block += centers[labels]
            out[r0 : r0 + m] = block
        else:
            raise SystemExit(f"unknown --data {kind!r} (uniform, clustered, real, real-ip)")
    return out


def sq_norms(x):
    """|row|^2 in float64, without BLAS (the parent stays BLAS-free before forking)."""
    out = np.empty(x.shape[0])
    for r0 in range(0, x.shape[0], 1 << 16):
        b = x[r0 : r0 + (1 << 16)].astype(np.float64)
        out[r0 : r0 + len(b)] = np.einsum("ij,ij->i", b, b)
    return out


# ---------------------------------------------------------------------------- engines (in a child)


def _rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _blas_info():
    try:
        import threadpoolctl
    except ImportError:
        return None
    keep = ("internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")
    return [{k: i.get(k) for k in keep} for i in threadpoolctl.threadpool_info()]


class WeftEngine:
    def __init__(self, device, borrow=False, precision="auto", metric="l2"):
        import weft

        self.weft, self.device, self.borrow, self.precision = weft, device, borrow, precision
        self.metric = metric

    def build(self, xb):
        self.index = self.weft.FlatIndex(dim=xb.shape[1], metric=self.metric)
        self.index.add(xb, copy=not self.borrow)

    def search(self, xq, k):
        strict = self.device != "auto"
        return self.index.search(xq, k, device=self.device, strict=strict,
                                 precision=self.precision)

    def note(self):
        ran = re.search(r"precision (\w+)", self.weft.last_report())
        cands = re.search(r"([\d.]+) a query", self.weft.last_report())
        return (f"ran on {self.weft.last_device()}" + (", add(copy=False)" if self.borrow else "")
                + (f", precision {ran.group(1)}" if ran else "")
                + (f", {cands.group(1)} candidates a query re-ranked in fp32" if cands else ""))


class FaissEngine:
    def __init__(self, metric="l2"):
        import faiss

        self.faiss, self.metric = faiss, metric

    def build(self, xb):
        flat = self.faiss.IndexFlatIP if self.metric == "ip" else self.faiss.IndexFlatL2
        self.index = flat(xb.shape[1])
        self.index.add(xb)

    def search(self, xq, k):
        return self.index.search(xq, k)

    def note(self):
        return f"{self.faiss.omp_get_max_threads()} OpenMP threads"


class NumpyEngine:
    """GEMM + argpartition over query blocks: a (block, nb) float32 distance block at a
    time (BLAS sgemm on all cores), then np.argpartition row by row on a thread per core
    (1-D argpartition is an order of magnitude faster than axis=1 on a 2-D block in numpy
    2, and releases the GIL), and the k kept sorted by (distance, id). Metric "ip": the
    same on -q.x (|x|^2 and |q|^2 taken as 0), the similarities negated back."""

    def __init__(self, metric="l2"):
        self.ip = metric == "ip"

    def build(self, xb):
        from concurrent.futures import ThreadPoolExecutor

        self.xb = xb  # no copy
        self.norms = np.zeros(len(xb), np.float32) if self.ip else np.einsum("ij,ij->i", xb, xb)
        self.block = int(max(1, min(4096, NUMPY_BLOCK_BYTES // (4 * max(1, xb.shape[0])))))
        self.buf = np.empty((self.block, xb.shape[0]), dtype=np.float32)
        self.threads = os.cpu_count() or 1
        self.pool = ThreadPoolExecutor(self.threads)

    def _select(self, s, qn, k, D, I, r0, r1):
        nb = s.shape[1]
        for r in range(r0, r1):
            row = s[r]
            part = np.argpartition(row, k - 1)[:k] if k < nb else np.arange(nb)
            ps = row[part]
            order = np.lexsort((part, ps))
            I[r, :k] = part[order]
            D[r, :k] = ps[order] + qn[r]

    def search(self, xq, k):
        nq, nb = xq.shape[0], self.xb.shape[0]
        D = np.full((nq, k), np.inf, dtype=np.float32)
        I = np.full((nq, k), -1, dtype=np.int64)
        kk = min(k, nb)
        qn = np.zeros(nq, np.float32) if self.ip else np.einsum("ij,ij->i", xq, xq)
        for q0 in range(0, nq, self.block):
            q = xq[q0 : q0 + self.block]
            m = len(q)
            s = self.buf[:m]
            np.matmul(q * np.float32(-1 if self.ip else -2), self.xb.T, out=s)
            s += self.norms  # |x|^2 - 2 q.x
            step = -(-m // self.threads)
            jobs = [self.pool.submit(self._select, s, qn[q0 : q0 + m], kk, D[q0 : q0 + m],
                                     I[q0 : q0 + m], r, min(m, r + step))
                    for r in range(0, m, step)]  # fmt: skip
            for j in jobs:
                j.result()
        return (-D if self.ip else D), I

    def note(self):
        return f"query blocks of {self.block}, argpartition on {self.threads} threads"


class TorchEngine:
    """Brute force on a torch device (default cuda, --torch-device): the base and its norms
    on the device, then per block of queries |x|^2 - 2 q.x by torch.addmm (cuBLAS sgemm on
    CUDA, TF32 off) and torch.topk, the k sorted by distance, |q|^2 added to the k kept.
    sgemm() gives the rate of one (block x dim) x (dim x nb) product alone, timed on
    the device, for the roofline."""

    def __init__(self, device="cuda", metric="l2"):
        import torch

        self.torch, self.device, self.ip = torch, device, metric == "ip"
        torch.backends.cuda.matmul.allow_tf32 = False  # exact float32 products, as weft's
        self.rate = None

    def _sync(self):
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def build(self, xb):
        torch = self.torch
        self.xb = torch.from_numpy(xb).to(self.device)
        self.norms = (self.xb * self.xb).sum(dim=1) * (0 if self.ip else 1)
        nb = xb.shape[0]
        # a distance block of at most 2 GiB
        self.block = int(max(1, min(8192, (2 << 30) // (4 * max(1, nb)))))
        q = torch.randn(self.block, xb.shape[1], device=self.device)
        out = torch.empty(self.block, nb, device=self.device)
        torch.matmul(q, self.xb.T, out=out)  # warm: cuBLAS handle, kernel choice
        self._sync()
        reps, t = 5, time.perf_counter()
        for _ in range(reps):
            torch.matmul(q, self.xb.T, out=out)
        self._sync()
        dt = (time.perf_counter() - t) / reps
        self.rate = 2.0 * self.block * nb * xb.shape[1] / dt / 1e9
        del q, out

    def search(self, xq, k):
        torch = self.torch
        nq, nb = xq.shape[0], self.xb.shape[0]
        kk = min(k, nb)
        D = np.full((nq, k), np.inf, dtype=np.float32)
        I = np.full((nq, k), -1, dtype=np.int64)
        q_all = torch.from_numpy(xq).to(self.device)
        qn = (q_all * q_all).sum(dim=1, keepdim=True) * (0 if self.ip else 1)
        for q0 in range(0, nq, self.block):
            q = q_all[q0 : q0 + self.block]
            s = torch.addmm(self.norms.unsqueeze(0), q, self.xb.T, beta=1.0,
                            alpha=-1.0 if self.ip else -2.0)  # fmt: skip
            d, i = torch.topk(s, kk, dim=1, largest=False, sorted=True)
            d = -d if self.ip else d + qn[q0 : q0 + len(q)]
            D[q0 : q0 + len(q), :kk] = d.cpu().numpy()
            I[q0 : q0 + len(q), :kk] = i.cpu().numpy()
        self._sync()
        return D, I

    def device_name(self):
        if self.device.startswith("cuda"):
            return f"{self.device} ({self.torch.cuda.get_device_name(self.device)})"
        return self.device

    def sgemm(self):
        """For the roofline: ("sgemm B x D x N alone", GFLOP/s)."""
        return (f"sgemm {self.block} x {self.xb.shape[1]} x {self.xb.shape[0]} alone", self.rate)

    def kernel(self):
        return f"torch {self.torch.__version__} {self.device_name()}, TF32 off"

    def note(self):
        what, rate = self.sgemm()
        return (f"torch {self.torch.__version__} on {self.device_name()}, query blocks of "
                f"{self.block}; {what}: {rate:,.0f} GFLOP/s")


def make_engine(name, borrow=False, torch_device="cuda", metric="l2"):
    if name.startswith("weft:"):
        device, _, precision = name.split(":", 1)[1].partition("/")
        return WeftEngine(device, borrow, precision or "auto", metric)
    if name == "torch":
        return TorchEngine(torch_device, metric)
    if name == "faiss":
        return FaissEngine(metric)
    if name == "numpy":
        return NumpyEngine(metric)
    raise ValueError(name)


def run_engine_made(name, xb_recipe, xq_recipe, *rest):
    """run_engine in a spawned child: the data made there from its recipes (make_data's
    arguments), not pickled across."""
    return run_engine(name, make_data(*xb_recipe), make_data(*xq_recipe), *rest,
                      metric=REAL_DATA.get(xb_recipe[0], "l2"))


def run_engine(name, xb, xq, ks, repeat, time_limit, repeat_budget=float("inf"), borrow=False,
               torch_device="cuda", metric="l2"):
    """In the child: build, warm up, then best-of-`repeat` per k. Returns a dict.
    borrow: weft adds with copy=False. torch_device: the torch engine's device. metric: "l2"
    or "ip" (inner product, larger is closer: IndexFlatIP)."""
    rss0 = _rss_mib()
    out = {"engine": name, "rss0": rss0, "times": {}, "results": {}, "skipped": None,
           "peak_by_k": {}}
    eng = make_engine(name, borrow, torch_device, metric)
    t = time.perf_counter()
    eng.build(xb)
    out["build_s"] = time.perf_counter() - t
    eng.search(xq[:16], max(ks))  # first call: kernels compiled, pools started
    warm = xq[:WARMUP_QUERIES]
    t = time.perf_counter()
    eng.search(warm, max(ks))
    estimate = (time.perf_counter() - t) * xq.shape[0] / max(1, warm.shape[0])
    out["estimate_s"] = estimate
    if estimate > time_limit:
        out["skipped"] = f"estimated {estimate:.0f} s > --time-limit {time_limit:.0f} s"
    else:
        D = I = None
        for k in ks:
            best = float("inf")
            # the peak of this k's searches alone (VmHWM reset; the earlier k's answers, kept
            # for the checks, count in it)
            reset = reset_peak_rss()
            for _ in range(repeat):
                D = I = None  # the last run's results are not held through this one's peak
                t = time.perf_counter()
                D, I = eng.search(xq, k)
                best = min(best, time.perf_counter() - t)
                if best > repeat_budget:  # a slow engine: one run tells enough
                    break
            out["times"][k] = best
            if reset:
                out["peak_by_k"][k] = status_kib("VmHWM") / 1024
            out["results"][k] = (np.asarray(D, dtype=np.float32), np.asarray(I, dtype=np.int64))
    out["note"] = eng.note()
    if name.startswith("weft:"):
        out["report"] = eng.weft.last_report()
    if name == "torch":
        out["kernel"], out["sgemm"] = eng.kernel(), eng.sgemm()
    out["blas"] = _blas_info()
    out["env"] = {v: os.environ.get(v) for v in OPENBLAS_FORCED}
    out["peak_rss"] = _maxrss_mib()
    return out


def describe_weft():
    import weft

    return {
        "version": weft.__version__,
        "library": weft._lib.path,
        "devices": [(d.id, d.name, d.memory_bytes) for d in weft.devices()],
        "skipped_backends": [(b.name, b.reason) for b in weft.backends() if not b.loaded],
    }


def describe_torch(device):
    """torch's version, once a tensor was made on `device` (raises where it cannot be)."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"torch {torch.__version__}: no CUDA device")
    torch.empty(1, device=device)
    return torch.__version__


def describe_faiss():
    import faiss

    return {"version": faiss.__version__, "blas": _blas_info()}


# ---------------------------------------------------------------------------- correctness


def agree(a, b, scale):
    """(rows that disagree, total rows): per query, ids equal rank by rank, or where they
    differ the distances equal within RTOL relative to the scale of the terms
    (|q|^2 + max |x|^2: float32 evaluates |q|^2 + |x|^2 - 2 q.x)."""
    (Da, Ia), (Db, Ib) = a, b
    differ = Ia != Ib
    tol = RTOL * scale[:, None]
    close = np.abs(Da.astype(np.float64) - Db.astype(np.float64)) <= np.maximum(
        tol, RTOL * np.maximum(np.abs(Da), np.abs(Db))
    )
    bad = differ & ~close
    return int(bad.any(axis=1).sum()), Ia.shape[0]


# ---------------------------------------------------------------------------- output


def fmt_qps(t, nq):
    if t is None:
        return "-"
    q = nq / t
    return f"{q:,.0f}" if q >= 100 else f"{q:.1f}"


def fmt_rss(r, k=None):
    """Peak RSS (+ growth over the RSS at the child's start): of k's searches when measured
    apart, else of the whole child."""
    if r is None or "peak_rss" not in r:
        return "-"
    peak = r.get("peak_by_k", {}).get(k, r["peak_rss"])
    return f"{peak:,.0f} (+{max(0.0, peak - r['rss0']):,.0f})"


def print_table(headers, rows, markdown, out=sys.stdout, left=5):
    """The first `left` columns (text) aligned left, the numbers right."""
    if markdown:
        print("| " + " | ".join(headers) + " |", file=out)
        print("|" + "|".join("---:" if i >= left else "---" for i in range(len(headers))) + "|",
              file=out)
        for row in rows:
            print("| " + " | ".join(row) + " |", file=out)
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def cells(values):
        return "  ".join(v.rjust(w) if i >= left else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths)))  # fmt: skip

    line = cells(headers)
    print(line, file=out)
    print("-" * len(line), file=out)
    for row in rows:
        print(cells(row), file=out)


# OpenBLAS kernels without AVX2: on a CPU with AVX2 they mean the library did not recognize
# the CPU (an OpenBLAS older than the CPU) and runs a slow fallback.
PRE_AVX2_KERNELS = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron",
                    "opteron_sse3", "barcelona", "bobcat", "sandybridge", "katmai",
                    "coppermine", "northwood", "banias", "generic"}  # fmt: skip


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def default_coretypes():
    """OPENBLAS_CORETYPE values worth trying on this CPU, the widest vectors first."""
    flags = cpu_flags()
    return (["SkylakeX"] if "avx512f" in flags else []) + (["Haswell"] if "avx2" in flags else [])


def engine_blas(engine, info):
    """The BLAS entry (threadpoolctl) of the library the engine computes with: faiss's own
    OpenBLAS, numpy's; None when threadpoolctl is missing or shows none."""
    blas = [i for i in info or () if i.get("internal_api") in ("openblas", "mkl", "blis")]
    mine = [i for i in blas if engine in str(i.get("filepath", "")).lower()]
    return (mine or blas or [None])[0]


def kernel_label(engine, r):
    """What a run computed with, for its row: 'OpenBLAS 0.3.15 SkylakeX, 2 threads'."""
    if engine.startswith("weft:"):
        return "weft's own"
    if engine == "torch":
        return r.get("kernel", "torch")
    i = engine_blas(engine.split("@")[0], r.get("blas"))
    if i is None:
        return "? (pip install threadpoolctl)" if r.get("blas") is None else "no BLAS found"
    name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(i["internal_api"])
    return f"{name} {i.get('version')} {i.get('architecture')}, {i.get('num_threads')} threads"


def blas_warnings(label, info):
    flags = cpu_flags()
    if not info or "avx2" not in flags:
        return []
    return [
        f"{label}: OpenBLAS {i.get('version')} as installed runs its {i.get('architecture')} "
        f"kernels (no AVX2) on this AVX2 CPU (it does not know the CPU): its best-kernel row, "
        f"not this one, is the library at its best"
        for i in info
        if i.get("internal_api") == "openblas"
        and str(i.get("architecture", "")).lower() in PRE_AVX2_KERNELS
    ]


def blas_lines(label, info):
    if info is None:
        return [f"{label}: threadpoolctl not installed, BLAS config not shown"]
    blas = [i for i in info if i.get("internal_api") in ("openblas", "mkl", "blis")]
    if not blas:
        return [f"{label}: no BLAS library loaded"]
    return [
        f"{label}: {i['internal_api']} {i.get('version')} arch={i.get('architecture')} "
        f"threads={i.get('num_threads')} ({i.get('threading_layer')}) {i.get('filepath')}"
        for i in blas
    ]


# ---------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--nb", default="200000,1000000", help="database sizes (comma-separated)")
    p.add_argument("--nq", type=int, default=10000, help="queries")
    p.add_argument("--k", default="10,100", help="k values (comma-separated)")
    p.add_argument("--data", default="uniform,clustered",
                   help="uniform, clustered (synthetic, squared L2), real (bench/embeddings.py's "
                   "384-d set, squared L2), real-ip (the same, inner product)")
    p.add_argument("--dim", type=int, default=None, help=f"{DIM}; 384 with real data")
    p.add_argument("--devices", default=None,
                   help="weft devices, comma-separated; the first gives the weft/peer ratios "
                   "(default: cpu:0, auto, then every other device)")
    p.add_argument("--precision", default="auto",
                   help="weft's search precision(s), comma-separated: auto, fp32, bf16, int8 "
                   "(one weft row per device and precision; with fp32 and bf16 or int8, their "
                   "answers must be identical, ids and distance bits, and the pass's share of "
                   "the VDPBF16PS or VPDPBUSD peak (bench/bf16_peak.c) is printed)")
    p.add_argument("--borrow", action="store_true",
                   help="weft adds with copy=False (borrows the base instead of copying it)")
    p.add_argument("--engines", default="weft,faiss,numpy",
                   help="weft, faiss, numpy, torch (brute force on --torch-device: matmul + "
                   "topk, and the sgemm rate alone)")
    p.add_argument("--torch-device", default="cuda", help="the torch engine's device (cuda)")
    p.add_argument("--repeat", type=int, default=None,
                   help="best of N runs (default: 3 for small cases, 1 when nb*nq >= 5e9, and "
                   "no more once a run took over 5 s)")
    p.add_argument("--peak-gflops", type=float, default=475.0,
                   help="the machine's float32 peak, for the %%peak column")
    p.add_argument("--time-limit", type=float, default=30.0,
                   help="skip a weft device (not auto) whose run is estimated longer (seconds)")
    p.add_argument("--best-coretype", "--faiss-coretype", dest="best_coretype", default=None,
                   metavar="TYPES",
                   help="OPENBLAS_CORETYPE values the peers' best-kernel runs try, each in a "
                   "process of its own (comma-separated; default: SkylakeX with AVX-512, "
                   "Haswell with AVX2; 'none': as-installed runs only)")
    p.add_argument("--rounds", type=int, default=1,
                   help="run every engine once per round, N rounds in turn, and keep each "
                   "engine's best time: on a shared machine the load then falls on all alike")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="small smoke run: nb 20000, nq 500, k 10")
    p.add_argument("--markdown", action="store_true", help="print the table as markdown")
    a = p.parse_args(argv)
    if a.quick:
        a.nb, a.nq, a.k = "20000", 500, "10"
    a.nb = [int(float(x)) for x in a.nb.split(",") if x]
    a.k = [int(x) for x in a.k.split(",") if x]
    a.data = [x.strip() for x in a.data.split(",") if x.strip()]
    a.dim = a.dim or (384 if any(d in REAL_DATA for d in a.data) else DIM)
    a.engines = [x.strip() for x in a.engines.split(",") if x.strip()]
    a.precision = [x.strip() for x in a.precision.split(",") if x.strip()]
    for x in a.precision:
        if x not in ("auto", "fp32", "bf16", "int8"):
            p.error(f"--precision: {x!r} is not auto, fp32, bf16 or int8")
    if a.best_coretype is None:
        a.coretypes = default_coretypes()
    else:
        a.coretypes = [x.strip() for x in a.best_coretype.split(",")
                       if x.strip() and x.strip().lower() != "none"]  # fmt: skip
    return a


def multiply_add_peak(threads):
    """(bf16 GFLOP/s, fp32 GFLOP/s, int8 GOP/s) of bench/bf16_peak.c on `threads` threads,
    or None when it does not build (no C compiler, not x86-64)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bf16_peak.c")
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "bf16_peak")
        try:
            subprocess.run([os.environ.get("CC", "cc"), "-O3", "-pthread", src, "-o", exe],
                           check=True, capture_output=True, timeout=120)
            out = subprocess.run([exe, str(threads)], check=True, capture_output=True,
                                 text=True, timeout=300).stdout.split()
        except (OSError, subprocess.SubprocessError) as e:
            log(f"bench/bf16_peak.c: not run ({e})")
            return None
    return float(out[1]), float(out[3]), float(out[5])


def engine_title(e, torch_device="cuda"):
    if e.startswith("weft:"):
        return "weft " + e.split(":", 1)[1].replace("/", " ")
    if e == "torch":
        return f"torch {torch_device}"
    name, _, core = e.partition("@")
    return f"{name} OPENBLAS_CORETYPE={core}" if core else f"{name} as installed"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    md = args.markdown
    say = sayer(md)

    # what runs where (in children: the parent never loads weft, faiss or torch)
    weft_engines = []
    weft_info = faiss_info = torch_version = None
    if "weft" in args.engines:
        status, weft_info = in_child(describe_weft)
        if status != "ok":
            log(f"weft unavailable, skipped:\n{weft_info}")
            weft_info = None
        else:
            # cpu:0 first: the ratios are the first engine's, and "auto" may open the GPU
            # backends (their drivers) when the cost model could pick a GPU
            devs = ["cpu:0", "auto"] + [d[0] for d in weft_info["devices"] if d[0] != "cpu:0"]
            if args.devices:
                devs = args.devices.split(",")
            weft_engines = [f"weft:{d.strip()}" + ("" if pr == "auto" else f"/{pr}")
                            for d in devs if d.strip() for pr in args.precision]
    peers = []
    if "faiss" in args.engines:
        status, faiss_info = in_child(describe_faiss)
        if status != "ok":
            log("faiss does not import (pip install faiss-cpu): skipped")
            faiss_info = None
        else:
            peers.append("faiss")
    if "numpy" in args.engines:
        peers.append("numpy")
    if "torch" in args.engines:
        # a child opens the device: the parent never loads torch (nor CUDA, so forks stay safe)
        status, r = in_child(describe_torch, args.torch_device)
        if status != "ok":
            why = (str(r).strip().splitlines() or ["?"])[-1]
            log(f"torch on {args.torch_device} unavailable, skipped: {why}")
        else:
            torch_version = r
    # a peer as installed, then with each OPENBLAS_CORETYPE to try
    peer_runs = {p: [p] + [f"{p}@{c}" for c in args.coretypes] for p in peers}
    engines = weft_engines + [r for p in peers for r in peer_runs[p]]
    if torch_version:
        engines.append("torch")

    if md:
        print(f"### k-NN, {args.dim}-d float32, {args.nq} queries ({datetime.date.today()})\n")
    say(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"python {platform.python_version()}, numpy {np.__version__}"
        + (f", faiss {faiss_info['version']}" if faiss_info else "")
        + (f", torch {torch_version}" if torch_version else "")
        + (f", weft {weft_info['version']} ({weft_info['library']})" if weft_info else ""))  # fmt: skip
    say("environment at start: " + ", ".join(f"{k}={v if v is not None else '(unset)'}"
                                             for k, v in OPENBLAS_ENV.items()))  # fmt: skip
    say("peers run in fresh processes: as installed with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE "
        "unset; best kernel with OPENBLAS_L2_SIZE unset and OPENBLAS_CORETYPE = each of "
        + (", ".join(args.coretypes) or "(none)") + ", the fastest per k kept")
    for line in blas_lines("numpy BLAS, environment at start", _blas_info()):
        say(line)
    if faiss_info:
        for line in blas_lines("faiss BLAS, environment at start", faiss_info["blas"]):
            say(line)
    if weft_info:
        say("weft: no BLAS; its own inner-product kernel (fma in order of dim, AVX-512/AVX2)")
        say("weft devices: " + ", ".join(f"{i} ({n})" for i, n, _ in weft_info["devices"]))
        for name, reason in weft_info["skipped_backends"]:
            say(f"weft backend {name} not loaded: {reason}")
    if torch_version:
        say(f"torch {torch_version} on {args.torch_device}: its own process (forked), "
            f"matmul (cuBLAS sgemm on CUDA, TF32 off) + topk; its sgemm rate alone below the table")
    say(f"peak for %peak: {args.peak_gflops:g} GFLOP/s; correctness: ids equal up to ties "
        f"(distances within {RTOL:g} relative)")
    print()

    main_weft = weft_engines[0] if weft_engines else None
    ref = main_weft or (engines[0] if engines else None)
    ref_title = engine_title(ref, args.torch_device) if ref else "weft"
    headers = ["nb", "data", "k", "engine", "kernel", "QPS", f"{ref_title} speedup", "GFLOP/s",
               "%peak", "RSS MiB", f"= {ref_title}"]  # fmt: skip
    rows, summary, sgemm_lines = [], [], []
    peak = None
    if any(e.endswith(("/bf16", "/int8")) for e in weft_engines):
        peak = multiply_add_peak(os.cpu_count() or 1)
        if peak:
            say(f"multiply-add peak (bench/bf16_peak.c, {os.cpu_count()} threads, best of 40 short runs): "
                f"VDPBF16PS {peak[0]:,.1f} GFLOP/s, fp32 FMA {peak[1]:,.1f} GFLOP/s "
                f"(bf16/fp32 {peak[0] / max(peak[1], 1e-9):.2f}x), VPDPBUSD {peak[2]:,.1f} GOP/s "
                f"(int8/fp32 {peak[2] / max(peak[1], 1e-9):.2f}x)")
    problems = []
    notes = set()

    for nb in args.nb:
        for kind in args.data:
            label = f"{nb} x {args.dim} {kind}"
            log(f"[{label}] making data ...")
            seed = args.seed * 1000 + nb % 997 + (0 if kind == "uniform" else 500)
            xb_recipe = (kind, nb, args.dim, seed)
            xq_recipe = (kind, args.nq, args.dim, seed + 1, "queries")
            metric = REAL_DATA.get(kind, "l2")
            xb, xq = make_data(*xb_recipe), make_data(*xq_recipe)
            scale = sq_norms(xq) + float(sq_norms(xb).max())
            large = nb * args.nq >= 5e9
            repeat = args.repeat or (1 if large else 3)
            budget = float("inf") if args.repeat else REPEAT_BUDGET_S
            got = {}
            failed = set()
            # --rounds: every engine once per round, so on a shared machine the load over the
            # run's whole span falls on each engine alike; each engine's best time is kept
            for rnd in range(args.rounds):
                for e in (x for x in engines if x not in failed):
                    if e.startswith("weft:"):
                        limit = args.time_limit if e != main_weft else float("inf")
                        status, r = in_child(run_engine, e, xb, xq, args.k, repeat, limit, budget,
                                             args.borrow, "cuda", metric)  # fmt: skip
                    elif e == "torch":
                        status, r = in_child(run_engine, e, xb, xq, args.k, repeat, float("inf"),
                                             budget, False, args.torch_device, metric)  # fmt: skip
                    else:
                        core = e.partition("@")[2]
                        status, r = in_fresh_process(
                            run_engine_made, e.partition("@")[0], xb_recipe, xq_recipe, args.k,
                            repeat, float("inf"), budget, False, unset=OPENBLAS_FORCED,
                            setenv={"OPENBLAS_CORETYPE": core} if core else None)  # fmt: skip
                    if status != "ok":
                        log(f"[{label}] {e} FAILED:\n{r}")
                        problems.append(f"{label} {e}: failed ({r.strip().splitlines()[-1]})")
                        failed.add(e)
                        continue
                    times = ", ".join(f"k={k}: {t:.2f} s ({args.nq / t:,.0f} QPS)"
                                      for k, t in r["times"].items())  # fmt: skip
                    log(f"[{label}] round {rnd + 1}/{args.rounds} {e}: build {r['build_s']:.2f} s, {times or r['skipped']}; "
                        f"RSS {r['rss0']:.0f} -> {r['peak_rss']:.0f} MiB; {r['note']}; "
                        f"{kernel_label(e, r)}")  # fmt: skip
                    if e == "torch" and e in got:  # the sgemm figure: the best of the rounds
                        got[e]["sgemm"] = max(got[e]["sgemm"], r["sgemm"], key=lambda s: s[1])
                    if e in got:  # a later round: each k's best time; the first round's rest
                        for k, t in r["times"].items():
                            got[e]["times"][k] = min(t, got[e]["times"].get(k, t))
                        continue
                    got[e] = r
                    if r["skipped"]:
                        problems.append(f"{label} {e}: skipped, {r['skipped']}")
                    if not e.startswith("weft:") and "@" not in e and e != "torch":
                        notes.update(blas_warnings(e, [engine_blas(e, r.get("blas")) or {}]))
            res = lambda e, k: got.get(e, {}).get("results", {}).get(k)  # noqa: E731
            tim = lambda e, k: got.get(e, {}).get("times", {}).get(k)  # noqa: E731
            for k in args.k:
                t_ref = tim(ref, k)

                def row(e, title, t=None):
                    t = tim(e, k) if t is None else t
                    cells = [str(nb), kind, str(k), title, kernel_label(e, got[e]) if e in got else "-",
                             fmt_qps(t, args.nq)]  # fmt: skip
                    cells.append(f"{t / t_ref:.2f}" if t and t_ref else "-")
                    if t:
                        gflops = 2.0 * args.nq * nb * args.dim / t / 1e9
                        cells += [f"{gflops:,.1f}", f"{100 * gflops / args.peak_gflops:.1f}%"]
                    else:
                        cells += ["-", "-"]
                    cells.append(fmt_rss(got.get(e), k))
                    if e == ref or res(e, k) is None or res(ref, k) is None:
                        cells.append("-")
                    else:
                        bad, total = agree(res(ref, k), res(e, k), scale)
                        cells.append("ok" if not bad else f"FAIL {bad}/{total} rows")
                        if bad:
                            problems.append(f"{label} k={k}: {ref} differs from {e} beyond ties "
                                            f"in {bad} of {total} queries")  # fmt: skip
                    rows.append(cells)

                for e in weft_engines:
                    row(e, engine_title(e))
                if "torch" in engines:
                    row("torch", engine_title("torch", args.torch_device))
                for p in peers:
                    row(p, f"{p} as installed")
                    timed = [(tim(e, k), e) for e in peer_runs[p] if tim(e, k)]
                    if not timed or len(peer_runs[p]) == 1:
                        continue
                    t_best, best = min(timed)
                    row(best, f"{p} best kernel" + (" (= as installed)" if best == p else
                                                    f" (OPENBLAS_CORETYPE={best.partition('@')[2]})"))
                    for t, e in sorted(timed):
                        if e not in (best, p):
                            log(f"[{label}] k={k}: {engine_title(e)} {fmt_qps(t, args.nq)} QPS "
                                f"({kernel_label(e, got[e])}), slower than the best")
                    t_inst = tim(p, k)
                    if t_ref:
                        summary.append(
                            f"{label}, k={k}: {ref_title} is {t_best / t_ref:.2f}x {p} at "
                            f"its best kernel ({kernel_label(best, got[best])})"
                            + (f", {t_inst / t_ref:.2f}x {p} as installed "
                               f"({kernel_label(p, got[p])})" if t_inst else ""))  # fmt: skip
            # bf16 or int8 and fp32 on one device: the same answer, ids and distance bits
            for e in weft_engines:
                if not e.endswith(("/bf16", "/int8")) or e[:-5] + "/fp32" not in got \
                        or e not in got:
                    continue
                int8 = e.endswith("/int8")
                f32 = e[:-5] + "/fp32"
                for k in args.k:
                    a, b = res(f32, k), res(e, k)
                    if a is None or b is None:
                        continue
                    same = np.array_equal(a[1], b[1]) and np.array_equal(
                        a[0].view(np.uint32), b[0].view(np.uint32))
                    t_b, t_f = tim(e, k), tim(f32, k)
                    flops = 2.0 * args.nq * nb * args.dim
                    line = (f"{label}, k={k}: {engine_title(e)} vs {engine_title(f32)}: "
                            + ("identical ids and distance bits" if same else "DIFFERENT answers")
                            + f"; {t_f / t_b:.2f}x the fp32 speed")
                    top = peak[2 if int8 else 0] if peak else 0
                    if top and t_b:
                        line += (f"; {flops / t_b / 1e9:,.1f} G{'OP' if int8 else 'FLOP'}/s = "
                                 f"{100 * flops / t_b / 1e9 / top:.0f}% of the "
                                 f"{'VPDPBUSD' if int8 else 'VDPBF16PS'} peak"
                                 f" (fp32 search: {100 * flops / t_f / 1e9 / peak[1]:.0f}% of "
                                 f"the FMA peak)")
                    summary.append(line)
                    if not same:
                        problems.append(f"{label} k={k}: {e} differs from {f32}")
            if "sgemm" in got.get("torch", {}):
                what, rate = got["torch"]["sgemm"]
                sgemm_lines.append(f"torch on {args.torch_device}, {label}: {what}: {rate:,.0f} "
                                   f"GFLOP/s ({got['torch']['kernel']})")
            del xb, xq

    print_table(headers, rows, md)
    print()
    if md:
        print("Columns: bench/README.md. QPS: queries per second, best of "
              f"{args.repeat or '3 (1 once a run takes over 5 s, and for the 1M-row cases)'} "
              f"runs in each of {args.rounds} round(s).\n")
    for line in sgemm_lines:
        say(line)
    if sgemm_lines:
        print()
    if summary:
        print("**Against each peer at its best kernel**" if md else "Against each peer at its best kernel:")
        for line in summary:
            print(f"- {line}")
        print()
    for n in sorted(notes):
        say(n)
    if problems:
        print(("**Problems**" if md else "Problems:"))
        for p in problems:
            print(f"- {p}")
    elapsed = time.perf_counter() - started
    total = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    say(f"total {elapsed:.0f} s; largest child peak RSS {total:,.0f} MiB; "
        f"this process {_maxrss_mib():,.0f} MiB")
    return 1 if any("differs" in p or "failed" in p for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
