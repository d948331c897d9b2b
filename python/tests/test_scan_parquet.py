"""weft.scan_parquet against Polars' scan_parquet on random files with nulls and NaN:
results equal for every predicate shape (translated to pyarrow or not), projection and
row-group pruning proven by the scan's report (row groups and columns read), NaN rows kept
where Polars keeps them although Parquet statistics leave NaN out, and errors."""

import datetime
import gc
import re

import numpy as np
import polars as pl
import polars.testing as plt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weft
from weft import _plan_callbacks, _scan_parquet, col

GROUP = 1000  # rows per row group


def _table(rng, n, start=0, null_rate=0.1):
    def nulls(arr):
        return pa.array(arr, mask=rng.random(n) < null_rate)

    f = rng.normal(size=n)
    f[rng.random(n) < 0.05] = np.nan
    return pa.table({
        "i": pa.array(np.arange(start, start + n, dtype=np.int64)),  # sorted: prunable
        "k": nulls(rng.integers(0, 7, n)),
        "f": nulls(f),
        "s": nulls(np.array([f"s{x}" for x in rng.integers(0, 5, n)])),
        "d": pa.array(((np.arange(start, start + n) // 50)).astype(np.int32), pa.int32()).cast(pa.date32()),
        "b": nulls(rng.random(n) < 0.5),
    })


@pytest.fixture
def files(rng, tmp_path):
    paths = []
    for j, n in enumerate([3 * GROUP + 17, 2 * GROUP, 1]):
        path = tmp_path / f"part{j}.parquet"
        pq.write_table(_table(rng, n, start=10_000 * j), path, row_group_size=GROUP)
        paths.append(str(path))
    return paths


def _report_counts():
    m = re.search(r"parquet: read (\d+) of (\d+) row groups, (\d+) rows, (\d+) columns?", weft.last_report())
    assert m, weft.last_report()
    return tuple(int(x) for x in m.groups())


PREDICATES = [
    (lambda c: c("i") < 1500, "translated"),
    (lambda c: (c("i") >= 10_500) & (c("i") < 11_200), "translated"),
    (lambda c: (c("i") < 100) | (c("i") > 20_000), "or"),
    (lambda c: ~(c("i") < 29_990), "not"),
    (lambda c: c("f") > 1.5, "float with NaN"),
    (lambda c: ~(c("f") >= 0.0), "not float"),
    (lambda c: c("f").is_null() | (c("k") == 3), "is_null"),
    (lambda c: c("s") == "s2", "string"),
    (lambda c: c("d") < datetime.date(1970, 1, 5), "date"),
    (lambda c: (c("k") > c("i") % 7) & (c("i") < 2000), "column vs column, half translated"),
    (lambda c: ~((c("k") > c("i") % 7) & (c("i") < 2000)), "not of a superset: not translated"),
    (lambda c: c("s").str.contains("3"), "untranslatable"),
    (lambda c: c("b"), "bare bool column"),
    (lambda c: c("i") < -5, "nothing matches"),
]


@pytest.mark.parametrize("i", range(len(PREDICATES)), ids=[p[1] for p in PREDICATES])
def test_filters_equal_polars(files, i):
    pred = PREDICATES[i][0]
    got = weft.scan_parquet(files).filter(pred(col)).collect()
    want = pl.scan_parquet(files).filter(pred(pl.col)).collect()
    plt.assert_frame_equal(got.to_polars(), want, check_dtypes=False)


def test_glob_folder_and_list_read_the_same(files, tmp_path):
    want = pl.read_parquet(files)
    for source in (files, str(tmp_path / "*.parquet"), str(tmp_path), files[0]):
        got = weft.scan_parquet(source).collect().to_polars()
        plt.assert_frame_equal(got, pl.read_parquet(source if source != str(tmp_path) else files),
                               check_dtypes=False)
    assert weft.scan_parquet(files).collect().height == want.height


def test_row_groups_pruned_and_columns_projected(files):
    lf = weft.scan_parquet(files).filter((col("i") >= 1200) & (col("i") < 2100)).select("i", "f")
    text = lf.explain()
    assert re.search(r"SCAN parquet .*2 of 6 columns \[i, f\] predicate", text), text
    got = lf.collect()
    read, total, rows, ncols = _report_counts()
    assert (read, total, ncols) == (2, 7, 2)  # groups [1000, 2000) and [2000, 3000) of 4 + 2 + 1
    assert rows == 2 * GROUP
    assert got["i"].to_list() == list(range(1200, 2100))


def test_nan_rows_kept_though_statistics_leave_nan_out(rng, tmp_path):
    # row group 0 holds only small numbers and NaN: its max (without NaN) is 0.5
    f = np.concatenate([np.where(np.arange(GROUP) % 3 == 0, np.nan, 0.5), np.full(GROUP, 2.0)])
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"f": f}), path, row_group_size=GROUP)
    for pred in (lambda c: c("f") > 1.0, lambda c: c("f") >= 1.0, lambda c: ~(c("f") <= 1.0)):
        got = weft.scan_parquet(str(path)).filter(pred(col)).collect()
        want = pl.scan_parquet(path).filter(pred(pl.col)).collect()
        plt.assert_frame_equal(got.to_polars(), want)
        assert got.height == GROUP + (GROUP + 2) // 3
    weft.scan_parquet(str(path)).filter(col("f") < 1.0).collect()
    assert _report_counts()[:2] == (1, 2)  # NaN < 1 is false: the 2.0 group is skipped


def test_filter_pushed_below_operators_reaches_the_scan(files):
    lf = (weft.scan_parquet(files).with_columns((col("f") * 2).alias("f2"))
          .sort("i").filter(col("i") < 900).group_by("k").agg(col("f2").sum()).sort("k"))
    plf = (pl.scan_parquet(files).with_columns((pl.col("f") * 2).alias("f2"))
           .sort("i").filter(pl.col("i") < 900).group_by("k").agg(pl.col("f2").sum()).sort("k"))
    plt.assert_frame_equal(lf.collect().to_polars(), plf.collect(), check_dtypes=False)
    assert _report_counts()[:2] == (1, 7)


def test_aggregate_only_reads_the_columns_it_needs(files):
    got = weft.scan_parquet(files).select(col("f").sum(), weft.len()).collect()
    want = pl.scan_parquet(files).select(pl.col("f").sum(), pl.len()).collect()
    assert got["len"].to_list() == want["len"].to_list()
    np.testing.assert_allclose(got["f"].to_list(), want["f"].to_list(), equal_nan=True)
    assert _report_counts()[3] == 1


def test_join_of_two_scans(files):
    left = weft.scan_parquet(files[0]).filter(col("i") < 2500)
    right = weft.scan_parquet(files[0]).select("i", col("k").alias("k2"))
    got = left.join(right, on="i").collect().to_polars()
    pleft = pl.scan_parquet(files[0]).filter(pl.col("i") < 2500)
    pright = pl.scan_parquet(files[0]).select("i", pl.col("k").alias("k2"))
    want = pleft.join(pright, on="i").collect().sort("i")
    plt.assert_frame_equal(got.sort("i"), want, check_dtypes=False)


def test_translation_of_predicates(files):
    src = _scan_parquet._Source(__import__("pyarrow.dataset").dataset.dataset(files), files)
    tr = lambda e: str(_scan_parquet.to_arrow_filter(e._handle, src))  # noqa: E731
    assert tr((col("i") > 5) & col("s").str.contains("x")) == "(i > 5)"  # the AND keeps a side
    assert tr(5 < col("i")) == "(i > 5)"  # the literal on the left: flipped
    assert tr(col("f") > 0.5) == "None"  # NaN is above 0.5; statistics leave NaN out
    assert tr(col("f") < 0.5) == "(f < 0.5)"
    assert tr(~(col("f") < 0.5)) == "None"
    assert tr(~(col("i") > 5)) == "invert((i > 5))"
    assert tr(~((col("i") > 5) & col("s").str.contains("x"))) == "None"
    assert tr((col("i") > 5) | col("s").str.contains("x")) == "None"
    assert tr(col("k").is_null()) == "is_null(k, {nan_is_null=false})"


def test_empty_result_and_schema(files):
    lf = weft.scan_parquet(files)
    assert lf.columns == ["i", "k", "f", "s", "d", "b"]
    assert lf.schema["d"] == "date32"
    got = lf.filter(col("i") < -1).collect()
    assert got.height == 0 and got.columns == lf.columns
    assert _report_counts()[0] == 0


def test_bad_sources_raise(tmp_path, files):
    with pytest.raises(weft.NotFoundError, match="no such file"):
        weft.scan_parquet(str(tmp_path / "absent.parquet"))
    with pytest.raises(weft.NotFoundError, match="no file matches"):
        weft.scan_parquet(str(tmp_path / "*.nothing"))
    with pytest.raises(weft.InvalidArgumentError, match="scan_parquet"):
        weft.scan_parquet([])
    with pytest.raises(weft.NotFoundError):
        weft.scan_parquet(files).filter(col("nope") > 1)


def test_a_failing_read_raises_its_own_error(tmp_path, rng):
    path = tmp_path / "gone.parquet"
    pq.write_table(_table(rng, 10), path)
    lf = weft.scan_parquet(str(path))
    path.unlink()
    with pytest.raises(OSError):
        lf.collect()
    assert _plan_callbacks.take_error() is None  # taken once


def test_sources_released_with_their_plans(files):
    gc.collect()
    before = len(_scan_parquet._sources)
    lf = weft.scan_parquet(files).filter(col("i") < 5)
    lf2 = lf.select("i")
    assert len(_scan_parquet._sources) == before + 1
    del lf
    gc.collect()
    assert len(_scan_parquet._sources) == before + 1  # lf2 still holds the scan
    assert lf2.collect().height == 5
    del lf2
    gc.collect()
    assert len(_scan_parquet._sources) == before


def test_literals_take_the_column_type_and_pruning_never_fails_the_query(tmp_path):
    """Files as tpchgen-cli writes them: string_view text and decimal(15,2) money. pyarrow's
    statistics filter has no string_view == string kernel and cannot compare decimal(15,2)
    with an int64 literal as is: the literal is converted (so pruning still works), a float
    bound of a decimal column is not used to prune, and whatever pyarrow cannot apply skips
    pruning rather than failing the query; answers as Polars'."""
    import decimal
    n = 4 * GROUP
    money = [decimal.Decimal(i % 5000) / 100 for i in range(n)]  # sorted per row group
    t = pa.table({
        "s": pa.array([f"k{i // GROUP}" for i in range(n)], pa.string_view()),
        "m": pa.array(sorted(money), pa.decimal128(15, 2)),
        "q": pa.array(np.arange(n) % 50, pa.int64()),
    })
    path = tmp_path / "sv.parquet"
    pq.write_table(t, path, row_group_size=GROUP)
    p = pl.scan_parquet(path)
    cases = [
        (lambda c: c("s") == "k2", 1),                      # string_view column, str literal
        (lambda c: c("m") < 5, 1),                          # decimal column, int literal
        (lambda c: (c("m") >= 0.05) & (c("m") <= 0.07), 4),  # float bounds: no pruning
    ]
    for pred, groups in cases:
        got = weft.scan_parquet(str(path)).filter(pred(col)).collect()
        assert _report_counts()[0] == groups, weft.last_report()
        want = p.filter(pred(pl.col)).collect()
        assert got.height == want.height
        plt.assert_frame_equal(got.to_polars(), want, check_dtypes=False)
