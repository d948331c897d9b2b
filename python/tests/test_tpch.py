"""TPC-H at scale factor 0.01: each of the 22 queries of bench/tpch_queries/weft_lazy.py (weft's
lazy API, written as Polars users write them) on each device, checked against DuckDB's
answer to the standard SQL text over the same Parquet files (bench/tpch_queries/answers.py:
floats and decimals within 1e-6 relative, rows as multisets, the ORDER BY columns in order).

The data is made once per session by tpchgen-cli (money columns decimal(15,2)); the same
queries also run over a copy whose money columns are float64, which tests the query plans
apart from the decimal type. A query that needs a feature weft lacks today is an xfail
(strict: once the feature is in and the query passes, the mark must go)."""

import os
import sys

import pytest

import weft
from device_skip import require

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench")
if not os.path.isdir(os.path.join(BENCH, "tpch_queries")):
    pytest.skip("bench/tpch_queries is not beside the tests", allow_module_level=True)
sys.path.insert(0, BENCH)
from tpch_queries import ORDER_BY, TABLES, answers, data, duckdb_sql, weft_lazy  # noqa: E402

SF = 0.01

# What each query needs that weft does not have yet (every table has a decimal(15,2) money
# column, so every query needs decimals to load its tables; the float64 copy does not).
NEEDS = {n: [] for n in range(1, 23)}


def _marks(n, money):
    needs = (["decimal128"] if money == "decimal" else []) + NEEDS[n]
    if not needs:
        return []
    return [pytest.mark.xfail(strict=True, reason="needs " + ", ".join(needs))]


CASES = [pytest.param(n, money, id=f"q{n}-{money}", marks=_marks(n, money))
         for money in ("decimal", "float64") for n in range(1, 23)]


class _Tables(dict):
    """Table name -> LazyFrame over the table read into weft; a table that failed to load
    raises its error in each query that uses it."""

    def __init__(self, folder):
        super().__init__()
        self.folder, self.failed, self.frames = folder, {}, {}

    def __missing__(self, name):
        if name not in self.failed:
            try:
                self.frames[name] = weft.read_parquet(data.path(self.folder, name))
            except weft.WeftError as e:
                self.failed[name] = e
        if name in self.failed:
            raise self.failed[name]
        self[name] = self.frames[name].lazy()
        return self[name]


class _TPCH:
    def __init__(self, root):
        self.root = root
        self.folders, self.tables, self.expected = {}, {}, {}

    def folder(self, money):
        if money not in self.folders:
            self.folders[money] = data.ensure(SF, self.root, money, threads=2)
        return self.folders[money]

    def weft_tables(self, money):
        if money not in self.tables:
            self.tables[money] = _Tables(self.folder(money))
        return self.tables[money]

    def answer(self, money, n):
        if (money, n) not in self.expected:
            import duckdb

            con = duckdb.connect()
            con.execute("SET threads = 2").fetchall()
            for t in TABLES:
                path = data.path(self.folder(money), t)
                con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')").fetchall()
            for q in range(1, 23):
                self.expected[(money, q)] = answers.from_arrow(con.sql(duckdb_sql.sql(q, SF)).to_arrow_table())
        return self.expected[(money, n)]


@pytest.fixture(scope="session")
def tpch(tmp_path_factory):
    return _TPCH(str(tmp_path_factory.mktemp("tpch")))


def test_data_is_tpch(tpch):
    """The generated tables: every one there, money columns decimal(15,2), the row counts of
    SF 0.01 (lineitem's about 60,000 of 6,001,215 x 0.01)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tpch.folder("decimal")
    rows = {t: pq.read_metadata(data.path(folder, t)).num_rows for t in TABLES}
    assert rows["region"] == 5 and rows["nation"] == 25
    assert rows["supplier"] == 100 and rows["customer"] == 1500 and rows["orders"] == 15000
    assert 55_000 < rows["lineitem"] < 65_000
    schema = pq.read_schema(data.path(folder, "lineitem"))
    assert schema.field("l_extendedprice").type == pa.decimal128(15, 2)
    f64 = pq.read_schema(data.path(tpch.folder("float64"), "lineitem"))
    assert f64.field("l_extendedprice").type == pa.float64()


def test_answers_compare_values_not_just_shapes():
    """The comparison fails on a changed value, a reordered ORDER BY column, a renamed column
    and a missing row, and allows only the documented tolerances."""
    from decimal import Decimal

    want = {"names": ["k", "v"], "columns": [["a", "b"], [Decimal("1.00"), 2.0]]}
    assert answers.differ({"names": ["k", "v"], "columns": [["b", "a"], [2.0, 1.0]]}, want) is None
    assert answers.differ({"names": ["k", "v"], "columns": [["b", "a"], [2.0, 1.0]]}, want, ["k"])
    assert answers.differ({"names": ["k", "v"], "columns": [["a", "b"], [1.0, 2.01]]}, want)
    assert answers.differ({"names": ["k", "w"], "columns": [["a", "b"], [1.0, 2.0]]}, want)
    assert answers.differ({"names": ["k", "v"], "columns": [["a"], [1.0]]}, want)
    assert answers.differ({"names": ["k", "v"], "columns": [["a", "b"], [1.0, 2.0 * (1 + 1e-7)]]},
                          want) is None
    assert answers.same_value(Decimal("0.03"), 0.0344)  # one unit of the decimal's last digit
    assert not answers.same_value(Decimal("0.03"), 0.0412)


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
@pytest.mark.parametrize("n, money", CASES)
def test_query(tpch, n, money, device):
    require(device)
    expected = tpch.answer(money, n)
    tables = tpch.weft_tables(money)
    got = weft_lazy.QUERIES[n](tables, SF).collect(device=device)
    d = answers.differ(answers.from_arrow(got.to_arrow()), expected, ORDER_BY[n])
    assert d is None, f"q{n} on {device} ({money} money): {d}\n{weft.last_report()}"
