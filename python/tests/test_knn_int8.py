"""FlatIndex.search(precision="int8"): the certified int8 candidate pass (per-vector scaled
int8 codes, exact int32 sums with VPDPBUSD, docs/knn_bound.md section 9) returns the fp32
scan's answer bit for bit (ids and distance bits), on random, clustered and adversarial data
(code rounding midpoints, huge and tiny norms, near-ties, duplicates), every metric, k = 1,
10, 100 and 4096 > n, with allowed masks, borrowed arrays, after adds and removes, with the
VNNI kernel and its portable twin; and a bound loosened on purpose (a test-only switch) is
caught."""

import re

import numpy as np
import pytest

import weft

METRICS = ("l2", "ip", "cosine")


def _has_vnni():
    ix = weft.FlatIndex(4, metric="l2")
    ix.add(np.ones((2, 4), np.float32))
    ix.search(np.ones(4, np.float32), 1, precision="int8")
    return "precision int8" in weft.last_report()


HAS_VNNI = _has_vnni()
# Each test runs with the VNNI kernel (where the CPU has it) and the portable twin.
KERNELS = ["vnni", "scalar"] if HAS_VNNI else ["scalar"]


@pytest.fixture(params=KERNELS)
def kernel(request, monkeypatch):
    monkeypatch.setenv("WEFT_TEST_KNN_INT8_SCALAR", "1" if request.param == "scalar" else "0")
    return request.param


def same(ix, xq, k, allowed=None):
    """Searches with fp32 and int8; asserts equal ids and distance bits; returns the int8
    report."""
    d0, i0 = ix.search(xq, k, precision="fp32", allowed=allowed)
    assert "precision fp32 (asked)" in weft.last_report()
    d1, i1 = ix.search(xq, k, precision="int8", allowed=allowed)
    rep = weft.last_report()
    assert "precision int8 (asked" in rep, rep
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    return rep


def index_of(xb, metric, ids=None):
    ix = weft.FlatIndex(xb.shape[1], metric=metric)
    ix.add(xb, ids)
    return ix


def clustered(rng, n, dim, centers=20, sigma=0.05):
    c = rng.random((centers, dim), dtype=np.float32)
    return (c[rng.integers(0, centers, n)] + sigma * rng.standard_normal((n, dim))).astype(np.float32)


def candidates(rep):
    m = re.search(r"(\d+) candidates ranked again", rep)
    return int(m.group(1))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("data", ["uniform", "normal", "clustered"])
def test_random_and_clustered_data_every_k(metric, data, kernel):
    rng = np.random.default_rng(abs(hash((metric, data))) % 2**32)
    n, dim = 6007, 45  # neither a multiple of a tile nor of 4
    if data == "uniform":
        xb, xq = rng.random((n, dim), dtype=np.float32), rng.random((70, dim), dtype=np.float32)
    elif data == "normal":
        xb = rng.standard_normal((n, dim), dtype=np.float32)
        xq = rng.standard_normal((70, dim), dtype=np.float32)
    else:
        xb, xq = clustered(rng, n, dim), clustered(rng, 70, dim)
    ix = index_of(xb, metric)
    for k in (1, 10, 100):
        rep = same(ix, xq, k)
        assert 70 * k <= candidates(rep) < 70 * n
    small = index_of(xb[:3001], metric)
    d, i = small.search(xq, 4096, precision="int8")
    assert (i[:, 3001:] == -1).all()
    same(small, xq, 4096)


@pytest.mark.parametrize("metric", METRICS)
def test_allowed_masks(metric, kernel):
    rng = np.random.default_rng(7)
    xb = rng.standard_normal((5000, 32), dtype=np.float32)
    xq = rng.standard_normal((40, 32), dtype=np.float32)
    ix = index_of(xb, metric, ids=np.arange(5000, dtype=np.int64) * 3)
    for density in (0.5, 0.01, 0.0):
        mask = np.zeros(15000, bool)
        mask[::3] = rng.random(5000) < density
        for k in (1, 10, 100):
            same(ix, xq, k, allowed=mask)
    mask = np.zeros(15000, bool)
    mask[:30] = True  # 10 allowed ids, fewer than k
    d, i = ix.search(xq, 100, precision="int8", allowed=mask)
    assert (i[:, 10:] == -1).all()
    same(ix, xq, 100, allowed=mask)


@pytest.mark.parametrize("metric", METRICS)
def test_near_ties_and_duplicates_go_to_the_smaller_id(metric, kernel):
    rng = np.random.default_rng(3)
    dim = 64
    v = rng.standard_normal(dim).astype(np.float32)
    rows = []
    for i in range(3000):
        r = v.copy()
        j = rng.integers(0, dim, 3)
        r[j] = np.nextafter(r[j], np.float32(np.inf) if i % 2 else np.float32(-np.inf))
        rows.append(r)
    rows += [v] * 50  # exact duplicates
    xb = np.array(rows, np.float32)
    perm = rng.permutation(len(xb))
    ix = index_of(xb[perm], metric, ids=perm.astype(np.int64))
    xq = np.vstack([v, v + np.float32(1e-3) * rng.standard_normal((5, dim)).astype(np.float32)])
    for k in (1, 10, 100, 4096):
        same(ix, xq, k)


def midpoints(rng, n, dim):
    """Rows whose codes all sit just below a rounding midpoint (the first coordinate sets the
    scale to 1): every residual about -0.5, aligned: the bound's worst case."""
    x = rng.integers(0, 127, (n, dim)).astype(np.float32) + np.float32(0.4999)
    x[:, 0] = 127
    return x


@pytest.mark.parametrize("metric", METRICS)
def test_huge_tiny_and_midpoint_values(metric, kernel):
    rng = np.random.default_rng(11)
    dim = 128
    base = rng.random((2000, dim), dtype=np.float32) + 1
    scales = np.float32(10.0) ** rng.integers(-18, 17, 2000).astype(np.float32)
    if metric == "l2":  # |x|^2 <= FLT_MAX / 4
        scales = np.minimum(scales, np.float32(1e16))
    xb = (base * scales[:, None]).astype(np.float32)
    xb[:300] = midpoints(rng, 300, dim)
    xb[300:320, 5] = np.float32(1e6)  # one huge coordinate: the others' codes are 0
    tiny = 1e-17 if metric == "cosine" else 1e-20  # cosine needs |x|^2 >= FLT_MIN
    if metric != "cosine":
        xb[320:330] = np.float32(1e-41)  # subnormal values and scales
        xb[330:340] = rng.random((10, dim), dtype=np.float32) * np.float32(1e-30)
    xq = np.vstack([midpoints(rng, 3, dim),
                    rng.random((5, dim), dtype=np.float32) * np.float32(tiny),
                    rng.random((5, dim), dtype=np.float32) * np.float32(1e8),
                    xb[rng.integers(0, 2000, 5)]])
    ix = index_of(xb, metric)
    for k in (1, 10, 100, 4096):
        same(ix, xq, k)


def test_empty_and_emptied_index():
    ix = weft.FlatIndex(8, metric="l2")
    d, i = ix.search(np.ones(8, np.float32), 3, precision="int8")
    assert (i == -1).all() and np.isinf(d).all()
    ix.add(np.ones((3, 8), np.float32))
    ix.remove(np.arange(3))
    d, i = ix.search(np.ones(8, np.float32), 3, precision="int8")
    assert (i == -1).all()
    ix.add(np.arange(16, dtype=np.float32).reshape(2, 8))
    same(ix, np.ones((1, 8), np.float32), 3)
    ix.add(np.zeros((2, 8), np.float32))  # zero rows: scale 0, codes 0
    same(ix, np.vstack([np.zeros(8, np.float32), np.ones(8, np.float32)]), 4)


def test_d1_and_odd_dims(kernel):
    rng = np.random.default_rng(5)
    for dim in (1, 2, 3, 5, 17):
        xb = rng.standard_normal((700, dim), dtype=np.float32)
        xq = rng.standard_normal((9, dim), dtype=np.float32)
        for metric in METRICS:
            same(index_of(xb, metric), xq, 10)


@pytest.mark.parametrize("metric", METRICS)
def test_adds_removes_and_borrowed_rows_keep_the_copy_in_step(metric, kernel):
    rng = np.random.default_rng(13)
    dim = 24
    xq = rng.standard_normal((30, dim), dtype=np.float32)
    ix = weft.FlatIndex(dim, metric=metric)
    ix.add(rng.standard_normal((2000, dim), dtype=np.float32), np.arange(0, 4000, 2))
    same(ix, xq, 10)  # the copy is made here
    ix.add(rng.standard_normal((500, dim), dtype=np.float32), np.arange(1, 1000, 2))  # interleaved
    same(ix, xq, 10)
    ix.add(rng.standard_normal((300, dim), dtype=np.float32), np.arange(5000, 5300))  # appended
    same(ix, xq, 10)
    ix.remove(np.arange(0, 600, 3))
    same(ix, xq, 10)
    ix.remove(np.arange(5200, 5300))  # a tail
    same(ix, xq, 100)
    ix.search(xq, 10, precision="bf16")  # the other copy, made and kept beside
    same(ix, xq, 10)
    if metric != "cosine":  # cosine copies (it normalizes)
        xb = rng.standard_normal((3000, dim), dtype=np.float32)
        b = weft.FlatIndex(dim, metric=metric)
        b.add(xb, copy=False)
        same(b, xq, 10)
        b.remove(np.arange(100))  # copies the borrowed rows, moves them
        same(b, xq, 10)


def test_report_says_which_ran_and_how_many_candidates(kernel):
    rng = np.random.default_rng(1)
    ix = index_of(rng.random((3000, 64), dtype=np.float32), "l2")
    xq = rng.random((20, 64), dtype=np.float32)
    ix.search(xq, 10, precision="int8")
    rep = weft.last_report()
    how = "portable kernel" if kernel == "scalar" else "VPDPBUSD, exact int32 sums"
    assert f"precision int8 (asked" in rep and how in rep, rep
    m = re.search(r"(\d+) candidates ranked again in fp32 \(([\d.]+) a query", rep)
    assert m and 200 <= int(m.group(1)) < 3000 * 20
    assert "0 queries scanned in fp32" in rep
    assert re.search(r"int8 copy of the rows: [\d.]+ (KiB|MiB) \(3000 rows of dim 64\)", rep)


def test_auto_picks_by_measured_rate_and_shape(monkeypatch):
    rng = np.random.default_rng(12)
    ix = index_of(rng.random((40000, 32), dtype=np.float32), "ip")
    xq = rng.random((40, 32), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32")
    d1, i1 = ix.search(xq, 10)
    rep = weft.last_report()
    m = re.search(r"precision (fp32|bf16|int8) \(auto", rep)
    assert m, rep
    if HAS_VNNI:  # its rate is printed, whichever ran
        assert re.search(r"VPDPBUSD does [\d.]+x the multiply-adds of fp32 FMA", rep), rep
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))
    ix.search(xq[:3], 10)  # too few queries: fp32
    assert "precision fp32 (auto: 40000 rows of dim 32, 3 queries" in weft.last_report()
    monkeypatch.setenv("WEFT_TEST_KNN_NO_INT8", "1")
    ix.search(xq, 10)
    assert not re.search(r"precision int8", weft.last_report())


def test_without_avx512_vnni_the_fp32_scan_runs(monkeypatch):
    rng = np.random.default_rng(2)
    ix = index_of(rng.random((1000, 16), dtype=np.float32), "l2")
    xq = rng.random((5, 16), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32")
    monkeypatch.setenv("WEFT_TEST_KNN_NO_INT8", "1")
    d1, i1 = ix.search(xq, 10, precision="int8")
    assert "precision fp32 (int8 asked, but this CPU has no AVX512_VNNI)" in weft.last_report()
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1.view(np.uint32), d0.view(np.uint32))


def test_too_many_candidates_fall_back_to_the_fp32_scan(kernel):
    # 20000 rows within the bound of each other: every one survives, past the buffer
    rng = np.random.default_rng(4)
    v = rng.standard_normal(32).astype(np.float32)
    xb = np.repeat(v[None], 20000, 0)
    xb += np.float32(1e-6) * rng.standard_normal(xb.shape).astype(np.float32)
    ix = index_of(xb, "l2")
    xq = np.vstack([v, v + 1e-6])
    rep = same(ix, xq, 10)
    assert "2 queries scanned in fp32 (too many candidates)" in rep


def test_a_loosened_bound_is_caught(monkeypatch, kernel):
    """The equality checks can fail: with the bound divided by 1000 (a test-only switch),
    candidates of the fp32 top-k are pruned and the answers differ."""
    rng = np.random.default_rng(6)
    dim = 128
    xb = rng.random((4000, dim), dtype=np.float32)
    xq = rng.random((30, dim), dtype=np.float32)
    for metric in METRICS:
        ix = index_of(xb, metric)
        same(ix, xq, 10)  # the real bound: equal
        monkeypatch.setenv("WEFT_TEST_KNN_INT8_BOUND_SCALE", "0.001")
        d0, i0 = ix.search(xq, 10, precision="fp32")
        d1, i1 = ix.search(xq, 10, precision="int8")
        monkeypatch.delenv("WEFT_TEST_KNN_INT8_BOUND_SCALE")
        assert not np.array_equal(i1, i0), metric


def test_bad_precision_names_the_call():
    ix = index_of(np.ones((3, 4), np.float32), "l2")
    with pytest.raises(weft.InvalidArgumentError,
                       match=r"FlatIndex.search\(precision=...\).*'int8'.*'int4'"):
        ix.search(np.ones(4, np.float32), 1, precision="int4")


def test_concurrent_int8_searches_make_one_copy(kernel):
    import threading

    rng = np.random.default_rng(8)
    ix = index_of(rng.random((8000, 32), dtype=np.float32), "ip")
    xq = rng.random((16, 32), dtype=np.float32)
    d0, i0 = ix.search(xq, 10, precision="fp32")
    out, errs = [], []

    def run():
        try:
            out.append(ix.search(xq, 10, precision="int8"))
        except Exception as e:  # pragma: no cover - reported below
            errs.append(e)

    ts = [threading.Thread(target=run) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs
    assert len(out) == 4
    for d, i in out:
        np.testing.assert_array_equal(i, i0)
        np.testing.assert_array_equal(d.view(np.uint32), d0.view(np.uint32))
