"""Date and datetime literals compared with date and timestamp columns (against Polars), and
Parquet read / write through pyarrow (round trips with nulls, empty and one-row frames)."""

import datetime

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weft
from weft import col, lit


def _frame(rng, n):
    days = rng.integers(-20000, 20000, n)
    micros = rng.integers(-(10**15), 10**15, n)
    valid = rng.random(n) > 0.1
    table = pa.table({
        "d": pa.array(days.astype("int32"), pa.int32(), mask=~valid).cast(pa.date32()),
        "t": pa.array(micros, pa.int64(), mask=~valid).cast(pa.timestamp("us")),
        "v": pa.array(rng.random(n), mask=rng.random(n) < 0.1),
    })
    return table


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_date_and_datetime_literals_filter_like_polars(rng, n):
    table = _frame(rng, n)
    df, pf = weft.from_arrow(table), pl.from_arrow(table)
    cases = [
        (col("d") >= lit(datetime.date(1990, 3, 4)), pl.col("d") >= pl.lit(datetime.date(1990, 3, 4))),
        (col("d") < lit(datetime.date(1901, 1, 1)), pl.col("d") < pl.lit(datetime.date(1901, 1, 1))),
        (col("t") > lit(datetime.datetime(2001, 2, 3, 4, 5, 6, 789)),
         pl.col("t") > pl.lit(datetime.datetime(2001, 2, 3, 4, 5, 6, 789))),
        (col("t") <= lit(np.datetime64("1969-12-31T23:59:59.000001")),
         pl.col("t") <= pl.lit(datetime.datetime(1969, 12, 31, 23, 59, 59, 1))),
        (col("d") == lit(np.datetime64("1975-06-01")), pl.col("d") == pl.lit(datetime.date(1975, 6, 1))),
    ]
    for ours, theirs in cases:
        got = df.filter(ours).to_polars()
        want = pf.filter(theirs)
        assert got.equals(want), (str(ours), got, want)


def test_aware_datetime_is_taken_in_utc():
    tz = datetime.timezone(datetime.timedelta(hours=2))
    df = weft.DataFrame({"t": np.array(["2020-01-01T00:00:00", "2020-01-01T02:00:00"],
                                       dtype="datetime64[us]")})
    out = df.filter(col("t") == lit(datetime.datetime(2020, 1, 1, 2, 0, tzinfo=tz)))
    assert out.height == 1
    assert out["t"].to_list() == [datetime.datetime(2020, 1, 1, 0, 0)]


def test_nat_literal_is_refused():
    with pytest.raises(weft.InvalidArgumentError, match="NaT"):
        lit(np.datetime64("NaT"))


@pytest.mark.parametrize("n", [0, 1, 777])
def test_parquet_round_trip(rng, tmp_path, n):
    table = _frame(rng, n).append_column("s", pa.array(
        [None if i % 7 == 0 else f"row {i}" for i in range(n)], pa.string()))
    df = weft.from_arrow(table)
    path = tmp_path / "x.parquet"
    df.write_parquet(path)
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]  # no temporary left behind
    assert pq.read_table(path).equals(table)
    back = weft.read_parquet(path)
    assert back.to_arrow().equals(table)
    assert weft.read_parquet(path, columns=["v", "s"]).columns == ["v", "s"]


def test_parquet_errors_keep_the_old_file(tmp_path):
    path = tmp_path / "x.parquet"
    weft.DataFrame({"a": np.arange(3)}).write_parquet(path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        weft.DataFrame({"a": np.arange(5)}).write_parquet(path, no_such_option=1)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]
    with pytest.raises(Exception):
        weft.read_parquet(tmp_path / "missing.parquet")


# ---------------------------------------------------------------------------- ns timestamps


def test_pandas_ns_timestamps_become_microseconds():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    us = np.array(["2024-01-01T00:00:00.000001", "NaT", "1999-12-31T23:59:59"], dtype="datetime64[us]")
    ns = pd.DataFrame({"t": pd.Series(us.astype("datetime64[ns]"))})
    assert str(ns["t"].dtype) == "datetime64[ns]"
    for df in (weft.from_arrow(ns), weft.DataFrame(ns), weft.DataFrame({"t": ns["t"]})):
        assert df.schema == {"t": "timestamp[us]"}
        got = df["t"].to_list()
        assert got[1] is None
        assert got[0] == datetime.datetime(2024, 1, 1, 0, 0, 0, 1)


def test_ns_timestamps_that_would_lose_data_raise_weft_errors():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    lossy = pd.DataFrame({"when": pd.Series([1_704_067_200_000_000_001], dtype="datetime64[ns]")})
    for make, where in ((weft.from_arrow, "weft.from_arrow"), (weft.DataFrame, "weft.DataFrame")):
        with pytest.raises(weft.InvalidArgumentError) as e:
            make(lossy)
        assert str(e.value).startswith(where + ": column 'when'"), str(e.value)
