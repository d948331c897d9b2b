"""DataFrame.create_index and the nearest that searches it: against numpy's filtered exact
answer, with null vectors and nulls / NaN in the filter columns, empty, one-row and
all-pass filters, every metric, batches; which operations keep an index; strict=True."""

import numpy as np
import pyarrow as pa
import pytest

import weft

N, DIM = 1037, 12  # not a multiple of any tile


def make(seed=0, n=N, dim=DIM, null_rate=0.1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    vnull = rng.random(n) < null_rate
    cat_null = rng.random(n) < 0.1
    price = rng.random(n) * 100
    price[rng.random(n) < 0.05] = np.nan
    t = pa.table({
        "emb": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), dim, mask=pa.array(vnull)),
        "cat": pa.array(rng.integers(0, 20, n), mask=cat_null),
        "price": pa.array(price),
        "row": pa.array(np.arange(n)),
    })
    return weft.from_arrow(t), x, vnull, cat_null, price


def truth(x, ok, q, k, metric):
    """Exact (row ids, distances) of numpy over the rows `ok`, nearest first."""
    rows = np.flatnonzero(ok)
    xs = x[rows].astype(np.float64)
    q = q.astype(np.float64)
    if metric == "l2":
        d = ((xs - q) ** 2).sum(1)
    elif metric == "dot":
        d = -(xs @ q)
    else:
        d = 1 - (xs @ q) / (np.linalg.norm(xs, axis=1) * np.linalg.norm(q))
    order = np.lexsort((rows, d))[:k]
    return rows[order], d[order]


def filter_mask(name, cat, cat_null, price):
    return {
        "cat<5": (cat < 5) & ~cat_null,
        "price<30": (price < 30) & ~np.isnan(price),   # NaN is above every number
        "none": np.zeros(len(cat), bool),
        "all": np.ones(len(cat), bool),
        "one": np.arange(len(cat)) == 17,
    }[name]


def predicate(name):
    return {
        "cat<5": weft.col("cat") < 5,
        "price<30": weft.col("price") < 30.0,
        "none": weft.col("row") < 0,
        "all": weft.col("row") >= 0,
        "one": weft.col("row") == 17,
    }[name]


@pytest.mark.parametrize("kind", ["flat", "ivf_flat"])
@pytest.mark.parametrize("filt", ["cat<5", "price<30", "none", "all", "one"])
def test_exact_kinds_match_numpy(kind, filt):
    df, x, vnull, cat_null, price = make(1)
    cat = df["cat"].to_numpy()
    df.create_index("emb", kind, nlist=8)
    ok = filter_mask(filt, cat, cat_null, price) & ~vnull
    rng = np.random.default_rng(2)
    for _ in range(3):
        q = rng.standard_normal(DIM).astype(np.float32)
        nprobe = None if kind == "flat" else 8  # every list: exact
        got = df.nearest("emb", q, k=10, filter=predicate(filt), nprobe=nprobe)
        # every index read all rows here: fewer candidates are searched exactly instead
        assert "not needed" in weft.last_report() or ok.sum() == N
        ids, dist = truth(x, ok, q, 10, "l2")
        assert got["row"].to_list() == ids.tolist()
        np.testing.assert_allclose(got["_distance"].to_numpy(), dist, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("metric", ["l2", "cosine", "dot"])
def test_metrics_and_batches(metric):
    df, x, vnull, cat_null, _ = make(3)
    cat = df["cat"].to_numpy()
    df.create_index("emb", "flat", metric=metric)
    q = np.random.default_rng(4).standard_normal((5, DIM)).astype(np.float32)
    got = df.lazy().filter(weft.col("cat") >= 10).nearest("emb", q, k=7, metric=metric).collect()
    ok = (cat >= 10) & ~cat_null & ~vnull
    for i in range(5):
        part = got.filter(weft.col("_query") == i)
        ids, dist = truth(x, ok, q[i], 7, metric)
        assert part["row"].to_list() == ids.tolist()
        np.testing.assert_allclose(part["_distance"].to_numpy(), dist, rtol=1e-4, atol=1e-4)


def test_approximate_kinds_keep_the_filter_and_recall():
    df, x, vnull, cat_null, _ = make(5, n=4000, dim=16)
    cat = df["cat"].to_numpy()
    ok = (cat >= 2) & ~cat_null & ~vnull  # about 73 % of the rows: more than nprobe 4 of 16 read
    qs = np.random.default_rng(6).standard_normal((20, 16)).astype(np.float32)
    for kind in ("ivf_flat", "ivf_sq8"):
        df.create_index("emb", kind, nlist=16)
        hits = 0
        for q in qs:
            got = df.nearest("emb", q, k=10, filter=weft.col("cat") >= 2, nprobe=4)
            assert "searched" in weft.last_report()
            rows = np.array(got["row"].to_list())
            assert len(rows) == 10 and ok[rows].all()  # never a filtered-out or null row
            hits += len(set(rows) & set(truth(x, ok, q, 10, "l2")[0]))
        assert hits / 200 >= 0.6, (kind, hits)  # nprobe 4 of 16: approximate, not random
        full = df.nearest("emb", qs[0], k=10, filter=weft.col("cat") >= 2, nprobe=16)
        exact = set(truth(x, ok, qs[0], 10, "l2")[0])
        assert len(set(full["row"].to_list()) & exact) >= (10 if kind == "ivf_flat" else 8)
        # a filter that leaves fewer rows than the index reads: exact over the candidates
        few = (cat == 3) & ~cat_null & ~vnull
        got = df.nearest("emb", qs[1], k=10, filter=weft.col("cat") == 3, nprobe=4)
        assert "not needed: the %d candidates" % few.sum() in weft.last_report()
        assert got["row"].to_list() == truth(x, few, qs[1], 10, "l2")[0].tolist()


def test_flat_index_is_searched_without_a_filter():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((777, 8)).astype(np.float32)
    df = weft.DataFrame({"emb": x, "row": np.arange(777)})
    df.create_index("emb", "flat", metric="cosine")
    q = rng.standard_normal((3, 8)).astype(np.float32)
    got = df.nearest("emb", q, k=4, metric="cosine")
    assert "searched (12 rows found of 12 asked)" in weft.last_report()
    for i in range(3):
        ids, dist = truth(x, np.ones(777, bool), q[i], 4, "cosine")
        part = got.filter(weft.col("_query") == i)
        assert part["row"].to_list() == ids.tolist()
        np.testing.assert_allclose(part["_distance"].to_numpy(), dist, rtol=1e-4, atol=1e-5)


def test_explain_and_which_operations_keep_the_index():
    df, x, *_ = make(7)
    df.create_index("emb", "ivf_flat", nlist=8)
    q = x[0]
    text = df.lazy().filter(weft.col("cat") < 5).nearest("emb", q, nprobe=3).explain()
    assert 'index: ivf_flat(nlist=8, nprobe=3, l2) on "emb"' in text and "prefilter" in text
    assert [i["kind"] for i in df.select("emb", "row").indexes] == ["ivf_flat"]
    assert df.drop("cat").indexes and df.rename({"cat": "c"}).indexes
    assert df.with_columns((weft.col("price") * 2).alias("p2")).indexes
    assert df.lazy().select("emb", "cat").collect().indexes
    assert not df.filter(weft.col("cat") < 5).indexes
    assert not df.sort("price").indexes and not df.head(10).indexes
    assert not df.rename({"emb": "e"}).indexes
    # a sort inside the plan: the index is passed on, the plan sees the rows changed
    lazy = df.lazy().sort("price").nearest("emb", q, k=5)
    assert "index ivf_flat(nlist=8, nprobe=8, l2) on \"emb\" not used: its input is a SORT" in lazy.explain()
    got = lazy.collect()
    assert "not used" in weft.last_report()
    exact = df.nearest("emb", q, k=5, use_index=False)
    assert got["row"].to_list() == exact["row"].to_list()
    # an index of another metric is not searched
    df.create_index("emb", "flat", metric="cosine")
    got = df.nearest("emb", q, k=5)
    assert "another metric" in weft.last_report()
    assert got["row"].to_list() == exact["row"].to_list()
    df.drop_index("emb_idx")
    assert df.indexes == []


def test_strict_refuses_post_filters():
    df, x, *_ = make(8)
    df.create_index("emb", "flat")
    lf = df.lazy().nearest("emb", x[1], k=5, strict=True)
    with pytest.raises(weft.UnsupportedError, match=r"strict=True.*_distance.*post-filter"):
        lf.filter(weft.col("_distance") < 1.0).collect()
    with pytest.raises(weft.UnsupportedError, match="post-filter"):
        lf.with_columns((weft.col("price") * 2).alias("p2")).filter(weft.col("p2") < 50).explain()
    # a filter on the input's columns becomes the pre-filter: allowed
    out = lf.filter(weft.col("cat") < 5).collect()
    assert out.height == 5 and "prefilter" in weft.last_report()
    # without strict the post-filter runs (and may return fewer rows)
    df.lazy().nearest("emb", x[1], k=5).filter(weft.col("_distance") < 1.0).collect()


def test_bad_arguments_name_the_call():
    df, x, *_ = make(9)
    with pytest.raises(weft.InvalidArgumentError, match=r"create_index: kind='hnsw'"):
        df.create_index("emb", "hnsw")
    with pytest.raises(weft.InvalidArgumentError, match="create_index.*'cat' is int64"):
        df.create_index("cat", "flat")
    with pytest.raises(weft.InvalidArgumentError, match="create_index: metric='manhattan'"):
        df.create_index("emb", "flat", metric="manhattan")
    with pytest.raises(weft.InvalidArgumentError, match="nlist=5000"):
        df.create_index("emb", "ivf_flat", nlist=5000)
    with pytest.raises(weft.InvalidArgumentError, match="ivf_pq.*needs m="):
        df.create_index("emb", "ivf_pq")
    with pytest.raises(weft.InvalidArgumentError, match="create_index: pq_niter=0"):
        df.create_index("emb", "ivf_pq", nlist=2, m=2, pq_niter=0)
    with pytest.raises(weft.InvalidArgumentError, match="nprobe=4 applies to an IVF index"):
        df.nearest("emb", x[0], nprobe=4)
    df.create_index("emb", "flat")
    with pytest.raises(weft.InvalidArgumentError, match="replace=True"):
        df.create_index("emb", "flat", replace=False)
    with pytest.raises(weft.InvalidArgumentError, match="drop_index: no index on 'cat'"):
        df.drop_index("cat")


def test_iteration_counts_reach_the_index_as_ivfindex_train_takes_them():
    """create_index trains as IVFIndex.train(niter=10, pq_niter=25) by default (faiss's
    counts) and passes both through: the same training gives the same ids and distances."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 8)).astype(np.float32)
    q = rng.normal(size=(5, 8)).astype(np.float32)
    seen = set()
    for kwargs in ({}, {"niter": 3, "pq_niter": 2}):
        df = weft.DataFrame({"emb": x, "id": np.arange(len(x))})
        df.create_index("emb", "ivf_pq", nlist=8, m=4, nbits=4, sample_rate=1000, **kwargs)
        index = weft.IVFIndex(8, 8, "l2", codec="pq", m=4, nbits=4)
        index.train(x, niter=kwargs.get("niter", 10), pq_niter=kwargs.get("pq_niter", 25))
        index.add(x)
        dist, ids = index.search(q, 5, nprobe=8)
        for i, row in enumerate(q):
            got = df.nearest("emb", row, k=5, nprobe=8)
            assert got["id"].to_list() == ids[i].tolist()
            assert got["_distance"].to_list() == dist[i].tolist()
        seen.add(tuple(dist.ravel().tolist()))
    assert len(seen) == 2  # the counts changed the codebooks


def test_all_null_vectors_and_tiny_frames():
    t = pa.table({"emb": pa.FixedSizeListArray.from_arrays(pa.array(np.ones(6, np.float32)), 2,
                                                           mask=pa.array([True, True, True])),
                  "a": [1, 2, 3]})
    df = weft.from_arrow(t)
    df.create_index("emb", "flat")
    assert df.nearest("emb", [1.0, 0.0], k=3).height == 0
    one = weft.DataFrame({"emb": np.array([[1.0, 2.0]], np.float32), "a": [5]})
    one.create_index("emb", "ivf_flat", nlist=1)
    got = one.nearest("emb", [0.0, 0.0], k=3)
    assert got["a"].to_list() == [5] and got["_distance"].to_list() == [5.0]


def test_ivf_pq_maps_onto_ivfindex_pq():
    df, x, vnull, cat_null, _ = make(13, n=3000, dim=16)
    with pytest.raises(weft.InvalidArgumentError, match="needs m="):
        df.create_index("emb", "ivf_pq", nlist=8)
    df.create_index("emb", "ivf_pq", nlist=8, m=4, refine=8)
    assert df.indexes[0]["kind"] == "ivf_pq" and df.indexes[0]["m"] == 4
    ok = ~vnull
    hits = 0
    for q in x[:10]:
        got = df.nearest("emb", q, k=10, nprobe=8)
        hits += len(set(got["row"].to_list()) & set(truth(x, ok, q, 10, "l2")[0]))
    assert hits >= 80


# ---------------------------------------------------------------------------- devices


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
@pytest.mark.parametrize("metric", ["l2", "cosine", "dot"])
def test_an_indexed_nearest_searches_on_the_device_its_plan_chose(device, metric):
    from device_skip import require
    require(device)
    # no null vector and no pre-filter: the candidates are the index's rows, so it is searched
    df, x, vnull, cat_null, price = make(seed=31, null_rate=0)
    df.create_index("emb", "flat", metric=metric)
    q = np.stack([x[3], -x[7]])
    lf = df.lazy().nearest("emb", q, k=9, metric=metric)
    assert f"[{device}: requested]" in lf.explain(device=device).splitlines()[0]
    near = lf.collect(device=device)
    report = weft.last_report()
    assert 'index: flat(' in report and 'searched (18 rows found of 18 asked)' in report, report
    assert f"device {device}" in report and f"{device}: 1 partition" in report, report
    cpu = lf.collect(device="cpu")
    assert f"device {device}" not in weft.last_report()
    assert near["row"].to_list() == cpu["row"].to_list()
    assert near["_distance"].to_numpy().tobytes() == cpu["_distance"].to_numpy().tobytes()
    for i in range(2):
        want, _ = truth(x, ~vnull, q[i], 9, metric)
        got = near.filter(weft.col("_query") == i)["row"].to_list()
        assert got == want.tolist()


@pytest.mark.parametrize("device", ["opencl:0", "cuda:0"])
def test_an_ivf_index_on_a_device_plan_scans_on_the_cpu_and_says_why(device):
    from device_skip import require
    require(device)
    df, x, vnull, cat_null, price = make(seed=32, null_rate=0)
    df.create_index("emb", "ivf_flat", nlist=8)
    lf = df.lazy().nearest("emb", x[5], k=6, nprobe=4)
    got = lf.collect(device=device)
    report = weft.last_report()
    assert f"device '{device}' (requested): IVF list scans have no device kernels yet: ran on cpu:0" \
        in report, report
    assert "searched (6 rows found of 6 asked)" in report, report
    assert got.to_polars().equals(lf.collect(device="cpu").to_polars())
    with pytest.raises(weft.UnsupportedError, match="IVF list scans have no device kernels yet"):
        lf.collect(device=device, strict=True)
