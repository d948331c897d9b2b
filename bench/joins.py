"""TPC-H-shaped joins (scale factor 1 by default): weft against Polars and DuckDB, eager
joins whose whole output is built, at a fixed thread count. Prints each engine's best time of
--repeat runs, the ratio weft / peer, and checks that the answers are equal (row count and
column sums; row order is not compared, DuckDB gives none).

The tables are generated here with numpy, with TPC-H's key shapes: lineitem 6M rows whose
l_orderkey is sparse (orders use 8 of every 32 keys up to 6M, each with 1-7 lines),
l_partkey in 1..200k, l_suppkey in 1..10k; orders 1.5M with o_custkey in 1..150k (a third
of the customers have no order); customer 150k, part 200k, supplier 10k.

    WEFT_LIBRARY=build/dev/lib PYTHONPATH=python python3 bench/joins.py [--sf 1] [--threads 2]

Threads must be set before the engines load, so the script sets POLARS_MAX_THREADS and
WEFT_NUM_THREADS itself from --threads.
"""

import argparse
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sf", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated join names")
    return ap.parse_args()


ARGS = parse()
os.environ["POLARS_MAX_THREADS"] = str(ARGS.threads)
os.environ["WEFT_NUM_THREADS"] = str(ARGS.threads)

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402

import weft  # noqa: E402


def tables(sf, rng):
    n_orders, n_cust, n_part, n_supp = int(1_500_000 * sf), int(150_000 * sf), int(200_000 * sf), int(10_000 * sf)
    okeys = np.arange(n_orders, dtype=np.int64)
    okeys = (okeys // 8) * 32 + (okeys % 8) + 1  # 8 of every 32 keys
    lines = rng.integers(1, 8, n_orders)
    l_orderkey = np.repeat(okeys, lines)
    n_line = len(l_orderkey)
    cust_with_orders = np.arange(1, n_cust + 1)[np.arange(n_cust) % 3 != 0]
    orders = pa.table({
        "o_orderkey": okeys,
        "o_custkey": rng.choice(cust_with_orders, n_orders).astype(np.int64),
        "o_totalprice": rng.uniform(1000, 500000, n_orders),
        "o_orderdate": rng.integers(8035, 10591, n_orders).astype(np.int32),
    })
    lineitem = pa.table({
        "l_orderkey": l_orderkey,
        "l_partkey": rng.integers(1, n_part + 1, n_line).astype(np.int64),
        "l_suppkey": rng.integers(1, n_supp + 1, n_line).astype(np.int64),
        "l_quantity": rng.integers(1, 51, n_line).astype(np.float64),
        "l_extendedprice": rng.uniform(900, 105000, n_line),
        "l_commit_lt_receipt": rng.random(n_line) < 0.63,
    })
    customer = pa.table({
        "c_custkey": np.arange(1, n_cust + 1, dtype=np.int64),
        "c_nationkey": rng.integers(0, 25, n_cust).astype(np.int64),
        "c_acctbal": rng.uniform(-999, 9999, n_cust),
    })
    part = pa.table({
        "p_partkey": np.arange(1, n_part + 1, dtype=np.int64),
        "p_size": rng.integers(1, 51, n_part).astype(np.int32),
        "p_retailprice": rng.uniform(900, 2100, n_part),
    })
    supplier = pa.table({
        "s_suppkey": np.arange(1, n_supp + 1, dtype=np.int64),
        "s_nationkey": rng.integers(0, 25, n_supp).astype(np.int64),
        "s_acctbal": rng.uniform(-999, 9999, n_supp),
    })
    return {"lineitem": lineitem, "orders": orders, "customer": customer, "part": part,
            "supplier": supplier}


# name: (left, right, left key, right key, how, what it stands for); a name ending in
# "_small" takes a filtered left (orders of one quarter, as Q4's).
JOINS = {
    "li_orders": ("lineitem", "orders", "l_orderkey", "o_orderkey", "inner", "Q3/Q5/Q10: lineitem x orders"),
    "orders_li": ("orders", "lineitem", "o_orderkey", "l_orderkey", "inner", "the same, sides swapped"),
    "li_part": ("lineitem", "part", "l_partkey", "p_partkey", "inner", "Q14/Q19: lineitem x part"),
    "li_supp": ("lineitem", "supplier", "l_suppkey", "s_suppkey", "inner", "Q5/Q9: lineitem x supplier"),
    "orders_cust": ("orders", "customer", "o_custkey", "c_custkey", "inner", "Q3/Q10: orders x customer"),
    "cust_orders_left": ("customer", "orders", "c_custkey", "o_custkey", "left", "Q13: customer left join orders"),
    "orders_semi_small": ("orders", "lineitem", "o_orderkey", "l_orderkey", "semi", "Q4: a quarter's orders semi lineitem"),
    "cust_anti_orders": ("customer", "orders", "c_custkey", "o_custkey", "anti", "Q22: customers without orders"),
    "orders_full_cust": ("orders", "customer", "o_custkey", "c_custkey", "full", "a full join"),
}


def quarter(t):
    d = t.column("o_orderdate").to_numpy()
    return t.filter(pa.array((d >= 8582) & (d < 8674)))  # 1993-07-01 .. 1993-10-01


def lineitem_late(t):
    return t.filter(t.column("l_commit_lt_receipt"))


def sides(name, data):
    lname, rname, lk, rk, how, _ = JOINS[name]
    left, right = data[lname], data[rname]
    if name == "orders_semi_small":
        left, right = quarter(left), lineitem_late(right)
    return left, right, lk, rk, how


def summary(cols, n):
    """Row count and per-column sums of the numeric columns (nulls skipped)."""
    return n, {c: round(float(v), 3) if v is not None else None for c, v in cols.items()}


def sums_pl(df):
    out = {}
    for c, t in df.schema.items():
        if t.is_numeric():
            out[c] = df[c].cast(pl.Float64).sum()
    return summary(out, df.height)


def best(fn, repeat):
    """The best wall time, the process CPU time (every thread) of that run, and the result.
    On a loaded machine the CPU seconds are the steadier figure."""
    runs, res = [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        res = fn()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(runs), res


def run(name, data, repeat):
    left, right, lk, rk, how = sides(name, data)
    wl, wr = weft.from_arrow(left), weft.from_arrow(right)
    pl_l, pl_r = pl.from_arrow(left), pl.from_arrow(right)
    con = duckdb.connect()
    con.execute(f"SET threads TO {ARGS.threads}")
    con.register("l", left)
    con.register("r", right)
    con.execute("CREATE TABLE lt AS SELECT * FROM l")
    con.execute("CREATE TABLE rt AS SELECT * FROM r")
    # the whole output built, as weft's and Polars' joins build it
    sql = f"CREATE OR REPLACE TEMP TABLE out AS SELECT * FROM lt {how.upper()} JOIN rt ON lt.{lk} = rt.{rk}"
    t_w, got = best(lambda: wl.join(wr, left_on=lk, right_on=rk, how=how), repeat)
    report = weft.last_report()
    t_p, want = best(lambda: pl_l.join(pl_r, left_on=lk, right_on=rk, how=how), repeat)
    t_d, _ = best(lambda: con.execute(sql), repeat)
    duck_rows = con.execute("SELECT count(*) FROM out").fetchone()[0]
    g, w = sums_pl(got.to_polars()), sums_pl(want)
    same = g == w and duck_rows == g[0]
    return t_w, t_p, t_d, same, g, w, report


def main():
    rng = np.random.default_rng(7)
    data = tables(ARGS.sf, rng)
    print(f"sf {ARGS.sf}: lineitem {data['lineitem'].num_rows}, orders {data['orders'].num_rows}, "
          f"{ARGS.threads} threads, best of {ARGS.repeat}; weft {weft.__version__ if hasattr(weft, '__version__') else ''}"
          f" polars {pl.__version__} duckdb {duckdb.__version__}")
    print("wall seconds (best run), then that run's CPU seconds over all threads in brackets")
    print(f"{'join':<18} {'how':<5} {'weft s':>14} {'polars s':>14} {'duckdb s':>14} {'w/pl':>5} {'w/duck':>6}"
          f" {'cpu w/pl':>8} {'cpu w/duck':>10}  equal")
    names = [n for n in JOINS if not ARGS.only or n in ARGS.only.split(",")]
    bad = 0
    for name in names:
        t_w, t_p, t_d, same, g, w, report = run(name, data, ARGS.repeat)
        cell = lambda t: f"{t[0]:6.3f} ({t[1]:5.2f})"  # noqa: E731
        print(f"{name:<18} {JOINS[name][4]:<5} {cell(t_w):>14} {cell(t_p):>14} {cell(t_d):>14} "
              f"{t_w[0] / t_p[0]:5.2f} {t_w[0] / t_d[0]:6.2f} {t_w[1] / t_p[1]:8.2f} {t_w[1] / t_d[1]:10.2f}  "
              f"{'yes' if same else 'NO'}", flush=True)
        if not same:
            bad += 1
            print("  weft:", g, "\n  polars:", w, file=sys.stderr)
        if os.environ.get("JOINS_REPORT"):
            print("  " + report.replace("\n", "\n  "))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
