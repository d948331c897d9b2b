#!/usr/bin/env python3
"""Filtered vector search inside a table: weft's nearest (exact, flat index, IVF index)
against LanceDB (prefilter and postfilter, flat and IVF_PQ) and faiss IndexFlatL2 with an
IDSelectorBatch / IDSelectorBitmap, the same queries and filters in one run.

Run from the repository root after a Release build of libweft:

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/vector_tables.py [--n 1000000]
        [--nq 10000] [--lance-nq 500] [--faiss-nq 0] [--quick] [--no-lance-ivf]

Peers: `pip install lancedb pylance faiss-cpu` (optional: an engine that does not import is
skipped). The table: rows "embedding" (bench/knn.py's clustered 128-d set), "category"
(1,000 values, uniform), "price" (uniform in [0, 1000)), "in_stock" (half true). Filters of
0.1 % (category = 7), 1 % (category < 10), 10 % (category < 100) and 50 % (price < 500).
Ground truth: the exact k nearest among the rows that pass (weft's exact nearest, checked
against faiss's IDSelector search, which must agree). Per engine and filter: recall@k
against it, queries per second, and the rows returned per query (a post-filter returns
fewer than k when the filter drops them). weft and faiss search the whole batch in one
call; LanceDB takes a query a call (its API), over the first --lance-nq queries (faiss over
the first --faiss-nq, when given: its selector search scans every row a query). faiss runs
in fresh interpreters as installed and with each OPENBLAS_CORETYPE worth trying (its wheel's
OpenBLAS takes new cores for old ones; see bench/knn.py), the fastest kept.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import cpu_model, in_child, in_fresh_process, log  # noqa: E402
from knn import OPENBLAS_FORCED, default_coretypes, make_data  # noqa: E402

DIM = 128
FILTERS = [  # name, weft predicate recipe, SQL for LanceDB, numpy mask recipe
    ("0.1%", ("category", "==", 7), "category = 7"),
    ("1%", ("category", "<", 10), "category < 10"),
    ("10%", ("category", "<", 100), "category < 100"),
    ("50%", ("price", "<", 500.0), "price < 500.0"),
]


def columns(n, seed=0):
    rng = np.random.default_rng(seed + 1)
    return {"embedding": make_data("clustered", n, DIM, seed),
            "category": rng.integers(0, 1000, n).astype(np.int64),
            "price": rng.random(n) * 1000.0,
            "in_stock": rng.random(n) < 0.5}


def queries(nq):
    return make_data("clustered", nq, DIM, 777)


def mask(cols, f):
    name, op, v = f[1]
    return {"==": np.equal, "<": np.less}[op](cols[name], v)


# ---------------------------------------------------------------------------- engines


def run_weft(n, nq, k, kind, nlist, nprobe):
    """weft's nearest over the batch, per filter; the index (if any) built on the whole frame
    and kept by the select of the columns the query reads (same buffers, same rows)."""
    import weft

    cols = columns(n)
    cols["rid"] = np.arange(n)
    q = queries(nq)
    df = weft.DataFrame(cols)
    out = {}
    t0 = time.perf_counter()
    if kind != "exact":
        df.create_index("embedding", kind, nlist=nlist)
    out["build_s"] = time.perf_counter() - t0
    for f in FILTERS:
        name, op, v = f[1]
        pred = weft.col(name) == v if op == "==" else weft.col(name) < v
        t = time.perf_counter()
        r = df.select("embedding", "rid", name).nearest("embedding", q, k=k, filter=pred, use_index=kind != "exact",
                       nprobe=nprobe if kind.startswith("ivf") else None)
        secs = time.perf_counter() - t
        out[f[0]] = {"ids": _ids_of(r, nq, k), "seconds": secs}
    return out


def _ids_of(r, nq, k):
    """(nq, k) row ids of a nearest result (row ids in column "rid"), -1 where fewer."""
    ids = np.full((nq, k), -1, np.int64)
    qi = r["_query"].to_numpy().astype(np.int64)
    rid = r["rid"].to_numpy()
    pos = np.zeros(nq, np.int64)
    for a, b in zip(qi, rid):
        ids[a, pos[a]] = b
        pos[a] += 1
    return ids


def run_faiss(n, nq, k, selector, nq_all):
    import faiss

    cols = columns(n)
    q = queries(nq_all)[:nq]  # the same first queries as the others' batch
    index = faiss.IndexFlatL2(DIM)
    index.add(cols["embedding"])
    out = {"blas": faiss_blas()}
    for f in FILTERS:
        m = mask(cols, f)
        if selector == "batch":
            sel = faiss.IDSelectorBatch(np.flatnonzero(m).astype(np.int64))
        else:
            bits = np.packbits(m, bitorder="little")
            sel = faiss.IDSelectorBitmap(bits)
        t = time.perf_counter()
        _, ids = index.search(q, k, params=faiss.SearchParameters(sel=sel))
        out[f[0]] = {"ids": ids, "seconds": time.perf_counter() - t}
    return out


def faiss_blas():
    try:
        from threadpoolctl import threadpool_info
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        mine = [i for i in blas if "faiss" in i.get("filepath", "")] or blas  # faiss's own
        return next((f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                     for i in mine), None)
    except ImportError:
        return None


def run_lance(n, nq, k, folder, ivf, nprobes, nq_all):
    import lancedb
    import pyarrow as pa

    cols = columns(n)
    q = queries(nq_all)[:nq]  # the same first queries as the others' batch
    emb = pa.FixedSizeListArray.from_arrays(pa.array(cols["embedding"].ravel()), DIM)
    table = pa.table({"rid": np.arange(n), "embedding": emb, "category": cols["category"],
                      "price": cols["price"], "in_stock": cols["in_stock"]})
    db = lancedb.connect(folder)
    tbl = db.create_table("items", table, mode="overwrite")
    out = {"build_s": 0.0}
    if ivf:
        t = time.perf_counter()
        tbl.create_index(metric="l2", vector_column_name="embedding", index_type="IVF_PQ",
                         num_partitions=ivf, num_sub_vectors=16)
        out["build_s"] = time.perf_counter() - t
    for f in FILTERS:
        for pre in (True, False):
            ids = np.full((nq, k), -1, np.int64)
            t = time.perf_counter()
            for i in range(nq):
                s = tbl.search(q[i], vector_column_name="embedding").distance_type("l2")
                if ivf:
                    s = s.nprobes(nprobes)
                else:
                    s = s.bypass_vector_index()
                got = s.where(f[2], prefilter=pre).limit(k).select(["rid", "_distance"]).to_arrow()
                r = got["rid"].to_numpy()
                ids[i, : len(r)] = r
            out[(f[0], pre)] = {"ids": ids, "seconds": time.perf_counter() - t}
    return out


def write_dataset(n, folder):
    """The bench's table as a weft dataset (Arrow IPC fragments and a manifest) in folder."""
    import weft

    cols = columns(n)
    cols["rid"] = np.arange(n)
    weft.DataFrame(cols).write_dataset(folder)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def open_dataset(folder):
    """In a fresh interpreter: how long open_dataset takes (the first call also imports
    pyarrow's IPC and dataset modules: timed apart), and how RSS grows with an open and with
    reading one 8-byte column (the issue: under 50 ms, RSS only with what is read)."""
    import weft

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    t = time.perf_counter()
    weft.open_dataset(folder).scan().select("in_stock").collect()  # the imports, once
    first = time.perf_counter() - t
    r0 = rss()
    t = time.perf_counter()
    ds = weft.open_dataset(folder)
    opened = time.perf_counter() - t
    r1 = rss()
    price = ds.scan().select("price").collect()["price"].to_numpy()
    total = float(price.sum())  # every page of the column read (a mapped view costs nothing until then)
    r2 = rss()
    return {"first_s": first, "open_s": opened, "open_rss": r1 - r0, "read_rss": r2 - r1,
            "read_bytes": price.nbytes, "rows": ds.count_rows(), "sum": total}


# ---------------------------------------------------------------------------- report


def recall(ids, truth, k):
    hit = total = 0
    for a, t in zip(ids, truth):
        t = set(t[t >= 0].tolist())
        hit += len(t & set(a[a >= 0].tolist()))
        total += min(k, len(t))
    return hit / total if total else 1.0


def table_row(label, per, truth, k):
    """One engine's row of the table: recall / QPS / rows returned per filter."""
    cells = []
    for f in FILTERS:
        ids, secs, nq = per[f[0]]
        rec = recall(ids, truth[f[0]][:nq], k)
        cells.append(f"{rec:.3f} / {nq / secs:,.0f} / {(ids >= 0).sum() / nq:.1f}")
    return f"| {label} | " + " | ".join(cells) + " |"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--nq", type=int, default=10_000)
    p.add_argument("--lance-nq", type=int, default=500)
    p.add_argument("--faiss-nq", type=int, default=0,
                   help="faiss's IDSelector searches over the first N queries only (0: all): "
                        "they scan every row a query, without BLAS, so 10,000 take an hour "
                        "on 2 loaded cores; the QPS is per query either way")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--nlist", type=int, default=1024)
    p.add_argument("--nprobe", type=int, default=20)
    p.add_argument("--no-lance-ivf", action="store_true")
    p.add_argument("--quick", action="store_true", help="20k rows, 200 queries")
    a = p.parse_args()
    if a.quick:
        a.n, a.nq, a.lance_nq, a.nlist = 20_000, 200, 50, 128
    k = a.k
    print(f"# vector_tables: {a.n} rows x {DIM} (clustered), {a.nq} queries (LanceDB: "
          f"{min(a.lance_nq, a.nq)}, faiss: {min(a.faiss_nq or a.nq, a.nq)}), k = {k}, {os.cpu_count()} CPUs ({cpu_model()}), "
          f"load {os.getloadavg()[0]:.1f}")
    results = {}  # engine -> {filter: (ids, seconds, nq)}
    for kind in ("exact", "flat", "ivf_flat"):
        label = {"exact": "weft nearest (exact)", "flat": "weft flat index",
                 "ivf_flat": f"weft ivf_flat (nlist {a.nlist}, nprobe {a.nprobe})"}[kind]
        status, r = in_child(run_weft, a.n, a.nq, k, kind, a.nlist, a.nprobe)
        if status != "ok":
            log(f"{label}: {r}")
            continue
        results[label] = {f[0]: (r[f[0]]["ids"], r[f[0]]["seconds"], a.nq) for f in FILTERS}
        log(f"{label}: build {r['build_s']:.1f} s")
        if "weft nearest (exact)" in results:  # each row as it comes: a stopped run keeps them
            truth = {f[0]: results["weft nearest (exact)"][f[0]][0] for f in FILTERS}
            log(table_row(label, results[label], truth, k))
    truth = {f[0]: results["weft nearest (exact)"][f[0]][0] for f in FILTERS}
    fnq = min(a.faiss_nq or a.nq, a.nq)
    for selector in ("batch", "bitmap"):
        best = None
        for core in [None] + default_coretypes():
            if core and best and best[2]["blas"] and core.lower() in best[2]["blas"].lower():
                continue  # as installed it runs that kernel already
            if core and best and best[1] is None and default_coretypes()[0].lower() in (best[2]["blas"] or "").lower():
                continue  # as installed it runs the widest kernel: a narrower one is slower
            status, r = in_fresh_process(run_faiss, a.n, fnq, k, selector, a.nq, unset=OPENBLAS_FORCED,
                                         setenv={"OPENBLAS_CORETYPE": core} if core else None)
            if status != "ok":
                log(f"faiss ({selector}, {core}): {r.splitlines()[-1] if r else r}")
                continue
            total = sum(r[f[0]]["seconds"] for f in FILTERS)
            log(f"faiss {selector} {core or 'as installed'} ({r['blas']}): {total:.2f} s")
            if best is None or total < best[0]:
                best = (total, core, r)
        if best:
            label = f"faiss IndexFlatL2 + IDSelector{selector.title()} ({best[1] or 'as installed'})"
            results[label] = {f[0]: (best[2][f[0]]["ids"], best[2][f[0]]["seconds"], fnq)
                              for f in FILTERS}
            log(table_row(label, results[label], truth, k))
    lnq = min(a.lance_nq, a.nq)
    for ivf in ([0] if a.no_lance_ivf else [0, a.nlist // 4]):
        folder = tempfile.mkdtemp(prefix="vector_tables_lance_")
        try:
            status, r = in_fresh_process(run_lance, a.n, lnq, k, folder, ivf, a.nprobe, a.nq)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if status != "ok":
            log(f"lancedb (ivf {ivf}): {r.splitlines()[-1] if r else r}")
            continue
        for pre in (True, False):
            label = (f"LanceDB {'IVF_PQ (' + str(ivf) + ' lists, 16 sub-vectors, nprobes ' + str(a.nprobe) + ')' if ivf else 'flat'}"
                     f" {'prefilter' if pre else 'postfilter'}")
            results[label] = {f[0]: (r[(f[0], pre)]["ids"], r[(f[0], pre)]["seconds"], lnq)
                              for f in FILTERS}
            log(table_row(label, results[label], truth, k))
        if ivf:
            log(f"LanceDB IVF_PQ build {r['build_s']:.1f} s")
    folder = tempfile.mkdtemp(prefix="vector_tables_dataset_")
    try:
        status, size = in_child(write_dataset, a.n, folder)
        if status != "ok":  # the child's error, not a value of an earlier engine
            log(f"weft write_dataset: {size}")
        else:
            status, r = in_fresh_process(open_dataset, folder)
            if status != "ok":
                log(f"weft open_dataset: {r}")
            else:
                log(f"weft.open_dataset of {r['rows']:,} rows ({size / 2**20:.0f} MiB on disk): "
                    f"{r['open_s'] * 1e3:.2f} ms, RSS +{r['open_rss'] / 2**20:.1f} MiB; reading "
                    f"column price ({r['read_bytes'] / 2**20:.1f} MiB): RSS "
                    f"+{r['read_rss'] / 2**20:.1f} MiB (the first open and scan in the process, "
                    f"importing pyarrow's modules: {r['first_s'] * 1e3:.0f} ms)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    head = "| engine | " + " | ".join(f"{f[0]} recall / QPS / rows" for f in FILTERS) + " |"
    print(head)
    print("|" + "---|" * (len(FILTERS) + 1))
    base = {f[0]: results["weft flat index"][f[0]] for f in FILTERS} if "weft flat index" in results else None
    for label, per in results.items():
        print(table_row(label, per, truth, k))
    if base:
        print()
        print("QPS ratio, weft flat index / engine (above 1: weft faster):")
        for label, per in results.items():
            r = [(base[f[0]][2] / base[f[0]][1]) / (per[f[0]][2] / per[f[0]][1]) for f in FILTERS]
            print(f"  {label}: " + ", ".join(f"{f[0]} {x:.2f}" for f, x in zip(FILTERS, r)))


if __name__ == "__main__":
    main()
