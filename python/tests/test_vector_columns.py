"""Vector columns (array[f32, dim]) inside tables: building them from numpy and lists,
round trips through pyarrow, Polars, pandas and Parquet, carrying them through filter,
slice, sort, concat and joins, the distance expressions against numpy in float64, and
nearest (eager and lazy, pre-filtered, batched) against a numpy ground truth over the rows
that pass, with nulls in the vectors and in the filter columns, empty and all-pass filters,
one row and dims 1, 3 and 130. Devices: tables with vector columns still run there."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weft
from device_skip import require
from weft import col

DIMS = [1, 3, 130]


def vectors(n, dim, seed=0, null_rate=0.2):
    """(float32 (n, dim) array, bool valid array) of random vectors with nulls."""
    rng = np.random.default_rng(seed * 1000 + n * 7 + dim)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    valid = rng.random(n) >= null_rate
    return x, valid


def masked(x, valid):
    return np.ma.masked_array(x, mask=np.repeat(~valid[:, None], x.shape[1], axis=1))


def shop(n, dim, seed=0):
    """A frame of products: a vector with nulls, a price with nulls, a stock flag with nulls,
    a name; and the same data as numpy (price NaN and stock None for nulls)."""
    rng = np.random.default_rng(seed + 17 * n + dim)
    x, valid = vectors(n, dim, seed)
    price = np.round(rng.uniform(0, 40, n), 2)
    price_null = rng.random(n) < 0.1
    stock = rng.random(n) < 0.7
    stock_null = rng.random(n) < 0.1
    df = weft.DataFrame({
        "emb": masked(x, valid),
        "price": np.ma.masked_array(price, mask=price_null),
        "in_stock": np.ma.masked_array(stock, mask=stock_null),
        "name": [f"p{i}" for i in range(n)],
    })
    ref = dict(x=x, valid=valid, price=np.where(price_null, np.nan, price),
               in_stock=stock & ~stock_null)
    return df, ref


def distances(x, q, metric):
    x64, q64 = x.astype(np.float64), np.asarray(q, dtype=np.float64)
    if metric == "l2":
        return ((x64 - q64) ** 2).sum(axis=1)
    if metric == "dot":
        return x64 @ q64
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - (x64 @ q64) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(q64))


def reference_nearest(x, ok, q, k, metric):
    """Rows (ascending distance, ties to the smaller row) and distances among rows `ok`."""
    d = distances(x, q, metric)
    if metric == "dot":
        d = -d
    rows = np.flatnonzero(ok)
    order = np.lexsort((rows, d[rows]))
    return rows[order][:k], d[rows[order][:k]]


def check_nearest(got, x, ok, q, k, metric):
    """`got` holds the reference's rows (its "name" column) and distances; a row may differ
    from the reference only where its distance ties another within float32 rounding."""
    rows, want = reference_nearest(x, ok, q, k, metric)
    assert got.height == len(rows)
    dist = got["_distance"].to_numpy().astype(np.float64)
    scale = np.abs(want).max() if len(want) else 1.0
    np.testing.assert_allclose(dist, want, rtol=1e-4, atol=1e-4 * max(scale, 1.0))
    names = [int(s[1:]) for s in got["name"].to_list()]
    for i, (g, w) in enumerate(zip(names, rows.tolist())):
        if g != w:  # only a near tie may swap rows
            dg = distances(x[[g]], q, metric)[0] * (-1 if metric == "dot" else 1)
            assert abs(dg - want[i]) <= 1e-4 * max(scale, 1.0), (i, g, w)
    assert np.all(np.diff(dist) >= -1e-6 * max(scale, 1.0))  # nearest first


# ---------------------------------------------------------------------------- building


@pytest.mark.parametrize("dim", DIMS)
def test_a_2d_float32_array_is_a_vector_column_without_a_copy(dim):
    x, _ = vectors(11, dim)
    df = weft.DataFrame({"emb": x})
    assert df.schema == {"emb": f"array[f32, {dim}]"}
    back = df["emb"].to_numpy()
    assert back.shape == (11, dim) and back.dtype == np.float32
    assert np.shares_memory(back, x)
    np.testing.assert_array_equal(back, x)


def test_float64_and_integer_arrays_are_converted_to_float32():
    x = np.arange(12, dtype=np.float64).reshape(4, 3) / 7
    df = weft.DataFrame({"emb": x, "ints": np.arange(8).reshape(4, 2)})
    assert df.schema == {"emb": "array[f32, 3]", "ints": "array[f32, 2]"}
    np.testing.assert_array_equal(df["emb"].to_numpy(), x.astype(np.float32))


def test_masked_rows_and_none_in_lists_are_null_vectors():
    x, valid = vectors(9, 3)
    df = weft.DataFrame({"a": masked(x, valid),
                         "b": [list(map(float, r)) if v else None for r, v in zip(x, valid)]})
    for name in ("a", "b"):
        assert df[name].null_count() == int((~valid).sum())
        got = df[name].to_numpy()
        np.testing.assert_array_equal(got[valid], x[valid])
        assert np.isnan(got[~valid]).all()
        assert [r is None for r in df[name].to_list()] == (~valid).tolist()


def test_ragged_lists_and_partly_masked_rows_are_refused():
    with pytest.raises(weft.InvalidArgumentError, match=r"column 'v': row 2 holds 2 values but row 0 holds 3"):
        weft.DataFrame({"v": [[1, 2, 3], None, [1, 2]]})
    m = np.ma.masked_array(np.ones((2, 3)), mask=[[0, 1, 0], [0, 0, 0]])
    with pytest.raises(weft.InvalidArgumentError, match="row 0 is partly masked"):
        weft.DataFrame({"v": m})
    with pytest.raises(weft.InvalidArgumentError, match="vector column takes numbers"):
        weft.DataFrame({"v": np.array([["a", "b"]])})


# ---------------------------------------------------------------------------- interchange


@pytest.mark.parametrize("dim", DIMS)
def test_round_trips_through_pyarrow_polars_pandas_and_parquet(dim, tmp_path):
    x, valid = vectors(37, dim, seed=3)
    df = weft.DataFrame({"emb": masked(x, valid), "i": np.arange(37)})
    table = df.to_arrow()
    assert table.schema.field("emb").type == pa.list_(pa.float32(), dim)
    assert table.column("emb").null_count == int((~valid).sum())
    assert weft.from_arrow(table).equals(df)

    pdf = pl.DataFrame(df)
    assert pdf.schema["emb"] == pl.Array(pl.Float32, dim)
    want = pl.DataFrame({"emb": pl.Series([list(r) if v else None for r, v in zip(x, valid)],
                                          dtype=pl.Array(pl.Float32, dim)), "i": np.arange(37)})
    assert pdf.equals(want)
    assert weft.from_arrow(want).equals(df)
    assert weft.DataFrame({"emb": want["emb"]}).schema == {"emb": f"array[f32, {dim}]"}

    pan = df.to_pandas()
    assert pan["emb"].isna().tolist() == (~valid).tolist()
    np.testing.assert_array_equal(np.stack(pan["emb"][valid].to_list()), x[valid])

    path = tmp_path / "v.parquet"
    df.write_parquet(path)
    assert pq.read_schema(path).field("emb").type == pa.list_(pa.float32(), dim)
    assert weft.read_parquet(path).equals(df)


def test_a_sliced_arrow_array_is_read_at_its_offset():
    x, valid = vectors(20, 4, seed=5)
    arr = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), 4, mask=pa.array(~valid))
    table = pa.table({"emb": arr}).slice(5, 9)
    got = weft.from_arrow(table)["emb"].to_numpy()
    np.testing.assert_array_equal(got[valid[5:14]], x[5:14][valid[5:14]])
    assert np.isnan(got[~valid[5:14]]).all()


def test_arrow_vectors_of_other_floats_and_null_elements_are_refused_naming_the_column():
    f64 = pa.table({"v": pa.array([[1.0, 2.0]], type=pa.list_(pa.float64(), 2))})
    with pytest.raises(weft.UnsupportedError, match=r'"v".*float32.*pl.Array\(pl.Float32, 2\)'):
        weft.from_arrow(f64)
    holes = pa.table({"v": pa.array([[1.0, None]], type=pa.list_(pa.float32(), 2))})
    with pytest.raises(weft.UnsupportedError, match='"v": row 0 holds a null at element 1'):
        weft.from_arrow(holes)


# ---------------------------------------------------------------------------- carried like any column


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("n", [0, 1, 70, 5000])
def test_filter_slice_sort_take_concat_and_join_carry_vectors(dim, n):
    df, r = shop(n, dim, seed=1)
    x, valid = r["x"], r["valid"]
    names = np.array([f"p{i}" for i in range(n)], dtype=object)

    def rows_of(frame):
        got = frame["emb"].to_numpy()
        idx = [int(s[1:]) for s in frame["name"].to_list()]
        assert got.shape == (len(idx), dim)
        v = valid[idx]
        np.testing.assert_array_equal(got[v], x[idx][v])
        assert np.isnan(got[~v]).all()
        return idx

    keep = r["price"] < 20
    assert rows_of(df.filter(col("price") < 20)) == np.flatnonzero(keep).tolist()
    assert rows_of(df.slice(n // 3, 17)) == list(range(n // 3, min(n, n // 3 + 17)))
    assert rows_of(df.head(3)) == list(range(min(n, 3)))
    order = pl.DataFrame({"p": r["price"], "i": np.arange(n)}, nan_to_null=True).sort(
        "p", descending=True, nulls_last=True, maintain_order=True)["i"].to_list()
    assert rows_of(df.sort("price", descending=True, nulls_last=True)) == order
    both = weft.concat([df, df.slice(0, 5)])
    assert rows_of(both) == list(range(n)) + list(range(min(n, 5)))
    right = weft.DataFrame({"name": names[::-2].tolist() if n else [], "w": np.arange(len(names[::-2]))})
    joined = df.join(right, on="name", how="inner")
    assert sorted(rows_of(joined)) == sorted(int(s[1:]) for s in names[::-2])
    assert set(rows_of(df.lazy().filter(col("in_stock")).sort("name").collect())) == set(
        np.flatnonzero(r["in_stock"]).tolist())


def test_operations_that_cannot_take_a_vector_name_the_column():
    df, _ = shop(10, 3)
    with pytest.raises(weft.InvalidArgumentError, match='DataFrame.sort: column "emb" is array\\[f32, 3\\]'):
        df.sort("emb")
    with pytest.raises(weft.InvalidArgumentError, match='column "emb" is array\\[f32, 3\\]; a vector column cannot be a key'):
        df.group_by("emb").agg(col("price").sum())
    with pytest.raises(weft.InvalidArgumentError, match='join: column "emb"'):
        df.join(df, on="emb")
    with pytest.raises(weft.InvalidArgumentError, match='array\\[f32, 3\\] column "emb"'):
        df.with_columns(col("emb") * 2)
    with pytest.raises(weft.InvalidArgumentError, match='array\\[f32, 3\\] column "emb"'):
        df.filter(col("emb") == col("emb"))
    with pytest.raises(weft.InvalidArgumentError, match='sum of "emb"'):
        df.group_by("name").agg(col("emb").sum())
    with pytest.raises(weft.InvalidArgumentError, match='column "emb" is array\\[f32, 3\\]; CSV'):
        df.write_csv("/dev/null")
    nulls = df.select(col("emb").is_null().alias("n"), col("emb").alias("e"))
    assert nulls.schema == {"n": "bool", "e": "array[f32, 3]"}


# ---------------------------------------------------------------------------- distance expressions


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("n", [0, 1, 4099, 9001])
def test_distance_expressions_match_numpy_in_float64(dim, n):
    x, valid = vectors(n, dim, seed=2)
    x[:1] = 0  # a zero vector: NaN cosine distance, as numpy
    q = np.random.default_rng(dim).standard_normal(dim)
    df = weft.DataFrame({"emb": masked(x, valid)})
    out = df.select(col("emb").l2_distance(q).alias("l2"), col("emb").cosine_distance(q.tolist()).alias("cos"),
                    col("emb").dot(q.astype(np.float32)).alias("dot"))
    assert out.schema == {"l2": "float32", "cos": "float32", "dot": "float32"}
    q32 = q.astype(np.float32)
    for name, metric in (("l2", "l2"), ("cos", "cosine"), ("dot", "dot")):
        got = out[name].to_numpy()
        assert out[name].null_count() == int((~valid).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            want = distances(x, q32, metric).astype(np.float32)
        np.testing.assert_allclose(got[valid], want[valid], rtol=2e-7, atol=1e-6)
        assert np.isnan(got[~valid]).all()


def test_distance_expressions_compose_in_filters_and_reject_bad_queries():
    x, valid = vectors(300, 3, seed=4)
    df = weft.DataFrame({"emb": masked(x, valid), "i": np.arange(300)})
    q = [0.5, -1.0, 2.0]
    got = df.filter(col("emb").l2_distance(q) < 4)["i"].to_list()
    assert got == np.flatnonzero(valid & (distances(x, np.float32(q), "l2") < 4)).tolist()
    with pytest.raises(weft.InvalidArgumentError, match='query has 2 values but column "emb" holds vectors of 3'):
        df.select(col("emb").l2_distance([1, 2]))
    with pytest.raises(weft.InvalidArgumentError, match=r'col\("emb"\).dot\(...\): query\[1\] is nan'):
        col("emb").dot([1.0, float("nan"), 2.0])
    with pytest.raises(weft.InvalidArgumentError, match=r"cosine_distance\(...\): the query must be a 1-D"):
        col("emb").cosine_distance("abc")
    with pytest.raises(weft.InvalidArgumentError, match=r'cannot apply l2_distance to int64 col\("i"\)'):
        df.select(col("i").l2_distance([1.0]))


# ---------------------------------------------------------------------------- nearest


@pytest.mark.parametrize("metric", ["l2", "cosine", "dot"])
@pytest.mark.parametrize("dim", DIMS)
def test_the_10_nearest_in_stock_under_20_with_their_names(metric, dim):
    df, r = shop(3000, dim, seed=7)
    q = np.random.default_rng(dim).standard_normal(dim).astype(np.float32)
    ok = r["valid"] & r["in_stock"] & (r["price"] < 20)
    pred = col("in_stock") & (col("price") < 20)
    below = df.lazy().filter(pred).nearest("emb", q, k=10, metric=metric).select("name", "_distance")
    above = df.lazy().nearest("emb", q, k=10, metric=metric).filter(pred).select("name", "_distance")
    for lf in (below, above):
        text = lf.explain()
        assert f"prefilter: {pred}" in text and f"({int((r['in_stock'] & (r['price'] < 20)).sum())} of 3000 rows)" in text
        check_nearest(lf.collect(), r["x"], ok, q, 10, metric)
    assert "prefilter:" in weft.last_report() and "candidates:" in weft.last_report()


@pytest.mark.parametrize("selectivity", [0.0, 0.001, 0.01, 0.5, 1.0])
def test_k_rows_come_back_whenever_k_rows_pass_at_any_selectivity(selectivity):
    n = 20000
    x, valid = vectors(n, 8, seed=9, null_rate=0.05)
    u = np.random.default_rng(1).random(n)
    df = weft.DataFrame({"emb": masked(x, valid), "u": u, "name": [f"p{i}" for i in range(n)]})
    q = np.ones(8, dtype=np.float32)
    got = df.lazy().filter(col("u") < selectivity).nearest("emb", q, k=10).collect()
    ok = valid & (u < selectivity)
    assert got.height == min(10, int(ok.sum()))
    check_nearest(got, x, ok, q, 10, "l2")


def test_no_filter_one_row_fewer_rows_than_k_and_all_null_vectors():
    x, valid = vectors(1, 3, seed=1, null_rate=0.0)
    one = weft.DataFrame({"emb": x, "name": ["p0"]})
    got = one.nearest("emb", [0, 0, 0], k=5)
    assert got.height == 1 and got["name"].to_list() == ["p0"]
    df, r = shop(50, 3, seed=2)
    check_nearest(df.nearest("emb", [1, 2, 3], k=100), r["x"], r["valid"], np.float32([1, 2, 3]), 100, "l2")
    dead = weft.DataFrame({"emb": masked(x, np.array([False])), "name": ["p0"]})
    assert dead.nearest("emb", [1, 2, 3], k=3).height == 0
    empty = weft.DataFrame({"emb": np.zeros((0, 3), np.float32), "name": []})
    out = empty.nearest("emb", [1, 2, 3], k=3)
    assert out.height == 0 and out.schema == {"emb": "array[f32, 3]", "name": "float64", "_distance": "float32"}


def test_ties_go_to_the_smaller_row():
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]], dtype=np.float32)
    df = weft.DataFrame({"emb": x, "name": [f"p{i}" for i in range(5)]})
    assert df.nearest("emb", [1, 0], k=4)["name"].to_list() == ["p0", "p2", "p4", "p1"]


@pytest.mark.parametrize("metric", ["l2", "cosine", "dot"])
def test_a_batch_of_queries_gives_k_rows_per_query_with_query(metric):
    df, r = shop(500, 5, seed=3)
    Q = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    ok = r["valid"] & (r["price"] > 10)
    got = df.lazy().filter(col("price") > 10).nearest("emb", Q, k=6, metric=metric).collect()
    assert got.schema["_query"] == "uint32"
    assert got["_query"].to_list() == [i for i in range(4) for _ in range(6)]
    for i in range(4):
        check_nearest(got.filter(col("_query") == i), r["x"], ok, Q[i], 6, metric)


def test_a_filter_on_the_distance_stays_above_nearest():
    df, r = shop(400, 3, seed=4)
    q = np.float32([0.1, 0.2, 0.3])
    lf = df.lazy().nearest("emb", q, k=20).filter(col("_distance") < 2.0)
    assert "prefilter" not in lf.explain()
    rows, d = reference_nearest(r["x"], r["valid"], q, 20, "l2")
    assert lf.collect()["name"].to_list() == [f"p{i}" for i in rows[d < 2.0]]


def test_nearest_bad_input_names_the_call_and_the_value():
    df, _ = shop(20, 3)
    lf = df.lazy()
    cases = [
        (dict(column="price", query=[1, 2, 3]), "column 'price' is float64, not a vector column"),
        (dict(column="nope", query=[1, 2, 3]), "no column 'nope'"),
        (dict(column="emb", query=[1, 2]), "the query has 2 values but column 'emb' holds vectors of 3"),
        (dict(column="emb", query=[1, 2, 3], k=0), "k=0; k must be an int >= 1"),
        (dict(column="emb", query=[1, 2, 3], k=-3), "k=-3"),
        (dict(column="emb", query=[1, 2, 3], k=2.5), "k=2.5"),
        (dict(column="emb", query=[1, 2, 3], metric="hamming"), "metric='hamming'"),
        (dict(column="emb", query=["a", "b", "c"]), "dtype <U1"),
        (dict(column="emb", query=[1, np.inf, 3]), r"query\[1\] is inf"),
        (dict(column="emb", query=[0, 0, 0], metric="cosine"), "all zeros"),
        (dict(column="emb", query=np.ones((2, 2, 3))), r"shape \(2, 2, 3\)"),
    ]
    for kwargs, message in cases:
        with pytest.raises(weft.InvalidArgumentError, match=message) as info:
            lf.nearest(**kwargs)
        assert "LazyFrame.nearest" in str(info.value)
    with pytest.raises(weft.InvalidArgumentError, match="DataFrame.nearest: k=0"):
        df.nearest("emb", [1, 2, 3], k=0)


def test_a_nan_vector_among_the_candidates_is_an_error_naming_its_row():
    x = np.ones((4, 2), dtype=np.float32)
    x[2, 1] = np.nan
    df = weft.DataFrame({"emb": x, "i": np.arange(4)})
    with pytest.raises(weft.InvalidArgumentError, match='column "emb" row 2 holds nan at element 1'):
        df.nearest("emb", [1, 1], k=2)
    zero = weft.DataFrame({"emb": np.float32([[1, 0], [0, 0]])})
    with pytest.raises(weft.InvalidArgumentError, match='row 1 is all zeros'):
        zero.nearest("emb", [1, 1], k=2, metric="cosine")
    assert zero.nearest("emb", [1, 1], k=2)["_distance"].to_list() == [1.0, 2.0]
    assert df.lazy().filter(col("i") != 2).nearest("emb", [1, 1], k=2).collect()["i"].to_list() == [0, 1]


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_tables_with_vectors_run_on_devices_or_fall_back_with_the_reason(device):
    require(device)
    df, r = shop(5000, 130, seed=11)
    x, valid = r["x"], r["valid"]
    got = df.filter(col("price") < 20, device=device)
    idx = [int(s[1:]) for s in got["name"].to_list()]
    assert idx == np.flatnonzero(r["price"] < 20).tolist()
    v = valid[idx]
    np.testing.assert_array_equal(got["emb"].to_numpy()[v], x[idx][v])
    srt = df.sort("price", device=device)
    assert [int(s[1:]) for s in srt["name"].to_list()] == pl.DataFrame(
        {"p": r["price"]}, nan_to_null=True).with_row_index().sort("p", maintain_order=True)["index"].to_list()
    q = np.ones(130, dtype=np.float32)
    out = df.select(col("emb").l2_distance(q).alias("d"), device=device)
    assert "vector expression" in weft.last_report() and "runs on the CPU" in weft.last_report()
    np.testing.assert_allclose(out["d"].to_numpy()[valid], distances(x, q, "l2")[valid], rtol=1e-6)
    with pytest.raises(weft.UnsupportedError, match="vector expression"):
        df.select(col("emb").l2_distance(q).alias("d"), device=device, strict=True)
    lf = df.lazy().filter(col("price") < 20).nearest("emb", q, k=10)
    near = lf.collect(device=device)
    check_nearest(near, x, valid & (r["price"] < 20), q, 10, "l2")
    # nearest is placed on the device (its search is the exact k-NN's kernels there), with
    # the CPU's answer bit for bit
    assert f"[{device}: requested]" in lf.explain(device=device).splitlines()[0]
    assert f"{device}: 1 partition" in weft.last_report(), weft.last_report()
    cpu = lf.collect(device="cpu")
    assert near["name"].to_list() == cpu["name"].to_list()
    assert near["_distance"].to_numpy().tobytes() == cpu["_distance"].to_numpy().tobytes()
    batch = df.lazy().nearest("emb", np.stack([q, -q]), k=7)
    assert batch.collect(device=device).to_polars().equals(batch.collect(device="cpu").to_polars())


# ---------------------------------------------------------------------------- knn_join


@pytest.mark.parametrize("metric", ["l2", "cosine", "dot"])
def test_knn_join_gives_each_left_row_its_k_nearest_right_rows(metric):
    lx, lvalid = vectors(40, 6, seed=21)
    rx, rvalid = vectors(300, 6, seed=22)
    left = weft.DataFrame({"emb": masked(lx, lvalid), "lid": np.arange(40)})
    right = weft.DataFrame({"emb": masked(rx, rvalid), "name": [f"p{i}" for i in range(300)]})
    out = weft.knn_join(left, right, left_on="emb", right_on="emb", k=5, metric=metric)
    assert out.columns == ["emb", "lid", "emb_right", "name", "_distance"]
    assert out["lid"].to_list() == [i for i in np.flatnonzero(lvalid).tolist() for _ in range(5)]
    for i in np.flatnonzero(lvalid).tolist():
        check_nearest(out.filter(col("lid") == i), rx, rvalid, lx[i], 5, metric)
    none = weft.DataFrame({"emb": masked(lx[:2], np.array([False, False])), "lid": [0, 1]})
    assert weft.knn_join(none, right, left_on="emb", right_on="emb", k=5).height == 0
    with pytest.raises(weft.InvalidArgumentError, match="weft.knn_join: left_on='lid' is int64"):
        weft.knn_join(left, right, left_on="lid", right_on="emb", k=5)
    with pytest.raises(weft.InvalidArgumentError, match="weft.knn_join: k=0"):
        weft.knn_join(left, right, left_on="emb", right_on="emb", k=0)


def test_describe_counts_vectors_as_polars_describes_an_array():
    x, valid = vectors(50, 3, seed=30)
    df = weft.DataFrame({"emb": masked(x, valid), "v": np.arange(50.0)})
    got = df.describe()
    want = pl.DataFrame({"emb": pl.Series([list(r) if ok else None for r, ok in zip(x, valid)],
                                          dtype=pl.Array(pl.Float32, 3)), "v": np.arange(50.0)}).describe()
    assert got.to_polars().equals(want)


def test_a_variable_list_column_says_how_to_make_it_a_vector_column():
    with pytest.raises(weft.UnsupportedError, match=r'"v" has format "\+l".*pl.Array\(pl.Float32, dim\)'):
        weft.from_arrow(pa.table({"v": pa.array([[1.0, 2.0], [3.0]])}))
    fixed = pa.table({"v": pa.array([[1.0, 2.0], [3.0, 4.0]]).cast(pa.list_(pa.float32(), 2))})
    assert weft.from_arrow(fixed)["v"].to_list() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("dim", [1, 2, 3, 130])
def test_a_large_sort_carries_vectors_without_nulls(dim):
    n = 300_000 if dim < 130 else 40_000
    x, _ = vectors(n, dim, seed=40, null_rate=0.0)
    key = np.random.default_rng(dim).permutation(n)
    got = weft.DataFrame({"emb": x, "key": key}).sort("key")
    order = np.argsort(key)
    np.testing.assert_array_equal(got["emb"].to_numpy(), x[order])
