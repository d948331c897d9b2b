#!/usr/bin/env python3
"""Approximate k-NN benchmark: weft.IVFIndex against faiss-cpu's IndexIVFFlat,
IndexIVFScalarQuantizer (QT_8bit) and IndexIVFPQ with the same nlist (and m), over an nprobe
sweep, and (codec pq) hnswlib's HNSW graph (M = 16) over an ef sweep.

Run from the repository root, after a Release build of libweft:

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/ann.py [--n 1000000] [--quick]

Data: bench/knn.py's clustered synthetic set (1000 gaussian blobs, sigma 0.1, centers
uniform in [0, 1)), n x 128 base rows and a batch of --nq queries drawn from the same blobs.
Ground truth: weft.FlatIndex's exact search. For each engine and codec: build time (train
on the whole base, as the default sample of 256 points a list allows, then add), index bytes
(weft: IVFIndex.memory_bytes(); faiss: its serialized size), peak RSS of the process that
built and searched it, then per nprobe recall@k and queries per second for the whole batch
in one call. faiss runs in fresh interpreters, once as installed and once per
OPENBLAS_CORETYPE worth trying on this CPU (as bench/knn.py: its wheel's OpenBLAS takes new
cores for old ones), the fastest run per nprobe kept: faiss at its best kernel. weft runs in
a forked child (its own RSS). The ratio column is weft QPS / faiss QPS at that nprobe (recall
shown for both: the two k-means differ, so equal nprobe is near, not equal, recall).

Codec pq (--codecs ...,pq; m = --pq-m sub-quantizers of 8 bits): weft.IVFIndex(codec="pq")
alone and with refine=--refine (the float32 rows kept, k * refine candidates re-ranked), faiss
IndexIVFPQ alone and wrapped in IndexRefineFlat with the same k_factor (faiss at its best
kernel as above), and hnswlib (`pip install hnswlib`; M = 16, ef_construction = 200, all
cores, ef swept from k up). Its table gives each engine's build time, index bytes (weft:
memory_bytes(); faiss: serialized size; hnswlib: index_file_size()), peak RSS, recall@k and
QPS per setting, then the best QPS among the settings that reach recall 0.90 / 0.95 / 0.99
(- where none does).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import cpu_model, in_child, in_fresh_process, log, status_kib  # noqa: E402
from knn import default_coretypes, make_data  # noqa: E402

DIM = 128
OPENBLAS_FORCED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def recall(found, truth):
    k = truth.shape[1]
    hits = sum(len(np.intersect1d(f, t, assume_unique=False)) for f, t in zip(found, truth))
    return hits / (truth.shape[0] * k)


def ann_data(data, n, nq):
    """(base, queries): knn.py's clustered set, or (data "real") bench/embeddings.py's 384-d
    real set, its held-out rows as the queries (squared L2; the rows are L2-normalised, so
    the same neighbours as inner product)."""
    if data == "real":
        return make_data(data, n, 384, 1), make_data(data, nq, 384, 2, "queries")
    return make_data(data, n, DIM, 1), make_data(data, nq, DIM, 2)


def ground_truth(n, nq, k, data="clustered"):
    import weft

    xb, xq = ann_data(data, n, nq)
    flat = weft.FlatIndex(xb.shape[1])
    flat.add(xb, copy=False)
    return flat.search(xq, k, device="cpu")[1]


def run_weft(n, nq, k, nlist, codec, nprobes, truth, data="clustered"):
    import weft

    xb, xq = ann_data(data, n, nq)
    t0 = time.perf_counter()
    ix = weft.IVFIndex(xb.shape[1], nlist, codec=codec)
    ix.train(xb)
    ix.add(xb)
    build = time.perf_counter() - t0
    ix.search(xq[:100], k, nprobe=nprobes[0])  # warm: the thread pool, first touches
    rows = []
    for nprobe in nprobes:
        t0 = time.perf_counter()
        _, I = ix.search(xq, k, nprobe=nprobe)
        rows.append((nprobe, recall(I, truth), nq / (time.perf_counter() - t0)))
    return {"build_s": build, "bytes": ix.memory_bytes(), "rows": rows,
            "peak_mib": status_kib("VmHWM") / 1024}  # fmt: skip


def run_faiss(n, nq, k, nlist, codec, nprobes, truth, data="clustered"):
    import faiss

    xb, xq = ann_data(data, n, nq)
    dim = xb.shape[1]
    t0 = time.perf_counter()
    quantizer = faiss.IndexFlatL2(dim)
    if codec == "flat":
        ix = faiss.IndexIVFFlat(quantizer, dim, nlist)
    else:
        ix = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit)
    ix.train(xb)
    ix.add(xb)
    build = time.perf_counter() - t0
    ix.nprobe = nprobes[0]
    ix.search(xq[:100], k)  # warm: OpenMP's threads, first touches
    rows = []
    for nprobe in nprobes:
        ix.nprobe = nprobe
        t0 = time.perf_counter()
        _, I = ix.search(xq, k)
        rows.append((nprobe, recall(I, truth), nq / (time.perf_counter() - t0)))
    size = int(faiss.serialize_index(ix).size)
    return {"build_s": build, "bytes": size, "rows": rows, "peak_mib": status_kib("VmHWM") / 1024,
            "threads": faiss.omp_get_max_threads()}  # fmt: skip


def run_weft_pq(n, nq, k, nlist, m, refine, nprobes, truth):
    import weft

    xb, xq = make_data("clustered", n, DIM, 1), make_data("clustered", nq, DIM, 2)
    t0 = time.perf_counter()
    ix = weft.IVFIndex(DIM, nlist, codec="pq", m=m, refine=refine)
    ix.train(xb)
    ix.add(xb)
    build = time.perf_counter() - t0
    ix.search(xq[:100], k, nprobe=nprobes[0])  # warm: the thread pool, first touches
    rows = []
    for nprobe in nprobes:
        t0 = time.perf_counter()
        _, I = ix.search(xq, k, nprobe=nprobe)
        rows.append((nprobe, recall(I, truth), nq / (time.perf_counter() - t0)))
    return {"build_s": build, "bytes": ix.nbytes, "rows": rows,
            "peak_mib": status_kib("VmHWM") / 1024}  # fmt: skip


def run_faiss_pq(n, nq, k, nlist, m, refine, nprobes, truth):
    import faiss

    xb, xq = make_data("clustered", n, DIM, 1), make_data("clustered", nq, DIM, 2)
    t0 = time.perf_counter()
    quantizer = faiss.IndexFlatL2(DIM)
    ivf = faiss.IndexIVFPQ(quantizer, DIM, nlist, m, 8)
    ix = ivf
    if refine:
        ix = faiss.IndexRefineFlat(ivf)
        ix.k_factor = refine
    ix.train(xb)
    ix.add(xb)
    build = time.perf_counter() - t0
    ivf.nprobe = nprobes[0]
    ix.search(xq[:100], k)  # warm: OpenMP's threads, first touches
    rows = []
    for nprobe in nprobes:
        ivf.nprobe = nprobe
        t0 = time.perf_counter()
        _, I = ix.search(xq, k)
        rows.append((nprobe, recall(I, truth), nq / (time.perf_counter() - t0)))
    size = int(faiss.serialize_index(ix).size)
    return {"build_s": build, "bytes": size, "rows": rows, "peak_mib": status_kib("VmHWM") / 1024,
            "threads": faiss.omp_get_max_threads()}  # fmt: skip


def run_hnswlib(n, nq, k, efs, truth):
    import hnswlib

    xb, xq = make_data("clustered", n, DIM, 1), make_data("clustered", nq, DIM, 2)
    t0 = time.perf_counter()
    ix = hnswlib.Index(space="l2", dim=DIM)
    ix.init_index(max_elements=n, M=16, ef_construction=200, random_seed=100)
    ix.set_num_threads(os.cpu_count())
    ix.add_items(xb, np.arange(n))
    build = time.perf_counter() - t0
    ix.set_ef(efs[0])
    ix.knn_query(xq[:100], k)  # warm
    rows = []
    for ef in efs:
        ix.set_ef(ef)
        t0 = time.perf_counter()
        I, _ = ix.knn_query(xq, k)
        rows.append((ef, recall(I, truth), nq / (time.perf_counter() - t0)))
    return {"build_s": build, "bytes": int(ix.index_file_size()), "rows": rows,
            "peak_mib": status_kib("VmHWM") / 1024}  # fmt: skip


def qps_at(rows, target):
    """The best QPS among the settings whose recall reaches target, or None."""
    ok = [q for _, r, q in rows if r >= target]
    return max(ok) if ok else None


def faiss_best(fn, args, coretypes):
    """fn run in a fresh interpreter as installed and per OPENBLAS_CORETYPE: the best of."""
    runs = []
    for core in [None] + coretypes:
        log(f"  faiss {'as installed' if core is None else 'OPENBLAS_CORETYPE=' + core} ...")
        status, r = in_fresh_process(fn, *args, unset=OPENBLAS_FORCED,
                                     setenv={"OPENBLAS_CORETYPE": core} if core else None)  # fmt: skip
        if status == "ok":
            runs.append(("as installed" if core is None else core, r))
        else:
            log(f"  failed: {r}")
    return best_of(runs) if runs else None


def pq_section(a, nprobes, coretypes, truth):
    engines = []  # (name, setting name, result)
    for refine in (None, a.refine):
        tag = f"weft IVFPQ m={a.pq_m}" + (f" + refine {refine}" if refine else "")
        log(f"{tag} ...")
        status, r = in_child(run_weft_pq, a.n, a.nq, a.k, a.nlist, a.pq_m, refine, nprobes, truth)
        if status != "ok":
            raise SystemExit(f"{tag} failed: {r}")
        engines.append((tag, "nprobe", r))
        tag = f"faiss IndexIVFPQ m={a.pq_m}" + (f" + IndexRefineFlat {refine}" if refine else "")
        log(f"{tag} ...")
        r = faiss_best(run_faiss_pq, (a.n, a.nq, a.k, a.nlist, a.pq_m, refine, nprobes, truth),
                       coretypes)  # fmt: skip
        if r:
            engines.append((tag + f" ({r['threads']} threads; best of {r['kernels']})", "nprobe", r))
    try:
        import hnswlib  # noqa: F401

        efs = [e for e in (10, 16, 32, 64, 128, 256, 512) if e >= a.k]
        log("hnswlib M=16 ...")
        status, r = in_child(run_hnswlib, a.n, a.nq, a.k, efs, truth)
        if status == "ok":
            engines.append(("hnswlib HNSW M=16 ef_construction=200", "ef", r))
        else:
            log(f"  hnswlib failed: {r}")
    except ImportError:
        log("hnswlib not installed (pip install hnswlib): its rows are left out")
    print(f"\n## codec pq: weft.IVFIndex(codec='pq', m={a.pq_m}) vs faiss IndexIVFPQ and hnswlib")
    print("| engine | build s | index MiB | peak RSS MiB | QPS @ recall 0.90 | @ 0.95 | @ 0.99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    fmt = lambda q: "-" if q is None else f"{q:,.0f}"  # noqa: E731
    for name, _, r in engines:
        print(f"| {name} | {r['build_s']:.1f} | {r['bytes'] / 2**20:.1f} | {r['peak_mib']:.0f} | "
              + " | ".join(fmt(qps_at(r["rows"], t)) for t in (0.90, 0.95, 0.99)) + " |")
    for name, setting, r in engines:
        print(f"\n{name}: " + ", ".join(f"{setting} {p}: recall {rc:.4f} at {q:,.0f} QPS"
                                       for p, rc, q in r["rows"]))  # fmt: skip


def best_of(runs):
    """Per nprobe the fastest run's row; build time the fastest; bytes and RSS the largest."""
    best = dict(runs[0][1])
    best["rows"] = [max((r[1]["rows"][i] for r in runs), key=lambda row: row[2])
                    for i in range(len(runs[0][1]["rows"]))]  # fmt: skip
    best["build_s"] = min(r[1]["build_s"] for r in runs)
    best["peak_mib"] = max(r[1]["peak_mib"] for r in runs)
    best["kernels"] = ", ".join(r[0] for r in runs)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--nq", type=int, default=10_000)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--nlist", type=int, default=1024)
    p.add_argument("--nprobe", default="1,2,4,8,16,32,64,128")
    p.add_argument("--codecs", default="flat,sq8,pq")
    p.add_argument("--pq-m", type=int, default=16, help="pq sub-quantizers (bytes a vector)")
    p.add_argument("--refine", type=int, default=4, help="pq rows' re-rank factor (k * refine)")
    p.add_argument("--coretypes", default=None,
                   help="OPENBLAS_CORETYPE values for faiss's best-kernel runs (default: by CPU)")
    p.add_argument("--data", default="clustered", choices=("clustered", "real"),
                   help="clustered (synthetic, 128-d) or real (bench/embeddings.py's 384-d set)")
    p.add_argument("--quick", action="store_true", help="20k rows, 1k queries, nlist 128")
    a = p.parse_args(argv)
    if a.quick:
        a.n, a.nq, a.nlist = 20_000, 1_000, 128
    nprobes = [int(x) for x in a.nprobe.split(",") if int(x) <= a.nlist]
    coretypes = default_coretypes() if a.coretypes is None else [
        c.strip() for c in a.coretypes.split(",") if c.strip()]  # fmt: skip
    print(f"# ann: {a.n} x {384 if a.data == 'real' else DIM} {a.data}, {a.nq} queries in one batch, k = {a.k}, "
          f"nlist = {a.nlist}; {cpu_model()}, {os.cpu_count()} cores")
    log("ground truth (weft.FlatIndex, exact) ...")
    status, truth = in_child(ground_truth, a.n, a.nq, a.k, a.data)
    if status != "ok":
        raise SystemExit(f"ground truth failed: {truth}")
    for codec in a.codecs.split(","):
        if codec == "pq":
            pq_section(a, nprobes, coretypes, truth)
            continue
        log(f"weft {codec} ...")
        status, mine = in_child(run_weft, a.n, a.nq, a.k, a.nlist, codec, nprobes, truth, a.data)
        if status != "ok":
            raise SystemExit(f"weft {codec} failed: {mine}")
        runs = []
        for core in [None] + coretypes:
            log(f"faiss {codec} {'as installed' if core is None else 'OPENBLAS_CORETYPE=' + core} ...")
            status, r = in_fresh_process(run_faiss, a.n, a.nq, a.k, a.nlist, codec, nprobes,
                                         truth, a.data, unset=OPENBLAS_FORCED,
                                         setenv={"OPENBLAS_CORETYPE": core} if core else None)  # fmt: skip
            if status == "ok":
                runs.append(("as installed" if core is None else core, r))
            else:
                log(f"  failed: {r}")
        if not runs:
            raise SystemExit(f"faiss {codec}: every run failed")
        theirs = best_of(runs)
        name = "IndexIVFFlat" if codec == "flat" else "IndexIVFScalarQuantizer(QT_8bit)"
        print(f"\n## codec {codec}: weft.IVFIndex vs faiss {name} (best of: {theirs['kernels']}; "
              f"{theirs['threads']} OpenMP threads)")
        print(f"build s: weft {mine['build_s']:.2f}, faiss {theirs['build_s']:.2f} | "
              f"index MiB: weft {mine['bytes'] / 2**20:.1f}, faiss {theirs['bytes'] / 2**20:.1f} | "
              f"peak RSS MiB: weft {mine['peak_mib']:.0f}, faiss {theirs['peak_mib']:.0f}")
        print("| nprobe | weft recall@%d | faiss recall@%d | weft QPS | faiss QPS | weft/faiss |"
              % (a.k, a.k))
        print("|---:|---:|---:|---:|---:|---:|")
        for (np_, r1, q1), (_, r2, q2) in zip(mine["rows"], theirs["rows"]):
            print(f"| {np_} | {r1:.4f} | {r2:.4f} | {q1:,.0f} | {q2:,.0f} | {q1 / q2:.2f} |")
    print("\nTimings share 2 cores with other builds on this machine: treat them as noisy.")


if __name__ == "__main__":
    main()
