#!/usr/bin/env python3
"""weft's TPC-H queries one at a time, for a profiler: loads the tables they use (memory
mode), runs each --repeat times, prints each run's seconds, the optimized plan (explain) and what the last run
did (last_report). --perf FILE records each query's runs alone (not the load) with perf, attached
to this process once the tables are in, into FILE.q<N>, and prints perf's flat profile:

    WEFT_LIBRARY=build/lib PYTHONPATH=python python3 bench/tpch_profile.py --sf 1 --query 21 \\
        --money float64 --perf /tmp/perf.data
    perf report -i /tmp/perf.data.q21 --no-children --sort symbol     # the call graphs (-g)

or with --cprofile for Python's view (the time in each plan step the ctypes calls take).
"""

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpch_queries import USES, data  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sf", type=float, default=1.0)
    p.add_argument("--query", required=True, help="query numbers, comma-separated")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--money", default="decimal", choices=("decimal", "float64"))
    p.add_argument("--data-dir", default=os.environ.get("WEFT_TPCH_DIR") or
                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    p.add_argument("--cprofile", action="store_true", help="print cProfile's top 25 of the last run")
    p.add_argument("--perf", metavar="FILE", help="perf record -g the runs into FILE; print the top symbols")
    a = p.parse_args(argv)
    os.environ["WEFT_NUM_THREADS"] = str(a.threads)
    import weft
    from tpch_queries import weft_lazy

    folder = data.ensure(a.sf, a.data_dir, a.money)
    queries = [int(x) for x in a.query.split(",")]
    t0 = time.perf_counter()
    names = sorted({t for n in queries for t in USES[n]})
    frames = {t: weft.read_parquet(data.path(folder, t)) for t in names}
    tables = {t: df.lazy() for t, df in frames.items()}
    print(f"loaded {', '.join(tables)} in {time.perf_counter() - t0:.2f} s")
    for n in queries:
        profile(weft, n, weft_lazy.QUERIES[n], tables, a)


def profile(weft, n, q, tables, a):
    print(f"\n######## q{n}")
    perf = None
    if a.perf:
        out = f"{a.perf}.q{n}"
        perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", out, "-p", str(os.getpid())],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # perf attached before the first run
    prof = None
    for i in range(a.repeat):
        if i == a.repeat - 1 and a.cprofile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t = time.perf_counter()
        res = q(tables, a.sf).collect(device=a.device)
        dt = time.perf_counter() - t
        report = weft.last_report()
        if prof:
            prof.disable()
        print(f"run {i + 1}: {dt:.3f} s, {res.height} rows")
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
        top = subprocess.run(["perf", "report", "-i", out, "--no-children", "--sort", "dso,symbol",
                              "-g", "none", "--percent-limit", "1", "--stdio"],
                             capture_output=True, text=True).stdout
        print(f"\n== perf of the runs ({out})\n" + "\n".join(
            line.rstrip() for line in top.splitlines() if line.strip() and not line.startswith("#")))
    print("\n== explain\n" + q(tables, a.sf).explain(device=a.device))
    print("\n== last_report\n" + report)
    if prof:
        import pstats

        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
