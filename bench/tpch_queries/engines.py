"""The engines of bench/tpch.py, each as a child process uses it: created there (so the
library loads in the child, with its thread count set first), tables loaded into memory
(`load`) or opened over the Parquet files (`scan`), a query run (`run`) and its answer made
plain data (`answer`)."""

import os
import time

from . import TABLES, USES, answers, data


class WeftEngine:
    name = "weft"

    def __init__(self, args):
        os.environ["WEFT_NUM_THREADS"] = str(args.threads)
        import weft
        from . import weft_lazy

        self.w, self.q, self.device = weft, weft_lazy.QUERIES, args.weft_device
        self.keep = {}

    def load(self, table, path):
        df = self.w.read_parquet(path)
        self.keep[table] = df  # the LazyFrame shares its buffers
        return df.lazy()

    def scan(self, table, path):
        return self.w.scan_parquet(path)

    def run(self, n, tables, sf):
        return self.q[n](tables, sf).collect(device=self.device)

    def answer(self, res):
        return answers.from_arrow(res.to_arrow())

    def note(self):
        return self.w.last_device() or ""

    def report(self):
        return self.w.last_report()


class PolarsEngine:
    name = "polars"

    def __init__(self, args):
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        import polars as pl
        from . import polars_lazy

        self.pl, self.q = pl, polars_lazy.QUERIES

    def load(self, table, path):
        return self.pl.read_parquet(path).lazy()

    def scan(self, table, path):
        return self.pl.scan_parquet(path)

    def run(self, n, tables, sf):
        return self.q[n](tables, sf).collect()

    def answer(self, res):
        return answers.from_arrow(res.to_arrow())

    def note(self):
        return ""


class DuckDBEngine:
    """Tables (memory: CREATE TABLE AS read_parquet) or views over the files (files); each
    run is the query's SQL with its (small) answer fetched as Arrow."""

    name = "duckdb"

    def __init__(self, args):
        import duckdb
        from . import duckdb_sql

        self.duckdb, self.sql = duckdb, duckdb_sql.sql
        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {int(args.threads)}").fetchall()

    def load(self, table, path):
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet('{path}')").fetchall()
        return table

    def scan(self, table, path):
        self.con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{path}')").fetchall()
        return table

    def run(self, n, tables, sf):
        for t in USES[n]:
            tables[t]  # a table that failed to load raises here, as in the other engines
        return self.con.sql(self.sql(n, sf)).to_arrow_table()

    def answer(self, res):
        return answers.from_arrow(res)

    def note(self):
        return ""


ENGINE_TYPES = {"weft": WeftEngine, "polars": PolarsEngine, "duckdb": DuckDBEngine}


class Tables(dict):
    """Table name -> the engine's table; a table that failed to load raises its error when a
    query asks for it (so the queries that do not use it still run)."""

    def __init__(self, failed, verb):
        super().__init__()
        self.failed, self.verb = failed, verb

    def __missing__(self, name):
        if name in self.failed:
            raise RuntimeError(f"{self.verb} {name}: {self.failed[name]}")
        raise KeyError(name)


def open_tables(eng, mode, folder, queries):
    """The tables the queries use, each loaded (memory) or opened as a scan (files); seconds."""
    t0 = time.perf_counter()
    tables = Tables({}, "loading" if mode == "memory" else "scanning")
    for t in TABLES:
        if not any(t in USES[n] for n in queries):
            continue
        try:
            fn = eng.load if mode == "memory" else eng.scan
            tables[t] = fn(t, data.path(folder, t))
        except Exception as e:  # noqa: BLE001 (reported with each query that uses it)
            tables.failed[t] = f"{type(e).__name__}: {e}"
    return tables, time.perf_counter() - t0
