#!/usr/bin/env python3
"""One weft TPC-H query, for a profiler: loads the tables it uses (memory mode), runs it
--repeat times, prints each run's seconds, the optimized plan (explain) and what the last run
did (last_report). Run it under perf to see where weft's time goes:

    WEFT_LIBRARY=build/lib PYTHONPATH=python perf record -F 499 -g -o /tmp/q21.data \\
        python3 bench/tpch_profile.py --sf 1 --query 21 --money float64
    perf report -i /tmp/q21.data --no-children --sort dso,symbol | head -60

or with --cprofile for Python's view (the time in each plan step the ctypes calls take).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpch_queries import USES, data  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sf", type=float, default=1.0)
    p.add_argument("--query", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--money", default="decimal", choices=("decimal", "float64"))
    p.add_argument("--data-dir", default=os.environ.get("WEFT_TPCH_DIR") or
                   os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    p.add_argument("--cprofile", action="store_true", help="print cProfile's top 25 of the last run")
    a = p.parse_args(argv)
    os.environ["WEFT_NUM_THREADS"] = str(a.threads)
    import weft
    from tpch_queries import weft_lazy

    folder = data.ensure(a.sf, a.data_dir, a.money)
    t0 = time.perf_counter()
    frames = {t: weft.read_parquet(data.path(folder, t)) for t in USES[a.query]}
    tables = {t: df.lazy() for t, df in frames.items()}
    print(f"loaded {', '.join(tables)} in {time.perf_counter() - t0:.2f} s")
    q = weft_lazy.QUERIES[a.query]
    for i in range(a.repeat):
        last = i == a.repeat - 1
        prof = None
        if last and a.cprofile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t = time.perf_counter()
        out = q(tables, a.sf).collect(device=a.device)
        dt = time.perf_counter() - t
        report = weft.last_report()
        if prof:
            prof.disable()
        print(f"run {i + 1}: {dt:.3f} s, {out.height} rows")
    print("\n== explain\n" + q(tables, a.sf).explain(device=a.device))
    print("\n== last_report\n" + report)
    if a.cprofile:
        import pstats

        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
