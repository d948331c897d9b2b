#!/usr/bin/env python3
"""TPC-H: weft against Polars and DuckDB, the 22 queries (bench/tpch_queries/), each engine on
the same number of threads, every weft answer checked against DuckDB's.

Run from the repository root, after a Release build of libweft:

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/tpch.py --sf 1

The data (Parquet from tpchgen-cli) is made once per scale factor into $WEFT_TPCH_DIR, else
bench/data. Two timings per query: `memory` (the tables read into each engine's own
in-memory form first, untimed) and `files` (each run reads the Parquet files: weft.scan_parquet,
pl.scan_parquet, DuckDB views over read_parquet). See bench/README.md (tpch.py).

The parent process never loads weft, Polars or DuckDB: each (engine, mode) runs in a forked
child that loads its tables, then runs the queries one after the other and sends back each
one's times, peak resident set and answer as soon as it has them. A child that crashes or
passes --timeout costs that query (counted as failed), and a new child goes on with the rest.
"""

import argparse
import datetime
import math
import multiprocessing
import os
import platform
import sys
import time
import traceback

from common import cpu_model, in_child, log, reset_peak_rss, status_kib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpch_queries import ORDER_BY, answers, data  # noqa: E402
from tpch_queries.engines import ENGINE_TYPES, DuckDBEngine, open_tables  # noqa: E402

ENGINES = ("weft", "polars", "duckdb")
MODES = ("memory", "files")
LONG_RUN_S = 5.0  # no more repeats once one run took longer


# ---------------------------------------------------------------------------- children


def run_session(conn, engine, mode, folder, queries, args):
    """In a child: one engine, one mode, the queries in turn; each result sent as it is done."""
    try:
        import pyarrow  # noqa: F401 (loaded before the engine: the same in every child)

        eng = ENGINE_TYPES[engine](args)
        tables, load_s = open_tables(eng, mode, folder, queries)
        conn.send(("loaded", {"load_s": load_s, "failed": dict(tables.failed),
                              "rss": status_kib("VmRSS") / 1024}))
        for n in queries:
            conn.send(("start", n))
            conn.send(("done", run_one(eng, n, tables, args)))
    except BaseException:  # noqa: BLE001 (reported in the parent)
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_one(eng, n, tables, args):
    out = {"query": n, "times": [], "error": None}
    rss0 = status_kib("VmRSS") / 1024
    reset = reset_peak_rss()
    res = None
    try:
        for _ in range(args.repeat):
            res = None
            t = time.perf_counter()
            res = eng.run(n, tables, args.sf)
            out["times"].append(time.perf_counter() - t)
            if out["times"][-1] > LONG_RUN_S:
                break
        out["answer"] = eng.answer(res)
    except Exception as e:  # noqa: BLE001 (the query fails, the run goes on)
        out["error"] = f"{type(e).__name__}: {e}"
        out["trace"] = traceback.format_exc()
    out["rss0"] = rss0
    out["peak"] = status_kib("VmHWM") / 1024 if reset else None
    out["note"] = eng.note()
    if args.reports and hasattr(eng, "report"):
        try:
            out["report"] = eng.report()
        except Exception as e:  # noqa: BLE001
            out["report"] = f"(no report: {e})"
    return out


def session(engine, mode, folder, queries, args, on_result):
    """Runs the queries in children (a new one after a crash or a timeout); on_result(dict)
    for each query, failures included."""
    left = list(queries)
    ctx = multiprocessing.get_context("fork")
    load = None
    while left:
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=run_session, args=(child, engine, mode, folder, left, args))
        proc.start()
        child.close()
        current, deadline = None, None
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not parent.poll(wait):
                proc.kill()
                proc.join()
                on_result({"query": current, "times": [], "error": f"timeout: over {args.timeout:g} s"})
                left.remove(current)
                break
            try:
                kind, value = parent.recv()
            except EOFError:
                proc.join()
                why = f"child died (exit {proc.exitcode})" if proc.exitcode is None or proc.exitcode >= 0 \
                    else f"child killed by signal {-proc.exitcode}"
                if current is None:
                    for n in left:
                        on_result({"query": n, "times": [], "error": why})
                    left = []
                else:
                    on_result({"query": current, "times": [], "error": why})
                    left.remove(current)
                break
            if kind == "loaded":
                load = load or value
            elif kind == "start":
                current, deadline = value, time.monotonic() + args.timeout
            elif kind == "done":
                on_result(value)
                left.remove(value["query"])
                current, deadline = None, None
            elif kind == "error":
                for n in left:
                    on_result({"query": n, "times": [], "error": value.strip().splitlines()[-1]})
                log(value)
                left = []
                break
        if not left:
            proc.join()
    return load


def describe(engine, args):
    """Version and threads of an engine (in a child)."""
    if engine == "weft":
        os.environ["WEFT_NUM_THREADS"] = str(args.threads)
        import weft

        return (f"weft {weft.__version__} ({weft._lib.path}), WEFT_NUM_THREADS={args.threads}, "
                f"collect(device={args.weft_device!r})")
    if engine == "polars":
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        import polars as pl

        return f"polars {pl.__version__}, {pl.thread_pool_size()} threads (POLARS_MAX_THREADS), lazy collect()"
    if engine == "duckdb":
        e = DuckDBEngine(args)
        threads = e.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        return f"duckdb {e.duckdb.__version__}, {threads} threads (SET threads)"
    raise ValueError(engine)


def reference(folder, queries, args):
    """DuckDB's answers over the files (untimed), the ones weft's are checked against."""
    eng = DuckDBEngine(args)
    tables, _ = open_tables(eng, "files", folder, queries)
    return {n: eng.answer(eng.run(n, tables, args.sf)) for n in queries}


def prepare_data(args):
    return data.ensure(args.sf, args.data_dir, args.money)


# ---------------------------------------------------------------------------- output


def fmt_s(r):
    if r is None:
        return "-"
    if r.get("error"):
        return "FAILED"
    return f"{min(r['times']):.3f}"


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def print_table(headers, rows):
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))))


def report_mode(mode, results, queries, engines, ref, args, problems):
    """The table of one mode; returns the number of weft queries that ran and agreed."""
    print(f"\n[{mode}] " + ("tables in each engine's memory, load excluded" if mode == "memory"
                           else "each run reads the Parquet files"))
    headers = ["query"] + [f"{e} s" for e in engines] + ["peer/weft", "weft peak RSS MiB", "weft answer"]
    rows, good = [], []
    for n in queries:
        got = {e: results.get((mode, e, n)) for e in engines}
        row = [f"q{n}"] + [fmt_s(got[e]) for e in engines]
        w = got.get("weft")
        ok = {e: r for e, r in got.items() if r and not r.get("error")}
        peers = [min(ok[e]["times"]) for e in engines if e != "weft" and e in ok]
        verdict = "-"
        for e, r in ok.items():
            d = answers.differ(r["answer"], ref[n], ORDER_BY[n])
            r["differ"] = d
            if d:
                problems.append(f"[{mode}] q{n} {e} differs from DuckDB's answer: {d}")
        if w is not None:
            if w.get("error"):
                verdict = "failed"
                problems.append(f"[{mode}] q{n} weft failed: {w['error']}")
            else:
                verdict = "WRONG" if w["differ"] else "ok"
        for e, r in got.items():
            if e != "weft" and r and r.get("error"):
                problems.append(f"[{mode}] q{n} {e} failed: {r['error']}")
        ratio = min(peers) / min(w["times"]) if w and "weft" in ok and peers else None
        row.append(f"{ratio:.2f}" if ratio else "-")
        row.append(f"{w['peak']:,.0f} (+{max(w['peak'] - w['rss0'], 0):,.0f})"
                   if w and w.get("peak") and not w.get("error") else "-")
        row.append(verdict)
        rows.append(row)
        if verdict == "ok" and len(ok) == len(engines):
            good.append(n)
    print_table(headers, rows)
    if good:
        parts = [f"{e} {geomean([min(results[(mode, e, n)]['times']) for n in good]):.3f} s"
                 for e in engines]
        line = f"geometric mean over the {len(good)} queries every engine answered (weft correctly): " + ", ".join(parts)
        if "weft" in engines and len(engines) > 1:
            ratios = [min(min(results[(mode, e, n)]["times"]) for e in engines if e != "weft")
                      / min(results[(mode, "weft", n)]["times"]) for n in good]
            line += f"; faster peer / weft {geomean(ratios):.2f}"
        print(line)
    else:
        parts = []
        for e in engines:
            ts = [min(r["times"]) for n in queries if (r := results.get((mode, e, n))) and not r.get("error")]
            if ts:
                parts.append(f"{e} {geomean(ts):.3f} s over {len(ts)}")
        if parts:
            print("geometric mean over the queries each engine answered: " + ", ".join(parts))
    if "weft" in engines:
        n_ok = sum(1 for n in queries if (r := results.get((mode, "weft", n))) and not r.get("error")
                   and not r.get("differ"))
        print(f"weft: {n_ok} of {len(queries)} queries answered correctly")
        return n_ok
    return 0


# ---------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sf", type=float, default=1.0, help="scale factor (default 1)")
    p.add_argument("--queries", default="all", help="comma-separated query numbers (default all 22)")
    p.add_argument("--mode", default="both", choices=("memory", "files", "both"))
    p.add_argument("--engines", default="weft,polars,duckdb", help="weft, polars, duckdb")
    p.add_argument("--threads", type=int, default=2, help="threads of every engine (default 2)")
    p.add_argument("--repeat", type=int, default=3,
                   help=f"best of N runs (default 3; one run once a run took over {LONG_RUN_S:g} s)")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds a query may take (all its runs) before it counts as failed")
    p.add_argument("--weft-device", default="auto", help="collect(device=...) of weft (default auto)")
    p.add_argument("--data-dir", default=os.environ.get("WEFT_TPCH_DIR") or
                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"),
                   help="where the Parquet files are made and kept ($WEFT_TPCH_DIR, else bench/data)")
    p.add_argument("--money", default="decimal", choices=("decimal", "float64"),
                   help="money columns as generated (decimal(15,2)) or cast to float64 in a copy "
                   "of the files, for every engine (to measure a build without decimals)")
    p.add_argument("--reports", default=None, metavar="FILE",
                   help="write weft.last_report() of each weft query into FILE")
    a = p.parse_args(argv)
    a.queries = list(range(1, 23)) if a.queries == "all" else [int(q) for q in a.queries.split(",") if q.strip()]
    bad = [q for q in a.queries if not 1 <= q <= 22]
    if bad:
        p.error(f"--queries: {bad} not in 1..22")
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    bad = [e for e in a.engines if e not in ENGINES]
    if bad:
        p.error(f"--engines: unknown {bad}; choose from {', '.join(ENGINES)}")
    a.engines = [e for e in ENGINES if e in a.engines]  # weft first
    a.modes = list(MODES) if a.mode == "both" else [a.mode]
    if a.threads < 1 or a.repeat < 1 or a.sf <= 0:
        p.error("--threads, --repeat and --sf must be positive")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    log(f"data: scale factor {args.sf:g} in {args.data_dir} ...")
    status, folder = in_child(prepare_data, args)
    if status != "ok":
        log(folder)
        return 2
    infos = {}
    for e in args.engines:
        status, info = in_child(describe, e, args)
        if status != "ok":
            print(f"{e} unavailable:\n{info}", file=sys.stderr)
            return 2
        infos[e] = info
    log("reference answers (DuckDB over the files) ...")
    status, ref = in_child(reference, folder, args.queries, args)
    if status != "ok":
        log(ref)
        return 2

    print(f"TPC-H SF {args.sf:g} ({folder}, money columns {args.money}), "
          f"{datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at start; python {platform.python_version()}")
    for e in args.engines:
        print(infos[e])
    print(f"timings: best of {args.repeat} runs (one once a run took over {LONG_RUN_S:g} s), seconds; "
          f"peer/weft = the faster peer's time / weft's (above 1: weft is faster); weft peak RSS: "
          f"its process's peak during the query (+ over the resident set before it); answers "
          f"checked against DuckDB's: {answers.RTOL:g} relative on floats and decimals, rows "
          f"as multisets, the ORDER BY columns in order")

    results, problems, reports, loads = {}, [], [], {}
    for mode in args.modes:
        for e in args.engines:
            def on_result(r, mode=mode, e=e):
                results[(mode, e, r["query"])] = r
                times = ", ".join(f"{x:.3f}" for x in r["times"])
                log(f"[{mode}] q{r['query']} {e}: " + (r["error"].splitlines()[0][:300] if r.get("error")
                                                        else f"{times} s"))
                if e == "weft" and r.get("report"):
                    reports.append(f"== [{mode}] q{r['query']}\n{r['report']}\n")

            load = session(e, mode, folder, args.queries, args, on_result)
            if load:
                loads[(mode, e)] = load
                for t, why in load["failed"].items():
                    log(f"[{mode}] {e}: {t} not loaded: {why}")
    for mode in args.modes:
        if mode == "memory":
            print("\nload (untimed in the table): " + ", ".join(
                f"{e} {loads[('memory', e)]['load_s']:.1f} s, {loads[('memory', e)]['rss']:,.0f} MiB resident"
                for e in args.engines if ("memory", e) in loads))
        report_mode(mode, results, args.queries, args.engines, ref, args, problems)
    if problems:
        print("\nProblems:")
        for p in problems:
            print(f"- {p}")
    if args.reports:
        with open(args.reports, "w") as f:
            f.write("\n".join(reports))
        print(f"\nweft's reports: {args.reports}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
