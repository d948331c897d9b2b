#!/usr/bin/env python3
"""DataFrame benchmark: weft against Polars and DuckDB on generated data (db-benchmark-like
group-by and join tables, a sort table, and a TPC-H-like lineitem for Q1 and Q6).

Run from the repository root, after a Release build of libweft:

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/frames.py

Quick run: `--rows 1000000`. A subset: `--queries groupby_1k,q6`. Table for bench/RESULTS.md:
add `--markdown`. See bench/README.md (frames.py) for what each column means.

One process run. The parent makes the data with numpy only (it never loads weft, Polars,
DuckDB or pyarrow, so forking stays safe); each (engine, query) runs in a forked child that
converts the data into the engine's native in-memory form once (untimed: a weft DataFrame,
a Polars DataFrame, a DuckDB table), then times the query (best of --repeat), and sends
back the answer in a canonical form, so the engines' peak RSS are their own and a crash
costs one cell, not the run.
"""

import argparse
import datetime
import gc
import hashlib
import os
import platform
import sys
import time

import numpy as np

from common import cpu_model, in_child, log, reset_peak_rss, sayer, status_kib

RTOL = 1e-9
BANDWIDTH_BYTES = 512 << 20  # the array numpy copies to measure memory bandwidth
EPOCH = datetime.date(1970, 1, 1)


def days(y, m, d):
    """date32 value (days since 1970-01-01) of a date."""
    return (datetime.date(y, m, d) - EPOCH).days


# ---------------------------------------------------------------------------- queries
#
# name -> (dataset, label, tables and columns used). Every engine answers with the columns
# in the order listed in OUTPUT, so the answers compare column by column.

QUERIES = {
    "groupby_1k": ("groupby", "group_by int key (1k groups): sum, mean"),
    "groupby_1m": ("groupby", "group_by int key (rows/10 groups): sum, mean"),
    "groupby_str": ("groupby", "group_by str key (1k groups): sum, mean"),
    "join": ("join", "inner join rows x rows/10 on int, count + sum"),
    "filter_sum": ("groupby", "filter v > 0.5, sum(v)"),
    "sort_f64": ("sort", "sort by float64"),
    "sort_2keys": ("sort", "sort by int asc, float64 desc"),
    "q1": ("lineitem", "TPC-H Q1"),
    "q6": ("lineitem", "TPC-H Q6"),
}
SORT_QUERIES = {"sort_f64": (["f"], [False]), "sort_2keys": (["k", "f"], [False, True])}
KEYS = {  # leading output columns that identify a row (the answers are compared sorted by them)
    "groupby_1k": 1, "groupby_1m": 1, "groupby_str": 1, "join": 0, "filter_sum": 0,
    "q1": 2, "q6": 0,
}

Q1_DATE = days(1998, 12, 1) - 90  # date '1998-12-01' - interval '90' day = 1998-09-02
Q6_LO, Q6_HI = days(1994, 1, 1), days(1995, 1, 1)

WEFT_NOTES = {
    "filter_sum": "weft: lazy, g.lazy().filter(col('v') > 0.5).select(col('v').sum()): the filter "
                  "under a whole-column aggregate runs as one fused pass (filter + aggregate)",
    "join": "weft: lazy; the plan drops the unused v, and select(len(), col('w').sum()) over the "
            "join runs as one fused pass over the left rows (join + aggregate): the right key is "
            "unique in a small range, so each left row's match comes from a direct table and w is "
            "gathered a chunk at a time; the join's output is never built",
    "q1": "weft: lazy, as Polars: the filter under the group_by on the two utf8 flags runs as "
          "one fused pass (few groups), then the sort",
    "q6": "weft: lazy: filter, then "
          "select((col('l_extendedprice') * col('l_discount')).sum()), run as one fused pass "
          "over the 4 columns the plan keeps",
}


# ---------------------------------------------------------------------------- data (parent, numpy only)


def make_dataset(name, args):
    """{table: {column: numpy array, or ("str", codes, vocabulary) for a utf8 column, or
    ("date32", int32 days)}}. Seeded: every run makes the same data."""
    n = args.rows
    rng = np.random.default_rng(args.seed * 100 + sorted(QUERIES_BY_DATASET).index(name))
    if name == "groupby":
        vocab = [f"id{i:06d}" for i in range(1000)]
        return {"g": {
            "id1": rng.integers(0, 1000, n, dtype=np.int64),
            "id2": rng.integers(0, max(1, n // 10), n, dtype=np.int64),
            "id3": ("str", rng.integers(0, 1000, n, dtype=np.int32), vocab),
            "v": rng.random(n),
        }}  # fmt: skip
    if name == "join":
        m = max(1, n // 10)
        return {
            "l": {"k": rng.integers(0, m + m // 10, n, dtype=np.int64), "v": rng.random(n)},
            "r": {"k": rng.permutation(m).astype(np.int64), "w": rng.random(m)},
        }
    if name == "sort":
        return {"s": {
            "i": np.arange(n, dtype=np.int64),
            "k": rng.integers(0, 1000, n, dtype=np.int64),
            "f": rng.random(n),
        }}  # fmt: skip
    if name == "lineitem":
        return {"lineitem": make_lineitem(args.lineitem_rows, rng)}
    raise ValueError(name)


def make_lineitem(n, rng):
    """TPC-H-like lineitem (dbgen's distributions): quantity 1..50, extendedprice = quantity
    x the part's retail price, discount 0.00..0.10, tax 0.00..0.08, orderdate uniform over
    1992-01-01 .. 1998-08-02, shipdate = orderdate + 1..121 days, receiptdate = shipdate +
    1..30; returnflag R or A when received by 1995-06-17, else N; linestatus O when shipped
    after 1995-06-17, else F."""
    sf = max(n / 6_001_215, 1e-6)
    quantity = rng.integers(1, 51, n).astype(np.float64)
    partkey = rng.integers(1, max(2, int(200_000 * sf)) + 1, n)
    retail = (90_000 + (partkey // 10) % 20_001 + 100 * (partkey % 1_000)) / 100.0
    extendedprice = np.round(quantity * retail, 2)
    discount = rng.integers(0, 11, n) / 100.0
    tax = rng.integers(0, 9, n) / 100.0
    start, end = days(1992, 1, 1), days(1998, 12, 31) - 151
    orderdate = rng.integers(start, end + 1, n)
    shipdate = orderdate + rng.integers(1, 122, n)
    receiptdate = shipdate + rng.integers(1, 31, n)
    current = days(1995, 6, 17)
    flag = np.where(receiptdate <= current, rng.integers(0, 2, n), 2).astype(np.int8)  # R, A, N
    status = (shipdate > current).astype(np.int8)  # F, O
    return {
        "l_quantity": quantity,
        "l_extendedprice": extendedprice,
        "l_discount": discount,
        "l_tax": tax,
        "l_returnflag": ("str", flag, ["R", "A", "N"]),
        "l_linestatus": ("str", status, ["F", "O"]),
        "l_shipdate": ("date32", shipdate.astype(np.int32)),
    }


QUERIES_BY_DATASET = {}
for _q, (_d, _label) in QUERIES.items():
    QUERIES_BY_DATASET.setdefault(_d, []).append(_q)


def scanned_bytes(query, args):
    """Bytes of the columns the query reads (for GB/s)."""
    if query == "filter_sum":
        return 8 * args.rows
    if query == "q6":  # shipdate (4), discount, quantity, extendedprice (8 each)
        return 28 * args.lineitem_rows
    return None


def describe_size(query, args):
    n = args.rows
    if query == "groupby_1m":
        return f"{n:,} rows, {max(1, n // 10):,} groups"
    if query in ("groupby_1k", "groupby_str"):
        return f"{n:,} rows, {min(1000, n):,} groups"
    if query == "join":
        return f"{n:,} x {max(1, n // 10):,}"
    if query in ("q1", "q6"):
        return f"{args.lineitem_rows:,} rows (SF {args.lineitem_rows / 6_001_215:.2g})"
    return f"{n:,} rows"


# ---------------------------------------------------------------------------- engines (in a child)


def arrow_tables(dataset):
    """pyarrow Tables of the dataset (numbers without a copy, strings built here)."""
    import pyarrow as pa

    out = {}
    for tname, cols in dataset.items():
        arrays = {}
        for cname, c in cols.items():
            if isinstance(c, tuple) and c[0] == "str":
                arrays[cname] = pa.array(c[2], type=pa.string()).take(pa.array(c[1]))
            elif isinstance(c, tuple) and c[0] == "date32":
                arrays[cname] = pa.array(c[1]).view(pa.date32())
            else:
                arrays[cname] = pa.array(c)
        out[tname] = pa.table(arrays)
    return out


class Unsupported(Exception):
    """The engine cannot express the query (printed as "unsupported: <reason>")."""


class WeftEngine:
    name = "weft"

    def __init__(self, threads, device):
        os.environ["WEFT_NUM_THREADS"] = str(threads)
        import weft

        weft.devices()  # loads the backends (OpenCL's ICD, CUDA) now, not in the first timed run
        self.weft, self.device, self.devices = weft, device, set()

    def load(self, tables):
        self.t = {k: self.weft.from_arrow(v) for k, v in tables.items()}

    def _ran(self, df):
        d = self.weft.last_device()
        if d:
            self.devices.add(d)
        return df

    def query(self, q):
        w, dev, ran = self.weft, self.device, self._ran
        col, lit = w.col, w.lit

        def date(days):  # a weft date literal (datetime.date), from days since 1970
            return lit(EPOCH + datetime.timedelta(days=days))

        if q.startswith("groupby_"):
            g, key = self.t["g"], {"groupby_1k": "id1", "groupby_1m": "id2", "groupby_str": "id3"}[q]
            return lambda: ran(g.group_by(key).agg(col("v").sum().alias("v_sum"),
                                                   col("v").mean().alias("v_mean"), device=dev))
        if q == "filter_sum":
            g = self.t["g"]

            def run():
                return ran(g.lazy().filter(col("v") > 0.5).select(col("v").sum()).collect(device=dev))

            return run
        if q == "join":
            lt, rt = self.t["l"], self.t["r"]

            def run():
                j = lt.lazy().join(rt.lazy(), on="k", how="inner")
                return ran(j.select(w.len(), col("w").sum()).collect(device=dev))

            return run
        if q in SORT_QUERIES:
            s, (by, desc) = self.t["s"], SORT_QUERIES[q]
            return lambda: ran(s.sort(by, descending=desc, device=dev))
        if q == "q1":
            li = self.t["lineitem"]

            def run():
                disc_price = col("l_extendedprice") * (1 - col("l_discount"))
                charge = disc_price * (1 + col("l_tax"))
                return ran(li.lazy().filter(col("l_shipdate") <= date(Q1_DATE))
                           .group_by("l_returnflag", "l_linestatus").agg(
                               col("l_quantity").sum().alias("sum_qty"),
                               col("l_extendedprice").sum().alias("sum_base_price"),
                               disc_price.sum().alias("sum_disc_price"),
                               charge.sum().alias("sum_charge"),
                               col("l_quantity").mean().alias("avg_qty"),
                               col("l_extendedprice").mean().alias("avg_price"),
                               col("l_discount").mean().alias("avg_disc"),
                               w.len().alias("count_order"))
                           .sort("l_returnflag", "l_linestatus").collect(device=dev))

            return run
        if q == "q6":
            li = self.t["lineitem"]

            def run():
                pred = ((col("l_shipdate") >= date(Q6_LO)) & (col("l_shipdate") < date(Q6_HI))
                        & (col("l_discount") >= 0.05) & (col("l_discount") <= 0.07)
                        & (col("l_quantity") < 24))  # fmt: skip
                return ran(li.lazy().filter(pred).select(
                    (col("l_extendedprice") * col("l_discount")).sum().alias("revenue")).collect(device=dev))

            return run
        raise Unsupported(f"no weft formulation of {q}")

    def fetch(self, res):
        return res.to_arrow()

    def note(self):
        return "ran on " + ",".join(sorted(self.devices)) if self.devices else ""


class PolarsEngine:
    """Lazy queries, collected (Polars' optimizer sees the whole query, as its users get)."""

    name = "polars"

    def __init__(self, threads, device):
        os.environ["POLARS_MAX_THREADS"] = str(threads)
        import polars as pl

        self.pl = pl

    def load(self, tables):
        self.t = {k: self.pl.from_arrow(v).rechunk() for k, v in tables.items()}

    def query(self, q):
        pl = self.pl
        c = pl.col
        if q.startswith("groupby_"):
            g, key = self.t["g"], {"groupby_1k": "id1", "groupby_1m": "id2", "groupby_str": "id3"}[q]
            return lambda: g.lazy().group_by(key).agg(c("v").sum().alias("v_sum"),
                                                      c("v").mean().alias("v_mean")).collect()
        if q == "filter_sum":
            g = self.t["g"]
            return lambda: g.lazy().filter(c("v") > 0.5).select(c("v").sum()).collect()
        if q == "join":
            lt, rt = self.t["l"], self.t["r"]
            return lambda: (lt.lazy().join(rt.lazy(), on="k", how="inner")
                            .select(pl.len(), c("w").sum()).collect())
        if q in SORT_QUERIES:
            s, (by, desc) = self.t["s"], SORT_QUERIES[q]
            return lambda: s.lazy().sort(by, descending=desc).collect()
        if q == "q1":
            li = self.t["lineitem"]
            disc_price = c("l_extendedprice") * (1 - c("l_discount"))
            return lambda: (
                li.lazy()
                .filter(c("l_shipdate") <= datetime.date(1998, 9, 2))
                .group_by("l_returnflag", "l_linestatus")
                .agg(c("l_quantity").sum().alias("sum_qty"),
                     c("l_extendedprice").sum().alias("sum_base_price"),
                     disc_price.sum().alias("sum_disc_price"),
                     (disc_price * (1 + c("l_tax"))).sum().alias("sum_charge"),
                     c("l_quantity").mean().alias("avg_qty"),
                     c("l_extendedprice").mean().alias("avg_price"),
                     c("l_discount").mean().alias("avg_disc"),
                     pl.len().alias("count_order"))
                .sort("l_returnflag", "l_linestatus")
                .collect()
            )  # fmt: skip
        if q == "q6":
            li = self.t["lineitem"]
            return lambda: (
                li.lazy()
                .filter((c("l_shipdate") >= datetime.date(1994, 1, 1))
                        & (c("l_shipdate") < datetime.date(1995, 1, 1))
                        & (c("l_discount") >= 0.05) & (c("l_discount") <= 0.07)
                        & (c("l_quantity") < 24))
                .select((c("l_extendedprice") * c("l_discount")).sum().alias("revenue"))
                .collect()
            )  # fmt: skip
        raise Unsupported(f"no Polars formulation of {q}")

    def fetch(self, res):
        return res.to_arrow()

    def note(self):
        return f"{self.pl.thread_pool_size()} threads"


DUCKDB_SQL = {
    "groupby_1k": "SELECT id1, sum(v) AS v_sum, avg(v) AS v_mean FROM g GROUP BY id1",
    "groupby_1m": "SELECT id2, sum(v) AS v_sum, avg(v) AS v_mean FROM g GROUP BY id2",
    "groupby_str": "SELECT id3, sum(v) AS v_sum, avg(v) AS v_mean FROM g GROUP BY id3",
    "filter_sum": "SELECT sum(v) AS v FROM g WHERE v > 0.5",
    "join": "SELECT count(*) AS n, sum(w) AS w FROM l JOIN r ON l.k = r.k",
    "sort_f64": "SELECT * FROM s ORDER BY f",
    "sort_2keys": "SELECT * FROM s ORDER BY k ASC, f DESC",
    "q1": """SELECT l_returnflag, l_linestatus,
                    sum(l_quantity) AS sum_qty,
                    sum(l_extendedprice) AS sum_base_price,
                    sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
                    sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
                    avg(l_quantity) AS avg_qty,
                    avg(l_extendedprice) AS avg_price,
                    avg(l_discount) AS avg_disc,
                    count(*) AS count_order
             FROM lineitem
             WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY
             GROUP BY l_returnflag, l_linestatus
             ORDER BY l_returnflag, l_linestatus""",
    "q6": """SELECT sum(l_extendedprice * l_discount) AS revenue
             FROM lineitem
             WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
               AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24""",
}


class DuckDBEngine:
    """Native tables (CREATE TABLE ... AS from the Arrow data); each query is timed as
    CREATE TEMP TABLE ans AS <query> (the answer stays in DuckDB, as the other engines'
    stay in theirs); the answer is read back untimed."""

    name = "duckdb"

    def __init__(self, threads, device):
        import duckdb

        self.duckdb = duckdb
        self.con = duckdb.connect()
        self._do(f"SET threads = {int(threads)}")

    def _do(self, sql):
        return self.con.execute(sql).fetchall()  # DuckDB 2 wants every result consumed

    def load(self, tables):
        for k, v in tables.items():
            self.con.register("src", v)
            self._do(f"CREATE TABLE {k} AS SELECT * FROM src")
            self.con.unregister("src")

    def query(self, q):
        if q not in DUCKDB_SQL:
            raise Unsupported(f"no SQL for {q}")
        sql = f"CREATE OR REPLACE TEMP TABLE ans AS {DUCKDB_SQL[q]}"

        def run():
            self._do("DROP TABLE IF EXISTS ans")  # the previous answer (frees its memory)
            self._do(sql)
            return "ans"

        return run

    def fetch(self, res):
        return self.con.sql(f"SELECT * FROM {res}").to_arrow_table()

    def note(self):
        threads = self._do("SELECT current_setting('threads')")[0][0]
        return f"{threads} threads"


ENGINES = {"weft": WeftEngine, "polars": PolarsEngine, "duckdb": DuckDBEngine}


def canonical(table, query, dataset):
    """The answer as plain data: a list of numpy arrays (one per column, by position), rows
    sorted by the key columns; for a sort, a verdict on the order (checked against the
    input) and a digest of the sorted key columns."""
    cols = []
    for c in table.columns:
        c = c.combine_chunks() if hasattr(c, "combine_chunks") else c
        a = c.to_numpy(zero_copy_only=False)
        if a.dtype == object:
            a = a.astype(str)
        cols.append(a)
    if query in SORT_QUERIES:
        by, desc = SORT_QUERIES[query]
        src = dataset["s"]
        names = table.column_names
        out = {n: cols[i] for i, n in enumerate(names)}
        n = len(src["i"])
        verdict = None
        if set(names) != {"i", "k", "f"} or len(out["i"]) != n:
            verdict = f"columns {names}, {len(out['i'])} rows (expected i, k, f and {n})"
        else:
            ids = out["i"].astype(np.int64)
            if ids.min() < 0 or ids.max() >= n or np.bincount(ids, minlength=n).max() != 1:
                verdict = "rows lost or repeated (column i is not a permutation)"
            elif not all(np.array_equal(out[c], src[c][ids]) for c in ("k", "f")):
                verdict = "rows torn apart (k, f do not match the input row i)"
            else:
                keys = [out[b] if not d else -out[b] for b, d in zip(by, desc)]
                tie = np.ones(max(n - 1, 0), dtype=bool)
                good = np.zeros(max(n - 1, 0), dtype=bool)
                for kk in keys:
                    good |= tie & (kk[1:] > kk[:-1])
                    tie &= kk[1:] == kk[:-1]
                ok = good | tie
                if not ok.all():
                    verdict = f"not sorted at row {int(np.argmin(ok)) + 1}"
        h = hashlib.sha256()
        for b in by:
            h.update(np.ascontiguousarray(out.get(b, np.zeros(0))).tobytes())
        return {"sorted": verdict, "digest": h.hexdigest()}
    nkeys = KEYS[query]
    if nkeys and len(cols[0]):
        order = np.lexsort([cols[i] for i in reversed(range(nkeys))])
        cols = [c[order] for c in cols]
    return {"columns": cols}


def run_query(engine, query, dataset, args):
    """In the child: load the data into the engine (untimed), then the best of args.repeat."""
    out = {"engine": engine, "query": query, "time": None, "unsupported": None}
    rss_fork = status_kib("VmRSS") / 1024
    import pyarrow  # noqa: F401  (loaded before the engine: the same in every child)

    eng = ENGINES[engine](args.threads, args.weft_device)
    tables = arrow_tables(dataset)
    t = time.perf_counter()
    eng.load(tables)
    out["load_s"] = time.perf_counter() - t
    del tables
    gc.collect()
    try:
        fn = eng.query(query)
    except Unsupported as e:
        out["unsupported"] = str(e)
        return out
    peak_load = status_kib("VmHWM") / 1024
    rss0 = status_kib("VmRSS") / 1024
    reset = reset_peak_rss()
    best, res = float("inf"), None
    times = []
    for _ in range(args.repeat):
        res = None
        t = time.perf_counter()
        try:
            res = fn()
        except Exception as e:  # the engine's own "cannot do this" (weft.UnsupportedError)
            if type(e).__name__ in ("UnsupportedError", "NotImplementedError"):
                out["unsupported"] = f"{type(e).__name__}: {e}"
                return out
            raise
        dt = time.perf_counter() - t
        times.append(dt)
        best = min(best, dt)
    peak_query = status_kib("VmHWM") / 1024
    out.update(time=best, times=times, note=eng.note(), rss_fork=rss_fork, rss0=rss0,
               peak=max(peak_load, peak_query),
               query_increase=(peak_query - rss0) if reset else None)  # fmt: skip
    out["answer"] = canonical(eng.fetch(res), query, dataset)
    return out


def describe(engine, args):
    """Version and threads of an engine (in a child)."""
    if engine == "weft":
        os.environ["WEFT_NUM_THREADS"] = str(args.threads)
        import weft

        devs = ", ".join(f"{d.id} ({d.name})" for d in weft.devices())
        return f"weft {weft.__version__} ({weft._lib.path}), WEFT_NUM_THREADS={args.threads}, " \
               f"device={args.weft_device}; devices: {devs}"
    if engine == "polars":
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        import polars as pl

        return f"polars {pl.__version__}, {pl.thread_pool_size()} threads (POLARS_MAX_THREADS)"
    if engine == "duckdb":
        e = DuckDBEngine(args.threads, None)
        return f"duckdb {e.duckdb.__version__}, {e.note()} (SET threads)"
    raise ValueError(engine)


def bandwidth(threads):
    """Memory bandwidth by a numpy copy of a BANDWIDTH_BYTES float64 array: GB/s =
    (bytes read + bytes written) / best of 5, on 1 thread and on `threads` threads (each
    copying a contiguous slice; numpy releases the GIL while it copies)."""
    from concurrent.futures import ThreadPoolExecutor

    n = BANDWIDTH_BYTES // 8
    src = np.ones(n)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # page faults out of the way
    out = {}
    for t in sorted({1, threads}):
        step = -(-n // t)
        with ThreadPoolExecutor(t) as pool:
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                jobs = [pool.submit(np.copyto, dst[i : i + step], src[i : i + step])
                        for i in range(0, n, step)]  # fmt: skip
                for j in jobs:
                    j.result()
                best = min(best, time.perf_counter() - t0)
        out[t] = 2 * BANDWIDTH_BYTES / best / 1e9
    return out


# ---------------------------------------------------------------------------- comparison


def close(a, b):
    """Equal arrays: exactly for ints and strings, within RTOL relative for floats."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        a, b = a.astype(np.float64), b.astype(np.float64)
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b))
        return bool((diff | both_nan | (a == b)).all())
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        return bool(np.array_equal(a.astype(np.int64), b.astype(np.int64)))
    return bool(np.array_equal(a.astype(str), b.astype(str)))


def differ(x, y):
    """None when two canonical answers agree, else what differs."""
    if "digest" in x:
        if x["digest"] != y["digest"]:
            return "sorted key columns differ"
        return None
    cx, cy = x["columns"], y["columns"]
    if len(cx) != len(cy):
        return f"{len(cx)} columns against {len(cy)}"
    if len(cx[0]) != len(cy[0]):
        return f"{len(cx[0])} rows against {len(cy[0])}"
    bad = [i for i, (a, b) in enumerate(zip(cx, cy)) if not close(a, b)]
    if bad:
        i = bad[0]
        a, b = cx[i], cy[i]
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            rel = np.abs(a64 - b64) / np.maximum(np.maximum(np.abs(a64), np.abs(b64)), 1e-300)
            r = int(np.nanargmax(rel))
            return f"column {i}: row {r}: {a[r]!r} against {b[r]!r} (rel {rel[r]:.2g})"
        r = int(np.argmax(a.astype(str) != b.astype(str)))
        return f"column {i}: row {r}: {a[r]!r} against {b[r]!r}"
    return None


# ---------------------------------------------------------------------------- output


def mem_total_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return float("nan")


def fmt_time(r):
    if r is None:
        return "-"
    if r.get("unsupported"):
        return f"unsupported: {r['unsupported']}"
    if r.get("failed"):
        return "FAILED"
    t = r["time"]
    return f"{t:.4g}" if t < 1000 else f"{t:.0f}"


def fmt_rss(r):
    if not r or r.get("time") is None:
        return "-"
    q = r.get("query_increase")
    return f"{r['peak']:,.0f}" + (f" (+{max(q, 0):,.0f})" if q is not None else "")


def print_table(headers, rows, markdown, left=2):
    if markdown:
        print("| " + " | ".join(headers) + " |")
        print("|" + "|".join("---:" if i >= left else "---" for i in range(len(headers))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def cells(values):
        return "  ".join(v.rjust(w) if i >= left else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths)))  # fmt: skip

    line = cells(headers)
    print(line)
    print("-" * len(line))
    for row in rows:
        print(cells(row))


# ---------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--rows", type=lambda s: int(float(s)), default=10_000_000,
                   help="rows of the group-by, join (left), filter and sort tables (default 1e7); "
                   "the join's right table and the groupby_1m groups are rows/10")
    p.add_argument("--lineitem-rows", type=lambda s: int(float(s)), default=None,
                   help="rows of lineitem (default 0.6 x --rows: 6M ~ TPC-H SF1 at the default)")
    p.add_argument("--queries", default=",".join(QUERIES),
                   help=f"comma-separated subset of: {', '.join(QUERIES)}")
    p.add_argument("--engines", default="weft,polars,duckdb", help="weft, polars, duckdb")
    p.add_argument("--repeat", type=int, default=3, help="best of N timed runs (default 3)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads of every engine (default: WEFT_NUM_THREADS if set, else the "
                   "CPU count, which is what weft uses)")
    p.add_argument("--weft-device", default="auto", help="device= of the weft calls (default auto)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true", help="print the table as markdown")
    a = p.parse_args(argv)
    if a.lineitem_rows is None:
        a.lineitem_rows = max(1, round(0.6 * a.rows))
    a.queries = [q.strip() for q in a.queries.split(",") if q.strip()]
    unknown = [q for q in a.queries if q not in QUERIES]
    if unknown:
        p.error(f"unknown queries {unknown}; choose from {', '.join(QUERIES)}")
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    unknown = [e for e in a.engines if e not in ENGINES]
    if unknown:
        p.error(f"unknown engines {unknown}; choose from {', '.join(ENGINES)}")
    if a.threads is None:
        env = os.environ.get("WEFT_NUM_THREADS", "")
        a.threads = int(env) if env.isdigit() and int(env) > 0 else (os.cpu_count() or 1)
    if a.rows < 1 or a.repeat < 1 or a.threads < 1:
        p.error("--rows, --repeat and --threads must be positive")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    md = args.markdown
    say = sayer(md)
    problems = []

    engines = []
    infos = {}
    for e in args.engines:
        status, info = in_child(describe, e, args)
        if status != "ok":
            log(f"{e} unavailable, skipped:\n{info}")
            problems.append(f"{e}: unavailable ({info.strip().splitlines()[-1]})")
            continue
        engines.append(e)
        infos[e] = info
    status, bw = in_child(bandwidth, args.threads)
    if status != "ok":
        bw = {}
        problems.append(f"bandwidth measurement failed: {bw}")

    if md:
        print(f"### DataFrames: weft, Polars, DuckDB ({datetime.date.today()})\n")
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    say(f"machine: {cpu_model()}, {os.cpu_count()} CPUs ({affinity} usable), "
        f"{mem_total_gib():.0f} GiB, {platform.system()} {platform.release()}; "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    say(f"date: {datetime.datetime.now().isoformat(timespec='seconds')}; python "
        f"{platform.python_version()}, numpy {np.__version__}")
    for e in engines:
        say(infos[e])
    say(f"threads: {args.threads} for every engine (WEFT_NUM_THREADS, POLARS_MAX_THREADS, "
        f"DuckDB SET threads)")
    if bw:
        say("memory bandwidth: numpy copy of a {} MiB float64 array (np.copyto, best of 5; "
            "GB/s = bytes read + bytes written, per second): {}".format(
                BANDWIDTH_BYTES >> 20,
                ", ".join(f"{v:.1f} GB/s on {t} thread{'s' if t > 1 else ''}" for t, v in bw.items())))
    say(f"timings: best of {args.repeat} runs, seconds; data generation and conversion into each "
        f"engine's own in-memory form excluded; answers compared sorted by their keys, floats "
        f"within {RTOL:g} relative")
    print()

    results = {}  # (query, engine) -> result dict
    for dname, qs in QUERIES_BY_DATASET.items():
        qs = [q for q in qs if q in args.queries]
        if not qs:
            continue
        log(f"[{dname}] making data ...")
        t = time.perf_counter()
        data = make_dataset(dname, args)
        log(f"[{dname}] made in {time.perf_counter() - t:.1f} s")
        for q in qs:
            for e in engines:
                status, r = in_child(run_query, e, q, data, args)
                if status != "ok":
                    log(f"[{q}] {e} FAILED:\n{r}")
                    last = r.strip().splitlines()[-1] if r.strip() else "?"
                    problems.append(f"{q} {e}: failed ({last})")
                    results[(q, e)] = {"failed": last, "time": None}
                    continue
                results[(q, e)] = r
                if r["unsupported"]:
                    log(f"[{q}] {e}: unsupported: {r['unsupported']}")
                    continue
                sv = r["answer"].get("sorted") if "digest" in r["answer"] else None
                if sv:
                    problems.append(f"{q} {e}: wrong sort: {sv}")
                log(f"[{q}] {e}: load {r['load_s']:.2f} s, runs "
                    + ", ".join(f"{x:.3f}" for x in r["times"])
                    + f" s; RSS {r['rss_fork']:.0f} -> {r['rss0']:.0f} MiB before the runs, peak "
                    f"{r['peak']:.0f}; {r['note']}")  # fmt: skip
        del data
        gc.collect()

    headers = ["query", "size", "weft s", "polars s", "duckdb s", "peer/weft",
               "weft RSS MiB", "polars RSS MiB", "duckdb RSS MiB", "answers"]
    rows = []
    notes = []
    for q in args.queries:
        got = {e: results.get((q, e)) for e in ENGINES}
        timed = {e: r for e, r in got.items() if r and r.get("time") is not None}
        row = [q, describe_size(q, args)] + [fmt_time(got[e]) for e in ENGINES]
        peers = [timed[e]["time"] for e in ("polars", "duckdb") if e in timed]
        row.append(f"{min(peers) / timed['weft']['time']:.2f}" if "weft" in timed and peers else "-")
        row += [fmt_rss(got[e]) for e in ENGINES]
        # answers: every pair of engines that answered
        verdicts = []
        names = list(timed)
        for i, a in enumerate(names):
            sa = timed[a]["answer"].get("sorted")
            if sa:
                verdicts.append(f"{a} wrong order")
            for b in names[i + 1:]:
                d = differ(timed[a]["answer"], timed[b]["answer"])
                if d:
                    verdicts.append(f"{a}!={b}")
                    problems.append(f"{q}: {a} and {b} differ: {d}")
        row.append("-" if len(names) < 2 else ("ok" if not verdicts else "FAIL " + ", ".join(verdicts)))
        rows.append(row)
        if q in WEFT_NOTES and "weft" in engines:
            notes.append(f"{q}: {WEFT_NOTES[q]}")
        if "weft" in timed and timed["weft"].get("note"):
            dev = timed["weft"]["note"]
            if dev != "ran on cpu:0":
                notes.append(f"{q}: weft {dev}")

    print_table(headers, rows, md)
    print()
    scan = []
    for q in args.queries:
        b = scanned_bytes(q, args)
        if b is None:
            continue
        rates = ", ".join(f"{e} {b / results[(q, e)]['time'] / 1e9:.1f} GB/s" for e in ENGINES
                          if results.get((q, e)) and results[(q, e)].get("time"))  # fmt: skip
        if rates:
            mem = ""
            if bw:
                mem = "; memory bandwidth (numpy copy, read + write): " + ", ".join(
                    f"{v:.1f} GB/s on {t} thread{'s' if t > 1 else ''}" for t, v in bw.items())
            scan.append(f"{q} scan rate ({b / 1e6:,.0f} MB of columns read / best time): {rates}{mem}")
    for s in scan:
        say(s)
    if scan:
        print()
    say("peer/weft: the faster of Polars and DuckDB's time / weft's time (above 1: weft is faster). "
        "RSS MiB: the engine's child process's peak resident set (the shared inputs, the "
        "engine's copy of them, the query) (+ the peak during the timed runs over the "
        "resident set just before them)")
    say("Polars runs lazy queries (collect()); DuckDB runs CREATE TEMP TABLE ans AS <query> on "
        "native tables; weft runs filter_sum, join, q1 and q6 as lazy plans (collect()), the others eagerly, step by step")
    for n in notes:
        say(n)
    if problems:
        print()
        print("**Problems**" if md else "Problems:")
        for p in problems:
            print(f"- {p}")
    say(f"total {time.perf_counter() - started:.0f} s")
    bad = any(("differ" in p or "failed" in p or "wrong" in p) for p in problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
